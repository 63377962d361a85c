/* hfhub: the command-line client of hfhubd.
 *
 * A thin D-Bus client: global options, then a command looked up in the
 * table below, whose handler parses its own options. Text output is for
 * people and may change; --json output is the stable interface.
 *
 * Exit status (kept in sync with "hfhub --help" and the man page):
 *   0    success
 *   1    failure
 *   2    usage error: unknown command or option, bad argument (nothing was sent)
 *   4    not found: job, repository, revision or file
 *   5    a job failed or was cancelled
 *   130  interrupted by Ctrl-C
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "hfhub-cli-cache.h"
#include "hfhub-cli-commands.h"
#include "hfhub-cli-json.h"
#include "hfhub-cli-repo.h"
#include "hfhub-error.h"
#include "hfhub-text.h"

static gint
cmd_list_commands(HfhubCli *cli, gint argc, gchar **argv);

static const HfhubCliCommand commands[] = {
	{ NULL, "version", N_("Show the versions of hfhub and hfhubd"), hfhub_cli_cmd_version,
	  FALSE },
	{ "daemon", "status", N_("Show the state of hfhubd and its job counts"),
	  hfhub_cli_cmd_daemon_status, FALSE },
	{ NULL, "download", N_("Download files from a repository on the Hub"),
	  hfhub_cli_cmd_download, FALSE },
	{ NULL, "upload", N_("Upload a file or a folder to a repository on the Hub"),
	  hfhub_cli_cmd_upload, FALSE },
	{ "repo-files", "delete", N_("Delete files of a repository on the Hub in one commit"),
	  hfhub_cli_cmd_repo_files_delete, FALSE },
	{ "jobs", "ls", N_("List jobs"), hfhub_cli_cmd_jobs_ls, FALSE },
	{ "jobs", "show", N_("Show every property of a job"), hfhub_cli_cmd_jobs_show, FALSE },
	{ "jobs", "cancel", N_("Cancel jobs"), hfhub_cli_cmd_jobs_cancel, FALSE },
	{ "jobs", "pause", N_("Pause jobs"), hfhub_cli_cmd_jobs_pause, FALSE },
	{ "jobs", "resume", N_("Resume paused jobs"), hfhub_cli_cmd_jobs_resume, FALSE },
	{ "jobs", "wait", N_("Wait until jobs finish"), hfhub_cli_cmd_jobs_wait, FALSE },
	{ "cache", "ls", N_("List the repositories in the Hugging Face cache"),
	  hfhub_cli_cmd_cache_ls, FALSE },
	{ "cache", "rm", N_("Delete repositories or revisions from the cache"),
	  hfhub_cli_cmd_cache_rm, FALSE },
	{ "cache", "prune", N_("Delete detached revisions and abandoned partial downloads"),
	  hfhub_cli_cmd_cache_prune, FALSE },
	{ "cache", "verify", N_("Check cached files against their hashes, and repair them"),
	  hfhub_cli_cmd_cache_verify, FALSE },
	{ "jobs", "prio", N_("Change a job's priority"), hfhub_cli_cmd_jobs_prio, FALSE },
	{ "jobs", "follow", N_("Print a job's progress as it changes, until it ends"),
	  hfhub_cli_cmd_jobs_follow, FALSE },
	{ "daemon config", "get", N_("Show the daemon's settings"), hfhub_cli_cmd_daemon_config_get,
	  FALSE },
	{ "daemon config", "set", N_("Change a setting of the daemon"),
	  hfhub_cli_cmd_daemon_config_set, FALSE },
	{ "auth", "login", N_("Log in to the Hub: validate a token and keep it in the keyring"),
	  hfhub_cli_cmd_auth_login, FALSE },
	{ "auth", "logout", N_("Delete a stored token"), hfhub_cli_cmd_auth_logout, FALSE },
	{ "auth", "whoami", N_("Show who requests to the Hub are made as"),
	  hfhub_cli_cmd_auth_whoami, FALSE },
	{ "auth", "list", N_("List the stored identities"), hfhub_cli_cmd_auth_list, FALSE },
	{ "auth", "switch", N_("Make an identity the default of its endpoint"),
	  hfhub_cli_cmd_auth_switch, FALSE },
	{ "auth", "token", N_("Print the default token, for scripts"), hfhub_cli_cmd_auth_token,
	  FALSE },
	{ "auth", "import", N_("Import the tokens huggingface_hub stored"),
	  hfhub_cli_cmd_auth_import, FALSE },
	{ "repo", "create", N_("Create a repository on the Hub"), hfhub_cli_cmd_repo_create,
	  FALSE },
	{ "repo", "delete", N_("Delete a repository from the Hub"), hfhub_cli_cmd_repo_delete,
	  FALSE },
	{ "repo", "settings", N_("Change the visibility or gating of a repository"),
	  hfhub_cli_cmd_repo_settings, FALSE },
	{ "repo", "move", N_("Rename a repository or move it to another namespace"),
	  hfhub_cli_cmd_repo_move, FALSE },
	{ "repo", "info", N_("Show a repository at a revision"), hfhub_cli_cmd_repo_info, FALSE },
	{ "repo", "files", N_("List the files of a repository"), hfhub_cli_cmd_repo_files, FALSE },
	{ "repo", "commits", N_("List the commits of a repository"), hfhub_cli_cmd_repo_commits,
	  FALSE },
	{ "repo branch", "create", N_("Create a branch"), hfhub_cli_cmd_repo_branch_create, FALSE },
	{ "repo branch", "delete", N_("Delete a branch"), hfhub_cli_cmd_repo_branch_delete, FALSE },
	{ "repo branch", "list", N_("List the branches"), hfhub_cli_cmd_repo_branch_list, FALSE },
	{ "repo tag", "create", N_("Create a tag"), hfhub_cli_cmd_repo_tag_create, FALSE },
	{ "repo tag", "delete", N_("Delete a tag"), hfhub_cli_cmd_repo_tag_delete, FALSE },
	{ "repo tag", "list", N_("List the tags"), hfhub_cli_cmd_repo_tag_list, FALSE },
	{ "models", "ls", N_("Search models, or list a model's files"), hfhub_cli_cmd_models_ls,
	  FALSE },
	{ "models", "info", N_("Show a model"), hfhub_cli_cmd_models_info, FALSE },
	{ "datasets", "ls", N_("Search datasets, or list a dataset's files"),
	  hfhub_cli_cmd_datasets_ls, FALSE },
	{ "datasets", "info", N_("Show a dataset"), hfhub_cli_cmd_datasets_info, FALSE },
	{ "spaces", "ls", N_("Search Spaces, or list a Space's files"), hfhub_cli_cmd_spaces_ls,
	  FALSE },
	{ "spaces", "info", N_("Show a Space"), hfhub_cli_cmd_spaces_info, FALSE },
	/* for CI: keeps the man page and the shell completion in sync */
	{ NULL, "list-commands", NULL, cmd_list_commands, TRUE },
};

