#include "config.h"

#define G_LOG_DOMAIN "HfhubConfig"

#include "hfhub-config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-policy.h"

struct _HfhubConfig {
	GObject parent_instance;
	gchar *path;
	guint idle_timeout;
	guint max_running_jobs;
	guint keep_finished_days;
	gchar *endpoint;
	gchar *cache_dir;
	gboolean offline;
	guint download_parallelism;
	guint stall_timeout;
	guint64 download_bandwidth_limit;
	guint64 upload_bandwidth_limit;
	gchar *window;
	gboolean unmetered_only;
	gboolean notifications;
	gchar *network_metered;
};

G_DEFINE_FINAL_TYPE(HfhubConfig, hfhub_config, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

#define DEFAULT_ENDPOINT "https://huggingface.co"

typedef enum { KEY_UINT, KEY_UINT64, KEY_BOOL, KEY_STRING } KeyKind;

typedef gboolean (*KeyCheck)(const gchar *value, GError **error);

typedef struct {
	const gchar *group;
	const gchar *key;
	KeyKind kind;
	gsize offset;
	guint64 min;
	guint64 max;
	KeyCheck check;	  /* strings */
	gboolean runtime; /* may change while the daemon runs */
} KeySpec;

static gboolean
check_endpoint(const gchar *value, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(value, G_URI_FLAGS_NONE, NULL);

	if (uri != NULL && g_uri_get_host(uri) != NULL &&
	    (g_strcmp0(g_uri_get_scheme(uri), "https") == 0 ||
	     g_strcmp0(g_uri_get_scheme(uri), "http") == 0))
		return TRUE;
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "“%s” is not an http(s) URL",
		    value);
	return FALSE;
}

static gboolean
check_cache_dir(const gchar *value, GError **error)
{
	if (*value == '\0' || g_path_is_absolute(value))
		return TRUE;
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
		    "the cache dir must be an absolute path, not “%s”", value);
	return FALSE;
}

static gboolean
check_window(const gchar *value, GError **error)
{
	return *value == '\0' || hfhub_window_parse(value, NULL, error);
}

static gboolean
check_metered(const gchar *value, GError **error)
{
	if (g_str_equal(value, "auto") || g_str_equal(value, "yes") || g_str_equal(value, "no"))
		return TRUE;
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
		    "network-metered is auto, yes or no, not “%s”", value);
	return FALSE;
}

#define OFF(field) G_STRUCT_OFFSET(HfhubConfig, field)
static const KeySpec key_specs[] = {
	{ "daemon", "idle-timeout", KEY_UINT, OFF(idle_timeout), 0, G_MAXINT, NULL, TRUE },
	{ "daemon", "max-running-jobs", KEY_UINT, OFF(max_running_jobs), 1, 64, NULL, TRUE },
	{ "daemon", "keep-finished-days", KEY_UINT, OFF(keep_finished_days), 0, 36500, NULL, TRUE },
	{ "hub", "endpoint", KEY_STRING, OFF(endpoint), 0, 0, check_endpoint, TRUE },
	{ "hub", "cache-dir", KEY_STRING, OFF(cache_dir), 0, 0, check_cache_dir, TRUE },
	{ "hub", "offline", KEY_BOOL, OFF(offline), 0, 0, NULL, TRUE },
	{ "download", "parallelism", KEY_UINT, OFF(download_parallelism), 1, 64, NULL, TRUE },
	{ "download", "stall-timeout", KEY_UINT, OFF(stall_timeout), 1, 3600, NULL, FALSE },
	{ "download", "bandwidth-limit", KEY_UINT64, OFF(download_bandwidth_limit), 0, G_MAXINT64,
	  NULL, TRUE },
	{ "upload", "bandwidth-limit", KEY_UINT64, OFF(upload_bandwidth_limit), 0, G_MAXINT64, NULL,
	  TRUE },
	{ "policy", "window", KEY_STRING, OFF(window), 0, 0, check_window, TRUE },
	{ "policy", "unmetered-only", KEY_BOOL, OFF(unmetered_only), 0, 0, NULL, TRUE },
	{ "policy", "network-metered", KEY_STRING, OFF(network_metered), 0, 0, check_metered,
	  TRUE },
	{ "desktop", "notifications", KEY_BOOL, OFF(notifications), 0, 0, NULL, TRUE },
};
#undef OFF

