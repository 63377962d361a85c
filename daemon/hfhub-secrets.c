#include "config.h"

#define G_LOG_DOMAIN "HfhubSecrets"

#include "hfhub-secrets.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>

#include "hfhub-error.h"

#define SCHEMA_NAME	  "io.github.hfhub.Token"
#define SCHEMA_GENERATION "1"
#define MAX_TOKEN_LEN	  1024
#define FILE_HEADER	  "# hfhub tokens (no Secret Service in this session): ENDPOINT\tNAME\tTOKEN\n"
#define FILE_MAX_SIZE	  (1024 * 1024)

/* for storing: libsecret adds xdg:schema to the item */
static const SecretSchema token_schema = {
	.name = SCHEMA_NAME,
	.flags = SECRET_SCHEMA_NONE,
	.attributes = {
		{ .name = "endpoint", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = "name", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = "generation", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = NULL },
	},
};

/* for searching: gnome-keyring keeps xdg:schema in the encrypted part of a
 * locked keyring, so a search by schema name finds nothing there and a
 * locked token would look like no token at all */
static const SecretSchema search_schema = {
	.name = SCHEMA_NAME,
	.flags = SECRET_SCHEMA_DONT_MATCH_NAME,
	.attributes = {
		{ .name = "endpoint", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = "name", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = "generation", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = NULL },
	},
};

const gchar *
hfhub_secrets_storage_to_string(HfhubSecretsStorage storage)
{
	return storage == HFHUB_SECRETS_STORAGE_FILE ? "file" : "keyring";
}

gboolean
hfhub_secrets_storage_from_string(const gchar *nick, HfhubSecretsStorage *storage)
{
	if (g_strcmp0(nick, "keyring") == 0)
		*storage = HFHUB_SECRETS_STORAGE_KEYRING;
	else if (g_strcmp0(nick, "file") == 0)
		*storage = HFHUB_SECRETS_STORAGE_FILE;
	else
		return FALSE;
	return TRUE;
}

const gchar *
hfhub_secrets_keyring_state_to_string(HfhubSecretsKeyringState state)
{
	switch (state) {
	case HFHUB_SECRETS_KEYRING_UNLOCKED:
		return "keyring";
	case HFHUB_SECRETS_KEYRING_LOCKED:
		return "keyring-locked";
	case HFHUB_SECRETS_KEYRING_NONE:
	default:
		return "file";
	}
}

const gchar *
hfhub_secrets_unlock_hint(void)
{
	return "unlock it: a desktop session unlocks the login keyring when you log in, "
	       "Seahorse (“Passwords and Keys”) unlocks it on request, and without a desktop "
	       "“gnome-keyring-daemon --replace --unlock” does, reading the password on stdin";
}

/* ---- tokens in memory */

void
hfhub_secrets_wipe(gpointer data, gsize len)
{
	volatile guchar *p = data;

	/* volatile: the stores must happen although the memory is freed next */
	while (data != NULL && len-- > 0)
		*p++ = 0;
}

void
hfhub_secrets_free(HfhubToken *token)
{
	if (token == NULL)
		return;
	hfhub_secrets_wipe(token, strlen(token));
	g_free(token);
}

HfhubToken *
hfhub_secrets_dup(const gchar *token)
{
	return g_strdup(token);
}

HfhubToken *
hfhub_secrets_clean(const gchar *raw, gsize len)
{
	gchar *out = g_malloc(len + 1);
	gsize n = 0;
	gsize start = 0;

	for (gsize i = 0; i < len && raw[i] != '\0'; i++) {
		if (raw[i] != '\r' && raw[i] != '\n')
			out[n++] = raw[i];
	}
	while (n > 0 && g_ascii_isspace(out[n - 1]))
		n--;
	while (start < n && g_ascii_isspace(out[start]))
		start++;
	if (start > 0) {
		memmove(out, out + start, n - start);
		hfhub_secrets_wipe(out + n - start, start);
		n -= start;
	}
	out[n] = '\0';
	if (n == 0) {
		g_free(out);
		return NULL;
	}
	return out;
}

