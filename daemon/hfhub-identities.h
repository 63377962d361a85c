/* HfhubIdentities: the daemon's Hub identities and the tokens they stand for.
 *
 * The metadata lives in the identity index (hfhub-identity-index.h), the
 * tokens in the Secret Service or, without one, in the 0600 fallback file
 * (hfhub-secrets.h). Every blocking step (the keyring, whoami-v2 over HTTP)
 * runs in a worker thread; the *_async functions return on the main context.
 *
 * Token lookups for requests never touch the keyring: the tokens are read
 * once at startup (hfhub_identities_load) and on login into an in-memory
 * cache (wiped on free), so hfhub_identities_dup_token() can answer on the
 * main thread at once. A token that could not be read (locked keyring,
 * Secret Service gone) fails with the matching error and starts a reload in
 * the background, so a later request finds it once the keyring is unlocked.
 *
 * Precedence for a request to an endpoint (first that applies):
 *   1. the identity the request names (a job's "identity" option);
 *   2. HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, in hfhubd's environment
 *      (huggingface_hub lets them win over stored tokens), for requests to
 *      the configured endpoint only;
 *   3. the endpoint's default identity, unless HF_HUB_DISABLE_IMPLICIT_TOKEN
 *      is true in hfhubd's environment;
 *   4. anonymous.
 *
 * Emits "changed" (on the main context) when identities are added, removed,
 * switched or their token becomes readable. */
#pragma once

#include <gio/gio.h>

#include "hfhub-config.h"
#include "hfhub-http.h"
#include "hfhub-identity-index.h"
#include "hfhub-secrets.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_IDENTITIES (hfhub_identities_get_type())
G_DECLARE_FINAL_TYPE(HfhubIdentities, hfhub_identities, HFHUB, IDENTITIES, GObject)

/* Takes HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) out of the process environment
 * so that nothing hfhubd spawns inherits it: call it at startup, before
 * threads. @config gives the default endpoint. */
HfhubIdentities *
hfhub_identities_new(const gchar *state_dir, HfhubConfig *config, HfhubHttp *http);

/* Reads the index and the tokens (synchronous: at startup, before the main
 * loop runs). A token that cannot be read is not an error here: its status
 * says why. */
void
hfhub_identities_load(HfhubIdentities *self);

/* The token for a request to @endpoint (NULL: the default endpoint) by the
 * precedence above; free with hfhub_secrets_free(). NULL without error means
 * anonymous. NULL with an error: HFHUB_ERROR_INVALID_ARGUMENT (no identity
 * @identity for the endpoint, or a bad endpoint), HFHUB_ERROR_KEYRING_LOCKED,
 * HFHUB_ERROR_NO_KEYRING or HFHUB_ERROR_INVALID_TOKEN (the keyring lost it).
 * Callable from any thread; never blocks on I/O. */
HfhubToken *
hfhub_identities_dup_token(HfhubIdentities *self, const gchar *identity, const gchar *endpoint,
			   GError **error);

/* The name of the identity hfhub_identities_dup_token() would use, NULL when
 * it would use HF_TOKEN or nothing. Fails like it for an unknown @identity. */
gchar *
hfhub_identities_dup_identity_name(HfhubIdentities *self, const gchar *identity,
				   const gchar *endpoint, GError **error);

/* "keyring", "keyring-locked" or "file": where a login would go now */
const gchar *
hfhub_identities_get_storage(HfhubIdentities *self);
/* HF_TOKEN was in the environment */
gboolean
hfhub_identities_has_environment_token(HfhubIdentities *self);

/* "available", "locked", "missing" or "no-keyring" */
const gchar *
hfhub_identities_token_status(HfhubIdentities *self, const HfhubIdentityInfo *info);

/* copies, sorted by endpoint and name; @endpoint (may be NULL) filters */
GPtrArray *
hfhub_identities_list(HfhubIdentities *self, const gchar *endpoint, GError **error);

/* Makes @name the default of its endpoint (@endpoint may be NULL when the
 * name is unique). Returns a copy of the identity. */
HfhubIdentityInfo *
hfhub_identities_switch_default(HfhubIdentities *self, const gchar *name, const gchar *endpoint,
				GError **error);

/* Reads the token from @fd (taken: it is closed), validates it with
 * whoami-v2 and stores it under @name (NULL: the user's name) for
 * @endpoint (NULL: the default). */
void
hfhub_identities_login_async(HfhubIdentities *self, gint fd, const gchar *name,
			     const gchar *endpoint, gboolean make_default,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data);
/* @warning (may be NULL) is set when the token went to the fallback file */
HfhubIdentityInfo *
hfhub_identities_login_finish(HfhubIdentities *self, GAsyncResult *res, gchar **warning,
			      GError **error);

/* @name NULL or "": the endpoint's default; @all: every identity (of
 * @endpoint when given). Returns the removed identities (HfhubIdentityInfo). */
void
hfhub_identities_logout_async(HfhubIdentities *self, const gchar *name, const gchar *endpoint,
			      gboolean all, GCancellable *cancellable, GAsyncReadyCallback callback,
			      gpointer user_data);
GPtrArray *
hfhub_identities_logout_finish(HfhubIdentities *self, GAsyncResult *res, GError **error);

typedef enum {
	HFHUB_IDENTITY_SOURCE_IDENTITY,
	HFHUB_IDENTITY_SOURCE_ENVIRONMENT,
} HfhubIdentitySource;

/* Who requests to @endpoint are made as. @refresh asks the Hub again and
 * updates the stored metadata; the environment's token is always asked. */
void
hfhub_identities_whoami_async(HfhubIdentities *self, const gchar *identity, const gchar *endpoint,
			      gboolean refresh, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data);
HfhubIdentityInfo *
hfhub_identities_whoami_finish(HfhubIdentities *self, GAsyncResult *res,
			       HfhubIdentitySource *source, gboolean *verified, GError **error);

G_END_DECLS
