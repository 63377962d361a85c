/* Unit tests of daemon/hfhub-repos-parse.c: the Hub's repository and
 * listing answers parsed strictly into structs, and their a{sv} forms.
 *
 * tests/data/hub-model-info.json holds real answers of the Hub to
 * GET /api/models/{id} (from the VCR cassettes of huggingface_hub's test
 * suite, Apache-2.0, see shared/reference/cassettes/README.md). */
#include "config.h"

#define G_LOG_DOMAIN "HfhubReposParseTest"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-repos-parse.h"

#define SHA1  "0123456789abcdef0123456789abcdef01234567"
#define SHA1B "89abcdef0123456789abcdef0123456789abcdef"
/* a literal and its length */
#define DATA(s) (s), strlen(s)

#define SHA256 "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"

/* D-Bus has no maybe types: everything that goes out must be free of them */
static void
assert_dbus_compatible(GVariant *value)
{
	g_assert_true(g_variant_type_string_is_valid(g_variant_get_type_string(value)));
	g_assert_null(strchr(g_variant_get_type_string(value), 'm'));
	if (g_variant_is_container(value)) {
		for (gsize i = 0; i < g_variant_n_children(value); i++) {
			g_autoptr(GVariant) child = g_variant_get_child_value(value, i);
			assert_dbus_compatible(child);
		}
	}
}

static void
assert_bad(GError *error)
{
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE);
	g_test_message("refused: %s", error->message);
}

static HfhubRepoInfo *
info_of(const gchar *json, GError **error)
{
	return hfhub_parse_repo_info(json, strlen(json), error);
}

static void
test_info_full(void)
{
	const gchar *json =
		"{\"_id\":\"621ffdc036468d709f174338\",\"id\":\"org/name\",\"author\":\"org\","
		"\"sha\":\"" SHA1 "\",\"lastModified\":\"2024-05-01T12:00:00.000Z\","
		"\"createdAt\":\"2022-03-02T23:29:04Z\",\"private\":false,\"gated\":\"manual\","
		"\"disabled\":false,\"downloads\":12,\"likes\":3,\"library_name\":\"transformers\","
		"\"pipeline_tag\":\"text-generation\",\"tags\":[\"a\",\"b\"],\"usedStorage\":123,"
		"\"trendingScore\":1.5,\"unknown\":{\"ignored\":[1,2]},"
		"\"cardData\":{\"license\":\"mit\",\"none\":null,\"n\":[1,null,2.5,true],"
		"\"deep\":{\"x\":{\"y\":\"z\"}}},"
		"\"siblings\":[{\"rfilename\":\"config.json\",\"size\":665,\"blobId\":\"" SHA1
		"\"},"
		"{\"rfilename\":\"model.safetensors\",\"size\":548105171,\"blobId\":\"" SHA1B "\","
		"\"lfs\":{\"sha256\":\"" SHA256 "\",\"size\":548105171,\"pointerSize\":135}},"
		"{\"rfilename\":\"no-blobs\"}]}";
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubRepoInfo) info = info_of(json, &error);
	g_autoptr(GVariant) v = NULL;
	g_autoptr(GVariant) siblings = NULL;
	g_autoptr(GVariant) sibling = NULL;
	g_autoptr(GVariant) card = NULL;
	const gchar *s;
	guint64 t;
	gboolean b;

	g_assert_no_error(error);
	g_assert_cmpstr(info->id, ==, "org/name");
	g_assert_cmpstr(info->sha, ==, SHA1);
	g_assert_cmpint(info->is_private, ==, FALSE);
	g_assert_cmpstr(info->gated, ==, "manual");
	g_assert_cmpint(info->downloads, ==, 12);
	g_assert_cmpint(info->likes, ==, 3);
	g_assert_cmpint(info->used_storage, ==, 123);
	g_assert_true(info->has_trending_score);
	g_assert_cmpuint(g_strv_length(info->tags), ==, 2);
	g_assert_cmpuint(info->siblings->len, ==, 3);

	v = g_variant_ref_sink(hfhub_repo_info_to_variant(info));
	assert_dbus_compatible(v);
	g_assert_true(g_variant_lookup(v, "id", "&s", &s));
	g_assert_cmpstr(s, ==, "org/name");
	g_assert_true(g_variant_lookup(v, "gated", "&s", &s));
	g_assert_cmpstr(s, ==, "manual");
	g_assert_true(g_variant_lookup(v, "private", "b", &b));
	g_assert_false(b);
	g_assert_true(g_variant_lookup(v, "last-modified", "&s", &s));
	g_assert_cmpstr(s, ==, "2024-05-01T12:00:00.000Z");
	g_assert_true(g_variant_lookup(v, "downloads", "t", &t));
	g_assert_cmpuint(t, ==, 12);
	g_assert_true(g_variant_lookup(v, "pipeline-tag", "&s", &s));
	g_assert_cmpstr(s, ==, "text-generation");

	siblings = g_variant_lookup_value(v, "siblings", G_VARIANT_TYPE("aa{sv}"));
	g_assert_cmpuint(g_variant_n_children(siblings), ==, 3);
	sibling = g_variant_get_child_value(siblings, 1);
	g_assert_true(g_variant_lookup(sibling, "path", "&s", &s));
	g_assert_cmpstr(s, ==, "model.safetensors");
	g_assert_true(g_variant_lookup(sibling, "lfs-sha256", "&s", &s));
	g_assert_cmpstr(s, ==, SHA256);
	g_assert_true(g_variant_lookup(sibling, "lfs-pointer-size", "t", &t));
	g_assert_cmpuint(t, ==, 135);
	g_assert_true(g_variant_lookup(sibling, "blob-id", "&s", &s));
	g_assert_cmpstr(s, ==, SHA1B);
	g_clear_pointer(&sibling, g_variant_unref);
	/* without blobs=true: no size */
	sibling = g_variant_get_child_value(siblings, 2);
	g_assert_false(g_variant_lookup(sibling, "size", "t", &t));

	/* card data: nulls dropped from maps, kept in place in lists */
	card = g_variant_lookup_value(v, "card-data", G_VARIANT_TYPE_VARDICT);
	g_assert_true(g_variant_lookup(card, "license", "&s", &s));
	g_assert_false(g_variant_lookup_value(card, "none", NULL) != NULL);
	{
		g_autoptr(GVariant) n = g_variant_lookup_value(card, "n", G_VARIANT_TYPE("av"));
		g_assert_cmpuint(g_variant_n_children(n), ==, 4);
	}
}

