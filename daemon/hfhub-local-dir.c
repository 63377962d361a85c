/* local_dir mode: see hfhub-local-dir.h.
 *
 * From huggingface_hub's _local_folder.py: the lock is the metadata path with
 * its ".metadata" suffix replaced by ".lock"; the incomplete file sits next to
 * the metadata under a short hash of the metadata's name (so that long file
 * names stay under NAME_MAX); metadata is written as
 * f"{commit_hash}\n{etag}\n{time.time()}\n" and read back line by line with
 * strip(), the third line with float(). Python writes the metadata in place;
 * we write a temporary file and rename it so that a crash cannot leave a
 * half-written one. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubLocalDir"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hfhub-cache.h"
#include "hfhub-error.h"
#include "hfhub-local-dir.h"
#include "hfhub-repo-path.h"

static gchar *
huggingface_dir(const gchar *local_dir)
{
	return g_build_filename(local_dir, ".cache", "huggingface", NULL);
}

/* @local_dir + @prefix + @file + @suffix, checked on the way */
static gchar *
join_checked(const gchar *local_dir, const gchar *prefix, const gchar *file, const gchar *suffix,
	     GError **error)
{
	g_autofree gchar *joined = NULL;
	g_autofree gchar *with_suffix = NULL;

	g_return_val_if_fail(local_dir != NULL, NULL);

	if (!hfhub_repo_file_path_validate(file, error))
		return NULL;
	if (prefix != NULL)
		joined = g_build_filename(local_dir, prefix, file, NULL);
	else
		joined = g_build_filename(local_dir, file, NULL);
	with_suffix = g_strconcat(joined, suffix, NULL);
	if (!hfhub_path_check_inside(local_dir, with_suffix, error))
		return NULL;
	return g_steal_pointer(&with_suffix);
}

gchar *
hfhub_local_dir_file_path(const gchar *local_dir, const gchar *file, GError **error)
{
	return join_checked(local_dir, NULL, file, "", error);
}

#define DOWNLOAD_DIR ".cache/huggingface/download"

gchar *
hfhub_local_dir_metadata_path(const gchar *local_dir, const gchar *file, GError **error)
{
	return join_checked(local_dir, DOWNLOAD_DIR, file, ".metadata", error);
}

gchar *
hfhub_local_dir_lock_path(const gchar *local_dir, const gchar *file, GError **error)
{
	return join_checked(local_dir, DOWNLOAD_DIR, file, ".lock", error);
}

/* base64.urlsafe_b64encode(hashlib.sha1(name.encode()).digest()).decode() */
static gchar *
short_hash(const gchar *name)
{
	g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 digest[20];
	gsize digest_len = sizeof(digest);
	gchar *b64;

	g_checksum_update(sha1, (const guchar *)name, -1);
	g_checksum_get_digest(sha1, digest, &digest_len);
	b64 = g_base64_encode(digest, digest_len);
	g_strdelimit(b64, "+", '-');
	g_strdelimit(b64, "/", '_');
	return b64;
}

static gchar *
incomplete_path(const gchar *local_dir, const gchar *file, const gchar *etag, gboolean unique,
		GError **error)
{
	g_autofree gchar *metadata = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *base = NULL;
	g_autofree gchar *hash = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *name = NULL;

	if (!hfhub_etag_validate(etag, error))
		return NULL;
	metadata = hfhub_local_dir_metadata_path(local_dir, file, error);
	if (metadata == NULL)
		return NULL;
	dir = g_path_get_dirname(metadata);
	base = g_path_get_basename(metadata);
	hash = short_hash(base);
	hex = unique ? hfhub_fs_random_hex8() : NULL;
	name = g_strconcat(hash, ".", etag, unique ? "." : "", unique ? hex : "", ".incomplete",
			   NULL);
	return g_build_filename(dir, name, NULL);
}

gchar *
hfhub_local_dir_incomplete_path(const gchar *local_dir, const gchar *file, const gchar *etag,
				GError **error)
{
	return incomplete_path(local_dir, file, etag, FALSE, error);
}

gchar *
hfhub_local_dir_incomplete_path_unique(const gchar *local_dir, const gchar *file, const gchar *etag,
				       GError **error)
{
	return incomplete_path(local_dir, file, etag, TRUE, error);
}

static gboolean
write_if_missing(const gchar *dir, const gchar *name, const gchar *contents, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, name, NULL);

	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	return hfhub_fs_write_atomic(dir, path, contents, -1, error);
}

gboolean
hfhub_local_dir_ensure_layout(const gchar *local_dir, GError **error)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *probe = NULL;

	g_return_val_if_fail(local_dir != NULL, FALSE);

	dir = huggingface_dir(local_dir);
	probe = g_build_filename(dir, ".gitignore", NULL);
	if (!hfhub_path_check_inside(local_dir, probe, error) ||
	    !hfhub_fs_ensure_parent(probe, error))
		return FALSE;
	return write_if_missing(dir, ".gitignore", "*", error) &&
	       hfhub_fs_ensure_cachedir_tag(dir, error);
}

/* ---- metadata */

/* Python's float(): the whole (stripped) line must be a number */
static gboolean
parse_python_float(const gchar *s, gdouble *value)
{
	gchar *end = NULL;

	if (*s == '\0')
		return FALSE;
	errno = 0;
	*value = g_ascii_strtod(s, &end);
	return end != NULL && *end == '\0' && errno != ERANGE;
}

