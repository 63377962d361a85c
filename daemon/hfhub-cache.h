/* HfhubCacheRepo: one repo's folder in a Hugging Face cache, laid out exactly
 * as huggingface_hub (Python) writes it, so that Python, JS and we share it:
 *
 *   <cache>/CACHEDIR.TAG
 *   <cache>/.locks/<folder>/<etag>.lock       flock()ed while a blob is written
 *   <cache>/<folder>/blobs/<etag>            the content, mode 0666 & ~umask
 *   <cache>/<folder>/blobs/<etag>.incomplete being downloaded
 *   <cache>/<folder>/refs/<revision>         40-hex commit, no newline
 *   <cache>/<folder>/snapshots/<commit>/<file>  relative symlink to the blob
 *   <cache>/<folder>/.no_exist/<commit>/<file>  empty: no such file at commit
 *
 * All calls are synchronous filesystem code meant for worker threads. The
 * object is immutable after construction, so threads may share it; the
 * filesystem itself is shared with other processes, which is what the file
 * locks and the write-to-temp-then-rename() everywhere are for.
 *
 * Inputs that come from the server (etags, commits, file paths) must pass the
 * hfhub-repo-path.h validators: the functions that return a GError check them
 * again and fail with HFHUB_ERROR_UNSAFE_PATH; the plain path getters treat an
 * invalid one as a programming error (g_return_val_if_fail, NULL). */
#pragma once

#include <gio/gio.h>

#include "hfhub-enums.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_CACHE_REPO (hfhub_cache_repo_get_type())
G_DECLARE_FINAL_TYPE(HfhubCacheRepo, hfhub_cache_repo, HFHUB, CACHE_REPO, GObject)

/* @repo_id must pass hfhub_repo_id_validate(). Symlinks are used. */
HfhubCacheRepo *
hfhub_cache_repo_new(const gchar *cache_dir, HfhubRepoType type, const gchar *repo_id);
/* @use_symlinks FALSE forces huggingface_hub's no-symlink mode (§3.4), as
 * HF_HUB_DISABLE_SYMLINKS=1 does; tests use it to exercise the fallback. */
HfhubCacheRepo *
hfhub_cache_repo_new_full(const gchar *cache_dir, HfhubRepoType type, const gchar *repo_id,
			  gboolean use_symlinks);

const gchar *
hfhub_cache_repo_get_cache_dir(HfhubCacheRepo *self);
HfhubRepoType
hfhub_cache_repo_get_repo_type(HfhubCacheRepo *self);
const gchar *
hfhub_cache_repo_get_repo_id(HfhubCacheRepo *self);
/* "models--org--name" */
const gchar *
hfhub_cache_repo_get_folder_name(HfhubCacheRepo *self);
/* <cache>/models--org--name */
const gchar *
hfhub_cache_repo_get_path(HfhubCacheRepo *self);
gboolean
hfhub_cache_repo_get_use_symlinks(HfhubCacheRepo *self);

/* ---- paths (no filesystem access) */

/* <repo>/blobs/<etag> */
gchar *
hfhub_cache_repo_blob_path(HfhubCacheRepo *self, const gchar *etag);
/* <repo>/blobs/<etag>.incomplete: the stable name huggingface_hub used before
 * v1.18, which lets a download resume after a restart. Write it only while
 * holding the lock at hfhub_cache_repo_lock_path(): clients before v1.18 took
 * the same lock and resumed the same file; newer ones use their own unique
 * names and never touch it. */
gchar *
hfhub_cache_repo_incomplete_path(HfhubCacheRepo *self, const gchar *etag);
/* <repo>/blobs/<etag>.<8 hex>.incomplete: a fresh name each call, as
 * huggingface_hub ≥ 1.18 does; for when the lock is not held (see
 * hfhub_file_lock_is_held()). */