static void
test_info_minimal(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubRepoInfo) info = info_of("{\"id\":\"gpt2\",\"gated\":false}", &error);
	g_autoptr(GVariant) v = NULL;
	const gchar *s;

	g_assert_no_error(error);
	g_assert_cmpint(info->is_private, ==, HFHUB_UNKNOWN);
	g_assert_cmpint(info->downloads, ==, HFHUB_UNKNOWN);
	g_assert_null(info->siblings);
	g_assert_cmpstr(info->gated, ==, "false");
	v = g_variant_ref_sink(hfhub_repo_info_to_variant(info));
	/* unknown stays unknown: no key rather than a made-up value */
	g_assert_false(g_variant_lookup(v, "private", "b", NULL));
	g_assert_false(g_variant_lookup(v, "downloads", "t", NULL));
	g_assert_false(g_variant_lookup(v, "siblings", "aa{sv}", NULL));
	g_assert_true(g_variant_lookup(v, "gated", "&s", &s));
	g_assert_cmpstr(s, ==, "false");
}

static void
test_info_strict(void)
{
	const gchar *bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"id\":\"\"}",
		"{\"id\":7}",
		"{\"id\":\"a/b\",\"sha\":\"xyz\"}",
		"{\"id\":\"a/b\",\"sha\":\"" SHA1 "0\"}",
		"{\"id\":\"a/b\",\"sha\":\"0123456789ABCDEF0123456789abcdef01234567\"}",
		"{\"id\":\"a/b\",\"private\":\"no\"}",
		"{\"id\":\"a/b\",\"gated\":true}",
		"{\"id\":\"a/b\",\"gated\":\"sometimes\"}",
		"{\"id\":\"a/b\",\"downloads\":-1}",
		"{\"id\":\"a/b\",\"downloads\":1.5}",
		"{\"id\":\"a/b\",\"likes\":\"3\"}",
		"{\"id\":\"a/b\",\"lastModified\":\"2024-05-01T12:00:00+00:00\"}",
		"{\"id\":\"a/b\",\"lastModified\":\"yesterday\"}",
		"{\"id\":\"a/b\",\"tags\":[\"a\",1]}",
		"{\"id\":\"a/b\",\"tags\":\"a\"}",
		"{\"id\":\"a/b\",\"cardData\":[]}",
		"{\"id\":\"a/b\",\"siblings\":{}}",
		"{\"id\":\"a/b\",\"siblings\":[1]}",
		"{\"id\":\"a/b\",\"siblings\":[{\"size\":1}]}",
		"{\"id\":\"a/"
		"b\",\"siblings\":[{\"rfilename\":\"x\",\"lfs\":{\"sha256\":\"short\"}}]}",
		"{\"id\":\"a/b\",\"siblings\":[{\"rfilename\":\"x\",\"lfs\":true}]}",
		"{\"id\":\"a/b\",\"trendingScore\":\"hot\"}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HfhubRepoInfo) info = info_of(bad[i], &error);

		g_test_message("%s", bad[i]);
		g_assert_null(info);
		assert_bad(error);
	}
}

