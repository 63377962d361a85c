#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheScan"

#include "hfhub-cache-scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-error.h"

/* what huggingface_hub skips, at the root and in snapshots/ and refs/ */
static const gchar *const files_to_ignore[] = { ".DS_Store", "Thumbs.db", "desktop.ini", NULL };

/* below this many root entries, threads cost more than they save */
#define PARALLEL_MIN_ENTRIES 8

typedef struct {
	const gchar *cache_dir;
	gint root_fd;
	HfhubCacheScanFlags flags;
	GCancellable *cancellable;
} ScanCtx;

/* one entry of the root, scanned by one worker */
typedef struct {
	ScanCtx *ctx;
	gchar *name;
	HfhubCacheRepoInfo *repo;
	HfhubCacheWarning *warning;
	GPtrArray *incomplete;
} Entry;

/* a repo being scanned */
typedef struct {
	ScanCtx *ctx;
	HfhubCacheRepoInfo *repo;
	gint repo_fd;
	gint blobs_fd;	     /* -1 until needed, -2 when there is none */
	gchar *blobs_prefix; /* "<repo>/blobs/" */
	GHashTable *by_name; /* blob name in blobs/ → index + 1 */
	GHashTable *by_path; /* other blob paths → index + 1 */
	HfhubCacheRevision *rev;
	GString *rel;	/* path of the current dir in the snapshot, "" or "a/b/" */
	guint depth;	/* directories in rel */
	gchar *corrupt; /* why the repo is skipped; stops the walk */
	gchar *corrupt_path;
} RepoScan;

static gdouble
ts(const struct timespec *t)
{
	return (gdouble)t->tv_sec + (gdouble)t->tv_nsec / 1e9;
}

static gboolean
ignored(const gchar *name)
{
	return g_strv_contains(files_to_ignore, name);
}

static gboolean
is_dot(const gchar *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* ---- the result's memory */

static void
blob_free(HfhubCacheBlob *blob)
{
	g_free(blob->path);
	g_free(blob);
}

static void
file_clear(HfhubCacheFile *file)
{
	g_free(file->path);
}

static void
revision_free(HfhubCacheRevision *rev)
{
	g_free(rev->commit);
	g_free(rev->path);
	g_ptr_array_unref(rev->refs);
	g_array_unref(rev->files);
	g_free(rev);
}

static void
repo_free(HfhubCacheRepoInfo *repo)
{
	if (repo == NULL)
		return;
	g_free(repo->folder);
	g_free(repo->path);
	g_free(repo->repo_type);
	g_free(repo->repo_id);
	g_free(repo->cache_id);
	g_ptr_array_unref(repo->revisions);
	g_ptr_array_unref(repo->blobs);
	g_free(repo);
}

static void
incomplete_free(HfhubCacheIncomplete *inc)
{
	if (inc == NULL)
		return;
	g_free(inc->path);
	g_free(inc->folder);
	g_free(inc);
}

static void
warning_free(HfhubCacheWarning *warning)
{
	if (warning == NULL)
		return;
	g_free(warning->path);
	g_free(warning->message);
	g_free(warning);
}

static HfhubCacheWarning *
warning_new(const gchar *path, gchar *message)
{
	HfhubCacheWarning *warning = g_new0(HfhubCacheWarning, 1);

	warning->path = g_strdup(path);
	warning->message = message;
	return warning;
}

/* ---- paths */

/* os.path.normpath() of an absolute path, in place: "." and ".." segments
 * are resolved lexically, as huggingface_hub does for a symlink's first hop */
static void
normalize_path(GString *path)
{
	gchar *out = path->str;
	const gchar *p = path->str;
	gsize len = 0;

	while (*p != '\0') {
		const gchar *seg;
		gsize seg_len;

		while (*p == '/')
			p++;
		seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		seg_len = (gsize)(p - seg);
		if (seg_len == 0 || (seg_len == 1 && seg[0] == '.'))
			continue;
		if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			continue;
		}
		out[len++] = '/';
		memmove(out + len, seg, seg_len);
		len += seg_len;
	}
	if (len == 0)
		out[len++] = '/';
	g_string_truncate(path, len);
}

/* the name of @path when it is directly in <repo>/blobs/, else NULL */
static const gchar *
name_in_blobs(RepoScan *rs, const gchar *path)
{
	const gchar *name;

	if (!g_str_has_prefix(path, rs->blobs_prefix))
		return NULL;
	name = path + strlen(rs->blobs_prefix);
	if (*name == '\0' || strchr(name, '/') != NULL)
		return NULL;
	return name;
}

static gint
blobs_fd(RepoScan *rs)
{
	if (rs->blobs_fd == -1) {
		rs->blobs_fd = openat(rs->repo_fd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rs->blobs_fd < 0)
			rs->blobs_fd = -2;
	}
	return rs->blobs_fd;
}

static void
set_corrupt(RepoScan *rs, const gchar *path, gchar *message)
{
	if (rs->corrupt != NULL) {
		g_free(message);
		return;
	}
	rs->corrupt = message;
	rs->corrupt_path = g_strdup(path);
}

/* ---- blobs */

static guint
add_blob(RepoScan *rs, GHashTable *table, const gchar *key, gchar *path, gboolean in_blobs,
	 const struct stat *st)
{
	HfhubCacheBlob *blob = g_new0(HfhubCacheBlob, 1);

	blob->path = path;
	blob->size = (guint64)st->st_size;
	blob->atime = ts(&st->st_atim);
	blob->mtime = ts(&st->st_mtim);
	blob->in_blobs = in_blobs;
	g_ptr_array_add(rs->repo->blobs, blob);
	/* keys point into the blob's path, which lives as long as the table */
	g_hash_table_insert(table, (gpointer)key, GUINT_TO_POINTER(rs->repo->blobs->len));
	return rs->repo->blobs->len - 1;
}

