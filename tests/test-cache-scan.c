/* Unit tests for the cache scan, delete plans and verification, on caches
 * written here the way huggingface_hub (with and without symlinks) and the
 * JS client write them, plus the damage scan_cache_dir() reports as
 * warnings. Expected numbers follow huggingface_hub's rules
 * (hub-protocol.md §3.6, §3.7) from the sizes and times set here, never
 * from what the scan answered. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheScanTest"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-cache-delete.h"
#include "hfhub-cache-scan.h"
#include "hfhub-cache-verify.h"
#include "hfhub-cache.h"
#include "hfhub-error.h"
#include "hfhub-hash.h"

#define C1 "1111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333"
#define C4 "4444444444444444444444444444444444444444"
#define C5 "5555555555555555555555555555555555555555"
#define C6 "6666666666666666666666666666666666666666"

/* blob names: any name works for the scan; verify tests use real digests */
#define B1 "b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1"
#define B2 "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2"
#define B3 "b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3"
#define B4 "b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4b4"

#define REPO_A	"models--org--a"
#define REPO_B	"datasets--org--b"
#define REPO_JS "models--js--c"

/* times of the blobs, distinct so that every max is visible */
#define T0 1600000000.0

typedef struct {
	gchar *tmpdir;
	gchar *cache;
} Fixture;