gboolean
hfhub_secrets_token_is_valid(const gchar *token)
{
	gsize len = token != NULL ? strlen(token) : 0;

	if (len == 0 || len > MAX_TOKEN_LEN)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (token[i] <= ' ' || token[i] > '~')
			return FALSE;
	}
	return TRUE;
}

/* ---- the Secret Service */

/* libsecret and GDBus errors → HFHUB_ERROR. No Secret Service on the bus,
 * no bus at all, or no default collection all mean "no keyring": the caller
 * may fall back to the file; a locked collection never does. */
static void
convert_error(GError **error)
{
	GError *e = *error;

	if (e->domain == HFHUB_ERROR)
		return;
	g_dbus_error_strip_remote_error(e);
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		e->code = HFHUB_ERROR_CANCELLED;
	} else if (g_error_matches(e, SECRET_ERROR, SECRET_ERROR_IS_LOCKED)) {
		g_free(e->message);
		e->message =
			g_strdup_printf("the keyring is locked; %s", hfhub_secrets_unlock_hint());
		e->code = HFHUB_ERROR_KEYRING_LOCKED;
	} else if (e->domain == G_DBUS_ERROR || e->domain == G_IO_ERROR ||
		   g_error_matches(e, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT)) {
		g_prefix_error(error, "no Secret Service keyring in this session: ");
		e->code = HFHUB_ERROR_NO_KEYRING;
	} else {
		g_prefix_error(error, "Secret Service: ");
		e->code = HFHUB_ERROR_FAILED;
	}
	e->domain = HFHUB_ERROR;
}

static GHashTable *
attributes_for(const gchar *endpoint, const gchar *name)
{
	GHashTable *attrs = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_insert(attrs, "endpoint", (gpointer)endpoint);
	g_hash_table_insert(attrs, "name", (gpointer)name);
	g_hash_table_insert(attrs, "generation", SCHEMA_GENERATION);
	return attrs;
}

HfhubSecretsKeyringState
hfhub_secrets_keyring_state(GCancellable *cancellable)
{
	g_autoptr(SecretService) service = NULL;
	g_autoptr(SecretCollection) collection = NULL;
	g_autoptr(GError) error = NULL;

	service = secret_service_get_sync(SECRET_SERVICE_NONE, cancellable, &error);
	if (service == NULL) {
		g_debug("no Secret Service: %s", error->message);
		return HFHUB_SECRETS_KEYRING_NONE;
	}
	collection = secret_collection_for_alias_sync(service, SECRET_COLLECTION_DEFAULT,
						      SECRET_COLLECTION_NONE, cancellable, &error);
	if (collection == NULL) {
		g_debug("no default collection: %s", error != NULL ? error->message : "no alias");
		return HFHUB_SECRETS_KEYRING_NONE;
	}
	return secret_collection_get_locked(collection) ? HFHUB_SECRETS_KEYRING_LOCKED
							: HFHUB_SECRETS_KEYRING_UNLOCKED;
}

gboolean
hfhub_secrets_keyring_store(const gchar *endpoint, const gchar *name, const gchar *token,
			    GCancellable *cancellable, GError **error)
{
	g_autoptr(GHashTable) attrs = attributes_for(endpoint, name);
	g_autofree gchar *label = g_strdup_printf("Hugging Face token “%s” (%s)", name, endpoint);

	g_return_val_if_fail(hfhub_secrets_token_is_valid(token), FALSE);
	if (!secret_password_storev_sync(&token_schema, attrs, SECRET_COLLECTION_DEFAULT, label,
					 token, cancellable, error)) {
		convert_error(error);
		return FALSE;
	}
	return TRUE;
}

static void
item_list_free(GList *items)
{
	g_list_free_full(items, g_object_unref);
}

typedef GList ItemList;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ItemList, item_list_free)

