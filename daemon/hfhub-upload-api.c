#include "config.h"

#define G_LOG_DOMAIN "HfhubUploadApi"

#include "hfhub-upload-api.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-http-upload.h"

const gchar *
hfhub_upload_api_type(HfhubRepoType type)
{
	return type == HFHUB_REPO_TYPE_DATASET ? "datasets"
	       : type == HFHUB_REPO_TYPE_SPACE ? "spaces"
					       : "models";
}

const gchar *
hfhub_upload_url_prefix(HfhubRepoType type)
{
	return type == HFHUB_REPO_TYPE_DATASET ? "datasets/"
	       : type == HFHUB_REPO_TYPE_SPACE ? "spaces/"
					       : "";
}

void
hfhub_json_append_string(GString *out, const gchar *s)
{
	g_string_append_c(out, '"');
	for (const guchar *p = (const guchar *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			g_string_append(out, "\\\"");
			break;
		case '\\':
			g_string_append(out, "\\\\");
			break;
		case '\n':
			g_string_append(out, "\\n");
			break;
		case '\r':
			g_string_append(out, "\\r");
			break;
		case '\t':
			g_string_append(out, "\\t");
			break;
		default:
			if (*p < 0x20)
				g_string_append_printf(out, "\\u%04x", *p);
			else
				g_string_append_c(out, (gchar)*p);
		}
	}
	g_string_append_c(out, '"');
}

void
hfhub_preupload_answer_free(HfhubPreuploadAnswer *a)
{
	if (a == NULL)
		return;
	g_free(a->path);
	g_free(a->remote_oid);
	g_free(a);
}

static JsonNode *
parse_object(GBytes *bytes, const gchar *what, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) error_local = NULL;
	gsize len;
	const gchar *data = g_bytes_get_data(bytes, &len);
	JsonNode *root;

	if (!json_parser_load_from_data(parser, data, (gssize)len, &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "%s: the Hub answered with invalid JSON: %s", what,
			    error_local->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
			    "%s: the Hub's answer is not a JSON object", what);
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

static GBytes *
json_body(JsonBuilder *b)
{
	g_autoptr(JsonNode) root = json_builder_get_root(b);
	gchar *text = json_to_string(root, FALSE);

	return g_bytes_new_take(text, strlen(text));
}

/* ---- preupload */

static gboolean
parse_preupload(GBytes *answer, const HfhubPreuploadFile *files, guint n, GPtrArray *out,
		GError **error)
{
	g_autoptr(JsonNode) root = parse_object(answer, "preupload", error);
	g_autoptr(GHashTable) by_path = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) parsed =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_preupload_answer_free);
	JsonNode *list;

	if (root == NULL)
		return FALSE;
	list = json_object_get_member(json_node_get_object(root), "files");
	if (list == NULL || !JSON_NODE_HOLDS_ARRAY(list)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "preupload: the answer has no files");
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(json_node_get_array(list)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(list), i);
		JsonObject *obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		const gchar *path = member_string(obj, "path");
		const gchar *mode = member_string(obj, "uploadMode");
		JsonNode *ignore = obj != NULL ? json_object_get_member(obj, "shouldIgnore") : NULL;
		HfhubPreuploadAnswer *a;

		/* huggingface_hub requires both, so do we */
		if (path == NULL || mode == NULL ||
		    (!g_str_equal(mode, "lfs") && !g_str_equal(mode, "regular")) ||
		    ignore == NULL || !JSON_NODE_HOLDS_VALUE(ignore) ||
		    json_node_get_value_type(ignore) != G_TYPE_BOOLEAN) {
			g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
					    "preupload: a file without path, uploadMode or "
					    "shouldIgnore");
			return FALSE;
		}
		a = g_new0(HfhubPreuploadAnswer, 1);
		a->path = g_strdup(path);
		a->lfs = g_str_equal(mode, "lfs");
		a->ignore = json_node_get_boolean(ignore);
		a->remote_oid = g_strdup(member_string(obj, "oid"));
		g_ptr_array_add(parsed, a);
		g_hash_table_insert(by_path, a->path, a);
	}
	for (guint i = 0; i < n; i++) {
		HfhubPreuploadAnswer *a = g_hash_table_lookup(by_path, files[i].path);
		HfhubPreuploadAnswer *copy;

		if (a == NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "preupload: no answer for %s", files[i].path);
			return FALSE;
		}
		copy = g_new0(HfhubPreuploadAnswer, 1);
		copy->path = g_strdup(a->path);
		/* an empty file has nothing to store in LFS */
		copy->lfs = a->lfs && files[i].size > 0;
		copy->ignore = a->ignore;
		copy->remote_oid = g_strdup(a->remote_oid);
		g_ptr_array_add(out, copy);
	}
	return TRUE;
}

