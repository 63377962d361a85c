/* The identity index: what hfhub knows about each stored token, never the
 * token itself.
 *
 * $XDG_STATE_HOME/hfhub/identities.conf (hfhubd's state directory), a key
 * file with one group per identity:
 *   name, endpoint        the key of the token in its storage
 *   user, fullname, orgs  who the Hub said the token belongs to (whoami-v2)
 *   role, token-name      the token's role and its name on the Hub
 *   storage               "keyring" or "file" (hfhub-secrets.h)
 *   added                 UNIX time
 *   default               true for at most one identity per endpoint
 * Written by hfhubd only; read by hfhubd, `hfhub auth token` and
 * git-credential-hfhub. Plain GLib, no D-Bus, no HTTP. */
#pragma once

#include <glib.h>

#include "hfhub-secrets.h"

G_BEGIN_DECLS

typedef struct {
	gchar *name;
	gchar *endpoint;
	gchar *user;
	gchar *fullname;
	gchar **orgs;
	gchar *role;
	gchar *token_name;
	HfhubSecretsStorage storage;
	gint64 added;
	gboolean is_default;
} HfhubIdentityInfo;

HfhubIdentityInfo *
hfhub_identity_info_new(void);
HfhubIdentityInfo *
hfhub_identity_info_copy(const HfhubIdentityInfo *info);
void
hfhub_identity_info_free(HfhubIdentityInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubIdentityInfo, hfhub_identity_info_free)

/* "HTTPS://Hub.Example:443/mirror/" → "https://hub.example/mirror": http(s)
 * only, no user info, query or fragment, default port and trailing slashes
 * dropped. HFHUB_ERROR_INVALID_ARGUMENT otherwise. */
gchar *
hfhub_identity_normalize_endpoint(const gchar *endpoint, GError **error);

/* 1–100 bytes of UTF-8 without control characters, no white space at
 * either end, not "HF_TOKEN" (the name of the environment's token). */
gboolean
hfhub_identity_validate_name(const gchar *name, GError **error);

/* STATE_DIR/identities.conf */
gchar *
hfhub_identity_index_path(const gchar *state_dir);

/* $XDG_STATE_HOME/hfhub: hfhubd's default state directory */
gchar *
hfhub_identity_default_state_dir(void);

/* element HfhubIdentityInfo, sorted by endpoint and name; empty when the
 * file does not exist. Malformed groups are skipped with a warning. */
GPtrArray *
hfhub_identity_index_load(const gchar *path, GError **error);

/* atomically, mode 0600 */
gboolean
hfhub_identity_index_save(const gchar *path, GPtrArray *infos, GError **error);

HfhubIdentityInfo *
hfhub_identity_index_find(GPtrArray *infos, const gchar *endpoint, const gchar *name);
HfhubIdentityInfo *
hfhub_identity_index_find_default(GPtrArray *infos, const gchar *endpoint);

/* By name, for the CLI's NAME arguments: @endpoint (normalized) narrows the
 * search when not NULL. HFHUB_ERROR_INVALID_ARGUMENT when there is none, or
 * when several endpoints have one of that name and @endpoint is NULL. */
HfhubIdentityInfo *
hfhub_identity_index_find_by_name(GPtrArray *infos, const gchar *name, const gchar *endpoint,
				  GError **error);

/* Makes @info the only default of its endpoint. */
void
hfhub_identity_index_set_default(GPtrArray *infos, HfhubIdentityInfo *info);

/* The token of @info from its storage (keyring or @state_dir's file); NULL
 * without error when it is not there. For the CLI tools: @allow_prompt lets
 * the keyring ask to be unlocked. */
HfhubToken *
hfhub_identity_read_token(const gchar *state_dir, const HfhubIdentityInfo *info,
			  gboolean allow_prompt, GCancellable *cancellable, GError **error);

G_END_DECLS
