/* The HTTP work of HfhubRepos (see hfhub-repos.h), on worker threads:
 * one function per call of the Hub's API (hub-protocol.md §6, §8), each
 * building its a{sv} answer from the structs of hfhub-repos-parse.c. Reads
 * are retried a little; writes never are. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubRepos"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-hub-parse.h"
#include "hfhub-repo-path.h"
#include "hfhub-repos-parse.h"
#include "hfhub-repos-private.h"

/* a read is retried this often on network errors, 5xx and 429 (short:
 * when the Hub is unreachable the caller waits for the offline answer);
 * writes are never retried, as huggingface_hub does not either */
#define READ_ATTEMPTS	 3
#define MAX_RETRY_WAIT_S 10
/* no single answer of the Hub is bigger than this */
#define MAX_ANSWER_BYTES (256u * 1024 * 1024)
#define MAX_PAGES	 10000
/* the page size asked of the commit list */
#define COMMITS_PAGE 100

/* ---- HTTP */

const gchar *
hfhub_repos_api_type(HfhubRepoType type)
{
	return type == HFHUB_REPO_TYPE_DATASET ? "datasets"
	       : type == HFHUB_REPO_TYPE_SPACE ? "spaces"
					       : "models";
}

static const gchar *
url_prefix(HfhubRepoType type)
{
	return type == HFHUB_REPO_TYPE_DATASET ? "datasets/"
	       : type == HFHUB_REPO_TYPE_SPACE ? "spaces/"
					       : "";
}

static GBytes *
read_body(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	g_autoptr(GByteArray) data = g_byte_array_new();
	guint8 buf[64 * 1024];

	for (;;) {
		gssize n = g_input_stream_read(stream, buf, sizeof(buf), cancellable, error);
		if (n < 0)
			return NULL;
		if (n == 0)
			break;
		if (data->len + (gsize)n > MAX_ANSWER_BYTES) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "the Hub's answer is larger than %u MiB",
				    MAX_ANSWER_BYTES / 1024 / 1024);
			return NULL;
		}
		g_byte_array_append(data, buf, (guint)n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&data));
}

/* one call to the Hub: its body, and the message when @out_msg */
static GBytes *
api_call(HfhubReposRequest *req, const gchar *method, const gchar *url, GBytes *body,
	 guint attempts, SoupMessage **out_msg, GCancellable *cancellable, GError **error)
{
	HfhubHttpTarget target = { req->endpoint, req->token };

	for (guint attempt = 1;; attempt++) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GInputStream) stream = NULL;
		GBytes *answer = NULL;
		guint wait_s;

		stream = hfhub_http_send(req->http, &target, method, url, NULL, body,
					 body != NULL ? "application/json" : NULL, &msg, NULL,
					 cancellable, &error_local);
		if (stream != NULL)
			answer = read_body(stream, cancellable, &error_local);
		if (answer != NULL) {
			if (out_msg != NULL)
				*out_msg = g_steal_pointer(&msg);
			return answer;
		}
		/* the Hub's own words, about this repo rather than the URL */
		if (msg != NULL && soup_message_get_status(msg) >= 400) {
			g_clear_error(&error_local);
			error_local = hfhub_http_status_error(msg, req->what, req->token != NULL);
		} else if (error_local->domain != HFHUB_ERROR) {
			/* a body cut short: the network's fault */
			hfhub_error_convert(&error_local);
			if (!g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CANCELLED))
				error_local->code = HFHUB_ERROR_NETWORK;
		}
		if (!hfhub_http_error_is_transient(error_local) || attempt >= attempts) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		wait_s = msg != NULL ? hfhub_http_retry_after(msg) : 0;
		g_debug("%s %s: %s; retrying", method, url, error_local->message);
		if (!hfhub_http_sleep(wait_s > 0 ? MIN(wait_s, MAX_RETRY_WAIT_S) * 1000
						 : hfhub_http_backoff_ms(attempt),
				      cancellable, error))
			return NULL;
	}
}

static GBytes *
json_body(JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	gsize len = 0;
	gchar *data;

	json_generator_set_root(generator, root);
	data = json_generator_to_data(generator, &len);
	return g_bytes_new_take(data, len);
}

typedef gboolean (*PageParser)(const gchar *data, gsize len, GPtrArray *out, GError **error);

/* Follows rel="next" from @url until @limit items (0: all). *more: there
 * was more than the limit. *total: X-Total-Count of the first page, or -1. */