/* the third line is required, further ones are ignored, as readline() does */
static gboolean
parse_metadata(gchar *contents, gchar **commit, gchar **etag, gdouble *timestamp)
{
	g_auto(GStrv) lines = g_strsplit(contents, "\n", 4);

	if (g_strv_length(lines) < 3)
		return FALSE;
	for (guint i = 0; i < 3; i++)
		g_strstrip(lines[i]);
	if (!parse_python_float(lines[2], timestamp))
		return FALSE;
	*commit = g_strdup(lines[0]);
	*etag = g_strdup(lines[1]);
	return TRUE;
}

gboolean
hfhub_local_dir_read_metadata(const gchar *local_dir, const gchar *file, gchar **commit,
			      gchar **etag, gdouble *timestamp, GError **error)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *contents = NULL;
	g_autofree gchar *parsed_commit = NULL;
	g_autofree gchar *parsed_etag = NULL;
	g_autoptr(GError) local_error = NULL;
	gdouble parsed_timestamp = 0;

	path = hfhub_local_dir_metadata_path(local_dir, file, error);
	if (path == NULL)
		return FALSE;
	if (!g_file_get_contents(path, &contents, NULL, &local_error)) {
		if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return FALSE;
		hfhub_error_convert(&local_error);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	if (!parse_metadata(contents, &parsed_commit, &parsed_etag, &parsed_timestamp)) {
		g_debug("removing the unparsable metadata %s", path);
		if (g_unlink(path) != 0)
			g_debug("could not remove %s: %s", path, g_strerror(errno));
		return FALSE;
	}
	if (commit != NULL)
		*commit = g_steal_pointer(&parsed_commit);
	if (etag != NULL)
		*etag = g_steal_pointer(&parsed_etag);
	if (timestamp != NULL)
		*timestamp = parsed_timestamp;
	return TRUE;
}

/* str(float) in Python: the shortest decimal that reads back as @value,
 * always with a fraction ("1712656091.0"); plain notation as for any
 * plausible timestamp */
static gchar *
format_python_float(gdouble value)
{
	gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

	for (guint decimals = 0; decimals <= 17; decimals++) {
		g_autofree gchar *format = g_strdup_printf("%%.%uf", decimals);

		g_ascii_formatd(buf, sizeof(buf), format, value);
		if (g_ascii_strtod(buf, NULL) == value)
			return decimals == 0 ? g_strconcat(buf, ".0", NULL) : g_strdup(buf);
	}
	return g_strdup(buf);
}

static gboolean
check_metadata_fields(const gchar *commit, const gchar *etag, GError **error)
{
	g_autofree gchar *shown = NULL;

	if (!hfhub_etag_validate(etag, error))
		return FALSE;
	if (hfhub_is_commit_hash(commit))
		return TRUE;
	shown = hfhub_path_escape_for_message(commit);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
		    "“%s” is not a commit hash (40 lowercase hex digits)", shown);
	return FALSE;
}

gboolean
hfhub_local_dir_write_metadata(const gchar *local_dir, const gchar *file, const gchar *commit,
			       const gchar *etag, GError **error)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *now = NULL;
	g_autofree gchar *contents = NULL;

	if (!check_metadata_fields(commit, etag, error))
		return FALSE;
	path = hfhub_local_dir_metadata_path(local_dir, file, error);
	if (path == NULL || !hfhub_local_dir_ensure_layout(local_dir, error) ||
	    !hfhub_fs_ensure_parent(path, error))
		return FALSE;
	dir = g_path_get_dirname(path);
	now = format_python_float((gdouble)g_get_real_time() / G_USEC_PER_SEC);
	contents = g_strdup_printf("%s\n%s\n%s\n", commit, etag, now);
	return hfhub_fs_write_atomic(dir, path, contents, -1, error);
}

static gdouble
stat_mtime(const GStatBuf *st)
{
	return (gdouble)st->st_mtim.tv_sec + (gdouble)st->st_mtim.tv_nsec / 1e9;
}

gboolean
hfhub_local_dir_is_up_to_date(const gchar *local_dir, const gchar *file, const gchar *etag,
			      guint64 size)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *meta_etag = NULL;
	gdouble timestamp = 0;
	GStatBuf st;

	if (etag == NULL ||
	    !hfhub_local_dir_read_metadata(local_dir, file, NULL, &meta_etag, &timestamp, NULL) ||
	    !g_str_equal(meta_etag, etag))
		return FALSE;
	path = hfhub_local_dir_file_path(local_dir, file, NULL);
	if (path == NULL || g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return FALSE;
	return (guint64)st.st_size == size && stat_mtime(&st) - 1 <= timestamp;
}

gboolean
hfhub_local_dir_publish(const gchar *local_dir, const gchar *incomplete_path, const gchar *file,
			GError **error)
{
	g_autofree gchar *dest = NULL;

	g_return_val_if_fail(incomplete_path != NULL, FALSE);

	dest = hfhub_local_dir_file_path(local_dir, file, error);
	if (dest == NULL || !hfhub_fs_ensure_parent(dest, error))
		return FALSE;
	return hfhub_fs_publish_file(incomplete_path, dest, error);
}
