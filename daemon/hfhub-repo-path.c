/* Names that become paths: see hfhub-repo-path.h. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubRepoPath"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-repo-path.h"

#define REPO_ID_PART_MAX 96
#define MESSAGE_MAX	 256

gchar *
hfhub_path_escape_for_message(const gchar *s)
{
	g_autofree gchar *escaped = NULL;

	if (s == NULL)
		return g_strdup("(null)");
	escaped = g_strescape(s, NULL);
	/* g_strescape output is ASCII, so a byte cut cannot split a character */
	if (strlen(escaped) > MESSAGE_MAX)
		return g_strdup_printf("%.*s…", MESSAGE_MAX, escaped);
	return g_steal_pointer(&escaped);
}

static gboolean
is_ascii_control(guchar c)
{
	return c < 0x20 || c == 0x7f;
}

/* ---- repo ids */

static gboolean
is_repo_id_word_char(gchar c)
{
	return g_ascii_isalnum(c) || c == '_';
}

static gboolean
is_repo_id_char(gchar c)
{
	return is_repo_id_word_char(c) || c == '-' || c == '.';
}

/* One part of a repo id, [start, start+len). Returns the problem or NULL. */
static const gchar *
repo_id_part_problem(const gchar *start, gsize len)
{
	if (len == 0)
		return "the namespace and the name must not be empty";
	if (len > REPO_ID_PART_MAX)
		return "the namespace and the name are at most 96 characters each";
	for (gsize i = 0; i < len; i++) {
		if (!is_repo_id_char(start[i]))
			return "only letters, digits, '-', '_' and '.' are allowed";
	}
	if (!is_repo_id_word_char(start[0]) || !is_repo_id_word_char(start[len - 1]))
		return "the namespace and the name must not start or end with '-' or '.'";
	return NULL;
}

static const gchar *
repo_id_problem(const gchar *repo_id)
{
	const gchar *slash;
	const gchar *name;
	const gchar *problem = NULL;

	if (repo_id == NULL || *repo_id == '\0')
		return "it must not be empty";
	slash = strchr(repo_id, '/');
	if (slash != NULL && strchr(slash + 1, '/') != NULL)
		return "it must be 'name' or 'namespace/name' (the repo type is given separately)";
	name = slash != NULL ? slash + 1 : repo_id;
	if (slash != NULL)
		problem = repo_id_part_problem(repo_id, slash - repo_id);
	if (problem == NULL)
		problem = repo_id_part_problem(name, strlen(name));
	if (problem != NULL)
		return problem;
	if (strstr(repo_id, "--") != NULL || strstr(repo_id, "..") != NULL)
		return "'--' and '..' are not allowed";
	if (g_str_has_suffix(repo_id, ".git"))
		return "it must not end with '.git'";
	return NULL;
}

gboolean
hfhub_repo_id_validate(const gchar *repo_id, GError **error)
{
	const gchar *problem = repo_id_problem(repo_id);
	g_autofree gchar *shown = NULL;

	if (problem == NULL)
		return TRUE;
	shown = hfhub_path_escape_for_message(repo_id);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "Invalid repo id “%s”: %s",
		    shown, problem);
	return FALSE;
}

/* ---- revisions */

static gboolean
is_git_ref_forbidden_char(guchar c)
{
	return is_ascii_control(c) || strchr(" ~^:?*[\\", c) != NULL;
}

/* the first problem @check finds in a '/'-separated segment of @path */
typedef const gchar *(*SegmentCheck)(const gchar *seg, gsize len);

static const gchar *
each_segment_problem(const gchar *path, SegmentCheck check)
{
	const gchar *seg = path;

	while (TRUE) {
		const gchar *end = strchr(seg, '/');
		const gchar *problem = check(seg, end != NULL ? (gsize)(end - seg) : strlen(seg));

		if (problem != NULL || end == NULL)
			return problem;
		seg = end + 1;
	}
}

