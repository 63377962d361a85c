#include "config.h"

#define G_LOG_DOMAIN "HfhubIdentities"

#include "hfhub-identities.h"

#include <errno.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-error.h"

/* a token is far shorter; a larger input is not one */
#define MAX_TOKEN_INPUT 4096
/* the CLI writes the token before it calls Login: a writer that never
 * closes its end must not hold a worker thread for long */
#define READ_TIMEOUT_S 10

typedef enum {
	SLOT_AVAILABLE,
	SLOT_LOCKED,
	SLOT_MISSING,
	SLOT_NO_KEYRING,
} SlotStatus;

typedef struct {
	HfhubToken *token; /* NULL unless SLOT_AVAILABLE */
	SlotStatus status;
} Slot;

struct _HfhubIdentities {
	GObject parent_instance;
	gchar *state_dir;
	gchar *index_path;
	gchar *file_path;
	HfhubConfig *config;
	HfhubHttp *http;
	HfhubToken *env_token;
	gboolean implicit_disabled;

	/* what worker threads and the main thread share */
	GMutex lock;
	GPtrArray *infos;  /* HfhubIdentityInfo */
	GHashTable *slots; /* "endpoint\nname" → Slot* */
	HfhubSecretsKeyringState keyring_state;
	gboolean reloading; /* a background reload is on its way */
};

G_DEFINE_FINAL_TYPE(HfhubIdentities, hfhub_identities, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

static void
slot_free(Slot *slot)
{
	hfhub_secrets_free(slot->token);
	g_free(slot);
}

static gchar *
slot_key(const gchar *endpoint, const gchar *name)
{
	return g_strconcat(endpoint, "\n", name, NULL);
}

static void
hfhub_identities_finalize(GObject *object)
{
	HfhubIdentities *self = HFHUB_IDENTITIES(object);

	g_clear_pointer(&self->slots, g_hash_table_unref);
	g_clear_pointer(&self->infos, g_ptr_array_unref);
	g_clear_pointer(&self->env_token, hfhub_secrets_free);
	g_clear_object(&self->http);
	g_clear_object(&self->config);
	g_free(self->state_dir);
	g_free(self->index_path);
	g_free(self->file_path);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(hfhub_identities_parent_class)->finalize(object);
}

static void
hfhub_identities_class_init(HfhubIdentitiesClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hfhub_identities_finalize;

	signals[SIGNAL_CHANGED] =
		g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 0);
}

static void
hfhub_identities_init(HfhubIdentities *self)
{
	g_mutex_init(&self->lock);
	self->infos = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	self->slots =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)slot_free);
	self->keyring_state = HFHUB_SECRETS_KEYRING_NONE;
}

/* the environment's token, taken out of the environment */
static HfhubToken *
take_environment_token(void)
{
	static const gchar *const names[] = { "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" };
	HfhubToken *token = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		const gchar *value = g_getenv(names[i]);

		if (token == NULL && value != NULL)
			token = hfhub_secrets_clean(value, strlen(value));
		if (value != NULL) {
			/* wipe the bytes in environ, then drop the variable */
			hfhub_secrets_wipe((gpointer)value, strlen(value));
			g_unsetenv(names[i]);
		}
	}
	if (token != NULL && !hfhub_secrets_token_is_valid(token)) {
		g_warning("HF_TOKEN in the environment is not a valid token and is ignored");
		g_clear_pointer(&token, hfhub_secrets_free);
	}
	return token;
}

