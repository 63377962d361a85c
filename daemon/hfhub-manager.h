/* HfhubManager: the io.github.hfhub.Hub1.Manager face of the engine. */
#pragma once

#include "hfhub-dbus-generated.h"
#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_MANAGER (hfhub_manager_get_type())
G_DECLARE_FINAL_TYPE(HfhubManager, hfhub_manager, HFHUB, MANAGER, HfhubDBusManagerSkeleton)

HfhubManager *
hfhub_manager_new(HfhubEngine *engine);

G_END_DECLS
