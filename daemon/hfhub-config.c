#include "config.h"

#define G_LOG_DOMAIN "HfhubConfig"

#include "hfhub-config.h"

#include <string.h>

#include "hfhub-error.h"

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
};

G_DEFINE_FINAL_TYPE(HfhubConfig, hfhub_config, G_TYPE_OBJECT)

#define DEFAULT_ENDPOINT "https://huggingface.co"

typedef enum { KEY_UINT, KEY_BOOL, KEY_STRING } KeyKind;

typedef struct {
	const gchar *group;
	const gchar *key;
	KeyKind kind;
	gsize offset;
	guint min;
	guint max;
} KeySpec;

static const KeySpec key_specs[] = {
	{ "daemon", "idle-timeout", KEY_UINT, G_STRUCT_OFFSET(HfhubConfig, idle_timeout), 0,
	  G_MAXINT },
	{ "daemon", "max-running-jobs", KEY_UINT, G_STRUCT_OFFSET(HfhubConfig, max_running_jobs), 1,
	  64 },
	{ "daemon", "keep-finished-days", KEY_UINT,
	  G_STRUCT_OFFSET(HfhubConfig, keep_finished_days), 0, 36500 },
	{ "hub", "endpoint", KEY_STRING, G_STRUCT_OFFSET(HfhubConfig, endpoint), 0, 0 },
	{ "hub", "cache-dir", KEY_STRING, G_STRUCT_OFFSET(HfhubConfig, cache_dir), 0, 0 },
	{ "hub", "offline", KEY_BOOL, G_STRUCT_OFFSET(HfhubConfig, offline), 0, 0 },
	{ "download", "parallelism", KEY_UINT, G_STRUCT_OFFSET(HfhubConfig, download_parallelism),
	  1, 64 },
	{ "download", "stall-timeout", KEY_UINT, G_STRUCT_OFFSET(HfhubConfig, stall_timeout), 1,
	  3600 },
};

static void
hfhub_config_finalize(GObject *object)
{
	HfhubConfig *self = HFHUB_CONFIG(object);

	g_free(self->path);
	g_free(self->endpoint);
	g_free(self->cache_dir);
	G_OBJECT_CLASS(hfhub_config_parent_class)->finalize(object);
}

static void
hfhub_config_class_init(HfhubConfigClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hfhub_config_finalize;
}

static void
hfhub_config_init(HfhubConfig *self)
{
	self->idle_timeout = 300;
	self->max_running_jobs = 2;
	self->keep_finished_days = 7;
	self->endpoint = g_strdup(DEFAULT_ENDPOINT);
	self->download_parallelism = 8;
	self->stall_timeout = 30;
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

static gboolean
load_key(HfhubConfig *self, GKeyFile *kf, const KeySpec *spec, GError **error)
{
	gpointer field = G_STRUCT_MEMBER_P(self, spec->offset);
	g_autoptr(GError) error_local = NULL;

	switch (spec->kind) {
	case KEY_UINT: {
		guint64 v = g_key_file_get_uint64(kf, spec->group, spec->key, &error_local);
		if (error_local == NULL && (v < spec->min || v > spec->max)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "%s: [%s] %s must be between %u and %u", self->path,
				    spec->group, spec->key, spec->min, spec->max);
			return FALSE;
		}
		*(guint *)field = (guint)v;
		break;
	}
	case KEY_BOOL:
		*(gboolean *)field =
			g_key_file_get_boolean(kf, spec->group, spec->key, &error_local);
		break;
	case KEY_STRING: {
		gchar *v = g_key_file_get_string(kf, spec->group, spec->key, &error_local);
		if (v != NULL) {
			g_free(*(gchar **)field);
			*(gchar **)field = v;
		}
		break;
	}
	}
	if (error_local != NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "%s: [%s] %s: %s",
			    self->path, spec->group, spec->key, error_local->message);
		return FALSE;
	}
	return TRUE;
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
			if (spec == NULL) {
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
					    "%s: unknown key [%s] %s (see the documented "
					    "defaults in hfhubd.conf)",
					    self->path, groups[i], keys[j]);
				return FALSE;
			}
			if (!load_key(self, kf, spec, error))
				return FALSE;
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

HfhubConfig *
hfhub_config_new(const gchar *path, GError **error)
{
	g_autoptr(HfhubConfig) self = g_object_new(HFHUB_TYPE_CONFIG, NULL);

	self->path = path != NULL ? g_strdup(path) : hfhub_config_default_path();
	if (!load_file(self, error))
		return NULL;
	apply_environment(self);
	if (self->cache_dir == NULL || *self->cache_dir == '\0') {
		g_free(self->cache_dir);
		self->cache_dir =
			g_build_filename(g_get_user_cache_dir(), "huggingface", "hub", NULL);
	}
	/* the endpoint never carries a trailing slash, URLs are joined with one */
	while (g_str_has_suffix(self->endpoint, "/"))
		self->endpoint[strlen(self->endpoint) - 1] = '\0';
	return g_steal_pointer(&self);
}

const gchar *
hfhub_config_get_path(HfhubConfig *self)
{
	return self->path;
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