static gboolean
follow_pages(HfhubReposRequest *req, const gchar *url, PageParser parse, GPtrArray *out,
	     guint limit, gboolean *more, gint64 *total, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *next = g_strdup(url);

	if (more != NULL)
		*more = FALSE;
	if (total != NULL)
		*total = -1;
	for (guint page = 0; next != NULL; page++) {
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GBytes) body = NULL;
		g_autoptr(GUri) next_uri = NULL;
		SoupMessageHeaders *headers;
		const gchar *count;
		gsize len;
		const gchar *data;

		if (page >= MAX_PAGES) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "the Hub's listing did not end after %u pages", page);
			return FALSE;
		}
		body = api_call(req, "GET", next, NULL, READ_ATTEMPTS, &msg, cancellable, error);
		if (body == NULL)
			return FALSE;
		data = g_bytes_get_data(body, &len);
		if (!parse(data, len, out, error))
			return FALSE;
		headers = soup_message_get_response_headers(msg);
		count = soup_message_headers_get_one(headers, "X-Total-Count");
		if (page == 0 && total != NULL && count != NULL)
			*total = g_ascii_strtoll(count, NULL, 10);
		g_free(next);
		next = hfhub_parse_link_next(soup_message_headers_get_one(headers, "Link"));
		if (limit > 0 && out->len >= limit) {
			if (more != NULL)
				*more = out->len > limit || next != NULL;
			g_ptr_array_set_size(out, limit);
			return TRUE;
		}
		/* the token must not follow a next page to another host */
		next_uri = next != NULL ? g_uri_parse(next, SOUP_HTTP_URI_FLAGS, NULL) : NULL;
		if (next != NULL && !hfhub_http_same_origin(next_uri, req->endpoint)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "the Hub's listing continues on another host (%s)", next);
			return FALSE;
		}
	}
	return TRUE;
}

static guint
option_limit(HfhubReposRequest *req)
{
	guint limit = HFHUB_REPOS_DEFAULT_LIMIT;

	g_variant_lookup(req->options, "limit", "u", &limit);
	return limit;
}

static gchar *
repo_url(HfhubReposRequest *req, const gchar *rest)
{
	return g_strdup_printf("%s/api/%s/%s%s", req->endpoint, hfhub_repos_api_type(req->type),
			       req->repo_id, rest);
}

GVariant *
hfhub_repos_dict_merge(GVariant *base, GVariantDict *extra)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(base);
	g_autoptr(GVariant) more = g_variant_ref_sink(g_variant_dict_end(extra));
	GVariantIter iter;
	const gchar *key;
	GVariant *value;

	g_variant_iter_init(&iter, more);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_variant_dict_insert_value(&dict, key, value);
		g_variant_unref(value);
	}
	return g_variant_dict_end(&dict);
}

static GVariant *
tree_entry_variant(gconstpointer item)
{
	return hfhub_tree_entry_to_variant(item);
}

static GVariant *
commit_variant(gconstpointer item)
{
	return hfhub_commit_info_to_variant(item);
}

static GVariant *
repo_info_variant(gconstpointer item)
{
	return hfhub_repo_info_to_variant(item);
}

static GVariant *
array_of(GPtrArray *items, GVariant *(*to_variant)(gconstpointer))
{
	g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < items->len; i++)
		g_variant_builder_add_value(&b, to_variant(g_ptr_array_index(items, i)));
	return g_variant_builder_end(&b);
}

/* ---- the reads */

static GVariant *
work_info(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *rev = hfhub_http_escape(req->revision, FALSE);
	g_autofree gchar *rest = g_strdup_printf("/revision/%s?blobs=true", rev);
	g_autofree gchar *url = repo_url(req, rest);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(HfhubRepoInfo) info = NULL;
	g_autoptr(GVariant) base = NULL;
	g_auto(GVariantDict) extra = G_VARIANT_DICT_INIT(NULL);
	gsize len;
	const gchar *data;

	body = api_call(req, "GET", url, NULL, READ_ATTEMPTS, NULL, cancellable, error);
	if (body == NULL)
		return NULL;
	data = g_bytes_get_data(body, &len);
	info = hfhub_parse_repo_info(data, len, error);
	if (info == NULL)
		return NULL;
	req->commit = g_strdup(info->sha);
	base = g_variant_ref_sink(hfhub_repo_info_to_variant(info));
	g_variant_dict_insert(&extra, "revision", "s", req->revision);
	return hfhub_repos_dict_merge(base, &extra);
}

