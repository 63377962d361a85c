/* What an upload sends: the local files, their paths in the repo, and the
 * checks made before any byte leaves (unsafe paths, the Hub's limits).
 *
 * Ignored always, as huggingface_hub's DEFAULT_IGNORE_PATTERNS: any ".git"
 * segment, and any ".cache/huggingface" folder (the metadata of local dirs,
 * which is never uploaded). Then include/exclude (hfhub-filter.h) select among
 * the paths relative to the folder. Symbolic links to files are followed,
 * links to folders are not (no loops). Pure file system work: thread-safe,
 * no network. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The Hub's structure limits (its documentation on repository limits):
 * files are refused above 50 GB, and a folder should not hold more than
 * 10,000 entries. An upload that would break either fails before it starts. */
#define HFHUB_UPLOAD_MAX_FILE_SIZE	G_GUINT64_CONSTANT(50000000000)
#define HFHUB_UPLOAD_MAX_FOLDER_ENTRIES 10000

/* one local file and where it goes */
typedef struct {
	gchar *local_path; /* absolute */
	gchar *path;	   /* in the repo */
	guint64 size;
	gint64 mtime_ns;
	guint64 inode;
} HfhubUploadSource;

void
hfhub_upload_source_free(HfhubUploadSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubUploadSource, hfhub_upload_source_free)

/* A path in the repo that a commit may write: hfhub_repo_file_path_validate()
 * (relative, no "..", no leading "/", …) and no ".git" or ".cache" segment
 * (huggingface_hub refuses those folders too). With @folder, "" (the root)
 * is fine and a trailing "/" is allowed. HFHUB_ERROR_UNSAFE_PATH. */
gboolean
hfhub_upload_path_validate(const gchar *path, gboolean folder, GError **error);

/* TRUE when @relpath (relative to the uploaded folder) is ignored by
 * default: a ".git" segment or a ".cache/huggingface" folder. */
gboolean
hfhub_upload_default_ignored(const gchar *relpath);

/* The files of @local_path (a file or a folder, absolute) with their paths
 * in the repo under @path_in_repo ("" is the root; for a file, "" means its
 * base name), sorted by path. Fails with HFHUB_ERROR_UNSAFE_PATH for a path
 * the Hub would refuse, HFHUB_ERROR_INVALID_ARGUMENT when the Hub's limits
 * are broken, HFHUB_ERROR_ENTRY_NOT_FOUND when @local_path is missing,
 * HFHUB_ERROR_IO when the files cannot be read. May be empty (everything
 * was filtered out). Element type HfhubUploadSource. */
GPtrArray *
hfhub_upload_scan(const gchar *local_path, const gchar *path_in_repo, const gchar *const *include,
		  const gchar *const *exclude, GCancellable *cancellable, GError **error);

G_END_DECLS
