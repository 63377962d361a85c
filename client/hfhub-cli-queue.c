/* hfhub jobs prio, hfhub daemon config get|set: steering the queue. */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <unistd.h>

#include "hfhub-cli-commands.h"
#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-text.h"

/* hfhub jobs prio ID PRIORITY */
gint
hfhub_cli_cmd_jobs_prio(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("ID PRIORITY"),
		_("Change a job's priority: higher runs first, 0 is the default."), NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubDBusJob) job = NULL;
	guint64 id;
	gint64 priority;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc != 3)
		return hfhub_cli_usage_error(cli, _("Give a job ID and a priority."));
	if (!hfhub_cli_parse_job_id(argv[1], &id))
		return hfhub_cli_usage_error(cli, _("“%s” is not a job ID."), argv[1]);
	if (!g_ascii_string_to_signed(argv[2], 10, -1000, 1000, &priority, NULL))
		return hfhub_cli_usage_error(
			cli, _("“%s” is not a priority: give a whole number from -1000 to 1000."),
			argv[2]);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	job = hfhub_cli_get_job(cli, id, &error);
	if (job == NULL ||
	    !hfhub_dbus_job_call_set_priority_sync(job, (gint)priority, NULL, &error))
		return hfhub_cli_fail(cli, error);
	if (cli->json) {
		g_autoptr(HfhubDBusJob) fresh = hfhub_cli_job_proxy_new(
			cli, g_dbus_proxy_get_object_path(G_DBUS_PROXY(job)), NULL);
		g_autoptr(JsonNode) node = hfhub_json_job(fresh != NULL ? fresh : job);
		hfhub_json_print(node);
	} else {
		g_autofree gchar *text =
			/* TRANSLATORS: a job ID, then a number */
			g_strdup_printf(_("Job %s now has priority %d."), argv[1], (gint)priority);
		hfhub_console_print_line(text);
	}
	return HFHUB_EXIT_OK;
}

static gchar *
value_text(GVariant *value)
{
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
		return g_variant_dup_string(value, NULL);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT64))
		return g_strdup_printf("%" G_GUINT64_FORMAT, g_variant_get_uint64(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_UINT32))
		return g_strdup_printf("%u", g_variant_get_uint32(value));
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
		return g_strdup(g_variant_get_boolean(value) ? "true" : "false");
	return g_variant_print(value, FALSE);
}

/* hfhub daemon config get [KEY…] */
gint
hfhub_cli_cmd_daemon_config_get(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("[KEY…]"),
		_("Show the daemon's settings (all of them, or the KEYs named as group.key)."),
		NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) config = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		g_variant_dict_insert(&options, "keys", "^as", argv + 1);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_manager_call_get_config_sync(cli->manager, g_variant_dict_end(&options),
						     &config, NULL, &error))
		return hfhub_cli_fail(cli, error);
	if (cli->json) {
		g_autoptr(JsonNode) node = hfhub_json_from_variant(config);
		hfhub_json_print(node);
		return HFHUB_EXIT_OK;
	}
	{
		GVariantIter iter;
		const gchar *key;
		GVariant *value;
		guint column = 0;

		/* the values in one column, past the longest key */
		g_variant_iter_init(&iter, config);
		while (g_variant_iter_next(&iter, "{&sv}", &key, NULL))
			column = MAX(column, hfhub_text_width(key) + 2);
		g_variant_iter_init(&iter, config);
		while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
			g_autofree gchar *text = value_text(value);
			g_autofree gchar *safe = hfhub_text_sanitize(text, FALSE);
			hfhub_console_print_kv_at(&cli->console, key, safe, column);
			g_variant_unref(value);
		}
	}
	return HFHUB_EXIT_OK;
}

/* hfhub daemon config set KEY VALUE */
gint
hfhub_cli_cmd_daemon_config_set(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("KEY VALUE"),
		_("Change a setting of the daemon now (running jobs included) and save it in "
		  "hfhubd.conf. Example: hfhub daemon config set download.bandwidth-limit "
		  "5000000"),
		NULL);
	g_autoptr(GError) error = NULL;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc != 3)
		return hfhub_cli_usage_error(cli, _("Give a setting (group.key) and its value."));
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	/* a string: the daemon parses it with the setting's own type */
	if (!hfhub_dbus_manager_call_set_config_sync(
		    cli->manager, argv[1], g_variant_new_variant(g_variant_new_string(argv[2])),
		    g_variant_new("a{sv}", NULL), NULL, &error))
		return hfhub_cli_fail(cli, error);
	if (cli->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_autoptr(JsonNode) node = NULL;

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "key");
		json_builder_add_string_value(builder, argv[1]);
		json_builder_set_member_name(builder, "value");
		json_builder_add_string_value(builder, argv[2]);
		json_builder_end_object(builder);
		node = json_builder_get_root(builder);
		hfhub_json_print(node);
	} else {
		g_autofree gchar *text =
			*argv[2] == '\0'
				/* TRANSLATORS: a setting's name */
				? g_strdup_printf(_("%s is now unset."), argv[1])
				/* TRANSLATORS: a setting's name, then its value */
				: g_strdup_printf(_("%s is now %s."), argv[1], argv[2]);
		hfhub_console_print_line(text);
	}
	return HFHUB_EXIT_OK;
}

typedef struct {
	GMainLoop *loop;
	HfhubDBusJob *job;
	gboolean json;
	gboolean live; /* a terminal: the line of a state is redrawn in place */
	guint width;   /* of that terminal */
	gchar *last;   /* the last line printed, to print only changes */
	gchar *state;  /* the state of the line being redrawn, if one is */
} FollowLines;