static gboolean
env_is_true(const gchar *name)
{
	static const gchar *const yes[] = { "1", "on", "yes", "true" };
	const gchar *value = g_getenv(name);

	for (guint i = 0; value != NULL && i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(value, yes[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

HfhubIdentities *
hfhub_identities_new(const gchar *state_dir, HfhubConfig *config, HfhubHttp *http)
{
	HfhubIdentities *self = g_object_new(HFHUB_TYPE_IDENTITIES, NULL);

	self->state_dir = g_strdup(state_dir);
	self->index_path = hfhub_identity_index_path(state_dir);
	self->file_path = hfhub_secrets_file_path(state_dir);
	self->config = g_object_ref(config);
	self->http = g_object_ref(http);
	self->env_token = take_environment_token();
	self->implicit_disabled = env_is_true("HF_HUB_DISABLE_IMPLICIT_TOKEN");
	if (self->env_token != NULL)
		g_message("HF_TOKEN is set: it is used instead of the default identities");
	return self;
}

static void
emit_changed(HfhubIdentities *self)
{
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

static gboolean
emit_changed_cb(gpointer user_data)
{
	emit_changed(HFHUB_IDENTITIES(user_data));
	return G_SOURCE_REMOVE;
}

/* from worker threads: "changed" goes out on the main context */
static void
emit_changed_later(HfhubIdentities *self)
{
	g_idle_add_full(G_PRIORITY_DEFAULT, emit_changed_cb, g_object_ref(self), g_object_unref);
}

/* ---- the token cache */

static const gchar *
slot_status_to_string(SlotStatus status)
{
	switch (status) {
	case SLOT_AVAILABLE:
		return "available";
	case SLOT_LOCKED:
		return "locked";
	case SLOT_NO_KEYRING:
		return "no-keyring";
	case SLOT_MISSING:
	default:
		return "missing";
	}
}

/* Reads the token of @info from its storage (blocking). */
static Slot *
read_slot(HfhubIdentities *self, const HfhubIdentityInfo *info)
{
	Slot *slot = g_new0(Slot, 1);
	g_autoptr(GError) error = NULL;

	slot->token = hfhub_identity_read_token(self->state_dir, info, FALSE, NULL, &error);
	if (slot->token != NULL)
		slot->status = SLOT_AVAILABLE;
	else if (g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED))
		slot->status = SLOT_LOCKED;
	else if (g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_NO_KEYRING))
		slot->status = SLOT_NO_KEYRING;
	else
		slot->status = SLOT_MISSING;
	if (error != NULL && slot->status == SLOT_MISSING)
		g_warning("identity “%s” (%s): %s", info->name, info->endpoint, error->message);
	g_debug("identity “%s” (%s, %s): token %s", info->name, info->endpoint,
		hfhub_secrets_storage_to_string(info->storage),
		slot_status_to_string(slot->status));
	return slot;
}

/* under the lock */
static void
set_slot(HfhubIdentities *self, const HfhubIdentityInfo *info, Slot *slot)
{
	g_hash_table_replace(self->slots, slot_key(info->endpoint, info->name), slot);
}

static GPtrArray *
copy_infos(GPtrArray *infos)
{
	GPtrArray *copy = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);

	for (guint i = 0; i < infos->len; i++)
		g_ptr_array_add(copy, hfhub_identity_info_copy(g_ptr_array_index(infos, i)));
	return copy;
}

void
hfhub_identities_load(HfhubIdentities *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) infos = hfhub_identity_index_load(self->index_path, &error);
	HfhubSecretsKeyringState state = hfhub_secrets_keyring_state(NULL);

	if (infos == NULL) {
		g_warning("identities: %s", error->message);
		infos = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	}
	g_mutex_lock(&self->lock);
	g_ptr_array_unref(self->infos);
	self->infos = g_steal_pointer(&infos);
	g_hash_table_remove_all(self->slots);
	for (guint i = 0; i < self->infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(self->infos, i);
		set_slot(self, info, read_slot(self, info));
	}
	self->keyring_state = state;
	g_mutex_unlock(&self->lock);
	g_debug("%u identities; new tokens go to the %s", self->infos->len,
		hfhub_secrets_keyring_state_to_string(state));
}

static void
reload_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HfhubIdentities *self = HFHUB_IDENTITIES(source);
	g_autoptr(GPtrArray) infos = NULL;
	gboolean changed = FALSE;
	HfhubSecretsKeyringState state = hfhub_secrets_keyring_state(NULL);

	g_mutex_lock(&self->lock);
	infos = copy_infos(self->infos);
	g_mutex_unlock(&self->lock);
	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(infos, i);
		g_autofree gchar *key = slot_key(info->endpoint, info->name);
		Slot *slot;

		g_mutex_lock(&self->lock);
		slot = g_hash_table_lookup(self->slots, key);
		if (slot != NULL && slot->status == SLOT_AVAILABLE) {
			g_mutex_unlock(&self->lock);
			continue;
		}
		g_mutex_unlock(&self->lock);
		slot = read_slot(self, info);
		g_mutex_lock(&self->lock);
		/* only if it is still there: a logout may have come in between */
		if (hfhub_identity_index_find(self->infos, info->endpoint, info->name) != NULL) {
			changed |= slot->status == SLOT_AVAILABLE;
			set_slot(self, info, slot);
		} else {
			slot_free(slot);
		}
		g_mutex_unlock(&self->lock);
	}
	g_mutex_lock(&self->lock);
	changed |= state != self->keyring_state;
	self->keyring_state = state;
	self->reloading = FALSE;
	g_mutex_unlock(&self->lock);
	g_task_return_boolean(task, changed);
}

static void
reload_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	if (g_task_propagate_boolean(G_TASK(res), NULL))
		emit_changed(HFHUB_IDENTITIES(source));
}

static gboolean
start_reload_cb(gpointer user_data)
{
	HfhubIdentities *self = HFHUB_IDENTITIES(user_data);
	g_autoptr(GTask) task = g_task_new(self, NULL, reload_done_cb, NULL);

	g_task_set_source_tag(task, start_reload_cb);
	g_task_run_in_thread(task, reload_thread);
	return G_SOURCE_REMOVE;
}

