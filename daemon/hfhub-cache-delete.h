/* Deletion plans for a Hugging Face cache, as huggingface_hub's
 * delete_revisions() → DeleteCacheStrategy (hub-protocol.md §3.7), and their
 * execution under the same file locks downloads take.
 *
 * - All revisions of a repo selected: the repo folder goes, freeing its
 *   size on disk.
 * - Otherwise each selected revision's snapshot and the refs pointing at it
 *   go, and each of its blobs that no remaining revision links; a copy
 *   inside the snapshot (no-symlink mode) is counted, and goes with it.
 * - Prune selects the detached revisions (no ref) and the partial
 *   downloads nobody writes or will resume.
 *
 * Execution order is huggingface_hub's: repos, snapshots, refs, blobs, then
 * partial files; a path already gone is a warning. Synchronous filesystem
 * code for worker threads; no D-Bus. */
#pragma once

#include <gio/gio.h>

#include "hfhub-cache-scan.h"

G_BEGIN_DECLS

typedef struct {
	HfhubCacheRepoInfo *repo; /* borrowed from the plan's scan */
	gboolean whole;		  /* every revision: the folder goes */
	GPtrArray *revisions;	  /* HfhubCacheRevision*, borrowed */
	guint64 freed;		  /* what this repo's part frees */
} HfhubCachePlanRepo;

typedef struct {
	HfhubCacheScan *scan;
	gboolean prune;
	GPtrArray *selected;	  /* HfhubCachePlanRepo*, by cache id */
	GPtrArray *missing;	  /* gchar*: targets not in the cache */
	GPtrArray *repos;	  /* gchar*: absolute paths, sorted */
	GPtrArray *snapshots;	  /* gchar* */
	GPtrArray *refs;	  /* gchar* */
	GPtrArray *blobs;	  /* gchar* */
	GPtrArray *incomplete;	  /* gchar*: partial files removed one by one */
	GPtrArray *in_use;	  /* gchar*: partial files left, being written */
	GPtrArray *folders;	  /* gchar*: repo folders touched, sorted */
	guint64 blob_bytes;	  /* huggingface_hub's expected_freed_size */
	guint64 incomplete_bytes; /* partial files removed, alone or with a repo */
} HfhubCachePlan;

HfhubCachePlan *
hfhub_cache_plan_delete(HfhubCacheScan *scan, const gchar *const *targets);
typedef struct _HfhubCacheLocks HfhubCacheLocks;

/* @keep: absolute paths of partial files a job of ours will resume (or
 * NULL); those and the ones whose lock someone holds are left. Locks in
 * @ours (or NULL) are ours: what they guard is free. */
HfhubCachePlan *
hfhub_cache_plan_prune(HfhubCacheScan *scan, GHashTable *keep, HfhubCacheLocks *ours);
void
hfhub_cache_plan_free(HfhubCachePlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCachePlan, hfhub_cache_plan_free)

gboolean
hfhub_cache_plan_is_empty(HfhubCachePlan *plan);
guint64
hfhub_cache_plan_get_freed(HfhubCachePlan *plan);
/* the shape documented in dbus/README.md ("Plans") */
GVariant *
hfhub_cache_plan_to_variant(HfhubCachePlan *plan);

/* ---- locks: .locks/<folder>/<etag>.lock, flock()ed as huggingface_hub does */

/* The locks a plan holds while it runs, sorted (one order for everyone: no
 * deadlock between two deletions): every lock file that exists for a repo
 * that goes whole, plus one per blob or partial file it removes alone. */
GPtrArray *
hfhub_cache_plan_lock_paths(HfhubCachePlan *plan);
/* The existing lock files of @plan that someone holds right now. */
GPtrArray *
hfhub_cache_plan_busy_locks(HfhubCachePlan *plan);

/* called (from the waiting thread) before waiting for a held lock */
typedef void (*HfhubCacheLockWaitFunc)(const gchar *lock_path, gpointer user_data);

HfhubCacheLocks *
hfhub_cache_locks_new(void);
/* Takes the locks of @paths not held yet. Without @wait, a lock held by
 * someone else is HFHUB_ERROR_CONFLICT (and nothing more is taken); with it,
 * waits (HFHUB_ERROR_CANCELLED through @cancellable). */
gboolean
hfhub_cache_locks_take(HfhubCacheLocks *locks, GPtrArray *paths, gboolean wait,
		       HfhubCacheLockWaitFunc notify, gpointer user_data, GCancellable *cancellable,
		       GError **error);
gboolean
hfhub_cache_locks_holds_all(HfhubCacheLocks *locks, GPtrArray *paths);
void
hfhub_cache_locks_free(HfhubCacheLocks *locks);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCacheLocks, hfhub_cache_locks_free)

/* ---- execution */

typedef struct {
	guint repos;
	guint snapshots;
	guint refs;
	guint blobs;
	guint incomplete;
	GPtrArray *warnings; /* gchar* */
} HfhubCacheDeleted;

/* Carries @plan out; the caller holds its locks. A path that cannot be
 * deleted (or is gone already) is a warning, never a failure. */
HfhubCacheDeleted *
hfhub_cache_plan_execute(HfhubCachePlan *plan);
void
hfhub_cache_deleted_free(HfhubCacheDeleted *deleted);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCacheDeleted, hfhub_cache_deleted_free)

/* "abc" of "abc.incomplete" and of "abc.0123abcd.incomplete" */
gchar *
hfhub_cache_incomplete_etag(const gchar *name);

G_END_DECLS
