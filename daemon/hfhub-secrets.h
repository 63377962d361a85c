/* Where tokens are kept: the Secret Service (libsecret), or a 0600 file.
 *
 * The only code that includes libsecret. Shared by hfhubd, `hfhub auth token`
 * and git-credential-hfhub, which read the keyring directly.
 *
 * Keyring items (one per token) use the schema "io.github.hfhub.Token":
 *   endpoint    the Hub's URL as hfhub_identity_normalize_endpoint() gives it,
 *               e.g. "https://huggingface.co"
 *   name        the identity's name, e.g. "alice"
 *   generation  "1": the format of the secret (the raw token, text/plain);
 *               bumped if it ever changes
 * in the default collection, labelled "Hugging Face token “NAME” (ENDPOINT)".
 * Attributes are stored unencrypted: they never hold anything secret.
 *
 * The fallback file (sessions without a Secret Service) holds one line per
 * token, "ENDPOINT<TAB>NAME<TAB>TOKEN", after a comment line; mode 0600 in a
 * 0700 directory, replaced atomically.
 *
 * Errors are HFHUB_ERROR: NO_KEYRING (no Secret Service, or no default
 * collection to store into), KEYRING_LOCKED (the item or the collection is
 * locked), CANCELLED, IO (the file), FAILED. Tokens are plain g_malloc()
 * strings that must be freed with hfhub_secrets_free(), which wipes them;
 * what libsecret hands out is copied and released with its own wiping free. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	HFHUB_SECRETS_STORAGE_KEYRING,
	HFHUB_SECRETS_STORAGE_FILE,
} HfhubSecretsStorage;

const gchar *
hfhub_secrets_storage_to_string(HfhubSecretsStorage storage);
gboolean
hfhub_secrets_storage_from_string(const gchar *nick, HfhubSecretsStorage *storage);

/* What a keyring store would meet now. */
typedef enum {
	HFHUB_SECRETS_KEYRING_UNLOCKED,
	HFHUB_SECRETS_KEYRING_LOCKED,
	HFHUB_SECRETS_KEYRING_NONE, /* no Secret Service, or no default collection */
} HfhubSecretsKeyringState;

const gchar *
hfhub_secrets_keyring_state_to_string(HfhubSecretsKeyringState state);

/* The token type: a NUL-terminated string, wiped when freed. */
typedef gchar HfhubToken;

void
hfhub_secrets_free(HfhubToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubToken, hfhub_secrets_free)

HfhubToken *
hfhub_secrets_dup(const gchar *token);

/* Wipes @len bytes at @data (not optimised away). */
void
hfhub_secrets_wipe(gpointer data, gsize len);

/* huggingface_hub's cleaning: "\r" and "\n" removed, white space trimmed.
 * Returns NULL when nothing is left. */
HfhubToken *
hfhub_secrets_clean(const gchar *raw, gsize len);

/* TRUE for something that can go into an Authorization header: printable
 * ASCII without spaces, at most 1 KiB. */
gboolean
hfhub_secrets_token_is_valid(const gchar *token);

/* ---- the Secret Service. Synchronous: for worker threads and the CLI. */

HfhubSecretsKeyringState
hfhub_secrets_keyring_state(GCancellable *cancellable);

gboolean
hfhub_secrets_keyring_store(const gchar *endpoint, const gchar *name, const gchar *token,
			    GCancellable *cancellable, GError **error);

/* NULL without error when there is no such item. @allow_prompt lets the
 * Secret Service ask the user to unlock a locked item (interactive tools
 * only; hfhubd never prompts). */
HfhubToken *
hfhub_secrets_keyring_lookup(const gchar *endpoint, const gchar *name, gboolean allow_prompt,
			     GCancellable *cancellable, GError **error);

/* TRUE also when there was nothing to delete */
gboolean
hfhub_secrets_keyring_clear(const gchar *endpoint, const gchar *name, GCancellable *cancellable,
			    GError **error);

/* ---- the fallback file */

/* @state_dir/tokens */
gchar *
hfhub_secrets_file_path(const gchar *state_dir);

gboolean
hfhub_secrets_file_store(const gchar *path, const gchar *endpoint, const gchar *name,
			 const gchar *token, GError **error);
/* NULL without error when the file or the line does not exist */
HfhubToken *
hfhub_secrets_file_lookup(const gchar *path, const gchar *endpoint, const gchar *name,
			  GError **error);
gboolean
hfhub_secrets_file_clear(const gchar *path, const gchar *endpoint, const gchar *name,
			 GError **error);

/* How to unlock the login keyring, for messages. */
const gchar *
hfhub_secrets_unlock_hint(void);

G_END_DECLS