static const gchar *
revision_segment_problem(const gchar *seg, gsize len)
{
	if (len == 0)
		return "it must not have an empty segment (leading, trailing or double '/')";
	if (seg[0] == '.')
		return "a segment must not start with '.'";
	if (len >= 5 && memcmp(seg + len - 5, ".lock", 5) == 0)
		return "a segment must not end with '.lock'";
	return NULL;
}

static const gchar *
revision_problem(const gchar *revision)
{
	gsize len;

	if (revision == NULL || *revision == '\0')
		return "it must not be empty";
	len = strlen(revision);
	if (len > HFHUB_REVISION_MAX)
		return "it is longer than 256 bytes";
	if (!g_utf8_validate(revision, len, NULL))
		return "it is not valid UTF-8";
	for (const gchar *p = revision; *p != '\0'; p++) {
		if (is_git_ref_forbidden_char((guchar)*p))
			return "control characters, space and ~^:?*[\\ are not allowed";
	}
	if (strstr(revision, "..") != NULL || strstr(revision, "@{") != NULL ||
	    g_str_equal(revision, "@"))
		return "'..', '@{' and '@' are not allowed";
	if (g_str_has_suffix(revision, "."))
		return "it must not end with '.'";
	return each_segment_problem(revision, revision_segment_problem);
}

gboolean
hfhub_revision_validate(const gchar *revision, GError **error)
{
	const gchar *problem = revision_problem(revision);
	g_autofree gchar *shown = NULL;

	if (problem == NULL)
		return TRUE;
	shown = hfhub_path_escape_for_message(revision);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "Invalid revision “%s”: %s",
		    shown, problem);
	return FALSE;
}

/* ---- file paths */

static const gchar *
file_segment_problem(const gchar *seg, gsize len)
{
	if (len == 0)
		return "it has an empty segment (leading, trailing or double '/')";
	if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
		return "'.' and '..' segments are not allowed";
	if (len > HFHUB_REPO_SEGMENT_MAX)
		return "a segment is longer than 255 bytes";
	return NULL;
}

static const gchar *
file_path_problem(const gchar *path)
{
	gsize len;

	if (path == NULL || *path == '\0')
		return "it is empty";
	len = strlen(path);
	if (len > HFHUB_REPO_PATH_MAX)
		return "it is longer than 4096 bytes";
	if (path[0] == '/')
		return "it is absolute";
	if (!g_utf8_validate(path, len, NULL))
		return "it is not valid UTF-8";
	for (const gchar *p = path; *p != '\0'; p++) {
		if (*p == '\\')
			return "backslashes are not allowed";
		if (is_ascii_control((guchar)*p))
			return "control characters are not allowed";
	}
	return each_segment_problem(path, file_segment_problem);
}

gboolean
hfhub_repo_file_path_validate(const gchar *path, GError **error)
{
	const gchar *problem = file_path_problem(path);
	g_autofree gchar *shown = NULL;

	if (problem == NULL)
		return TRUE;
	shown = hfhub_path_escape_for_message(path);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH,
		    "Refusing the unsafe file path “%s”: %s", shown, problem);
	return FALSE;
}

/* ---- etags */

static const gchar *
etag_problem(const gchar *etag)
{
	gsize len;

	if (etag == NULL || *etag == '\0')
		return "it is empty";
	len = strlen(etag);
	if (len > HFHUB_ETAG_MAX)
		return "it is longer than 200 bytes";
	if (!g_utf8_validate(etag, len, NULL))
		return "it is not valid UTF-8";
	/* also rules out "." and ".."; our temporary files start with "." */
	if (etag[0] == '.')
		return "it starts with '.'";
	for (const gchar *p = etag; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\' || is_ascii_control((guchar)*p))
			return "it contains '/', '\\' or a control character";
	}
	/* "<etag>.incomplete" files are partial downloads to the cache tools */
	if (g_str_has_suffix(etag, ".incomplete"))
		return "it ends with '.incomplete'";
	return NULL;
}