static void
hfhub_config_finalize(GObject *object)
{
	HfhubConfig *self = HFHUB_CONFIG(object);

	for (guint i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (key_specs[i].kind == KEY_STRING)
			g_free(G_STRUCT_MEMBER(gchar *, self, key_specs[i].offset));
	}
	g_free(self->path);
	G_OBJECT_CLASS(hfhub_config_parent_class)->finalize(object);
}

static void
hfhub_config_class_init(HfhubConfigClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hfhub_config_finalize;

	/* changed::group.key — a value changed at runtime */
	signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
					       G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL,
					       NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hfhub_config_init(HfhubConfig *self)
{
	self->idle_timeout = 300;
	self->max_running_jobs = 2;
	self->keep_finished_days = 7;
	self->endpoint = g_strdup(DEFAULT_ENDPOINT);
	self->cache_dir = g_strdup("");
	self->download_parallelism = 8;
	self->stall_timeout = 30;
	self->window = g_strdup("");
	self->network_metered = g_strdup("auto");
	self->notifications = TRUE;
}

static const KeySpec *
find_key(const gchar *group, const gchar *key)
{
	for (guint i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		if (g_str_equal(key_specs[i].group, group) && g_str_equal(key_specs[i].key, key))
			return &key_specs[i];
	}
	return NULL;
}

static const KeySpec *
find_dotted(const gchar *dotted, GError **error)
{
	const gchar *dot = dotted != NULL ? strchr(dotted, '.') : NULL;
	g_autofree gchar *group = dot != NULL ? g_strndup(dotted, (gsize)(dot - dotted)) : NULL;
	const KeySpec *spec = dot != NULL ? find_key(group, dot + 1) : NULL;

	if (spec == NULL)
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "unknown setting “%s” (see hfhubd.conf for the list, as group.key)",
			    dotted != NULL ? dotted : "");
	return spec;
}

static const GVariantType *
spec_type(const KeySpec *spec)
{
	switch (spec->kind) {
	case KEY_UINT:
		return G_VARIANT_TYPE_UINT32;
	case KEY_UINT64:
		return G_VARIANT_TYPE_UINT64;
	case KEY_BOOL:
		return G_VARIANT_TYPE_BOOLEAN;
	default:
		return G_VARIANT_TYPE_STRING;
	}
}

/* Parses and checks a value given in key-file syntax, without storing it. */
static GVariant *
parse_value(const KeySpec *spec, const gchar *text, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	GVariant *value = NULL;

	g_key_file_set_value(kf, spec->group, spec->key, text);
	switch (spec->kind) {
	case KEY_UINT:
	case KEY_UINT64: {
		guint64 v = g_key_file_get_uint64(kf, spec->group, spec->key, &error_local);
		if (error_local == NULL && (v < spec->min || v > spec->max)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "%s.%s must be between %" G_GUINT64_FORMAT
				    " and %" G_GUINT64_FORMAT,
				    spec->group, spec->key, spec->min, spec->max);
			return NULL;
		}
		if (error_local == NULL)
			value = spec->kind == KEY_UINT ? g_variant_new_uint32((guint32)v)
						       : g_variant_new_uint64(v);
		break;
	}
	case KEY_BOOL: {
		gboolean v = g_key_file_get_boolean(kf, spec->group, spec->key, &error_local);
		if (error_local == NULL)
			value = g_variant_new_boolean(v);
		break;
	}
	case KEY_STRING: {
		g_autofree gchar *v =
			g_key_file_get_string(kf, spec->group, spec->key, &error_local);
		if (error_local == NULL) {
			if (spec->check != NULL && !spec->check(v, error))
				return NULL;
			value = g_variant_new_string(v);
		}
		break;
	}
	}
	if (error_local != NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "%s.%s: %s",
			    spec->group, spec->key, error_local->message);
		return NULL;
	}
	return g_variant_ref_sink(value);
}

static void
store_value(HfhubConfig *self, const KeySpec *spec, GVariant *value)
{
	gpointer field = G_STRUCT_MEMBER_P(self, spec->offset);

	switch (spec->kind) {
	case KEY_UINT:
		*(guint *)field = g_variant_get_uint32(value);
		break;
	case KEY_UINT64:
		*(guint64 *)field = g_variant_get_uint64(value);
		break;
	case KEY_BOOL:
		*(gboolean *)field = g_variant_get_boolean(value);
		break;
	case KEY_STRING:
		g_free(*(gchar **)field);
		*(gchar **)field = g_variant_dup_string(value, NULL);
		break;
	}
}

