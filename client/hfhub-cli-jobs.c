/* hfhub jobs ls|show|cancel|pause|resume|wait */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCli"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-cli-commands.h"
#include "hfhub-cli-follow.h"
#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-cli-repo.h"
#include "hfhub-enums.h"
#include "hfhub-error.h"
#include "hfhub-names.h"
#include "hfhub-table.h"
#include "hfhub-text.h"

/* "--state queued,running --state paused" → valid nicks; FALSE on a usage
 * error */
static gboolean
collect_states(HfhubCli *cli, gchar **args, GPtrArray *states, gint *exit_code)
{
	for (guint i = 0; args != NULL && args[i] != NULL; i++) {
		g_auto(GStrv) parts = g_strsplit(args[i], ",", -1);

		for (guint j = 0; parts[j] != NULL; j++) {
			HfhubJobState state;
			const gchar *nick = g_strstrip(parts[j]);

			if (!hfhub_job_state_from_string(nick, &state)) {
				*exit_code = hfhub_cli_usage_error(
					cli,
					/* TRANSLATORS: %s is what the user typed; do not translate
					 * the list of states */
					_("Unknown state “%s”: use queued, running, paused, "
					  "succeeded, failed or cancelled."),
					nick);
				return FALSE;
			}
			g_ptr_array_add(states, g_strdup(nick));
		}
	}
	return TRUE;
}

/* the jobs at paths, oldest first; a job that went away meanwhile is left
 * out */
static GPtrArray *
get_jobs(HfhubCli *cli, const gchar *const *paths, GError **error)
{
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) om_error = NULL;
	GDBusObjectManager *om = hfhub_cli_get_object_manager(cli, &om_error);

	if (om == NULL)
		g_debug("no object manager, asking job by job: %s", om_error->message);
	for (guint i = 0; paths[i] != NULL; i++) {
		GDBusInterface *iface = NULL;
		g_autoptr(GError) local_error = NULL;
		HfhubDBusJob *job;

		if (om != NULL)
			iface = g_dbus_object_manager_get_interface(om, paths[i],
								    HFHUB_DBUS_IFACE_JOB);
		if (iface != NULL) {
			g_ptr_array_add(jobs, iface);
			continue;
		}
		job = hfhub_cli_job_proxy_new(cli, paths[i], &local_error);
		if (job != NULL) {
			g_ptr_array_add(jobs, job);
		} else if (!g_error_matches(local_error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return NULL;
		}
	}
	return g_steal_pointer(&jobs);
}

static void
print_jobs_json(GPtrArray *jobs)
{
	JsonArray *array = json_array_new();
	JsonObject *object = json_object_new();
	g_autoptr(JsonNode) node = NULL;

	for (guint i = 0; i < jobs->len; i++)
		json_array_add_element(array, hfhub_json_job(g_ptr_array_index(jobs, i)));
	json_object_set_array_member(object, "jobs", array);
	node = hfhub_json_take_object(object);
	hfhub_json_print(node);
}

/* ISO 8601 in UTC, for CSV; "" for no time */
static gchar *
format_iso_time(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = unix_time > 0 ? g_date_time_new_from_unix_utc(unix_time) : NULL;

	return dt != NULL ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

/* A table that fits the terminal (columns dropped by priority, and said
 * so), or CSV with exact values */
static void
print_jobs_list(HfhubCli *cli, GPtrArray *jobs, HfhubListFormat format, gboolean no_truncate)
{
	/* TRANSLATORS: column headers of "hfhub jobs ls" */
	const HfhubListColumn columns[] = {
		{ _("ID"), "id", 0, TRUE },
		{ _("KIND"), "kind", 4, FALSE },
		{ _("STATE"), "state", 0, FALSE },
		{ _("REASON"), "state_reason", 3, FALSE },
		{ _("REPO"), "repo", 0, FALSE },
		{ _("REVISION"), "revision", 6, FALSE },
		{ _("PROGRESS"), "bytes_done", 2, FALSE },
		{ _("UPDATED"), "updated", 5, FALSE },
	};
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GPtrArray) raw_rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);

	for (guint i = 0; i < jobs->len; i++) {
		HfhubDBusJob *job = g_ptr_array_index(jobs, i);
		const gchar *revision = hfhub_dbus_job_get_revision(job);
		gchar **row = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);
		gchar **raw;

		row[0] = hfhub_format_job_id(job);
		row[1] = g_strdup(hfhub_dbus_job_get_kind(job));
		row[2] = g_strdup(hfhub_dbus_job_get_state(job));
		row[3] = g_strdup(hfhub_dbus_job_get_state_reason(job));
		row[4] = hfhub_format_repo(hfhub_dbus_job_get_repo_type(job),
					   hfhub_dbus_job_get_repo_id(job));
		/* "" means the default branch */
		row[5] = g_strdup(revision != NULL && *revision != '\0' ? revision : "main");
		row[6] = hfhub_format_job_progress(job);
		row[7] = hfhub_format_time(hfhub_dbus_job_get_updated(job));
		raw = g_strdupv(row);
		g_free(raw[6]);
		raw[6] = g_strdup_printf("%" G_GUINT64_FORMAT, hfhub_dbus_job_get_bytes_done(job));
		g_free(raw[7]);
		raw[7] = format_iso_time(hfhub_dbus_job_get_updated(job));
		g_ptr_array_add(rows, row);
		g_ptr_array_add(raw_rows, raw);
	}
	hfhub_cli_print_list(cli, columns, G_N_ELEMENTS(columns), rows, raw_rows, format,
			     no_truncate);
}