/* The blob <repo>/blobs/@name, stat()ed once. FALSE when it is a directory
 * (then the file is one too, and skipped); sets corrupt when missing. */
static gboolean
blob_by_name(RepoScan *rs, const gchar *name, guint *index)
{
	gpointer found = g_hash_table_lookup(rs->by_name, name);
	gchar *path;
	struct stat st;
	gint fd;

	if (found != NULL) {
		*index = GPOINTER_TO_UINT(found) - 1;
		return TRUE;
	}
	path = g_strconcat(rs->blobs_prefix, name, NULL);
	fd = blobs_fd(rs);
	if (fd < 0 || fstatat(fd, name, &st, 0) != 0) {
		set_corrupt(rs, path, g_strdup_printf("Blob missing (broken symlink): %s", path));
		g_free(path);
		return FALSE;
	}
	if (S_ISDIR(st.st_mode)) {
		g_free(path);
		return FALSE;
	}
	*index = add_blob(rs, rs->by_name, path + strlen(rs->blobs_prefix), path, TRUE, &st);
	return TRUE;
}

static gboolean
blob_by_path(RepoScan *rs, gchar *path, const struct stat *st, guint *index)
{
	gpointer found = g_hash_table_lookup(rs->by_path, path);

	if (found != NULL) {
		g_free(path);
		*index = GPOINTER_TO_UINT(found) - 1;
		return TRUE;
	}
	*index = add_blob(rs, rs->by_path, path, path, FALSE, st);
	return TRUE;
}

static void
add_file(RepoScan *rs, const gchar *name, guint index)
{
	HfhubCacheFile file = { NULL, index };

	if (rs->ctx->flags & HFHUB_CACHE_SCAN_FILES)
		file.path = g_strconcat(rs->rel->str, name, NULL);
	g_array_append_val(rs->rev->files, file);
}

/* "../../blobs/<name>", one more "../" per directory of the file: what
 * huggingface_hub and the JS client write. Its first hop is blobs/<name>
 * without normalizing anything. */
static const gchar *
fast_blob_name(RepoScan *rs, const gchar *target)
{
	const gchar *p = target;

	for (guint i = 0; i < rs->depth + 2; i++) {
		if (strncmp(p, "../", 3) != 0)
			return NULL;
		p += 3;
	}
	if (strncmp(p, "blobs/", 6) != 0)
		return NULL;
	p += 6;
	if (*p == '\0' || strchr(p, '/') != NULL || g_str_equal(p, ".") || g_str_equal(p, ".."))
		return NULL;
	return p;
}

/* A symlink in a snapshot: its first hop when that is in blobs/, else
 * realpath(), as huggingface_hub resolves it. */
static void
scan_link(RepoScan *rs, gint dir_fd, const gchar *name)
{
	gchar target[PATH_MAX + 1];
	gssize n = readlinkat(dir_fd, name, target, PATH_MAX);
	g_autoptr(GString) hop = NULL;
	g_autofree gchar *link_path = NULL;
	g_autofree gchar *real = NULL;
	const gchar *blob_name;
	struct stat st;
	guint index;

	if (n >= 0) {
		target[n] = '\0';
		blob_name = fast_blob_name(rs, target);
		if (blob_name != NULL) {
			if (blob_by_name(rs, blob_name, &index))
				add_file(rs, name, index);
			return;
		}
	}
	link_path = g_strconcat(rs->rev->path, "/", rs->rel->str, name, NULL);
	if (n < 0) {
		set_corrupt(rs, link_path,
			    g_strdup_printf("Cannot read symlink %s: %s", link_path,
					    g_strerror(errno)));
		return;
	}
	if (target[0] == '/') {
		hop = g_string_new(target);
	} else {
		hop = g_string_new(rs->rev->path);
		g_string_append_c(hop, '/');
		g_string_append(hop, rs->rel->str);
		g_string_append(hop, target);
	}
	normalize_path(hop);
	blob_name = name_in_blobs(rs, hop->str);
	if (blob_name != NULL) {
		if (blob_by_name(rs, blob_name, &index))
			add_file(rs, name, index);
		return;
	}
	real = realpath(link_path, NULL);
	if (real == NULL || stat(real, &st) != 0) {
		set_corrupt(rs, hop->str,
			    g_strdup_printf("Blob missing (broken symlink): %s", hop->str));
		return;
	}
	if (S_ISDIR(st.st_mode))
		return;
	blob_name = name_in_blobs(rs, real);
	if (blob_name != NULL) {
		if (blob_by_name(rs, blob_name, &index))
			add_file(rs, name, index);
		return;
	}
	blob_by_path(rs, g_steal_pointer(&real), &st, &index);
	add_file(rs, name, index);
}

/* A regular file in a snapshot: a copy (no-symlink mode), its own blob. */
static void
scan_copy(RepoScan *rs, gint dir_fd, const gchar *name)
{
	struct stat st;
	gchar *path = g_strconcat(rs->rev->path, "/", rs->rel->str, name, NULL);
	guint index;

	if (fstatat(dir_fd, name, &st, 0) != 0) {
		set_corrupt(rs, path,
			    g_strdup_printf("Cannot stat %s: %s", path, g_strerror(errno)));
		g_free(path);
		return;
	}
	blob_by_path(rs, path, &st, &index);
	add_file(rs, name, index);
}