static void
rm_rf(const gchar *path)
{
	GStatBuf st;

	if (g_lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			rm_rf(child);
		}
		g_assert_cmpint(g_rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
}

static void
fixture_setup(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fx->tmpdir = g_dir_make_tmp("hfhub-cache-scan-XXXXXX", &error);
	g_assert_no_error(error);
	fx->cache = g_build_filename(fx->tmpdir, "hub", NULL);
	g_assert_cmpint(g_mkdir(fx->cache, 0700), ==, 0);
}

static void
fixture_teardown(Fixture *fx, gconstpointer user_data)
{
	rm_rf(fx->tmpdir);
	g_free(fx->tmpdir);
	g_free(fx->cache);
}

/* ---- building caches */

static gchar *
cache_path(Fixture *fx, const gchar *rel)
{
	return g_build_filename(fx->cache, rel, NULL);
}

static void
put(Fixture *fx, const gchar *rel, const void *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = cache_path(fx, rel);
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_file_set_contents(path, data, (gssize)len, &error);
	g_assert_no_error(error);
}

static void
put_str(Fixture *fx, const gchar *rel, const gchar *text)
{
	put(fx, rel, text, strlen(text));
}

/* @size bytes of @c */
static void
put_size(Fixture *fx, const gchar *rel, gsize size, gchar c)
{
	g_autofree gchar *data = g_malloc(size + 1);

	memset(data, c, size);
	put(fx, rel, data, size);
}

static void
mkdir_in(Fixture *fx, const gchar *rel)
{
	g_autofree gchar *path = cache_path(fx, rel);
	g_assert_cmpint(g_mkdir_with_parents(path, 0700), ==, 0);
}

static void
set_times(Fixture *fx, const gchar *rel, gdouble atime, gdouble mtime)
{
	g_autofree gchar *path = cache_path(fx, rel);
	struct timespec times[2] = {
		{ (time_t)atime, (long)((atime - (gint64)atime) * 1e9) },
		{ (time_t)mtime, (long)((mtime - (gint64)mtime) * 1e9) },
	};

	g_assert_cmpint(utimensat(AT_FDCWD, path, times, 0), ==, 0);
}

/* <folder>/blobs/<name> of @size bytes, with its times */
static void
put_blob(Fixture *fx, const gchar *folder, const gchar *name, gsize size, gdouble atime,
	 gdouble mtime)
{
	g_autofree gchar *rel = g_build_filename(folder, "blobs", name, NULL);

	put_size(fx, rel, size, 'x');
	set_times(fx, rel, atime, mtime);
}

/* snapshots/<commit>/<file> → ../../blobs/<name>, relative as Python makes it */
static void
link_blob(Fixture *fx, const gchar *folder, const gchar *commit, const gchar *file,
	  const gchar *name)
{
	g_autofree gchar *rel = g_build_filename(folder, "snapshots", commit, file, NULL);
	g_autofree gchar *path = cache_path(fx, rel);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autoptr(GString) target = g_string_new("../../");

	for (const gchar *p = file; *p != '\0'; p++) {
		if (*p == '/')
			g_string_append(target, "../");
	}
	g_string_append_printf(target, "blobs/%s", name);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_assert_cmpint(symlink(target->str, path), ==, 0);
}

static void
put_ref(Fixture *fx, const gchar *folder, const gchar *ref, const gchar *commit)
{
	g_autofree gchar *rel = g_build_filename(folder, "refs", ref, NULL);
	put_str(fx, rel, commit);
}

/* The symlinked layout huggingface_hub writes:
 *   C1: config.json → B1 (10 B), model.bin → B2 (100 B), sub/dir/x.txt → B1
 *   C2: config.json → B1, model.bin → B3 (1000 B)
 *   refs/main → C2, refs/refs/pr/1 → C1
 *   B4 (5000 B) linked by nothing; .no_exist, trees/, two partial files */
static void
build_python_repo(Fixture *fx)
{
	put_blob(fx, REPO_A, B1, 10, T0 + 50, T0 + 1);
	put_blob(fx, REPO_A, B2, 100, T0 + 20, T0 + 2);
	put_blob(fx, REPO_A, B3, 1000, T0 + 30, T0 + 3);
	put_blob(fx, REPO_A, B4, 5000, T0 + 90, T0 + 90);
	link_blob(fx, REPO_A, C1, "config.json", B1);
	link_blob(fx, REPO_A, C1, "model.bin", B2);
	link_blob(fx, REPO_A, C1, "sub/dir/x.txt", B1);
	link_blob(fx, REPO_A, C2, "config.json", B1);
	link_blob(fx, REPO_A, C2, "model.bin", B3);
	put_ref(fx, REPO_A, "main", C2);
	put_ref(fx, REPO_A, "refs/pr/1", C1);
	put_str(fx, REPO_A "/.no_exist/" C1 "/missing.txt", "");
	put_str(fx, REPO_A "/trees/" C1 ".json", "{\"format_version\":1,\"files\":{}}");
	put_size(fx, REPO_A "/blobs/" B3 ".incomplete", 77, 'p');
	put_size(fx, REPO_A "/blobs/" B2 ".0123abcd.incomplete", 33, 'p');
}

/* HF_HUB_DISABLE_SYMLINKS=1: the files are copies in the snapshot */
static void
build_no_symlink_repo(Fixture *fx)
{
	put_size(fx, REPO_B "/snapshots/" C3 "/a.txt", 20, 'a');
	put_size(fx, REPO_B "/snapshots/" C3 "/b/c.txt", 30, 'a');
	set_times(fx, REPO_B "/snapshots/" C3 "/a.txt", T0 + 7, T0 + 5);
	set_times(fx, REPO_B "/snapshots/" C3 "/b/c.txt", T0 + 4, T0 + 6);
	mkdir_in(fx, REPO_B "/blobs");
	put_ref(fx, REPO_B, "main", C3);
}

/* The JS client's downloadFileToCacheDir: blobs and links, no refs/ */
static void
build_js_repo(Fixture *fx)
{
	put_blob(fx, REPO_JS, B1, 40, T0 + 8, T0 + 8);
	link_blob(fx, REPO_JS, C4, "model.gguf", B1);
}

static HfhubCacheScan *
scan_ok(Fixture *fx, HfhubCacheScanFlags flags)
{
	g_autoptr(GError) error = NULL;
	HfhubCacheScan *scan = hfhub_cache_scan(fx->cache, flags, NULL, &error);

	g_assert_no_error(error);
	g_assert_nonnull(scan);
	return scan;
}

static HfhubCacheRepoInfo *
repo_of(HfhubCacheScan *scan, const gchar *folder)
{
	for (guint i = 0; i < scan->repos->len; i++) {
		HfhubCacheRepoInfo *repo = g_ptr_array_index(scan->repos, i);
		if (g_str_equal(repo->folder, folder))
			return repo;
	}
	g_error("no repo %s in the scan", folder);
}

static HfhubCacheRevision *
revision_of(HfhubCacheRepoInfo *repo, const gchar *commit)
{
	for (guint i = 0; repo != NULL && i < repo->revisions->len; i++) {
		HfhubCacheRevision *rev = g_ptr_array_index(repo->revisions, i);
		if (g_str_equal(rev->commit, commit))
			return rev;
	}
	g_error("no revision %s", commit);
}

static gchar *
refs_joined(HfhubCacheRevision *rev)
{
	g_autoptr(GPtrArray) copy = g_ptr_array_copy(rev->refs, NULL, NULL);

	/* the copy shares the strings */
	g_ptr_array_set_free_func(copy, NULL);
	g_ptr_array_add(copy, NULL);
	return g_strjoinv(",", (gchar **)copy->pdata);
}

/* the warning about @path (or NULL), checking its message's start */
static HfhubCacheWarning *
warning_for(HfhubCacheScan *scan, const gchar *path)
{
	for (guint i = 0; i < scan->warnings->len; i++) {
		HfhubCacheWarning *w = g_ptr_array_index(scan->warnings, i);
		if (g_str_equal(w->path, path))
			return w;
	}
	return NULL;
}

static void
assert_warning(Fixture *fx, HfhubCacheScan *scan, const gchar *rel, const gchar *start)
{
	g_autofree gchar *path = cache_path(fx, rel);
	HfhubCacheWarning *w = warning_for(scan, path);

	if (w == NULL)
		g_error("no warning about %s", path);
	if (!g_str_has_prefix(w->message, start))
		g_error("warning about %s: “%s” does not start with “%s”", path, w->message, start);
}

/* ---- scans */

static void
test_python_symlinks(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	HfhubCacheRepoInfo *repo;
	HfhubCacheRevision *rev;
	g_autofree gchar *refs = NULL;
	g_autofree gchar *b1 = cache_path(fx, REPO_A "/blobs/" B1);

	build_python_repo(fx);
	put_str(fx, "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
	mkdir_in(fx, ".locks/" REPO_A);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_FILES);

	g_assert_true(scan->exists);
	g_assert_cmpuint(scan->warnings->len, ==, 0);
	g_assert_cmpuint(scan->repos->len, ==, 1);
	repo = repo_of(scan, REPO_A);
	g_assert_nonnull(repo);
	g_assert_cmpstr(repo->repo_type, ==, "model");
	g_assert_cmpstr(repo->repo_id, ==, "org/a");
	g_assert_cmpstr(repo->cache_id, ==, "model/org/a");
	/* unique blobs linked by a snapshot: B1 + B2 + B3; B4, .no_exist, trees
	 * and the partial files are not counted */
	g_assert_cmpuint(repo->nb_files, ==, 3);
	g_assert_cmpuint(repo->size_on_disk, ==, 10 + 100 + 1000);
	g_assert_cmpfloat_with_epsilon(repo->last_accessed, T0 + 50, 1e-6);
	g_assert_cmpfloat_with_epsilon(repo->last_modified, T0 + 3, 1e-6);
	g_assert_cmpuint(repo->revisions->len, ==, 2);

	/* C1: three files, B1 once */
	rev = revision_of(repo, C1);
	g_assert_cmpuint(rev->files->len, ==, 3);
	g_assert_cmpuint(rev->size_on_disk, ==, 10 + 100);
	g_assert_cmpfloat_with_epsilon(rev->last_modified, T0 + 2, 1e-6);
	refs = refs_joined(rev);
	g_assert_cmpstr(refs, ==, "refs/pr/1");
	g_assert_cmpstr(g_array_index(rev->files, HfhubCacheFile, 0).path, ==, "config.json");
	g_assert_cmpstr(g_array_index(rev->files, HfhubCacheFile, 2).path, ==, "sub/dir/x.txt");
	g_assert_cmpstr(((HfhubCacheBlob *)g_ptr_array_index(
				 repo->blobs, g_array_index(rev->files, HfhubCacheFile, 2).blob))
				->path,
			==, b1);

	rev = revision_of(repo, C2);
	g_clear_pointer(&refs, g_free);
	refs = refs_joined(rev);
	g_assert_cmpuint(rev->files->len, ==, 2);
	g_assert_cmpuint(rev->size_on_disk, ==, 10 + 1000);
	g_assert_cmpfloat_with_epsilon(rev->last_modified, T0 + 3, 1e-6);
	g_assert_cmpstr(refs, ==, "main");

	g_assert_cmpuint(scan->size_on_disk, ==, 1110);
	g_assert_cmpuint(scan->n_revisions, ==, 2);
	/* both partial files, the pre-1.18 and the unique name */
	g_assert_cmpuint(scan->incomplete->len, ==, 2);
	g_assert_cmpuint(scan->incomplete_size, ==, 77 + 33);
}

static void
test_no_symlinks(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	HfhubCacheRepoInfo *repo;
	HfhubCacheRevision *rev;

	build_no_symlink_repo(fx);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_NONE);
	g_assert_cmpuint(scan->warnings->len, ==, 0);
	repo = repo_of(scan, REPO_B);
	g_assert_nonnull(repo);
	g_assert_cmpstr(repo->repo_type, ==, "dataset");
	g_assert_cmpstr(repo->cache_id, ==, "dataset/org/b");
	/* each copy is its own blob, even with the same bytes */
	g_assert_cmpuint(repo->nb_files, ==, 2);
	g_assert_cmpuint(repo->size_on_disk, ==, 50);
	g_assert_cmpfloat_with_epsilon(repo->last_accessed, T0 + 7, 1e-6);
	g_assert_cmpfloat_with_epsilon(repo->last_modified, T0 + 6, 1e-6);
	rev = revision_of(repo, C3);
	g_assert_cmpuint(rev->size_on_disk, ==, 50);
	g_assert_cmpuint(rev->refs->len, ==, 1);
	g_assert_false(((HfhubCacheBlob *)g_ptr_array_index(repo->blobs, 0))->in_blobs);
}