static GVariant *
load_value(HfhubConfig *self, const KeySpec *spec)
{
	gpointer field = G_STRUCT_MEMBER_P(self, spec->offset);

	switch (spec->kind) {
	case KEY_UINT:
		return g_variant_new_uint32(*(guint *)field);
	case KEY_UINT64:
		return g_variant_new_uint64(*(guint64 *)field);
	case KEY_BOOL:
		return g_variant_new_boolean(*(gboolean *)field);
	default:
		return g_variant_new_string(*(gchar **)field);
	}
}

static gboolean
load_file(HfhubConfig *self, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_auto(GStrv) groups = NULL;
	g_autoptr(GError) error_local = NULL;

	if (!g_key_file_load_from_file(kf, self->path, G_KEY_FILE_NONE, &error_local)) {
		if (g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "%s: %s", self->path,
			    error_local->message);
		return FALSE;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		g_auto(GStrv) keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
		for (guint j = 0; keys != NULL && keys[j] != NULL; j++) {
			const KeySpec *spec = find_key(groups[i], keys[j]);
			g_autofree gchar *text = NULL;
			g_autoptr(GVariant) value = NULL;

			if (spec == NULL) {
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
					    "%s: unknown key [%s] %s (see the documented "
					    "defaults in hfhubd.conf)",
					    self->path, groups[i], keys[j]);
				return FALSE;
			}
			text = g_key_file_get_value(kf, groups[i], keys[j], NULL);
			value = parse_value(spec, text, error);
			if (value == NULL) {
				g_prefix_error(error, "%s: ", self->path);
				return FALSE;
			}
			store_value(self, spec, value);
		}
	}
	return TRUE;
}

gchar *
hfhub_config_default_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "hfhub", "hfhubd.conf", NULL);
}

static gboolean
env_is_true(const gchar *name)
{
	const gchar *v = g_getenv(name);
	if (v == NULL)
		return FALSE;
	return g_ascii_strcasecmp(v, "1") == 0 || g_ascii_strcasecmp(v, "true") == 0 ||
	       g_ascii_strcasecmp(v, "yes") == 0 || g_ascii_strcasecmp(v, "on") == 0;
}

/* huggingface_hub's precedence: HF_HUB_CACHE, then HF_HOME/hub. */
static void
apply_environment(HfhubConfig *self)
{
	const gchar *endpoint = g_getenv("HF_ENDPOINT");
	const gchar *hub_cache = g_getenv("HF_HUB_CACHE");
	const gchar *hf_home = g_getenv("HF_HOME");

	if (endpoint != NULL && *endpoint != '\0') {
		g_free(self->endpoint);
		self->endpoint = g_strdup(endpoint);
	}
	if (hub_cache != NULL && *hub_cache != '\0') {
		g_free(self->cache_dir);
		self->cache_dir = g_strdup(hub_cache);
	} else if (hf_home != NULL && *hf_home != '\0') {
		g_free(self->cache_dir);
		self->cache_dir = g_build_filename(hf_home, "hub", NULL);
	}
	if (g_getenv("HF_HUB_OFFLINE") != NULL)
		self->offline = env_is_true("HF_HUB_OFFLINE");
}

static void
normalise(HfhubConfig *self)
{
	if (self->cache_dir == NULL || *self->cache_dir == '\0') {
		g_free(self->cache_dir);
		self->cache_dir =
			g_build_filename(g_get_user_cache_dir(), "huggingface", "hub", NULL);
	}
	/* the endpoint never carries a trailing slash, URLs are joined with one */
	while (g_str_has_suffix(self->endpoint, "/"))
		self->endpoint[strlen(self->endpoint) - 1] = '\0';
}

HfhubConfig *
hfhub_config_new(const gchar *path, GError **error)
{
	g_autoptr(HfhubConfig) self = g_object_new(HFHUB_TYPE_CONFIG, NULL);

	self->path = path != NULL ? g_strdup(path) : hfhub_config_default_path();
	if (!load_file(self, error))
		return NULL;
	apply_environment(self);
	normalise(self);
	return g_steal_pointer(&self);
}

const gchar *
hfhub_config_get_path(HfhubConfig *self)
{
	return self->path;
}

GVariant *
hfhub_config_dup_all(HfhubConfig *self)
{
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);

	for (guint i = 0; i < G_N_ELEMENTS(key_specs); i++) {
		g_autofree gchar *name =
			g_strdup_printf("%s.%s", key_specs[i].group, key_specs[i].key);
		g_variant_builder_add(&builder, "{sv}", name, load_value(self, &key_specs[i]));
	}
	return g_variant_ref_sink(g_variant_builder_end(&builder));
}