gchar *
hfhub_cache_repo_incomplete_path_unique(HfhubCacheRepo *self, const gchar *etag);
/* <repo>/snapshots/<commit> */
gchar *
hfhub_cache_repo_snapshot_dir(HfhubCacheRepo *self, const gchar *commit);
/* <repo>/snapshots/<commit>/<file> */
gchar *
hfhub_cache_repo_snapshot_path(HfhubCacheRepo *self, const gchar *commit, const gchar *file);
/* <cache>/.locks/<folder>/<etag>.lock */
gchar *
hfhub_cache_repo_lock_path(HfhubCacheRepo *self, const gchar *etag);
/* <repo>/.no_exist/<commit>/<file> */
gchar *
hfhub_cache_repo_no_exist_path(HfhubCacheRepo *self, const gchar *commit, const gchar *file);

/* ---- refs */

/* The commit in refs/<revision> ("refs/pr/1" is the nested refs/refs/pr/1),
 * whitespace trimmed. NULL without error when there is none, or when it does
 * not hold a commit hash (a damaged ref is as good as none).
 * HFHUB_ERROR_INVALID_ARGUMENT for a bad revision, HFHUB_ERROR_IO. */
gchar *
hfhub_cache_repo_read_ref(HfhubCacheRepo *self, const gchar *revision, GError **error);
/* Points refs/<revision> at @commit: the 40 hex characters, no newline,
 * written to a temporary file and renamed over. Nothing is written when
 * @revision is @commit itself or the ref already holds it. */
gboolean
hfhub_cache_repo_write_ref(HfhubCacheRepo *self, const gchar *revision, const gchar *commit,
			   GError **error);

/* ---- blobs and snapshots */

/* blobs/<etag> is a regular file (not a symlink) of @expected_size bytes. */
gboolean
hfhub_cache_repo_has_blob(HfhubCacheRepo *self, const gchar *etag, guint64 expected_size);
/* Makes the finished @incomplete_path blobs/<etag>: fsync()s it (a crash must
 * never leave a truncated blob under its final name), gives it the mode a new
 * file gets in blobs/ (0666 & ~umask, as Python's probe file), rename()s it
 * and fsync()s blobs/. Creates <cache>/CACHEDIR.TAG when missing. */
gboolean
hfhub_cache_repo_publish_blob(HfhubCacheRepo *self, const gchar *incomplete_path, const gchar *etag,
			      GError **error);

typedef enum {
	HFHUB_CACHE_LINK_NONE = 0,
	/* the blob was just published for this snapshot: in no-symlink mode it
	 * is moved into the snapshot instead of copied, as Python does */
	HFHUB_CACHE_LINK_NEW_BLOB = 1 << 0,
} HfhubCacheLinkFlags;

/* Makes snapshots/<commit>/<file> a relative symlink to blobs/<etag>
 * ("../../blobs/<etag>", one more "../" per directory of @file), creating
 * the directories and atomically replacing what was there (a symlink to a
 * temporary name, renamed over). When symlinks are off or the filesystem
 * refuses them (EPERM, ENOSYS, EOPNOTSUPP…), does what huggingface_hub's
 * no-symlink mode does: the blob is copied into the snapshot, or moved there
 * with HFHUB_CACHE_LINK_NEW_BLOB (then blobs/<etag> is gone). */
gboolean
hfhub_cache_repo_link_snapshot_full(HfhubCacheRepo *self, const gchar *commit, const gchar *file,
				    const gchar *etag, HfhubCacheLinkFlags flags, GError **error);
gboolean
hfhub_cache_repo_link_snapshot(HfhubCacheRepo *self, const gchar *commit, const gchar *file,
			       const gchar *etag, GError **error);

/* huggingface_hub's try_to_load_from_cache: @revision → commit (itself when it
 * is a commit hash, else refs/<revision>), then snapshots/<commit>/<file> when
 * it exists and, if a symlink, leads to an existing regular file. The path
 * returned is the snapshot path. NULL when not cached (or inputs invalid). */
gchar *
hfhub_cache_repo_resolve_cached(HfhubCacheRepo *self, const gchar *revision, const gchar *file);
/* .no_exist/<commit>/<file> exists: the Hub said @file is not in @commit. */
gboolean
hfhub_cache_repo_is_no_exist(HfhubCacheRepo *self, const gchar *commit, const gchar *file);
/* Creates the empty .no_exist/<commit>/<file> (and its directories). */
gboolean
hfhub_cache_repo_mark_no_exist(HfhubCacheRepo *self, const gchar *commit, const gchar *file,
			       GError **error);