static void
test_card_data_depth(void)
{
	g_autoptr(GString) json = g_string_new("{\"id\":\"a/b\",\"cardData\":");
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubRepoInfo) info = NULL;

	for (guint i = 0; i < 200; i++)
		g_string_append(json, "{\"a\":");
	g_string_append(json, "1");
	for (guint i = 0; i < 201; i++)
		g_string_append_c(json, '}');
	info = hfhub_parse_repo_info(json->str, json->len, &error);
	g_assert_null(info);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE);
}

/* real answers of the Hub parse, and their a{sv} can go on the bus */
static void
test_info_real_answers(void)
{
	const gchar *srcdir = g_getenv("HFHUB_SRCDIR");
	g_autofree gchar *path = g_build_filename(srcdir != NULL ? srcdir : ".", "tests", "data",
						  "hub-model-info.json", NULL);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonArray *answers;

	json_parser_load_from_file(parser, path, &error);
	g_assert_no_error(error);
	answers = json_node_get_array(json_parser_get_root(parser));
	g_assert_cmpuint(json_array_get_length(answers), >=, 3);
	for (guint i = 0; i < json_array_get_length(answers); i++) {
		g_autofree gchar *json = json_to_string(json_array_get_element(answers, i), FALSE);
		g_autoptr(HfhubRepoInfo) info = info_of(json, &error);
		g_autoptr(GVariant) v = NULL;

		g_assert_no_error(error);
		g_test_message("%s: %u files", info->id, info->siblings->len);
		g_assert_nonnull(info->sha);
		g_assert_nonnull(info->siblings);
		g_assert_nonnull(info->last_modified);
		v = g_variant_ref_sink(hfhub_repo_info_to_variant(info));
		assert_dbus_compatible(v);
		if (g_str_has_prefix(info->id, "meta-llama/"))
			g_assert_cmpstr(info->gated, ==, "manual");
	}
}