static gchar *
resolve_commit(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *rev = hfhub_http_escape(req->revision, FALSE);
	g_autofree gchar *rest = g_strdup_printf("/revision/%s?expand=sha", rev);
	g_autofree gchar *url = repo_url(req, rest);
	g_autoptr(GBytes) body = NULL;
	gsize len;
	const gchar *data;

	if (hfhub_is_commit_hash(req->revision))
		return g_strdup(req->revision);
	body = api_call(req, "GET", url, NULL, READ_ATTEMPTS, NULL, cancellable, error);
	if (body == NULL)
		return NULL;
	data = g_bytes_get_data(body, &len);
	return hfhub_parse_revision_sha(data, len, error);
}

static GVariant *
work_files(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	const gchar *path = hfhub_repos_option_string(req, "path");
	gboolean recursive = hfhub_repos_option_bool(req, "recursive");
	g_autoptr(GPtrArray) entries =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_tree_entry_free);
	g_autofree gchar *folder = NULL;
	g_autofree gchar *rest = NULL;
	g_autofree gchar *url = NULL;
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	/* one commit for the whole listing, even if the branch moves meanwhile */
	req->commit = resolve_commit(req, cancellable, error);
	if (req->commit == NULL)
		return NULL;
	if (path != NULL && *path != '\0') {
		g_autofree gchar *escaped = hfhub_http_escape(path, FALSE);
		folder = g_strdup_printf("/%s", escaped);
	}
	rest = g_strdup_printf("/tree/%s%s?recursive=%s&expand=false", req->commit,
			       folder != NULL ? folder : "", recursive ? "true" : "false");
	url = repo_url(req, rest);
	if (!follow_pages(req, url, hfhub_parse_tree_page, entries, 0, NULL, NULL, cancellable,
			  error))
		return NULL;
	g_variant_dict_insert(&dict, "commit", "s", req->commit);
	g_variant_dict_insert(&dict, "revision", "s", req->revision);
	g_variant_dict_insert(&dict, "path", "s", path != NULL ? path : "");
	g_variant_dict_insert(&dict, "recursive", "b", recursive);
	g_variant_dict_insert_value(&dict, "entries", array_of(entries, tree_entry_variant));
	return g_variant_dict_end(&dict);
}

static GVariant *
work_refs(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	gboolean prs = hfhub_repos_option_bool(req, "include-prs");
	g_autofree gchar *url = repo_url(req, prs ? "/refs?include_prs=1" : "/refs");
	g_autoptr(GBytes) body = NULL;
	g_autoptr(HfhubGitRefs) refs = NULL;
	gsize len;
	const gchar *data;

	body = api_call(req, "GET", url, NULL, READ_ATTEMPTS, NULL, cancellable, error);
	if (body == NULL)
		return NULL;
	data = g_bytes_get_data(body, &len);
	refs = hfhub_parse_git_refs(data, len, prs, error);
	if (refs == NULL)
		return NULL;
	return hfhub_git_refs_to_variant(refs);
}

static GVariant *
work_commits(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	guint limit = option_limit(req);
	g_autofree gchar *rev = hfhub_http_escape(req->revision, FALSE);
	g_autofree gchar *rest =
		g_strdup_printf("/commits/%s?limit=%u", rev, MIN(limit, COMMITS_PAGE));
	g_autofree gchar *url = repo_url(req, rest);
	g_autoptr(GPtrArray) commits =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_commit_info_free);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	gboolean more = FALSE;
	gint64 total = -1;

	if (!follow_pages(req, url, hfhub_parse_commit_page, commits, limit, &more, &total,
			  cancellable, error))
		return NULL;
	g_variant_dict_insert(&dict, "revision", "s", req->revision);
	g_variant_dict_insert_value(&dict, "commits", array_of(commits, commit_variant));
	g_variant_dict_insert(&dict, "more", "b", more);
	if (total >= 0)
		g_variant_dict_insert(&dict, "total", "t", (guint64)total);
	return g_variant_dict_end(&dict);
}

static void
append_param(GString *query, const gchar *key, const gchar *value)
{
	g_autofree gchar *escaped = g_uri_escape_string(value, NULL, FALSE);

	g_string_append_printf(query, "%s%s=%s", query->len > 0 ? "&" : "", key, escaped);
}

