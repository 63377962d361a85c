#include "config.h"

#define G_LOG_DOMAIN "HfhubCacheExported"

#include "hfhub-cache-exported.h"

#include "hfhub-caller.h"
#include "hfhub-cache-delete.h"
#include "hfhub-cache-jobs.h"
#include "hfhub-cache-scan.h"
#include "hfhub-error.h"
#include "hfhub-job-exported.h"

struct _HfhubCacheExported {
	HfhubDBusCacheSkeleton parent_instance;
	HfhubEngine *engine;
};

static void
hfhub_cache_exported_iface_init(HfhubDBusCacheIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HfhubCacheExported, hfhub_cache_exported,
			      HFHUB_DBUS_TYPE_CACHE_SKELETON,
			      G_IMPLEMENT_INTERFACE(HFHUB_DBUS_TYPE_CACHE,
						    hfhub_cache_exported_iface_init))

static const HfhubOptionSpec scan_options[] = {
	{ "cache-dir", "s" },
	{ "files", "b" },
	{ NULL, NULL },
};

static const HfhubOptionSpec plan_options[] = {
	{ "cache-dir", "s" },
	{ NULL, NULL },
};

static const HfhubOptionSpec delete_options[] = {
	{ "cache-dir", "s" },
	{ "wait", "b" },
	{ "priority", "i" },
	{ NULL, NULL },
};

static const HfhubOptionSpec verify_options[] = {
	{ "cache-dir", "s" }, { "repair", "b" },   { "endpoint", "s" },
	{ "identity", "s" },  { "priority", "i" }, { NULL, NULL },
};

/* one method call that needs a thread */
typedef struct {
	HfhubCacheExported *self;
	GDBusMethodInvocation *invocation;
	GVariant *options;
	gchar *cache_dir;
	gchar **targets;
	gboolean prune;
	gboolean files;
	GHashTable *keep;
	/* filled in by the thread */
	HfhubCacheScan *scan;
	HfhubCachePlan *plan;
	GPtrArray *busy; /* lock files held by someone */
} Call;

static void
call_free(Call *call)
{
	g_object_unref(call->self);
	g_object_unref(call->invocation);
	g_variant_unref(call->options);
	g_free(call->cache_dir);
	g_strfreev(call->targets);
	g_clear_pointer(&call->keep, g_hash_table_unref);
	g_clear_pointer(&call->scan, hfhub_cache_scan_unref);
	g_clear_pointer(&call->plan, hfhub_cache_plan_free);
	g_clear_pointer(&call->busy, g_ptr_array_unref);
	g_free(call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Call, call_free)

static void
return_error(GDBusMethodInvocation *invocation, GError *error)
{
	hfhub_error_convert(&error);
	g_dbus_method_invocation_take_error(invocation, error);
}

/* Checks @options; NULL (and the call answered) when they are wrong. */
static Call *
call_new(HfhubCacheExported *self, GDBusMethodInvocation *invocation, GVariant *options,
	 const HfhubOptionSpec *specs, const gchar *const *targets)
{
	g_autoptr(Call) call = g_new0(Call, 1);
	const gchar *dir = NULL;
	GError *error = NULL;

	call->self = g_object_ref(self);
	call->invocation = g_object_ref(invocation);
	call->options = g_variant_ref(options);
	if (!hfhub_options_validate(options, specs, &error)) {
		return_error(invocation, error);
		return NULL;
	}
	if (g_variant_lookup(options, "cache-dir", "&s", &dir) && !g_path_is_absolute(dir)) {
		g_dbus_method_invocation_return_error(
			invocation, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			"the cache dir must be an absolute path, not “%s”", dir);
		return NULL;
	}
	call->cache_dir = hfhub_cache_jobs_cache_dir(self->engine, dir);
	call->targets = g_strdupv((gchar **)targets);
	if (call->targets == NULL)
		call->targets = g_new0(gchar *, 1);
	g_variant_lookup(options, "files", "b", &call->files);
	return g_steal_pointer(&call);
}

static void
run_call(Call *call, GTaskThreadFunc func, GAsyncReadyCallback done)
{
	g_autoptr(GTask) task = g_task_new(NULL, NULL, done, call);

	g_task_set_task_data(task, call, NULL);
	g_task_run_in_thread(task, func);
}

/* ---- Scan */

static void
scan_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	Call *call = task_data;
	GError *error = NULL;

	call->scan = hfhub_cache_scan(call->cache_dir,
				      call->files ? HFHUB_CACHE_SCAN_FILES : HFHUB_CACHE_SCAN_NONE,
				      NULL, &error);
	if (call->scan == NULL)
		g_task_return_error(task, error);
	else
		g_task_return_boolean(task, TRUE);
}

static void
scan_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(Call) call = user_data;
	GError *error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error)) {
		return_error(call->invocation, error);
		return;
	}
	hfhub_dbus_cache_complete_scan(HFHUB_DBUS_CACHE(call->self), call->invocation,
				       hfhub_cache_scan_summary_to_variant(call->scan),
				       hfhub_cache_scan_repos_to_variant(call->scan, call->files));
}

