#include "config.h"

#define G_LOG_DOMAIN "HfhubReposParse"

#include "hfhub-repos-parse.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"

/* deeper card data than this is refused rather than recursed into */
#define MAX_JSON_DEPTH 64

/* ---- freeing */

static void
sibling_free(HfhubSibling *sibling)
{
	g_free(sibling->path);
	g_free(sibling->blob_id);
	g_free(sibling->lfs_sha256);
	g_free(sibling);
}

void
hfhub_repo_info_free(HfhubRepoInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->id);
	g_free(info->author);
	g_free(info->sha);
	g_free(info->gated);
	g_free(info->last_modified);
	g_free(info->created_at);
	g_free(info->library_name);
	g_free(info->pipeline_tag);
	g_free(info->sdk);
	g_strfreev(info->tags);
	g_clear_pointer(&info->card_data, g_variant_unref);
	g_clear_pointer(&info->siblings, g_ptr_array_unref);
	g_free(info);
}

void
hfhub_tree_entry_free(HfhubTreeEntry *entry)
{
	if (entry == NULL)
		return;
	g_free(entry->type);
	g_free(entry->path);
	g_free(entry->oid);
	g_free(entry->lfs_sha256);
	g_free(entry);
}

static void
git_ref_free(HfhubGitRef *ref)
{
	g_free(ref->name);
	g_free(ref->ref);
	g_free(ref->target_commit);
	g_free(ref);
}

void
hfhub_git_refs_free(HfhubGitRefs *refs)
{
	if (refs == NULL)
		return;
	g_clear_pointer(&refs->branches, g_ptr_array_unref);
	g_clear_pointer(&refs->converts, g_ptr_array_unref);
	g_clear_pointer(&refs->tags, g_ptr_array_unref);
	g_clear_pointer(&refs->pull_requests, g_ptr_array_unref);
	g_free(refs);
}

void
hfhub_commit_info_free(HfhubCommitInfo *commit)
{
	if (commit == NULL)
		return;
	g_free(commit->id);
	g_free(commit->title);
	g_free(commit->message);
	g_free(commit->date);
	g_strfreev(commit->authors);
	g_free(commit);
}

void
hfhub_created_repo_free(HfhubCreatedRepo *created)
{
	if (created == NULL)
		return;
	g_free(created->url);
	g_free(created->name);
	g_free(created);
}

/* ---- strict field access */

static JsonNode *
parse_root(const gchar *data, gsize len, JsonNodeType type, const gchar *what, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub's %s is not valid JSON: %s", what, error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || JSON_NODE_TYPE(root) != type) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub's %s is not a JSON %s", what,
			    type == JSON_NODE_ARRAY ? "array" : "object");
		return NULL;
	}
	return json_node_ref(root);
}

static gboolean
bad_field(GError **error, const gchar *what, const gchar *name, const gchar *expected)
{
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE, "the Hub's %s: “%s” is not %s",
		    what, name, expected);
	return FALSE;
}

/* absent and null are the same: the Hub writes both for "unknown" */
static JsonNode *
member(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return NULL;
	return node;
}

static gboolean
is_value_of(JsonNode *node, GType type)
{
	return JSON_NODE_TYPE(node) == JSON_NODE_VALUE && json_node_get_value_type(node) == type;
}

static gboolean
opt_string(JsonObject *obj, const gchar *name, gchar **out, const gchar *what, GError **error)
{
	JsonNode *node = member(obj, name);

	if (node == NULL)
		return TRUE;
	if (!is_value_of(node, G_TYPE_STRING))
		return bad_field(error, what, name, "a string");
	*out = g_strdup(json_node_get_string(node));
	return TRUE;
}

static gboolean
req_string(JsonObject *obj, const gchar *name, gchar **out, const gchar *what, GError **error)
{
	if (!opt_string(obj, name, out, what, error))
		return FALSE;
	if (*out == NULL || **out == '\0')
		return bad_field(error, what, name, "a non-empty string");
	return TRUE;
}