/* Every non-directory below a snapshot, as Python's recursive glob sees it: real
 * directories are walked, symlinked ones are neither walked nor files. */
static void
scan_snapshot_dir(RepoScan *rs, gint dir_fd)
{
	DIR *dir = fdopendir(dir_fd);
	struct dirent *de;

	if (dir == NULL) {
		close(dir_fd);
		return;
	}
	while (rs->corrupt == NULL && (de = readdir(dir)) != NULL) {
		guchar type = de->d_type;

		if (is_dot(de->d_name))
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
		}
		if (type == DT_DIR) {
			gsize len = rs->rel->len;
			gint sub = openat(dirfd(dir), de->d_name,
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue;
			g_string_append(rs->rel, de->d_name);
			g_string_append_c(rs->rel, '/');
			rs->depth++;
			scan_snapshot_dir(rs, sub);
			rs->depth--;
			g_string_truncate(rs->rel, len);
		} else if (type == DT_LNK) {
			scan_link(rs, dirfd(dir), de->d_name);
		} else {
			scan_copy(rs, dirfd(dir), de->d_name);
		}
	}
	closedir(dir);
}

static gint
compare_file(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(((const HfhubCacheFile *)a)->path, ((const HfhubCacheFile *)b)->path);
}

static gint
compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