static void
test_search_list(void)
{
	const gchar *json = "[{\"id\":\"a/one\",\"downloads\":5,\"likes\":1,\"private\":false,"
			    "\"createdAt\":\"2024-01-01T00:00:00.000Z\"},{\"id\":\"a/two\"}]";
	g_autoptr(GPtrArray) repos =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_info_free);
	g_autoptr(GError) error = NULL;

	g_assert_true(hfhub_parse_repo_list(json, strlen(json), repos, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(repos->len, ==, 2);
	g_assert_cmpstr(((HfhubRepoInfo *)g_ptr_array_index(repos, 1))->id, ==, "a/two");

	/* a page that goes wrong half-way fails as a whole */
	g_assert_false(hfhub_parse_repo_list(DATA("[{\"id\":\"a/x\"},3]"), repos, &error));
	assert_bad(error);
	g_clear_error(&error);
	g_assert_false(hfhub_parse_repo_list(DATA("{\"id\":\"a/x\"}"), repos, &error));
	assert_bad(error);
}

static void
test_tree(void)
{
	const gchar *json =
		"[{\"type\":\"directory\",\"oid\":\"" SHA1 "\",\"size\":0,\"path\":\"sub\"},"
		"{\"type\":\"file\",\"oid\":\"" SHA1B "\",\"size\":665,\"path\":\"config.json\"},"
		"{\"type\":\"file\",\"oid\":\"" SHA1 "\",\"size\":548105171,\"path\":\"m.bin\","
		"\"lfs\":{\"oid\":\"" SHA256 "\",\"size\":548105171,\"pointerSize\":135},"
		"\"xetHash\":\"whatever\"}]";
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_tree_entry_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) v = NULL;
	HfhubTreeEntry *e;
	const gchar *s;
	guint64 t;

	g_assert_true(hfhub_parse_tree_page(json, strlen(json), entries, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(entries->len, ==, 3);
	e = g_ptr_array_index(entries, 0);
	g_assert_cmpstr(e->type, ==, "directory");
	e = g_ptr_array_index(entries, 2);
	g_assert_cmpstr(e->lfs_sha256, ==, SHA256);
	g_assert_cmpuint(e->size, ==, 548105171);
	v = g_variant_ref_sink(hfhub_tree_entry_to_variant(e));
	assert_dbus_compatible(v);
	g_assert_true(g_variant_lookup(v, "lfs-sha256", "&s", &s));
	g_assert_true(g_variant_lookup(v, "lfs-pointer-size", "t", &t));
	g_assert_cmpuint(t, ==, 135);
	g_clear_pointer(&v, g_variant_unref);
	v = g_variant_ref_sink(hfhub_tree_entry_to_variant(g_ptr_array_index(entries, 1)));
	g_assert_false(g_variant_lookup(v, "lfs-sha256", "&s", &s));
}

static void
test_tree_strict(void)
{
	const gchar *bad[] = {
		"{}",
		"[1]",
		"[{\"path\":\"a\",\"oid\":\"" SHA1 "\",\"size\":1}]",
		"[{\"type\":\"file\",\"oid\":\"" SHA1 "\",\"size\":1}]",
		"[{\"type\":\"file\",\"path\":\"a\",\"size\":1}]",
		"[{\"type\":\"file\",\"path\":\"a\",\"oid\":\"" SHA1 "\"}]",
		"[{\"type\":\"file\",\"path\":\"a\",\"oid\":\"" SHA1 "\",\"size\":-4}]",
		"[{\"type\":\"file\",\"path\":\"a\",\"oid\":\"" SHA1 "\",\"size\":1,"
		"\"lfs\":{\"oid\":\"" SHA1 "\",\"size\":1,\"pointerSize\":1}}]",
		"[{\"type\":\"file\",\"path\":\"a\",\"oid\":\"" SHA1 "\",\"size\":1,"
		"\"lfs\":{\"oid\":\"" SHA256 "\",\"size\":1}}]",
		"[{\"type\":\"directory\",\"path\":\"a\",\"oid\":\"nothex\"}]",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GPtrArray) entries =
			g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_tree_entry_free);
		g_autoptr(GError) error = NULL;

		g_test_message("%s", bad[i]);
		g_assert_false(hfhub_parse_tree_page(bad[i], strlen(bad[i]), entries, &error));
		assert_bad(error);
	}
}

