/* A scan of a Hugging Face cache that reports what huggingface_hub's
 * scan_cache_dir() reports for the same tree (hub-protocol.md §3.6):
 *
 * - every entry of the root but .locks, CACHEDIR.TAG and the OS's helper
 *   files is a repo; one that does not look like a valid one (not a
 *   directory, no "--", a type other than model/dataset/space, no snapshots/,
 *   a file in snapshots/, refs a file, a broken symlink, a ref to a missing
 *   snapshot) is skipped with a warning;
 * - every non-directory under snapshots/<commit>/ is a file, resolved to its
 *   blob (the first hop of the symlink when it lands in <repo>/blobs/, else
 *   realpath(), else the file itself for a copy) and each blob is stat()ed
 *   once: sizes count each blob once per revision and per repo;
 * - refs are the files under refs/, named by their relative path, pointing
 *   at their exact content;
 * - partial downloads are <entry>/blobs/x.incomplete, listed on their own.
 *
 * One pass, repos in parallel, no D-Bus. Thread-safe; the result is
 * immutable and reference counted. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	HFHUB_CACHE_SCAN_NONE = 0,
	/* keep each revision's file paths (the sizes never need them) */
	HFHUB_CACHE_SCAN_FILES = 1 << 0,
} HfhubCacheScanFlags;

typedef struct {
	gchar *path; /* absolute: <repo>/blobs/<etag>, or the copy itself */
	guint64 size;
	gdouble atime; /* UNIX seconds, as Python's st_atime */
	gdouble mtime;
	/* the blob is <repo>/blobs/<name>: its name is its etag */
	gboolean in_blobs;
} HfhubCacheBlob;

typedef struct {
	gchar *path; /* relative to the snapshot folder; NULL without FILES */
	guint blob;  /* index in the repo's blobs */
} HfhubCacheFile;

typedef struct {
	gchar *commit;	      /* the snapshot folder's name */
	gchar *path;	      /* absolute */
	GPtrArray *refs;      /* gchar*, sorted: "main", "refs/pr/1" */
	GArray *files;	      /* HfhubCacheFile, sorted by path with FILES */
	guint64 size_on_disk; /* its unique blobs */
	gdouble last_modified;
} HfhubCacheRevision;

typedef struct {
	gchar *folder;	  /* "models--org--name" */
	gchar *path;	  /* absolute */
	gchar *repo_type; /* "model", "dataset", "space" */
	gchar *repo_id;
	gchar *cache_id; /* "model/org/name", as "hf cache" names repos */
	guint64 size_on_disk;
	guint nb_files; /* unique blobs */
	gdouble last_accessed;
	gdouble last_modified;
	GPtrArray *revisions; /* HfhubCacheRevision*, sorted by commit */
	GPtrArray *blobs;     /* HfhubCacheBlob* */
} HfhubCacheRepoInfo;

typedef struct {
	gchar *path;   /* absolute */
	gchar *folder; /* the root entry it is in */
	guint64 size;
} HfhubCacheIncomplete;

typedef struct {
	gchar *path;
	gchar *message;
} HfhubCacheWarning;

typedef struct {
	gchar *cache_dir;      /* realpath() of what was asked */
	gboolean exists;       /* FALSE: an empty scan of a cache not created yet */
	GPtrArray *repos;      /* HfhubCacheRepoInfo*, sorted by folder */
	GPtrArray *incomplete; /* HfhubCacheIncomplete*, sorted by path */
	GPtrArray *warnings;   /* HfhubCacheWarning*, sorted by path */
	guint64 size_on_disk;  /* sum over the valid repos */
	guint64 incomplete_size;
	guint n_revisions;
	gdouble seconds; /* how long the scan took */
} HfhubCacheScan;

/* HFHUB_ERROR_INVALID_ARGUMENT when @cache_dir is not a directory (a missing
 * one is an empty scan with exists FALSE); HFHUB_ERROR_CANCELLED. */
HfhubCacheScan *
hfhub_cache_scan(const gchar *cache_dir, HfhubCacheScanFlags flags, GCancellable *cancellable,
		 GError **error);
HfhubCacheScan *
hfhub_cache_scan_ref(HfhubCacheScan *scan);
void
hfhub_cache_scan_unref(HfhubCacheScan *scan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCacheScan, hfhub_cache_scan_unref)

/* "model/org/name" (any case), "org/name" for a model, or the folder name */
HfhubCacheRepoInfo *
hfhub_cache_scan_find_repo(HfhubCacheScan *scan, const gchar *target);
/* a 40-hex commit (any case); *repo is set too */
HfhubCacheRevision *
hfhub_cache_scan_find_revision(HfhubCacheScan *scan, const gchar *commit,
			       HfhubCacheRepoInfo **repo);

/* What @targets (repos or revisions, see above) select: repo → the
 * revisions picked (GPtrArray of HfhubCacheRevision*, sorted by commit, all
 * of them for a repo target). Keys in @order, by cache id. Targets that match
 * nothing go to @missing (gchar*). */
typedef struct {
	GPtrArray *order;     /* HfhubCacheRepoInfo*, borrowed */
	GHashTable *selected; /* HfhubCacheRepoInfo* → GPtrArray* */
	GPtrArray *missing;   /* gchar* */
} HfhubCacheSelection;

HfhubCacheSelection *
hfhub_cache_scan_select(HfhubCacheScan *scan, const gchar *const *targets);
void
hfhub_cache_selection_free(HfhubCacheSelection *selection);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCacheSelection, hfhub_cache_selection_free)

/* ---- as a{sv}, the shapes documented in dbus/README.md */

/* a string GVariant of @s, made valid UTF-8 first: names on disk need not
 * be, and GVariant strings must */
GVariant *
hfhub_cache_str(const gchar *s);

GVariant *
hfhub_cache_scan_summary_to_variant(HfhubCacheScan *scan);
/* aa{sv}; with @files the file list of each revision (needs a FILES scan) */
GVariant *
hfhub_cache_scan_repos_to_variant(HfhubCacheScan *scan, gboolean files);
GVariant *
hfhub_cache_repo_to_variant(HfhubCacheRepoInfo *repo, gboolean revisions, gboolean files);

G_END_DECLS