/* under the lock: tokens that could not be read are tried again in the
 * background, so that unlocking the keyring is enough */
static void
schedule_reload(HfhubIdentities *self)
{
	if (self->reloading)
		return;
	self->reloading = TRUE;
	g_idle_add_full(G_PRIORITY_DEFAULT, start_reload_cb, g_object_ref(self), g_object_unref);
}

/* under the lock */
static HfhubToken *
slot_dup_token(HfhubIdentities *self, const HfhubIdentityInfo *info, GError **error)
{
	g_autofree gchar *key = slot_key(info->endpoint, info->name);
	Slot *slot = g_hash_table_lookup(self->slots, key);
	SlotStatus status = slot != NULL ? slot->status : SLOT_MISSING;

	if (status == SLOT_AVAILABLE)
		return hfhub_secrets_dup(slot->token);
	schedule_reload(self);
	switch (status) {
	case SLOT_LOCKED:
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED,
			    "the keyring holding the token of identity “%s” (%s) is locked; %s",
			    info->name, info->endpoint, hfhub_secrets_unlock_hint());
		break;
	case SLOT_NO_KEYRING:
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_NO_KEYRING,
			    "the token of identity “%s” (%s) is in the Secret Service, which this "
			    "session does not have now",
			    info->name, info->endpoint);
		break;
	case SLOT_MISSING:
	default:
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN,
			    "the token of identity “%s” (%s) is no longer in the %s; log in "
			    "again with “hfhub auth login --name %s”",
			    info->name, info->endpoint,
			    info->storage == HFHUB_SECRETS_STORAGE_FILE ? "token file" : "keyring",
			    info->name);
		break;
	}
	return NULL;
}

const gchar *
hfhub_identities_token_status(HfhubIdentities *self, const HfhubIdentityInfo *info)
{
	g_autofree gchar *key = slot_key(info->endpoint, info->name);
	Slot *slot;
	const gchar *nick;

	g_mutex_lock(&self->lock);
	slot = g_hash_table_lookup(self->slots, key);
	nick = slot_status_to_string(slot != NULL ? slot->status : SLOT_MISSING);
	g_mutex_unlock(&self->lock);
	return nick;
}

/* ---- which token a request uses */

static gchar *
endpoint_or_default(HfhubIdentities *self, const gchar *endpoint, GError **error)
{
	if (endpoint == NULL || *endpoint == '\0')
		endpoint = hfhub_config_get_endpoint(self->config);
	return hfhub_identity_normalize_endpoint(endpoint, error);
}

/* HF_TOKEN is meant for the Hub hfhubd is configured for (HF_ENDPOINT or
 * the config): a request naming another endpoint does not get it, or any
 * client could send it anywhere by asking for a download from there. */
static gboolean
is_configured_endpoint(HfhubIdentities *self, const gchar *endpoint)
{
	g_autofree gchar *configured =
		hfhub_identity_normalize_endpoint(hfhub_config_get_endpoint(self->config), NULL);

	return g_strcmp0(configured, endpoint) == 0;
}

/* under the lock; @identity NULL or "" means none was asked for.
 * *use_env is set when the environment's token wins. */
static HfhubIdentityInfo *
resolve(HfhubIdentities *self, const gchar *identity, const gchar *endpoint, gboolean *use_env,
	GError **error)
{
	HfhubIdentityInfo *info;

	*use_env = FALSE;
	if (identity != NULL && *identity != '\0') {
		info = hfhub_identity_index_find(self->infos, endpoint, identity);
		if (info == NULL)
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "there is no identity “%s” for %s (see “hfhub auth list”)",
				    identity, endpoint);
		return info;
	}
	if (self->env_token != NULL && is_configured_endpoint(self, endpoint)) {
		*use_env = TRUE;
		return NULL;
	}
	if (self->implicit_disabled)
		return NULL;
	return hfhub_identity_index_find_default(self->infos, endpoint);
}

HfhubToken *
hfhub_identities_dup_token(HfhubIdentities *self, const gchar *identity, const gchar *endpoint,
			   GError **error)
{
	g_autofree gchar *ep = endpoint_or_default(self, endpoint, error);
	HfhubIdentityInfo *info;
	HfhubToken *token = NULL;
	GError *error_local = NULL;
	gboolean use_env;

	if (ep == NULL)
		return NULL;
	g_mutex_lock(&self->lock);
	info = resolve(self, identity, ep, &use_env, &error_local);
	if (use_env)
		token = hfhub_secrets_dup(self->env_token);
	else if (info != NULL)
		token = slot_dup_token(self, info, &error_local);
	g_mutex_unlock(&self->lock);
	if (error_local != NULL)
		g_propagate_error(error, error_local);
	return token;
}

