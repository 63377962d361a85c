/* Parsers of the Hub's answers and the hashers: known answers, and
 * malformed input that must be refused rather than trusted. */
#include "config.h"

#include <string.h>

#include "hfhub-error.h"
#include "hfhub-hash.h"
#include "hfhub-hub-parse.h"

static void
test_revision_sha(void)
{
	const gchar *ok = "{\"id\":\"org/x\",\"sha\":\"0123456789abcdef0123456789abcdef01234567\"}";
	const gchar *bad[] = {
		"{\"sha\":\"0123\"}", "{\"sha\":\"0123456789ABCDEF0123456789ABCDEF01234567\"}",
		"{\"sha\":42}",	      "[]",
		"not json",	      "{}",
	};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sha = hfhub_parse_revision_sha(ok, strlen(ok), &error);

	g_assert_no_error(error);
	g_assert_cmpstr(sha, ==, "0123456789abcdef0123456789abcdef01234567");
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree gchar *v = hfhub_parse_revision_sha(bad[i], strlen(bad[i]), &error);
		g_assert_null(v);
		g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE);
		g_clear_error(&error);
	}
}

static void
test_tree_entries(void)
{
	const gchar *json =
		"[{\"type\":\"directory\",\"oid\":\"1111111111111111111111111111111111111111\","
		"\"size\":0,\"path\":\"sub\"},"
		"{\"type\":\"file\",\"oid\":\"2222222222222222222222222222222222222222\",\"size\":"
		"665,"
		"\"path\":\"config.json\"},"
		"{\"type\":\"file\",\"oid\":\"3333333333333333333333333333333333333333\","
		"\"size\":548105171,\"path\":\"sub/model.safetensors\",\"lfs\":{\"oid\":"
		"\"4444444444444444444444444444444444444444444444444444444444444444\","
		"\"size\":548105171,\"pointerSize\":135}}]";
	g_autoptr(GPtrArray) files =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_file_free);
	g_autoptr(GError) error = NULL;
	HfhubRepoFile *f;

	g_assert_true(hfhub_parse_tree_entries(json, strlen(json), files, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 2);
	f = g_ptr_array_index(files, 0);
	g_assert_cmpstr(f->path, ==, "config.json");
	g_assert_cmpuint(f->size, ==, 665);
	g_assert_null(f->lfs_oid);
	g_assert_cmpstr(hfhub_repo_file_etag(f), ==, "2222222222222222222222222222222222222222");
	f = g_ptr_array_index(files, 1);
	g_assert_cmpstr(f->path, ==, "sub/model.safetensors");
	g_assert_cmpuint(f->size, ==, 548105171);
	g_assert_cmpstr(hfhub_repo_file_etag(f), ==,
			"4444444444444444444444444444444444444444444444444444444444444444");
}

static void
test_tree_entries_malformed(void)
{
	const gchar *bad[] = {
		"{}",
		"[1]",
		"[{\"type\":\"file\",\"oid\":\"2222222222222222222222222222222222222222\","
		"\"path\":\"a\"}",
		"[{\"type\":\"file\",\"oid\":\"2222222222222222222222222222222222222222\","
		"\"size\":-1,\"path\":\"a\"}]",
		"[{\"type\":\"file\",\"oid\":\"xyz\",\"size\":1,\"path\":\"a\"}]",
		"[{\"type\":\"file\",\"oid\":\"2222222222222222222222222222222222222222\","
		"\"size\":1,\"path\":7}]",
		"[{\"type\":\"file\",\"oid\":\"2222222222222222222222222222222222222222\","
		"\"size\":1,\"path\":\"a\",\"lfs\":{\"oid\":\"short\",\"size\":1}}]",
		"[{\"type\":\"file\",\"oid\":\"2222222222222222222222222222222222222222\","
		"\"size\":1,\"path\":\"a\",\"lfs\":\"yes\"}]",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GPtrArray) files =
			g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_file_free);
		g_autoptr(GError) error = NULL;
		g_assert_false(hfhub_parse_tree_entries(bad[i], strlen(bad[i]), files, &error));
		g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE);
	}
}

static void
test_link_next(void)
{
	g_autofree gchar *a =
		hfhub_parse_link_next("<https://hub.example/api/models/x/tree/"
				      "main?cursor=abc&recursive=true>; rel=\"next\"");
	g_autofree gchar *b = hfhub_parse_link_next(
		"<https://h/prev>; rel=\"prev\", <https://h/next?c=1>; rel=\"next\"");
	g_autofree gchar *c = hfhub_parse_link_next("<https://h/prev>; rel=\"prev\"");
	g_autofree gchar *d = hfhub_parse_link_next("garbage <");

	g_assert_cmpstr(a, ==,
			"https://hub.example/api/models/x/tree/main?cursor=abc&recursive=true");
	g_assert_cmpstr(b, ==, "https://h/next?c=1");
	g_assert_null(c);
	g_assert_null(d);
	g_assert_null(hfhub_parse_link_next(NULL));
}

static gchar *
hash_string(HfhubHashKind kind, const gchar *s)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubHasher) h = hfhub_hasher_new(kind, strlen(s), &error);

	g_assert_no_error(error);
	/* in two pieces: streaming must not change the digest */
	hfhub_hasher_update(h, s, strlen(s) / 2);
	hfhub_hasher_update(h, s + strlen(s) / 2, strlen(s) - strlen(s) / 2);
	return hfhub_hasher_finish(h);
}

static void
test_hashes(void)
{
	g_autofree gchar *sha256 = hash_string(HFHUB_HASH_SHA256, "hello world");
	g_autofree gchar *empty = hash_string(HFHUB_HASH_SHA256, "");
	/* `printf 'hello world' | git hash-object --stdin` */
	g_autofree gchar *blob = hash_string(HFHUB_HASH_GIT_BLOB, "hello world");
	/* `git hash-object /dev/null` */
	g_autofree gchar *empty_blob = hash_string(HFHUB_HASH_GIT_BLOB, "");

	g_assert_cmpstr(sha256, ==,
			"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
	g_assert_cmpstr(empty, ==,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	g_assert_cmpstr(blob, ==, "95d09f2b10159347eece71399a7e2e907ea3df4f");
	g_assert_cmpstr(empty_blob, ==, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hub-parse/revision-sha", test_revision_sha);
	g_test_add_func("/hub-parse/tree-entries", test_tree_entries);
	g_test_add_func("/hub-parse/tree-entries-malformed", test_tree_entries_malformed);
	g_test_add_func("/hub-parse/link-next", test_link_next);
	g_test_add_func("/hash/known-digests", test_hashes);
	return g_test_run();
}
