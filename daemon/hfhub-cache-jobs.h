/* The cache's job kinds, "cache-delete" (delete and prune) and
 * "cache-verify", and what they (and the Cache adaptor) ask the engine about
 * downloads running into the same cache. Main thread only. */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

const HfhubJobKind *
hfhub_cache_delete_kind(void);
const HfhubJobKind *
hfhub_cache_verify_kind(void);

/* the cache a request means: @requested (absolute), else the config's */
gchar *
hfhub_cache_jobs_cache_dir(HfhubEngine *engine, const gchar *requested);

/* The running download jobs of @engine into the repo folders @folders
 * (gchar*) of the cache whose realpath is @cache_dir; HfhubJob*, owned. A
 * queued or paused job writes nothing (it may wait for a window for hours):
 * not one of them; if it starts meanwhile, its blob locks are in the way. */
GPtrArray *
hfhub_cache_jobs_find_downloads(HfhubEngine *engine, const gchar *cache_dir, GPtrArray *folders);

/* Paths of the partial files that download jobs not finished yet will
 * resume: prune leaves them. */
GHashTable *
hfhub_cache_jobs_resumable_partials(HfhubEngine *engine);

/* HFHUB_ERROR_CONFLICT naming @jobs (from hfhub_cache_jobs_find_downloads()) */
void
hfhub_cache_jobs_set_conflict(GError **error, GPtrArray *jobs);

G_END_DECLS
