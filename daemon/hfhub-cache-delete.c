#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheDelete"

#include "hfhub-cache-delete.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-cache.h"
#include "hfhub-cache-scan.h"
#include "hfhub-error.h"

static void
plan_repo_free(HfhubCachePlanRepo *pr)
{
	g_ptr_array_unref(pr->revisions);
	g_free(pr);
}

static HfhubCachePlan *
plan_new(HfhubCacheScan *scan)
{
	HfhubCachePlan *plan = g_new0(HfhubCachePlan, 1);

	plan->scan = hfhub_cache_scan_ref(scan);
	plan->selected = g_ptr_array_new_with_free_func((GDestroyNotify)plan_repo_free);
	plan->missing = g_ptr_array_new_with_free_func(g_free);
	plan->repos = g_ptr_array_new_with_free_func(g_free);
	plan->snapshots = g_ptr_array_new_with_free_func(g_free);
	plan->refs = g_ptr_array_new_with_free_func(g_free);
	plan->blobs = g_ptr_array_new_with_free_func(g_free);
	plan->incomplete = g_ptr_array_new_with_free_func(g_free);
	plan->in_use = g_ptr_array_new_with_free_func(g_free);
	plan->folders = g_ptr_array_new_with_free_func(g_free);
	return plan;
}

void
hfhub_cache_plan_free(HfhubCachePlan *plan)
{
	if (plan == NULL)
		return;
	g_ptr_array_unref(plan->selected);
	g_ptr_array_unref(plan->missing);
	g_ptr_array_unref(plan->repos);
	g_ptr_array_unref(plan->snapshots);
	g_ptr_array_unref(plan->refs);
	g_ptr_array_unref(plan->blobs);
	g_ptr_array_unref(plan->incomplete);
	g_ptr_array_unref(plan->in_use);
	g_ptr_array_unref(plan->folders);
	hfhub_cache_scan_unref(plan->scan);
	g_free(plan);
}

gboolean
hfhub_cache_plan_is_empty(HfhubCachePlan *plan)
{
	return plan->repos->len == 0 && plan->snapshots->len == 0 && plan->refs->len == 0 &&
	       plan->blobs->len == 0 && plan->incomplete->len == 0;
}

guint64
hfhub_cache_plan_get_freed(HfhubCachePlan *plan)
{
	return plan->blob_bytes + plan->incomplete_bytes;
}

gchar *
hfhub_cache_incomplete_etag(const gchar *name)
{
	g_autofree gchar *stem = NULL;
	gsize len;

	if (!g_str_has_suffix(name, ".incomplete"))
		return NULL;
	stem = g_strndup(name, strlen(name) - strlen(".incomplete"));
	len = strlen(stem);
	/* huggingface_hub ≥ 1.18 adds ".<8 hex>" of its own */
	if (len > 9 && stem[len - 9] == '.') {
		gboolean hex = TRUE;
		for (gsize i = len - 8; i < len; i++)
			hex = hex && g_ascii_isxdigit(stem[i]);
		if (hex)
			stem[len - 9] = '\0';
	}
	return g_steal_pointer(&stem);
}

static gchar *
lock_path_for(HfhubCacheScan *scan, const gchar *folder, const gchar *etag)
{
	g_autofree gchar *name = g_strconcat(etag, ".lock", NULL);
	return g_build_filename(scan->cache_dir, ".locks", folder, name, NULL);
}

static gint
compare_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* the partial files in @folder: counted as freed when the repo goes whole */
static void
count_incomplete_of(HfhubCachePlan *plan, const gchar *folder)
{
	for (guint i = 0; i < plan->scan->incomplete->len; i++) {
		HfhubCacheIncomplete *inc = g_ptr_array_index(plan->scan->incomplete, i);
		if (g_str_equal(inc->folder, folder))
			plan->incomplete_bytes += inc->size;
	}
}