static void
test_refs(void)
{
	const gchar *json =
		"{\"branches\":[{\"name\":\"main\",\"ref\":\"refs/heads/main\",\"targetCommit\":"
		"\"" SHA1
		"\"}],\"converts\":[],\"tags\":[{\"name\":\"v1\",\"ref\":\"refs/tags/v1\","
		"\"targetCommit\":\"" SHA1B "\"}],\"pullRequests\":[{\"name\":\"refs/pr/1\","
		"\"ref\":\"refs/pr/1\",\"targetCommit\":\"" SHA1 "\"}]}";
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubGitRefs) refs = hfhub_parse_git_refs(json, strlen(json), TRUE, &error);
	g_autoptr(HfhubGitRefs) without = NULL;
	g_autoptr(GVariant) v = NULL;
	g_autoptr(GVariant) tags = NULL;
	g_autoptr(GVariant) tag = NULL;
	const gchar *s;

	g_assert_no_error(error);
	g_assert_cmpuint(refs->branches->len, ==, 1);
	g_assert_cmpuint(refs->pull_requests->len, ==, 1);
	v = g_variant_ref_sink(hfhub_git_refs_to_variant(refs));
	assert_dbus_compatible(v);
	tags = g_variant_lookup_value(v, "tags", G_VARIANT_TYPE("aa{sv}"));
	tag = g_variant_get_child_value(tags, 0);
	g_assert_true(g_variant_lookup(tag, "target-commit", "&s", &s));
	g_assert_cmpstr(s, ==, SHA1B);
	g_assert_true(g_variant_lookup(v, "pull-requests", "aa{sv}", NULL));

	without = hfhub_parse_git_refs(json, strlen(json), FALSE, &error);
	g_assert_no_error(error);
	g_assert_null(without->pull_requests);
	g_clear_pointer(&v, g_variant_unref);
	v = g_variant_ref_sink(hfhub_git_refs_to_variant(without));
	g_assert_false(g_variant_lookup(v, "pull-requests", "aa{sv}", NULL));
}

static void
test_refs_strict(void)
{
	const gchar *bad[] = {
		/* as huggingface_hub: branches, converts and tags are required */
		"{\"branches\":[],\"tags\":[]}",
		"{\"branches\":[],\"converts\":[],\"tags\":{}}",
		"{\"branches\":[{\"name\":\"main\",\"ref\":\"refs/heads/main\"}],\"converts\":[],"
		"\"tags\":[]}",
		"{\"branches\":[{\"name\":\"main\",\"ref\":\"refs/heads/main\",\"targetCommit\":"
		"\"abc\"}],\"converts\":[],\"tags\":[]}",
		"{\"branches\":[\"main\"],\"converts\":[],\"tags\":[]}",
	};
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubGitRefs) no_prs = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(HfhubGitRefs) refs =
			hfhub_parse_git_refs(bad[i], strlen(bad[i]), FALSE, &error_local);
		g_assert_null(refs);
		assert_bad(error_local);
	}
	/* asked for pull requests, the key must be there */
	no_prs = hfhub_parse_git_refs(DATA("{\"branches\":[],\"converts\":[],\"tags\":[]}"), TRUE,
				      &error);
	g_assert_null(no_prs);
	assert_bad(error);
}

