/* Unit tests for hfhub-cache and hfhub-local-dir: the on-disk layout shared
 * with huggingface_hub, the file locks and the local_dir metadata. Each test
 * works in a fresh temporary directory, removed afterwards. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheTest"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-cache.h"
#include "hfhub-error.h"
#include "hfhub-local-dir.h"

#define COMMIT1 "1111111111111111111111111111111111111111"
#define COMMIT2 "2222222222222222222222222222222222222222"
#define ETAG1	"a16a55fda99d2f2e7b69cce5cf93ff4ad3049930"
#define ETAG2	"7c5d3f4b8b76583b422fcb9189ad6c89d5d97a094541ce8932dce3ecabde1421"
#define REPO	"models--org--name"

#define CACHEDIR_TAG                                                         \
	"Signature: 8a477f597d28d172789f06886806bc55\n"                      \
	"# This file is a cache directory tag created by huggingface_hub.\n" \
	"# For information about cache directory tags, see:\n"               \
	"#\thttps://bford.info/cachedir/\n"

typedef struct {
	gchar *tmpdir;
	gchar *cache_dir;
	gchar *repo_dir;
	gchar *local_dir;
	gchar *outside;
	HfhubCacheRepo *repo;
} Fixture;

static void
rm_rf(const gchar *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
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

	fx->tmpdir = g_dir_make_tmp("hfhub-cache-XXXXXX", &error);
	g_assert_no_error(error);
	/* does not exist yet: the cache creates what it needs */
	fx->cache_dir = g_build_filename(fx->tmpdir, "hub", NULL);
	fx->repo_dir = g_build_filename(fx->cache_dir, REPO, NULL);
	fx->local_dir = g_build_filename(fx->tmpdir, "local", NULL);
	fx->outside = g_build_filename(fx->tmpdir, "outside", NULL);
	g_assert_cmpint(g_mkdir(fx->outside, 0700), ==, 0);
	fx->repo = hfhub_cache_repo_new(fx->cache_dir, HFHUB_REPO_TYPE_MODEL, "org/name");
}

static void
fixture_teardown(Fixture *fx, gconstpointer user_data)
{
	rm_rf(fx->tmpdir);
	g_clear_object(&fx->repo);
	g_free(fx->tmpdir);
	g_free(fx->cache_dir);
	g_free(fx->repo_dir);
	g_free(fx->local_dir);
	g_free(fx->outside);
}

static void
write_file(const gchar *path, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

static gchar *
read_file(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;

	g_file_get_contents(path, &contents, NULL, &error);
	g_assert_no_error(error);
	return contents;
}

static gchar *
repo_file(Fixture *fx, const gchar *first, ...) G_GNUC_NULL_TERMINATED;

static gchar *
repo_file(Fixture *fx, const gchar *first, ...)
{
	va_list args;
	gchar *path;

	va_start(args, first);
	path = g_build_filename_valist(first, &args);
	va_end(args);
	{
		g_autofree gchar *rel = path;
		return g_build_filename(fx->repo_dir, rel, NULL);
	}
}

/* downloads @contents as blobs/<etag> the way the engine will */
static void
publish(HfhubCacheRepo *repo, const gchar *etag, const gchar *contents)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *incomplete = hfhub_cache_repo_incomplete_path(repo, etag);

	write_file(incomplete, contents);
	g_assert_true(hfhub_cache_repo_publish_blob(repo, incomplete, etag, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(incomplete, G_FILE_TEST_EXISTS));
}

static void
link_ok(HfhubCacheRepo *repo, const gchar *commit, const gchar *file, const gchar *etag,
	HfhubCacheLinkFlags flags)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(hfhub_cache_repo_link_snapshot_full(repo, commit, file, etag, flags, &error));
	g_assert_no_error(error);
}

/* nothing named .hfhub-* is left in @dir */
static void
assert_no_temp_files(const gchar *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const gchar *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		g_assert_false(g_str_has_prefix(name, ".hfhub-"));
}

/* ---- paths */

