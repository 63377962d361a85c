/* The D-Bus contract on a private bus: the daemon's objects exported
 * in-process over an engine with a controllable job kind, driven through the
 * generated proxies from a second connection. Calls are async (a sync call
 * from the thread hosting the skeletons would stall). */
#include "config.h"

#include <gio/gio.h>

#include "hfhub-daemon.h"
#include "hfhub-dbus-generated.h"
#include "hfhub-engine.h"
#include "hfhub-error.h"
#include "hfhub-job-exported.h"
#include "hfhub-names.h"

/* ---- a job kind the test finishes by hand */

static GPtrArray *held_tasks; /* GTask*, one per running "held" job */

static const HfhubOptionSpec held_options[] = {
	{ "fail", "b" },
	{ "priority", "i" },
	{ NULL, NULL },
};

static void
held_cancelled_cb(GCancellable *cancellable, gpointer user_data)
{
	GTask *task = user_data;

	if (g_ptr_array_remove(held_tasks, task)) {
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
		g_object_unref(task);
	}
}

static void
held_run_async(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
	       GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(job, cancellable, callback, user_data);

	g_task_set_task_data(task, g_object_ref(job), g_object_unref);
	g_ptr_array_add(held_tasks, task);
	hfhub_job_set_progress(job, 10, 100, 0, 1);
	/* the handler may run at once when already cancelled: it then ends the
	 * task; our reference is dropped there */
	g_cancellable_connect(cancellable, G_CALLBACK(held_cancelled_cb), task, NULL);
}

static GVariant *
held_run_finish(HfhubJob *job, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static gboolean discarded;

static void
held_discard(HfhubEngine *engine, HfhubJob *job)
{
	discarded = TRUE;
}

static const HfhubJobKind held_kind = {
	.name = "held",
	.options = held_options,
	.run_async = held_run_async,
	.run_finish = held_run_finish,
	.discard = held_discard,
};

/* finishes the oldest held task */
static void
release_one(gboolean fail)
{
	GTask *task;
	HfhubJob *job;

	g_assert_cmpuint(held_tasks->len, >, 0);
	task = g_ptr_array_steal_index(held_tasks, 0);
	job = g_task_get_task_data(task);
	if (fail) {
		g_task_return_new_error(task, HFHUB_ERROR, HFHUB_ERROR_REPO_NOT_FOUND,
					"no such repo");
	} else {
		hfhub_job_set_progress(job, 100, 100, 1, 1);
		g_task_return_pointer(task,
				      g_variant_ref_sink(g_variant_new_parsed(
					      "{'path': <'/tmp/x'>, 'commit': <'abc'>}")),
				      (GDestroyNotify)g_variant_unref);
	}
	g_object_unref(task);
}

/* ---- fixture */

typedef struct {
	GTestDBus *bus;
	gchar *tmpdir;
	HfhubEngine *engine;
	HfhubDaemon *daemon;
	GDBusConnection *service_conn;
	GDBusConnection *client_conn;
	HfhubDBusManager *manager;
	GDBusObjectManager *objects;
} Fixture;

static void
await_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **)user_data = g_object_ref(res);
}

static GAsyncResult *
await(GAsyncResult **slot)
{
	while (*slot == NULL)
		g_main_context_iteration(NULL, TRUE);
	return *slot;
}

