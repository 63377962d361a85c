/* The job kinds this hfhubd can run. */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

void
hfhub_kinds_register_all(HfhubEngine *engine);

G_END_DECLS
