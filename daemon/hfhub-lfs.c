#include "config.h"

#define G_LOG_DOMAIN "HfhubLfs"

#include "hfhub-lfs.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-http-upload.h"

#define LFS_MEDIA_TYPE "application/vnd.git-lfs+json"
/* a part count beyond this is a broken answer, not a real file */
#define MAX_PARTS 100000

void
hfhub_lfs_transfer_free(HfhubLfsTransfer *t)
{
	if (t == NULL)
		return;
	g_free(t->oid);
	g_free(t->href);
	g_free(t->verify_href);
	g_clear_pointer(&t->part_urls, g_ptr_array_unref);
	g_clear_pointer(&t->part_etags, g_ptr_array_unref);
	g_free(t);
}

guint
hfhub_lfs_transfer_parts_done(const HfhubLfsTransfer *t)
{
	guint n = 0;

	for (guint i = 0; t->part_etags != NULL && i < t->part_etags->len; i++) {
		if (g_ptr_array_index(t->part_etags, i) != NULL)
			n++;
	}
	return n;
}

static const gchar *
url_prefix(HfhubRepoType type)
{
	return type == HFHUB_REPO_TYPE_DATASET ? "datasets/"
	       : type == HFHUB_REPO_TYPE_SPACE ? "spaces/"
					       : "";
}

static JsonNode *
parse_json(const gchar *data, gsize len, const gchar *what, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE, "%s: invalid JSON: %s",
			    what, error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "%s: the JSON is not an object", what);
		return NULL;
	}
	return json_node_ref(root);
}

static const gchar *
member_string(JsonObject *obj, const gchar *name)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static JsonObject *
member_object(JsonObject *obj, const gchar *name)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;

	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static gboolean
member_uint(JsonObject *obj, const gchar *name, guint64 *out)
{
	JsonNode *node = obj != NULL ? json_object_get_member(obj, name) : NULL;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_INT64 || json_node_get_int(node) < 0)
		return FALSE;
	*out = (guint64)json_node_get_int(node);
	return TRUE;
}

/* ---- persistence */

gchar *
hfhub_lfs_transfer_to_json(const HfhubLfsTransfer *t)
{
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "oid");
	json_builder_add_string_value(b, t->oid);
	json_builder_set_member_name(b, "size");
	json_builder_add_int_value(b, (gint64)t->size);
	json_builder_set_member_name(b, "href");
	json_builder_add_string_value(b, t->href != NULL ? t->href : "");
	if (t->verify_href != NULL) {
		json_builder_set_member_name(b, "verify");
		json_builder_add_string_value(b, t->verify_href);
	}
	json_builder_set_member_name(b, "chunk_size");
	json_builder_add_int_value(b, (gint64)t->chunk_size);
	json_builder_set_member_name(b, "parts");
	json_builder_begin_array(b);
	for (guint i = 0; t->part_urls != NULL && i < t->part_urls->len; i++) {
		const gchar *etag = g_ptr_array_index(t->part_etags, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "url");
		json_builder_add_string_value(b, g_ptr_array_index(t->part_urls, i));
		if (etag != NULL) {
			json_builder_set_member_name(b, "etag");
			json_builder_add_string_value(b, etag);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	return json_to_string(root, FALSE);
}

HfhubLfsTransfer *
hfhub_lfs_transfer_from_json(const gchar *json, GError **error)
{
	g_autoptr(JsonNode) root = parse_json(json, strlen(json), "stored transfer", error);
	g_autoptr(HfhubLfsTransfer) t = g_new0(HfhubLfsTransfer, 1);
	JsonObject *obj;
	JsonNode *parts;

	if (root == NULL)
		return NULL;
	obj = json_node_get_object(root);
	t->oid = g_strdup(member_string(obj, "oid"));
	t->href = g_strdup(member_string(obj, "href"));
	t->verify_href = g_strdup(member_string(obj, "verify"));
	if (t->oid == NULL || t->href == NULL || !member_uint(obj, "size", &t->size) ||
	    !member_uint(obj, "chunk_size", &t->chunk_size)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "stored transfer: a field is missing");
		return NULL;
	}
	t->part_urls = g_ptr_array_new_with_free_func(g_free);
	t->part_etags = g_ptr_array_new_with_free_func(g_free);
	parts = json_object_get_member(obj, "parts");
	if (parts != NULL && JSON_NODE_HOLDS_ARRAY(parts)) {
		JsonArray *array = json_node_get_array(parts);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			JsonNode *part = json_array_get_element(array, i);
			JsonObject *po =
				JSON_NODE_HOLDS_OBJECT(part) ? json_node_get_object(part) : NULL;
			const gchar *url = member_string(po, "url");
			if (url == NULL) {
				g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
						    "stored transfer: a part has no URL");
				return NULL;
			}
			g_ptr_array_add(t->part_urls, g_strdup(url));
			g_ptr_array_add(t->part_etags, g_strdup(member_string(po, "etag")));
		}
	}
	return g_steal_pointer(&t);
}

