/* local_dir downloads, laid out as huggingface_hub writes them (spec §4):
 *
 *   <local_dir>/<file>                                    the file itself
 *   <local_dir>/.cache/huggingface/.gitignore             "*"
 *   <local_dir>/.cache/huggingface/CACHEDIR.TAG
 *   <local_dir>/.cache/huggingface/download/<file>.metadata
 *   <local_dir>/.cache/huggingface/download/<file>.lock
 *   <local_dir>/.cache/huggingface/download/<dir>/<b64>.<etag>.incomplete
 *
 * where <b64> is urlsafe base64 (with "=") of the sha1 of "<basename>.metadata".
 * The metadata file is three lines: commit, etag, and the UNIX time it was
 * written as a Python float, each ending with "\n".
 *
 * Every function validates @file (hfhub_repo_file_path_validate) before joining
 * it, then checks that no existing directory on the way is a symlink leading
 * out of @local_dir (HFHUB_ERROR_UNSAFE_PATH). None of them takes the lock:
 * the caller holds hfhub_file_lock_acquire(<lock path>) around the whole
 * check-download-publish-write sequence, as huggingface_hub does (a second
 * flock() on the same file from this process would wait for ourselves).
 * Synchronous, thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar *
hfhub_local_dir_file_path(const gchar *local_dir, const gchar *file, GError **error);
gchar *
hfhub_local_dir_metadata_path(const gchar *local_dir, const gchar *file, GError **error);
gchar *
hfhub_local_dir_lock_path(const gchar *local_dir, const gchar *file, GError **error);
/* the stable name huggingface_hub used before v1.18 (a restart can resume it;
 * write it only under the lock) */
gchar *
hfhub_local_dir_incomplete_path(const gchar *local_dir, const gchar *file, const gchar *etag,
				GError **error);
/* "<b64>.<etag>.<8 hex>.incomplete", fresh each call, as huggingface_hub ≥ 1.18 */
gchar *
hfhub_local_dir_incomplete_path_unique(const gchar *local_dir, const gchar *file, const gchar *etag,
				       GError **error);

/* Creates .cache/huggingface/ with its .gitignore ("*") and CACHEDIR.TAG when
 * missing. hfhub_local_dir_write_metadata() calls it. */
gboolean
hfhub_local_dir_ensure_layout(const gchar *local_dir, GError **error);

/* TRUE and the three fields (each out parameter may be NULL) when the
 * metadata file exists and parses. FALSE without error when it does not
 * exist, or does not parse, in which case it is deleted, as Python does.
 * FALSE with an error when it cannot be read. */
gboolean
hfhub_local_dir_read_metadata(const gchar *local_dir, const gchar *file, gchar **commit,
			      gchar **etag, gdouble *timestamp, GError **error);
/* Writes "<commit>\n<etag>\n<now>\n" to a temporary file and renames it over
 * the metadata file. @commit must be a commit hash and @etag a safe etag. */
gboolean
hfhub_local_dir_write_metadata(const gchar *local_dir, const gchar *file, const gchar *commit,
			       const gchar *etag, GError **error);
/* The metadata's etag is @etag, <local_dir>/<file> is a regular file of @size
 * bytes and was not modified after the metadata was written (Python's test:
 * st_mtime - 1 <= timestamp, the second allowing for coarse mtimes). */
gboolean
hfhub_local_dir_is_up_to_date(const gchar *local_dir, const gchar *file, const gchar *etag,
			      guint64 size);

/* Moves the finished @incomplete_path to <local_dir>/<file>: creates the
 * directories, fsync()s, gives it the mode of a new file there and rename()s
 * it over whatever was there. */
gboolean
hfhub_local_dir_publish(const gchar *local_dir, const gchar *incomplete_path, const gchar *file,
			GError **error);

G_END_DECLS