static void
name_appeared_cb(GDBusConnection *connection, const gchar *name, const gchar *owner,
		 gpointer user_data)
{
	*(gboolean *)user_data = TRUE;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autofree gchar *db = NULL;
	g_autoptr(HfhubConfig) config = NULL;
	g_autoptr(HfhubStore) store = NULL;

	held_tasks = g_ptr_array_new();
	discarded = FALSE;
	f->bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(f->bus);
	f->tmpdir = g_dir_make_tmp("hfhub-dbus-XXXXXX", &error);
	g_assert_no_error(error);
	db = g_build_filename(f->tmpdir, "hfhub.db", NULL);
	config = hfhub_config_new("/nonexistent/hfhubd.conf", &error);
	g_assert_no_error(error);
	store = hfhub_store_new(db, &error);
	g_assert_no_error(error);
	f->engine = hfhub_engine_new(config, store);
	hfhub_engine_register_kind(f->engine, &held_kind);
	g_assert_true(hfhub_engine_load(f->engine, &error));
	f->daemon = hfhub_daemon_new(f->engine);

	f->service_conn = g_dbus_connection_new_for_address_sync(
		g_test_dbus_get_bus_address(f->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);
	hfhub_daemon_start_bus(f->daemon, f->service_conn, FALSE);
	f->client_conn = g_dbus_connection_new_for_address_sync(
		g_test_dbus_get_bus_address(f->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	g_assert_no_error(error);

	/* the name is requested asynchronously: wait until it has an owner */
	{
		gboolean owned = FALSE;
		guint watch = g_bus_watch_name_on_connection(f->client_conn, HFHUB_DBUS_NAME,
							     G_BUS_NAME_WATCHER_FLAGS_NONE,
							     name_appeared_cb, NULL, &owned, NULL);
		while (!owned)
			g_main_context_iteration(NULL, TRUE);
		g_bus_unwatch_name(watch);
	}
	hfhub_dbus_manager_proxy_new(f->client_conn, G_DBUS_PROXY_FLAGS_NONE, HFHUB_DBUS_NAME,
				     HFHUB_DBUS_PATH, NULL, await_cb, &res);
	f->manager = hfhub_dbus_manager_proxy_new_finish(await(&res), &error);
	g_assert_no_error(error);
	g_clear_object(&res);
	hfhub_dbus_object_manager_client_new(
		f->client_conn, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE, HFHUB_DBUS_NAME,
		HFHUB_DBUS_PATH, NULL, await_cb, &res);
	f->objects = hfhub_dbus_object_manager_client_new_finish(await(&res), &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->objects);
	g_clear_object(&f->manager);
	g_dbus_connection_close_sync(f->client_conn, NULL, NULL);
	g_clear_object(&f->client_conn);
	g_clear_object(&f->daemon);
	hfhub_engine_shutdown(f->engine);
	/* let the cancelled runs report back before the engine goes */
	while (held_tasks->len > 0 || g_main_context_iteration(NULL, FALSE))
		;
	g_clear_object(&f->engine);
	g_dbus_connection_close_sync(f->service_conn, NULL, NULL);
	g_clear_object(&f->service_conn);
	g_test_dbus_down(f->bus);
	g_clear_object(&f->bus);
	g_ptr_array_unref(held_tasks);
	{
		g_autoptr(GFile) dir = g_file_new_for_path(f->tmpdir);
		g_autoptr(GFileEnumerator) e =
			g_file_enumerate_children(dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
						  G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
		GFileInfo *info;
		while (e != NULL && (info = g_file_enumerator_next_file(e, NULL, NULL))) {
			g_autoptr(GFile) child = g_file_get_child(dir, g_file_info_get_name(info));
			g_file_delete(child, NULL, NULL);
			g_object_unref(info);
		}
		g_file_delete(dir, NULL, NULL);
	}
	g_free(f->tmpdir);
}

static HfhubDBusJob *
job_proxy(Fixture *f, const gchar *path)
{
	g_autoptr(GDBusObject) object = NULL;

	/* the object manager client learns of new objects from InterfacesAdded */
	while ((object = g_dbus_object_manager_get_object(f->objects, path)) == NULL)
		g_main_context_iteration(NULL, TRUE);
	return hfhub_dbus_object_get_job(HFHUB_DBUS_OBJECT(object));
}

static gchar *
add_held_job(Fixture *f, GVariant *options)
{
	g_autoptr(GError) error = NULL;
	/* owned by the test's client connection, as if it had asked */
	HfhubJob *job =
		hfhub_engine_add_job(f->engine, "held", "model", "org/repo", "main", options,
				     g_dbus_connection_get_unique_name(f->client_conn), &error);
	g_assert_no_error(error);
	return hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
}

static void
wait_state(HfhubDBusJob *job, const gchar *state)
{
	while (g_strcmp0(hfhub_dbus_job_get_state(job), state) != 0)
		g_main_context_iteration(NULL, TRUE);
}

/* ---- tests */

static void
test_manager_properties(Fixture *f, gconstpointer data)
{
	g_autoptr(GVariant) counts = NULL;
	guint n = 99;

	g_assert_cmpuint(hfhub_dbus_manager_get_version(f->manager), ==, HFHUB_DBUS_API_VERSION);
	g_assert_cmpstr(hfhub_dbus_manager_get_daemon_version(f->manager), ==, PACKAGE_VERSION);
	g_assert_cmpstr(hfhub_dbus_manager_get_state(f->manager), ==, "idle");
	counts = hfhub_dbus_manager_dup_job_counts(f->manager);
	g_assert_true(g_variant_lookup(counts, "queued", "u", &n));
	g_assert_cmpuint(n, ==, 0);
	g_assert_cmpuint(g_variant_n_children(counts), ==, HFHUB_JOB_STATE_LAST);
}

static void
test_list_jobs(Fixture *f, gconstpointer data)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) paths = NULL;
	g_autofree gchar *p1 = add_held_job(f, NULL);
	g_autofree gchar *p2 = add_held_job(f, NULL);

	hfhub_dbus_manager_call_list_jobs(f->manager, g_variant_new("a{sv}", NULL), NULL, await_cb,
					  &res);
	g_assert_true(
		hfhub_dbus_manager_call_list_jobs_finish(f->manager, &paths, await(&res), &error));
	g_assert_no_error(error);
	g_assert_cmpuint(g_strv_length(paths), ==, 2);
	g_assert_cmpstr(paths[0], ==, p1);
	g_assert_cmpstr(paths[1], ==, p2);
	g_clear_pointer(&paths, g_strfreev);
	g_clear_object(&res);

	/* filters by state; limit keeps the newest */
	hfhub_dbus_manager_call_list_jobs(f->manager, g_variant_new_parsed("{'limit': <@u 1>}"),
					  NULL, await_cb, &res);
	g_assert_true(
		hfhub_dbus_manager_call_list_jobs_finish(f->manager, &paths, await(&res), &error));
	g_assert_cmpuint(g_strv_length(paths), ==, 1);
	g_assert_cmpstr(paths[0], ==, p2);
	g_clear_pointer(&paths, g_strfreev);
	g_clear_object(&res);
	hfhub_dbus_manager_call_list_jobs(f->manager,
					  g_variant_new_parsed("{'states': <['succeeded']>}"), NULL,
					  await_cb, &res);
	g_assert_true(
		hfhub_dbus_manager_call_list_jobs_finish(f->manager, &paths, await(&res), &error));
	g_assert_cmpuint(g_strv_length(paths), ==, 0);
}

static void
assert_call_error(GError *error, gint code, const gchar *dbus_name)
{
	g_autofree gchar *remote = NULL;

	g_assert_nonnull(error);
	remote = g_dbus_error_get_remote_error(error);
	g_assert_cmpstr(remote, ==, dbus_name);
	g_assert_error(error, HFHUB_ERROR, code);
}

static void
test_bad_input(Fixture *f, gconstpointer data)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) paths = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(GVariant) counts_before = hfhub_dbus_manager_dup_job_counts(f->manager);

	/* unknown option key */
	hfhub_dbus_manager_call_list_jobs(f->manager, g_variant_new_parsed("{'colour': <'red'>}"),
					  NULL, await_cb, &res);
	g_assert_false(
		hfhub_dbus_manager_call_list_jobs_finish(f->manager, &paths, await(&res), &error));
	assert_call_error(error, HFHUB_ERROR_INVALID_ARGUMENT,
			  "io.github.hfhub.Hub1.Error.InvalidArgument");
	g_assert_nonnull(strstr(error->message, "colour"));
	g_clear_error(&error);
	g_clear_object(&res);

	/* mistyped option */
	hfhub_dbus_manager_call_list_jobs(f->manager, g_variant_new_parsed("{'limit': <'ten'>}"),
					  NULL, await_cb, &res);
	g_assert_false(
		hfhub_dbus_manager_call_list_jobs_finish(f->manager, &paths, await(&res), &error));
	assert_call_error(error, HFHUB_ERROR_INVALID_ARGUMENT,
			  "io.github.hfhub.Hub1.Error.InvalidArgument");
	g_assert_nonnull(strstr(error->message, "limit"));
	g_clear_error(&error);
	g_clear_object(&res);

	/* unknown state nick */
	hfhub_dbus_manager_call_list_jobs(f->manager,
					  g_variant_new_parsed("{'states': <['sleeping']>}"), NULL,
					  await_cb, &res);
	g_assert_false(
		hfhub_dbus_manager_call_list_jobs_finish(f->manager, &paths, await(&res), &error));
	assert_call_error(error, HFHUB_ERROR_INVALID_ARGUMENT,
			  "io.github.hfhub.Hub1.Error.InvalidArgument");
	g_clear_error(&error);
	g_clear_object(&res);

	/* unknown job id */
	hfhub_dbus_manager_call_get_job(f->manager, 4242, NULL, await_cb, &res);
	g_assert_false(
		hfhub_dbus_manager_call_get_job_finish(f->manager, &path, await(&res), &error));
	assert_call_error(error, HFHUB_ERROR_JOB_NOT_FOUND,
			  "io.github.hfhub.Hub1.Error.JobNotFound");
	g_clear_error(&error);
	g_clear_object(&res);

	/* a files key smuggled into the options of Download */
	hfhub_dbus_manager_call_download(
		f->manager, "org/repo", "model", "main", (const gchar *const[]){ NULL },
		g_variant_new_parsed("{'files': <['a']>}"), NULL, await_cb, &res);
	g_assert_false(
		hfhub_dbus_manager_call_download_finish(f->manager, &path, await(&res), &error));
	assert_call_error(error, HFHUB_ERROR_INVALID_ARGUMENT,
			  "io.github.hfhub.Hub1.Error.InvalidArgument");
	g_clear_error(&error);
	g_clear_object(&res);

	/* a job path that is not one of ours: no such object */
	{
		g_autoptr(GVariant) reply = NULL;
		g_dbus_connection_call(f->client_conn, HFHUB_DBUS_NAME,
				       HFHUB_DBUS_JOBS_PATH "/not_a_number", HFHUB_DBUS_IFACE_JOB,
				       "Cancel", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
				       await_cb, &res);
		reply = g_dbus_connection_call_finish(f->client_conn, await(&res), &error);
		g_assert_null(reply);
		g_assert_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD);
		g_clear_error(&error);
		g_clear_object(&res);
	}

	/* nothing changed */
	{
		g_autoptr(GPtrArray) jobs = hfhub_engine_list_jobs(f->engine);
		g_autoptr(GVariant) counts_after = hfhub_dbus_manager_dup_job_counts(f->manager);
		g_assert_cmpuint(jobs->len, ==, 0);
		g_assert_true(g_variant_equal(counts_before, counts_after));
	}
}