gboolean
hfhub_etag_validate(const gchar *etag, GError **error)
{
	const gchar *problem = etag_problem(etag);
	g_autofree gchar *shown = NULL;

	if (problem == NULL)
		return TRUE;
	shown = hfhub_path_escape_for_message(etag);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH,
		    "Refusing the unsafe etag “%s”: %s", shown, problem);
	return FALSE;
}

gboolean
hfhub_is_commit_hash(const gchar *s)
{
	guint i;

	if (s == NULL)
		return FALSE;
	for (i = 0; s[i] != '\0'; i++) {
		if (!g_ascii_isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return FALSE;
	}
	return i == 40;
}

gchar *
hfhub_repo_folder_name(HfhubRepoType type, const gchar *repo_id)
{
	g_auto(GStrv) parts = NULL;
	g_autofree gchar *joined = NULL;

	g_return_val_if_fail(type < HFHUB_REPO_TYPE_LAST, NULL);
	g_return_val_if_fail(repo_id != NULL, NULL);

	parts = g_strsplit(repo_id, "/", -1);
	joined = g_strjoinv("--", parts);
	return g_strdup_printf("%ss--%s", hfhub_repo_type_to_string(type), joined);
}

/* ---- containment */

static gboolean
set_io_error(GError **error, gint errsv, const gchar *what, const gchar *path)
{
	g_autofree gchar *shown = hfhub_path_escape_for_message(path);

	g_set_error(error, HFHUB_ERROR, errsv == ENOSPC ? HFHUB_ERROR_DISK_FULL : HFHUB_ERROR_IO,
		    "%s “%s”: %s", what, shown, g_strerror(errsv));
	return FALSE;
}

/* the deepest ancestor of @path (starting with its parent) that exists */
static gchar *
deepest_existing_parent(const gchar *path, GError **error)
{
	g_autofree gchar *cur = g_path_get_dirname(path);

	while (TRUE) {
		GStatBuf st;
		gchar *parent;

		if (g_lstat(cur, &st) == 0)
			return g_steal_pointer(&cur);
		if (errno != ENOENT && errno != ENOTDIR) {
			set_io_error(error, errno, "Could not inspect", cur);
			return NULL;
		}
		parent = g_path_get_dirname(cur);
		if (g_str_equal(parent, cur)) {
			g_free(parent);
			set_io_error(error, ENOENT, "Could not inspect", path);
			return NULL;
		}
		g_free(cur);
		cur = parent;
	}
}

static gboolean
is_same_or_below(const gchar *root, const gchar *path)
{
	gsize n = strlen(root);

	if (g_str_equal(root, "/"))
		return TRUE;
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

gboolean
hfhub_path_check_inside(const gchar *root, const gchar *path, GError **error)
{
	g_autofree gchar *root_real = NULL;
	g_autofree gchar *deepest = NULL;
	g_autofree gchar *deepest_real = NULL;
	g_autofree gchar *shown = NULL;
	g_autofree gchar *shown_root = NULL;

	g_return_val_if_fail(root != NULL && path != NULL, FALSE);

	shown = hfhub_path_escape_for_message(path);
	shown_root = hfhub_path_escape_for_message(root);
	if (!is_same_or_below(root, path) || g_str_equal(root, path)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH,
			    "Refusing to write “%s”: it is not below “%s”", shown, shown_root);
		return FALSE;
	}
	root_real = realpath(root, NULL);
	if (root_real == NULL) {
		if (errno == ENOENT)
			return TRUE;
		return set_io_error(error, errno, "Could not resolve", root);
	}
	deepest = deepest_existing_parent(path, error);
	if (deepest == NULL)
		return FALSE;
	deepest_real = realpath(deepest, NULL);
	if (deepest_real == NULL)
		return set_io_error(error, errno, "Could not resolve", deepest);
	if (is_same_or_below(root_real, deepest_real))
		return TRUE;
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH,
		    "Refusing to write “%s”: a symbolic link in its directories leads out of “%s”",
		    shown, shown_root);
	return FALSE;
}