static gboolean
opt_count(JsonObject *obj, const gchar *name, gint64 *out, const gchar *what, GError **error)
{
	JsonNode *node = member(obj, name);

	*out = HFHUB_UNKNOWN;
	if (node == NULL)
		return TRUE;
	if (!is_value_of(node, G_TYPE_INT64) || json_node_get_int(node) < 0)
		return bad_field(error, what, name, "a count");
	*out = json_node_get_int(node);
	return TRUE;
}

static gboolean
req_size(JsonObject *obj, const gchar *name, guint64 *out, const gchar *what, GError **error)
{
	gint64 v;

	if (!opt_count(obj, name, &v, what, error))
		return FALSE;
	if (v == HFHUB_UNKNOWN)
		return bad_field(error, what, name, "a size");
	*out = (guint64)v;
	return TRUE;
}

static gboolean
opt_bool(JsonObject *obj, const gchar *name, gint *out, const gchar *what, GError **error)
{
	JsonNode *node = member(obj, name);

	*out = HFHUB_UNKNOWN;
	if (node == NULL)
		return TRUE;
	if (!is_value_of(node, G_TYPE_BOOLEAN))
		return bad_field(error, what, name, "true or false");
	*out = json_node_get_boolean(node) ? TRUE : FALSE;
	return TRUE;
}

static gboolean
is_lower_hex(const gchar *s, gsize len)
{
	if (s == NULL || strlen(s) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean
opt_hex(JsonObject *obj, const gchar *name, gsize digits, gboolean required, gchar **out,
	const gchar *what, GError **error)
{
	g_autofree gchar *value = NULL;
	g_autofree gchar *expected = g_strdup_printf("%zu lowercase hex digits", digits);

	if (!opt_string(obj, name, &value, what, error))
		return FALSE;
	if (value == NULL && !required)
		return TRUE;
	if (!is_lower_hex(value, digits))
		return bad_field(error, what, name, expected);
	*out = g_steal_pointer(&value);
	return TRUE;
}

gboolean
hfhub_hub_date_is_valid(const gchar *date)
{
	g_autoptr(GDateTime) dt = NULL;

	/* Python's parse_datetime wants the Z; an offset is refused there too */
	if (date == NULL || !g_str_has_suffix(date, "Z") || strlen(date) < 20)
		return FALSE;
	dt = g_date_time_new_from_iso8601(date, NULL);
	return dt != NULL;
}

static gboolean
opt_date(JsonObject *obj, const gchar *name, gchar **out, const gchar *what, GError **error)
{
	g_autofree gchar *value = NULL;

	if (!opt_string(obj, name, &value, what, error))
		return FALSE;
	if (value != NULL && !hfhub_hub_date_is_valid(value))
		return bad_field(error, what, name, "a date like 2024-01-01T00:00:00.000Z");
	*out = g_steal_pointer(&value);
	return TRUE;
}

static gboolean
opt_strv(JsonObject *obj, const gchar *name, gchar ***out, const gchar *what, GError **error)
{
	JsonNode *node = member(obj, name);
	JsonArray *array;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	if (node == NULL)
		return TRUE;
	if (JSON_NODE_TYPE(node) != JSON_NODE_ARRAY)
		return bad_field(error, what, name, "an array of strings");
	array = json_node_get_array(node);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		if (!is_value_of(element, G_TYPE_STRING))
			return bad_field(error, what, name, "an array of strings");
		g_strv_builder_add(builder, json_node_get_string(element));
	}
	*out = g_strv_builder_end(builder);
	return TRUE;
}

static JsonObject *
opt_object(JsonObject *obj, const gchar *name, const gchar *what, GError **error, gboolean *ok)
{
	JsonNode *node = member(obj, name);

	*ok = TRUE;
	if (node == NULL)
		return NULL;
	if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT) {
		*ok = bad_field(error, what, name, "an object");
		return NULL;
	}
	return json_node_get_object(node);
}

static JsonArray *
req_array(JsonObject *obj, const gchar *name, const gchar *what, GError **error)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL || JSON_NODE_TYPE(node) != JSON_NODE_ARRAY) {
		bad_field(error, what, name, "an array");
		return NULL;
	}
	return json_node_get_array(node);
}