static void
test_paths(Fixture *fx, gconstpointer user_data)
{
	g_autofree gchar *blob = hfhub_cache_repo_blob_path(fx->repo, ETAG1);
	g_autofree gchar *incomplete = hfhub_cache_repo_incomplete_path(fx->repo, ETAG1);
	g_autofree gchar *unique1 = hfhub_cache_repo_incomplete_path_unique(fx->repo, ETAG1);
	g_autofree gchar *unique2 = hfhub_cache_repo_incomplete_path_unique(fx->repo, ETAG1);
	g_autofree gchar *snapshot_dir = hfhub_cache_repo_snapshot_dir(fx->repo, COMMIT1);
	g_autofree gchar *snapshot = hfhub_cache_repo_snapshot_path(fx->repo, COMMIT1, "a/b/x.bin");
	g_autofree gchar *lock = hfhub_cache_repo_lock_path(fx->repo, ETAG1);
	g_autofree gchar *no_exist = hfhub_cache_repo_no_exist_path(fx->repo, COMMIT1, "a/y.txt");
	g_autofree gchar *expected_lock =
		g_build_filename(fx->cache_dir, ".locks", REPO, ETAG1 ".lock", NULL);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *unique_re = NULL;
	g_autoptr(HfhubCacheRepo) dataset =
		hfhub_cache_repo_new(fx->cache_dir, HFHUB_REPO_TYPE_DATASET, "squad");

	g_assert_cmpstr(hfhub_cache_repo_get_path(fx->repo), ==, fx->repo_dir);
	g_assert_cmpstr(hfhub_cache_repo_get_folder_name(fx->repo), ==, REPO);
	g_assert_cmpstr(hfhub_cache_repo_get_repo_id(fx->repo), ==, "org/name");
	g_assert_cmpstr(hfhub_cache_repo_get_folder_name(dataset), ==, "datasets--squad");

	expected = repo_file(fx, "blobs", ETAG1, NULL);
	g_assert_cmpstr(blob, ==, expected);
	g_clear_pointer(&expected, g_free);
	expected = repo_file(fx, "blobs", ETAG1 ".incomplete", NULL);
	g_assert_cmpstr(incomplete, ==, expected);
	g_clear_pointer(&expected, g_free);

	unique_re = g_strdup_printf("^%s\\.[0-9a-f]{8}\\.incomplete$", blob);
	g_assert_true(g_regex_match_simple(unique_re, unique1, 0, 0));
	g_assert_true(g_regex_match_simple(unique_re, unique2, 0, 0));
	g_assert_cmpstr(unique1, !=, unique2);

	expected = repo_file(fx, "snapshots", COMMIT1, NULL);
	g_assert_cmpstr(snapshot_dir, ==, expected);
	g_clear_pointer(&expected, g_free);
	expected = repo_file(fx, "snapshots", COMMIT1, "a", "b", "x.bin", NULL);
	g_assert_cmpstr(snapshot, ==, expected);
	g_clear_pointer(&expected, g_free);
	expected = repo_file(fx, ".no_exist", COMMIT1, "a", "y.txt", NULL);
	g_assert_cmpstr(no_exist, ==, expected);
	g_assert_cmpstr(lock, ==, expected_lock);
}

/* ---- snapshots */

static void
check_link(Fixture *fx, const gchar *file, const gchar *target, const gchar *contents)
{
	g_autofree gchar *pointer = hfhub_cache_repo_snapshot_path(fx->repo, COMMIT1, file);
	g_autofree gchar *link = g_file_read_link(pointer, NULL);
	g_autofree gchar *read_back = read_file(pointer);

	g_assert_cmpstr(link, ==, target);
	g_assert_cmpstr(read_back, ==, contents);
}

static void
test_link_relative(Fixture *fx, gconstpointer user_data)
{
	g_autofree gchar *blob = hfhub_cache_repo_blob_path(fx->repo, ETAG1);
	g_autofree gchar *pointer = NULL;
	g_autofree gchar *blob_real = NULL;
	g_autofree gchar *pointer_real = NULL;

	publish(fx->repo, ETAG1, "hello");
	link_ok(fx->repo, COMMIT1, "README.md", ETAG1, HFHUB_CACHE_LINK_NONE);
	check_link(fx, "README.md", "../../blobs/" ETAG1, "hello");
	link_ok(fx->repo, COMMIT1, "a/b/x.bin", ETAG1, HFHUB_CACHE_LINK_NONE);
	check_link(fx, "a/b/x.bin", "../../../../blobs/" ETAG1, "hello");

	/* it leads to the blob itself, not a copy */
	pointer = hfhub_cache_repo_snapshot_path(fx->repo, COMMIT1, "a/b/x.bin");
	blob_real = realpath(blob, NULL);
	pointer_real = realpath(pointer, NULL);
	g_assert_cmpstr(pointer_real, ==, blob_real);
}