/* huggingface_hub's delete_revisions() for one repo */
static void
plan_repo(HfhubCachePlan *plan, HfhubCacheRepoInfo *repo, GPtrArray *revisions)
{
	HfhubCachePlanRepo *pr = g_new0(HfhubCachePlanRepo, 1);
	g_autofree guint8 *kept = g_new0(guint8, repo->blobs->len + 1);
	g_autofree guint8 *counted = g_new0(guint8, repo->blobs->len + 1);
	g_autofree guint8 *deleted = g_new0(guint8, repo->blobs->len + 1);

	pr->repo = repo;
	pr->revisions = g_ptr_array_ref(revisions);
	pr->whole = revisions->len == repo->revisions->len;
	g_ptr_array_add(plan->selected, pr);
	g_ptr_array_add(plan->folders, g_strdup(repo->folder));
	if (pr->whole) {
		pr->freed = repo->size_on_disk;
		plan->blob_bytes += repo->size_on_disk;
		g_ptr_array_add(plan->repos, g_strdup(repo->path));
		count_incomplete_of(plan, repo->folder);
		return;
	}
	for (guint i = 0; i < repo->revisions->len; i++) {
		HfhubCacheRevision *rev = g_ptr_array_index(repo->revisions, i);
		if (g_ptr_array_find(revisions, rev, NULL))
			continue;
		for (guint j = 0; j < rev->files->len; j++)
			kept[g_array_index(rev->files, HfhubCacheFile, j).blob] = 1;
	}
	for (guint i = 0; i < revisions->len; i++) {
		HfhubCacheRevision *rev = g_ptr_array_index(revisions, i);
		g_autofree gchar *inside = g_strconcat(rev->path, "/", NULL);

		g_ptr_array_add(plan->snapshots, g_strdup(rev->path));
		for (guint j = 0; j < rev->refs->len; j++)
			g_ptr_array_add(plan->refs,
					g_build_filename(repo->path, "refs",
							 (gchar *)g_ptr_array_index(rev->refs, j),
							 NULL));
		for (guint j = 0; j < rev->files->len; j++) {
			guint b = g_array_index(rev->files, HfhubCacheFile, j).blob;
			HfhubCacheBlob *blob = g_ptr_array_index(repo->blobs, b);

			/* a copy goes with its snapshot: counted, not deleted twice */
			if (g_str_has_prefix(blob->path, inside)) {
				counted[b] = 1;
				continue;
			}
			if (!deleted[b] && !kept[b]) {
				deleted[b] = counted[b] = 1;
				g_ptr_array_add(plan->blobs, g_strdup(blob->path));
			}
		}
	}
	for (guint b = 0; b < repo->blobs->len; b++) {
		if (counted[b])
			pr->freed += ((HfhubCacheBlob *)g_ptr_array_index(repo->blobs, b))->size;
	}
	plan->blob_bytes += pr->freed;
}

static void
plan_finish(HfhubCachePlan *plan)
{
	g_ptr_array_sort(plan->repos, compare_str);
	g_ptr_array_sort(plan->snapshots, compare_str);
	g_ptr_array_sort(plan->refs, compare_str);
	g_ptr_array_sort(plan->blobs, compare_str);
	g_ptr_array_sort(plan->incomplete, compare_str);
	g_ptr_array_sort(plan->in_use, compare_str);
	g_ptr_array_sort(plan->folders, compare_str);
}

HfhubCachePlan *
hfhub_cache_plan_delete(HfhubCacheScan *scan, const gchar *const *targets)
{
	HfhubCachePlan *plan = plan_new(scan);
	g_autoptr(HfhubCacheSelection) sel = hfhub_cache_scan_select(scan, targets);

	g_ptr_array_extend_and_steal(plan->missing, g_steal_pointer(&sel->missing));
	sel->missing = g_ptr_array_new();
	for (guint i = 0; i < sel->order->len; i++) {
		HfhubCacheRepoInfo *repo = g_ptr_array_index(sel->order, i);
		plan_repo(plan, repo, g_hash_table_lookup(sel->selected, repo));
	}
	plan_finish(plan);
	return plan;
}