static void
test_js_no_refs(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	HfhubCacheRepoInfo *repo;
	HfhubCacheRevision *rev;

	build_js_repo(fx);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_NONE);
	/* huggingface_hub reads a repo without refs/ fine: detached revisions */
	g_assert_cmpuint(scan->warnings->len, ==, 0);
	repo = repo_of(scan, REPO_JS);
	g_assert_nonnull(repo);
	g_assert_cmpuint(repo->size_on_disk, ==, 40);
	rev = revision_of(repo, C4);
	g_assert_cmpuint(rev->refs->len, ==, 0);
	g_assert_cmpuint(rev->size_on_disk, ==, 40);
}

static void
test_damage(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;

	build_python_repo(fx);
	/* skipped at the root without a word */
	put_str(fx, "CACHEDIR.TAG", "x");
	put_str(fx, ".DS_Store", "x");
	mkdir_in(fx, ".locks/" REPO_A);
	/* everything else at the root is a repo, or a warning */
	put_str(fx, "version.txt", "1");
	mkdir_in(fx, "nodashes/snapshots");
	put_blob(fx, "kernels--org--k", B1, 10, T0, T0);
	link_blob(fx, "kernels--org--k", C1, "k.so", B1);
	put_blob(fx, "models--org--broken", B1, 10, T0, T0);
	link_blob(fx, "models--org--broken", C1, "ok.txt", B1);
	link_blob(fx, "models--org--broken", C1, "gone.bin", B2);
	put_blob(fx, "models--org--nosnap", B1, 10, T0, T0);
	mkdir_in(fx, "models--org--fileinsnap/snapshots");
	put_str(fx, "models--org--fileinsnap/snapshots/stray", "x");
	mkdir_in(fx, "models--org--reffile/snapshots/" C1);
	put_str(fx, "models--org--reffile/refs", C1);
	mkdir_in(fx, "models--org--lostref/snapshots/" C1);
	put_ref(fx, "models--org--lostref", "main", C1);
	put_ref(fx, "models--org--lostref", "v1", C2);
	/* a ref with a newline names no snapshot: Python reads it as it is */
	mkdir_in(fx, "models--org--newline/snapshots/" C1);
	put_ref(fx, "models--org--newline", "main", C1 "\n");

	scan = scan_ok(fx, HFHUB_CACHE_SCAN_NONE);
	assert_warning(fx, scan, "version.txt", "Repo path is not a directory");
	assert_warning(fx, scan, "nodashes", "Repo path is not a valid HuggingFace cache");
	assert_warning(fx, scan, "kernels--org--k",
		       "Repo type must be `dataset`, `model` or "
		       "`space`, found `kernel`");
	assert_warning(fx, scan, "models--org--broken/blobs/" B2, "Blob missing (broken symlink)");
	assert_warning(fx, scan, "models--org--nosnap/snapshots", "Snapshots dir doesn't exist");
	assert_warning(fx, scan, "models--org--fileinsnap/snapshots/stray",
		       "Snapshots folder corrupted. Found a file");
	assert_warning(fx, scan, "models--org--reffile/refs", "Refs directory cannot be a file");
	assert_warning(fx, scan, "models--org--lostref",
		       "Reference(s) refer to missing commit hashes");
	assert_warning(fx, scan, "models--org--newline",
		       "Reference(s) refer to missing commit hashes");
	g_assert_cmpuint(scan->warnings->len, ==, 9);
	/* the damaged ones are skipped, the good one is counted as alone */
	g_assert_cmpuint(scan->repos->len, ==, 1);
	g_assert_nonnull(repo_of(scan, REPO_A));
	g_assert_cmpuint(scan->size_on_disk, ==, 1110);
}

