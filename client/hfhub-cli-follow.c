/* Following jobs until they finish.
 *
 * A job is done when its State is final (succeeded, failed, cancelled). We
 * watch both the State property and the Finished signal, and look at the
 * current state before waiting, so a job that finishes at any moment is
 * seen. If hfhubd goes away or forgets the job first, that is an error.
 *
 * Ctrl-C either cancels the jobs and keeps waiting until they report
 * cancelled (for jobs this command started), or just stops waiting; a
 * second Ctrl-C always stops waiting at once. */
#include "config.h"

#include "hfhub-cli-follow.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-error.h"

#define PROGRESS_TICK_MS 200

typedef struct {
	HfhubCli *cli;
	GPtrArray *jobs;
	HfhubFollowFlags flags;
	HfhubProgress *progress;
	GMainLoop *loop;
	GError *error;
	guint n_interrupts;
} Follow;

static void
update_progress(Follow *f)
{
	HfhubDBusJob *job;

	if (f->progress == NULL)
		return;
	job = g_ptr_array_index(f->jobs, 0);
	hfhub_progress_update(
		f->progress, hfhub_cli_job_state(job), hfhub_dbus_job_get_state_reason(job),
		hfhub_dbus_job_get_bytes_done(job), hfhub_dbus_job_get_bytes_total(job),
		hfhub_dbus_job_get_files_done(job), hfhub_dbus_job_get_files_total(job));
	hfhub_progress_draw(f->progress);
}

static gboolean
all_final(Follow *f)
{
	for (guint i = 0; i < f->jobs->len; i++) {
		if (!hfhub_cli_job_is_final(g_ptr_array_index(f->jobs, i)))
			return FALSE;
	}
	return TRUE;
}

static void
stop_with_error(Follow *f, GError *error)
{
	if (f->error == NULL)
		f->error = error;
	else
		g_error_free(error);
	g_main_loop_quit(f->loop);
}

static void
on_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data)
{
	Follow *f = user_data;

	if ((gpointer)proxy == g_ptr_array_index(f->jobs, 0))
		update_progress(f);
	if (all_final(f))
		g_main_loop_quit(f->loop);
}

static void
on_finished(HfhubDBusJob *job, const gchar *state, GVariant *details, gpointer user_data)
{
	Follow *f = user_data;

	hfhub_cli_job_set_final_state(job, state);
	if (all_final(f))
		g_main_loop_quit(f->loop);
}

static void
on_name_owner(GObject *object, GParamSpec *pspec, gpointer user_data)
{
	Follow *f = user_data;
	g_autofree gchar *owner = g_dbus_proxy_get_name_owner(G_DBUS_PROXY(object));

	if (owner != NULL)
		return;
	stop_with_error(f, g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED, "%s",
				       _("hfhubd stopped before the job finished; it continues "
					 "when hfhubd runs again (see “hfhub jobs ls”)")));
}

static void
on_connection_closed(GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
		     gpointer user_data)
{
	Follow *f = user_data;

	stop_with_error(f, g_error_new(G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED, "%s",
				       _("The connection to hfhubd was closed before the job "
					 "finished")));
}

static void
on_job_removed(HfhubDBusManager *manager, const gchar *path, gpointer user_data)
{
	Follow *f = user_data;

	const gchar *id = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;

	for (guint i = 0; i < f->jobs->len; i++) {
		HfhubDBusJob *job = g_ptr_array_index(f->jobs, i);

		if (g_strcmp0(g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)), path) != 0 ||
		    hfhub_cli_job_is_final(job))
			continue;
		stop_with_error(f, g_error_new(HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND,
					       /* TRANSLATORS: %s is a job ID */
					       _("Job %s was removed before it finished"), id));
	}
}

static gboolean
on_tick(gpointer user_data)
{
	Follow *f = user_data;

	hfhub_progress_draw(f->progress);
	return G_SOURCE_CONTINUE;
}

static void
on_cancel_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	HfhubCli *cli = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *message = NULL;
	g_autofree gchar *text = NULL;

	if (hfhub_dbus_job_call_cancel_finish(HFHUB_DBUS_JOB(source), result, &error))
		return;
	/* finished in the meantime: nothing to cancel */
	if (g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_STATE) || cli->json)
		return;
	message = hfhub_cli_error_message(error);
	/* TRANSLATORS: %s is the reason */
	text = g_strdup_printf(_("Could not cancel the job: %s"), message);
	hfhub_console_print_warning(&cli->console, text);
}

static gboolean
on_sigint(gpointer user_data)
{
	Follow *f = user_data;

	f->n_interrupts++;
	if ((f->flags & HFHUB_FOLLOW_CANCEL_ON_INTERRUPT) == 0 || f->n_interrupts > 1) {
		g_main_loop_quit(f->loop);
		return G_SOURCE_CONTINUE;
	}
	for (guint i = 0; i < f->jobs->len; i++) {
		HfhubDBusJob *job = g_ptr_array_index(f->jobs, i);

		if (!hfhub_cli_job_is_final(job))
			hfhub_dbus_job_call_cancel(job, NULL, on_cancel_done, f->cli);
	}
	if (f->progress != NULL) {
		/* TRANSLATORS: shown instead of the progress bar after Ctrl-C */
		hfhub_progress_set_message(f->progress,
					   _("Cancelling… (Ctrl-C again to stop waiting)"));
		hfhub_progress_draw(f->progress);
	}
	return G_SOURCE_CONTINUE;
}

/* Waits until every job in jobs (HfhubDBusJob proxies) is final, drawing
 * progress for the first one if progress is not NULL. Returns FALSE if the
 * jobs could not be followed; *interrupted tells whether Ctrl-C was pressed
 * (then the jobs may not all be final). */