static void
scan_revision(RepoScan *rs, gint snapshots_fd, const gchar *name, GArray *seen)
{
	HfhubCacheRepoInfo *repo = rs->repo;
	HfhubCacheRevision *rev;
	g_autofree gchar *path = g_strconcat(repo->path, "/snapshots/", name, NULL);
	struct stat st;
	gint fd;

	/* is_file() follows symlinks; a dangling one is damage too */
	if (fstatat(snapshots_fd, name, &st, 0) != 0) {
		set_corrupt(rs, path, g_strdup_printf("Snapshot is a broken symlink: %s", path));
		return;
	}
	if (S_ISREG(st.st_mode)) {
		set_corrupt(rs, path,
			    g_strdup_printf("Snapshots folder corrupted. Found a file: %s", path));
		return;
	}
	rev = g_new0(HfhubCacheRevision, 1);
	rev->commit = g_strdup(name);
	rev->path = g_steal_pointer(&path);
	rev->refs = g_ptr_array_new_with_free_func(g_free);
	rev->files = g_array_new(FALSE, FALSE, sizeof(HfhubCacheFile));
	g_array_set_clear_func(rev->files, (GDestroyNotify)file_clear);
	g_ptr_array_add(repo->revisions, rev);
	rs->rev = rev;
	g_string_truncate(rs->rel, 0);
	rs->depth = 0;
	fd = S_ISDIR(st.st_mode) ? openat(snapshots_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				 : -1;
	if (fd >= 0)
		scan_snapshot_dir(rs, fd);
	if (rs->corrupt != NULL)
		return;

	/* unique blobs for the size (seen[] holds the revision number that
	 * counted each blob last); the newest for last_modified */
	if (seen->len < repo->blobs->len)
		g_array_set_size(seen, repo->blobs->len);
	if (rev->files->len == 0)
		rev->last_modified = ts(&st.st_mtim);
	for (guint i = 0; i < rev->files->len; i++) {
		guint b = g_array_index(rev->files, HfhubCacheFile, i).blob;
		HfhubCacheBlob *blob = g_ptr_array_index(repo->blobs, b);

		rev->last_modified = MAX(rev->last_modified, blob->mtime);
		if (g_array_index(seen, guint, b) != repo->revisions->len) {
			g_array_index(seen, guint, b) = repo->revisions->len;
			rev->size_on_disk += blob->size;
		}
	}
	if (rs->ctx->flags & HFHUB_CACHE_SCAN_FILES)
		g_array_sort(rev->files, compare_file);
}

/* everything under refs/: ref name (relative path) → its exact content, as Python reads it */
static void
scan_refs_dir(RepoScan *rs, gint dir_fd, const gchar *prefix, GHashTable *by_hash)
{
	DIR *dir = fdopendir(dir_fd);
	struct dirent *de;

	if (dir == NULL) {
		close(dir_fd);
		return;
	}
	while (rs->corrupt == NULL && (de = readdir(dir)) != NULL) {
		g_autofree gchar *ref = NULL;
		g_autofree gchar *content = NULL;
		g_autoptr(GString) buf = NULL;
		GPtrArray *names;
		struct stat st;
		gchar chunk[256];
		gssize n;
		gint fd;

		if (is_dot(de->d_name))
			continue;
		ref = g_strconcat(prefix, de->d_name, NULL);
		if (de->d_type == DT_DIR) {
			gint sub = openat(dirfd(dir), de->d_name,
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			g_autofree gchar *sub_prefix = g_strconcat(ref, "/", NULL);
			if (sub >= 0)
				scan_refs_dir(rs, sub, sub_prefix, by_hash);
			continue;
		}
		if (fstatat(dirfd(dir), de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode)) {
			if (de->d_type == DT_UNKNOWN) {
				gint sub = openat(dirfd(dir), de->d_name,
						  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				g_autofree gchar *sub_prefix = g_strconcat(ref, "/", NULL);
				if (sub >= 0)
					scan_refs_dir(rs, sub, sub_prefix, by_hash);
			}
			continue;
		}
		if (ignored(de->d_name))
			continue;
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			g_autofree gchar *path = g_strconcat(rs->repo->path, "/refs/", ref, NULL);
			set_corrupt(
				rs, path,
				g_strdup_printf("Cannot read ref %s: %s", path, g_strerror(errno)));
			break;
		}
		buf = g_string_new(NULL);
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			g_string_append_len(buf, chunk, n);
		close(fd);
		content = g_string_free(g_steal_pointer(&buf), FALSE);
		names = g_hash_table_lookup(by_hash, content);
		if (names == NULL) {
			names = g_ptr_array_new_with_free_func(g_free);
			g_hash_table_insert(by_hash, g_steal_pointer(&content), names);
		}
		g_ptr_array_add(names, g_steal_pointer(&ref));
	}
	closedir(dir);
}

/* "{'abc': {'main'}}", like the dict in huggingface_hub's message */
static gchar *
describe_refs(GHashTable *by_hash)
{
	g_autoptr(GString) out = g_string_new("{");
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, by_hash);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		GPtrArray *names = value;
		g_autofree gchar *escaped = g_strescape(key, NULL);

		if (out->len > 1)
			g_string_append(out, ", ");
		g_string_append_printf(out, "'%s': {", escaped);
		for (guint i = 0; i < names->len; i++)
			g_string_append_printf(out, "%s'%s'", i > 0 ? ", " : "",
					       (gchar *)g_ptr_array_index(names, i));
		g_string_append(out, "}");
	}
	g_string_append(out, "}");
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gint
compare_revision(gconstpointer a, gconstpointer b)
{
	return strcmp((*(HfhubCacheRevision *const *)a)->commit,
		      (*(HfhubCacheRevision *const *)b)->commit);
}

/* Scans a repo folder whose name and type are valid; sets rs->corrupt when
 * huggingface_hub would skip it. */
static void
scan_repo_dirs(RepoScan *rs)
{
	HfhubCacheRepoInfo *repo = rs->repo;
	g_autoptr(GHashTable) by_hash = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							      (GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GArray) seen = g_array_new(FALSE, TRUE, sizeof(guint));
	struct stat st;
	gint snapshots_fd;
	DIR *dir;
	struct dirent *de;

	if (fstatat(rs->repo_fd, "snapshots", &st, 0) != 0 || !S_ISDIR(st.st_mode)) {
		g_autofree gchar *path = g_strconcat(repo->path, "/snapshots", NULL);
		set_corrupt(
			rs, path,
			g_strdup_printf("Snapshots dir doesn't exist in cached repo: %s", path));
		return;
	}
	if (fstatat(rs->repo_fd, "refs", &st, 0) == 0) {
		if (S_ISREG(st.st_mode)) {
			g_autofree gchar *path = g_strconcat(repo->path, "/refs", NULL);
			set_corrupt(rs, path,
				    g_strdup_printf("Refs directory cannot be a file: %s", path));
			return;
		}
		if (S_ISDIR(st.st_mode)) {
			gint fd = openat(rs->repo_fd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				scan_refs_dir(rs, fd, "", by_hash);
			if (rs->corrupt != NULL)
				return;
		}
	}

	snapshots_fd = openat(rs->repo_fd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = snapshots_fd >= 0 ? fdopendir(snapshots_fd) : NULL;
	if (dir == NULL) {
		if (snapshots_fd >= 0)
			close(snapshots_fd);
		return;
	}
	while (rs->corrupt == NULL && (de = readdir(dir)) != NULL) {
		HfhubCacheRevision *rev;
		GPtrArray *names;

		if (is_dot(de->d_name) || ignored(de->d_name))
			continue;
		scan_revision(rs, dirfd(dir), de->d_name, seen);
		if (rs->corrupt != NULL)
			break;
		rev = g_ptr_array_index(repo->revisions, repo->revisions->len - 1);
		names = g_hash_table_lookup(by_hash, rev->commit);
		if (names != NULL) {
			for (guint i = 0; i < names->len; i++)
				g_ptr_array_add(rev->refs, g_strdup(g_ptr_array_index(names, i)));
			g_ptr_array_sort(rev->refs, compare_str);
			g_hash_table_remove(by_hash, rev->commit);
		}
	}
	closedir(dir);
	if (rs->corrupt != NULL)
		return;
	if (g_hash_table_size(by_hash) > 0) {
		g_autofree gchar *refs = describe_refs(by_hash);
		set_corrupt(rs, repo->path,
			    g_strdup_printf("Reference(s) refer to missing commit hashes: %s (%s).",
					    refs, repo->path));
		return;
	}
	g_ptr_array_sort(repo->revisions, compare_revision);

	repo->nb_files = repo->blobs->len;
	for (guint i = 0; i < repo->blobs->len; i++) {
		HfhubCacheBlob *blob = g_ptr_array_index(repo->blobs, i);
		repo->size_on_disk += blob->size;
		repo->last_accessed = MAX(repo->last_accessed, blob->atime);
		repo->last_modified = MAX(repo->last_modified, blob->mtime);
	}
	if (repo->blobs->len == 0 && fstat(rs->repo_fd, &st) == 0) {
		repo->last_accessed = ts(&st.st_atim);
		repo->last_modified = ts(&st.st_mtim);
	}
}

static HfhubCacheRepoInfo *
repo_new(ScanCtx *ctx, const gchar *name, const gchar *type, const gchar *id)
{
	HfhubCacheRepoInfo *repo = g_new0(HfhubCacheRepoInfo, 1);
	g_auto(GStrv) parts = g_strsplit(id, "--", -1);

	repo->folder = g_strdup(name);
	repo->path = g_build_filename(ctx->cache_dir, name, NULL);
	repo->repo_type = g_strdup(type);
	repo->repo_id = g_strjoinv("/", parts);
	repo->cache_id = g_strdup_printf("%s/%s", type, repo->repo_id);
	repo->revisions = g_ptr_array_new_with_free_func((GDestroyNotify)revision_free);
	repo->blobs = g_ptr_array_new_with_free_func((GDestroyNotify)blob_free);
	return repo;
}

/* The checks huggingface_hub makes before it looks inside a repo folder. */
static void
scan_repo(Entry *entry)
{
	ScanCtx *ctx = entry->ctx;
	g_autofree gchar *path = g_build_filename(ctx->cache_dir, entry->name, NULL);
	const gchar *sep = strstr(entry->name, "--");
	g_autofree gchar *type = NULL;
	RepoScan rs = { .ctx = ctx, .blobs_fd = -1 };

	rs.repo_fd = openat(ctx->root_fd, entry->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rs.repo_fd < 0) {
		entry->warning = warning_new(
			path, g_strdup_printf("Repo path is not a directory: %s", path));
		return;
	}
	if (sep == NULL) {
		entry->warning = warning_new(
			path,
			g_strdup_printf("Repo path is not a valid HuggingFace cache directory: %s",
					path));
		close(rs.repo_fd);
		return;
	}
	/* "models" → "model": the last character goes, whatever it is */
	type = g_strndup(entry->name, MAX(sep - entry->name, 1) - 1);
	if (!g_str_equal(type, "model") && !g_str_equal(type, "dataset") &&
	    !g_str_equal(type, "space")) {
		entry->warning = warning_new(
			path, g_strdup_printf("Repo type must be `dataset`, `model` or `space`, "
					      "found `%s` (%s).",
					      type, path));
		close(rs.repo_fd);
		return;
	}
	rs.repo = repo_new(ctx, entry->name, type, sep + 2);
	rs.blobs_prefix = g_strconcat(rs.repo->path, "/blobs/", NULL);
	rs.by_name = g_hash_table_new(g_str_hash, g_str_equal);
	rs.by_path = g_hash_table_new(g_str_hash, g_str_equal);
	rs.rel = g_string_new(NULL);
	scan_repo_dirs(&rs);
	if (rs.corrupt != NULL) {
		entry->warning = warning_new(rs.corrupt_path, g_steal_pointer(&rs.corrupt));
		repo_free(g_steal_pointer(&rs.repo));
	}
	entry->repo = g_steal_pointer(&rs.repo);
	g_free(rs.corrupt_path);
	g_free(rs.blobs_prefix);
	g_hash_table_unref(rs.by_name);
	g_hash_table_unref(rs.by_path);
	g_string_free(rs.rel, TRUE);
	if (rs.blobs_fd >= 0)
		close(rs.blobs_fd);
	close(rs.repo_fd);
}

/* the partial files of this entry (<entry>/blobs/x.incomplete), with stat() sizes */
static void
scan_incomplete(Entry *entry)
{
	ScanCtx *ctx = entry->ctx;
	g_autofree gchar *rel = g_strconcat(entry->name, "/blobs", NULL);
	gint fd = openat(ctx->root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;
	struct dirent *de;

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (dir == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		HfhubCacheIncomplete *inc;
		struct stat st;

		if (!g_str_has_suffix(de->d_name, ".incomplete"))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) != 0)
			continue;
		inc = g_new0(HfhubCacheIncomplete, 1);
		inc->path = g_build_filename(ctx->cache_dir, rel, de->d_name, NULL);
		inc->folder = g_strdup(entry->name);
		inc->size = (guint64)st.st_size;
		if (entry->incomplete == NULL)
			entry->incomplete =
				g_ptr_array_new_with_free_func((GDestroyNotify)incomplete_free);
		g_ptr_array_add(entry->incomplete, inc);
	}
	closedir(dir);
}

static void
scan_entry_cb(gpointer data, gpointer user_data)
{
	Entry *entry = data;

	if (g_cancellable_is_cancelled(entry->ctx->cancellable))
		return;
	scan_repo(entry);
	scan_incomplete(entry);
}

static gboolean
skipped_at_root(const gchar *name)
{
	return ignored(name) || g_str_equal(name, ".locks") || g_str_equal(name, "CACHEDIR.TAG");
}

static gint
compare_repo(gconstpointer a, gconstpointer b)
{
	return strcmp((*(HfhubCacheRepoInfo *const *)a)->folder,
		      (*(HfhubCacheRepoInfo *const *)b)->folder);
}

static gint
compare_incomplete(gconstpointer a, gconstpointer b)
{
	return strcmp((*(HfhubCacheIncomplete *const *)a)->path,
		      (*(HfhubCacheIncomplete *const *)b)->path);
}

static gint
compare_warning(gconstpointer a, gconstpointer b)
{
	return strcmp((*(HfhubCacheWarning *const *)a)->path,
		      (*(HfhubCacheWarning *const *)b)->path);
}

static void
scan_free(HfhubCacheScan *scan)
{
	g_free(scan->cache_dir);
	g_ptr_array_unref(scan->repos);
	g_ptr_array_unref(scan->incomplete);
	g_ptr_array_unref(scan->warnings);
}

HfhubCacheScan *
hfhub_cache_scan_ref(HfhubCacheScan *scan)
{
	return g_atomic_rc_box_acquire(scan);
}

void
hfhub_cache_scan_unref(HfhubCacheScan *scan)
{
	g_atomic_rc_box_release_full(scan, (GDestroyNotify)scan_free);
}

static HfhubCacheScan *
scan_new(const gchar *cache_dir)
{
	HfhubCacheScan *scan = g_atomic_rc_box_new0(HfhubCacheScan);

	scan->cache_dir = g_strdup(cache_dir);
	scan->repos = g_ptr_array_new_with_free_func((GDestroyNotify)repo_free);
	scan->incomplete = g_ptr_array_new_with_free_func((GDestroyNotify)incomplete_free);
	scan->warnings = g_ptr_array_new_with_free_func((GDestroyNotify)warning_free);
	return scan;
}

/* the root's entries, each a job for the pool */
static GPtrArray *
list_root(ScanCtx *ctx, GError **error)
{
	g_autoptr(GPtrArray) entries = g_ptr_array_new();
	gint fd = dup(ctx->root_fd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (dir == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot list %s: %s",
			    ctx->cache_dir, g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((de = readdir(dir)) != NULL) {
		Entry *entry;

		if (is_dot(de->d_name) || skipped_at_root(de->d_name))
			continue;
		entry = g_new0(Entry, 1);
		entry->ctx = ctx;
		entry->name = g_strdup(de->d_name);
		g_ptr_array_add(entries, entry);
	}
	closedir(dir);
	return g_steal_pointer(&entries);
}

static void
collect(HfhubCacheScan *scan, Entry *entry)
{
	if (entry->repo != NULL) {
		scan->size_on_disk += entry->repo->size_on_disk;
		scan->n_revisions += entry->repo->revisions->len;
		g_ptr_array_add(scan->repos, g_steal_pointer(&entry->repo));
	}
	if (entry->warning != NULL)
		g_ptr_array_add(scan->warnings, g_steal_pointer(&entry->warning));
	for (guint i = 0; entry->incomplete != NULL && i < entry->incomplete->len; i++) {
		HfhubCacheIncomplete *inc = g_ptr_array_index(entry->incomplete, i);
		scan->incomplete_size += inc->size;
		g_ptr_array_add(scan->incomplete, g_steal_pointer(&entry->incomplete->pdata[i]));
	}
	g_clear_pointer(&entry->incomplete, g_ptr_array_unref);
	g_free(entry->name);
	g_free(entry);
}

static guint
n_workers(void)
{
	/* the scan waits on the disk as much as on the CPU */
	return CLAMP(g_get_num_processors() * 2, 2, 16);
}

HfhubCacheScan *
hfhub_cache_scan(const gchar *cache_dir, HfhubCacheScanFlags flags, GCancellable *cancellable,
		 GError **error)
{
	g_autofree gchar *real = NULL;
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	gint64 start = g_get_monotonic_time();
	ScanCtx ctx = { .flags = flags, .cancellable = cancellable };
	struct stat st;

	g_return_val_if_fail(cache_dir != NULL, NULL);

	real = realpath(cache_dir, NULL);
	if (real == NULL && errno == ENOENT) {
		/* not created yet: nothing cached */
		scan = scan_new(cache_dir);
		return g_steal_pointer(&scan);
	}
	if (real == NULL || stat(real, &st) != 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read the cache %s: %s",
			    cache_dir, g_strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "Scan cache expects a directory but found a file: %s", real);
		return NULL;
	}
	scan = scan_new(real);
	scan->exists = TRUE;
	ctx.cache_dir = scan->cache_dir;
	ctx.root_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ctx.root_fd < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot open the cache %s: %s",
			    real, g_strerror(errno));
		return NULL;
	}
	entries = list_root(&ctx, error);
	if (entries == NULL) {
		close(ctx.root_fd);
		return NULL;
	}
	if (entries->len < PARALLEL_MIN_ENTRIES) {
		for (guint i = 0; i < entries->len; i++)
			scan_entry_cb(g_ptr_array_index(entries, i), NULL);
	} else {
		GThreadPool *pool =
			g_thread_pool_new(scan_entry_cb, NULL, (gint)n_workers(), FALSE, NULL);
		for (guint i = 0; i < entries->len; i++)
			g_thread_pool_push(pool, g_ptr_array_index(entries, i), NULL);
		g_thread_pool_free(pool, FALSE, TRUE);
	}
	close(ctx.root_fd);
	for (guint i = 0; i < entries->len; i++)
		collect(scan, g_ptr_array_index(entries, i));
	if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
		hfhub_error_convert(error);
		return NULL;
	}
	g_ptr_array_sort(scan->repos, compare_repo);
	g_ptr_array_sort(scan->incomplete, compare_incomplete);
	g_ptr_array_sort(scan->warnings, compare_warning);
	scan->seconds = (gdouble)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	g_debug("scanned %s: %u repos, %u revisions, %u warnings in %.3f s", scan->cache_dir,
		scan->repos->len, scan->n_revisions, scan->warnings->len, scan->seconds);
	return g_steal_pointer(&scan);
}