static HfhubToken *
token_of_item(SecretItem *item)
{
	SecretValue *value = secret_item_get_secret(item);
	const gchar *data;
	gsize len = 0;
	HfhubToken *token = NULL;

	if (value == NULL)
		return NULL;
	data = secret_value_get(value, &len);
	if (data != NULL && len > 0)
		token = hfhub_secrets_clean(data, len);
	secret_value_unref(value);
	return token;
}

HfhubToken *
hfhub_secrets_keyring_lookup(const gchar *endpoint, const gchar *name, gboolean allow_prompt,
			     GCancellable *cancellable, GError **error)
{
	g_autoptr(GHashTable) attrs = attributes_for(endpoint, name);
	g_autoptr(ItemList) items = NULL;
	SecretSearchFlags flags = SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS;
	gboolean locked = FALSE;
	GError *error_local = NULL;

	if (allow_prompt)
		flags |= SECRET_SEARCH_UNLOCK;
	items = secret_service_search_sync(NULL, &search_schema, attrs, flags, cancellable,
					   &error_local);
	if (error_local != NULL) {
		convert_error(&error_local);
		g_propagate_error(error, error_local);
		return NULL;
	}
	for (GList *l = items; l != NULL; l = l->next) {
		SecretItem *item = l->data;
		HfhubToken *token;

		if (secret_item_get_locked(item)) {
			locked = TRUE;
			continue;
		}
		token = token_of_item(item);
		if (token != NULL)
			return token;
	}
	if (locked) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED,
			    "the keyring holding the token “%s” for %s is locked; %s", name,
			    endpoint, hfhub_secrets_unlock_hint());
	}
	return NULL;
}

gboolean
hfhub_secrets_keyring_clear(const gchar *endpoint, const gchar *name, GCancellable *cancellable,
			    GError **error)
{
	g_autoptr(GHashTable) attrs = attributes_for(endpoint, name);
	g_autoptr(ItemList) items = NULL;
	GError *error_local = NULL;

	items = secret_service_search_sync(NULL, &search_schema, attrs, SECRET_SEARCH_ALL,
					   cancellable, &error_local);
	if (error_local != NULL) {
		convert_error(&error_local);
		g_propagate_error(error, error_local);
		return FALSE;
	}
	for (GList *l = items; l != NULL; l = l->next) {
		if (secret_item_get_locked(l->data)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED,
				    "the keyring holding the token “%s” for %s is locked, so it "
				    "cannot be deleted; %s",
				    name, endpoint, hfhub_secrets_unlock_hint());
			return FALSE;
		}
		if (!secret_item_delete_sync(l->data, cancellable, error)) {
			convert_error(error);
			return FALSE;
		}
	}
	return TRUE;
}

/* ---- the fallback file */

gchar *
hfhub_secrets_file_path(const gchar *state_dir)
{
	return g_build_filename(state_dir, "tokens", NULL);
}

typedef struct {
	gchar *endpoint;
	gchar *name;
	HfhubToken *token;
} FileLine;

static void
file_line_free(FileLine *line)
{
	g_free(line->endpoint);
	g_free(line->name);
	hfhub_secrets_free(line->token);
	g_free(line);
}

static gboolean
field_is_safe(const gchar *s)
{
	return s != NULL && *s != '\0' && strpbrk(s, "\t\r\n") == NULL;
}

/* element FileLine; an empty array when the file does not exist */
static GPtrArray *
file_read(const gchar *path, GError **error)
{
	g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func((GDestroyNotify)file_line_free);
	g_autoptr(GError) error_local = NULL;
	gchar *contents = NULL;
	gsize len = 0;
	gchar *p;

	if (!g_file_get_contents(path, &contents, &len, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&lines);
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "%s", error_local->message);
		return NULL;
	}
	p = contents;
	while (p < contents + len) {
		gchar *eol = memchr(p, '\n', contents + len - p);
		gchar **fields;

		if (eol == NULL)
			eol = contents + len;
		*eol = '\0';
		if (*p != '#' && *p != '\0') {
			fields = g_strsplit(p, "\t", 3);
			if (g_strv_length(fields) == 3) {
				FileLine *line = g_new0(FileLine, 1);
				line->endpoint = g_strdup(fields[0]);
				line->name = g_strdup(fields[1]);
				line->token = hfhub_secrets_clean(fields[2], strlen(fields[2]));
				hfhub_secrets_wipe(fields[2], strlen(fields[2]));
				if (line->token != NULL)
					g_ptr_array_add(lines, line);
				else
					file_line_free(line);
			}
			g_strfreev(fields);
		}
		p = eol + 1;
	}
	hfhub_secrets_wipe(contents, len);
	g_free(contents);
	return g_steal_pointer(&lines);
}