gchar *
hfhub_identities_dup_identity_name(HfhubIdentities *self, const gchar *identity,
				   const gchar *endpoint, GError **error)
{
	g_autofree gchar *ep = endpoint_or_default(self, endpoint, error);
	HfhubIdentityInfo *info;
	gchar *name = NULL;
	GError *error_local = NULL;
	gboolean use_env;

	if (ep == NULL)
		return NULL;
	g_mutex_lock(&self->lock);
	info = resolve(self, identity, ep, &use_env, &error_local);
	if (info != NULL)
		name = g_strdup(info->name);
	g_mutex_unlock(&self->lock);
	if (error_local != NULL)
		g_propagate_error(error, error_local);
	return name;
}

const gchar *
hfhub_identities_get_storage(HfhubIdentities *self)
{
	HfhubSecretsKeyringState state;

	g_mutex_lock(&self->lock);
	state = self->keyring_state;
	g_mutex_unlock(&self->lock);
	return hfhub_secrets_keyring_state_to_string(state);
}

gboolean
hfhub_identities_has_environment_token(HfhubIdentities *self)
{
	return self->env_token != NULL;
}

GPtrArray *
hfhub_identities_list(HfhubIdentities *self, const gchar *endpoint, GError **error)
{
	g_autofree gchar *ep = NULL;
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);

	if (endpoint != NULL && *endpoint != '\0') {
		ep = hfhub_identity_normalize_endpoint(endpoint, error);
		if (ep == NULL) {
			g_ptr_array_unref(out);
			return NULL;
		}
	}
	g_mutex_lock(&self->lock);
	for (guint i = 0; i < self->infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(self->infos, i);
		if (ep == NULL || g_str_equal(info->endpoint, ep))
			g_ptr_array_add(out, hfhub_identity_info_copy(info));
	}
	g_mutex_unlock(&self->lock);
	return out;
}

HfhubIdentityInfo *
hfhub_identities_switch_default(HfhubIdentities *self, const gchar *name, const gchar *endpoint,
				GError **error)
{
	g_autofree gchar *ep = NULL;
	HfhubIdentityInfo *info;
	HfhubIdentityInfo *copy = NULL;
	g_autoptr(GPtrArray) saved = NULL;

	if (endpoint != NULL && *endpoint != '\0') {
		ep = hfhub_identity_normalize_endpoint(endpoint, error);
		if (ep == NULL)
			return NULL;
	}
	g_mutex_lock(&self->lock);
	info = hfhub_identity_index_find_by_name(self->infos, name, ep, error);
	if (info != NULL) {
		saved = copy_infos(self->infos);
		hfhub_identity_index_set_default(self->infos, info);
		copy = hfhub_identity_info_copy(info);
		if (!hfhub_identity_index_save(self->index_path, self->infos, error)) {
			g_ptr_array_unref(self->infos);
			self->infos = g_steal_pointer(&saved);
			g_clear_pointer(&copy, hfhub_identity_info_free);
		}
	}
	g_mutex_unlock(&self->lock);
	if (copy != NULL) {
		g_message("identity “%s” is now the default for %s", copy->name, copy->endpoint);
		emit_changed(self);
	}
	return copy;
}

/* ---- whoami-v2 */

static const gchar *
member_string(JsonObject *object, const gchar *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;

	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static JsonObject *
member_object(JsonObject *object, const gchar *name)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, name) : NULL;

	return node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

/* what the Hub says about a token: the user, orgs, the token's role */
static HfhubIdentityInfo *
parse_whoami(GBytes *body, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(HfhubIdentityInfo) info = hfhub_identity_info_new();
	g_autoptr(GPtrArray) orgs = g_ptr_array_new_with_free_func(g_free);
	JsonNode *root;
	JsonObject *object;
	JsonObject *token;
	JsonNode *orgs_node;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(body, &len);

	if (!json_parser_load_from_data(parser, data, (gssize)len, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "whoami-v2: the answer is not a JSON object");
		return NULL;
	}
	object = json_node_get_object(root);
	if (member_string(object, "name") == NULL || *member_string(object, "name") == '\0') {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "whoami-v2: the answer has no name");
		return NULL;
	}
	info->user = g_strdup(member_string(object, "name"));
	info->fullname = g_strdup(member_string(object, "fullname"));
	orgs_node = json_object_get_member(object, "orgs");
	if (orgs_node != NULL && JSON_NODE_HOLDS_ARRAY(orgs_node)) {
		JsonArray *array = json_node_get_array(orgs_node);
		for (guint i = 0; i < json_array_get_length(array); i++) {
			JsonNode *org = json_array_get_element(array, i);
			const gchar *name =
				JSON_NODE_HOLDS_OBJECT(org)
					? member_string(json_node_get_object(org), "name")
					: NULL;
			if (name != NULL)
				g_ptr_array_add(orgs, g_strdup(name));
		}
	}
	g_ptr_array_add(orgs, NULL);
	info->orgs = (gchar **)g_ptr_array_steal(orgs, NULL);
	token = member_object(member_object(object, "auth"), "accessToken");
	info->role = g_strdup(member_string(token, "role"));
	info->token_name = g_strdup(member_string(token, "displayName"));
	return g_steal_pointer(&info);
}