/* hfhub jobs ls [--state STATE]... [-q] [--format F] [--no-truncate] */
gint
hfhub_cli_cmd_jobs_ls(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(GStrv) state_args = NULL;
	gboolean quiet = FALSE;
	gboolean no_truncate = FALSE;
	g_autofree gchar *format_arg = NULL;
	HfhubListFormat format;
	const GOptionEntry entries[] = {
		{ "state", 0, 0, G_OPTION_ARG_STRING_ARRAY, &state_args,
		  /* TRANSLATORS: command line option */
		  N_("Only jobs in this state (queued, running, paused, succeeded, failed, "
		     "cancelled); may be repeated"),
		  N_("STATE") },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
		  /* TRANSLATORS: command line option */
		  N_("Print only the job IDs, one per line"), NULL },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &format_arg,
		  /* TRANSLATORS: command line option */
		  N_("table (the default), csv or json"), N_("FORMAT") },
		{ "no-truncate", 0, 0, G_OPTION_ARG_NONE, &no_truncate,
		  /* TRANSLATORS: command line option */
		  N_("Show every column without fitting the table to the terminal"), NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, NULL, _("List the jobs hfhubd knows, oldest first."), entries);
	g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GVariantDict) options = g_variant_dict_new(NULL);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) paths = NULL;
	g_autoptr(GPtrArray) jobs = NULL;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	if (!collect_states(cli, state_args, states, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_list_format(cli, format_arg, &format, &exit_code))
		return exit_code;

	if (states->len > 0)
		g_variant_dict_insert_value(
			options, "states",
			g_variant_new_strv((const gchar *const *)states->pdata, states->len));
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_manager_call_list_jobs_sync(cli->manager, g_variant_dict_end(options),
						    &paths, NULL, &error))
		return hfhub_cli_fail(cli, error);
	jobs = get_jobs(cli, (const gchar *const *)paths, &error);
	if (jobs == NULL)
		return hfhub_cli_fail(cli, error);

	if (cli->json) {
		print_jobs_json(jobs);
	} else if (quiet) {
		for (guint i = 0; i < jobs->len; i++) {
			g_autofree gchar *id = hfhub_format_job_id(g_ptr_array_index(jobs, i));
			hfhub_console_print_line(id);
		}
	} else if (jobs->len == 0 && format == HFHUB_LIST_TABLE) {
		hfhub_console_print_line(_("No jobs."));
	} else {
		print_jobs_list(cli, jobs, format, no_truncate);
	}
	return HFHUB_EXIT_OK;
}

static void
print_kv_clean(HfhubCli *cli, const gchar *key, const gchar *value)
{
	g_autofree gchar *clean = hfhub_text_sanitize(value, TRUE);
	hfhub_console_print_kv(&cli->console, key, clean);
}

