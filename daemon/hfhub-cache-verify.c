#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheVerify"

#include "hfhub-cache-verify.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-cache.h"
#include "hfhub-cache-scan.h"
#include "hfhub-error.h"
#include "hfhub-hash.h"

#define READ_CHUNK (1024 * 1024)

static void
use_free(HfhubCacheVerifyUse *use)
{
	g_free(use->commit);
	g_free(use->path);
	g_free(use);
}

static void
item_free(HfhubCacheVerifyItem *item)
{
	g_free(item->actual);
	g_free(item->error);
	g_ptr_array_unref(item->uses);
	g_free(item);
}

void
hfhub_cache_verify_free(HfhubCacheVerify *verify)
{
	if (verify == NULL)
		return;
	g_ptr_array_unref(verify->items);
	g_ptr_array_unref(verify->missing);
	hfhub_cache_scan_unref(verify->scan);
	g_free(verify);
}

static gboolean
all_hex(const gchar *s, gsize len)
{
	if (strlen(s) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(s[i]))
			return FALSE;
	}
	return TRUE;
}

/* what a blob's name says it hashes to */
static const gchar *
algorithm_of(HfhubCacheBlob *blob)
{
	const gchar *name;

	if (!blob->in_blobs)
		return NULL;
	name = strrchr(blob->path, '/') + 1;
	if (all_hex(name, 64))
		return "sha256";
	if (all_hex(name, 40))
		return "git-sha1";
	return NULL;
}

static void
add_revision(HfhubCacheVerify *verify, GHashTable *by_blob, HfhubCacheRepoInfo *repo,
	     HfhubCacheRevision *rev)
{
	for (guint i = 0; i < rev->files->len; i++) {
		HfhubCacheFile *file = &g_array_index(rev->files, HfhubCacheFile, i);
		HfhubCacheBlob *blob = g_ptr_array_index(repo->blobs, file->blob);
		HfhubCacheVerifyItem *item = g_hash_table_lookup(by_blob, blob);
		HfhubCacheVerifyUse *use = g_new0(HfhubCacheVerifyUse, 1);

		if (item == NULL) {
			item = g_new0(HfhubCacheVerifyItem, 1);
			item->repo = repo;
			item->blob = blob;
			item->algorithm = algorithm_of(blob);
			item->status = item->algorithm != NULL ? HFHUB_CACHE_VERIFY_PENDING
							       : HFHUB_CACHE_VERIFY_UNVERIFIABLE;
			item->uses = g_ptr_array_new_with_free_func((GDestroyNotify)use_free);
			g_hash_table_insert(by_blob, blob, item);
			g_ptr_array_add(verify->items, item);
			if (item->algorithm != NULL) {
				verify->total_bytes += blob->size;
				verify->total_files++;
			}
		}
		use->commit = g_strdup(rev->commit);
		use->path = g_strdup(file->path);
		g_ptr_array_add(item->uses, use);
	}
}

HfhubCacheVerify *
hfhub_cache_verify_new(HfhubCacheScan *scan, const gchar *const *targets)
{
	HfhubCacheVerify *verify = g_new0(HfhubCacheVerify, 1);
	g_autoptr(GHashTable) by_blob = g_hash_table_new(NULL, NULL);

	verify->scan = hfhub_cache_scan_ref(scan);
	verify->items = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
	verify->missing = g_ptr_array_new_with_free_func(g_free);
	if (targets == NULL || targets[0] == NULL) {
		for (guint i = 0; i < scan->repos->len; i++) {
			HfhubCacheRepoInfo *repo = g_ptr_array_index(scan->repos, i);
			for (guint j = 0; j < repo->revisions->len; j++)
				add_revision(verify, by_blob, repo,
					     g_ptr_array_index(repo->revisions, j));
		}
	} else {
		g_autoptr(HfhubCacheSelection) sel = hfhub_cache_scan_select(scan, targets);

		for (guint i = 0; i < sel->order->len; i++) {
			HfhubCacheRepoInfo *repo = g_ptr_array_index(sel->order, i);
			GPtrArray *revs = g_hash_table_lookup(sel->selected, repo);
			for (guint j = 0; j < revs->len; j++)
				add_revision(verify, by_blob, repo, g_ptr_array_index(revs, j));
		}
		for (guint i = 0; i < sel->missing->len; i++)
			g_ptr_array_add(verify->missing,
					g_strdup(g_ptr_array_index(sel->missing, i)));
	}
	return verify;
}

typedef struct {
	HfhubCacheVerifyProgress progress;
	gpointer user_data;
	GCancellable *cancellable;
} RunCtx;