static GVariant *
work_search(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	guint limit = option_limit(req);
	g_autoptr(GString) query = g_string_new(NULL);
	g_autofree const gchar **filters = NULL;
	g_autofree gchar *url = NULL;
	g_autoptr(GPtrArray) repos =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_info_free);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	const gchar *keys[] = { "search", "author", "sort" };
	gint32 direction = 0;
	gboolean more = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		const gchar *value = hfhub_repos_option_string(req, keys[i]);
		if (value != NULL && *value != '\0')
			append_param(query, keys[i], value);
	}
	if (g_variant_lookup(req->options, "filter", "^a&s", &filters)) {
		for (guint i = 0; filters[i] != NULL; i++)
			append_param(query, "filter", filters[i]);
	}
	if (g_variant_lookup(req->options, "direction", "i", &direction))
		g_string_append_printf(query, "&direction=%d", direction);
	/* the Hub pages by at most this many; the rest follows through Link */
	g_string_append_printf(query, "%slimit=%u", query->len > 0 ? "&" : "", limit);
	url = g_strdup_printf("%s/api/%s?%s", req->endpoint, hfhub_repos_api_type(req->type),
			      query->str);
	if (!follow_pages(req, url, hfhub_parse_repo_list, repos, limit, &more, NULL, cancellable,
			  error))
		return NULL;
	g_variant_dict_insert_value(&dict, "repos", array_of(repos, repo_info_variant));
	g_variant_dict_insert(&dict, "more", "b", more);
	return g_variant_dict_end(&dict);
}

/* ---- the writes */

/* "ns/name" → ns, name; "name" → NULL, name */
static void
split_repo_id(const gchar *repo_id, gchar **ns, gchar **name)
{
	const gchar *slash = strchr(repo_id, '/');

	*ns = slash != NULL ? g_strndup(repo_id, slash - repo_id) : NULL;
	*name = g_strdup(slash != NULL ? slash + 1 : repo_id);
}

static GBytes *
named_repo_body(HfhubReposRequest *req, JsonBuilder *builder)
{
	g_autofree gchar *ns = NULL;
	g_autofree gchar *name = NULL;

	split_repo_id(req->repo_id, &ns, &name);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, name);
	json_builder_set_member_name(builder, "organization");
	if (ns != NULL)
		json_builder_add_string_value(builder, ns);
	else
		json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, hfhub_repo_type_to_string(req->type));
	json_builder_end_object(builder);
	return json_body(builder);
}

static gboolean
repo_exists(HfhubReposRequest *req, GCancellable *cancellable)
{
	g_autofree gchar *url = repo_url(req, "?expand=sha");
	g_autoptr(GBytes) body = api_call(req, "GET", url, NULL, 1, NULL, cancellable, NULL);

	return body != NULL;
}

static GVariant *
work_create(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(HfhubCreatedRepo) created = NULL;
	g_autofree gchar *url = g_strdup_printf("%s/api/repos/create", req->endpoint);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	const gchar *sdk = hfhub_repos_option_string(req, "space-sdk");
	gboolean is_private = FALSE;
	gsize len;
	const gchar *data;

	json_builder_begin_object(builder);
	if (g_variant_lookup(req->options, "private", "b", &is_private)) {
		json_builder_set_member_name(builder, "visibility");
		json_builder_add_string_value(builder, is_private ? "private" : "public");
	}
	if (sdk != NULL) {
		json_builder_set_member_name(builder, "sdk");
		json_builder_add_string_value(builder, sdk);
	}
	request = named_repo_body(req, builder);
	body = api_call(req, "POST", url, request, 1, NULL, cancellable, &error_local);
	if (body == NULL) {
		gboolean exist_ok = hfhub_repos_option_bool(req, "exist-ok");
		/* as huggingface_hub: with exist_ok a 409 is success, and so is a
		 * refusal about a repo that turns out to exist */
		gboolean exists =
			exist_ok &&
			(g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT) ||
			 ((g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_FORBIDDEN) ||
			   g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED)) &&
			  repo_exists(req, cancellable)));
		if (!exists) {
			if (g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT))
				g_prefix_error(&error_local, "the name is taken: ");
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_variant_dict_insert(&dict, "created", "b", FALSE);
		g_variant_dict_insert(&dict, "repo-id", "s", req->repo_id);
		g_variant_dict_insert_value(
			&dict, "url",
			g_variant_new_take_string(g_strdup_printf(
				"%s/%s%s", req->endpoint, url_prefix(req->type), req->repo_id)));
		return g_variant_dict_end(&dict);
	}
	data = g_bytes_get_data(body, &len);
	created = hfhub_parse_created_repo(data, len, error);
	if (created == NULL)
		return NULL;
	g_variant_dict_insert(&dict, "created", "b", TRUE);
	g_variant_dict_insert(&dict, "repo-id", "s",
			      created->name != NULL && strchr(created->name, '/') != NULL
				      ? created->name
				      : req->repo_id);
	g_variant_dict_insert(&dict, "url", "s", created->url);
	return g_variant_dict_end(&dict);
}