static void
print_job_details(HfhubCli *cli, HfhubDBusJob *job)
{
	g_autofree gchar *id = hfhub_format_job_id(job);
	const gchar *state = hfhub_dbus_job_get_state(job);
	g_autofree gchar *state_clean = hfhub_text_sanitize(state, FALSE);
	g_autofree gchar *state_text = hfhub_console_colorize(
		&cli->console, STDOUT_FILENO, hfhub_console_state_color(state), state_clean);
	g_autofree gchar *priority = g_strdup_printf("%d", hfhub_dbus_job_get_priority(job));
	g_autofree gchar *created = hfhub_format_time(hfhub_dbus_job_get_created(job));
	g_autofree gchar *updated = hfhub_format_time(hfhub_dbus_job_get_updated(job));
	guint64 done = hfhub_dbus_job_get_bytes_done(job);
	guint64 total = hfhub_dbus_job_get_bytes_total(job);
	g_autofree gchar *done_size = g_format_size(done);
	g_autofree gchar *total_size = g_format_size(total);
	g_autofree gchar *bytes_done =
		g_strdup_printf("%" G_GUINT64_FORMAT " (%s)", done, done_size);
	g_autofree gchar *bytes_total =
		g_strdup_printf("%" G_GUINT64_FORMAT " (%s)", total, total_size);
	g_autofree gchar *files_done = g_strdup_printf("%u", hfhub_dbus_job_get_files_done(job));
	g_autofree gchar *files_total = g_strdup_printf("%u", hfhub_dbus_job_get_files_total(job));
	g_autofree gchar *options = hfhub_format_dict(hfhub_dbus_job_get_options(job));
	g_autofree gchar *result = hfhub_format_dict(hfhub_dbus_job_get_result(job));

	/* TRANSLATORS: the labels of "hfhub jobs show", one per Job property */
	hfhub_console_print_kv(&cli->console, _("ID"), id);
	print_kv_clean(cli, _("Path"), g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)));
	print_kv_clean(cli, _("Kind"), hfhub_dbus_job_get_kind(job));
	hfhub_console_print_kv(&cli->console, _("State"), state_text);
	print_kv_clean(cli, _("State reason"), hfhub_dbus_job_get_state_reason(job));
	print_kv_clean(cli, _("Repository type"), hfhub_dbus_job_get_repo_type(job));
	print_kv_clean(cli, _("Repository"), hfhub_dbus_job_get_repo_id(job));
	print_kv_clean(cli, _("Revision"), hfhub_dbus_job_get_revision(job));
	hfhub_console_print_kv(&cli->console, _("Priority"), priority);
	print_kv_clean(cli, _("Owner"), hfhub_dbus_job_get_owner(job));
	print_kv_clean(cli, _("Owner app"), hfhub_dbus_job_get_owner_app(job));
	print_kv_clean(cli, _("Owner executable"), hfhub_dbus_job_get_owner_executable(job));
	hfhub_console_print_kv(&cli->console, _("Created"), created);
	hfhub_console_print_kv(&cli->console, _("Updated"), updated);
	hfhub_console_print_kv(&cli->console, _("Bytes done"), bytes_done);
	hfhub_console_print_kv(&cli->console, _("Bytes total"), bytes_total);
	hfhub_console_print_kv(&cli->console, _("Files done"), files_done);
	hfhub_console_print_kv(&cli->console, _("Files total"), files_total);
	print_kv_clean(cli, _("Error"), hfhub_dbus_job_get_error_name(job));
	print_kv_clean(cli, _("Error message"), hfhub_dbus_job_get_error_message(job));
	print_kv_clean(cli, _("Options"), options);
	print_kv_clean(cli, _("Result"), result);
}

/* hfhub jobs show ID */
gint
hfhub_cli_cmd_jobs_show(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("ID"), _("Show every property of a job."), NULL);
	g_autoptr(GArray) ids = NULL;
	g_autoptr(HfhubDBusJob) job = NULL;
	g_autoptr(GError) error = NULL;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_job_ids(cli, argc, argv, &ids, &exit_code))
		return exit_code;
	if (ids->len > 1)
		return hfhub_cli_usage_error(cli, "%s", _("Give one job ID."));

	job = hfhub_cli_get_job(cli, g_array_index(ids, guint64, 0), &error);
	if (job == NULL)
		return hfhub_cli_fail(cli, error);
	if (cli->json) {
		g_autoptr(JsonNode) node = hfhub_json_job(job);
		hfhub_json_print(node);
	} else {
		print_job_details(cli, job);
	}
	return HFHUB_EXIT_OK;
}

typedef enum {
	ACTION_CANCEL,
	ACTION_PAUSE,
	ACTION_RESUME,
} Action;

