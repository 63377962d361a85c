#include "config.h"

#define G_LOG_DOMAIN "HfhubManager"

#include "hfhub-manager.h"

#include "hfhub-caller.h"
#include "hfhub-error.h"
#include "hfhub-job-exported.h"
#include "hfhub-names.h"

struct _HfhubManager {
	HfhubDBusManagerSkeleton parent_instance;
	HfhubEngine *engine;
};

static void
hfhub_manager_iface_init(HfhubDBusManagerIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HfhubManager, hfhub_manager, HFHUB_DBUS_TYPE_MANAGER_SKELETON,
			      G_IMPLEMENT_INTERFACE(HFHUB_DBUS_TYPE_MANAGER,
						    hfhub_manager_iface_init))

static const HfhubOptionSpec list_jobs_options[] = {
	{ "states", "as" },
	{ "limit", "u" },
	{ NULL, NULL },
};

static void
return_error(GDBusMethodInvocation *invocation, GError *error)
{
	hfhub_error_convert(&error);
	g_dbus_method_invocation_take_error(invocation, error);
}

static gboolean
handle_list_jobs(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	g_autofree const gchar **states = NULL;
	guint limit = 0;
	guint first = 0;
	GError *error = NULL;

	if (!hfhub_options_validate(options, list_jobs_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	if (g_variant_lookup(options, "states", "^a&s", &states)) {
		for (guint i = 0; states[i] != NULL; i++) {
			HfhubJobState state;
			if (!hfhub_job_state_from_string(states[i], &state)) {
				g_dbus_method_invocation_return_error(
					invocation, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
					"unknown job state “%s” (one of queued, running, paused, "
					"succeeded, failed, cancelled)",
					states[i]);
				return TRUE;
			}
		}
	}
	g_variant_lookup(options, "limit", "u", &limit);
	jobs = hfhub_engine_list_jobs(self->engine);
	for (guint i = 0; i < jobs->len; i++) {
		HfhubJob *job = g_ptr_array_index(jobs, i);
		const gchar *nick = hfhub_job_state_to_string(hfhub_job_get_state(job));
		if (states != NULL && !g_strv_contains((const gchar *const *)states, nick))
			continue;
		g_ptr_array_add(paths, hfhub_job_exported_path_for_id(hfhub_job_get_id(job)));
	}
	if (limit > 0 && paths->len > limit)
		first = paths->len - limit;
	g_ptr_array_add(paths, NULL);
	hfhub_dbus_manager_complete_list_jobs(iface, invocation,
					      (const gchar *const *)paths->pdata + first);
	return TRUE;
}

static gboolean
handle_get_job(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, guint64 id)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	GError *error = NULL;
	g_autofree gchar *path = NULL;

	if (hfhub_engine_get_job(self->engine, id, &error) == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	path = hfhub_job_exported_path_for_id(id);
	hfhub_dbus_manager_complete_get_job(iface, invocation, path);
	return TRUE;
}

static gboolean
handle_download(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
		const gchar *repo_type, const gchar *revision, const gchar *const *files,
		GVariant *options)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(options);
	HfhubJob *job;
	GError *error = NULL;
	g_autofree gchar *path = NULL;

	/* the files argument travels to the job inside its options */
	if (g_variant_dict_contains(&dict, "files")) {
		g_dbus_method_invocation_return_error(invocation, HFHUB_ERROR,
						      HFHUB_ERROR_INVALID_ARGUMENT,
						      "unknown option “files”: pass the files "
						      "as the files argument");
		return TRUE;
	}
	if (files != NULL && files[0] != NULL)
		g_variant_dict_insert(&dict, "files", "^as", files);
	job = hfhub_engine_add_job(self->engine, "download", repo_type, repo_id, revision,
				   g_variant_dict_end(&dict), hfhub_caller_of(invocation), &error);
	if (job == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
	hfhub_dbus_manager_complete_download(iface, invocation, path);
	return TRUE;
}

static const HfhubOptionSpec get_config_options[] = {
	{ "keys", "as" },
	{ NULL, NULL },
};

static gboolean
handle_get_config(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	HfhubConfig *config = hfhub_engine_get_config(self->engine);
	g_autofree const gchar **keys = NULL;
	g_autoptr(GVariant) all = NULL;
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
	GError *error = NULL;

	if (!hfhub_options_validate(options, get_config_options, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	if (!g_variant_lookup(options, "keys", "^a&s", &keys)) {
		all = hfhub_config_dup_all(config);
		hfhub_dbus_manager_complete_get_config(iface, invocation, all);
		return TRUE;
	}
	for (guint i = 0; keys[i] != NULL; i++) {
		g_autoptr(GVariant) value = hfhub_config_dup_value(config, keys[i], &error);
		if (value == NULL) {
			return_error(invocation, error);
			return TRUE;
		}
		g_variant_builder_add(&builder, "{sv}", keys[i], value);
	}
	hfhub_dbus_manager_complete_get_config(iface, invocation, g_variant_builder_end(&builder));
	return TRUE;
}

static gboolean
handle_set_config(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, const gchar *key,
		  GVariant *value, GVariant *options)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	GError *error = NULL;
	g_autoptr(GVariant) inner = g_variant_get_variant(value);

	if (!hfhub_options_validate(options, NULL, &error) ||
	    !hfhub_config_set_value(hfhub_engine_get_config(self->engine), key, inner, &error)) {
		return_error(invocation, error);
		return TRUE;
	}
	g_message("setting %s changed by %s", key, hfhub_caller_of(invocation));
	hfhub_dbus_manager_complete_set_config(iface, invocation);
	return TRUE;
}

/* Upload's arguments travel to the job inside its options */
static gboolean
handle_upload(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
	      const gchar *repo_type, const gchar *revision, const gchar *local_path,
	      const gchar *path_in_repo, GVariant *options)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(options);
	HfhubJob *job;
	GError *error = NULL;
	g_autofree gchar *path = NULL;

	if (g_variant_dict_contains(&dict, "local-path") ||
	    g_variant_dict_contains(&dict, "path-in-repo")) {
		g_dbus_method_invocation_return_error(invocation, HFHUB_ERROR,
						      HFHUB_ERROR_INVALID_ARGUMENT,
						      "pass the local path and the path in the "
						      "repo as arguments, not as options");
		return TRUE;
	}
	g_variant_dict_insert(&dict, "local-path", "s", local_path);
	g_variant_dict_insert(&dict, "path-in-repo", "s", path_in_repo);
	job = hfhub_engine_add_job(self->engine, "upload", repo_type, repo_id, revision,
				   g_variant_dict_end(&dict), hfhub_caller_of(invocation), &error);
	if (job == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
	hfhub_dbus_manager_complete_upload(iface, invocation, path);
	return TRUE;
}

static gboolean
handle_commit(HfhubDBusManager *iface, GDBusMethodInvocation *invocation, const gchar *repo_id,
	      const gchar *repo_type, const gchar *revision, GVariant *operations,
	      GVariant *options)
{
	HfhubManager *self = HFHUB_MANAGER(iface);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(options);
	HfhubJob *job;
	GError *error = NULL;
	g_autofree gchar *path = NULL;

	if (g_variant_dict_contains(&dict, "operations")) {
		g_dbus_method_invocation_return_error(invocation, HFHUB_ERROR,
						      HFHUB_ERROR_INVALID_ARGUMENT,
						      "unknown option “operations”: pass them as "
						      "the operations argument");
		return TRUE;
	}
	g_variant_dict_insert_value(&dict, "operations", operations);
	job = hfhub_engine_add_job(self->engine, "commit", repo_type, repo_id, revision,
				   g_variant_dict_end(&dict), hfhub_caller_of(invocation), &error);
	if (job == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
	hfhub_dbus_manager_complete_commit(iface, invocation, path);
	return TRUE;
}

static void
hfhub_manager_iface_init(HfhubDBusManagerIface *iface)
{
	iface->handle_upload = handle_upload;
	iface->handle_commit = handle_commit;
	iface->handle_get_config = handle_get_config;
	iface->handle_set_config = handle_set_config;
	iface->handle_list_jobs = handle_list_jobs;
	iface->handle_get_job = handle_get_job;
	iface->handle_download = handle_download;
}

static void
sync_status(HfhubManager *self)
{
	g_autoptr(GHashTable) counts = hfhub_engine_count_jobs(self->engine);
	g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("a{su}"));

	for (guint s = 0; s < HFHUB_JOB_STATE_LAST; s++) {
		const gchar *nick = hfhub_job_state_to_string(s);
		g_variant_builder_add(&builder, "{su}", nick,
				      GPOINTER_TO_UINT(g_hash_table_lookup(counts, nick)));
	}
	hfhub_dbus_manager_set_job_counts(HFHUB_DBUS_MANAGER(self),
					  g_variant_builder_end(&builder));
	hfhub_dbus_manager_set_state(HFHUB_DBUS_MANAGER(self),
				     hfhub_engine_is_idle(self->engine) ? "idle" : "busy");
}

static void
status_changed_cb(HfhubEngine *engine, gpointer user_data)
{
	sync_status(HFHUB_MANAGER(user_data));
}

static void
hfhub_manager_dispose(GObject *object)
{
	HfhubManager *self = HFHUB_MANAGER(object);

	g_clear_object(&self->engine);
	G_OBJECT_CLASS(hfhub_manager_parent_class)->dispose(object);
}

static void
hfhub_manager_class_init(HfhubManagerClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_manager_dispose;
}

static void
hfhub_manager_init(HfhubManager *self)
{
}

HfhubManager *
hfhub_manager_new(HfhubEngine *engine)
{
	HfhubManager *self = g_object_new(HFHUB_TYPE_MANAGER, NULL);

	self->engine = g_object_ref(engine);
	hfhub_dbus_manager_set_version(HFHUB_DBUS_MANAGER(self), HFHUB_DBUS_API_VERSION);
	hfhub_dbus_manager_set_daemon_version(HFHUB_DBUS_MANAGER(self), PACKAGE_VERSION);
	sync_status(self);
	g_signal_connect_object(engine, "status-changed", G_CALLBACK(status_changed_cb), self, 0);
	return self;
}