static void
job_added_cb(HfhubDBusManager *manager, const gchar *path, gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GDBusObject) object = NULL;

	/* the object is there before the signal */
	object = g_dbus_object_manager_get_object(f->objects, path);
	g_assert_nonnull(object);
	g_object_set_data_full(G_OBJECT(manager), "added", g_strdup(path), g_free);
}

static void
finished_cb(HfhubDBusJob *job, const gchar *state, GVariant *details, gpointer user_data)
{
	guint *count = user_data;

	/* properties are final when Finished arrives */
	g_assert_cmpstr(hfhub_dbus_job_get_state(job), ==, state);
	(*count)++;
}

static void
test_job_lifecycle_success(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = NULL;
	g_autoptr(HfhubDBusJob) job = NULL;
	g_autoptr(GVariant) result = NULL;
	const gchar *s = NULL;
	guint finished = 0;

	g_signal_connect(f->manager, "job-added", G_CALLBACK(job_added_cb), f);
	path = add_held_job(f, NULL);
	while (g_object_get_data(G_OBJECT(f->manager), "added") == NULL)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(g_object_get_data(G_OBJECT(f->manager), "added"), ==, path);

	job = job_proxy(f, path);
	g_signal_connect(job, "finished", G_CALLBACK(finished_cb), &finished);
	g_assert_cmpstr(hfhub_dbus_job_get_kind(job), ==, "held");
	g_assert_cmpstr(hfhub_dbus_job_get_repo_id(job), ==, "org/repo");
	g_assert_cmpstr(hfhub_dbus_job_get_owner(job), ==,
			g_dbus_connection_get_unique_name(f->client_conn));
	wait_state(job, "running");
	while (hfhub_dbus_job_get_bytes_done(job) != 10)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(hfhub_dbus_job_get_bytes_total(job), ==, 100);
	while (g_strcmp0(hfhub_dbus_manager_get_state(f->manager), "busy") != 0)
		g_main_context_iteration(NULL, TRUE);

	release_one(FALSE);
	while (finished == 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(hfhub_dbus_job_get_state(job), ==, "succeeded");
	g_assert_cmpuint(hfhub_dbus_job_get_bytes_done(job), ==, 100);
	g_assert_cmpuint(hfhub_dbus_job_get_files_done(job), ==, 1);
	result = hfhub_dbus_job_dup_result(job);
	g_assert_true(g_variant_lookup(result, "path", "&s", &s));
	g_assert_cmpstr(s, ==, "/tmp/x");
	g_assert_cmpstr(hfhub_dbus_job_get_error_name(job), ==, "");

	/* exactly one Finished, even when the loop runs on */
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(finished, ==, 1);
	while (g_strcmp0(hfhub_dbus_manager_get_state(f->manager), "idle") != 0)
		g_main_context_iteration(NULL, TRUE);
}

static void
test_job_lifecycle_failure(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = add_held_job(f, NULL);
	g_autoptr(HfhubDBusJob) job = job_proxy(f, path);
	guint finished = 0;

	g_signal_connect(job, "finished", G_CALLBACK(finished_cb), &finished);
	wait_state(job, "running");
	release_one(TRUE);
	while (finished == 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(hfhub_dbus_job_get_state(job), ==, "failed");
	g_assert_cmpstr(hfhub_dbus_job_get_error_name(job), ==,
			"io.github.hfhub.Hub1.Error.RepoNotFound");
	g_assert_cmpstr(hfhub_dbus_job_get_error_message(job), ==, "no such repo");
}

static void
call_job(HfhubDBusJob *job, const gchar *method, GError **error)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GVariant) reply = NULL;

	g_dbus_proxy_call(G_DBUS_PROXY(job), method, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
			  await_cb, &res);
	reply = g_dbus_proxy_call_finish(G_DBUS_PROXY(job), await(&res), error);
}