/* ---- JSON values as GVariants (card data is free-form YAML of the card) */

static GVariant *
json_to_variant(JsonNode *node, guint depth, GError **error);

static GVariant *
json_object_to_variant(JsonObject *obj, guint depth, GError **error)
{
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	g_autoptr(GList) names = json_object_get_members(obj);

	for (GList *l = names; l != NULL; l = l->next) {
		JsonNode *node = json_object_get_member(obj, l->data);
		GVariant *value;

		/* D-Bus has no null: a key without a value is left out */
		if (JSON_NODE_HOLDS_NULL(node))
			continue;
		value = json_to_variant(node, depth + 1, error);
		if (value == NULL)
			return NULL;
		g_variant_builder_add(&builder, "{sv}", (const gchar *)l->data, value);
	}
	return g_variant_builder_end(&builder);
}

static GVariant *
json_to_variant(JsonNode *node, guint depth, GError **error)
{
	if (depth > MAX_JSON_DEPTH) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub's card data is nested deeper than %u levels", MAX_JSON_DEPTH);
		return NULL;
	}
	switch (JSON_NODE_TYPE(node)) {
	case JSON_NODE_OBJECT:
		return json_object_to_variant(json_node_get_object(node), depth, error);
	case JSON_NODE_ARRAY: {
		g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("av"));
		JsonArray *array = json_node_get_array(node);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			GVariant *v =
				json_to_variant(json_array_get_element(array, i), depth + 1, error);
			if (v == NULL)
				return NULL;
			g_variant_builder_add(&builder, "v", v);
		}
		return g_variant_builder_end(&builder);
	}
	case JSON_NODE_NULL:
		/* D-Bus has no null (nor maybe types): a null in a list keeps its
		 * place as an empty list */
		return g_variant_new_array(G_VARIANT_TYPE_VARIANT, NULL, 0);
	case JSON_NODE_VALUE:
	default:
		break;
	}
	switch (json_node_get_value_type(node)) {
	case G_TYPE_BOOLEAN:
		return g_variant_new_boolean(json_node_get_boolean(node));
	case G_TYPE_INT64:
		return g_variant_new_int64(json_node_get_int(node));
	case G_TYPE_DOUBLE:
		return g_variant_new_double(json_node_get_double(node));
	case G_TYPE_STRING:
	default:
		return g_variant_new_string(json_node_get_string(node));
	}
}

/* ---- repo info and search items */

static HfhubSibling *
parse_sibling(JsonNode *node, guint index, GError **error)
{
	g_autofree gchar *what = g_strdup_printf("repo info (sibling %u)", index);
	HfhubSibling *sibling;
	JsonObject *obj;
	JsonObject *lfs;
	gboolean ok;

	if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub's repo info: sibling %u is not an object", index);
		return NULL;
	}
	obj = json_node_get_object(node);
	sibling = g_new0(HfhubSibling, 1);
	sibling->lfs_size = HFHUB_UNKNOWN;
	sibling->lfs_pointer_size = HFHUB_UNKNOWN;
	if (!req_string(obj, "rfilename", &sibling->path, what, error) ||
	    !opt_count(obj, "size", &sibling->size, what, error) ||
	    !opt_hex(obj, "blobId", 40, FALSE, &sibling->blob_id, what, error))
		goto fail;
	lfs = opt_object(obj, "lfs", what, error, &ok);
	if (!ok)
		goto fail;
	if (lfs != NULL) {
		/* siblings name the LFS hash "sha256", tree entries "oid" */
		if (!opt_hex(lfs, "sha256", 64, TRUE, &sibling->lfs_sha256, what, error) ||
		    !opt_count(lfs, "size", &sibling->lfs_size, what, error) ||
		    !opt_count(lfs, "pointerSize", &sibling->lfs_pointer_size, what, error))
			goto fail;
	}
	return sibling;
fail:
	sibling_free(sibling);
	return NULL;
}

