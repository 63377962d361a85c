#include "config.h"

#define G_LOG_DOMAIN "HfhubUploadScan"

#include "hfhub-upload-scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "hfhub-error.h"
#include "hfhub-filter.h"
#include "hfhub-repo-path.h"

void
hfhub_upload_source_free(HfhubUploadSource *src)
{
	if (src == NULL)
		return;
	g_free(src->local_path);
	g_free(src->path);
	g_free(src);
}

gboolean
hfhub_upload_path_validate(const gchar *path, gboolean folder, GError **error)
{
	g_autofree gchar *trimmed = g_strdup(path);
	g_auto(GStrv) segments = NULL;

	if (folder) {
		if (*trimmed == '\0')
			return TRUE;
		/* "dir/" names the folder "dir" */
		if (g_str_has_suffix(trimmed, "/") && !g_str_has_suffix(trimmed, "//"))
			trimmed[strlen(trimmed) - 1] = '\0';
	}
	if (!hfhub_repo_file_path_validate(trimmed, error))
		return FALSE;
	segments = g_strsplit(trimmed, "/", -1);
	for (guint i = 0; segments[i] != NULL; i++) {
		if (g_str_equal(segments[i], ".git") || g_str_equal(segments[i], ".cache")) {
			g_autofree gchar *shown = hfhub_path_escape_for_message(path);
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH,
				    "“%s”: the Hub does not accept files in a “%s” folder; "
				    "exclude them (e.g. --exclude '%s/*')",
				    shown, segments[i], segments[i]);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
hfhub_upload_default_ignored(const gchar *relpath)
{
	g_auto(GStrv) segments = g_strsplit(relpath, "/", -1);

	for (guint i = 0; segments[i] != NULL; i++) {
		if (g_str_equal(segments[i], ".git"))
			return TRUE;
		if (g_str_equal(segments[i], ".cache") && segments[i + 1] != NULL &&
		    g_str_equal(segments[i + 1], "huggingface"))
			return TRUE;
	}
	return FALSE;
}

static gint64
mtime_ns_of(const struct stat *st)
{
	return (gint64)st->st_mtim.tv_sec * G_GINT64_CONSTANT(1000000000) + st->st_mtim.tv_nsec;
}

static HfhubUploadSource *
source_new(const gchar *local_path, const gchar *path, const struct stat *st)
{
	HfhubUploadSource *src = g_new0(HfhubUploadSource, 1);

	src->local_path = g_strdup(local_path);
	src->path = g_strdup(path);
	src->size = (guint64)st->st_size;
	src->mtime_ns = mtime_ns_of(st);
	src->inode = (guint64)st->st_ino;
	return src;
}

static gboolean
io_error(GError **error, const gchar *path, gint errsv)
{
	g_autofree gchar *shown = hfhub_path_escape_for_message(path);

	g_set_error(error, HFHUB_ERROR,
		    errsv == ENOENT ? HFHUB_ERROR_ENTRY_NOT_FOUND : HFHUB_ERROR_IO,
		    "cannot read “%s”: %s", shown, g_strerror(errsv));
	return FALSE;
}

typedef struct {
	const gchar *root;
	const gchar *prefix; /* path in the repo of the folder, "" for the root */
	const gchar *const *include;
	const gchar *const *exclude;
	GCancellable *cancellable;
	GPtrArray *out;
} Walk;

static gchar *
join_rel(const gchar *a, const gchar *b)
{
	return *a == '\0' ? g_strdup(b) : g_strconcat(a, "/", b, NULL);
}

static gboolean
walk_dir(Walk *w, const gchar *rel, GError **error)
{
	g_autofree gchar *dir_path =
		*rel == '\0' ? g_strdup(w->root) : g_build_filename(w->root, rel, NULL);
	DIR *dir;
	struct dirent *ent;
	g_autoptr(GPtrArray) subdirs = g_ptr_array_new_with_free_func(g_free);
	gboolean ok = TRUE;

	if (g_cancellable_set_error_if_cancelled(w->cancellable, error)) {
		hfhub_error_convert(error);
		return FALSE;
	}
	dir = opendir(dir_path);
	if (dir == NULL)
		return io_error(error, dir_path, errno);
	while (ok && (errno = 0, ent = readdir(dir)) != NULL) {
		g_autofree gchar *child_rel = NULL;
		g_autofree gchar *child_path = NULL;
		struct stat st;

		if (g_str_equal(ent->d_name, ".") || g_str_equal(ent->d_name, ".."))
			continue;
		child_rel = join_rel(rel, ent->d_name);
		if (hfhub_upload_default_ignored(child_rel))
			continue;
		child_path = g_build_filename(w->root, child_rel, NULL);
		if (lstat(child_path, &st) != 0) {
			ok = io_error(error, child_path, errno);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			g_ptr_array_add(subdirs, g_steal_pointer(&child_rel));
			continue;
		}
		/* a link to a file uploads the file; links to folders are not
		 * followed, so a loop cannot make the walk endless */
		if (S_ISLNK(st.st_mode) && (stat(child_path, &st) != 0 || !S_ISREG(st.st_mode)))
			continue;
		if (!S_ISREG(st.st_mode))
			continue; /* sockets, fifos, devices */
		if (!g_utf8_validate(child_rel, -1, NULL)) {
			g_autofree gchar *shown = hfhub_path_escape_for_message(child_rel);
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH,
				    "“%s” is not a valid UTF-8 name: the Hub needs UTF-8 paths; "
				    "rename it or exclude it",
				    shown);
			ok = FALSE;
			break;
		}
		if (!hfhub_filter_match(child_rel, w->include, w->exclude))
			continue;
		{
			g_autofree gchar *path = join_rel(w->prefix, child_rel);
			g_ptr_array_add(w->out, source_new(child_path, path, &st));
		}
	}
	if (ok && ent == NULL && errno != 0)
		ok = io_error(error, dir_path, errno);
	closedir(dir);
	for (guint i = 0; ok && i < subdirs->len; i++)
		ok = walk_dir(w, g_ptr_array_index(subdirs, i), error);
	return ok;
}

static gint
compare_sources(gconstpointer a, gconstpointer b)
{
	const HfhubUploadSource *sa = *(HfhubUploadSource **)a;
	const HfhubUploadSource *sb = *(HfhubUploadSource **)b;

	return strcmp(sa->path, sb->path);
}

/* every folder of the repo that the upload writes into keeps at most
 * HFHUB_UPLOAD_MAX_FOLDER_ENTRIES entries (files and subfolders) */
static gboolean
check_limits(GPtrArray *sources, GError **error)
{
	g_autoptr(GHashTable) entries =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter iter;
	gpointer key, value;

	for (guint i = 0; i < sources->len; i++) {
		HfhubUploadSource *src = g_ptr_array_index(sources, i);
		g_autofree gchar *path = g_strdup(src->path);
		gchar *slash;

		if (src->size > HFHUB_UPLOAD_MAX_FILE_SIZE) {
			g_autofree gchar *shown = hfhub_path_escape_for_message(src->local_path);
			g_autofree gchar *size = g_format_size(src->size);
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "“%s” is %s: the Hub refuses files over 50 GB; split it "
				    "into smaller files",
				    shown, size);
			return FALSE;
		}
		/* each (folder, entry) pair once: a/b/c.txt adds "a" to the
		 * root, "b" to "a" and "c.txt" to "a/b" */
		for (;;) {
			slash = strrchr(path, '/');
			if (g_hash_table_contains(entries, path))
				break;
			g_hash_table_add(entries, g_strdup(path));
			if (slash != NULL)
				*slash = '\0';
			{
				const gchar *parent = slash != NULL ? path : "";
				guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, parent));

				g_hash_table_insert(counts, g_strdup(parent),
						    GUINT_TO_POINTER(n + 1));
			}
			if (slash == NULL)
				break;
		}
	}
	g_hash_table_iter_init(&iter, counts);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		if (GPOINTER_TO_UINT(value) > HFHUB_UPLOAD_MAX_FOLDER_ENTRIES) {
			g_autofree gchar *shown = hfhub_path_escape_for_message(key);
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "the folder “%s” of the repo would hold %u entries: the Hub "
				    "allows at most %u per folder; spread the files over "
				    "subfolders",
				    *(gchar *)key == '\0' ? "/" : shown, GPOINTER_TO_UINT(value),
				    HFHUB_UPLOAD_MAX_FOLDER_ENTRIES);
			return FALSE;
		}
	}
	return TRUE;
}

