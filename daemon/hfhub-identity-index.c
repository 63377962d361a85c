#include "config.h"

#define G_LOG_DOMAIN "HfhubIdentityIndex"

#include "hfhub-identity-index.h"

#include <errno.h>
#include <string.h>

#include "hfhub-error.h"

#define MAX_NAME_LEN 100
#define INDEX_HEADER                                                                         \
	"# hfhub identities: what the Hub said about each stored token (never the token).\n" \
	"# Written by hfhubd; use “hfhub auth” to change it.\n"

HfhubIdentityInfo *
hfhub_identity_info_new(void)
{
	return g_new0(HfhubIdentityInfo, 1);
}

HfhubIdentityInfo *
hfhub_identity_info_copy(const HfhubIdentityInfo *info)
{
	HfhubIdentityInfo *copy = hfhub_identity_info_new();

	copy->name = g_strdup(info->name);
	copy->endpoint = g_strdup(info->endpoint);
	copy->user = g_strdup(info->user);
	copy->fullname = g_strdup(info->fullname);
	copy->orgs = g_strdupv(info->orgs);
	copy->role = g_strdup(info->role);
	copy->token_name = g_strdup(info->token_name);
	copy->storage = info->storage;
	copy->added = info->added;
	copy->is_default = info->is_default;
	return copy;
}

void
hfhub_identity_info_free(HfhubIdentityInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->name);
	g_free(info->endpoint);
	g_free(info->user);
	g_free(info->fullname);
	g_strfreev(info->orgs);
	g_free(info->role);
	g_free(info->token_name);
	g_free(info);
}

gchar *
hfhub_identity_normalize_endpoint(const gchar *endpoint, GError **error)
{
	g_autoptr(GUri) uri = NULL;
	g_autofree gchar *scheme = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *path = NULL;
	gint port;
	GString *out;

	if (endpoint == NULL || *endpoint == '\0') {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "no endpoint given");
		return NULL;
	}
	uri = g_uri_parse(endpoint, G_URI_FLAGS_NONE, NULL);
	if (uri == NULL || g_uri_get_host(uri) == NULL || *g_uri_get_host(uri) == '\0' ||
	    (g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") != 0 &&
	     g_ascii_strcasecmp(g_uri_get_scheme(uri), "http") != 0)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the endpoint must be an http(s) URL, not “%s”", endpoint);
		return NULL;
	}
	if (g_uri_get_userinfo(uri) != NULL || g_uri_get_query(uri) != NULL ||
	    g_uri_get_fragment(uri) != NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the endpoint “%s” must not have user info, a query or a fragment",
			    endpoint);
		return NULL;
	}
	scheme = g_ascii_strdown(g_uri_get_scheme(uri), -1);
	host = g_ascii_strdown(g_uri_get_host(uri), -1);
	port = g_uri_get_port(uri);
	if ((g_str_equal(scheme, "https") && port == 443) ||
	    (g_str_equal(scheme, "http") && port == 80))
		port = -1;
	path = g_strdup(g_uri_get_path(uri));
	while (g_str_has_suffix(path, "/"))
		path[strlen(path) - 1] = '\0';

	out = g_string_new(scheme);
	g_string_append(out, "://");
	/* GUri gives an IPv6 literal without its brackets */
	if (strchr(host, ':') != NULL)
		g_string_append_printf(out, "[%s]", host);
	else
		g_string_append(out, host);
	if (port > 0)
		g_string_append_printf(out, ":%d", port);
	g_string_append(out, path);
	return g_string_free(out, FALSE);
}

gboolean
hfhub_identity_validate_name(const gchar *name, GError **error)
{
	gsize len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > MAX_NAME_LEN || !g_utf8_validate(name, -1, NULL)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "an identity name has 1 to %d bytes of UTF-8", MAX_NAME_LEN);
		return FALSE;
	}
	for (const gchar *p = name; *p != '\0'; p = g_utf8_next_char(p)) {
		if (g_unichar_iscntrl(g_utf8_get_char(p))) {
			g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
					    "an identity name cannot contain control characters");
			return FALSE;
		}
	}
	if (g_ascii_isspace(name[0]) || g_ascii_isspace(name[len - 1])) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "an identity name cannot start or end with white space");
		return FALSE;
	}
	if (g_str_equal(name, "HF_TOKEN")) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "“HF_TOKEN” names the token of hfhubd's environment");
		return FALSE;
	}
	return TRUE;
}

gchar *
hfhub_identity_index_path(const gchar *state_dir)
{
	return g_build_filename(state_dir, "identities.conf", NULL);
}

gchar *
hfhub_identity_default_state_dir(void)
{
	return g_build_filename(g_get_user_state_dir(), "hfhub", NULL);
}

static gint
compare_infos(gconstpointer a, gconstpointer b)
{
	const HfhubIdentityInfo *ia = *(HfhubIdentityInfo **)a;
	const HfhubIdentityInfo *ib = *(HfhubIdentityInfo **)b;
	gint c = g_strcmp0(ia->endpoint, ib->endpoint);

	return c != 0 ? c : g_strcmp0(ia->name, ib->name);
}