/* blocking: for worker threads */
static HfhubIdentityInfo *
fetch_whoami(HfhubIdentities *self, const gchar *endpoint, const gchar *token,
	     GCancellable *cancellable, GError **error)
{
	HfhubHttpTarget target = { .endpoint = endpoint, .token = token };
	g_autofree gchar *url = g_strconcat(endpoint, "/api/whoami-v2", NULL);
	g_autoptr(GBytes) body = NULL;
	GError *error_local = NULL;

	body = hfhub_http_fetch(self->http, &target, "GET", url, NULL, NULL, NULL, cancellable,
				&error_local);
	if (body == NULL) {
		if (g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN) ||
		    g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN,
				    "the Hub at %s rejected the token: it is invalid, expired or "
				    "revoked",
				    endpoint);
			g_error_free(error_local);
			return NULL;
		}
		g_prefix_error(&error_local, "cannot ask %s who the token belongs to: ", endpoint);
		g_propagate_error(error, error_local);
		return NULL;
	}
	return parse_whoami(body, error);
}

/* ---- login */

typedef struct {
	gint fd;
	gchar *name;
	gchar *endpoint;
	gboolean make_default;
	gchar *warning;
} LoginData;

static void
login_data_free(LoginData *data)
{
	if (data->fd >= 0)
		close(data->fd);
	g_free(data->name);
	g_free(data->endpoint);
	g_free(data->warning);
	g_free(data);
}

/* everything up to EOF, at most MAX_TOKEN_INPUT bytes; closes @fd */
static HfhubToken *
read_token_fd(gint fd, GError **error)
{
	gchar *buf = g_malloc0(MAX_TOKEN_INPUT + 1);
	gsize n = 0;
	gint64 deadline = g_get_monotonic_time() + READ_TIMEOUT_S * G_USEC_PER_SEC;
	HfhubToken *token = NULL;

	if (!g_unix_set_fd_nonblocking(fd, TRUE, NULL))
		g_debug("token fd: cannot make it non-blocking");
	for (;;) {
		GPollFD pfd = { .fd = fd, .events = G_IO_IN | G_IO_HUP | G_IO_ERR };
		gint64 left = deadline - g_get_monotonic_time();
		gssize got;

		if (left <= 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "the token's file descriptor was not closed within %d s",
				    READ_TIMEOUT_S);
			goto out;
		}
		if (g_poll(&pfd, 1, (gint)(left / 1000) + 1) < 0 && errno != EINTR) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read the token: %s",
				    g_strerror(errno));
			goto out;
		}
		got = read(fd, buf + n, MAX_TOKEN_INPUT + 1 - n);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "cannot read the token: %s", g_strerror(errno));
			goto out;
		}
		n += (gsize)got;
		if (n > MAX_TOKEN_INPUT) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "what was given as a token is longer than %d bytes",
				    MAX_TOKEN_INPUT);
			goto out;
		}
	}
	token = hfhub_secrets_clean(buf, n);
	if (token == NULL)
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "no token was given");
	else if (!hfhub_secrets_token_is_valid(token)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN,
				    "what was given is not a token: a token is printable ASCII "
				    "without spaces");
		g_clear_pointer(&token, hfhub_secrets_free);
	}
out:
	hfhub_secrets_wipe(buf, MAX_TOKEN_INPUT + 1);
	g_free(buf);
	close(fd);
	return token;
}

/* Stores @token; falls back to the file only when there is no keyring. */
static gboolean
store_token(HfhubIdentities *self, HfhubIdentityInfo *info, const gchar *token, gchar **warning,
	    GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) error_local = NULL;

	if (hfhub_secrets_keyring_store(info->endpoint, info->name, token, cancellable,
					&error_local)) {
		g_autoptr(GError) error_clear = NULL;
		info->storage = HFHUB_SECRETS_STORAGE_KEYRING;
		/* a token of the same name from a session without a keyring */
		if (!hfhub_secrets_file_clear(self->file_path, info->endpoint, info->name,
					      &error_clear))
			g_warning("%s", error_clear->message);
		g_mutex_lock(&self->lock);
		self->keyring_state = HFHUB_SECRETS_KEYRING_UNLOCKED;
		g_mutex_unlock(&self->lock);
		return TRUE;
	}
	if (!g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_NO_KEYRING)) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return FALSE;
	}
	g_debug("%s", error_local->message);
	if (!hfhub_secrets_file_store(self->file_path, info->endpoint, info->name, token, error))
		return FALSE;
	info->storage = HFHUB_SECRETS_STORAGE_FILE;
	*warning = g_strdup_printf("there is no Secret Service in this session: the token of "
				   "“%s” was stored in %s, a file only you can read",
				   info->name, self->file_path);
	g_warning("%s", *warning);
	g_mutex_lock(&self->lock);
	self->keyring_state = HFHUB_SECRETS_KEYRING_NONE;
	g_mutex_unlock(&self->lock);
	return TRUE;
}