/* ---- lookups */

HfhubCacheRepoInfo *
hfhub_cache_scan_find_repo(HfhubCacheScan *scan, const gchar *target)
{
	g_autofree gchar *as_model = NULL;

	for (guint i = 0; i < scan->repos->len; i++) {
		HfhubCacheRepoInfo *repo = g_ptr_array_index(scan->repos, i);
		if (g_ascii_strcasecmp(repo->cache_id, target) == 0 ||
		    g_ascii_strcasecmp(repo->folder, target) == 0)
			return repo;
	}
	/* "org/name" alone is a model, as everywhere else in hfhub */
	if (g_str_has_prefix(target, "model/") || g_str_has_prefix(target, "dataset/") ||
	    g_str_has_prefix(target, "space/"))
		return NULL;
	as_model = g_strconcat("model/", target, NULL);
	for (guint i = 0; i < scan->repos->len; i++) {
		HfhubCacheRepoInfo *repo = g_ptr_array_index(scan->repos, i);
		if (g_ascii_strcasecmp(repo->cache_id, as_model) == 0)
			return repo;
	}
	return NULL;
}

static gboolean
is_hex40(const gchar *s)
{
	guint n = 0;

	for (; s[n] != '\0'; n++) {
		if (!g_ascii_isxdigit(s[n]))
			return FALSE;
	}
	return n == 40;
}