GVariant *
hfhub_config_dup_value(HfhubConfig *self, const gchar *key, GError **error)
{
	const KeySpec *spec = find_dotted(key, error);

	if (spec == NULL)
		return NULL;
	return g_variant_ref_sink(load_value(self, spec));
}

/* Writes one key into the file, keeping its comments and other keys. */
static gboolean
save_key(HfhubConfig *self, const KeySpec *spec, GVariant *value, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *dir = g_path_get_dirname(self->path);
	g_autofree gchar *text = NULL;

	if (!g_key_file_load_from_file(kf, self->path, G_KEY_FILE_KEEP_COMMENTS, &error_local) &&
	    !g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "%s: %s", self->path,
			    error_local->message);
		return FALSE;
	}
	text = spec->kind == KEY_STRING ? g_variant_dup_string(value, NULL)
					: g_variant_print(value, FALSE);
	if (spec->kind == KEY_STRING)
		g_key_file_set_string(kf, spec->group, spec->key, text);
	else
		g_key_file_set_value(kf, spec->group, spec->key, text);
	g_clear_error(&error_local);
	if (g_mkdir_with_parents(dir, 0700) != 0 ||
	    !g_key_file_save_to_file(kf, self->path, &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot save %s: %s", self->path,
			    error_local != NULL ? error_local->message : g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

gboolean
hfhub_config_set_value(HfhubConfig *self, const gchar *key, GVariant *value, GError **error)
{
	const KeySpec *spec = find_dotted(key, error);
	g_autoptr(GVariant) parsed = NULL;
	g_autofree gchar *text = NULL;

	if (spec == NULL)
		return FALSE;
	if (!spec->runtime) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "%s takes effect at the next start only: edit %s", key, self->path);
		return FALSE;
	}
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
		text = g_variant_dup_string(value, NULL);
	else if (g_variant_is_of_type(value, spec_type(spec)))
		text = spec->kind == KEY_STRING ? g_variant_dup_string(value, NULL)
						: g_variant_print(value, FALSE);
	else {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "%s is of type “%s”, not “%s”", key,
			    g_variant_type_peek_string(spec_type(spec)),
			    g_variant_get_type_string(value));
		return FALSE;
	}
	/* g_variant_print() of a uint64 reads "uint64 5" */
	if (g_str_has_prefix(text, "uint64 ") || g_str_has_prefix(text, "uint32 "))
		memmove(text, text + 7, strlen(text + 7) + 1);
	parsed = parse_value(spec, text, error);
	if (parsed == NULL)
		return FALSE;
	if (!save_key(self, spec, parsed, error))
		return FALSE;
	store_value(self, spec, parsed);
	normalise(self);
	g_signal_emit(self, signals[SIGNAL_CHANGED], g_quark_from_string(key), key);
	return TRUE;
}

guint
hfhub_config_get_idle_timeout(HfhubConfig *self)
{
	return self->idle_timeout;
}

void
hfhub_config_set_idle_timeout(HfhubConfig *self, guint seconds)
{
	self->idle_timeout = seconds;
}

guint
hfhub_config_get_max_running_jobs(HfhubConfig *self)
{
	return self->max_running_jobs;
}

guint
hfhub_config_get_keep_finished_days(HfhubConfig *self)
{
	return self->keep_finished_days;
}

const gchar *
hfhub_config_get_endpoint(HfhubConfig *self)
{
	return self->endpoint;
}

const gchar *
hfhub_config_get_cache_dir(HfhubConfig *self)
{
	return self->cache_dir;
}

gboolean
hfhub_config_get_offline(HfhubConfig *self)
{
	return self->offline;
}

guint
hfhub_config_get_download_parallelism(HfhubConfig *self)
{
	return self->download_parallelism;
}

guint
hfhub_config_get_stall_timeout(HfhubConfig *self)
{
	return self->stall_timeout;
}

guint64
hfhub_config_get_download_bandwidth_limit(HfhubConfig *self)
{
	return self->download_bandwidth_limit;
}

guint64
hfhub_config_get_upload_bandwidth_limit(HfhubConfig *self)
{
	return self->upload_bandwidth_limit;
}

const gchar *
hfhub_config_get_window(HfhubConfig *self)
{
	return self->window;
}

gboolean
hfhub_config_get_unmetered_only(HfhubConfig *self)
{
	return self->unmetered_only;
}

gboolean
hfhub_config_get_notifications(HfhubConfig *self)
{
	return self->notifications;
}

const gchar *
hfhub_config_get_network_metered(HfhubConfig *self)
{
	return self->network_metered;
}
