/* The CLI's context, shared by every command: output mode, connection to
 * hfhubd, proxies, error reporting and exit codes. */
#include "config.h"

#include "hfhub-cli.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-connect.h"
#include "hfhub-enums.h"
#include "hfhub-error.h"
#include "hfhub-hf-env.h"
#include "hfhub-names.h"

/* set on a job proxy by the Finished signal, in case the State property has
 * not caught up when we look */
#define FINAL_STATE_KEY "hfhub-final-state"

HfhubCli *
hfhub_cli_new(void)
{
	HfhubCli *cli = g_new0(HfhubCli, 1);

	hfhub_cli_setup_console(cli);
	return cli;
}

void
hfhub_cli_free(HfhubCli *cli)
{
	if (cli == NULL)
		return;
	g_clear_object(&cli->object_manager);
	g_clear_object(&cli->manager);
	g_clear_object(&cli->connection);
	g_free(cli->bus_name);
	g_free(cli->command_name);
	g_free(cli);
}

void
hfhub_cli_setup_console(HfhubCli *cli)
{
	hfhub_console_init(&cli->console, cli->no_color);
}

/* A context for one command, with the options every command accepts. */
GOptionContext *
hfhub_cli_option_context_new(HfhubCli *cli, const gchar *parameter_string, const gchar *summary,
			     const GOptionEntry *entries)
{
	const GOptionEntry common[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &cli->json,
		  /* TRANSLATORS: command line option */
		  N_("Print JSON (stable, for scripts); disables prompts and progress"), NULL },
		{ "no-color", 0, 0, G_OPTION_ARG_NONE, &cli->no_color,
		  /* TRANSLATORS: command line option */
		  N_("Do not use colors"), NULL },
		{ NULL }
	};
	GOptionContext *context = g_option_context_new(parameter_string);

	g_option_context_set_translation_domain(context, GETTEXT_PACKAGE);
	if (summary != NULL)
		g_option_context_set_summary(context, summary);
	if (entries != NULL)
		g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	g_option_context_add_main_entries(context, common, GETTEXT_PACKAGE);
	return context;
}

/* FALSE (with *exit_code set, message printed) on a usage error */
gboolean
hfhub_cli_parse_options(HfhubCli *cli, GOptionContext *context, gint *argc, gchar ***argv,
			gint *exit_code)
{
	g_autoptr(GError) error = NULL;
	gboolean ok = g_option_context_parse(context, argc, argv, &error);

	hfhub_cli_setup_console(cli);
	if (!ok) {
		*exit_code = hfhub_cli_usage_error(cli, "%s", error->message);
		return FALSE;
	}
	return TRUE;
}

/* Prints a usage error with a hint, returns HFHUB_EXIT_USAGE. Nothing has
 * been sent to the daemon when this is called. */
gint
hfhub_cli_usage_error(HfhubCli *cli, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);

	if (cli->json) {
		g_autoptr(JsonNode) node =
			hfhub_json_error(HFHUB_DBUS_ERROR_PREFIX "InvalidArgument", message);
		hfhub_json_print(node);
	} else {
		g_autofree gchar *help = NULL;

		hfhub_console_print_error(&cli->console, message);
		if (cli->command_name != NULL)
			help = g_strdup_printf("hfhub %s --help", cli->command_name);
		else
			help = g_strdup("hfhub --help");
		/* TRANSLATORS: %s is a command, e.g. "hfhub jobs ls --help" */
		g_printerr(_("Run “%s” for usage."), help);
		g_printerr("\n");
	}
	return HFHUB_EXIT_USAGE;
}

/* The D-Bus name of an error: what hfhubd sent, or ours for local errors. */
gchar *
hfhub_cli_error_name(const GError *error)
{
	g_autoptr(GError) copy = NULL;

	if (g_dbus_error_is_remote_error(error))
		return g_dbus_error_get_remote_error(error);
	if (error->domain == HFHUB_ERROR)
		return g_strdup(hfhub_error_to_dbus_name(error->code));
	if (error->domain == G_DBUS_ERROR)
		return g_dbus_error_encode_gerror(error);
	copy = g_error_copy(error);
	hfhub_error_convert(&copy);
	return g_strdup(hfhub_error_to_dbus_name(copy->code));
}

/* The message without the "GDBus.Error:name: " prefix of remote errors. */
gchar *
hfhub_cli_error_message(const GError *error)
{
	g_autoptr(GError) copy = g_error_copy(error);

	g_dbus_error_strip_remote_error(copy);
	return g_strdup(copy->message);
}