static void
hash_item(HfhubCacheVerifyItem *item, RunCtx *ctx)
{
	HfhubHashKind kind =
		g_str_equal(item->algorithm, "sha256") ? HFHUB_HASH_SHA256 : HFHUB_HASH_GIT_BLOB;
	g_autoptr(HfhubHasher) hasher = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *buf = NULL;
	const gchar *name = strrchr(item->blob->path, '/') + 1;
	struct stat st;
	gint fd = g_open(item->blob->path, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0 || fstat(fd, &st) != 0) {
		item->status = HFHUB_CACHE_VERIFY_UNREADABLE;
		item->error = g_strdup(g_strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	hasher = hfhub_hasher_new(kind, (guint64)st.st_size, &error);
	buf = g_malloc(READ_CHUNK);
	while (hasher != NULL) {
		gssize n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			item->status = HFHUB_CACHE_VERIFY_UNREADABLE;
			item->error = g_strdup(g_strerror(errno));
			break;
		}
		if (n == 0)
			break;
		hfhub_hasher_update(hasher, buf, (gsize)n);
		if (ctx->progress != NULL)
			ctx->progress((guint64)n, 0, ctx->user_data);
		if (g_cancellable_is_cancelled(ctx->cancellable))
			break;
	}
	close(fd);
	if (hasher == NULL) {
		item->status = HFHUB_CACHE_VERIFY_UNREADABLE;
		item->error = g_strdup(error->message);
	} else if (item->status == HFHUB_CACHE_VERIFY_PENDING &&
		   !g_cancellable_is_cancelled(ctx->cancellable)) {
		item->actual = hfhub_hasher_finish(hasher);
		item->status = g_ascii_strcasecmp(item->actual, name) == 0
				       ? HFHUB_CACHE_VERIFY_OK
				       : HFHUB_CACHE_VERIFY_CORRUPTED;
		if (item->status == HFHUB_CACHE_VERIFY_CORRUPTED)
			g_message("%s: %s is %s, not what its name says", item->repo->cache_id,
				  item->blob->path, item->actual);
	}
	if (ctx->progress != NULL)
		ctx->progress(0, 1, ctx->user_data);
}

static void
hash_cb(gpointer data, gpointer user_data)
{
	if (!g_cancellable_is_cancelled(((RunCtx *)user_data)->cancellable))
		hash_item(data, user_data);
}

gboolean
hfhub_cache_verify_run(HfhubCacheVerify *verify, HfhubCacheVerifyProgress progress,
		       gpointer user_data, GCancellable *cancellable, GError **error)
{
	RunCtx ctx = { progress, user_data, cancellable };
	/* one blob per core: hashing is CPU-bound once the file is cached */
	GThreadPool *pool = g_thread_pool_new(
		hash_cb, &ctx, (gint)CLAMP(g_get_num_processors(), 1, 8), FALSE, error);

	if (pool == NULL)
		return FALSE;
	for (guint i = 0; i < verify->items->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(verify->items, i);
		if (item->status == HFHUB_CACHE_VERIFY_PENDING)
			g_thread_pool_push(pool, item, NULL);
	}
	g_thread_pool_free(pool, FALSE, TRUE);
	if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
		hfhub_error_convert(error);
		return FALSE;
	}
	return TRUE;
}

gboolean
hfhub_cache_verify_remove(HfhubCacheVerify *verify, HfhubCacheVerifyItem *item, GError **error)
{
	const gchar *name = strrchr(item->blob->path, '/') + 1;
	g_autofree gchar *lock_name = g_strconcat(name, ".lock", NULL);
	g_autofree gchar *lock_path = g_build_filename(verify->scan->cache_dir, ".locks",
						       item->repo->folder, lock_name, NULL);
	g_autoptr(HfhubFileLock) lock = hfhub_file_lock_try(lock_path, error);

	if (lock == NULL) {
		if (error == NULL || *error == NULL)
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CONFLICT,
				    "%s is being written by a download (it holds %s)",
				    item->blob->path, lock_path);
		return FALSE;
	}
	if (g_unlink(item->blob->path) != 0 && errno != ENOENT)
		return hfhub_fs_set_error(error, errno, "cannot remove", item->blob->path);
	item->removed = TRUE;
	return TRUE;
}

guint
hfhub_cache_verify_count(HfhubCacheVerify *verify, HfhubCacheVerifyStatus status)
{
	guint n = 0;

	for (guint i = 0; i < verify->items->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(verify->items, i);
		n += item->status == status;
	}
	return n;
}

GVariant *
hfhub_cache_verify_problems_to_variant(HfhubCacheVerify *verify)
{
	g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < verify->items->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(verify->items, i);
		g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
		g_auto(GVariantBuilder) files = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_STRING_ARRAY);

		if (item->status != HFHUB_CACHE_VERIFY_CORRUPTED &&
		    item->status != HFHUB_CACHE_VERIFY_UNREADABLE)
			continue;
		for (guint j = 0; j < item->uses->len; j++) {
			HfhubCacheVerifyUse *use = g_ptr_array_index(item->uses, j);
			g_autofree gchar *where = g_strconcat(use->commit, "/", use->path, NULL);
			g_variant_builder_add_value(&files, hfhub_cache_str(where));
		}
		g_variant_dict_insert_value(&dict, "repo-type",
					    hfhub_cache_str(item->repo->repo_type));
		g_variant_dict_insert_value(&dict, "repo-id", hfhub_cache_str(item->repo->repo_id));
		g_variant_dict_insert_value(&dict, "cache-id",
					    hfhub_cache_str(item->repo->cache_id));
		g_variant_dict_insert_value(&dict, "blob", hfhub_cache_str(item->blob->path));
		g_variant_dict_insert(&dict, "size", "t", item->blob->size);
		g_variant_dict_insert_value(&dict, "algorithm", hfhub_cache_str(item->algorithm));
		g_variant_dict_insert_value(&dict, "expected",
					    hfhub_cache_str(strrchr(item->blob->path, '/') + 1));
		g_variant_dict_insert_value(
			&dict, "actual", hfhub_cache_str(item->actual != NULL ? item->actual : ""));
		if (item->error != NULL)
			g_variant_dict_insert_value(&dict, "error", hfhub_cache_str(item->error));
		g_variant_dict_insert(&dict, "removed", "b", item->removed);
		g_variant_dict_insert_value(&dict, "files", g_variant_builder_end(&files));
		g_variant_builder_add_value(&list, g_variant_dict_end(&dict));
	}
	return g_variant_builder_end(&list);
}
