/* HfhubCacheExported: the io.github.hfhub.Hub1.Cache face of the cache
 * code. Scans and plans run in a thread and answer asynchronously, so a big
 * cache never blocks the main loop; deletions and verifications are jobs. */
#pragma once

#include "hfhub-dbus-generated.h"
#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_CACHE_EXPORTED (hfhub_cache_exported_get_type())
G_DECLARE_FINAL_TYPE(HfhubCacheExported, hfhub_cache_exported, HFHUB, CACHE_EXPORTED,
		     HfhubDBusCacheSkeleton)

HfhubCacheExported *
hfhub_cache_exported_new(HfhubEngine *engine);

G_END_DECLS
