#include "config.h"

#define G_LOG_DOMAIN "HfhubHubApi"

#include "hfhub-hub-api.h"

#include "hfhub-error.h"

#define PATHS_INFO_BATCH 500
#define MAX_TREE_PAGES	 10000

static const gchar *
api_type(HfhubRepoType type)
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

gchar *
hfhub_hub_resolve_revision(const HfhubHubRepo *repo, const gchar *revision,
			   GCancellable *cancellable, GError **error)
{
	g_autofree gchar *rev = hfhub_http_escape(revision, FALSE);
	g_autofree gchar *url = g_strdup_printf("%s/api/%s/%s/revision/%s", repo->target.endpoint,
						api_type(repo->type), repo->repo_id, rev);
	g_autoptr(GBytes) body = hfhub_http_fetch(repo->http, &repo->target, "GET", url, NULL, NULL,
						  NULL, cancellable, error);
	gsize len;
	const gchar *data;

	if (body == NULL)
		return NULL;
	data = g_bytes_get_data(body, &len);
	return hfhub_parse_revision_sha(data, len, error);
}

GPtrArray *
hfhub_hub_list_files(const HfhubHubRepo *repo, const gchar *commit, GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(GPtrArray) files =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_file_free);
	g_autofree gchar *url =
		g_strdup_printf("%s/api/%s/%s/tree/%s?recursive=true&expand=false",
				repo->target.endpoint, api_type(repo->type), repo->repo_id, commit);

	for (guint page = 0; url != NULL; page++) {
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GBytes) body = NULL;
		g_autoptr(GUri) next_uri = NULL;
		gchar *next;
		gsize len;
		const gchar *data;

		if (page >= MAX_TREE_PAGES) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "the tree listing did not end after %u pages", page);
			return NULL;
		}
		body = hfhub_http_fetch(repo->http, &repo->target, "GET", url, NULL, NULL, &msg,
					cancellable, error);
		if (body == NULL)
			return NULL;
		data = g_bytes_get_data(body, &len);
		if (!hfhub_parse_tree_entries(data, len, files, error))
			return NULL;
		next = hfhub_parse_link_next(soup_message_headers_get_one(
			soup_message_get_response_headers(msg), "Link"));
		/* a next page elsewhere than the endpoint is not followed */
		next_uri = next != NULL ? g_uri_parse(next, SOUP_HTTP_URI_FLAGS, NULL) : NULL;
		if (next != NULL && !hfhub_http_same_origin(next_uri, repo->target.endpoint)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "the tree listing continues on another host (%s)", next);
			g_free(next);
			return NULL;
		}
		g_free(url);
		url = next;
	}
	return g_steal_pointer(&files);
}

GPtrArray *
hfhub_hub_paths_info(const HfhubHubRepo *repo, const gchar *commit, const gchar *const *paths,
		     GCancellable *cancellable, GError **error)
{
	g_autoptr(GPtrArray) files =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_file_free);
	g_autofree gchar *url = g_strdup_printf("%s/api/%s/%s/paths-info/%s", repo->target.endpoint,
						api_type(repo->type), repo->repo_id, commit);
	guint n = g_strv_length((gchar **)paths);

	for (guint start = 0; start < n; start += PATHS_INFO_BATCH) {
		g_autoptr(GString) form = g_string_new("expand=false");
		g_autoptr(GBytes) request = NULL;
		g_autoptr(GBytes) body = NULL;
		gsize len;
		const gchar *data;

		for (guint i = start; i < MIN(n, start + PATHS_INFO_BATCH); i++) {
			g_autofree gchar *escaped = g_uri_escape_string(paths[i], NULL, FALSE);
			g_string_append_printf(form, "&paths=%s", escaped);
		}
		request = g_bytes_new(form->str, form->len);
		body = hfhub_http_fetch(repo->http, &repo->target, "POST", url, request,
					"application/x-www-form-urlencoded", NULL, cancellable,
					error);
		if (body == NULL)
			return NULL;
		data = g_bytes_get_data(body, &len);
		if (!hfhub_parse_tree_entries(data, len, files, error))
			return NULL;
	}
	return g_steal_pointer(&files);
}

gchar *
hfhub_hub_resolve_url(const HfhubHubRepo *repo, const gchar *commit, const gchar *path)
{
	g_autofree gchar *escaped = hfhub_http_escape(path, TRUE);

	return g_strdup_printf("%s/%s%s/resolve/%s/%s", repo->target.endpoint,
			       url_prefix(repo->type), repo->repo_id, commit, escaped);
}