static GVariant *
work_delete(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *url = g_strdup_printf("%s/api/repos/delete", req->endpoint);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	json_builder_begin_object(builder);
	request = named_repo_body(req, builder);
	body = api_call(req, "DELETE", url, request, 1, NULL, cancellable, &error_local);
	if (body == NULL) {
		if (!hfhub_repos_option_bool(req, "missing-ok") ||
		    !g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_REPO_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
	}
	g_variant_dict_insert(&dict, "deleted", "b", body != NULL);
	g_variant_dict_insert(&dict, "repo-id", "s", req->repo_id);
	return g_variant_dict_end(&dict);
}

static GVariant *
work_settings(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *url = repo_url(req, "/settings");
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	const gchar *gated = hfhub_repos_option_string(req, "gated");
	gboolean is_private;

	json_builder_begin_object(builder);
	if (gated != NULL) {
		json_builder_set_member_name(builder, "gated");
		if (g_str_equal(gated, "false"))
			json_builder_add_boolean_value(builder, FALSE);
		else
			json_builder_add_string_value(builder, gated);
		g_variant_dict_insert(&dict, "gated", "s", gated);
	}
	if (g_variant_lookup(req->options, "private", "b", &is_private)) {
		json_builder_set_member_name(builder, "visibility");
		json_builder_add_string_value(builder, is_private ? "private" : "public");
		g_variant_dict_insert(&dict, "private", "b", is_private);
	}
	json_builder_end_object(builder);
	request = json_body(builder);
	body = api_call(req, "PUT", url, request, 1, NULL, cancellable, error);
	if (body == NULL)
		return NULL;
	g_variant_dict_insert(&dict, "repo-id", "s", req->repo_id);
	return g_variant_dict_end(&dict);
}

static GVariant *
work_move(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *url = g_strdup_printf("%s/api/repos/move", req->endpoint);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "fromRepo");
	json_builder_add_string_value(builder, req->repo_id);
	json_builder_set_member_name(builder, "toRepo");
	json_builder_add_string_value(builder, req->name);
	/* the Hub needs the type, never null */
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, hfhub_repo_type_to_string(req->type));
	json_builder_end_object(builder);
	request = json_body(builder);
	body = api_call(req, "POST", url, request, 1, NULL, cancellable, error);
	if (body == NULL)
		return NULL;
	g_variant_dict_insert(&dict, "from", "s", req->repo_id);
	g_variant_dict_insert(&dict, "to", "s", req->name);
	g_variant_dict_insert_value(
		&dict, "url",
		g_variant_new_take_string(g_strdup_printf("%s/%s%s", req->endpoint,
							  url_prefix(req->type), req->name)));
	return g_variant_dict_end(&dict);
}

/* POST or DELETE …/{branch|tag}/{ref} */
static GVariant *
work_ref(HfhubReposRequest *req, const gchar *kind, const gchar *method, const gchar *ref,
	 GBytes *request, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *escaped = hfhub_http_escape(ref, FALSE);
	g_autofree gchar *rest = g_strdup_printf("/%s/%s", kind, escaped);
	g_autofree gchar *url = repo_url(req, rest);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error_local = NULL;
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	gboolean creating = g_str_equal(method, "POST");

	body = api_call(req, method, url, request, 1, NULL, cancellable, &error_local);
	if (body == NULL) {
		if (!creating || !hfhub_repos_option_bool(req, "exist-ok") ||
		    !g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT)) {
			if (g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT))
				g_prefix_error(&error_local, "the %s “%s” exists: ", kind,
					       req->name);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
	}
	g_variant_dict_insert(&dict, kind, "s", req->name);
	g_variant_dict_insert(&dict, "repo-id", "s", req->repo_id);
	g_variant_dict_insert(&dict, creating ? "created" : "deleted", "b", body != NULL);
	return g_variant_dict_end(&dict);
}