static void
test_empty_snapshot(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autofree gchar *snap = cache_path(fx, "spaces--org--s/snapshots/" C5);
	g_autofree gchar *repo_dir = cache_path(fx, "spaces--org--s");
	HfhubCacheRepoInfo *repo;
	HfhubCacheRevision *rev;
	GStatBuf st;

	mkdir_in(fx, "spaces--org--s/snapshots/" C5);
	put_ref(fx, "spaces--org--s", "main", C5);
	set_times(fx, "spaces--org--s/snapshots/" C5, T0 + 11, T0 + 12);
	set_times(fx, "spaces--org--s", T0 + 13, T0 + 14);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_NONE);
	repo = repo_of(scan, "spaces--org--s");
	g_assert_nonnull(repo);
	g_assert_cmpstr(repo->repo_type, ==, "space");
	rev = revision_of(repo, C5);
	/* no file: the snapshot folder's mtime, the repo folder's times */
	g_assert_cmpuint(rev->files->len, ==, 0);
	g_assert_cmpfloat_with_epsilon(rev->last_modified, T0 + 12, 1e-6);
	g_assert_cmpuint(repo->nb_files, ==, 0);
	g_assert_cmpuint(g_stat(repo_dir, &st), ==, 0);
	g_assert_cmpfloat_with_epsilon(repo->last_accessed,
				       (gdouble)st.st_atim.tv_sec + st.st_atim.tv_nsec / 1e9, 1e-6);
	g_assert_cmpfloat_with_epsilon(repo->last_modified, T0 + 14, 1e-6);
	(void)snap;
}

static void
test_all_layouts(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(GVariant) summary = NULL;
	guint64 size = 0;
	guint32 repos = 0;

	build_python_repo(fx);
	build_no_symlink_repo(fx);
	build_js_repo(fx);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_NONE);
	g_assert_cmpuint(scan->repos->len, ==, 3);
	/* sorted by folder */
	g_assert_cmpstr(((HfhubCacheRepoInfo *)g_ptr_array_index(scan->repos, 0))->folder, ==,
			REPO_B);
	g_assert_cmpuint(scan->size_on_disk, ==, 1110 + 50 + 40);
	g_assert_cmpuint(scan->n_revisions, ==, 4);

	summary = g_variant_ref_sink(hfhub_cache_scan_summary_to_variant(scan));
	g_assert_true(g_variant_lookup(summary, "size-on-disk", "t", &size));
	g_assert_cmpuint(size, ==, 1200);
	g_assert_true(g_variant_lookup(summary, "repos", "u", &repos));
	g_assert_cmpuint(repos, ==, 3);
}

static void
test_missing_and_file(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *missing = g_build_filename(fx->tmpdir, "nope", NULL);
	g_autofree gchar *file = g_build_filename(fx->tmpdir, "file", NULL);
	g_autoptr(HfhubCacheScan) scan = hfhub_cache_scan(missing, 0, NULL, &error);
	g_autoptr(HfhubCacheScan) none = NULL;

	g_assert_no_error(error);
	g_assert_false(scan->exists);
	g_assert_cmpuint(scan->repos->len, ==, 0);
	g_file_set_contents(file, "x", -1, &error);
	g_assert_no_error(error);
	none = hfhub_cache_scan(file, 0, NULL, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_assert_null(none);
}

/* names on disk need not be UTF-8; what goes on D-Bus must be */
static void
test_non_utf8_names(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(GVariant) repos = NULL;
	g_autofree gchar *printed = NULL;

	put_blob(fx, REPO_A, B1, 10, T0, T0);
	link_blob(fx, REPO_A, C1, "caf\xe9.bin", B1);
	put_ref(fx, REPO_A, "v\xff", C1);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_FILES);
	g_assert_cmpuint(scan->repos->len, ==, 1);
	g_assert_cmpuint(repo_of(scan, REPO_A)->size_on_disk, ==, 10);
	repos = g_variant_ref_sink(hfhub_cache_scan_repos_to_variant(scan, TRUE));
	printed = g_variant_print(repos, FALSE);
	g_assert_true(g_utf8_validate(printed, -1, NULL));
	/* the bad byte became U+FFFD */
	g_assert_nonnull(strstr(printed, "caf\xef\xbf\xbd.bin"));
}