struct _HfhubCacheLocks {
	GHashTable *held; /* path → HfhubFileLock* */
};

/* nobody writes it: no lock file, one we hold, or one we can take (and
 * give back) */
static gboolean
lock_is_free(const gchar *lock_path, HfhubCacheLocks *ours)
{
	g_autoptr(GError) error = NULL;
	HfhubFileLock *lock;

	if (!g_file_test(lock_path, G_FILE_TEST_EXISTS))
		return TRUE;
	if (ours != NULL && g_hash_table_contains(ours->held, lock_path))
		return TRUE;
	lock = hfhub_file_lock_try(lock_path, &error);
	if (lock == NULL)
		return FALSE;
	hfhub_file_lock_release(lock);
	return TRUE;
}

HfhubCachePlan *
hfhub_cache_plan_prune(HfhubCacheScan *scan, GHashTable *keep, HfhubCacheLocks *ours)
{
	HfhubCachePlan *plan = plan_new(scan);
	g_autoptr(GHashTable) whole = g_hash_table_new(g_str_hash, g_str_equal);

	plan->prune = TRUE;
	for (guint i = 0; i < scan->repos->len; i++) {
		HfhubCacheRepoInfo *repo = g_ptr_array_index(scan->repos, i);
		g_autoptr(GPtrArray) detached = g_ptr_array_new();

		for (guint j = 0; j < repo->revisions->len; j++) {
			HfhubCacheRevision *rev = g_ptr_array_index(repo->revisions, j);
			if (rev->refs->len == 0)
				g_ptr_array_add(detached, rev);
		}
		if (detached->len == 0)
			continue;
		plan_repo(plan, repo, detached);
		if (detached->len == repo->revisions->len)
			g_hash_table_add(whole, repo->folder);
	}
	for (guint i = 0; i < scan->incomplete->len; i++) {
		HfhubCacheIncomplete *inc = g_ptr_array_index(scan->incomplete, i);
		g_autofree gchar *name = g_path_get_basename(inc->path);
		g_autofree gchar *etag = hfhub_cache_incomplete_etag(name);
		g_autofree gchar *lock = lock_path_for(scan, inc->folder, etag);

		if (g_hash_table_contains(whole, inc->folder))
			continue; /* counted with its repo */
		if ((keep != NULL && g_hash_table_contains(keep, inc->path)) ||
		    !lock_is_free(lock, ours)) {
			g_ptr_array_add(plan->in_use, g_strdup(inc->path));
			continue;
		}
		g_ptr_array_add(plan->incomplete, g_strdup(inc->path));
		plan->incomplete_bytes += inc->size;
		if (!g_ptr_array_find_with_equal_func(plan->folders, inc->folder, g_str_equal,
						      NULL))
			g_ptr_array_add(plan->folders, g_strdup(inc->folder));
	}
	plan_finish(plan);
	return plan;
}