static void
forget_token(HfhubIdentities *self, const HfhubIdentityInfo *info)
{
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (info->storage == HFHUB_SECRETS_STORAGE_KEYRING)
		ok = hfhub_secrets_keyring_clear(info->endpoint, info->name, NULL, &error);
	else
		ok = hfhub_secrets_file_clear(self->file_path, info->endpoint, info->name, &error);
	if (!ok)
		g_warning("cannot delete the token of “%s”: %s", info->name, error->message);
}

static void
login_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HfhubIdentities *self = HFHUB_IDENTITIES(source);
	LoginData *data = task_data;
	g_autoptr(HfhubToken) token = NULL;
	g_autoptr(HfhubIdentityInfo) info = NULL;
	g_autoptr(GPtrArray) saved = NULL;
	HfhubIdentityInfo *old;
	HfhubIdentityInfo *added;
	Slot *slot;
	GError *error = NULL;
	gint fd = data->fd;

	data->fd = -1;
	token = read_token_fd(fd, &error);
	if (token == NULL) {
		g_task_return_error(task, error);
		return;
	}
	/* nothing is stored before the Hub said yes */
	info = fetch_whoami(self, data->endpoint, token, cancellable, &error);
	if (info == NULL) {
		g_task_return_error(task, error);
		return;
	}
	info->name = g_strdup(data->name != NULL ? data->name : info->user);
	info->endpoint = g_strdup(data->endpoint);
	info->added = g_get_real_time() / G_USEC_PER_SEC;
	if (!hfhub_identity_validate_name(info->name, &error) ||
	    !store_token(self, info, token, &data->warning, cancellable, &error)) {
		g_task_return_error(task, error);
		return;
	}

	g_mutex_lock(&self->lock);
	saved = copy_infos(self->infos);
	old = hfhub_identity_index_find(self->infos, info->endpoint, info->name);
	info->is_default = FALSE;
	if (old != NULL) {
		/* logging in again under a name keeps it the default if it was */
		info->is_default = old->is_default;
		g_ptr_array_remove(self->infos, old);
	}
	added = hfhub_identity_info_copy(info);
	g_ptr_array_add(self->infos, added);
	if (data->make_default ||
	    hfhub_identity_index_find_default(self->infos, info->endpoint) == NULL)
		hfhub_identity_index_set_default(self->infos, added);
	if (!hfhub_identity_index_save(self->index_path, self->infos, &error)) {
		g_ptr_array_unref(self->infos);
		self->infos = g_steal_pointer(&saved);
		g_mutex_unlock(&self->lock);
		forget_token(self, info);
		g_task_return_error(task, error);
		return;
	}
	slot = g_new0(Slot, 1);
	slot->status = SLOT_AVAILABLE;
	slot->token = hfhub_secrets_dup(token);
	set_slot(self, added, slot);
	g_clear_pointer(&info, hfhub_identity_info_free);
	info = hfhub_identity_info_copy(added);
	g_mutex_unlock(&self->lock);

	g_message("logged in to %s as “%s” (user %s, %s token, in the %s)", info->endpoint,
		  info->name, info->user, info->role != NULL ? info->role : "unknown",
		  info->storage == HFHUB_SECRETS_STORAGE_FILE ? "token file" : "keyring");
	emit_changed_later(self);
	g_task_return_pointer(task, g_steal_pointer(&info),
			      (GDestroyNotify)hfhub_identity_info_free);
}

void
hfhub_identities_login_async(HfhubIdentities *self, gint fd, const gchar *name,
			     const gchar *endpoint, gboolean make_default,
			     GCancellable *cancellable, GAsyncReadyCallback callback,
			     gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	LoginData *data = g_new0(LoginData, 1);
	GError *error = NULL;

	g_task_set_source_tag(task, hfhub_identities_login_async);
	data->fd = fd;
	data->name = name != NULL && *name != '\0' ? g_strdup(name) : NULL;
	data->make_default = make_default;
	g_task_set_task_data(task, data, (GDestroyNotify)login_data_free);
	data->endpoint = endpoint_or_default(self, endpoint, &error);
	if (data->endpoint == NULL ||
	    (data->name != NULL && !hfhub_identity_validate_name(data->name, &error))) {
		g_task_return_error(task, error);
		return;
	}
	g_task_run_in_thread(task, login_thread);
}

HfhubIdentityInfo *
hfhub_identities_login_finish(HfhubIdentities *self, GAsyncResult *res, gchar **warning,
			      GError **error)
{
	LoginData *data = g_task_get_task_data(G_TASK(res));
	HfhubIdentityInfo *info = g_task_propagate_pointer(G_TASK(res), error);

	if (info != NULL && warning != NULL)
		*warning = g_strdup(data->warning);
	return info;
}