/* for scripts: the state, exact bytes and files, then why it waits */
static gchar *
follow_line_exact(HfhubDBusJob *job)
{
	g_autofree gchar *reason = hfhub_text_sanitize(hfhub_dbus_job_get_state_reason(job), FALSE);

	return g_strdup_printf("%s %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " %u/%u %s",
			       hfhub_dbus_job_get_state(job), hfhub_dbus_job_get_bytes_done(job),
			       hfhub_dbus_job_get_bytes_total(job),
			       hfhub_dbus_job_get_files_done(job),
			       hfhub_dbus_job_get_files_total(job), reason);
}

/* for people: "running  25.0 MB / 100.7 MB (24%)  waiting for …" */
static gchar *
follow_line_human(HfhubDBusJob *job)
{
	g_autofree gchar *reason = hfhub_text_sanitize(hfhub_dbus_job_get_state_reason(job), FALSE);
	g_autofree gchar *progress = hfhub_format_job_progress(job);
	GString *line = g_string_new(hfhub_dbus_job_get_state(job));

	if (*progress != '\0')
		g_string_append_printf(line, "  %s", progress);
	if (*reason != '\0' && g_strcmp0(reason, hfhub_dbus_job_get_state(job)) != 0)
		g_string_append_printf(line, "  %s", reason);
	return g_string_free(line, FALSE);
}

static void
print_follow_line(FollowLines *f)
{
	const gchar *state = hfhub_dbus_job_get_state(f->job);
	gboolean final = hfhub_cli_job_is_final(f->job);
	g_autofree gchar *line = NULL;

	if (f->json) {
		/* one compact JSON object per line (JSON Lines) */
		g_autoptr(JsonNode) node = hfhub_json_job(f->job);
		line = json_to_string(node, FALSE);
	} else {
		line = f->live ? follow_line_human(f->job) : follow_line_exact(f->job);
	}
	if (g_strcmp0(line, f->last) == 0)
		return;
	/* a state's line is redrawn while only its progress moves; a new
	 * state starts a new line, so that the states stay readable. A line
	 * too wide for the terminal is never redrawn (it would wrap): it is
	 * printed whole, like the others. */
	if (f->live && f->state != NULL && g_strcmp0(f->state, state) != 0) {
		g_print("\n");
		g_clear_pointer(&f->state, g_free);
	}
	if (f->live && !final && hfhub_text_width(line) < f->width) {
		g_print("\r\033[K%s", line);
		g_free(f->state);
		f->state = g_strdup(state);
	} else {
		g_print("%s%s\n", f->state != NULL ? "\r\033[K" : "", line);
		g_clear_pointer(&f->state, g_free);
	}
	fflush(stdout);
	g_free(f->last);
	f->last = g_steal_pointer(&line);
	if (final)
		g_main_loop_quit(f->loop);
}

static void
follow_changed_cb(GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data)
{
	print_follow_line(user_data);
}

static void
follow_finished_cb(HfhubDBusJob *job, const gchar *state, GVariant *details, gpointer user_data)
{
	FollowLines *f = user_data;

	hfhub_cli_job_set_final_state(job, state);
	print_follow_line(f);
	g_main_loop_quit(f->loop);
}

static void
follow_gone_cb(GObject *object, GParamSpec *pspec, gpointer user_data)
{
	FollowLines *f = user_data;

	if (g_dbus_proxy_get_name_owner(G_DBUS_PROXY(f->job)) == NULL &&
	    g_dbus_proxy_get_name(G_DBUS_PROXY(f->job)) != NULL)
		g_main_loop_quit(f->loop);
}

/* hfhub jobs follow ID: a line each time the job changes (JSON Lines with
 * --json), until it ends; on a terminal, one line per state, redrawn as the
 * progress moves. */
gint
hfhub_cli_cmd_jobs_follow(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("ID"),
		_("Print the job's state and progress each time they change, until it ends: one "
		  "line of text, or with --json one JSON object per line. Exits with 0 if it "
		  "succeeded, else 5."),
		NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubDBusJob) job = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	FollowLines f = { 0 };
	guint64 id;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc != 2)
		return hfhub_cli_usage_error(cli, _("Give one job ID."));
	if (!hfhub_cli_parse_job_id(argv[1], &id))
		return hfhub_cli_usage_error(cli, _("“%s” is not a job ID."), argv[1]);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	job = hfhub_cli_get_job(cli, id, &error);
	if (job == NULL)
		return hfhub_cli_fail(cli, error);
	loop = g_main_loop_new(NULL, FALSE);
	f.loop = loop;
	f.job = job;
	f.json = cli->json;
	f.live = !cli->json && cli->console.stdout_tty && !cli->console.dumb;
	f.width = hfhub_console_get_width(STDOUT_FILENO);
	g_signal_connect(job, "g-properties-changed", G_CALLBACK(follow_changed_cb), &f);
	g_signal_connect(job, "finished", G_CALLBACK(follow_finished_cb), &f);
	g_signal_connect(job, "notify::g-name-owner", G_CALLBACK(follow_gone_cb), &f);
	print_follow_line(&f);
	if (!hfhub_cli_job_is_final(job))
		g_main_loop_run(loop);
	g_signal_handlers_disconnect_by_data(job, &f);
	if (f.state != NULL)
		g_print("\n"); /* hfhubd went away under a redrawn line */
	g_free(f.last);
	g_free(f.state);
	if (!hfhub_cli_job_is_final(job)) {
		g_set_error(&error, G_IO_ERROR, G_IO_ERROR_CLOSED,
			    _("hfhubd went away before job %s ended"), argv[1]);
		return hfhub_cli_fail(cli, error);
	}
	return g_strcmp0(hfhub_cli_job_state(job), "succeeded") == 0 ? HFHUB_EXIT_OK
								     : HFHUB_EXIT_JOB_FAILED;
}