static gboolean
file_write(const gchar *path, GPtrArray *lines, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	GString *out;
	gboolean ok;
	g_autoptr(GError) error_local = NULL;

	if (lines->len == 0) {
		if (g_unlink(path) != 0 && errno != ENOENT) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot remove %s: %s",
				    path, g_strerror(errno));
			return FALSE;
		}
		return TRUE;
	}
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot create %s: %s", dir,
			    g_strerror(errno));
		return FALSE;
	}
	out = g_string_new(FILE_HEADER);
	for (guint i = 0; i < lines->len; i++) {
		FileLine *line = g_ptr_array_index(lines, i);
		g_string_append_printf(out, "%s\t%s\t%s\n", line->endpoint, line->name,
				       line->token);
	}
	/* a new file with mode 0600, renamed over the old one */
	ok = g_file_set_contents_full(path, out->str, (gssize)out->len,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error_local);
	hfhub_secrets_wipe(out->str, out->len);
	g_string_free(out, TRUE);
	if (!ok) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "%s", error_local->message);
		return FALSE;
	}
	return TRUE;
}

static gint
file_find(GPtrArray *lines, const gchar *endpoint, const gchar *name)
{
	for (guint i = 0; i < lines->len; i++) {
		FileLine *line = g_ptr_array_index(lines, i);
		if (g_str_equal(line->endpoint, endpoint) && g_str_equal(line->name, name))
			return (gint)i;
	}
	return -1;
}

gboolean
hfhub_secrets_file_store(const gchar *path, const gchar *endpoint, const gchar *name,
			 const gchar *token, GError **error)
{
	g_autoptr(GPtrArray) lines = NULL;
	FileLine *line;
	gint i;

	if (!field_is_safe(endpoint) || !field_is_safe(name) ||
	    !hfhub_secrets_token_is_valid(token)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "an endpoint, name or token that cannot be stored");
		return FALSE;
	}
	lines = file_read(path, error);
	if (lines == NULL)
		return FALSE;
	i = file_find(lines, endpoint, name);
	if (i >= 0)
		g_ptr_array_remove_index(lines, (guint)i);
	line = g_new0(FileLine, 1);
	line->endpoint = g_strdup(endpoint);
	line->name = g_strdup(name);
	line->token = hfhub_secrets_dup(token);
	g_ptr_array_add(lines, line);
	return file_write(path, lines, error);
}

HfhubToken *
hfhub_secrets_file_lookup(const gchar *path, const gchar *endpoint, const gchar *name,
			  GError **error)
{
	g_autoptr(GPtrArray) lines = file_read(path, error);
	gint i;

	if (lines == NULL)
		return NULL;
	i = file_find(lines, endpoint, name);
	if (i < 0)
		return NULL;
	return hfhub_secrets_dup(((FileLine *)g_ptr_array_index(lines, (guint)i))->token);
}

gboolean
hfhub_secrets_file_clear(const gchar *path, const gchar *endpoint, const gchar *name,
			 GError **error)
{
	g_autoptr(GPtrArray) lines = file_read(path, error);
	gint i;

	if (lines == NULL)
		return FALSE;
	i = file_find(lines, endpoint, name);
	if (i < 0)
		return TRUE;
	g_ptr_array_remove_index(lines, (guint)i);
	return file_write(path, lines, error);
}