gint
hfhub_cli_exit_code_for_name(const gchar *error_name)
{
	static const gchar *const not_found[] = {
		HFHUB_DBUS_ERROR_PREFIX "JobNotFound",
		HFHUB_DBUS_ERROR_PREFIX "RepoNotFound",
		HFHUB_DBUS_ERROR_PREFIX "RevisionNotFound",
		HFHUB_DBUS_ERROR_PREFIX "EntryNotFound",
	};

	for (guint i = 0; error_name != NULL && i < G_N_ELEMENTS(not_found); i++) {
		if (g_str_equal(error_name, not_found[i]))
			return HFHUB_EXIT_NOT_FOUND;
	}
	return HFHUB_EXIT_FAILURE;
}

gint
hfhub_cli_exit_code_for_error(const GError *error)
{
	g_autofree gchar *name = NULL;

	if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
		return HFHUB_EXIT_INTERRUPTED;
	name = hfhub_cli_error_name(error);
	return hfhub_cli_exit_code_for_name(name);
}

/* Reports error ({"error": …} on stdout with --json, "hfhub: …" on stderr
 * otherwise) and returns the exit code for it. */
gint
hfhub_cli_fail(HfhubCli *cli, const GError *error)
{
	g_autofree gchar *name = hfhub_cli_error_name(error);
	g_autofree gchar *message = hfhub_cli_error_message(error);

	if (cli->json) {
		g_autoptr(JsonNode) node = hfhub_json_error(name, message);
		hfhub_json_print(node);
	} else {
		hfhub_console_print_error(&cli->console, message);
	}
	return hfhub_cli_exit_code_for_error(error);
}

/* ---- connection and proxies */

static GDBusProxyFlags
proxy_flags(HfhubCli *cli)
{
	if (cli->bus_name == NULL || hfhub_connect_autostart_disabled())
		return G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START;
	return G_DBUS_PROXY_FLAGS_NONE;
}

/* Connects to hfhubd (starting it when needed) and makes the Manager proxy. */
gboolean
hfhub_cli_connect(HfhubCli *cli, GError **error)
{
	g_autoptr(GDBusConnection) connection = NULL;
	g_autoptr(HfhubDBusManager) manager = NULL;
	g_autofree gchar *bus_name = NULL;

	if (cli->manager != NULL)
		return TRUE;
	connection = hfhub_connect(&bus_name, NULL, error);
	if (connection == NULL)
		return FALSE;
	cli->connection = g_steal_pointer(&connection);
	cli->bus_name = g_steal_pointer(&bus_name);
	manager = hfhub_dbus_manager_proxy_new_sync(cli->connection, proxy_flags(cli),
						    cli->bus_name, HFHUB_DBUS_PATH, NULL, error);
	if (manager == NULL)
		return FALSE;
	/* GetAll failed: whatever answers is not hfhubd's Manager */
	if (hfhub_dbus_manager_get_daemon_version(manager) == NULL) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT,
			    /* TRANSLATORS: %s is a D-Bus object path */
			    _("hfhubd does not offer its Manager at %s"), HFHUB_DBUS_PATH);
		return FALSE;
	}
	cli->manager = g_steal_pointer(&manager);
	return TRUE;
}

/* One call for all jobs and their properties (GetManagedObjects). */
GDBusObjectManager *
hfhub_cli_get_object_manager(HfhubCli *cli, GError **error)
{
	if (cli->object_manager != NULL)
		return cli->object_manager;
	if (!hfhub_cli_connect(cli, error))
		return NULL;
	cli->object_manager = hfhub_dbus_object_manager_client_new_sync(
		cli->connection, G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START,
		cli->bus_name, HFHUB_DBUS_PATH, NULL, error);
	return cli->object_manager;
}

/* A proxy of its own for one job: subscribes to its signals before reading
 * its properties, so nothing is missed in between. */
HfhubDBusJob *
hfhub_cli_job_proxy_new(HfhubCli *cli, const gchar *path, GError **error)
{
	g_autoptr(HfhubDBusJob) job = NULL;

	if (!hfhub_cli_connect(cli, error))
		return NULL;
	job = hfhub_dbus_job_proxy_new_sync(cli->connection, proxy_flags(cli), cli->bus_name, path,
					    NULL, error);
	if (job == NULL)
		return NULL;
	if (hfhub_dbus_job_get_state(job) == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND,
			    /* TRANSLATORS: %s is a D-Bus object path */
			    _("There is no job at %s"), path);
		return NULL;
	}
	return g_steal_pointer(&job);
}

