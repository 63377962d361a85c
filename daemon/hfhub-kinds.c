#include "config.h"

#include "hfhub-kinds.h"

void
hfhub_kinds_register_all(HfhubEngine *engine)
{
}