static gboolean
call_action(HfhubDBusJob *job, Action action, GError **error)
{
	switch (action) {
	case ACTION_CANCEL:
		return hfhub_dbus_job_call_cancel_sync(job, NULL, error);
	case ACTION_PAUSE:
		return hfhub_dbus_job_call_pause_sync(job, NULL, error);
	case ACTION_RESUME:
	default:
		return hfhub_dbus_job_call_resume_sync(job, NULL, error);
	}
}

static gchar *
action_done_text(Action action, const gchar *id)
{
	switch (action) {
	case ACTION_CANCEL:
		/* TRANSLATORS: %s is a job ID */
		return g_strdup_printf(_("Job %s cancelled."), id);
	case ACTION_PAUSE:
		/* TRANSLATORS: %s is a job ID */
		return g_strdup_printf(_("Job %s paused."), id);
	case ACTION_RESUME:
	default:
		/* TRANSLATORS: %s is a job ID */
		return g_strdup_printf(_("Job %s resumed."), id);
	}
}

/* One job; on failure the error is returned for the caller to report. */
static gboolean
act_on_job(HfhubCli *cli, guint64 id, Action action, JsonArray *done, GError **error)
{
	g_autoptr(HfhubDBusJob) job = hfhub_cli_get_job(cli, id, error);
	g_autofree gchar *id_str = g_strdup_printf("%" G_GUINT64_FORMAT, id);

	if (job == NULL || !call_action(job, action, error))
		return FALSE;
	if (cli->json) {
		/* a fresh read: the cached properties predate the call */
		g_autoptr(HfhubDBusJob) fresh = NULL;
		g_autoptr(GError) local_error = NULL;

		fresh = hfhub_cli_job_proxy_new(
			cli, g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)), &local_error);
		json_array_add_element(done, hfhub_json_job(fresh != NULL ? fresh : job));
	} else {
		g_autofree gchar *text = action_done_text(action, id_str);
		hfhub_console_print_line(text);
	}
	return TRUE;
}

/* JSON: {"jobs": [job…], "errors": [{"id", "name", "message"}…]}, plus
 * "error" (the first error) when there is one, like any failed command */
/* whether hfhubd's @message already says which job ("job 12 has …"), so
 * that it needs no "job 12:" in front */
static gboolean
names_job(const gchar *message, const gchar *id)
{
	g_autofree gchar *needle = g_strdup_printf("job %s", id);
	const gchar *at = strstr(message, needle);

	return at != NULL && !g_ascii_isdigit(at[strlen(needle)]);
}

static gint
run_action(HfhubCli *cli, gint argc, gchar **argv, Action action, const gchar *summary)
{
	g_autoptr(GOptionContext) context =
		hfhub_cli_option_context_new(cli, _("ID…"), summary, NULL);
	g_autoptr(GArray) ids = NULL;
	g_autoptr(GError) error = NULL;
	JsonArray *done = json_array_new();
	JsonArray *errors = json_array_new();
	JsonNode *first_error = NULL;
	gint exit_code = HFHUB_EXIT_OK;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code) ||
	    !hfhub_cli_parse_job_ids(cli, argc, argv, &ids, &exit_code)) {
		json_array_unref(done);
		json_array_unref(errors);
		return exit_code;
	}
	if (!hfhub_cli_connect(cli, &error)) {
		json_array_unref(done);
		json_array_unref(errors);
		return hfhub_cli_fail(cli, error);
	}

	for (guint i = 0; i < ids->len; i++) {
		guint64 id = g_array_index(ids, guint64, i);
		g_autoptr(GError) job_error = NULL;
		g_autofree gchar *name = NULL;
		g_autofree gchar *message = NULL;
		g_autofree gchar *id_str = g_strdup_printf("%" G_GUINT64_FORMAT, id);

		if (act_on_job(cli, id, action, done, &job_error))
			continue;
		name = hfhub_cli_error_name(job_error);
		message = hfhub_cli_error_message(job_error);
		if (exit_code == HFHUB_EXIT_OK)
			exit_code = hfhub_cli_exit_code_for_error(job_error);
		if (cli->json) {
			JsonNode *entry = hfhub_json_error_object(name, message);

			json_object_set_int_member(json_node_get_object(entry), "id", (gint64)id);
			if (first_error == NULL)
				first_error = hfhub_json_error_object(name, message);
			json_array_add_element(errors, entry);
		} else if (names_job(message, id_str)) {
			hfhub_console_print_error(&cli->console, message);
		} else {
			g_autofree gchar *text =
				/* TRANSLATORS: %s is a job ID, then the error message */
				g_strdup_printf(_("job %s: %s"), id_str, message);
			hfhub_console_print_error(&cli->console, text);
		}
	}

	if (cli->json) {
		JsonObject *object = json_object_new();
		g_autoptr(JsonNode) node = NULL;

		json_object_set_array_member(object, "jobs", done);
		json_object_set_array_member(object, "errors", errors);
		if (first_error != NULL)
			json_object_set_member(object, "error", first_error);
		node = hfhub_json_take_object(object);
		hfhub_json_print(node);
	} else {
		json_array_unref(done);
		json_array_unref(errors);
	}
	return exit_code;
}