/* ---- the batch call */

static gint
compare_part_keys(gconstpointer a, gconstpointer b)
{
	guint64 ka = g_ascii_strtoull(*(const gchar **)a, NULL, 10);
	guint64 kb = g_ascii_strtoull(*(const gchar **)b, NULL, 10);

	return ka < kb ? -1 : (ka > kb ? 1 : 0);
}

static gboolean
is_part_key(const gchar *key)
{
	if (*key == '\0')
		return FALSE;
	for (const gchar *p = key; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return TRUE;
}

/* multipart: header = {chunk_size, "00001": url, …}, parts sorted numerically */
static gboolean
parse_multipart(HfhubLfsTransfer *t, JsonObject *header, GError **error)
{
	const gchar *chunk = member_string(header, "chunk_size");
	g_autoptr(GList) members = json_object_get_members(header);
	g_autoptr(GPtrArray) keys = g_ptr_array_new();
	guint64 expected;

	if (chunk == NULL ||
	    !g_ascii_string_to_unsigned(chunk, 10, 1, G_MAXUINT64, &t->chunk_size, NULL)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "LFS batch: invalid chunk_size for %s", t->oid);
		return FALSE;
	}
	for (GList *l = members; l != NULL; l = l->next) {
		if (is_part_key(l->data))
			g_ptr_array_add(keys, l->data);
	}
	g_ptr_array_sort(keys, compare_part_keys);
	expected = t->size / t->chunk_size + (t->size % t->chunk_size != 0 ? 1 : 0);
	if (expected == 0 || expected > MAX_PARTS || keys->len != expected) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "LFS batch: %u part URLs for %s, %" G_GUINT64_FORMAT " expected",
			    keys->len, t->oid, expected);
		return FALSE;
	}
	t->part_urls = g_ptr_array_new_with_free_func(g_free);
	t->part_etags = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < keys->len; i++) {
		const gchar *url = member_string(header, g_ptr_array_index(keys, i));
		if (url == NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "LFS batch: part %u of %s has no URL", i + 1, t->oid);
			return FALSE;
		}
		g_ptr_array_add(t->part_urls, g_strdup(url));
		g_ptr_array_add(t->part_etags, NULL);
	}
	return TRUE;
}