static gboolean
handle_scan(HfhubDBusCache *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	Call *call = call_new(HFHUB_CACHE_EXPORTED(iface), invocation, options, scan_options, NULL);

	if (call != NULL)
		run_call(call, scan_thread, scan_done);
	return TRUE;
}

/* ---- plans, and the checks before a deletion */

static void
plan_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	Call *call = task_data;
	GError *error = NULL;

	call->scan = hfhub_cache_scan(call->cache_dir, HFHUB_CACHE_SCAN_NONE, NULL, &error);
	if (call->scan == NULL) {
		g_task_return_error(task, error);
		return;
	}
	if (call->prune)
		call->plan = hfhub_cache_plan_prune(call->scan, call->keep, NULL);
	else
		call->plan =
			hfhub_cache_plan_delete(call->scan, (const gchar *const *)call->targets);
	call->busy = hfhub_cache_plan_busy_locks(call->plan);
	g_task_return_boolean(task, TRUE);
}

/* downloads of ours into the repos, then locks others hold */
static GVariant *
conflicts_to_variant(Call *call, GPtrArray *jobs)
{
	g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));

	for (guint i = 0; i < jobs->len; i++) {
		const HfhubJobRecord *rec = hfhub_job_get_record(g_ptr_array_index(jobs, i));
		g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
		g_autofree gchar *message = g_strdup_printf(
			"download job %" G_GUINT64_FORMAT " into %s/%s is %s", rec->id,
			rec->repo_type, rec->repo_id, hfhub_job_state_to_string(rec->state));

		g_variant_dict_insert(&dict, "job", "t", rec->id);
		g_variant_dict_insert_value(&dict, "message", hfhub_cache_str(message));
		g_variant_builder_add_value(&list, g_variant_dict_end(&dict));
	}
	for (guint i = 0; i < call->busy->len; i++) {
		const gchar *lock = g_ptr_array_index(call->busy, i);
		g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
		g_autofree gchar *message = g_strdup_printf("a download holds the lock %s", lock);

		g_variant_dict_insert_value(&dict, "lock", hfhub_cache_str(lock));
		g_variant_dict_insert_value(&dict, "message", hfhub_cache_str(message));
		g_variant_builder_add_value(&list, g_variant_dict_end(&dict));
	}
	return g_variant_builder_end(&list);
}

static GPtrArray *
conflicting_jobs(Call *call)
{
	return hfhub_cache_jobs_find_downloads(call->self->engine, call->scan->cache_dir,
					       call->plan->folders);
}

static void
plan_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(Call) call = user_data;
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GVariant) plan = NULL;
	g_autoptr(GVariantDict) dict = NULL;
	GError *error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error)) {
		return_error(call->invocation, error);
		return;
	}
	jobs = conflicting_jobs(call);
	plan = g_variant_ref_sink(hfhub_cache_plan_to_variant(call->plan));
	dict = g_variant_dict_new(plan);
	g_variant_dict_insert_value(dict, "conflicts", conflicts_to_variant(call, jobs));
	if (call->prune)
		hfhub_dbus_cache_complete_plan_prune(HFHUB_DBUS_CACHE(call->self), call->invocation,
						     g_variant_dict_end(dict));
	else
		hfhub_dbus_cache_complete_plan_delete(HFHUB_DBUS_CACHE(call->self),
						      call->invocation, g_variant_dict_end(dict));
}

static gboolean
handle_plan_delete(HfhubDBusCache *iface, GDBusMethodInvocation *invocation,
		   const gchar *const *targets, GVariant *options)
{
	Call *call =
		call_new(HFHUB_CACHE_EXPORTED(iface), invocation, options, plan_options, targets);

	if (call != NULL)
		run_call(call, plan_thread, plan_done);
	return TRUE;
}

static gboolean
handle_plan_prune(HfhubDBusCache *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	HfhubCacheExported *self = HFHUB_CACHE_EXPORTED(iface);
	Call *call = call_new(self, invocation, options, plan_options, NULL);

	if (call == NULL)
		return TRUE;
	call->prune = TRUE;
	call->keep = hfhub_cache_jobs_resumable_partials(self->engine);
	run_call(call, plan_thread, plan_done);
	return TRUE;
}

/* ---- Delete, Prune: jobs, refused at once while a download runs */

static void
add_delete_job(Call *call)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(call->options);
	g_autofree gchar *path = NULL;
	GError *error = NULL;
	HfhubJob *job;

	g_variant_dict_insert_value(&dict, "cache-dir", hfhub_cache_str(call->cache_dir));
	if (call->prune)
		g_variant_dict_insert(&dict, "prune", "b", TRUE);
	else
		g_variant_dict_insert(&dict, "targets", "^as", call->targets);
	job = hfhub_engine_add_job(call->self->engine, "cache-delete", "", "", "",
				   g_variant_dict_end(&dict), hfhub_caller_of(call->invocation),
				   &error);
	if (job == NULL) {
		return_error(call->invocation, error);
		return;
	}
	path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
	if (call->prune)
		hfhub_dbus_cache_complete_prune(HFHUB_DBUS_CACHE(call->self), call->invocation,
						path);
	else
		hfhub_dbus_cache_complete_delete(HFHUB_DBUS_CACHE(call->self), call->invocation,
						 path);
}