GPtrArray *
hfhub_preupload(const HfhubHubRepo *repo, const gchar *revision, gboolean create_pr,
		const HfhubPreuploadFile *files, guint n, const gchar *git_ignore,
		GCancellable *cancellable, GError **error)
{
	g_autofree gchar *rev = hfhub_http_escape(revision, FALSE);
	g_autofree gchar *url =
		g_strdup_printf("%s/api/%s/%s/preupload/%s%s", repo->target.endpoint,
				hfhub_upload_api_type(repo->type), repo->repo_id, rev,
				create_pr ? "?create_pr=1" : "");
	g_autoptr(GString) json = g_string_sized_new(64 + n * 800);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GPtrArray) out =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_preupload_answer_free);

	g_string_append(json, "{\"files\":[");
	for (guint i = 0; i < n; i++) {
		gsize len = 0;
		const guint8 *data =
			files[i].sample != NULL ? g_bytes_get_data(files[i].sample, &len) : NULL;
		g_autofree gchar *sample = g_base64_encode(data, len);

		if (i > 0)
			g_string_append_c(json, ',');
		g_string_append(json, "{\"path\":");
		hfhub_json_append_string(json, files[i].path);
		/* base64 needs no escaping */
		g_string_append_printf(json, ",\"sample\":\"%s\",\"size\":%" G_GUINT64_FORMAT "}",
				       sample, files[i].size);
	}
	g_string_append_c(json, ']');
	if (git_ignore != NULL) {
		g_string_append(json, ",\"gitIgnore\":");
		hfhub_json_append_string(json, git_ignore);
	}
	g_string_append_c(json, '}');
	body = g_string_free_to_bytes(g_steal_pointer(&json));
	answer = hfhub_http_upload_fetch(repo->http, &repo->target, "POST", url, NULL, body,
					 "application/json", TRUE, NULL, cancellable, error);
	if (answer == NULL || !parse_preupload(answer, files, n, out, error))
		return NULL;
	return g_steal_pointer(&out);
}

/* ---- repo and branch creation */

static gboolean
repo_exists(const HfhubHubRepo *repo, GCancellable *cancellable)
{
	g_autofree gchar *url = g_strdup_printf("%s/api/%s/%s", repo->target.endpoint,
						hfhub_upload_api_type(repo->type), repo->repo_id);
	g_autoptr(GBytes) answer = hfhub_http_fetch(repo->http, &repo->target, "GET", url, NULL,
						    NULL, NULL, cancellable, NULL);
	return answer != NULL;
}

gboolean
hfhub_upload_create_repo(const HfhubHubRepo *repo, gboolean private_repo, GCancellable *cancellable,
			 GError **error)
{
	g_autofree gchar *url = g_strdup_printf("%s/api/repos/create", repo->target.endpoint);
	g_autoptr(JsonBuilder) b = json_builder_new_immutable();
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error_local = NULL;
	const gchar *slash = strchr(repo->repo_id, '/');
	g_autofree gchar *ns =
		slash != NULL ? g_strndup(repo->repo_id, (gsize)(slash - repo->repo_id)) : NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, slash != NULL ? slash + 1 : repo->repo_id);
	json_builder_set_member_name(b, "organization");
	if (ns != NULL)
		json_builder_add_string_value(b, ns);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, hfhub_repo_type_to_string(repo->type));
	json_builder_set_member_name(b, "visibility");
	json_builder_add_string_value(b, private_repo ? "private" : "public");
	if (repo->type == HFHUB_REPO_TYPE_SPACE) {
		/* the Hub needs an SDK for a Space; "static" needs no hardware */
		json_builder_set_member_name(b, "sdk");
		json_builder_add_string_value(b, "static");
	}
	json_builder_end_object(b);
	body = json_body(b);
	answer =
		hfhub_http_upload_fetch(repo->http, &repo->target, "POST", url, NULL, body,
					"application/json", FALSE, NULL, cancellable, &error_local);
	if (answer != NULL || g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT))
		return TRUE;
	/* not allowed to create here (e.g. a read token): fine if it exists */
	if ((g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_FORBIDDEN) ||
	     g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED)) &&
	    repo_exists(repo, cancellable))
		return TRUE;
	g_prefix_error(&error_local, "cannot create the repository %s: ", repo->repo_id);
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

gboolean
hfhub_upload_create_branch(const HfhubHubRepo *repo, const gchar *branch, GCancellable *cancellable,
			   GError **error)
{
	g_autofree gchar *name = hfhub_http_escape(branch, FALSE);
	g_autofree gchar *url =
		g_strdup_printf("%s/api/%s/%s/branch/%s", repo->target.endpoint,
				hfhub_upload_api_type(repo->type), repo->repo_id, name);
	g_autoptr(GBytes) body = g_bytes_new_static("{}", 2);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error_local = NULL;

	answer =
		hfhub_http_upload_fetch(repo->http, &repo->target, "POST", url, NULL, body,
					"application/json", FALSE, NULL, cancellable, &error_local);
	if (answer != NULL || g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT))
		return TRUE;
	g_prefix_error(&error_local, "cannot create the branch %s: ", branch);
	g_propagate_error(error, g_steal_pointer(&error_local));
	return FALSE;
}

GHashTable *
hfhub_upload_list_pr_refs(const HfhubHubRepo *repo, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *url =
		g_strdup_printf("%s/api/%s/%s/refs?include_prs=1", repo->target.endpoint,
				hfhub_upload_api_type(repo->type), repo->repo_id);
	g_autoptr(GBytes) answer = hfhub_http_fetch(repo->http, &repo->target, "GET", url, NULL,
						    NULL, NULL, cancellable, error);
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GHashTable) refs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	JsonNode *prs;

	if (answer == NULL)
		return NULL;
	root = parse_object(answer, "refs", error);
	if (root == NULL)
		return NULL;
	prs = json_object_get_member(json_node_get_object(root), "pullRequests");
	if (prs == NULL || !JSON_NODE_HOLDS_ARRAY(prs))
		return g_steal_pointer(&refs);
	for (guint i = 0; i < json_array_get_length(json_node_get_array(prs)); i++) {
		JsonNode *node = json_array_get_element(json_node_get_array(prs), i);
		JsonObject *obj = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
		const gchar *ref = member_string(obj, "ref");
		const gchar *target = member_string(obj, "targetCommit");
		if (ref != NULL && target != NULL)
			g_hash_table_insert(refs, g_strdup(ref), g_strdup(target));
	}
	return g_steal_pointer(&refs);
}