/* many repos: the scan runs in parallel and gives the same totals */
static void
test_many_repos(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;

	for (guint i = 0; i < 40; i++) {
		g_autofree gchar *folder = g_strdup_printf("models--org--r%02u", i);
		g_autofree gchar *blob = g_strdup_printf("%040x", i + 1);

		put_blob(fx, folder, blob, 100 + i, T0, T0);
		link_blob(fx, folder, C1, "w.bin", blob);
		link_blob(fx, folder, C1, "copy/w.bin", blob);
		put_ref(fx, folder, "main", C1);
	}
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_NONE);
	g_assert_cmpuint(scan->repos->len, ==, 40);
	/* sum of 100 + i for i < 40 */
	g_assert_cmpuint(scan->size_on_disk, ==, 40 * 100 + 39 * 40 / 2);
	g_assert_cmpstr(((HfhubCacheRepoInfo *)g_ptr_array_index(scan->repos, 39))->folder, ==,
			"models--org--r39");
}

static void
test_select(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	const gchar *targets[] = { "MODEL/Org/A",
				   "org/a",
				   "datasets--org--b",
				   "4444444444444444444444444444444444444444",
				   "model/nope/nope",
				   "abcd",
				   NULL };
	g_autoptr(HfhubCacheSelection) sel = NULL;

	build_python_repo(fx);
	build_no_symlink_repo(fx);
	build_js_repo(fx);
	scan = scan_ok(fx, 0);
	sel = hfhub_cache_scan_select(scan, targets);
	g_assert_cmpuint(sel->order->len, ==, 3);
	g_assert_cmpuint(sel->missing->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(sel->missing, 0), ==, "model/nope/nope");
	/* "org/a" alone is the model; the revision picks its repo */
	g_assert_cmpuint(
		((GPtrArray *)g_hash_table_lookup(sel->selected, repo_of(scan, REPO_A)))->len, ==,
		2);
	g_assert_cmpuint(
		((GPtrArray *)g_hash_table_lookup(sel->selected, repo_of(scan, REPO_JS)))->len, ==,
		1);
}

/* ---- plans */

static gboolean
exists(Fixture *fx, const gchar *rel)
{
	g_autofree gchar *path = cache_path(fx, rel);
	GStatBuf st;

	return g_lstat(path, &st) == 0;
}

/* bytes of regular files under @rel (what a deletion frees) */
static guint64
du(const gchar *path)
{
	GStatBuf st;
	guint64 total = 0;

	if (g_lstat(path, &st) != 0)
		return 0;
	if (S_ISREG(st.st_mode))
		return (guint64)st.st_size;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			total += du(child);
		}
	}
	return total;
}

/* data bytes: blobs (partial files too) and copies, not refs or .no_exist */
static guint64
data_bytes(Fixture *fx)
{
	g_autoptr(GDir) dir = g_dir_open(fx->cache, 0, NULL);
	const gchar *name;
	guint64 total = 0;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *blobs = g_build_filename(fx->cache, name, "blobs", NULL);
		g_autofree gchar *snaps = g_build_filename(fx->cache, name, "snapshots", NULL);
		total += du(blobs) + du(snaps);
	}
	return total;
}

static HfhubCachePlan *
plan_for(HfhubCacheScan *scan, const gchar *target)
{
	const gchar *targets[] = { target, NULL };
	return hfhub_cache_plan_delete(scan, targets);
}

static void
execute_ok(HfhubCachePlan *plan)
{
	g_autoptr(HfhubCacheDeleted) deleted = hfhub_cache_plan_execute(plan);

	for (guint i = 0; i < deleted->warnings->len; i++)
		g_error("warning: %s", (gchar *)g_ptr_array_index(deleted->warnings, i));
}

static void
test_plan_revision(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCacheScan) after = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;
	g_autofree gchar *snap = cache_path(fx, REPO_A "/snapshots/" C1);
	g_autofree gchar *ref = cache_path(fx, REPO_A "/refs/refs/pr/1");
	g_autofree gchar *b2 = cache_path(fx, REPO_A "/blobs/" B2);
	guint64 before;

	build_python_repo(fx);
	scan = scan_ok(fx, 0);
	plan = plan_for(scan, C1);
	/* C1 goes with its ref; B1 stays (C2 links it), B2 goes */
	g_assert_cmpuint(plan->repos->len, ==, 0);
	g_assert_cmpuint(plan->snapshots->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(plan->snapshots, 0), ==, snap);
	g_assert_cmpuint(plan->refs->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(plan->refs, 0), ==, ref);
	g_assert_cmpuint(plan->blobs->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(plan->blobs, 0), ==, b2);
	g_assert_cmpuint(plan->blob_bytes, ==, 100);
	g_assert_cmpuint(hfhub_cache_plan_get_freed(plan), ==, 100);
	g_assert_cmpuint(plan->missing->len, ==, 0);

	before = data_bytes(fx);
	execute_ok(plan);
	g_assert_cmpuint(before - data_bytes(fx), ==, 100);
	g_assert_false(exists(fx, REPO_A "/snapshots/" C1));
	g_assert_false(exists(fx, REPO_A "/refs/refs/pr/1"));
	g_assert_true(exists(fx, REPO_A "/blobs/" B1));
	g_assert_true(exists(fx, REPO_A "/refs/main"));
	after = scan_ok(fx, 0);
	g_assert_cmpuint(after->warnings->len, ==, 0);
	g_assert_cmpuint(repo_of(after, REPO_A)->size_on_disk, ==, 1010);
}