static gboolean
parse_gated(JsonObject *obj, gchar **out, const gchar *what, GError **error)
{
	JsonNode *node = member(obj, "gated");
	const gchar *s;

	if (node == NULL)
		return TRUE;
	/* false, "auto" or "manual" */
	if (is_value_of(node, G_TYPE_BOOLEAN) && !json_node_get_boolean(node)) {
		*out = g_strdup("false");
		return TRUE;
	}
	s = is_value_of(node, G_TYPE_STRING) ? json_node_get_string(node) : NULL;
	if (g_strcmp0(s, "auto") != 0 && g_strcmp0(s, "manual") != 0)
		return bad_field(error, what, "gated", "false, \"auto\" or \"manual\"");
	*out = g_strdup(s);
	return TRUE;
}

static gboolean
parse_trending(JsonObject *obj, HfhubRepoInfo *info, const gchar *what, GError **error)
{
	JsonNode *node = member(obj, "trendingScore");

	if (node == NULL)
		return TRUE;
	if (is_value_of(node, G_TYPE_INT64))
		info->trending_score = (gdouble)json_node_get_int(node);
	else if (is_value_of(node, G_TYPE_DOUBLE))
		info->trending_score = json_node_get_double(node);
	else
		return bad_field(error, what, "trendingScore", "a number");
	info->has_trending_score = TRUE;
	return TRUE;
}

/* A JSON array of objects, each read by @parse_item, appended to @out; the
 * first bad item fails it all (what was appended stays, for the caller to
 * drop with @out). */
typedef gpointer (*ItemParser)(JsonObject *obj, const gchar *what, GError **error);

static gboolean
parse_object_list(const gchar *data, gsize len, const gchar *what, const gchar *item_word,
		  ItemParser parse_item, GPtrArray *out, GError **error)
{
	g_autoptr(JsonNode) root = parse_root(data, len, JSON_NODE_ARRAY, what, error);
	JsonArray *array;

	if (root == NULL)
		return FALSE;
	array = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		g_autofree gchar *item_what = g_strdup_printf("%s (%s %u)", what, item_word, i);
		gpointer item;

		if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "the Hub's %s: %s %u is not an object", what, item_word, i);
			return FALSE;
		}
		item = parse_item(json_node_get_object(node), item_what, error);
		if (item == NULL)
			return FALSE;
		g_ptr_array_add(out, item);
	}
	return TRUE;
}

static HfhubRepoInfo *
parse_repo_object(JsonObject *obj, const gchar *what, GError **error)
{
	g_autoptr(HfhubRepoInfo) info = g_new0(HfhubRepoInfo, 1);
	JsonObject *card;
	JsonNode *siblings;
	gboolean ok;

	if (!req_string(obj, "id", &info->id, what, error) ||
	    !opt_string(obj, "author", &info->author, what, error) ||
	    !opt_hex(obj, "sha", 40, FALSE, &info->sha, what, error) ||
	    !opt_bool(obj, "private", &info->is_private, what, error) ||
	    !opt_bool(obj, "disabled", &info->disabled, what, error) ||
	    !parse_gated(obj, &info->gated, what, error) ||
	    !opt_date(obj, "lastModified", &info->last_modified, what, error) ||
	    !opt_date(obj, "createdAt", &info->created_at, what, error) ||
	    !opt_count(obj, "downloads", &info->downloads, what, error) ||
	    !opt_count(obj, "likes", &info->likes, what, error) ||
	    !opt_count(obj, "usedStorage", &info->used_storage, what, error) ||
	    !parse_trending(obj, info, what, error) ||
	    !opt_string(obj, "library_name", &info->library_name, what, error) ||
	    !opt_string(obj, "pipeline_tag", &info->pipeline_tag, what, error) ||
	    !opt_string(obj, "sdk", &info->sdk, what, error) ||
	    !opt_strv(obj, "tags", &info->tags, what, error))
		return NULL;
	card = opt_object(obj, "cardData", what, error, &ok);
	if (!ok)
		return NULL;
	if (card != NULL) {
		info->card_data = json_object_to_variant(card, 0, error);
		if (info->card_data == NULL)
			return NULL;
		g_variant_ref_sink(info->card_data);
	}
	siblings = member(obj, "siblings");
	if (siblings != NULL) {
		JsonArray *array;

		if (JSON_NODE_TYPE(siblings) != JSON_NODE_ARRAY) {
			bad_field(error, what, "siblings", "an array");
			return NULL;
		}
		array = json_node_get_array(siblings);
		info->siblings = g_ptr_array_new_with_free_func((GDestroyNotify)sibling_free);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			HfhubSibling *s = parse_sibling(json_array_get_element(array, i), i, error);
			if (s == NULL)
				return NULL;
			g_ptr_array_add(info->siblings, s);
		}
	}
	return g_steal_pointer(&info);
}

