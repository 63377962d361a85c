/* Unit tests for hfhub-repo-path: what may become a path on disk. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubRepoPathTest"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-error.h"
#include "hfhub-repo-path.h"

typedef struct {
	const gchar *value;
	gboolean valid;
} Case;

typedef gboolean (*ValidateFunc)(const gchar *value, GError **error);

static void
check_cases(ValidateFunc func, const Case *cases, gsize n_cases, gint error_code)
{
	for (gsize i = 0; i < n_cases; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *shown = g_strescape(cases[i].value, NULL);
		gboolean ok = func(cases[i].value, &error);

		if (ok != cases[i].valid)
			g_test_message("case %" G_GSIZE_FORMAT ": '%.80s' expected %s", i, shown,
				       cases[i].valid ? "valid" : "invalid");
		g_assert_cmpint(ok, ==, cases[i].valid);
		if (cases[i].valid) {
			g_assert_no_error(error);
		} else {
			g_assert_error(error, HFHUB_ERROR, error_code);
			/* a hostile name never reaches a terminal raw */
			for (const gchar *p = error->message; *p != '\0'; p++)
				g_assert_false((guchar)*p < 0x20 || *p == 0x7f);
		}
	}
}

static gchar *
repeat(gchar c, gsize n)
{
	gchar *s = g_malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_repo_id(void)
{
	g_autofree gchar *name96 = repeat('a', 96);
	g_autofree gchar *name97 = repeat('a', 97);
	g_autofree gchar *ns_name96 = g_strconcat("org/", name96, NULL);
	g_autofree gchar *ns97_name = g_strconcat(name97, "/x", NULL);
	const Case cases[] = {
		{ "gpt2", TRUE },
		{ "org/name", TRUE },
		{ "Foo-BAR_foo.bar123", TRUE },
		{ "123", TRUE },
		{ "a", TRUE },
		{ "_private", TRUE },
		{ "org/a.b-c_d", TRUE },
		{ name96, TRUE },
		{ ns_name96, TRUE },
		{ "", FALSE },
		{ "datasets/foo/bar", FALSE },
		{ "a/b/c", FALSE },
		{ ".repo", FALSE },
		{ "repo.", FALSE },
		{ "-repo", FALSE },
		{ "repo-", FALSE },
		{ "org/-repo", FALSE },
		{ "org-/repo", FALSE },
		{ "foo--bar", FALSE },
		{ "foo..bar", FALSE },
		{ "foo.git", FALSE },
		{ "a b", FALSE },
		{ "café", FALSE },
		{ "org/", FALSE },
		{ "/name", FALSE },
		{ "org//name", FALSE },
		{ "a\x01"
		  "b",
		  FALSE },
		{ name97, FALSE },
		{ ns97_name, FALSE },
	};

	check_cases(hfhub_repo_id_validate, cases, G_N_ELEMENTS(cases),
		    HFHUB_ERROR_INVALID_ARGUMENT);
}

static void
test_revision(void)
{
	g_autofree gchar *long_ok = repeat('r', 256);
	g_autofree gchar *too_long = repeat('r', 257);
	const Case cases[] = {
		{ "main", TRUE },
		{ "v1.0", TRUE },
		{ "refs/pr/7", TRUE },
		{ "refs/convert/parquet", TRUE },
		{ "0123456789abcdef0123456789abcdef01234567", TRUE },
		{ "feature/my-branch_2", TRUE },
		{ "abc1234", TRUE },
		{ long_ok, TRUE },
		{ "", FALSE },
		{ "..", FALSE },
		{ "a/../b", FALSE },
		{ "a..b", FALSE },
		{ "/main", FALSE },
		{ "main/", FALSE },
		{ "a//b", FALSE },
		{ "refs/./pr", FALSE },
		{ ".hidden", FALSE },
		{ "branch.lock", FALSE },
		{ "a b", FALSE },
		{ "a\x01", FALSE },
		{ "a~1", FALSE },
		{ "a^", FALSE },
		{ "a:b", FALSE },
		{ "a?", FALSE },
		{ "a*", FALSE },
		{ "a[", FALSE },
		{ "a\\b", FALSE },
		{ "a@{1}", FALSE },
		{ "@", FALSE },
		{ "x.", FALSE },
		{ "\xff", FALSE },
		{ too_long, FALSE },
	};

	check_cases(hfhub_revision_validate, cases, G_N_ELEMENTS(cases),
		    HFHUB_ERROR_INVALID_ARGUMENT);
}

static void
test_file_path(void)
{
	g_autofree gchar *seg255 = repeat('s', 255);
	g_autofree gchar *seg300 = repeat('s', 300);
	g_autofree gchar *nested255 = g_strconcat("dir/", seg255, "/x", NULL);
	g_autofree gchar *nested300 = g_strconcat("dir/", seg300, "/x", NULL);
	g_autofree gchar *long_path = NULL;
	g_autofree gchar *too_long_path = NULL;
	g_autofree gchar *seg200 = repeat('s', 200);
	GString *s = g_string_new(NULL);

	/* segments of 200 bytes, cut at 4096 and 4097 bytes (not on a "/") */
	while (s->len < 4200)
		g_string_append_printf(s, "%s%s", s->len > 0 ? "/" : "", seg200);
	long_path = g_strndup(s->str, 4096);
	too_long_path = g_strndup(s->str, 4097);
	g_string_free(s, TRUE);
	g_assert_cmpuint(strlen(long_path), ==, 4096);
	g_assert_false(g_str_has_suffix(long_path, "/") || g_str_has_suffix(too_long_path, "/"));

	{
		const Case cases[] = {
			{ "README.md", TRUE },
			{ "a/b/c.bin", TRUE },
			{ "with space.txt", TRUE },
			{ "日本語/ファイル.bin", TRUE },
			{ "emoji 😀.txt", TRUE },
			{ ".gitattributes", TRUE },
			{ "a/.hidden", TRUE },
			{ "...", TRUE },
			{ "a..b", TRUE },
			{ "a~b#c%d&e", TRUE },
			{ seg255, TRUE },
			{ nested255, TRUE },
			{ long_path, TRUE },
			{ "", FALSE },
			{ "../x", FALSE },
			{ "a/../../b", FALSE },
			{ "a/..", FALSE },
			{ "/etc/passwd", FALSE },
			{ "a\\b", FALSE },
			{ "..\\x", FALSE },
			{ "a\x01"
			  "b",
			  FALSE },
			{ "a\x1b[31mred", FALSE },
			{ "a\x7f", FALSE },
			{ "a//b", FALSE },
			{ "x/", FALSE },
			{ ".", FALSE },
			{ "..", FALSE },
			{ "a/./b", FALSE },
			{ "./a", FALSE },
			{ "\xff\xfe", FALSE },
			{ seg300, FALSE },
			{ nested300, FALSE },
			{ too_long_path, FALSE },
		};

		check_cases(hfhub_repo_file_path_validate, cases, G_N_ELEMENTS(cases),
			    HFHUB_ERROR_UNSAFE_PATH);
	}
}

static void
test_file_path_message(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(hfhub_repo_file_path_validate("evil\x1b[2J/../x", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_assert_nonnull(strstr(error->message, "evil\\033[2J/../x"));
}

static void
test_etag(void)
{
	g_autofree gchar *too_long = repeat('e', 201);
	const Case cases[] = {
		{ "0123456789abcdef0123456789abcdef01234567", TRUE },
		{ "a16a55fda99d2f2e7b69cce5cf93ff4ad3049930b3b1b2a1e5c8b7a0e1c1d2e3", TRUE },
		{ "abc-123_x", TRUE },
		{ "", FALSE },
		{ ".", FALSE },
		{ "..", FALSE },
		{ ".hidden", FALSE },
		{ "a/b", FALSE },
		{ "../../x", FALSE },
		{ "a\\b", FALSE },
		{ "a\nb", FALSE },
		{ "abc.incomplete", FALSE },
		{ too_long, FALSE },
	};

	check_cases(hfhub_etag_validate, cases, G_N_ELEMENTS(cases), HFHUB_ERROR_UNSAFE_PATH);
}

static void
test_commit_hash(void)
{
	g_assert_true(hfhub_is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
	g_assert_false(hfhub_is_commit_hash("0123456789ABCDEF0123456789abcdef01234567"));
	g_assert_false(hfhub_is_commit_hash("0123456789abcdef0123456789abcdef0123456"));
	g_assert_false(hfhub_is_commit_hash("0123456789abcdef0123456789abcdef012345678"));
	g_assert_false(hfhub_is_commit_hash("g123456789abcdef0123456789abcdef01234567"));
	g_assert_false(hfhub_is_commit_hash("main"));
	g_assert_false(hfhub_is_commit_hash(""));
	g_assert_false(hfhub_is_commit_hash(NULL));
}

static void
test_folder_name(void)
{
	const struct {
		HfhubRepoType type;
		const gchar *repo_id;
		const gchar *folder;
	} cases[] = {
		{ HFHUB_REPO_TYPE_MODEL, "org/name", "models--org--name" },
		{ HFHUB_REPO_TYPE_MODEL, "gpt2", "models--gpt2" },
		{ HFHUB_REPO_TYPE_DATASET, "org/name", "datasets--org--name" },
		{ HFHUB_REPO_TYPE_DATASET, "squad", "datasets--squad" },
		{ HFHUB_REPO_TYPE_SPACE, "org/name", "spaces--org--name" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *folder = hfhub_repo_folder_name(cases[i].type, cases[i].repo_id);
		g_assert_cmpstr(folder, ==, cases[i].folder);
	}
}

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
test_check_inside(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tmp = g_dir_make_tmp("hfhub-repo-path-XXXXXX", &error);
	g_autofree gchar *root = g_build_filename(tmp, "root", NULL);
	g_autofree gchar *outside = g_build_filename(tmp, "outside", NULL);
	g_autofree gchar *inner = g_build_filename(root, "inner", NULL);
	g_autofree gchar *evil = g_build_filename(root, "evil", NULL);
	g_autofree gchar *fine = g_build_filename(root, "fine", NULL);
	g_autofree gchar *p = NULL;

	g_assert_no_error(error);
	/* a root that does not exist yet: nothing below it can be a symlink */
	p = g_build_filename(root, "a", "b", NULL);
	g_assert_true(hfhub_path_check_inside(root, p, &error));
	g_assert_no_error(error);

	g_assert_cmpint(g_mkdir_with_parents(inner, 0700), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(outside, 0700), ==, 0);
	g_assert_cmpint(symlink(outside, evil), ==, 0);
	g_assert_cmpint(symlink("inner", fine), ==, 0);

	g_clear_pointer(&p, g_free);
	p = g_build_filename(root, "inner", "new", "deeper", "x", NULL);
	g_assert_true(hfhub_path_check_inside(root, p, &error));
	g_assert_no_error(error);

	g_clear_pointer(&p, g_free);
	p = g_build_filename(root, "fine", "x", NULL);
	g_assert_true(hfhub_path_check_inside(root, p, &error));
	g_assert_no_error(error);

	g_clear_pointer(&p, g_free);
	p = g_build_filename(root, "evil", "new", "x", NULL);
	g_assert_false(hfhub_path_check_inside(root, p, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);

	/* textually outside */
	g_assert_false(hfhub_path_check_inside(root, outside, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_clear_error(&error);

	rm_rf(tmp);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func("/repo-path/repo-id", test_repo_id);
	g_test_add_func("/repo-path/revision", test_revision);
	g_test_add_func("/repo-path/file-path", test_file_path);
	g_test_add_func("/repo-path/file-path-message", test_file_path_message);
	g_test_add_func("/repo-path/etag", test_etag);
	g_test_add_func("/repo-path/commit-hash", test_commit_hash);
	g_test_add_func("/repo-path/folder-name", test_folder_name);
	g_test_add_func("/repo-path/check-inside", test_check_inside);
	return g_test_run();
}