GPtrArray *
hfhub_upload_scan(const gchar *local_path, const gchar *path_in_repo, const gchar *const *include,
		  const gchar *const *exclude, GCancellable *cancellable, GError **error)
{
	g_autoptr(GPtrArray) out =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_upload_source_free);
	g_autofree gchar *prefix = g_strdup(path_in_repo != NULL ? path_in_repo : "");
	struct stat st;

	while (g_str_has_suffix(prefix, "/"))
		prefix[strlen(prefix) - 1] = '\0';
	if (stat(local_path, &st) != 0) {
		io_error(error, local_path, errno);
		return NULL;
	}
	if (S_ISREG(st.st_mode)) {
		g_autofree gchar *base = g_path_get_basename(local_path);
		const gchar *path = *prefix != '\0' ? prefix : base;

		if (!hfhub_upload_path_validate(path, FALSE, error))
			return NULL;
		g_ptr_array_add(out, source_new(local_path, path, &st));
	} else if (S_ISDIR(st.st_mode)) {
		Walk w = { local_path, prefix, include, exclude, cancellable, out };

		if (!hfhub_upload_path_validate(prefix, TRUE, error))
			return NULL;
		if (!walk_dir(&w, "", error))
			return NULL;
		for (guint i = 0; i < out->len; i++) {
			HfhubUploadSource *src = g_ptr_array_index(out, i);
			if (!hfhub_upload_path_validate(src->path, FALSE, error))
				return NULL;
		}
	} else {
		g_autofree gchar *shown = hfhub_path_escape_for_message(local_path);
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "“%s” is neither a file nor a folder", shown);
		return NULL;
	}
	g_ptr_array_sort(out, compare_sources);
	if (!check_limits(out, error))
		return NULL;
	return g_steal_pointer(&out);
}