static HfhubLfsTransfer *
parse_object(JsonObject *obj, GError **error)
{
	g_autoptr(HfhubLfsTransfer) t = g_new0(HfhubLfsTransfer, 1);
	JsonObject *err = member_object(obj, "error");
	JsonObject *actions = member_object(obj, "actions");
	JsonObject *upload = member_object(actions, "upload");
	JsonObject *verify = member_object(actions, "verify");
	JsonObject *header = member_object(upload, "header");

	t->oid = g_strdup(member_string(obj, "oid"));
	if (t->oid == NULL || !member_uint(obj, "size", &t->size)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "LFS batch: an object without oid or size");
		return NULL;
	}
	if (err != NULL) {
		const gchar *message = member_string(err, "message");
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "the Hub refused to store the LFS object %s: %s", t->oid,
			    message != NULL ? message : "(no message)");
		return NULL;
	}
	if (upload == NULL) {
		t->present = TRUE;
		return g_steal_pointer(&t);
	}
	t->href = g_strdup(member_string(upload, "href"));
	if (t->href == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "LFS batch: no upload URL for %s", t->oid);
		return NULL;
	}
	t->verify_href = g_strdup(member_string(verify, "href"));
	if (header != NULL && json_object_has_member(header, "chunk_size") &&
	    !parse_multipart(t, header, error))
		return NULL;
	return g_steal_pointer(&t);
}

GPtrArray *
hfhub_lfs_batch(const HfhubHubRepo *repo, const gchar *ref, const gchar *const *oids,
		const guint64 *sizes, guint n, GCancellable *cancellable, GError **error)
{
	static const gchar *const headers[] = { "Accept", LFS_MEDIA_TYPE, NULL };
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) request = NULL;
	g_autofree gchar *request_text = NULL;
	g_autoptr(GBytes) request_body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GPtrArray) out =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_lfs_transfer_free);
	g_autoptr(GHashTable) by_oid = g_hash_table_new(g_str_hash, g_str_equal);
	g_autofree gchar *url =
		g_strdup_printf("%s/%s%s.git/info/lfs/objects/batch", repo->target.endpoint,
				url_prefix(repo->type), repo->repo_id);
	JsonNode *objects;
	const gchar *data;
	gsize len;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "operation");
	json_builder_add_string_value(b, "upload");
	json_builder_set_member_name(b, "transfers");
	json_builder_begin_array(b);
	json_builder_add_string_value(b, "basic");
	json_builder_add_string_value(b, "multipart");
	json_builder_end_array(b);
	json_builder_set_member_name(b, "objects");
	json_builder_begin_array(b);
	for (guint i = 0; i < n; i++) {
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "oid");
		json_builder_add_string_value(b, oids[i]);
		json_builder_set_member_name(b, "size");
		json_builder_add_int_value(b, (gint64)sizes[i]);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "hash_algo");
	json_builder_add_string_value(b, "sha256");
	if (ref != NULL) {
		json_builder_set_member_name(b, "ref");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, ref);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	request = json_builder_get_root(b);
	request_text = json_to_string(request, FALSE);
	request_body = g_bytes_new(request_text, strlen(request_text));
	answer = hfhub_http_upload_fetch(repo->http, &repo->target, "POST", url, headers,
					 request_body, LFS_MEDIA_TYPE, TRUE, NULL, cancellable,
					 error);
	if (answer == NULL)
		return NULL;
	data = g_bytes_get_data(answer, &len);
	root = parse_json(data, len, "LFS batch", error);
	if (root == NULL)
		return NULL;
	objects = json_object_get_member(json_node_get_object(root), "objects");
	if (objects == NULL || !JSON_NODE_HOLDS_ARRAY(objects)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "LFS batch: the answer has no objects");
		return NULL;
	}
	for (guint i = 0; i < json_array_get_length(json_node_get_array(objects)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(objects), i);
		HfhubLfsTransfer *t;

		if (!JSON_NODE_HOLDS_OBJECT(node)) {
			g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
					    "LFS batch: an object is not a JSON object");
			return NULL;
		}
		t = parse_object(json_node_get_object(node), error);
		if (t == NULL)
			return NULL;
		g_ptr_array_add(out, t);
		g_hash_table_insert(by_oid, t->oid, t);
	}
	/* one per object asked, in order: the Hub may answer in any order */
	{
		g_autoptr(GPtrArray) ordered =
			g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_lfs_transfer_free);
		for (guint i = 0; i < n; i++) {
			HfhubLfsTransfer *t = g_hash_table_lookup(by_oid, oids[i]);
			guint idx;
			if (t == NULL || t->size != sizes[i]) {
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
					    "LFS batch: no answer for the object %s of "
					    "%" G_GUINT64_FORMAT " bytes",
					    oids[i], sizes[i]);
				return NULL;
			}
			/* two files with the same content: one transfer each */
			if (g_ptr_array_find(out, t, &idx)) {
				g_ptr_array_add(ordered, g_ptr_array_steal_index(out, idx));
			} else {
				HfhubLfsTransfer *copy = g_new0(HfhubLfsTransfer, 1);
				copy->oid = g_strdup(t->oid);
				copy->size = t->size;
				copy->present = TRUE; /* the first one sends it */
				g_ptr_array_add(ordered, copy);
			}
		}
		return g_steal_pointer(&ordered);
	}
}