static void
test_plan_whole_repo(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;
	const gchar *targets[] = { C1, C2, NULL };
	guint64 before;

	build_python_repo(fx);
	build_js_repo(fx);
	scan = scan_ok(fx, 0);
	/* every revision of it, one by one: the whole folder */
	plan = hfhub_cache_plan_delete(scan, targets);
	g_assert_cmpuint(plan->repos->len, ==, 1);
	g_assert_cmpuint(plan->snapshots->len, ==, 0);
	g_assert_cmpuint(plan->blobs->len, ==, 0);
	/* its size on disk, plus its partial files */
	g_assert_cmpuint(plan->blob_bytes, ==, 1110);
	g_assert_cmpuint(plan->incomplete_bytes, ==, 110);
	before = data_bytes(fx);
	execute_ok(plan);
	/* B4 (linked by nothing) goes with the folder, unannounced as in Python */
	g_assert_cmpuint(before - data_bytes(fx), ==, 1110 + 110 + 5000);
	g_assert_false(exists(fx, REPO_A));
	g_assert_true(exists(fx, REPO_JS "/blobs/" B1));
}

static void
test_plan_shared_blob(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;

	build_python_repo(fx);
	/* a third revision shares B2 with C1 */
	link_blob(fx, REPO_A, C6, "model.bin", B2);
	put_ref(fx, REPO_A, "v2", C6);
	scan = scan_ok(fx, 0);
	plan = plan_for(scan, C1);
	g_assert_cmpuint(plan->blobs->len, ==, 0);
	g_assert_cmpuint(plan->blob_bytes, ==, 0);
	execute_ok(plan);
	g_assert_true(exists(fx, REPO_A "/blobs/" B2));
	g_assert_true(exists(fx, REPO_A "/blobs/" B1));
}

static void
test_plan_copies(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;
	guint64 before;

	build_no_symlink_repo(fx);
	put_size(fx, REPO_B "/snapshots/" C6 "/a.txt", 20, 'a');
	put_ref(fx, REPO_B, "v2", C6);
	scan = scan_ok(fx, 0);
	plan = plan_for(scan, C3);
	/* the copies go with the snapshot: counted, not listed as blobs */
	g_assert_cmpuint(plan->snapshots->len, ==, 1);
	g_assert_cmpuint(plan->blobs->len, ==, 0);
	g_assert_cmpuint(plan->blob_bytes, ==, 50);
	before = data_bytes(fx);
	execute_ok(plan);
	g_assert_cmpuint(before - data_bytes(fx), ==, 50);
	g_assert_true(exists(fx, REPO_B "/snapshots/" C6 "/a.txt"));
}

static void
test_plan_missing(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;

	build_python_repo(fx);
	scan = scan_ok(fx, 0);
	plan = plan_for(scan, C5);
	g_assert_true(hfhub_cache_plan_is_empty(plan));
	g_assert_cmpuint(plan->missing->len, ==, 1);
	g_assert_cmpuint(hfhub_cache_plan_get_freed(plan), ==, 0);
}

static void
test_prune(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubFileLock) lock = NULL;
	g_autofree gchar *lock_path = cache_path(fx, ".locks/" REPO_A "/" B3 ".lock");
	g_autofree gchar *partial = cache_path(fx, REPO_A "/blobs/" B2 ".0123abcd.incomplete");
	g_autoptr(GVariant) variant = NULL;
	g_autoptr(GVariant) selected = NULL;
	guint64 before;

	build_python_repo(fx);
	build_js_repo(fx);
	/* a detached revision next to referenced ones */
	link_blob(fx, REPO_A, C6, "extra.bin", B4);
	/* someone is writing B3: its partial file stays */
	lock = hfhub_file_lock_acquire(lock_path, NULL, &error);
	g_assert_no_error(error);
	scan = scan_ok(fx, 0);
	plan = hfhub_cache_plan_prune(scan, NULL, NULL);
	g_assert_true(plan->prune);
	/* JS repo: all detached, whole; C6: B4 only it links */
	g_assert_cmpuint(plan->repos->len, ==, 1);
	g_assert_cmpuint(plan->snapshots->len, ==, 1);
	g_assert_cmpuint(plan->blobs->len, ==, 1);
	g_assert_cmpuint(plan->blob_bytes, ==, 40 + 5000);
	g_assert_cmpuint(plan->incomplete->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(plan->incomplete, 0), ==, partial);
	g_assert_cmpuint(plan->in_use->len, ==, 1);
	g_assert_cmpuint(plan->incomplete_bytes, ==, 33);
	variant = g_variant_ref_sink(hfhub_cache_plan_to_variant(plan));
	selected = g_variant_lookup_value(variant, "selected", G_VARIANT_TYPE("aa{sv}"));
	g_assert_cmpuint(g_variant_n_children(selected), ==, 2);
	before = data_bytes(fx);
	execute_ok(plan);
	g_assert_cmpuint(before - data_bytes(fx), ==, 40 + 5000 + 33);
	g_assert_true(exists(fx, REPO_A "/blobs/" B3 ".incomplete"));
	g_assert_false(exists(fx, REPO_JS));
}