/* ---- file locks, compatible with Python's filelock.FileLock on Linux
 *
 * flock(LOCK_EX) on the lock file, which is created 0664 (fchmod()ed, as
 * huggingface_hub's WeakFileLock asks filelock to) and left behind on
 * release, like Python does. flock() locks belong to the open file, so two
 * locks on one path exclude each other within this process too. Lock files
 * we cannot write (another user's, 0644) are opened read-only: flock() works
 * on those. Where flock() is not supported (ENOSYS, EOPNOTSUPP, ENOLCK: some
 * network filesystems) the lock is returned without being held, with
 * hfhub_file_lock_is_held() FALSE: the lock is an optimisation, and the
 * caller should then write to a unique incomplete name. */
typedef struct _HfhubFileLock HfhubFileLock;

/* Waits for the lock, polling every 100 ms so that @cancellable works
 * (HFHUB_ERROR_CANCELLED). Creates the parent directories. */
HfhubFileLock *
hfhub_file_lock_acquire(const gchar *path, GCancellable *cancellable, GError **error);
typedef void (*HfhubFileLockWaitFunc)(gpointer user_data);
/* The same; @waiting(@user_data) is called before each wait while someone
 * else holds the lock (about every 100 ms), e.g. to follow what they write. */
HfhubFileLock *
hfhub_file_lock_acquire_full(const gchar *path, GCancellable *cancellable,
			     HfhubFileLockWaitFunc waiting, gpointer user_data, GError **error);
/* NULL without error when someone else holds it. */
HfhubFileLock *
hfhub_file_lock_try(const gchar *path, GError **error);
/* Whether a thread of this process waits in hfhub_file_lock_acquire() for
 * @path: a partial file under that lock is about to be taken over, and must
 * not be removed. */
gboolean
hfhub_file_lock_has_waiters(const gchar *path);
gboolean
hfhub_file_lock_is_held(HfhubFileLock *lock);
const gchar *
hfhub_file_lock_get_path(HfhubFileLock *lock);
void
hfhub_file_lock_release(HfhubFileLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubFileLock, hfhub_file_lock_release)

/* ---- disk space */

/* statvfs() on @dir or its nearest existing ancestor: HFHUB_ERROR_DISK_FULL
 * "needs X, only Y free on …" when fewer than @needed bytes are available to
 * us. */
gboolean
hfhub_cache_dir_check_free(const gchar *dir, guint64 needed, GError **error);

/* ---- filesystem helpers, shared with hfhub-local-dir.c */

/* HFHUB_ERROR_IO (HFHUB_ERROR_DISK_FULL for ENOSPC) "<what> “<path>”: <strerror>";
 * always returns FALSE. */
gboolean
hfhub_fs_set_error(GError **error, gint errsv, const gchar *what, const gchar *path);
/* g_mkdir_with_parents(0777 & ~umask) on the parent directory of @path. */
gboolean
hfhub_fs_ensure_parent(const gchar *path, GError **error);
/* Writes @contents to a temporary file in @tmp_dir (same filesystem), fsync()s
 * it and renames it to @path. The file gets 0666 & ~umask. */
gboolean
hfhub_fs_write_atomic(const gchar *tmp_dir, const gchar *path, const gchar *contents, gssize len,
		      GError **error);
/* fsync()s @file_path, chmod()s it to the mode a new file gets in @dest's
 * directory, renames it to @dest and fsync()s that directory. */
gboolean
hfhub_fs_publish_file(const gchar *file_path, const gchar *dest, GError **error);
/* Creates <dir>/CACHEDIR.TAG with huggingface_hub's exact content when missing. */
gboolean
hfhub_fs_ensure_cachedir_tag(const gchar *dir, GError **error);
/* "<8 lowercase hex>" for unique names */
gchar *
hfhub_fs_random_hex8(void);

G_END_DECLS