static void
test_job_pause_resume_cancel(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = add_held_job(f, NULL);
	g_autoptr(HfhubDBusJob) job = job_proxy(f, path);
	g_autoptr(GError) error = NULL;
	guint finished = 0;

	g_signal_connect(job, "finished", G_CALLBACK(finished_cb), &finished);
	wait_state(job, "running");
	call_job(job, "Pause", &error);
	g_assert_no_error(error);
	wait_state(job, "paused");
	g_assert_cmpuint(held_tasks->len, ==, 0);
	g_assert_false(discarded);

	call_job(job, "Resume", &error);
	g_assert_no_error(error);
	wait_state(job, "running");
	g_assert_cmpuint(held_tasks->len, ==, 1);

	call_job(job, "Cancel", &error);
	g_assert_no_error(error);
	while (finished == 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpstr(hfhub_dbus_job_get_state(job), ==, "cancelled");
	g_assert_true(discarded);

	/* a finished job cannot be paused, resumed or cancelled */
	call_job(job, "Pause", &error);
	assert_call_error(error, HFHUB_ERROR_INVALID_STATE,
			  "io.github.hfhub.Hub1.Error.InvalidState");
	g_clear_error(&error);
	call_job(job, "Cancel", &error);
	assert_call_error(error, HFHUB_ERROR_INVALID_STATE,
			  "io.github.hfhub.Hub1.Error.InvalidState");
	g_clear_error(&error);
	g_assert_cmpuint(finished, ==, 1);
}

static void
test_job_queue_order(Fixture *f, gconstpointer data)
{
	/* max-running-jobs is 2 by default: the third waits, and the higher
	 * priority of the fourth makes it run before the third */
	g_autofree gchar *p1 = add_held_job(f, NULL);
	g_autofree gchar *p2 = add_held_job(f, NULL);
	g_autofree gchar *p3 = add_held_job(f, NULL);
	g_autofree gchar *p4 = add_held_job(f, g_variant_new_parsed("{'priority': <5>}"));
	g_autoptr(HfhubDBusJob) j1 = job_proxy(f, p1);
	g_autoptr(HfhubDBusJob) j3 = job_proxy(f, p3);
	g_autoptr(HfhubDBusJob) j4 = job_proxy(f, p4);

	wait_state(j1, "running");
	g_assert_cmpstr(hfhub_dbus_job_get_state(j3), ==, "queued");
	while (g_strcmp0(hfhub_dbus_job_get_state_reason(j3), "waiting for a free slot") != 0)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpint(hfhub_dbus_job_get_priority(j4), ==, 5);
	release_one(FALSE);
	wait_state(j4, "running");
	g_assert_cmpstr(hfhub_dbus_job_get_state(j3), ==, "queued");
}

/* An app that quits (or crashes) takes its attached jobs with it; a
 * detached job outlives it. */
static void
test_job_caller_vanishes(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GDBusConnection) app = g_dbus_connection_new_for_address_sync(
		g_test_dbus_get_bus_address(f->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	HfhubJob *attached, *detached;
	g_autofree gchar *p1 = NULL;
	g_autofree gchar *p2 = NULL;
	g_autoptr(HfhubDBusJob) j1 = NULL;
	g_autoptr(HfhubDBusJob) j2 = NULL;

	g_assert_no_error(error);
	attached = hfhub_engine_add_job(f->engine, "held", "model", "org/repo", "main", NULL,
					g_dbus_connection_get_unique_name(app), &error);
	g_assert_no_error(error);
	detached = hfhub_engine_add_job(f->engine, "held", "model", "org/repo", "main",
					g_variant_new_parsed("{'detach': <true>}"),
					g_dbus_connection_get_unique_name(app), &error);
	g_assert_no_error(error);
	p1 = hfhub_job_exported_path_for_id(hfhub_job_get_id(attached));
	p2 = hfhub_job_exported_path_for_id(hfhub_job_get_id(detached));
	j1 = job_proxy(f, p1);
	j2 = job_proxy(f, p2);
	wait_state(j1, "running");
	wait_state(j2, "running");

	g_dbus_connection_close_sync(app, NULL, &error);
	g_assert_no_error(error);
	wait_state(j1, "cancelled");
	g_assert_true(discarded);
	g_assert_cmpstr(hfhub_dbus_job_get_state(j2), ==, "running");
}

/* ---- all of a job's properties at once
 *
 * HfhubJobExported answers get_properties (GetManagedObjects,
 * InterfacesAdded) from a cached a{sv}. It must be what the generated code
 * answers: the same keys, types, values and order, for every property of the
 * interface, also after a change. */

static GVariant *
call_and_wait(Fixture *f, const gchar *path, const gchar *iface, const gchar *method,
	      GVariant *params, const gchar *reply_type)
{
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	GVariant *reply;

	g_dbus_connection_call(f->client_conn, HFHUB_DBUS_NAME, path, iface, method, params,
			       G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
			       await_cb, &res);
	reply = g_dbus_connection_call_finish(f->client_conn, await(&res), &error);
	g_assert_no_error(error);
	return reply;
}

/* the Job a{sv} of @path in GetManagedObjects (cached), and GetAll's
 * (the generated code, property by property) */
static void
assert_managed_equals_get_all(Fixture *f, const gchar *path, GVariant **out_managed)
{
	g_autoptr(GVariant) managed =
		call_and_wait(f, HFHUB_DBUS_PATH, "org.freedesktop.DBus.ObjectManager",
			      "GetManagedObjects", NULL, "(a{oa{sa{sv}}})");
	g_autoptr(GVariant) all =
		call_and_wait(f, path, "org.freedesktop.DBus.Properties", "GetAll",
			      g_variant_new("(s)", HFHUB_DBUS_IFACE_JOB), "(a{sv})");
	g_autoptr(GVariant) objects = g_variant_get_child_value(managed, 0);
	g_autoptr(GVariant) ifaces =
		g_variant_lookup_value(objects, path, G_VARIANT_TYPE("a{sa{sv}}"));
	g_autoptr(GVariant) props = NULL;
	g_autoptr(GVariant) all_props = g_variant_get_child_value(all, 0);
	GDBusInterfaceInfo *info = hfhub_dbus_job_interface_info();

	g_assert_nonnull(ifaces);
	props = g_variant_lookup_value(ifaces, HFHUB_DBUS_IFACE_JOB, G_VARIANT_TYPE_VARDICT);
	g_assert_nonnull(props);
	if (!g_variant_equal(props, all_props)) {
		g_autofree gchar *a = g_variant_print(props, TRUE);
		g_autofree gchar *b = g_variant_print(all_props, TRUE);
		g_error("GetManagedObjects: %s\nGetAll: %s", a, b);
	}
	/* every readable property of the interface, with its type: properties
	 * added to the XML later are checked too */
	for (guint i = 0; info->properties[i] != NULL; i++) {
		g_autoptr(GVariant) v = NULL;

		if (!(info->properties[i]->flags & G_DBUS_PROPERTY_INFO_FLAGS_READABLE))
			continue;
		v = g_variant_lookup_value(props, info->properties[i]->name,
					   G_VARIANT_TYPE(info->properties[i]->signature));
		g_assert_nonnull(v);
	}
	if (out_managed != NULL)
		*out_managed = g_steal_pointer(&props);
}

static void
test_job_properties_cache(Fixture *f, gconstpointer data)
{
	g_autofree gchar *path = add_held_job(f, g_variant_new_parsed("{'priority': <3>}"));
	g_autoptr(HfhubDBusJob) job = job_proxy(f, path);
	g_autoptr(GVariant) props = NULL;
	g_autoptr(HfhubJobExported) skel = NULL;
	GDBusInterfaceSkeletonClass *generated = g_type_class_peek(HFHUB_DBUS_TYPE_JOB_SKELETON);
	g_autoptr(GVariant) a = NULL;
	g_autoptr(GVariant) b = NULL;
	g_autoptr(GVariant) c = NULL;
	g_autoptr(GVariant) want = NULL;
	const gchar *s = NULL;
	guint64 t = 0;
	guint finished = 0;

	/* over the bus: queued or running, then finished */
	g_signal_connect(job, "finished", G_CALLBACK(finished_cb), &finished);
	wait_state(job, "running");
	while (hfhub_dbus_job_get_bytes_done(job) != 10)
		g_main_context_iteration(NULL, TRUE);
	assert_managed_equals_get_all(f, path, &props);
	g_assert_true(g_variant_lookup(props, "State", "&s", &s));
	g_assert_cmpstr(s, ==, "running");
	g_assert_true(g_variant_lookup(props, "BytesDone", "t", &t));
	g_assert_cmpuint(t, ==, 10);
	g_clear_pointer(&props, g_variant_unref);

	release_one(FALSE);
	while (finished == 0)
		g_main_context_iteration(NULL, TRUE);
	assert_managed_equals_get_all(f, path, &props);
	g_assert_true(g_variant_lookup(props, "State", "&s", &s));
	g_assert_cmpstr(s, ==, "succeeded");
	g_assert_true(g_variant_lookup(props, "BytesDone", "t", &t));
	g_assert_cmpuint(t, ==, 100);

	/* in process: the cache against the generated get_properties */
	skel = g_object_new(HFHUB_TYPE_JOB_EXPORTED, NULL);
	a = g_dbus_interface_skeleton_get_properties(G_DBUS_INTERFACE_SKELETON(skel));
	want = g_variant_take_ref(generated->get_properties(G_DBUS_INTERFACE_SKELETON(skel)));
	g_assert_true(g_variant_equal(a, want));
	g_clear_pointer(&want, g_variant_unref);
	/* unchanged: the same value */
	b = g_dbus_interface_skeleton_get_properties(G_DBUS_INTERFACE_SKELETON(skel));
	g_assert_true(a == b);
	/* a change, frozen or not, is seen */
	g_object_freeze_notify(G_OBJECT(skel));
	hfhub_dbus_job_set_state(HFHUB_DBUS_JOB(skel), "running");
	hfhub_dbus_job_set_bytes_done(HFHUB_DBUS_JOB(skel), 42);
	hfhub_dbus_job_set_options(HFHUB_DBUS_JOB(skel),
				   g_variant_new_parsed("{'include': <['*.json']>}"));
	g_object_thaw_notify(G_OBJECT(skel));
	hfhub_dbus_job_set_id(HFHUB_DBUS_JOB(skel), 7);
	c = g_dbus_interface_skeleton_get_properties(G_DBUS_INTERFACE_SKELETON(skel));
	g_assert_true(c != a);
	want = g_variant_take_ref(generated->get_properties(G_DBUS_INTERFACE_SKELETON(skel)));
	g_assert_true(g_variant_equal(c, want));
	g_assert_true(g_variant_lookup(c, "BytesDone", "t", &t));
	g_assert_cmpuint(t, ==, 42);
	g_assert_true(g_variant_lookup(c, "Id", "t", &t));
	g_assert_cmpuint(t, ==, 7);
	/* a value handed out earlier is not changed */
	g_assert_true(g_variant_lookup(a, "BytesDone", "t", &t));
	g_assert_cmpuint(t, ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	(void)hfhub_error_quark();

#define ADD(name, func) g_test_add(name, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/dbus/manager/properties", test_manager_properties);
	ADD("/dbus/manager/list-jobs", test_list_jobs);
	ADD("/dbus/manager/bad-input", test_bad_input);
	ADD("/dbus/job/lifecycle-success", test_job_lifecycle_success);
	ADD("/dbus/job/lifecycle-failure", test_job_lifecycle_failure);
	ADD("/dbus/job/pause-resume-cancel", test_job_pause_resume_cancel);
	ADD("/dbus/job/queue-order", test_job_queue_order);
	ADD("/dbus/job/caller-vanishes", test_job_caller_vanishes);
	ADD("/dbus/job/properties-cache", test_job_properties_cache);
#undef ADD
	return g_test_run();
}