static void
test_prune_keeps_resumable(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;
	g_autoptr(GHashTable) keep = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree gchar *partial = cache_path(fx, REPO_A "/blobs/" B3 ".incomplete");
	g_autoptr(HfhubCacheLocks) locks = hfhub_cache_locks_new();
	g_autoptr(GPtrArray) paths = NULL;
	g_autoptr(GError) error = NULL;

	build_python_repo(fx);
	g_hash_table_add(keep, partial);
	scan = scan_ok(fx, 0);
	plan = hfhub_cache_plan_prune(scan, keep, NULL);
	g_assert_cmpuint(plan->incomplete->len, ==, 1);
	g_assert_cmpuint(plan->in_use->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(plan->in_use, 0), ==, partial);

	/* a lock we hold ourselves (a prune planned again under its locks)
	 * does not make the partial file busy */
	paths = hfhub_cache_plan_lock_paths(plan);
	g_assert_true(hfhub_cache_locks_take(locks, paths, FALSE, NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	hfhub_cache_plan_free(plan);
	plan = hfhub_cache_plan_prune(scan, keep, locks);
	g_assert_cmpuint(plan->incomplete->len, ==, 1);
	hfhub_cache_plan_free(plan);
	plan = hfhub_cache_plan_prune(scan, keep, NULL);
	g_assert_cmpuint(plan->incomplete->len, ==, 0);
}

static void
test_incomplete_etag(void)
{
	g_autofree gchar *a = hfhub_cache_incomplete_etag(B1 ".incomplete");
	g_autofree gchar *b = hfhub_cache_incomplete_etag(B2 ".0123abcd.incomplete");
	g_autofree gchar *c = hfhub_cache_incomplete_etag("x.blob");

	g_assert_cmpstr(a, ==, B1);
	g_assert_cmpstr(b, ==, B2);
	g_assert_null(c);
}

/* ---- locks */

typedef struct {
	gchar *path;
	HfhubFileLock *lock;
} Holder;

static gboolean
release_later_cb(gpointer user_data)
{
	Holder *h = user_data;
	g_clear_pointer(&h->lock, hfhub_file_lock_release);
	return G_SOURCE_REMOVE;
}

static void
wait_notify_cb(const gchar *lock_path, gpointer user_data)
{
	(*(guint *)user_data)++;
}

typedef struct {
	HfhubCacheLocks *locks;
	GPtrArray *paths;
	gboolean ok;
	guint waits;
	gboolean done;
} Taker;

static gpointer
take_thread(gpointer user_data)
{
	Taker *t = user_data;

	t->ok = hfhub_cache_locks_take(t->locks, t->paths, TRUE, wait_notify_cb, &t->waits, NULL,
				       NULL);
	g_atomic_int_set(&t->done, TRUE);
	return NULL;
}

static void
test_locks(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCachePlan) plan = NULL;
	g_autoptr(GPtrArray) paths = NULL;
	g_autoptr(GPtrArray) busy = NULL;
	g_autoptr(HfhubCacheLocks) locks = hfhub_cache_locks_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *b2_lock = cache_path(fx, ".locks/" REPO_A "/" B2 ".lock");
	g_autofree gchar *old_lock = cache_path(fx, ".locks/" REPO_A "/" B3 ".lock");
	Holder h = { 0 };
	Taker t = { 0 };
	GThread *thread;

	build_python_repo(fx);
	put_str(fx, ".locks/" REPO_A "/" B3 ".lock", "");
	scan = scan_ok(fx, 0);
	/* a revision: the locks of the blobs it removes */
	plan = plan_for(scan, C1);
	paths = hfhub_cache_plan_lock_paths(plan);
	g_assert_cmpuint(paths->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(paths, 0), ==, b2_lock);
	g_clear_pointer(&paths, g_ptr_array_unref);
	hfhub_cache_plan_free(plan);
	/* a whole repo: every lock file that exists for it (any download) */
	plan = plan_for(scan, "model/org/a");
	paths = hfhub_cache_plan_lock_paths(plan);
	g_assert_cmpuint(paths->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(paths, 0), ==, old_lock);

	/* a download holds B3's: refused without waiting, named */
	h.lock = hfhub_file_lock_acquire(old_lock, NULL, &error);
	g_assert_no_error(error);
	busy = hfhub_cache_plan_busy_locks(plan);
	g_assert_cmpuint(busy->len, ==, 1);
	g_assert_false(hfhub_cache_locks_take(locks, paths, FALSE, NULL, NULL, NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_CONFLICT);
	g_assert_nonnull(strstr(error->message, REPO_A));
	g_clear_error(&error);

	/* waiting: takes it once released */
	t.locks = hfhub_cache_locks_new();
	t.paths = paths;
	thread = g_thread_new("taker", take_thread, &t);
	g_timeout_add(300, release_later_cb, &h);
	/* nothing wakes the main context when the thread is done: poll */
	while (!g_atomic_int_get(&t.done)) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(10 * 1000);
	}
	g_thread_join(thread);
	g_assert_true(t.ok);
	g_assert_cmpuint(t.waits, ==, 1);
	g_assert_true(hfhub_cache_locks_holds_all(t.locks, paths));
	/* and now we are the ones who hold it */
	h.lock = hfhub_file_lock_try(old_lock, &error);
	g_assert_no_error(error);
	g_assert_null(h.lock);
	hfhub_cache_locks_free(t.locks);
}

/* ---- verify */

static gchar *
put_real_blob(Fixture *fx, const gchar *folder, const gchar *content, HfhubHashKind kind)
{
	g_autoptr(HfhubHasher) hasher = hfhub_hasher_new(kind, strlen(content), NULL);
	gchar *digest;
	g_autofree gchar *rel = NULL;

	hfhub_hasher_update(hasher, content, strlen(content));
	digest = hfhub_hasher_finish(hasher);
	rel = g_build_filename(folder, "blobs", digest, NULL);
	put_str(fx, rel, content);
	return digest;
}

static void
flip_byte(Fixture *fx, const gchar *rel, goffset offset)
{
	g_autofree gchar *path = cache_path(fx, rel);
	gint fd = g_open(path, O_RDWR, 0);
	guint8 c;

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(pread(fd, &c, 1, offset), ==, 1);
	c ^= 0x01;
	g_assert_cmpint(pwrite(fd, &c, 1, offset), ==, 1);
	close(fd);
}

static void
count_progress(guint64 bytes, guint files, gpointer user_data)
{
	guint64 *sums = user_data;

	g_atomic_pointer_add((gssize *)&sums[0], (gssize)bytes);
	g_atomic_pointer_add((gssize *)&sums[1], (gssize)files);
}

static void
test_verify(Fixture *fx, gconstpointer user_data)
{
	g_autofree gchar *lfs =
		put_real_blob(fx, REPO_A, "weights weights weights", HFHUB_HASH_SHA256);
	g_autofree gchar *git = put_real_blob(fx, REPO_A, "{\"a\": 1}\n", HFHUB_HASH_GIT_BLOB);
	g_autofree gchar *bad_rel = g_build_filename(REPO_A, "blobs", lfs, NULL);
	g_autofree gchar *bad_path = cache_path(fx, bad_rel);
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCacheVerify) verify = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) problems = NULL;
	guint64 sums[2] = { 0, 0 };
	HfhubCacheVerifyItem *bad = NULL;

	/* git hash-object of this content (sha1 of "blob 9\\0" + it) */
	g_assert_cmpstr(git, ==, "cb5b2f69babc53f9145b45ad20b9a075d48717ef");
	link_blob(fx, REPO_A, C1, "model.safetensors", lfs);
	link_blob(fx, REPO_A, C1, "config.json", git);
	link_blob(fx, REPO_A, C2, "model.safetensors", lfs);
	put_ref(fx, REPO_A, "main", C1);
	build_no_symlink_repo(fx);
	flip_byte(fx, bad_rel, 3);

	scan = scan_ok(fx, HFHUB_CACHE_SCAN_FILES);
	verify = hfhub_cache_verify_new(scan, NULL);
	/* two blobs of org/a, two copies that cannot be checked */
	g_assert_cmpuint(verify->items->len, ==, 4);
	g_assert_cmpuint(verify->total_files, ==, 2);
	g_assert_cmpuint(verify->total_bytes, ==, strlen("weights weights weights") + 9);
	g_assert_true(hfhub_cache_verify_run(verify, count_progress, sums, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(sums[0], ==, verify->total_bytes);
	g_assert_cmpuint(sums[1], ==, 2);
	g_assert_cmpuint(hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_OK), ==, 1);
	g_assert_cmpuint(hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_CORRUPTED), ==, 1);
	g_assert_cmpuint(hfhub_cache_verify_count(verify, HFHUB_CACHE_VERIFY_UNVERIFIABLE), ==, 2);
	for (guint i = 0; i < verify->items->len; i++) {
		HfhubCacheVerifyItem *item = g_ptr_array_index(verify->items, i);
		if (item->status == HFHUB_CACHE_VERIFY_CORRUPTED)
			bad = item;
	}
	g_assert_nonnull(bad);
	if (bad == NULL)
		return;
	g_assert_cmpstr(bad->blob->path, ==, bad_path);
	g_assert_cmpstr(bad->algorithm, ==, "sha256");
	/* the places it is used, for the repair download */
	g_assert_cmpuint(bad->uses->len, ==, 2);
	g_assert_cmpstr(((HfhubCacheVerifyUse *)g_ptr_array_index(bad->uses, 0))->path, ==,
			"model.safetensors");
	problems = g_variant_ref_sink(hfhub_cache_verify_problems_to_variant(verify));
	g_assert_cmpuint(g_variant_n_children(problems), ==, 1);

	g_assert_true(hfhub_cache_verify_remove(verify, bad, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(bad_path, G_FILE_TEST_EXISTS));
}