static GVariant *
work_branch_create(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(GBytes) request = NULL;
	const gchar *start = hfhub_repos_option_string(req, "revision");

	json_builder_begin_object(builder);
	if (start != NULL) {
		json_builder_set_member_name(builder, "startingPoint");
		json_builder_add_string_value(builder, start);
	}
	json_builder_end_object(builder);
	request = json_body(builder);
	return work_ref(req, "branch", "POST", req->name, request, cancellable, error);
}

static GVariant *
work_branch_delete(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	return work_ref(req, "branch", "DELETE", req->name, NULL, cancellable, error);
}

static GVariant *
work_tag_create(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(GBytes) request = NULL;
	const gchar *revision = hfhub_repos_option_string(req, "revision");
	const gchar *message = hfhub_repos_option_string(req, "message");

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "tag");
	json_builder_add_string_value(builder, req->name);
	if (message != NULL) {
		json_builder_set_member_name(builder, "message");
		json_builder_add_string_value(builder, message);
	}
	json_builder_end_object(builder);
	request = json_body(builder);
	/* the tag is created on a revision: POST …/tag/{revision} */
	return work_ref(req, "tag", "POST", revision != NULL ? revision : "main", request,
			cancellable, error);
}

static GVariant *
work_tag_delete(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	return work_ref(req, "tag", "DELETE", req->name, NULL, cancellable, error);
}

/* A 403 says which role the token has, so that "use a write token" is
 * obvious: whoami-v2 is asked (once, on the worker) when one happens. */
static void
explain_forbidden(HfhubReposRequest *req, GError *error, GCancellable *cancellable)
{
	g_autofree gchar *url = g_strdup_printf("%s/api/whoami-v2", req->endpoint);
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *role = NULL;
	g_autofree gchar *old = NULL;

	if (!g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_FORBIDDEN))
		return;
	old = g_steal_pointer(&error->message);
	if (req->token == NULL) {
		error->message = g_strdup_printf("%s; no token was used: log in with “hfhub auth "
						 "login”",
						 old);
		return;
	}
	body = api_call(req, "GET", url, NULL, 1, NULL, cancellable, NULL);
	if (body != NULL) {
		gsize len;
		const gchar *data = g_bytes_get_data(body, &len);
		role = hfhub_parse_whoami_role(data, len, NULL);
	}
	if (role != NULL)
		error->message = g_strdup_printf(
			"%s; the token used has the role “%s”%s", old, role,
			g_str_equal(role, "read") ? ": this needs a token with write access" : "");
	else
		error->message =
			g_strdup_printf("%s; the role of the token used is not known", old);
}

GVariant *
hfhub_repos_hub_run(HfhubReposRequest *req, GCancellable *cancellable, GError **error)
{
	static GVariant *(*const work[])(HfhubReposRequest *, GCancellable *, GError **) = {
		[HFHUB_REPOS_OP_INFO] = work_info,
		[HFHUB_REPOS_OP_FILES] = work_files,
		[HFHUB_REPOS_OP_REFS] = work_refs,
		[HFHUB_REPOS_OP_COMMITS] = work_commits,
		[HFHUB_REPOS_OP_SEARCH] = work_search,
		[HFHUB_REPOS_OP_CREATE] = work_create,
		[HFHUB_REPOS_OP_DELETE] = work_delete,
		[HFHUB_REPOS_OP_SETTINGS] = work_settings,
		[HFHUB_REPOS_OP_MOVE] = work_move,
		[HFHUB_REPOS_OP_BRANCH_CREATE] = work_branch_create,
		[HFHUB_REPOS_OP_BRANCH_DELETE] = work_branch_delete,
		[HFHUB_REPOS_OP_TAG_CREATE] = work_tag_create,
		[HFHUB_REPOS_OP_TAG_DELETE] = work_tag_delete,
	};
	GError *error_local = NULL;
	GVariant *answer;

	G_STATIC_ASSERT(G_N_ELEMENTS(work) == HFHUB_REPOS_OP_LAST);
	g_return_val_if_fail(req->op < HFHUB_REPOS_OP_LAST, NULL);

	answer = work[req->op](req, cancellable, &error_local);
	if (answer == NULL) {
		explain_forbidden(req, error_local, cancellable);
		g_propagate_error(error, error_local);
	}
	return answer;
}