static gchar *
command_full_name(const HfhubCliCommand *command)
{
	if (command->group == NULL)
		return g_strdup(command->name);
	return g_strdup_printf("%s %s", command->group, command->name);
}

/* "Commands:" and one line per visible command (of group, or all) */
static gchar *
commands_help(const gchar *group)
{
	g_autoptr(GString) out = g_string_new(NULL);
	guint width = 0;

	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		g_autofree gchar *name = command_full_name(&commands[i]);
		width = MAX(width, hfhub_text_width(name));
	}
	/* TRANSLATORS: heading of the list of commands in --help */
	g_string_append_printf(out, "%s\n", _("Commands:"));
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		const HfhubCliCommand *command = &commands[i];
		g_autofree gchar *name = command_full_name(command);

		/* a group's help lists its subgroups' commands too ("repo tag …") */
		if (command->hidden ||
		    (group != NULL && g_strcmp0(command->group, group) != 0 &&
		     !(command->group != NULL && g_str_has_prefix(command->group, group) &&
		       command->group[strlen(group)] == ' ')))
			continue;
		g_string_append_printf(out, "  %s", name);
		for (guint j = hfhub_text_width(name); j < width + 3; j++)
			g_string_append_c(out, ' ');
		g_string_append_printf(out, "%s\n", _(command->summary));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static gchar *
main_description(void)
{
	return g_strdup_printf(
		"%s\n  0    %s\n  1    %s\n  2    %s\n  4    %s\n  5    %s\n  130  %s\n\n%s\n%s",
		/* TRANSLATORS: heading of the exit codes in --help */
		_("Exit status:"),
		/* TRANSLATORS: exit code 0 */
		_("success"),
		/* TRANSLATORS: exit code 1 */
		_("failure"),
		/* TRANSLATORS: exit code 2 */
		_("usage error: unknown command or option, bad argument"),
		/* TRANSLATORS: exit code 4 */
		_("not found: job, repository, revision or file"),
		/* TRANSLATORS: exit code 5 */
		_("a job failed or was cancelled"),
		/* TRANSLATORS: exit code 130 */
		_("interrupted (Ctrl-C)"),
		_("Text output may change between versions; scripts should use --json."),
		_("Each command has its own --help, e.g. “hfhub download --help”."));
}

static gint
cmd_list_commands(HfhubCli *cli, gint argc, gchar **argv)
{
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		g_autofree gchar *name = NULL;

		if (commands[i].hidden)
			continue;
		name = command_full_name(&commands[i]);
		hfhub_console_print_line(name);
	}
	return HFHUB_EXIT_OK;
}

static gboolean
is_group(const gchar *word)
{
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (g_strcmp0(commands[i].group, word) == 0)
			return TRUE;
	}
	return FALSE;
}