HfhubCacheRevision *
hfhub_cache_scan_find_revision(HfhubCacheScan *scan, const gchar *commit,
			       HfhubCacheRepoInfo **repo_out)
{
	if (!is_hex40(commit))
		return NULL;
	for (guint i = 0; i < scan->repos->len; i++) {
		HfhubCacheRepoInfo *repo = g_ptr_array_index(scan->repos, i);
		for (guint j = 0; j < repo->revisions->len; j++) {
			HfhubCacheRevision *rev = g_ptr_array_index(repo->revisions, j);
			if (g_ascii_strcasecmp(rev->commit, commit) == 0) {
				if (repo_out != NULL)
					*repo_out = repo;
				return rev;
			}
		}
	}
	return NULL;
}

void
hfhub_cache_selection_free(HfhubCacheSelection *selection)
{
	g_ptr_array_unref(selection->order);
	g_hash_table_unref(selection->selected);
	g_ptr_array_unref(selection->missing);
	g_free(selection);
}

static void
select_revision(HfhubCacheSelection *sel, HfhubCacheRepoInfo *repo, HfhubCacheRevision *rev)
{
	GPtrArray *revs = g_hash_table_lookup(sel->selected, repo);

	if (revs == NULL) {
		revs = g_ptr_array_new();
		g_hash_table_insert(sel->selected, repo, revs);
		g_ptr_array_add(sel->order, repo);
	}
	if (!g_ptr_array_find(revs, rev, NULL))
		g_ptr_array_add(revs, rev);
}