static void
check_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(Call) call = user_data;
	g_autoptr(GPtrArray) jobs = NULL;
	GError *error = NULL;

	if (!g_task_propagate_boolean(G_TASK(res), &error)) {
		return_error(call->invocation, error);
		return;
	}
	jobs = conflicting_jobs(call);
	if (jobs->len > 0) {
		hfhub_cache_jobs_set_conflict(&error, jobs);
		return_error(call->invocation, error);
		return;
	}
	if (call->busy->len > 0) {
		g_dbus_method_invocation_return_error(
			call->invocation, HFHUB_ERROR, HFHUB_ERROR_CONFLICT,
			"a download into the repo is running (it holds the lock %s); nothing was "
			"deleted: try again when it has finished, or wait for it",
			(const gchar *)g_ptr_array_index(call->busy, 0));
		return;
	}
	add_delete_job(call);
}

static void
start_delete(Call *call)
{
	gboolean wait = FALSE;

	/* the job waits for the downloads: nothing to check now */
	g_variant_lookup(call->options, "wait", "b", &wait);
	if (wait) {
		add_delete_job(call);
		call_free(call);
		return;
	}
	run_call(call, plan_thread, check_done);
}

static gboolean
handle_delete(HfhubDBusCache *iface, GDBusMethodInvocation *invocation, const gchar *const *targets,
	      GVariant *options)
{
	Call *call =
		call_new(HFHUB_CACHE_EXPORTED(iface), invocation, options, delete_options, targets);

	if (call == NULL)
		return TRUE;
	if (call->targets[0] == NULL) {
		g_dbus_method_invocation_return_error_literal(
			invocation, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			"give at least one repo or revision to delete");
		call_free(call);
		return TRUE;
	}
	start_delete(call);
	return TRUE;
}

static gboolean
handle_prune(HfhubDBusCache *iface, GDBusMethodInvocation *invocation, GVariant *options)
{
	HfhubCacheExported *self = HFHUB_CACHE_EXPORTED(iface);
	Call *call = call_new(self, invocation, options, delete_options, NULL);

	if (call == NULL)
		return TRUE;
	call->prune = TRUE;
	call->keep = hfhub_cache_jobs_resumable_partials(self->engine);
	start_delete(call);
	return TRUE;
}

/* ---- Verify */

static gboolean
handle_verify(HfhubDBusCache *iface, GDBusMethodInvocation *invocation, const gchar *const *targets,
	      GVariant *options)
{
	HfhubCacheExported *self = HFHUB_CACHE_EXPORTED(iface);
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(options);
	g_autofree gchar *path = NULL;
	g_autoptr(Call) call = call_new(self, invocation, options, verify_options, targets);
	GError *error = NULL;
	HfhubJob *job;

	if (call == NULL)
		return TRUE;
	g_variant_dict_insert_value(&dict, "cache-dir", hfhub_cache_str(call->cache_dir));
	if (call->targets[0] != NULL)
		g_variant_dict_insert(&dict, "targets", "^as", call->targets);
	job = hfhub_engine_add_job(self->engine, "cache-verify", "", "", "",
				   g_variant_dict_end(&dict), hfhub_caller_of(invocation), &error);
	if (job == NULL) {
		return_error(invocation, error);
		return TRUE;
	}
	path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
	hfhub_dbus_cache_complete_verify(iface, invocation, path);
	return TRUE;
}

static void
hfhub_cache_exported_iface_init(HfhubDBusCacheIface *iface)
{
	iface->handle_scan = handle_scan;
	iface->handle_plan_delete = handle_plan_delete;
	iface->handle_delete = handle_delete;
	iface->handle_plan_prune = handle_plan_prune;
	iface->handle_prune = handle_prune;
	iface->handle_verify = handle_verify;
}

static void
hfhub_cache_exported_dispose(GObject *object)
{
	HfhubCacheExported *self = HFHUB_CACHE_EXPORTED(object);

	g_clear_object(&self->engine);
	G_OBJECT_CLASS(hfhub_cache_exported_parent_class)->dispose(object);
}

static void
hfhub_cache_exported_class_init(HfhubCacheExportedClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_cache_exported_dispose;
}

static void
hfhub_cache_exported_init(HfhubCacheExported *self)
{
}

HfhubCacheExported *
hfhub_cache_exported_new(HfhubEngine *engine)
{
	HfhubCacheExported *self = g_object_new(HFHUB_TYPE_CACHE_EXPORTED, NULL);

	self->engine = g_object_ref(engine);
	return self;
}