HfhubRepoInfo *
hfhub_parse_repo_info(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = parse_root(data, len, JSON_NODE_OBJECT, "repo info", error);

	if (root == NULL)
		return NULL;
	return parse_repo_object(json_node_get_object(root), "repo info", error);
}

gboolean
hfhub_parse_repo_list(const gchar *data, gsize len, GPtrArray *repos, GError **error)
{
	return parse_object_list(data, len, "search answer", "item", (ItemParser)parse_repo_object,
				 repos, error);
}

/* ---- tree */

static HfhubTreeEntry *
parse_tree_entry(JsonObject *obj, const gchar *what, GError **error)
{
	g_autoptr(HfhubTreeEntry) entry = g_new0(HfhubTreeEntry, 1);
	JsonObject *lfs;
	gboolean ok;

	if (!req_string(obj, "type", &entry->type, what, error) ||
	    !req_string(obj, "path", &entry->path, what, error))
		return NULL;
	/* folders carry their tree's oid and size 0; we need neither strictly */
	if (g_str_equal(entry->type, "directory")) {
		gint64 size;
		if (!opt_hex(obj, "oid", 40, FALSE, &entry->oid, what, error) ||
		    !opt_count(obj, "size", &size, what, error))
			return NULL;
		entry->size = size > 0 ? (guint64)size : 0;
		return g_steal_pointer(&entry);
	}
	if (!opt_hex(obj, "oid", 40, TRUE, &entry->oid, what, error) ||
	    !req_size(obj, "size", &entry->size, what, error))
		return NULL;
	lfs = opt_object(obj, "lfs", what, error, &ok);
	if (!ok)
		return NULL;
	if (lfs != NULL) {
		if (!opt_hex(lfs, "oid", 64, TRUE, &entry->lfs_sha256, what, error) ||
		    !req_size(lfs, "size", &entry->lfs_size, what, error) ||
		    !req_size(lfs, "pointerSize", &entry->lfs_pointer_size, what, error))
			return NULL;
	}
	return g_steal_pointer(&entry);
}

gboolean
hfhub_parse_tree_page(const gchar *data, gsize len, GPtrArray *entries, GError **error)
{
	return parse_object_list(data, len, "tree listing", "entry", (ItemParser)parse_tree_entry,
				 entries, error);
}

/* ---- refs */

static GPtrArray *
parse_ref_array(JsonObject *obj, const gchar *name, GError **error)
{
	g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func((GDestroyNotify)git_ref_free);
	JsonArray *array = req_array(obj, name, "refs", error);

	if (array == NULL)
		return NULL;
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		g_autofree gchar *what = g_strdup_printf("refs (%s %u)", name, i);
		HfhubGitRef *ref;
		JsonObject *item;

		if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT) {
			bad_field(error, what, name, "an array of objects");
			return NULL;
		}
		item = json_node_get_object(node);
		ref = g_new0(HfhubGitRef, 1);
		g_ptr_array_add(refs, ref);
		if (!req_string(item, "name", &ref->name, what, error) ||
		    !req_string(item, "ref", &ref->ref, what, error) ||
		    !opt_hex(item, "targetCommit", 40, TRUE, &ref->target_commit, what, error))
			return NULL;
	}
	return g_steal_pointer(&refs);
}

