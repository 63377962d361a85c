#include "config.h"

#include "hfhub-kinds.h"

#include "hfhub-download.h"

void
hfhub_kinds_register_all(HfhubEngine *engine)
{
	hfhub_engine_register_kind(engine, hfhub_download_kind());
}