static gint
compare_cache_id(gconstpointer a, gconstpointer b)
{
	return g_ascii_strcasecmp((*(HfhubCacheRepoInfo *const *)a)->cache_id,
				  (*(HfhubCacheRepoInfo *const *)b)->cache_id);
}

HfhubCacheSelection *
hfhub_cache_scan_select(HfhubCacheScan *scan, const gchar *const *targets)
{
	HfhubCacheSelection *sel = g_new0(HfhubCacheSelection, 1);
	GHashTableIter iter;
	gpointer value;

	sel->order = g_ptr_array_new();
	sel->selected = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
	sel->missing = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; targets != NULL && targets[i] != NULL; i++) {
		g_autofree gchar *target = g_strstrip(g_strdup(targets[i]));
		HfhubCacheRepoInfo *repo = NULL;
		HfhubCacheRevision *rev;

		if (*target == '\0')
			continue;
		rev = hfhub_cache_scan_find_revision(scan, target, &repo);
		if (rev != NULL) {
			select_revision(sel, repo, rev);
			continue;
		}
		repo = hfhub_cache_scan_find_repo(scan, target);
		if (repo == NULL) {
			g_ptr_array_add(sel->missing, g_strdup(targets[i]));
			continue;
		}
		for (guint j = 0; j < repo->revisions->len; j++)
			select_revision(sel, repo, g_ptr_array_index(repo->revisions, j));
		/* a repo with no revision at all is still a repo to delete */
		if (repo->revisions->len == 0 && !g_hash_table_contains(sel->selected, repo)) {
			g_hash_table_insert(sel->selected, repo, g_ptr_array_new());
			g_ptr_array_add(sel->order, repo);
		}
	}
	g_ptr_array_sort(sel->order, compare_cache_id);
	g_hash_table_iter_init(&iter, sel->selected);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_sort(value, compare_revision);
	return sel;
}

/* ---- a{sv} */

GVariant *
hfhub_cache_str(const gchar *s)
{
	if (s == NULL)
		return g_variant_new_string("");
	if (g_utf8_validate(s, -1, NULL))
		return g_variant_new_string(s);
	return g_variant_new_take_string(g_utf8_make_valid(s, -1));
}

static GVariant *
strv_variant(GPtrArray *strings)
{
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);

	for (guint i = 0; strings != NULL && i < strings->len; i++)
		g_variant_builder_add_value(
			&builder, hfhub_cache_str((const gchar *)g_ptr_array_index(strings, i)));
	return g_variant_builder_end(&builder);
}

static GVariant *
revision_to_variant(HfhubCacheRepoInfo *repo, HfhubCacheRevision *rev, gboolean files)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	g_variant_dict_insert_value(&dict, "commit", hfhub_cache_str(rev->commit));
	g_variant_dict_insert_value(&dict, "path", hfhub_cache_str(rev->path));
	g_variant_dict_insert(&dict, "size-on-disk", "t", rev->size_on_disk);
	g_variant_dict_insert(&dict, "nb-files", "u", rev->files->len);
	g_variant_dict_insert(&dict, "last-modified", "d", rev->last_modified);
	g_variant_dict_insert_value(&dict, "refs", strv_variant(rev->refs));
	if (files) {
		g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
		for (guint i = 0; i < rev->files->len; i++) {
			HfhubCacheFile *file = &g_array_index(rev->files, HfhubCacheFile, i);
			HfhubCacheBlob *blob = g_ptr_array_index(repo->blobs, file->blob);
			g_auto(GVariantDict) entry = G_VARIANT_DICT_INIT(NULL);

			g_variant_dict_insert_value(
				&entry, "path",
				hfhub_cache_str(file->path != NULL ? file->path : ""));
			g_variant_dict_insert_value(&entry, "blob", hfhub_cache_str(blob->path));
			g_variant_dict_insert(&entry, "size", "t", blob->size);
			g_variant_builder_add_value(&list, g_variant_dict_end(&entry));
		}
		g_variant_dict_insert_value(&dict, "files", g_variant_builder_end(&list));
	}
	return g_variant_dict_end(&dict);
}