static HfhubIdentityInfo *
info_from_group(GKeyFile *kf, const gchar *group, GError **error)
{
	g_autoptr(HfhubIdentityInfo) info = hfhub_identity_info_new();
	g_autofree gchar *storage = NULL;
	g_autofree gchar *endpoint = NULL;

	info->name = g_key_file_get_string(kf, group, "name", error);
	if (info->name == NULL)
		return NULL;
	endpoint = g_key_file_get_string(kf, group, "endpoint", error);
	if (endpoint == NULL)
		return NULL;
	info->endpoint = hfhub_identity_normalize_endpoint(endpoint, error);
	if (info->endpoint == NULL || !hfhub_identity_validate_name(info->name, error))
		return NULL;
	storage = g_key_file_get_string(kf, group, "storage", NULL);
	if (!hfhub_secrets_storage_from_string(storage, &info->storage)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "unknown storage “%s”", storage != NULL ? storage : "");
		return NULL;
	}
	info->user = g_key_file_get_string(kf, group, "user", NULL);
	info->fullname = g_key_file_get_string(kf, group, "fullname", NULL);
	info->orgs = g_key_file_get_string_list(kf, group, "orgs", NULL, NULL);
	info->role = g_key_file_get_string(kf, group, "role", NULL);
	info->token_name = g_key_file_get_string(kf, group, "token-name", NULL);
	info->added = g_key_file_get_int64(kf, group, "added", NULL);
	info->is_default = g_key_file_get_boolean(kf, group, "default", NULL);
	return g_steal_pointer(&info);
}

GPtrArray *
hfhub_identity_index_load(const gchar *path, GError **error)
{
	g_autoptr(GPtrArray) infos =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) groups = NULL;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&infos);
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "%s: %s", path,
			    error_local->message);
		return NULL;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		g_autoptr(GError) error_group = NULL;
		HfhubIdentityInfo *info = info_from_group(kf, groups[i], &error_group);

		if (info == NULL) {
			g_warning("%s: [%s] skipped: %s", path, groups[i], error_group->message);
			continue;
		}
		/* one default per endpoint, even in a hand-edited file */
		if (info->is_default && hfhub_identity_index_find_default(infos, info->endpoint))
			info->is_default = FALSE;
		if (hfhub_identity_index_find(infos, info->endpoint, info->name) != NULL) {
			hfhub_identity_info_free(info);
			continue;
		}
		g_ptr_array_add(infos, info);
	}
	g_ptr_array_sort(infos, compare_infos);
	return g_steal_pointer(&infos);
}

gboolean
hfhub_identity_index_save(const gchar *path, GPtrArray *infos, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autofree gchar *data = NULL;
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize len = 0;

	g_ptr_array_sort(infos, compare_infos);
	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(infos, i);
		g_autofree gchar *group = g_strdup_printf("identity %u", i + 1);

		g_key_file_set_string(kf, group, "name", info->name);
		g_key_file_set_string(kf, group, "endpoint", info->endpoint);
		g_key_file_set_string(kf, group, "user", info->user != NULL ? info->user : "");
		g_key_file_set_string(kf, group, "fullname",
				      info->fullname != NULL ? info->fullname : "");
		g_key_file_set_string_list(
			kf, group, "orgs",
			(const gchar *const *)(info->orgs != NULL ? info->orgs : NULL),
			info->orgs != NULL ? g_strv_length(info->orgs) : 0);
		g_key_file_set_string(kf, group, "role", info->role != NULL ? info->role : "");
		g_key_file_set_string(kf, group, "token-name",
				      info->token_name != NULL ? info->token_name : "");
		g_key_file_set_string(kf, group, "storage",
				      hfhub_secrets_storage_to_string(info->storage));
		g_key_file_set_int64(kf, group, "added", info->added);
		g_key_file_set_boolean(kf, group, "default", info->is_default);
	}
	data = g_key_file_to_data(kf, &len, NULL);
	contents = g_strconcat(INDEX_HEADER, data, NULL);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot create %s: %s", dir,
			    g_strerror(errno));
		return FALSE;
	}
	if (!g_file_set_contents_full(path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
				      &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "%s", error_local->message);
		return FALSE;
	}
	return TRUE;
}

HfhubIdentityInfo *
hfhub_identity_index_find(GPtrArray *infos, const gchar *endpoint, const gchar *name)
{
	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(infos, i);
		if (g_strcmp0(info->endpoint, endpoint) == 0 && g_strcmp0(info->name, name) == 0)
			return info;
	}
	return NULL;
}

HfhubIdentityInfo *
hfhub_identity_index_find_default(GPtrArray *infos, const gchar *endpoint)
{
	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(infos, i);
		if (info->is_default && g_strcmp0(info->endpoint, endpoint) == 0)
			return info;
	}
	return NULL;
}

HfhubIdentityInfo *
hfhub_identity_index_find_by_name(GPtrArray *infos, const gchar *name, const gchar *endpoint,
				  GError **error)
{
	HfhubIdentityInfo *found = NULL;

	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(infos, i);

		if (g_strcmp0(info->name, name) != 0)
			continue;
		if (endpoint != NULL && g_strcmp0(info->endpoint, endpoint) != 0)
			continue;
		if (found != NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "identities named “%s” exist for %s and %s: give the "
				    "endpoint",
				    name, found->endpoint, info->endpoint);
			return NULL;
		}
		found = info;
	}
	if (found == NULL) {
		if (endpoint != NULL)
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "there is no identity “%s” for %s", name, endpoint);
		else
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "there is no identity “%s”", name);
	}
	return found;
}

void
hfhub_identity_index_set_default(GPtrArray *infos, HfhubIdentityInfo *info)
{
	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *other = g_ptr_array_index(infos, i);
		if (g_strcmp0(other->endpoint, info->endpoint) == 0)
			other->is_default = FALSE;
	}
	info->is_default = TRUE;
}

HfhubToken *
hfhub_identity_read_token(const gchar *state_dir, const HfhubIdentityInfo *info,
			  gboolean allow_prompt, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *path = NULL;

	if (info->storage == HFHUB_SECRETS_STORAGE_KEYRING)
		return hfhub_secrets_keyring_lookup(info->endpoint, info->name, allow_prompt,
						    cancellable, error);
	path = hfhub_secrets_file_path(state_dir);
	return hfhub_secrets_file_lookup(path, info->endpoint, info->name, error);
}
