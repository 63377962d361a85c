#include "config.h"

#define G_LOG_DOMAIN "HfhubHubParse"

#include "hfhub-hub-parse.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"

void
hfhub_repo_file_free(HfhubRepoFile *file)
{
	if (file == NULL)
		return;
	g_free(file->path);
	g_free(file->oid);
	g_free(file->lfs_oid);
	g_free(file);
}

const gchar *
hfhub_repo_file_etag(const HfhubRepoFile *file)
{
	return file->lfs_oid != NULL ? file->lfs_oid : file->oid;
}

static gboolean
is_hex(const gchar *s, gsize len)
{
	if (s == NULL || strlen(s) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
			return FALSE;
	}
	return TRUE;
}

static JsonNode *
parse_root(const gchar *data, gsize len, JsonNodeType type, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub answered with invalid JSON: %s", error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || JSON_NODE_TYPE(root) != type) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub answered with JSON of an unexpected shape");
		return NULL;
	}
	return json_node_ref(root);
}

/* a string member, or NULL when absent or of another type */
static const gchar *
get_string(JsonObject *obj, const gchar *name)
{
	JsonNode *node = json_object_get_member(obj, name);

	if (node == NULL || JSON_NODE_TYPE(node) != JSON_NODE_VALUE ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static gboolean
get_size(JsonObject *obj, const gchar *name, guint64 *out)
{
	JsonNode *node = json_object_get_member(obj, name);
	gint64 v;

	if (node == NULL || JSON_NODE_TYPE(node) != JSON_NODE_VALUE ||
	    json_node_get_value_type(node) != G_TYPE_INT64)
		return FALSE;
	v = json_node_get_int(node);
	if (v < 0)
		return FALSE;
	*out = (guint64)v;
	return TRUE;
}

gchar *
hfhub_parse_revision_sha(const gchar *data, gsize len, GError **error)
{
	g_autoptr(JsonNode) root = parse_root(data, len, JSON_NODE_OBJECT, error);
	const gchar *sha;

	if (root == NULL)
		return NULL;
	sha = get_string(json_node_get_object(root), "sha");
	if (!is_hex(sha, 40)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub's revision answer has no valid “sha”");
		return NULL;
	}
	return g_strdup(sha);
}

static HfhubRepoFile *
parse_file_entry(JsonObject *obj, guint index, GError **error)
{
	g_autoptr(HfhubRepoFile) file = g_new0(HfhubRepoFile, 1);
	const gchar *path = get_string(obj, "path");
	const gchar *oid = get_string(obj, "oid");
	JsonNode *lfs = json_object_get_member(obj, "lfs");

	if (path == NULL || !is_hex(oid, 40) || !get_size(obj, "size", &file->size)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "tree entry %u lacks a valid path, oid or size", index);
		return NULL;
	}
	file->path = g_strdup(path);
	file->oid = g_strdup(oid);
	if (lfs != NULL && JSON_NODE_TYPE(lfs) == JSON_NODE_OBJECT) {
		JsonObject *lfs_obj = json_node_get_object(lfs);
		const gchar *sha256 = get_string(lfs_obj, "oid");
		guint64 lfs_size;
		if (!is_hex(sha256, 64) || !get_size(lfs_obj, "size", &lfs_size)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "tree entry %u has invalid LFS data", index);
			return NULL;
		}
		file->lfs_oid = g_strdup(sha256);
		file->size = lfs_size;
	} else if (lfs != NULL && JSON_NODE_TYPE(lfs) != JSON_NODE_NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "tree entry %u has invalid LFS data", index);
		return NULL;
	}
	return g_steal_pointer(&file);
}

gboolean
hfhub_parse_tree_entries(const gchar *data, gsize len, GPtrArray *files, GError **error)
{
	g_autoptr(JsonNode) root = parse_root(data, len, JSON_NODE_ARRAY, error);
	JsonArray *array;

	if (root == NULL)
		return FALSE;
	array = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *node = json_array_get_element(array, i);
		JsonObject *obj;
		const gchar *type;
		HfhubRepoFile *file;

		if (JSON_NODE_TYPE(node) != JSON_NODE_OBJECT) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "tree entry %u is not an object", i);
			return FALSE;
		}
		obj = json_node_get_object(node);
		type = get_string(obj, "type");
		if (g_strcmp0(type, "file") != 0)
			continue;
		file = parse_file_entry(obj, i, error);
		if (file == NULL)
			return FALSE;
		g_ptr_array_add(files, file);
	}
	return TRUE;
}

gchar *
hfhub_parse_link_next(const gchar *link)
{
	g_auto(GStrv) parts = NULL;

	if (link == NULL)
		return NULL;
	parts = g_strsplit(link, ",", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		const gchar *p = parts[i];
		const gchar *start = strchr(p, '<');
		const gchar *end = start != NULL ? strchr(start, '>') : NULL;
		if (end == NULL)
			continue;
		if (strstr(end, "rel=\"next\"") == NULL && strstr(end, "rel=next") == NULL)
			continue;
		return g_strndup(start + 1, (gsize)(end - start - 1));
	}
	return NULL;
}