/* ---- a{sv} */

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
plan_repo_to_variant(HfhubCachePlanRepo *pr)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	g_auto(GVariantBuilder) revs = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	g_variant_dict_insert_value(&dict, "repo-type", hfhub_cache_str(pr->repo->repo_type));
	g_variant_dict_insert_value(&dict, "repo-id", hfhub_cache_str(pr->repo->repo_id));
	g_variant_dict_insert_value(&dict, "cache-id", hfhub_cache_str(pr->repo->cache_id));
	g_variant_dict_insert_value(&dict, "path", hfhub_cache_str(pr->repo->path));
	g_variant_dict_insert(&dict, "whole-repo", "b", pr->whole);
	g_variant_dict_insert(&dict, "size-on-disk", "t", pr->repo->size_on_disk);
	g_variant_dict_insert(&dict, "freed-bytes", "t", pr->freed);
	for (guint i = 0; i < pr->revisions->len; i++) {
		HfhubCacheRevision *rev = g_ptr_array_index(pr->revisions, i);
		g_auto(GVariantDict) entry = G_VARIANT_DICT_INIT(NULL);

		g_variant_dict_insert_value(&entry, "commit", hfhub_cache_str(rev->commit));
		g_variant_dict_insert_value(&entry, "path", hfhub_cache_str(rev->path));
		g_variant_dict_insert(&entry, "size-on-disk", "t", rev->size_on_disk);
		g_variant_dict_insert(&entry, "last-modified", "d", rev->last_modified);
		g_variant_dict_insert_value(&entry, "refs", strv_variant(rev->refs));
		g_variant_builder_add_value(&revs, g_variant_dict_end(&entry));
	}
	g_variant_dict_insert_value(&dict, "revisions", g_variant_builder_end(&revs));
	return g_variant_dict_end(&dict);
}

GVariant *
hfhub_cache_plan_to_variant(HfhubCachePlan *plan)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	g_auto(GVariantBuilder) selected = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < plan->selected->len; i++)
		g_variant_builder_add_value(
			&selected, plan_repo_to_variant(g_ptr_array_index(plan->selected, i)));
	g_variant_dict_insert_value(&dict, "cache-dir", hfhub_cache_str(plan->scan->cache_dir));
	g_variant_dict_insert(&dict, "prune", "b", plan->prune);
	g_variant_dict_insert(&dict, "freed-bytes", "t", hfhub_cache_plan_get_freed(plan));
	g_variant_dict_insert(&dict, "blob-bytes", "t", plan->blob_bytes);
	g_variant_dict_insert(&dict, "incomplete-bytes", "t", plan->incomplete_bytes);
	g_variant_dict_insert_value(&dict, "selected", g_variant_builder_end(&selected));
	g_variant_dict_insert_value(&dict, "missing", strv_variant(plan->missing));
	g_variant_dict_insert_value(&dict, "repos", strv_variant(plan->repos));
	g_variant_dict_insert_value(&dict, "snapshots", strv_variant(plan->snapshots));
	g_variant_dict_insert_value(&dict, "refs", strv_variant(plan->refs));
	g_variant_dict_insert_value(&dict, "blobs", strv_variant(plan->blobs));
	g_variant_dict_insert_value(&dict, "incomplete", strv_variant(plan->incomplete));
	g_variant_dict_insert_value(&dict, "in-use", strv_variant(plan->in_use));
	return g_variant_dict_end(&dict);
}

/* ---- locks */

static void
add_unique(GHashTable *set, GPtrArray *out, gchar *path)
{
	if (g_hash_table_contains(set, path)) {
		g_free(path);
		return;
	}
	g_hash_table_add(set, path);
	g_ptr_array_add(out, path);
}