HfhubGitRefs *
hfhub_parse_git_refs(const gchar *data, gsize len, gboolean with_prs, GError **error)
{
	g_autoptr(JsonNode) root = parse_root(data, len, JSON_NODE_OBJECT, "refs", error);
	g_autoptr(HfhubGitRefs) refs = g_new0(HfhubGitRefs, 1);
	JsonObject *obj;

	if (root == NULL)
		return NULL;
	obj = json_node_get_object(root);
	/* as huggingface_hub: the three are indexed unconditionally */
	refs->branches = parse_ref_array(obj, "branches", error);
	if (refs->branches == NULL)
		return NULL;
	refs->converts = parse_ref_array(obj, "converts", error);
	if (refs->converts == NULL)
		return NULL;
	refs->tags = parse_ref_array(obj, "tags", error);
	if (refs->tags == NULL)
		return NULL;
	if (with_prs) {
		refs->pull_requests = parse_ref_array(obj, "pullRequests", error);
		if (refs->pull_requests == NULL)
			return NULL;
	}
	return g_steal_pointer(&refs);
}

/* ---- commits */

static HfhubCommitInfo *
parse_commit(JsonObject *obj, const gchar *what, GError **error)
{
	g_autoptr(HfhubCommitInfo) commit = g_new0(HfhubCommitInfo, 1);
	g_autoptr(GStrvBuilder) authors = g_strv_builder_new();
	JsonArray *array;

	if (!opt_hex(obj, "id", 40, TRUE, &commit->id, what, error) ||
	    !opt_string(obj, "title", &commit->title, what, error) ||
	    !opt_string(obj, "message", &commit->message, what, error) ||
	    !opt_date(obj, "date", &commit->date, what, error))
		return NULL;
	array = req_array(obj, "authors", what, error);
	if (array == NULL)
		return NULL;
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		g_autofree gchar *user = NULL;

		if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT) {
			bad_field(error, what, "authors", "a list of objects");
			return NULL;
		}
		if (!req_string(json_node_get_object(node), "user", &user, what, error))
			return NULL;
		g_strv_builder_add(authors, user);
	}
	commit->authors = g_strv_builder_end(authors);
	return g_steal_pointer(&commit);
}

gboolean
hfhub_parse_commit_page(const gchar *data, gsize len, GPtrArray *commits, GError **error)
{
	return parse_object_list(data, len, "commit list", "item", (ItemParser)parse_commit,
				 commits, error);
}

/* ---- create, whoami */

HfhubCreatedRepo *
hfhub_parse_created_repo(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonNode) root =
		parse_root(data, len, JSON_NODE_OBJECT, "answer to the creation", error);
	g_autoptr(HfhubCreatedRepo) created = g_new0(HfhubCreatedRepo, 1);
	JsonObject *obj;

	if (root == NULL)
		return NULL;
	obj = json_node_get_object(root);
	if (!req_string(obj, "url", &created->url, "answer to the creation", error) ||
	    !opt_string(obj, "name", &created->name, "answer to the creation", error))
		return NULL;
	return g_steal_pointer(&created);
}

gchar *
hfhub_parse_whoami_role(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = parse_root(data, len, JSON_NODE_OBJECT, "whoami-v2", error);
	JsonObject *auth;
	JsonObject *token = NULL;
	gchar *role = NULL;
	gboolean ok;

	if (root == NULL)
		return NULL;
	auth = opt_object(json_node_get_object(root), "auth", "whoami-v2", error, &ok);
	if (ok && auth != NULL)
		token = opt_object(auth, "accessToken", "whoami-v2", error, &ok);
	if (ok && token != NULL)
		ok = opt_string(token, "role", &role, "whoami-v2", error);
	return ok ? role : NULL;
}

/* ---- a{sv} forms */

static void
add_string(GVariantDict *dict, const gchar *key, const gchar *value)
{
	if (value != NULL)
		g_variant_dict_insert(dict, key, "s", value);
}

static void
add_count(GVariantDict *dict, const gchar *key, gint64 value)
{
	if (value != HFHUB_UNKNOWN)
		g_variant_dict_insert(dict, key, "t", (guint64)value);
}

static void
add_bool(GVariantDict *dict, const gchar *key, gint value)
{
	if (value != HFHUB_UNKNOWN)
		g_variant_dict_insert(dict, key, "b", (gboolean)value);
}