static gint
run_command(HfhubCli *cli, const HfhubCliCommand *command, gint argc, gchar **argv)
{
	g_autofree gchar *prgname = NULL;

	cli->command_name = command_full_name(command);
	/* "Usage: hfhub jobs ls [OPTION…]" in the command's --help */
	prgname = g_strdup_printf("hfhub %s", cli->command_name);
	g_set_prgname(prgname);
	return command->handler(cli, argc, argv);
}

static gint
print_group_help(const gchar *group, gboolean to_stderr)
{
	g_autofree gchar *list = commands_help(group);
	/* TRANSLATORS: %s is a command group, e.g. "jobs" */
	g_autofree gchar *usage = g_strdup_printf(_("Usage:\n  hfhub %s COMMAND [OPTION…]"), group);

	if (to_stderr)
		g_printerr("%s\n\n%s", usage, list);
	else
		g_print("%s\n\n%s", usage, list);
	return to_stderr ? HFHUB_EXIT_USAGE : HFHUB_EXIT_OK;
}

static gint
dispatch_group(HfhubCli *cli, const gchar *group, gint argc, gchar **argv)
{
	const gchar *word = argc > 1 ? argv[1] : NULL;

	cli->command_name = g_strdup(group);
	if (word == NULL) {
		if (cli->json)
			return hfhub_cli_usage_error(
				cli,
				/* TRANSLATORS: %s is a command group, e.g. "jobs" */
				_("“hfhub %s” needs a command."), group);
		return print_group_help(group, TRUE);
	}
	if (g_str_equal(word, "--help") || g_str_equal(word, "-h"))
		return print_group_help(group, FALSE);
	{
		/* a group within the group: "hfhub daemon config get" */
		g_autofree gchar *subgroup = g_strdup_printf("%s %s", group, word);
		if (is_group(subgroup)) {
			g_clear_pointer(&cli->command_name, g_free);
			return dispatch_group(cli, subgroup, argc - 1, argv + 1);
		}
	}
	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (g_strcmp0(commands[i].group, group) == 0 &&
		    g_str_equal(commands[i].name, word)) {
			g_clear_pointer(&cli->command_name, g_free);
			return run_command(cli, &commands[i], argc - 1, argv + 1);
		}
	}
	/* TRANSLATORS: first %s is a command group, second what the user typed */
	return hfhub_cli_usage_error(cli, _("“hfhub %s” has no command “%s”."), group, word);
}

static gint
dispatch(HfhubCli *cli, gint argc, gchar **argv)
{
	const gchar *word = argv[1];

	for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (commands[i].group == NULL && g_str_equal(commands[i].name, word))
			return run_command(cli, &commands[i], argc - 1, argv + 1);
	}
	if (is_group(word))
		return dispatch_group(cli, word, argc - 1, argv + 1);
	/* TRANSLATORS: %s is what the user typed */
	return hfhub_cli_usage_error(cli, _("Unknown command “%s”."), word);
}

int
main(int argc, char **argv)
{
	g_autoptr(HfhubCli) cli = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autofree gchar *summary = NULL;
	g_autofree gchar *description = NULL;
	gboolean version = FALSE;
	const GOptionEntry entries[] = { { "version", 0, 0, G_OPTION_ARG_NONE, &version,
					   /* TRANSLATORS: command line option */
					   N_("Show the version of hfhub and exit"), NULL },
					 { NULL } };
	gint exit_code;

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	g_set_prgname("hfhub");
	/* registers our D-Bus error names, so that replies map to HFHUB_ERROR */
	hfhub_error_quark();

	cli = hfhub_cli_new();
	summary = commands_help(NULL);
	g_strchomp(summary);
	description = main_description();
	/* TRANSLATORS: what follows "hfhub" in the usage line */
	context = hfhub_cli_option_context_new(cli, _("COMMAND [ARG…]"), summary, entries);
	g_option_context_set_description(context, description);
	/* global options stop at the command; the rest is the command's */
	g_option_context_set_strict_posix(context, TRUE);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;

	if (version) {
		if (cli->json) {
			JsonObject *object = json_object_new();
			g_autoptr(JsonNode) node = NULL;

			json_object_set_string_member(object, "client_version", PACKAGE_VERSION);
			node = hfhub_json_take_object(object);
			hfhub_json_print(node);
		} else {
			g_print("hfhub %s\n", PACKAGE_VERSION);
		}
		return HFHUB_EXIT_OK;
	}
	if (argc < 2) {
		g_autofree gchar *help = NULL;

		if (cli->json)
			return hfhub_cli_usage_error(cli, "%s", _("No command given."));
		help = g_option_context_get_help(context, TRUE, NULL);
		g_printerr("%s", help);
		return HFHUB_EXIT_USAGE;
	}
	return dispatch(cli, argc, argv);
}