/* ---- completion and verify */

gboolean
hfhub_lfs_complete(const HfhubHubRepo *repo, const HfhubLfsTransfer *t, GCancellable *cancellable,
		   GError **error)
{
	static const gchar *const headers[] = { "Accept", LFS_MEDIA_TYPE, NULL };
	/* the URL is signed: no token, as both official clients */
	HfhubHttpTarget anonymous = { .endpoint = repo->target.endpoint };
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) answer = NULL;
	gchar *text;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "oid");
	json_builder_add_string_value(b, t->oid);
	json_builder_set_member_name(b, "parts");
	json_builder_begin_array(b);
	for (guint i = 0; i < t->part_urls->len; i++) {
		const gchar *etag = g_ptr_array_index(t->part_etags, i);
		g_return_val_if_fail(etag != NULL, FALSE);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "partNumber");
		json_builder_add_int_value(b, i + 1);
		json_builder_set_member_name(b, "etag");
		json_builder_add_string_value(b, etag);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	text = json_to_string(root, FALSE);
	body = g_bytes_new_take(text, strlen(text));
	answer = hfhub_http_upload_fetch(repo->http, &anonymous, "POST", t->href, headers, body,
					 LFS_MEDIA_TYPE, TRUE, NULL, cancellable, error);
	if (answer == NULL) {
		g_prefix_error(error, "completing the upload of %s: ", t->oid);
		return FALSE;
	}
	return TRUE;
}

gboolean
hfhub_lfs_verify(const HfhubHubRepo *repo, const HfhubLfsTransfer *t, GCancellable *cancellable,
		 GError **error)
{
	static const gchar *const headers[] = { "Accept", LFS_MEDIA_TYPE, NULL };
	g_autofree gchar *text = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GUri) uri = NULL;

	if (t->verify_href == NULL)
		return TRUE;
	/* verify needs the token, which goes to the endpoint only; elsewhere
	 * (a mirror's odd URL) it is skipped, as the JS client always does:
	 * the commit fails anyway if the object is missing */
	uri = g_uri_parse(t->verify_href, SOUP_HTTP_URI_FLAGS, NULL);
	if (uri == NULL || !hfhub_http_same_origin(uri, repo->target.endpoint)) {
		g_debug("not verifying %s: its URL is not on the endpoint", t->oid);
		return TRUE;
	}
	text = g_strdup_printf("{\"oid\":\"%s\",\"size\":%" G_GUINT64_FORMAT "}", t->oid, t->size);
	body = g_bytes_new(text, strlen(text));
	answer = hfhub_http_upload_fetch(repo->http, &repo->target, "POST", t->verify_href, headers,
					 body, LFS_MEDIA_TYPE, TRUE, NULL, cancellable, error);
	if (answer == NULL) {
		g_prefix_error(error, "the Hub did not verify the LFS object %s: ", t->oid);
		return FALSE;
	}
	return TRUE;
}