/* ---- logout */

static void
logout_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HfhubIdentities *self = HFHUB_IDENTITIES(source);
	GPtrArray *targets = task_data;
	g_autoptr(GPtrArray) removed =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	GError *error = NULL;

	for (guint i = 0; i < targets->len; i++) {
		HfhubIdentityInfo *target = g_ptr_array_index(targets, i);
		HfhubIdentityInfo *info;
		g_autofree gchar *key = slot_key(target->endpoint, target->name);
		gboolean ok;

		if (target->storage == HFHUB_SECRETS_STORAGE_KEYRING)
			ok = hfhub_secrets_keyring_clear(target->endpoint, target->name,
							 cancellable, &error);
		else
			ok = hfhub_secrets_file_clear(self->file_path, target->endpoint,
						      target->name, &error);
		if (!ok)
			break;
		g_mutex_lock(&self->lock);
		info = hfhub_identity_index_find(self->infos, target->endpoint, target->name);
		if (info != NULL) {
			g_autoptr(GPtrArray) rest = g_ptr_array_new();
			gboolean was_default = info->is_default;

			g_ptr_array_remove(self->infos, info);
			g_hash_table_remove(self->slots, key);
			for (guint j = 0; j < self->infos->len; j++) {
				HfhubIdentityInfo *other = g_ptr_array_index(self->infos, j);
				if (g_str_equal(other->endpoint, target->endpoint))
					g_ptr_array_add(rest, other);
			}
			/* the one left is the default: there is no other choice */
			if (was_default && rest->len == 1)
				hfhub_identity_index_set_default(self->infos,
								 g_ptr_array_index(rest, 0));
			ok = hfhub_identity_index_save(self->index_path, self->infos, &error);
		}
		g_mutex_unlock(&self->lock);
		if (!ok)
			break;
		g_message("logged out “%s” (%s)", target->name, target->endpoint);
		g_ptr_array_add(removed, hfhub_identity_info_copy(target));
	}
	if (removed->len > 0)
		emit_changed_later(self);
	if (error != NULL) {
		if (removed->len > 0)
			g_prefix_error(&error,
				       "%u identities were logged out, then: ", removed->len);
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, g_steal_pointer(&removed), (GDestroyNotify)g_ptr_array_unref);
}

/* under the lock: what a logout removes */
static GPtrArray *
logout_targets(HfhubIdentities *self, const gchar *name, const gchar *endpoint, gboolean all,
	       GError **error)
{
	g_autoptr(GPtrArray) targets =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	g_autofree gchar *ep = NULL;
	HfhubIdentityInfo *info;

	if (endpoint != NULL && *endpoint != '\0') {
		ep = hfhub_identity_normalize_endpoint(endpoint, error);
		if (ep == NULL)
			return NULL;
	}
	if (all) {
		for (guint i = 0; i < self->infos->len; i++) {
			info = g_ptr_array_index(self->infos, i);
			if (ep == NULL || g_str_equal(info->endpoint, ep))
				g_ptr_array_add(targets, hfhub_identity_info_copy(info));
		}
		return g_steal_pointer(&targets);
	}
	if (name != NULL && *name != '\0') {
		info = hfhub_identity_index_find_by_name(self->infos, name, ep, error);
	} else {
		if (ep == NULL)
			ep = endpoint_or_default(self, NULL, error);
		if (ep == NULL)
			return NULL;
		info = hfhub_identity_index_find_default(self->infos, ep);
		if (info == NULL)
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "there is no default identity for %s to log out", ep);
	}
	if (info == NULL)
		return NULL;
	g_ptr_array_add(targets, hfhub_identity_info_copy(info));
	return g_steal_pointer(&targets);
}