HfhubDBusJob *
hfhub_cli_get_job(HfhubCli *cli, guint64 id, GError **error)
{
	g_autofree gchar *path = NULL;

	if (!hfhub_cli_connect(cli, error))
		return NULL;
	if (!hfhub_dbus_manager_call_get_job_sync(cli->manager, id, &path, NULL, error))
		return NULL;
	return hfhub_cli_job_proxy_new(cli, path, error);
}

/* "12", or the job's object path */
gboolean
hfhub_cli_parse_job_id(const gchar *arg, guint64 *id)
{
	const gchar *digits = arg;

	if (g_str_has_prefix(arg, HFHUB_DBUS_JOBS_PATH "/"))
		digits = arg + strlen(HFHUB_DBUS_JOBS_PATH "/");
	if (*digits == '\0')
		return FALSE;
	for (const gchar *p = digits; *p != '\0'; p++) {
		if (!g_ascii_isdigit(*p))
			return FALSE;
	}
	return g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT64, id, NULL);
}

/* argv[1..] as job IDs; FALSE with a usage error printed otherwise */
gboolean
hfhub_cli_parse_job_ids(HfhubCli *cli, gint argc, gchar **argv, GArray **ids, gint *exit_code)
{
	g_autoptr(GArray) result = g_array_new(FALSE, FALSE, sizeof(guint64));

	if (argc < 2) {
		*exit_code = hfhub_cli_usage_error(
			cli, "%s", _("Give at least one job ID, as shown by “hfhub jobs ls”."));
		return FALSE;
	}
	for (gint i = 1; i < argc; i++) {
		guint64 id;

		if (!hfhub_cli_parse_job_id(argv[i], &id)) {
			*exit_code =
				hfhub_cli_usage_error(cli,
						      /* TRANSLATORS: %s is what the user typed */
						      _("“%s” is not a job ID: job IDs are "
							"numbers, as shown by “hfhub jobs "
							"ls”."),
						      argv[i]);
			return FALSE;
		}
		g_array_append_val(result, id);
	}
	*ids = g_steal_pointer(&result);
	return TRUE;
}

/* the state nick, final once Finished was seen */
const gchar *
hfhub_cli_job_state(HfhubDBusJob *job)
{
	const gchar *final = g_object_get_data(G_OBJECT(job), FINAL_STATE_KEY);

	if (final != NULL)
		return final;
	return hfhub_dbus_job_get_state(job);
}

void
hfhub_cli_job_set_final_state(HfhubDBusJob *job, const gchar *state)
{
	g_object_set_data_full(G_OBJECT(job), FINAL_STATE_KEY, g_strdup(state), g_free);
}

gboolean
hfhub_cli_job_is_final(HfhubDBusJob *job)
{
	HfhubJobState state;

	if (!hfhub_job_state_from_string(hfhub_cli_job_state(job), &state))
		return FALSE;
	return hfhub_job_state_is_final(state);
}

void
hfhub_cli_options_add_strv(GVariantDict *options, const gchar *key, gchar **values)
{
	if (values != NULL && values[0] != NULL)
		g_variant_dict_insert_value(options, key,
					    g_variant_new_strv((const gchar *const *)values, -1));
}

void
hfhub_cli_note_ignored_env(HfhubCli *cli)
{
	g_autoptr(GPtrArray) notes = hfhub_hf_env_ignored();

	for (guint i = 0; i < notes->len; i++)
		hfhub_console_print_warning(&cli->console, g_ptr_array_index(notes, i));
}

gint
hfhub_cli_report_detached(HfhubCli *cli, HfhubDBusJob *job)
{
	g_autofree gchar *id = hfhub_format_job_id(job);

	if (cli->json) {
		g_autoptr(JsonNode) node = hfhub_json_job(job);
		hfhub_json_print(node);
		return HFHUB_EXIT_OK;
	}
	hfhub_console_print_line(id);
	if (cli->console.stderr_tty) {
		/* TRANSLATORS: %s is a job ID, in commands to type */
		g_autofree gchar *hint = g_strdup_printf(
			_("Queued as job %s: follow it with “hfhub jobs wait %s”."), id, id);
		g_printerr("%s\n", hint);
	}
	return HFHUB_EXIT_OK;
}

gboolean
hfhub_cli_parse_repo_type(HfhubCli *cli, const gchar *arg, const gchar **nick, gint *exit_code)
{
	HfhubRepoType type;

	if (!hfhub_repo_type_from_string(arg, &type)) {
		*exit_code = hfhub_cli_usage_error(
			cli,
			/* TRANSLATORS: %s is what the user typed; keep model, dataset and space */
			_("Unknown repository type “%s”: use model, dataset or space."), arg);
		return FALSE;
	}
	*nick = hfhub_repo_type_to_string(type);
	return TRUE;
}