gint
hfhub_cli_cmd_jobs_cancel(HfhubCli *cli, gint argc, gchar **argv)
{
	return run_action(cli, argc, argv, ACTION_CANCEL,
			  _("Cancel jobs for good; their partial files are removed."));
}

gint
hfhub_cli_cmd_jobs_pause(HfhubCli *cli, gint argc, gchar **argv)
{
	return run_action(cli, argc, argv, ACTION_PAUSE,
			  _("Pause jobs, keeping what they have transferred."));
}

gint
hfhub_cli_cmd_jobs_resume(HfhubCli *cli, gint argc, gchar **argv)
{
	return run_action(cli, argc, argv, ACTION_RESUME, _("Queue paused jobs again."));
}

static void
print_final_state(HfhubCli *cli, HfhubDBusJob *job)
{
	g_autofree gchar *id = hfhub_format_job_id(job);
	const gchar *state = hfhub_cli_job_state(job);
	g_autofree gchar *text = NULL;

	if (g_strcmp0(state, "succeeded") == 0) {
		/* TRANSLATORS: %s is a job ID */
		text = g_strdup_printf(_("Job %s succeeded."), id);
		hfhub_console_print_line(text);
	} else if (g_strcmp0(state, "cancelled") == 0) {
		/* TRANSLATORS: %s is a job ID */
		text = g_strdup_printf(_("Job %s was cancelled."), id);
		hfhub_console_print_line(text);
	} else {
		/* TRANSLATORS: %s is a job ID, then the error message */
		text = g_strdup_printf(_("Job %s failed: %s"), id,
				       hfhub_dbus_job_get_error_message(job));
		hfhub_console_print_error(&cli->console, text);
	}
}

/* hfhub jobs wait ID… */
gint
hfhub_cli_cmd_jobs_wait(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("ID…"),
		_("Wait until each job has succeeded, failed or been cancelled. Exits with 0 "
		  "if all succeeded, else 5."),
		NULL);
	g_autoptr(GArray) ids = NULL;
	g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(HfhubProgress) progress = NULL;
	g_autoptr(GError) error = NULL;
	gboolean interrupted = FALSE;
	gint exit_code = HFHUB_EXIT_OK;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_job_ids(cli, argc, argv, &ids, &exit_code))
		return exit_code;
	for (guint i = 0; i < ids->len; i++) {
		HfhubDBusJob *job = hfhub_cli_get_job(cli, g_array_index(ids, guint64, i), &error);
		if (job == NULL)
			return hfhub_cli_fail(cli, error);
		g_ptr_array_add(jobs, job);
	}

	if (jobs->len == 1 && !cli->json && cli->console.progress)
		progress = hfhub_progress_new(STDERR_FILENO, cli->console.utf8,
					      cli->console.color_stderr, cli->console.dumb);
	if (!hfhub_cli_follow_jobs(cli, jobs, HFHUB_FOLLOW_NONE, progress, &interrupted, &error))
		return hfhub_cli_fail(cli, error);
	if (interrupted)
		return HFHUB_EXIT_INTERRUPTED;

	for (guint i = 0; i < jobs->len; i++) {
		HfhubDBusJob *job = g_ptr_array_index(jobs, i);

		if (g_strcmp0(hfhub_cli_job_state(job), "succeeded") != 0)
			exit_code = HFHUB_EXIT_JOB_FAILED;
		if (!cli->json)
			print_final_state(cli, job);
	}
	if (cli->json)
		print_jobs_json(jobs);
	return exit_code;
}