GPtrArray *
hfhub_cache_plan_lock_paths(HfhubCachePlan *plan)
{
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GHashTable) set = g_hash_table_new(g_str_hash, g_str_equal);

	/* a repo that goes whole: every lock that exists for its folder, so
	 * any download into it. None is created: creating thousands of files
	 * costs seconds, and a blob nobody locked is being written by nobody. */
	for (guint i = 0; i < plan->selected->len; i++) {
		HfhubCachePlanRepo *pr = g_ptr_array_index(plan->selected, i);
		g_autofree gchar *dir_path = NULL;
		g_autoptr(GDir) dir = NULL;
		const gchar *name;

		if (!pr->whole)
			continue;
		dir_path =
			g_build_filename(plan->scan->cache_dir, ".locks", pr->repo->folder, NULL);
		dir = g_dir_open(dir_path, 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			if (g_str_has_suffix(name, ".lock"))
				add_unique(set, paths, g_build_filename(dir_path, name, NULL));
		}
	}
	/* otherwise the locks of the blobs and partial files it removes */
	for (guint i = 0; i < plan->selected->len; i++) {
		HfhubCachePlanRepo *pr = g_ptr_array_index(plan->selected, i);
		g_autofree gchar *prefix = g_strconcat(pr->repo->path, "/blobs/", NULL);

		for (guint j = 0; j < plan->blobs->len; j++) {
			const gchar *blob = g_ptr_array_index(plan->blobs, j);
			if (g_str_has_prefix(blob, prefix) &&
			    strchr(blob + strlen(prefix), '/') == NULL)
				add_unique(set, paths,
					   lock_path_for(plan->scan, pr->repo->folder,
							 blob + strlen(prefix)));
		}
	}
	for (guint i = 0; i < plan->incomplete->len; i++) {
		const gchar *path = g_ptr_array_index(plan->incomplete, i);
		g_autofree gchar *blobs = g_path_get_dirname(path);
		g_autofree gchar *repo = g_path_get_dirname(blobs);
		g_autofree gchar *folder = g_path_get_basename(repo);
		g_autofree gchar *name = g_path_get_basename(path);
		g_autofree gchar *etag = hfhub_cache_incomplete_etag(name);

		add_unique(set, paths, lock_path_for(plan->scan, folder, etag));
	}
	g_ptr_array_sort(paths, compare_str);
	return paths;
}

GPtrArray *
hfhub_cache_plan_busy_locks(HfhubCachePlan *plan)
{
	g_autoptr(GPtrArray) paths = hfhub_cache_plan_lock_paths(plan);
	GPtrArray *busy = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; i < paths->len; i++) {
		const gchar *path = g_ptr_array_index(paths, i);
		if (!lock_is_free(path, NULL))
			g_ptr_array_add(busy, g_strdup(path));
	}
	return busy;
}

HfhubCacheLocks *
hfhub_cache_locks_new(void)
{
	HfhubCacheLocks *locks = g_new0(HfhubCacheLocks, 1);

	locks->held = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)hfhub_file_lock_release);
	return locks;
}

void
hfhub_cache_locks_free(HfhubCacheLocks *locks)
{
	if (locks == NULL)
		return;
	g_hash_table_unref(locks->held);
	g_free(locks);
}

gboolean
hfhub_cache_locks_holds_all(HfhubCacheLocks *locks, GPtrArray *paths)
{
	for (guint i = 0; i < paths->len; i++) {
		if (!g_hash_table_contains(locks->held, g_ptr_array_index(paths, i)))
			return FALSE;
	}
	return TRUE;
}

/* "models--org--name" of <cache>/.locks/models--org--name/x.lock */
static gchar *
lock_folder(const gchar *lock_path)
{
	g_autofree gchar *dir = g_path_get_dirname(lock_path);
	return g_path_get_basename(dir);
}

gboolean
hfhub_cache_locks_take(HfhubCacheLocks *locks, GPtrArray *paths, gboolean wait,
		       HfhubCacheLockWaitFunc notify, gpointer user_data, GCancellable *cancellable,
		       GError **error)
{
	g_autoptr(GPtrArray) taken = g_ptr_array_new();

	for (guint i = 0; i < paths->len; i++) {
		const gchar *path = g_ptr_array_index(paths, i);
		g_autoptr(GError) local_error = NULL;
		HfhubFileLock *lock;

		if (g_hash_table_contains(locks->held, path))
			continue;
		lock = hfhub_file_lock_try(path, &local_error);
		if (lock == NULL && local_error == NULL && wait) {
			if (notify != NULL)
				notify(path, user_data);
			lock = hfhub_file_lock_acquire(path, cancellable, &local_error);
		}
		if (lock == NULL) {
			g_autofree gchar *folder = lock_folder(path);

			/* all or nothing: what this call took is given back */
			for (guint j = 0; j < taken->len; j++)
				g_hash_table_remove(locks->held, g_ptr_array_index(taken, j));
			if (local_error != NULL) {
				g_propagate_error(error, g_steal_pointer(&local_error));
				return FALSE;
			}
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CONFLICT,
				    "a download into %s is running (it holds the lock %s); "
				    "nothing was deleted: try again when it has finished, or "
				    "wait for it",
				    folder, path);
			return FALSE;
		}
		g_hash_table_insert(locks->held, g_strdup(path), lock);
		g_ptr_array_add(taken, (gpointer)path);
	}
	return TRUE;
}