static void
test_link_replace(Fixture *fx, gconstpointer user_data)
{
	g_autofree gchar *snapshot = hfhub_cache_repo_snapshot_dir(fx->repo, COMMIT1);
	g_autofree gchar *plain = hfhub_cache_repo_snapshot_path(fx->repo, COMMIT1, "plain.txt");
	g_autoptr(GError) error = NULL;

	publish(fx->repo, ETAG1, "hello");
	publish(fx->repo, ETAG2, "world");
	link_ok(fx->repo, COMMIT1, "README.md", ETAG1, HFHUB_CACHE_LINK_NONE);
	link_ok(fx->repo, COMMIT1, "README.md", ETAG2, HFHUB_CACHE_LINK_NONE);
	check_link(fx, "README.md", "../../blobs/" ETAG2, "world");
	/* again: already right */
	link_ok(fx->repo, COMMIT1, "README.md", ETAG2, HFHUB_CACHE_LINK_NONE);
	check_link(fx, "README.md", "../../blobs/" ETAG2, "world");

	/* a copy left by no-symlink mode becomes a link */
	write_file(plain, "old copy");
	link_ok(fx->repo, COMMIT1, "plain.txt", ETAG1, HFHUB_CACHE_LINK_NONE);
	check_link(fx, "plain.txt", "../../blobs/" ETAG1, "hello");
	assert_no_temp_files(snapshot);

	/* a directory in the way is an error, not a loss */
	g_assert_cmpint(g_mkdir(plain, 0700), !=, 0);
	{
		g_autofree gchar *dir = hfhub_cache_repo_snapshot_path(fx->repo, COMMIT1, "d");
		g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
		g_assert_false(
			hfhub_cache_repo_link_snapshot(fx->repo, COMMIT1, "d", ETAG1, &error));
		g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_IO);
		g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
	}
	assert_no_temp_files(snapshot);
}

static void
test_link_no_symlinks(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubCacheRepo) repo =
		hfhub_cache_repo_new_full(fx->cache_dir, HFHUB_REPO_TYPE_MODEL, "org/name", FALSE);
	g_autofree gchar *blob1 = hfhub_cache_repo_blob_path(repo, ETAG1);
	g_autofree gchar *blob2 = hfhub_cache_repo_blob_path(repo, ETAG2);
	g_autofree gchar *p1 = hfhub_cache_repo_snapshot_path(repo, COMMIT1, "a/x.bin");
	g_autofree gchar *p2 = hfhub_cache_repo_snapshot_path(repo, COMMIT1, "y.bin");
	g_autofree gchar *p3 = hfhub_cache_repo_snapshot_path(repo, COMMIT2, "y.bin");
	g_autofree gchar *c1 = NULL;
	g_autofree gchar *c2 = NULL;
	g_autofree gchar *c3 = NULL;
	g_autofree gchar *resolved = NULL;

	g_assert_false(hfhub_cache_repo_get_use_symlinks(repo));

	/* a new blob is moved into the snapshot */
	publish(repo, ETAG1, "hello");
	link_ok(repo, COMMIT1, "a/x.bin", ETAG1, HFHUB_CACHE_LINK_NEW_BLOB);
	g_assert_false(g_file_test(p1, G_FILE_TEST_IS_SYMLINK));
	c1 = read_file(p1);
	g_assert_cmpstr(c1, ==, "hello");
	g_assert_false(g_file_test(blob1, G_FILE_TEST_EXISTS));

	/* an existing blob is copied */
	publish(repo, ETAG2, "world");
	link_ok(repo, COMMIT1, "y.bin", ETAG2, HFHUB_CACHE_LINK_NONE);
	link_ok(repo, COMMIT2, "y.bin", ETAG2, HFHUB_CACHE_LINK_NONE);
	g_assert_false(g_file_test(p2, G_FILE_TEST_IS_SYMLINK));
	g_assert_false(g_file_test(p3, G_FILE_TEST_IS_SYMLINK));
	c2 = read_file(p2);
	c3 = read_file(p3);
	g_assert_cmpstr(c2, ==, "world");
	g_assert_cmpstr(c3, ==, "world");
	g_assert_true(g_file_test(blob2, G_FILE_TEST_IS_REGULAR));

	/* and the copies are found in the cache */
	resolved = hfhub_cache_repo_resolve_cached(repo, COMMIT1, "a/x.bin");
	g_assert_cmpstr(resolved, ==, p1);
}

/* ---- refs */