static void
test_commits(void)
{
	const gchar *json = "[{\"id\":\"" SHA1 "\",\"title\":\"Upload\",\"message\":\"Upload\\n\","
			    "\"authors\":[{\"user\":\"alice\",\"avatar\":\"/a.png\"}],"
			    "\"date\":\"2024-05-01T12:00:00.000Z\"},{\"id\":\"" SHA1B "\","
			    "\"title\":\"initial commit\",\"authors\":[{\"user\":\"system\"}],"
			    "\"date\":\"2024-05-01T11:00:00.000Z\"}]";
	g_autoptr(GPtrArray) commits =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_commit_info_free);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) v = NULL;
	g_autofree const gchar **authors = NULL;
	const gchar *s;

	g_assert_true(hfhub_parse_commit_page(json, strlen(json), commits, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(commits->len, ==, 2);
	v = g_variant_ref_sink(hfhub_commit_info_to_variant(g_ptr_array_index(commits, 0)));
	assert_dbus_compatible(v);
	g_assert_true(g_variant_lookup(v, "authors", "^a&s", &authors));
	g_assert_cmpstr(authors[0], ==, "alice");
	g_assert_true(g_variant_lookup(v, "message", "&s", &s));
	g_assert_cmpstr(s, ==, "Upload\n");
	g_clear_pointer(&v, g_variant_unref);
	/* no message: an empty one */
	v = g_variant_ref_sink(hfhub_commit_info_to_variant(g_ptr_array_index(commits, 1)));
	g_assert_true(g_variant_lookup(v, "message", "&s", &s));
	g_assert_cmpstr(s, ==, "");

	g_assert_false(hfhub_parse_commit_page(DATA("[{\"id\":\"" SHA1 "\",\"authors\":[{}]}]"),
					       commits, &error));
	assert_bad(error);
	g_clear_error(&error);
	g_assert_false(hfhub_parse_commit_page(DATA("[{\"id\":\"short\",\"authors\":[]}]"), commits,
					       &error));
	assert_bad(error);
	g_clear_error(&error);
	g_assert_false(hfhub_parse_commit_page(DATA("[{\"id\":\"" SHA1 "\"}]"), commits, &error));
	assert_bad(error);
}

static void
test_created_and_whoami(void)
{
	/* a real answer of the Hub (cassettes) */
	const gchar *created_json =
		"{\"url\":\"https://huggingface.co/spaces/user/tmp_test_space\","
		"\"name\":\"user/tmp_test_space\",\"id\":\"67cae56f9b4f4ee4713c83e7\"}";
	const gchar *whoami = "{\"type\":\"user\",\"name\":\"bob\",\"auth\":{\"type\":"
			      "\"access_token\",\"accessToken\":{\"displayName\":\"t\",\"role\":"
			      "\"read\"}}}";
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubCreatedRepo) created =
		hfhub_parse_created_repo(created_json, strlen(created_json), &error);
	g_autofree gchar *role = NULL;
	g_autofree gchar *none = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(created->name, ==, "user/tmp_test_space");
	g_assert_cmpstr(created->url, ==, "https://huggingface.co/spaces/user/tmp_test_space");
	g_assert_null(hfhub_parse_created_repo(DATA("{\"name\":\"x\"}"), &error));
	assert_bad(error);
	g_clear_error(&error);

	role = hfhub_parse_whoami_role(whoami, strlen(whoami), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(role, ==, "read");
	/* an OAuth token has no accessToken: no role, no error */
	none = hfhub_parse_whoami_role(DATA("{\"name\":\"x\",\"auth\":{\"type\":\"oauth\"}}"),
				       &error);
	g_assert_no_error(error);
	g_assert_null(none);
	g_assert_null(
		hfhub_parse_whoami_role(DATA("{\"auth\":{\"accessToken\":{\"role\":1}}}"), &error));
	assert_bad(error);
}

static void
test_dates(void)
{
	g_assert_true(hfhub_hub_date_is_valid("2024-01-01T00:00:00.000Z"));
	g_assert_true(hfhub_hub_date_is_valid("2024-01-01T00:00:00Z"));
	g_assert_true(hfhub_hub_date_is_valid("2024-01-01T00:00:00.123456789Z"));
	g_assert_false(hfhub_hub_date_is_valid("2024-01-01T00:00:00+00:00"));
	g_assert_false(hfhub_hub_date_is_valid("2024-01-01"));
	g_assert_false(hfhub_hub_date_is_valid("2024-13-01T00:00:00Z"));
	g_assert_false(hfhub_hub_date_is_valid(""));
	g_assert_false(hfhub_hub_date_is_valid(NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/repos-parse/info/full", test_info_full);
	g_test_add_func("/repos-parse/info/minimal", test_info_minimal);
	g_test_add_func("/repos-parse/info/strict", test_info_strict);
	g_test_add_func("/repos-parse/info/card-data-depth", test_card_data_depth);
	g_test_add_func("/repos-parse/info/real-answers", test_info_real_answers);
	g_test_add_func("/repos-parse/search", test_search_list);
	g_test_add_func("/repos-parse/tree", test_tree);
	g_test_add_func("/repos-parse/tree/strict", test_tree_strict);
	g_test_add_func("/repos-parse/refs", test_refs);
	g_test_add_func("/repos-parse/refs/strict", test_refs_strict);
	g_test_add_func("/repos-parse/commits", test_commits);
	g_test_add_func("/repos-parse/created-and-whoami", test_created_and_whoami);
	g_test_add_func("/repos-parse/dates", test_dates);
	return g_test_run();
}