/* ---- execution */

void
hfhub_cache_deleted_free(HfhubCacheDeleted *deleted)
{
	if (deleted == NULL)
		return;
	g_ptr_array_unref(deleted->warnings);
	g_free(deleted);
}

/* rm -r of @name in @dir_fd, never following a symlink; 0 or an errno */
static gint
remove_at(gint dir_fd, const gchar *name)
{
	gint fd;
	DIR *dir;
	struct dirent *de;
	gint errsv = 0;

	if (unlinkat(dir_fd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return errno;
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	dir = fdopendir(fd);
	if (dir == NULL) {
		errsv = errno;
		close(fd);
		return errsv;
	}
	while (errsv == 0 && (de = readdir(dir)) != NULL) {
		if (g_str_equal(de->d_name, ".") || g_str_equal(de->d_name, ".."))
			continue;
		errsv = remove_at(dirfd(dir), de->d_name);
	}
	closedir(dir);
	if (errsv != 0)
		return errsv;
	return unlinkat(dir_fd, name, AT_REMOVEDIR) == 0 ? 0 : errno;
}

static gint
remove_tree(const gchar *path)
{
	g_autofree gchar *parent = g_path_get_dirname(path);
	g_autofree gchar *name = g_path_get_basename(path);
	gint fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	gint errsv;

	if (fd < 0)
		return errno;
	errsv = remove_at(fd, name);
	close(fd);
	return errsv;
}

static gboolean
delete_path(HfhubCacheDeleted *deleted, const gchar *path, const gchar *what)
{
	gint errsv = remove_tree(path);

	if (errsv == 0) {
		g_debug("deleted %s %s", what, path);
		return TRUE;
	}
	if (errsv == ENOENT)
		g_ptr_array_add(
			deleted->warnings,
			g_strdup_printf("Couldn't delete %s: file not found (%s)", what, path));
	else
		g_ptr_array_add(deleted->warnings, g_strdup_printf("Couldn't delete %s: %s (%s)",
								   what, g_strerror(errsv), path));
	return FALSE;
}

HfhubCacheDeleted *
hfhub_cache_plan_execute(HfhubCachePlan *plan)
{
	HfhubCacheDeleted *deleted = g_new0(HfhubCacheDeleted, 1);

	deleted->warnings = g_ptr_array_new_with_free_func(g_free);
	/* huggingface_hub's order: a ref never points at a missing snapshot,
	 * nor a snapshot link at a missing blob */
	for (guint i = 0; i < plan->repos->len; i++)
		deleted->repos += delete_path(deleted, g_ptr_array_index(plan->repos, i), "repo");
	for (guint i = 0; i < plan->snapshots->len; i++)
		deleted->snapshots +=
			delete_path(deleted, g_ptr_array_index(plan->snapshots, i), "snapshot");
	for (guint i = 0; i < plan->refs->len; i++)
		deleted->refs += delete_path(deleted, g_ptr_array_index(plan->refs, i), "ref");
	for (guint i = 0; i < plan->blobs->len; i++)
		deleted->blobs += delete_path(deleted, g_ptr_array_index(plan->blobs, i), "blob");
	for (guint i = 0; i < plan->incomplete->len; i++)
		deleted->incomplete += delete_path(deleted, g_ptr_array_index(plan->incomplete, i),
						   "partial file");
	return deleted;
}