static GVariant *
sibling_to_variant(const HfhubSibling *sibling)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	add_string(&dict, "path", sibling->path);
	add_count(&dict, "size", sibling->size);
	add_string(&dict, "blob-id", sibling->blob_id);
	add_string(&dict, "lfs-sha256", sibling->lfs_sha256);
	add_count(&dict, "lfs-size", sibling->lfs_size);
	add_count(&dict, "lfs-pointer-size", sibling->lfs_pointer_size);
	return g_variant_dict_end(&dict);
}

GVariant *
hfhub_repo_info_to_variant(const HfhubRepoInfo *info)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	add_string(&dict, "id", info->id);
	add_string(&dict, "author", info->author);
	add_string(&dict, "sha", info->sha);
	add_bool(&dict, "private", info->is_private);
	add_bool(&dict, "disabled", info->disabled);
	add_string(&dict, "gated", info->gated);
	add_string(&dict, "last-modified", info->last_modified);
	add_string(&dict, "created-at", info->created_at);
	add_count(&dict, "downloads", info->downloads);
	add_count(&dict, "likes", info->likes);
	add_count(&dict, "used-storage", info->used_storage);
	if (info->has_trending_score)
		g_variant_dict_insert(&dict, "trending-score", "d", info->trending_score);
	add_string(&dict, "library-name", info->library_name);
	add_string(&dict, "pipeline-tag", info->pipeline_tag);
	add_string(&dict, "sdk", info->sdk);
	if (info->tags != NULL)
		g_variant_dict_insert(&dict, "tags", "^as", info->tags);
	if (info->card_data != NULL)
		g_variant_dict_insert_value(&dict, "card-data", info->card_data);
	if (info->siblings != NULL) {
		g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
		for (guint i = 0; i < info->siblings->len; i++)
			g_variant_builder_add_value(
				&b, sibling_to_variant(g_ptr_array_index(info->siblings, i)));
		g_variant_dict_insert_value(&dict, "siblings", g_variant_builder_end(&b));
	}
	return g_variant_dict_end(&dict);
}

GVariant *
hfhub_tree_entry_to_variant(const HfhubTreeEntry *entry)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	add_string(&dict, "path", entry->path);
	add_string(&dict, "type", entry->type);
	g_variant_dict_insert(&dict, "size", "t", entry->size);
	add_string(&dict, "oid", entry->oid);
	if (entry->lfs_sha256 != NULL) {
		add_string(&dict, "lfs-sha256", entry->lfs_sha256);
		g_variant_dict_insert(&dict, "lfs-size", "t", entry->lfs_size);
		g_variant_dict_insert(&dict, "lfs-pointer-size", "t", entry->lfs_pointer_size);
	}
	return g_variant_dict_end(&dict);
}

static GVariant *
refs_to_variant(GPtrArray *refs)
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < refs->len; i++) {
		const HfhubGitRef *ref = g_ptr_array_index(refs, i);
		g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

		add_string(&dict, "name", ref->name);
		add_string(&dict, "ref", ref->ref);
		add_string(&dict, "target-commit", ref->target_commit);
		g_variant_builder_add_value(&b, g_variant_dict_end(&dict));
	}
	return g_variant_builder_end(&b);
}

GVariant *
hfhub_git_refs_to_variant(const HfhubGitRefs *refs)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	g_variant_dict_insert_value(&dict, "branches", refs_to_variant(refs->branches));
	g_variant_dict_insert_value(&dict, "converts", refs_to_variant(refs->converts));
	g_variant_dict_insert_value(&dict, "tags", refs_to_variant(refs->tags));
	if (refs->pull_requests != NULL)
		g_variant_dict_insert_value(&dict, "pull-requests",
					    refs_to_variant(refs->pull_requests));
	return g_variant_dict_end(&dict);
}

GVariant *
hfhub_commit_info_to_variant(const HfhubCommitInfo *commit)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	add_string(&dict, "id", commit->id);
	add_string(&dict, "title", commit->title != NULL ? commit->title : "");
	add_string(&dict, "message", commit->message != NULL ? commit->message : "");
	add_string(&dict, "date", commit->date);
	g_variant_dict_insert(&dict, "authors", "^as", commit->authors);
	return g_variant_dict_end(&dict);
}