gboolean
hfhub_cli_follow_jobs(HfhubCli *cli, GPtrArray *jobs, HfhubFollowFlags flags,
		      HfhubProgress *progress, gboolean *interrupted, GError **error)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	Follow f = { cli, jobs, flags, progress, loop, NULL, 0 };
	guint sigint_id;
	guint tick_id = 0;

	*interrupted = FALSE;
	for (guint i = 0; i < jobs->len; i++) {
		HfhubDBusJob *job = g_ptr_array_index(jobs, i);

		g_signal_connect(job, "g-properties-changed", G_CALLBACK(on_properties_changed),
				 &f);
		g_signal_connect(job, "finished", G_CALLBACK(on_finished), &f);
		if (cli->bus_name != NULL)
			g_signal_connect(job, "notify::g-name-owner", G_CALLBACK(on_name_owner),
					 &f);
	}
	g_signal_connect(cli->connection, "closed", G_CALLBACK(on_connection_closed), &f);
	g_signal_connect(cli->manager, "job-removed", G_CALLBACK(on_job_removed), &f);
	sigint_id = g_unix_signal_add(SIGINT, on_sigint, &f);
	if (progress != NULL)
		tick_id = g_timeout_add(PROGRESS_TICK_MS, on_tick, &f);

	/* the state now, before waiting for changes */
	update_progress(&f);
	if (cli->bus_name != NULL) {
		g_autofree gchar *owner =
			g_dbus_proxy_get_name_owner(G_DBUS_PROXY(g_ptr_array_index(jobs, 0)));
		if (owner == NULL)
			on_name_owner(G_OBJECT(g_ptr_array_index(jobs, 0)), NULL, &f);
	}
	if (f.error == NULL && !all_final(&f))
		g_main_loop_run(loop);

	if (progress != NULL)
		hfhub_progress_clear(progress);
	if (tick_id != 0)
		g_source_remove(tick_id);
	g_source_remove(sigint_id);
	g_signal_handlers_disconnect_by_data(cli->manager, &f);
	g_signal_handlers_disconnect_by_data(cli->connection, &f);
	for (guint i = 0; i < jobs->len; i++)
		g_signal_handlers_disconnect_by_data(g_ptr_array_index(jobs, i), &f);

	*interrupted = f.n_interrupts > 0;
	if (f.error != NULL) {
		g_propagate_error(error, f.error);
		return FALSE;
	}
	return TRUE;
}

/* what a finished (or, after Ctrl-C, unfinished) job means for the user */
static gint
report_job(HfhubCli *cli, HfhubDBusJob *job, gboolean interrupted, HfhubCliPrintResult print_result,
	   gpointer user_data)
{
	const gchar *state = hfhub_cli_job_state(job);
	const gchar *error_name = hfhub_dbus_job_get_error_name(job);
	gint exit_code;

	if (g_strcmp0(state, "succeeded") == 0)
		exit_code = HFHUB_EXIT_OK;
	else if (interrupted)
		exit_code = HFHUB_EXIT_INTERRUPTED;
	else if (g_strcmp0(state, "failed") == 0 &&
		 hfhub_cli_exit_code_for_name(error_name) == HFHUB_EXIT_NOT_FOUND)
		exit_code = HFHUB_EXIT_NOT_FOUND;
	else
		exit_code = HFHUB_EXIT_JOB_FAILED;

	if (cli->json) {
		g_autoptr(JsonNode) node = hfhub_json_job(job);
		hfhub_json_print(node);
		return exit_code;
	}
	if (exit_code == HFHUB_EXIT_OK) {
		print_result(cli, job, user_data);
	} else if (g_strcmp0(state, "failed") == 0) {
		hfhub_console_print_error(&cli->console, hfhub_dbus_job_get_error_message(job));
	} else if (g_strcmp0(state, "cancelled") == 0) {
		g_autofree gchar *id = hfhub_format_job_id(job);
		/* TRANSLATORS: %s is a job ID */
		g_autofree gchar *text = g_strdup_printf(_("Job %s was cancelled."), id);
		hfhub_console_print_error(&cli->console, text);
	} else if (interrupted) {
		g_autofree gchar *id = hfhub_format_job_id(job);
		/* TRANSLATORS: %s is a job ID, in a command to type */
		g_autofree gchar *text =
			g_strdup_printf(_("Stopped waiting; the job may still be cancelling (see "
					  "“hfhub jobs show %s”)."),
					id);
		hfhub_console_print_error(&cli->console, text);
	}
	return exit_code;
}

gint
hfhub_cli_follow_and_report(HfhubCli *cli, const gchar *job_path, gboolean detach, gboolean quiet,
			    HfhubCliPrintResult print_result, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubDBusJob) job = hfhub_cli_job_proxy_new(cli, job_path, &error);
	g_autoptr(HfhubProgress) progress = NULL;
	g_autoptr(GPtrArray) jobs = NULL;
	gboolean interrupted = FALSE;

	if (job == NULL)
		return hfhub_cli_fail(cli, error);
	if (detach)
		return hfhub_cli_report_detached(cli, job);
	if (!cli->json && !quiet && cli->console.progress)
		progress = hfhub_progress_new(STDERR_FILENO, cli->console.utf8,
					      cli->console.color_stderr, cli->console.dumb);
	jobs = g_ptr_array_new();
	g_ptr_array_add(jobs, job);
	if (!hfhub_cli_follow_jobs(cli, jobs, HFHUB_FOLLOW_CANCEL_ON_INTERRUPT, progress,
				   &interrupted, &error))
		return hfhub_cli_fail(cli, error);
	return report_job(cli, job, interrupted, print_result, user_data);
}
