/* Verification of cached blobs against their names: a blob is named by its
 * etag, the SHA-256 of an LFS file (64 hex) or the git blob SHA-1 of a
 * regular one (40 hex). Other names, and copies in snapshots (no-symlink
 * mode), cannot be checked and are counted as such.
 *
 * Synchronous filesystem code for a worker thread; no D-Bus. */
#pragma once

#include <gio/gio.h>

#include "hfhub-cache-scan.h"

G_BEGIN_DECLS

typedef enum {
	HFHUB_CACHE_VERIFY_PENDING,
	HFHUB_CACHE_VERIFY_OK,
	HFHUB_CACHE_VERIFY_CORRUPTED,
	HFHUB_CACHE_VERIFY_UNVERIFIABLE,
	HFHUB_CACHE_VERIFY_UNREADABLE,
} HfhubCacheVerifyStatus;

/* one place a blob is used: snapshots/<commit>/<path> */
typedef struct {
	gchar *commit;
	gchar *path;
} HfhubCacheVerifyUse;

typedef struct {
	HfhubCacheRepoInfo *repo; /* borrowed from the scan */
	HfhubCacheBlob *blob;	  /* borrowed */
	const gchar *algorithm;	  /* "sha256", "git-sha1", or NULL */
	HfhubCacheVerifyStatus status;
	gchar *actual;	  /* the digest found, once hashed */
	gchar *error;	  /* why it could not be read */
	gboolean removed; /* repair took it out of the cache */
	GPtrArray *uses;  /* HfhubCacheVerifyUse*, by commit then path */
} HfhubCacheVerifyItem;

typedef struct {
	HfhubCacheScan *scan;
	GPtrArray *missing;  /* gchar*: targets not in the cache */
	GPtrArray *items;    /* HfhubCacheVerifyItem*, one per blob */
	guint64 total_bytes; /* of the blobs that can be checked */
	guint total_files;
} HfhubCacheVerify;

/* The blobs of @targets' revisions (every repo when @targets is empty).
 * @scan must have been made with HFHUB_CACHE_SCAN_FILES. */
HfhubCacheVerify *
hfhub_cache_verify_new(HfhubCacheScan *scan, const gchar *const *targets);
void
hfhub_cache_verify_free(HfhubCacheVerify *verify);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCacheVerify, hfhub_cache_verify_free)

/* called from the hashing threads, often: keep it cheap and thread-safe */
typedef void (*HfhubCacheVerifyProgress)(guint64 bytes, guint files, gpointer user_data);

/* Hashes every blob that can be checked, a few at a time. FALSE only when
 * cancelled (HFHUB_ERROR_CANCELLED); unreadable blobs are reported. */
gboolean
hfhub_cache_verify_run(HfhubCacheVerify *verify, HfhubCacheVerifyProgress progress,
		       gpointer user_data, GCancellable *cancellable, GError **error);

/* Takes a corrupted blob out of the cache under its download lock, so that
 * a download fetches it again. HFHUB_ERROR_CONFLICT while someone holds it. */
gboolean
hfhub_cache_verify_remove(HfhubCacheVerify *verify, HfhubCacheVerifyItem *item, GError **error);

guint
hfhub_cache_verify_count(HfhubCacheVerify *verify, HfhubCacheVerifyStatus status);
/* aa{sv} of the corrupted and unreadable blobs (dbus/README.md) */
GVariant *
hfhub_cache_verify_problems_to_variant(HfhubCacheVerify *verify);

G_END_DECLS