void
hfhub_identities_logout_async(HfhubIdentities *self, const gchar *name, const gchar *endpoint,
			      gboolean all, GCancellable *cancellable, GAsyncReadyCallback callback,
			      gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	GPtrArray *targets;
	GError *error = NULL;

	g_task_set_source_tag(task, hfhub_identities_logout_async);
	if (all && name != NULL && *name != '\0') {
		g_task_return_new_error(task, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
					"give a name or “all”, not both");
		return;
	}
	g_mutex_lock(&self->lock);
	targets = logout_targets(self, name, endpoint, all, &error);
	g_mutex_unlock(&self->lock);
	if (targets == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_task_set_task_data(task, targets, (GDestroyNotify)g_ptr_array_unref);
	g_task_run_in_thread(task, logout_thread);
}

GPtrArray *
hfhub_identities_logout_finish(HfhubIdentities *self, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* ---- whoami */

typedef struct {
	HfhubIdentityInfo *info; /* NULL for the environment's token */
	gchar *endpoint;
	HfhubIdentitySource source;
	gboolean verified;
} WhoamiData;

static void
whoami_data_free(WhoamiData *data)
{
	hfhub_identity_info_free(data->info);
	g_free(data->endpoint);
	g_free(data);
}

static void
whoami_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	HfhubIdentities *self = HFHUB_IDENTITIES(source);
	WhoamiData *data = task_data;
	g_autoptr(HfhubToken) token = NULL;
	g_autoptr(HfhubIdentityInfo) fetched = NULL;
	HfhubIdentityInfo *info;
	GError *error = NULL;

	if (data->source == HFHUB_IDENTITY_SOURCE_ENVIRONMENT) {
		token = hfhub_secrets_dup(self->env_token);
	} else {
		g_mutex_lock(&self->lock);
		token = slot_dup_token(self, data->info, &error);
		g_mutex_unlock(&self->lock);
	}
	if (token == NULL) {
		g_task_return_error(task, error);
		return;
	}
	fetched = fetch_whoami(self, data->endpoint, token, cancellable, &error);
	if (fetched == NULL) {
		g_task_return_error(task, error);
		return;
	}
	fetched->endpoint = g_strdup(data->endpoint);
	if (data->source == HFHUB_IDENTITY_SOURCE_ENVIRONMENT) {
		fetched->name = g_strdup("HF_TOKEN");
		g_task_return_pointer(task, g_steal_pointer(&fetched),
				      (GDestroyNotify)hfhub_identity_info_free);
		return;
	}
	/* keep what the Hub says now */
	g_mutex_lock(&self->lock);
	info = hfhub_identity_index_find(self->infos, data->info->endpoint, data->info->name);
	if (info != NULL) {
		g_free(info->user);
		info->user = g_strdup(fetched->user);
		g_free(info->fullname);
		info->fullname = g_strdup(fetched->fullname);
		g_strfreev(info->orgs);
		info->orgs = g_strdupv(fetched->orgs);
		g_free(info->role);
		info->role = g_strdup(fetched->role);
		g_free(info->token_name);
		info->token_name = g_strdup(fetched->token_name);
		if (!hfhub_identity_index_save(self->index_path, self->infos, &error)) {
			g_warning("%s", error->message);
			g_clear_error(&error);
		}
		hfhub_identity_info_free(data->info);
		data->info = hfhub_identity_info_copy(info);
	}
	g_mutex_unlock(&self->lock);
	g_task_return_pointer(task, hfhub_identity_info_copy(data->info),
			      (GDestroyNotify)hfhub_identity_info_free);
}

void
hfhub_identities_whoami_async(HfhubIdentities *self, const gchar *identity, const gchar *endpoint,
			      gboolean refresh, GCancellable *cancellable,
			      GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	WhoamiData *data = g_new0(WhoamiData, 1);
	HfhubIdentityInfo *info;
	GError *error = NULL;
	gboolean use_env;

	g_task_set_source_tag(task, hfhub_identities_whoami_async);
	g_task_set_task_data(task, data, (GDestroyNotify)whoami_data_free);
	data->endpoint = endpoint_or_default(self, endpoint, &error);
	if (data->endpoint == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_mutex_lock(&self->lock);
	info = resolve(self, identity, data->endpoint, &use_env, &error);
	if (info != NULL)
		data->info = hfhub_identity_info_copy(info);
	g_mutex_unlock(&self->lock);
	if (error != NULL) {
		g_task_return_error(task, error);
		return;
	}
	if (use_env) {
		data->source = HFHUB_IDENTITY_SOURCE_ENVIRONMENT;
	} else if (data->info == NULL) {
		g_task_return_new_error(
			task, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED,
			self->implicit_disabled
				? "no identity is used for %s: "
				  "HF_HUB_DISABLE_IMPLICIT_TOKEN is set in hfhubd's "
				  "environment"
				: "not logged in to %s",
			data->endpoint);
		return;
	}
	if (data->source == HFHUB_IDENTITY_SOURCE_ENVIRONMENT || refresh) {
		data->verified = TRUE;
		g_task_run_in_thread(task, whoami_thread);
		return;
	}
	g_task_return_pointer(task, hfhub_identity_info_copy(data->info),
			      (GDestroyNotify)hfhub_identity_info_free);
}

HfhubIdentityInfo *
hfhub_identities_whoami_finish(HfhubIdentities *self, GAsyncResult *res,
			       HfhubIdentitySource *source, gboolean *verified, GError **error)
{
	WhoamiData *data = g_task_get_task_data(G_TASK(res));
	HfhubIdentityInfo *info = g_task_propagate_pointer(G_TASK(res), error);

	if (info != NULL) {
		if (source != NULL)
			*source = data->source;
		if (verified != NULL)
			*verified = data->verified;
	}
	return info;
}