/* the refs of all its revisions, sorted */
static GPtrArray *
repo_refs(HfhubCacheRepoInfo *repo)
{
	GPtrArray *refs = g_ptr_array_new();

	for (guint i = 0; i < repo->revisions->len; i++) {
		HfhubCacheRevision *rev = g_ptr_array_index(repo->revisions, i);
		g_ptr_array_extend(refs, rev->refs, NULL, NULL);
	}
	g_ptr_array_sort(refs, compare_str);
	return refs;
}

GVariant *
hfhub_cache_repo_to_variant(HfhubCacheRepoInfo *repo, gboolean revisions, gboolean files)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	g_autoptr(GPtrArray) refs = repo_refs(repo);

	g_variant_dict_insert_value(&dict, "repo-type", hfhub_cache_str(repo->repo_type));
	g_variant_dict_insert_value(&dict, "repo-id", hfhub_cache_str(repo->repo_id));
	g_variant_dict_insert_value(&dict, "cache-id", hfhub_cache_str(repo->cache_id));
	g_variant_dict_insert_value(&dict, "folder", hfhub_cache_str(repo->folder));
	g_variant_dict_insert_value(&dict, "path", hfhub_cache_str(repo->path));
	g_variant_dict_insert(&dict, "size-on-disk", "t", repo->size_on_disk);
	g_variant_dict_insert(&dict, "nb-files", "u", repo->nb_files);
	g_variant_dict_insert(&dict, "last-accessed", "d", repo->last_accessed);
	g_variant_dict_insert(&dict, "last-modified", "d", repo->last_modified);
	g_variant_dict_insert_value(&dict, "refs", strv_variant(refs));
	if (revisions) {
		g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
		for (guint i = 0; i < repo->revisions->len; i++)
			g_variant_builder_add_value(
				&list, revision_to_variant(
					       repo, g_ptr_array_index(repo->revisions, i), files));
		g_variant_dict_insert_value(&dict, "revisions", g_variant_builder_end(&list));
	}
	return g_variant_dict_end(&dict);
}

GVariant *
hfhub_cache_scan_repos_to_variant(HfhubCacheScan *scan, gboolean files)
{
	g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < scan->repos->len; i++)
		g_variant_builder_add_value(
			&list, hfhub_cache_repo_to_variant(g_ptr_array_index(scan->repos, i), TRUE,
							   files));
	return g_variant_builder_end(&list);
}

GVariant *
hfhub_cache_scan_summary_to_variant(HfhubCacheScan *scan)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	g_auto(GVariantBuilder) incomplete = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
	g_auto(GVariantBuilder) warnings = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
	guint n_files = 0;

	for (guint i = 0; i < scan->repos->len; i++)
		n_files += ((HfhubCacheRepoInfo *)g_ptr_array_index(scan->repos, i))->nb_files;
	for (guint i = 0; i < scan->incomplete->len; i++) {
		HfhubCacheIncomplete *inc = g_ptr_array_index(scan->incomplete, i);
		g_auto(GVariantDict) entry = G_VARIANT_DICT_INIT(NULL);

		g_variant_dict_insert_value(&entry, "path", hfhub_cache_str(inc->path));
		g_variant_dict_insert_value(&entry, "folder", hfhub_cache_str(inc->folder));
		g_variant_dict_insert(&entry, "size", "t", inc->size);
		g_variant_builder_add_value(&incomplete, g_variant_dict_end(&entry));
	}
	for (guint i = 0; i < scan->warnings->len; i++) {
		HfhubCacheWarning *warning = g_ptr_array_index(scan->warnings, i);
		g_auto(GVariantDict) entry = G_VARIANT_DICT_INIT(NULL);

		g_variant_dict_insert_value(&entry, "path", hfhub_cache_str(warning->path));
		g_variant_dict_insert_value(&entry, "message", hfhub_cache_str(warning->message));
		g_variant_builder_add_value(&warnings, g_variant_dict_end(&entry));
	}
	g_variant_dict_insert_value(&dict, "cache-dir", hfhub_cache_str(scan->cache_dir));
	g_variant_dict_insert(&dict, "exists", "b", scan->exists);
	g_variant_dict_insert(&dict, "size-on-disk", "t", scan->size_on_disk);
	g_variant_dict_insert(&dict, "repos", "u", scan->repos->len);
	g_variant_dict_insert(&dict, "revisions", "u", scan->n_revisions);
	g_variant_dict_insert(&dict, "files", "u", n_files);
	g_variant_dict_insert(&dict, "incomplete-size", "t", scan->incomplete_size);
	g_variant_dict_insert_value(&dict, "incomplete", g_variant_builder_end(&incomplete));
	g_variant_dict_insert_value(&dict, "warnings", g_variant_builder_end(&warnings));
	g_variant_dict_insert(&dict, "scan-seconds", "d", scan->seconds);
	return g_variant_dict_end(&dict);
}