static void
test_refs(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *main_ref = repo_file(fx, "refs", "main", NULL);
	g_autofree gchar *pr_ref = repo_file(fx, "refs", "refs", "pr", "1", NULL);
	g_autofree gchar *commit_ref = repo_file(fx, "refs", COMMIT1, NULL);
	g_autofree gchar *dev_ref = repo_file(fx, "refs", "dev", NULL);
	g_autofree gchar *bad_ref = repo_file(fx, "refs", "bad", NULL);
	gchar *value;

	value = hfhub_cache_repo_read_ref(fx->repo, "main", &error);
	g_assert_no_error(error);
	g_assert_null(value);

	g_assert_true(hfhub_cache_repo_write_ref(fx->repo, "main", COMMIT1, &error));
	g_assert_no_error(error);
	value = read_file(main_ref);
	g_assert_cmpstr(value, ==, COMMIT1); /* exactly 40 hex, no newline */
	g_free(value);
	value = hfhub_cache_repo_read_ref(fx->repo, "main", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(value, ==, COMMIT1);
	g_free(value);

	g_assert_true(hfhub_cache_repo_write_ref(fx->repo, "main", COMMIT2, &error));
	value = hfhub_cache_repo_read_ref(fx->repo, "main", &error);
	g_assert_cmpstr(value, ==, COMMIT2);
	g_free(value);

	/* refs/pr/1 is nested */
	g_assert_true(hfhub_cache_repo_write_ref(fx->repo, "refs/pr/1", COMMIT1, &error));
	g_assert_no_error(error);
	value = read_file(pr_ref);
	g_assert_cmpstr(value, ==, COMMIT1);
	g_free(value);
	value = hfhub_cache_repo_read_ref(fx->repo, "refs/pr/1", &error);
	g_assert_cmpstr(value, ==, COMMIT1);
	g_free(value);

	/* a commit is not its own ref */
	g_assert_true(hfhub_cache_repo_write_ref(fx->repo, COMMIT1, COMMIT1, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(commit_ref, G_FILE_TEST_EXISTS));

	/* what another client may have written */
	write_file(dev_ref, COMMIT2 "\n");
	value = hfhub_cache_repo_read_ref(fx->repo, "dev", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(value, ==, COMMIT2);
	g_free(value);
	write_file(bad_ref, "not a commit");
	value = hfhub_cache_repo_read_ref(fx->repo, "bad", &error);
	g_assert_no_error(error);
	g_assert_null(value);

	g_assert_false(hfhub_cache_repo_write_ref(fx->repo, "../x", COMMIT1, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(hfhub_cache_repo_write_ref(fx->repo, "main", "main", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_null(hfhub_cache_repo_read_ref(fx->repo, "/etc/passwd", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	assert_no_temp_files(fx->repo_dir);
}

/* ---- resolve_cached and .no_exist */

static void
test_resolve_cached(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pointer = hfhub_cache_repo_snapshot_path(fx->repo, COMMIT1, "README.md");
	g_autofree gchar *blob = hfhub_cache_repo_blob_path(fx->repo, ETAG1);
	g_autofree gchar *marker = NULL;
	gchar *path;

	/* nothing cached */
	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, "main", "README.md"));
	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, COMMIT1, "README.md"));

	publish(fx->repo, ETAG1, "hello");
	link_ok(fx->repo, COMMIT1, "README.md", ETAG1, HFHUB_CACHE_LINK_NONE);
	/* a commit needs no ref; a branch does */
	path = hfhub_cache_repo_resolve_cached(fx->repo, COMMIT1, "README.md");
	g_assert_cmpstr(path, ==, pointer);
	g_free(path);
	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, "main", "README.md"));
	g_assert_true(hfhub_cache_repo_write_ref(fx->repo, "main", COMMIT1, &error));
	path = hfhub_cache_repo_resolve_cached(fx->repo, "main", "README.md");
	g_assert_cmpstr(path, ==, pointer);
	g_free(path);

	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, "main", "other.md"));
	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, "dev", "README.md"));
	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, "main", "../README.md"));

	/* a dangling link is not a cached file */
	g_assert_cmpint(g_unlink(blob), ==, 0);
	g_assert_null(hfhub_cache_repo_resolve_cached(fx->repo, "main", "README.md"));

	/* .no_exist */
	g_assert_false(hfhub_cache_repo_is_no_exist(fx->repo, COMMIT1, "a/missing.txt"));
	g_assert_true(hfhub_cache_repo_mark_no_exist(fx->repo, COMMIT1, "a/missing.txt", &error));
	g_assert_no_error(error);
	g_assert_true(hfhub_cache_repo_is_no_exist(fx->repo, COMMIT1, "a/missing.txt"));
	g_assert_false(hfhub_cache_repo_is_no_exist(fx->repo, COMMIT2, "a/missing.txt"));
	g_assert_false(hfhub_cache_repo_is_no_exist(fx->repo, COMMIT1, "a/other.txt"));
	marker = repo_file(fx, ".no_exist", COMMIT1, "a", "missing.txt", NULL);
	{
		g_autofree gchar *contents = read_file(marker);
		g_assert_cmpstr(contents, ==, "");
	}
	/* marking twice is fine */
	g_assert_true(hfhub_cache_repo_mark_no_exist(fx->repo, COMMIT1, "a/missing.txt", &error));
	g_assert_false(hfhub_cache_repo_mark_no_exist(fx->repo, "main", "x", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
}

/* ---- blobs */

static void
test_publish_blob(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *blob = hfhub_cache_repo_blob_path(fx->repo, ETAG1);
	g_autofree gchar *tag = g_build_filename(fx->cache_dir, "CACHEDIR.TAG", NULL);
	g_autofree gchar *tag_contents = NULL;
	g_autofree gchar *missing = repo_file(fx, "blobs", "nope.incomplete", NULL);
	g_autofree gchar *blobs = repo_file(fx, "blobs", NULL);
	GStatBuf st;
	mode_t old_umask;

	g_assert_false(hfhub_cache_repo_has_blob(fx->repo, ETAG1, 4));

	/* the blob gets 0666 & ~umask, whatever mode the download had */
	old_umask = umask(027);
	publish(fx->repo, ETAG1, "data");
	umask(old_umask);
	g_assert_cmpint(g_stat(blob, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0640);

	g_assert_true(hfhub_cache_repo_has_blob(fx->repo, ETAG1, 4));
	g_assert_false(hfhub_cache_repo_has_blob(fx->repo, ETAG1, 5));
	g_assert_false(hfhub_cache_repo_has_blob(fx->repo, ETAG2, 4));
	g_assert_false(hfhub_cache_repo_has_blob(fx->repo, "../x", 4));

	tag_contents = read_file(tag);
	g_assert_cmpstr(tag_contents, ==, CACHEDIR_TAG);
	assert_no_temp_files(blobs);

	/* publishing again over an existing blob is an atomic replace */
	publish(fx->repo, ETAG1, "data");

	g_assert_false(hfhub_cache_repo_publish_blob(fx->repo, missing, ETAG2, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_IO);
	g_clear_error(&error);
	g_assert_false(hfhub_cache_repo_publish_blob(fx->repo, missing, "../../x", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
}

static void
test_unsafe_inputs(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *snapshot = hfhub_cache_repo_snapshot_dir(fx->repo, COMMIT1);
	g_autofree gchar *evil = g_build_filename(snapshot, "evil", NULL);
	g_autofree gchar *escaped = g_build_filename(fx->outside, "x.bin", NULL);

	publish(fx->repo, ETAG1, "hello");
	g_assert_false(hfhub_cache_repo_link_snapshot(fx->repo, COMMIT1, "../x", ETAG1, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);
	g_assert_false(hfhub_cache_repo_link_snapshot(fx->repo, COMMIT1, "x", "../x", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);
	g_assert_false(hfhub_cache_repo_link_snapshot(fx->repo, "main", "x", ETAG1, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* a symlinked directory in the snapshot must not lead a write outside */
	g_assert_cmpint(g_mkdir_with_parents(snapshot, 0700), ==, 0);
	g_assert_cmpint(symlink(fx->outside, evil), ==, 0);
	g_assert_false(
		hfhub_cache_repo_link_snapshot(fx->repo, COMMIT1, "evil/x.bin", ETAG1, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_assert_false(g_file_test(escaped, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
}

/* ---- locks */

static void
test_lock_try(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = hfhub_cache_repo_lock_path(fx->repo, ETAG1);
	HfhubFileLock *first;
	HfhubFileLock *second;
	GStatBuf st;

	/* creates .locks/<folder>/ */
	first = hfhub_file_lock_try(path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(first);
	g_assert_true(hfhub_file_lock_is_held(first));
	g_assert_cmpstr(hfhub_file_lock_get_path(first), ==, path);

	/* held elsewhere (another open file, as another process would be) */
	second = hfhub_file_lock_try(path, &error);
	g_assert_no_error(error);
	g_assert_null(second);

	hfhub_file_lock_release(first);
	second = hfhub_file_lock_try(path, &error);
	g_assert_no_error(error);
	g_assert_nonnull(second);
	hfhub_file_lock_release(second);

	/* left behind, group-writable as huggingface_hub creates it */
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, 0664);
}

static void
test_lock_cancelled(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = hfhub_cache_repo_lock_path(fx->repo, ETAG1);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(HfhubFileLock) held = hfhub_file_lock_try(path, &error);
	gint64 start;

	g_assert_nonnull(held);
	g_cancellable_cancel(cancellable);
	start = g_get_monotonic_time();
	g_assert_null(hfhub_file_lock_acquire(path, cancellable, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_CANCELLED);
	g_assert_cmpint(g_get_monotonic_time() - start, <, G_USEC_PER_SEC);
}

typedef struct {
	const gchar *path;
	GCancellable *cancellable;
	GMutex mutex;
	GCond cond;
	gboolean saw_held;
	gboolean acquired;
	GError *error;
} LockThread;

static gpointer
lock_thread_func(gpointer user_data)
{
	LockThread *lt = user_data;
	HfhubFileLock *lock = hfhub_file_lock_try(lt->path, &lt->error);

	/* the main thread holds it */
	g_assert_null(lock);
	g_assert_no_error(lt->error);
	g_mutex_lock(&lt->mutex);
	lt->saw_held = TRUE;
	g_cond_signal(&lt->cond);
	g_mutex_unlock(&lt->mutex);

	lock = hfhub_file_lock_acquire(lt->path, lt->cancellable, &lt->error);
	lt->acquired = lock != NULL && hfhub_file_lock_is_held(lock);
	hfhub_file_lock_release(lock);
	return NULL;
}

/* starts the thread and returns once it has seen the lock held */
static GThread *
lock_thread_start(LockThread *lt)
{
	GThread *thread = g_thread_new("lock", lock_thread_func, lt);

	g_mutex_lock(&lt->mutex);
	while (!lt->saw_held)
		g_cond_wait(&lt->cond, &lt->mutex);
	g_mutex_unlock(&lt->mutex);
	return thread;
}

static void
test_lock_thread(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = hfhub_cache_repo_lock_path(fx->repo, ETAG1);
	HfhubFileLock *held = hfhub_file_lock_acquire(path, NULL, &error);
	LockThread lt = { .path = path };
	GThread *thread;

	g_assert_no_error(error);
	g_assert_nonnull(held);
	g_mutex_init(&lt.mutex);
	g_cond_init(&lt.cond);
	thread = lock_thread_start(&lt);
	/* the thread waits in acquire until we let go */
	hfhub_file_lock_release(held);
	g_thread_join(thread);
	g_assert_no_error(lt.error);
	g_assert_true(lt.acquired);
	g_mutex_clear(&lt.mutex);
	g_cond_clear(&lt.cond);
}

/* polls @path's waiter count until it is @expected, for up to 10 s */
static gboolean
wait_for_waiters(const gchar *path, gboolean expected)
{
	for (guint i = 0; i < 10000; i++) {
		if (hfhub_file_lock_has_waiters(path) == expected)
			return TRUE;
		g_usleep(1000);
	}
	return FALSE;
}

static void
test_lock_waiters(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = hfhub_cache_repo_lock_path(fx->repo, ETAG1);
	g_autofree gchar *other = hfhub_cache_repo_lock_path(fx->repo, ETAG2);
	HfhubFileLock *held = hfhub_file_lock_acquire(path, NULL, &error);
	LockThread lt = { .path = path };
	GThread *thread;

	g_assert_no_error(error);
	/* taken at once: nobody waited */
	g_assert_false(hfhub_file_lock_has_waiters(path));
	g_mutex_init(&lt.mutex);
	g_cond_init(&lt.cond);
	thread = lock_thread_start(&lt);
	g_assert_true(wait_for_waiters(path, TRUE));
	g_assert_false(hfhub_file_lock_has_waiters(other));
	hfhub_file_lock_release(held);
	g_thread_join(thread);
	g_assert_true(lt.acquired);
	g_assert_false(hfhub_file_lock_has_waiters(path));
	g_mutex_clear(&lt.mutex);
	g_cond_clear(&lt.cond);
}

static void
test_lock_cancel_while_waiting(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = hfhub_cache_repo_lock_path(fx->repo, ETAG1);
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(HfhubFileLock) held = hfhub_file_lock_acquire(path, NULL, &error);
	LockThread lt = { .path = path, .cancellable = cancellable };
	GThread *thread;

	g_assert_nonnull(held);
	g_mutex_init(&lt.mutex);
	g_cond_init(&lt.cond);
	thread = lock_thread_start(&lt);
	g_cancellable_cancel(cancellable);
	g_thread_join(thread);
	g_assert_false(lt.acquired);
	g_assert_false(hfhub_file_lock_has_waiters(path));
	g_assert_error(lt.error, HFHUB_ERROR, HFHUB_ERROR_CANCELLED);
	g_clear_error(&lt.error);
	g_mutex_clear(&lt.mutex);
	g_cond_clear(&lt.cond);
}

/* ---- disk space */

static void
test_check_free(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	/* does not exist: its nearest existing ancestor is measured */
	g_autofree gchar *deep = g_build_filename(fx->cache_dir, "not", "yet", NULL);

	g_assert_true(hfhub_cache_dir_check_free(deep, 1, &error));
	g_assert_no_error(error);
	g_assert_false(hfhub_cache_dir_check_free(deep, G_MAXUINT64, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_DISK_FULL);
	g_assert_nonnull(strstr(error->message, "needs"));
}

/* ---- local_dir */

static void
test_local_dir_paths(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *file = hfhub_local_dir_file_path(fx->local_dir, "sub/x.bin", &error);
	g_autofree gchar *meta = hfhub_local_dir_metadata_path(fx->local_dir, "sub/x.bin", &error);
	g_autofree gchar *lock = hfhub_local_dir_lock_path(fx->local_dir, "sub/x.bin", &error);
	g_autofree gchar *inc =
		hfhub_local_dir_incomplete_path(fx->local_dir, "sub/x.bin", ETAG2, &error);
	g_autofree gchar *inc_unique =
		hfhub_local_dir_incomplete_path_unique(fx->local_dir, "sub/x.bin", ETAG2, &error);
	g_autofree gchar *download =
		g_build_filename(fx->local_dir, ".cache", "huggingface", "download", "sub", NULL);
	g_autofree gchar *expected = NULL;
	g_autofree gchar *unique_re = NULL;

	g_assert_no_error(error);
	expected = g_build_filename(fx->local_dir, "sub", "x.bin", NULL);
	g_assert_cmpstr(file, ==, expected);
	g_clear_pointer(&expected, g_free);
	expected = g_build_filename(download, "x.bin.metadata", NULL);
	g_assert_cmpstr(meta, ==, expected);
	g_clear_pointer(&expected, g_free);
	expected = g_build_filename(download, "x.bin.lock", NULL);
	g_assert_cmpstr(lock, ==, expected);
	g_clear_pointer(&expected, g_free);
	/* base64.urlsafe_b64encode(sha1(b"x.bin.metadata").digest()), from CPython */
	expected = g_build_filename(download, "Rw6HN3nDC2RV5-Sn50bbfVKF42I=." ETAG2 ".incomplete",
				    NULL);
	g_assert_cmpstr(inc, ==, expected);
	unique_re = g_strdup_printf("^%s/Rw6HN3nDC2RV5-Sn50bbfVKF42I=\\.%s\\.[0-9a-f]{8}"
				    "\\.incomplete$",
				    download, ETAG2);
	g_assert_true(g_regex_match_simple(unique_re, inc_unique, 0, 0));

	g_assert_null(hfhub_local_dir_file_path(fx->local_dir, "../x", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);
	g_assert_null(hfhub_local_dir_incomplete_path(fx->local_dir, "x", "a/b", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
}

static void
test_local_dir_metadata(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *meta = hfhub_local_dir_metadata_path(fx->local_dir, "a/x.bin", &error);
	g_autofree gchar *hf = g_build_filename(fx->local_dir, ".cache", "huggingface", NULL);
	g_autofree gchar *gitignore = g_build_filename(hf, ".gitignore", NULL);
	g_autofree gchar *tag = g_build_filename(hf, "CACHEDIR.TAG", NULL);
	g_autofree gchar *raw = NULL;
	g_autofree gchar *commit = NULL;
	g_autofree gchar *etag = NULL;
	g_autofree gchar *contents = NULL;
	g_autofree gchar *meta_dir = g_path_get_dirname(meta);
	gdouble before = (gdouble)g_get_real_time() / G_USEC_PER_SEC;
	gdouble timestamp = 0;

	g_assert_false(
		hfhub_local_dir_read_metadata(fx->local_dir, "a/x.bin", NULL, NULL, NULL, &error));
	g_assert_no_error(error);

	g_assert_true(
		hfhub_local_dir_write_metadata(fx->local_dir, "a/x.bin", COMMIT1, ETAG2, &error));
	g_assert_no_error(error);
	raw = read_file(meta);
	g_assert_true(
		g_regex_match_simple("^" COMMIT1 "\n" ETAG2 "\n[0-9]+\\.[0-9]+\n$", raw, 0, 0));
	g_assert_true(hfhub_local_dir_read_metadata(fx->local_dir, "a/x.bin", &commit, &etag,
						    &timestamp, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(commit, ==, COMMIT1);
	g_assert_cmpstr(etag, ==, ETAG2);
	g_assert_cmpfloat(timestamp, >=, before - 1);
	g_assert_cmpfloat(timestamp, <=, (gdouble)g_get_real_time() / G_USEC_PER_SEC + 1);
	assert_no_temp_files(meta_dir);

	contents = read_file(gitignore);
	g_assert_cmpstr(contents, ==, "*");
	g_clear_pointer(&contents, g_free);
	contents = read_file(tag);
	g_assert_cmpstr(contents, ==, CACHEDIR_TAG);

	/* what Python writes reads back */
	write_file(meta, COMMIT2 "\n" ETAG1 "\n1712656091.123\n");
	g_clear_pointer(&commit, g_free);
	g_clear_pointer(&etag, g_free);
	g_assert_true(hfhub_local_dir_read_metadata(fx->local_dir, "a/x.bin", &commit, &etag,
						    &timestamp, &error));
	g_assert_cmpstr(commit, ==, COMMIT2);
	g_assert_cmpstr(etag, ==, ETAG1);
	g_assert_cmpfloat(timestamp, ==, 1712656091.123);

	/* unparsable metadata is dropped, as Python does */
	write_file(meta, COMMIT2 "\n" ETAG1 "\nyesterday\n");
	g_assert_false(
		hfhub_local_dir_read_metadata(fx->local_dir, "a/x.bin", NULL, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(meta, G_FILE_TEST_EXISTS));

	g_assert_false(
		hfhub_local_dir_write_metadata(fx->local_dir, "a/x.bin", "main", ETAG1, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
}

static void
set_mtime(const gchar *path, gdouble when)
{
	struct timespec times[2];

	times[0].tv_sec = (time_t)when;
	times[0].tv_nsec = (long)((when - (gdouble)(time_t)when) * 1e9);
	times[1] = times[0];
	g_assert_cmpint(utimensat(AT_FDCWD, path, times, 0), ==, 0);
}

static void
test_local_dir_up_to_date(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *file = hfhub_local_dir_file_path(fx->local_dir, "x.bin", &error);
	gdouble timestamp = 0;

	g_assert_false(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG1, 5));
	write_file(file, "hello");
	g_assert_false(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG1, 5));
	g_assert_true(
		hfhub_local_dir_write_metadata(fx->local_dir, "x.bin", COMMIT1, ETAG1, &error));
	g_assert_true(hfhub_local_dir_read_metadata(fx->local_dir, "x.bin", NULL, NULL, &timestamp,
						    &error));
	g_assert_no_error(error);

	set_mtime(file, timestamp - 5);
	g_assert_true(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG1, 5));
	g_assert_false(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG1, 6));
	g_assert_false(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG2, 5));
	/* Python allows one second for coarse mtimes */
	set_mtime(file, timestamp + 0.5);
	g_assert_true(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG1, 5));
	/* touched after the metadata was written: the user changed it */
	set_mtime(file, timestamp + 10);
	g_assert_false(hfhub_local_dir_is_up_to_date(fx->local_dir, "x.bin", ETAG1, 5));
}

static void
test_local_dir_publish(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *inc =
		hfhub_local_dir_incomplete_path(fx->local_dir, "sub/dir/x.bin", ETAG1, &error);
	g_autofree gchar *dest = hfhub_local_dir_file_path(fx->local_dir, "sub/dir/x.bin", &error);
	g_autofree gchar *contents = NULL;

	g_assert_no_error(error);
	write_file(inc, "payload");
	g_assert_true(hfhub_local_dir_publish(fx->local_dir, inc, "sub/dir/x.bin", &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(inc, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(dest, G_FILE_TEST_IS_SYMLINK));
	contents = read_file(dest);
	g_assert_cmpstr(contents, ==, "payload");

	/* replaces an older version */
	write_file(inc, "newer");
	g_assert_true(hfhub_local_dir_publish(fx->local_dir, inc, "sub/dir/x.bin", &error));
	g_clear_pointer(&contents, g_free);
	contents = read_file(dest);
	g_assert_cmpstr(contents, ==, "newer");
}

static void
test_local_dir_symlink_escape(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sub = g_build_filename(fx->local_dir, "sub", NULL);
	g_autofree gchar *inner = g_build_filename(fx->local_dir, "inner", NULL);
	g_autofree gchar *alias = g_build_filename(fx->local_dir, "alias", NULL);
	g_autofree gchar *inc =
		hfhub_local_dir_incomplete_path(fx->local_dir, "y.bin", ETAG1, &error);
	g_autofree gchar *escaped = g_build_filename(fx->outside, "x.bin", NULL);
	g_autofree gchar *path = NULL;

	g_assert_cmpint(g_mkdir_with_parents(inner, 0700), ==, 0);
	g_assert_cmpint(symlink(fx->outside, sub), ==, 0);
	g_assert_cmpint(symlink("inner", alias), ==, 0);

	g_assert_null(hfhub_local_dir_file_path(fx->local_dir, "sub/x.bin", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);

	write_file(inc, "payload");
	g_assert_false(hfhub_local_dir_publish(fx->local_dir, inc, "sub/x.bin", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);
	g_assert_false(g_file_test(escaped, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(inc, G_FILE_TEST_EXISTS));

	/* a symlink that stays inside is the user's business */
	path = hfhub_local_dir_file_path(fx->local_dir, "alias/x.bin", &error);
	g_assert_no_error(error);
	g_assert_nonnull(path);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(name, func) g_test_add(name, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/cache/paths", test_paths);
	ADD("/cache/link/relative", test_link_relative);
	ADD("/cache/link/replace", test_link_replace);
	ADD("/cache/link/no-symlinks", test_link_no_symlinks);
	ADD("/cache/refs", test_refs);
	ADD("/cache/resolve-cached", test_resolve_cached);
	ADD("/cache/publish-blob", test_publish_blob);
	ADD("/cache/unsafe-inputs", test_unsafe_inputs);
	ADD("/cache/lock/try", test_lock_try);
	ADD("/cache/lock/cancelled", test_lock_cancelled);
	ADD("/cache/lock/thread", test_lock_thread);
	ADD("/cache/lock/waiters", test_lock_waiters);
	ADD("/cache/lock/cancel-while-waiting", test_lock_cancel_while_waiting);
	ADD("/cache/check-free", test_check_free);
	ADD("/local-dir/paths", test_local_dir_paths);
	ADD("/local-dir/metadata", test_local_dir_metadata);
	ADD("/local-dir/up-to-date", test_local_dir_up_to_date);
	ADD("/local-dir/publish", test_local_dir_publish);
	ADD("/local-dir/symlink-escape", test_local_dir_symlink_escape);
#undef ADD
	return g_test_run();
}