static void
test_verify_targets(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheScan) scan = NULL;
	g_autoptr(HfhubCacheVerify) verify = NULL;
	const gchar *targets[] = { "model/js/c", "nope/nope", NULL };

	build_python_repo(fx);
	build_js_repo(fx);
	scan = scan_ok(fx, HFHUB_CACHE_SCAN_FILES);
	verify = hfhub_cache_verify_new(scan, targets);
	g_assert_cmpuint(verify->items->len, ==, 1);
	g_assert_cmpuint(verify->missing->len, ==, 1);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

#define ADD(name, func) g_test_add(name, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/cache-scan/python-symlinks", test_python_symlinks);
	ADD("/cache-scan/no-symlinks", test_no_symlinks);
	ADD("/cache-scan/js-no-refs", test_js_no_refs);
	ADD("/cache-scan/damage", test_damage);
	ADD("/cache-scan/empty-snapshot", test_empty_snapshot);
	ADD("/cache-scan/all-layouts", test_all_layouts);
	ADD("/cache-scan/missing-and-file", test_missing_and_file);
	ADD("/cache-scan/many-repos", test_many_repos);
	ADD("/cache-scan/non-utf8-names", test_non_utf8_names);
	ADD("/cache-scan/select", test_select);
	ADD("/cache-plan/revision", test_plan_revision);
	ADD("/cache-plan/whole-repo", test_plan_whole_repo);
	ADD("/cache-plan/shared-blob", test_plan_shared_blob);
	ADD("/cache-plan/copies", test_plan_copies);
	ADD("/cache-plan/missing", test_plan_missing);
	ADD("/cache-plan/prune", test_prune);
	ADD("/cache-plan/prune-keeps-resumable", test_prune_keeps_resumable);
	ADD("/cache-plan/locks", test_locks);
	ADD("/cache-verify/flipped-byte", test_verify);
	ADD("/cache-verify/targets", test_verify_targets);
	g_test_add_func("/cache-plan/incomplete-etag", test_incomplete_etag);
	return g_test_run();
}
