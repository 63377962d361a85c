/* hfhub upload REPO [LOCAL] [PATH_IN_REPO] and hfhub repo-files delete REPO
 * PATTERNS…: what "hf upload" and "hf repo-files delete" do, as jobs of
 * hfhubd.
 *
 * As hf upload: the repository (and the branch) is created when missing,
 * LOCAL defaults to the current folder, PATH_IN_REPO to the file's name or
 * the repo's root. The job is followed with a progress bar that names its
 * stage (hashing, uploading, committing); at the end the URL of the commit
 * (or of the pull request) is printed, and --json prints the job with its
 * result (the commit). */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hfhub-cli-commands.h"
#include "hfhub-cli-follow.h"
#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-enums.h"
#include "hfhub-hf-env.h"

#define UNSET G_MININT

typedef struct {
	gchar *repo_type;
	gchar *revision;
	gchar **include;
	gchar **exclude;
	gchar **delete_patterns;
	gchar *commit_message;
	gchar *commit_description;
	gchar *parent_commit;
	gboolean create_pr;
	gboolean private_repo;
	gboolean allow_concurrent;
	gboolean detach;
	gboolean quiet;
	gint files_per_commit;
	gint max_workers;
	gint priority;
	gchar *identity;
} UploadArgs;

static void
upload_args_clear(UploadArgs *args)
{
	g_free(args->repo_type);
	g_free(args->revision);
	g_strfreev(args->include);
	g_strfreev(args->exclude);
	g_strfreev(args->delete_patterns);
	g_free(args->commit_message);
	g_free(args->commit_description);
	g_free(args->parent_commit);
	g_free(args->identity);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(UploadArgs, upload_args_clear)

/* the options every commit-making command shares */
static void
add_commit_options(GVariantDict *options, UploadArgs *args)
{
	g_autofree gchar *endpoint = hfhub_hf_env_endpoint();

	if (args->commit_message != NULL)
		g_variant_dict_insert(options, "commit-message", "s", args->commit_message);
	if (args->commit_description != NULL)
		g_variant_dict_insert(options, "commit-description", "s", args->commit_description);
	if (args->create_pr)
		g_variant_dict_insert(options, "create-pr", "b", TRUE);
	if (args->parent_commit != NULL)
		g_variant_dict_insert(options, "parent-commit", "s", args->parent_commit);
	if (args->allow_concurrent)
		g_variant_dict_insert(options, "allow-concurrent", "b", TRUE);
	if (endpoint != NULL)
		g_variant_dict_insert(options, "endpoint", "s", endpoint);
	if (args->priority != 0)
		g_variant_dict_insert(options, "priority", "i", (gint32)args->priority);
	if (args->identity != NULL)
		g_variant_dict_insert(options, "identity", "s", args->identity);
	if (args->detach)
		g_variant_dict_insert(options, "detach", "b", TRUE);
}

static GVariant *
build_upload_options(UploadArgs *args)
{
	g_autoptr(GVariantDict) options = g_variant_dict_new(NULL);

	hfhub_cli_options_add_strv(options, "include", args->include);
	hfhub_cli_options_add_strv(options, "exclude", args->exclude);
	hfhub_cli_options_add_strv(options, "delete", args->delete_patterns);
	add_commit_options(options, args);
	/* as hf upload: create the repo when it is missing */
	g_variant_dict_insert(options, "create-repo", "b", TRUE);
	if (args->private_repo)
		g_variant_dict_insert(options, "private", "b", TRUE);
	if (args->files_per_commit != UNSET)
		g_variant_dict_insert(options, "files-per-commit", "u",
				      (guint32)args->files_per_commit);
	if (args->max_workers != UNSET)
		g_variant_dict_insert(options, "parallelism", "u", (guint32)args->max_workers);
	return g_variant_dict_end(options);
}

/* the URL to show: the pull request's, else the commit's */
static void
print_result(HfhubCli *cli, HfhubDBusJob *job, gpointer user_data)
{
	GVariant *result = hfhub_dbus_job_get_result(job);
	const gchar *url = NULL;
	gboolean no_op = FALSE;

	if (result == NULL)
		return;
	if (g_variant_lookup(result, "no-op", "b", &no_op) && no_op)
		hfhub_console_print_error(
			&cli->console,
			_("No file changed since the last commit: nothing was committed."));
	if (!g_variant_lookup(result, "pr-url", "&s", &url) || *url == '\0')
		g_variant_lookup(result, "commit-url", "&s", &url);
	if (url != NULL) {
		fputs(url, stdout);
		fputc('\n', stdout);
	}
}

static gboolean
validate_args(HfhubCli *cli, UploadArgs *args, gint *exit_code)
{
	const gchar *nick = NULL;

	if (args->repo_type != NULL) {
		if (!hfhub_cli_parse_repo_type(cli, args->repo_type, &nick, exit_code))
			return FALSE;
		g_free(args->repo_type);
		args->repo_type = g_strdup(nick);
	}
	if (args->max_workers != UNSET && args->max_workers < 1) {
		*exit_code = hfhub_cli_usage_error(cli, "%s",
						   _("--max-workers needs a positive number."));
		return FALSE;
	}
	if (args->files_per_commit != UNSET && args->files_per_commit < 1) {
		*exit_code = hfhub_cli_usage_error(
			cli, "%s", _("--files-per-commit needs a positive number."));
		return FALSE;
	}
	return TRUE;
}

gint
hfhub_cli_cmd_upload(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(UploadArgs) args = { .files_per_commit = UNSET, .max_workers = UNSET };
	const GOptionEntry entries[] = {
		/* TRANSLATORS: the descriptions of the options of "hfhub upload" */
		{ "repo-type", 0, 0, G_OPTION_ARG_STRING, &args.repo_type,
		  N_("Type of the repository: model (the default), dataset or space"), N_("TYPE") },
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &args.revision,
		  N_("Branch to commit on, created when missing (default: main)"), N_("REV") },
		{ "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.include,
		  N_("Only files matching this glob pattern; may be repeated"), N_("PATTERN") },
		{ "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.exclude,
		  N_("Skip files matching this glob pattern; may be repeated"), N_("PATTERN") },
		{ "delete", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.delete_patterns,
		  N_("Delete remote files matching this glob pattern in the same commit; may be "
		     "repeated"),
		  N_("PATTERN") },
		{ "commit-message", 0, 0, G_OPTION_ARG_STRING, &args.commit_message,
		  N_("Summary of the commit"), N_("TEXT") },
		{ "commit-description", 0, 0, G_OPTION_ARG_STRING, &args.commit_description,
		  N_("Description of the commit"), N_("TEXT") },
		{ "create-pr", 0, 0, G_OPTION_ARG_NONE, &args.create_pr,
		  N_("Open a pull request instead of committing on the branch"), NULL },
		{ "private", 0, 0, G_OPTION_ARG_NONE, &args.private_repo,
		  N_("Create the repository private, if it does not exist"), NULL },
		{ "parent-commit", 0, 0, G_OPTION_ARG_STRING, &args.parent_commit,
		  N_("Fail if the branch is no longer at this commit"), N_("OID") },
		{ "allow-concurrent", 0, 0, G_OPTION_ARG_NONE, &args.allow_concurrent,
		  N_("Commit on top of changes made by others while uploading"), NULL },
		{ "files-per-commit", 0, 0, G_OPTION_ARG_INT, &args.files_per_commit,
		  N_("Split large uploads into commits of at most N files (default and most: "
		     "1000)"),
		  N_("N") },
		{ "max-workers", 0, 0, G_OPTION_ARG_INT, &args.max_workers,
		  N_("Send at most N files or parts at the same time"), N_("N") },
		{ "detach", 0, 0, G_OPTION_ARG_NONE, &args.detach,
		  N_("Queue the job, print its ID and return at once"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet,
		  N_("No progress bar: print only the URL of the commit"), NULL },
		{ "priority", 0, 0, G_OPTION_ARG_INT, &args.priority,
		  N_("Priority of the job: higher runs first (default: 0)"), N_("N") },
		{ "token-identity", 0, 0, G_OPTION_ARG_STRING, &args.identity,
		  N_("Use the token stored under this name instead of the default one"),
		  N_("NAME") },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("REPO [LOCAL] [PATH_IN_REPO]"),
		_("Upload a file or a folder to a repository on the Hugging Face Hub, creating "
		  "the repository if it is missing, and print the URL of the commit. LOCAL "
		  "defaults to the current folder, PATH_IN_REPO to the file's name or the "
		  "repository's root."),
		entries);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *job_path = NULL;
	g_autofree gchar *local = NULL;
	const gchar *path_in_repo = "";
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc < 2)
		return hfhub_cli_usage_error(
			cli, "%s", _("Give the repository to upload to, e.g. “user/my-model”."));
	if (argc > 4)
		return hfhub_cli_usage_error(cli, "%s",
					     _("Too many arguments: REPO [LOCAL] [PATH_IN_REPO]."));
	if (!validate_args(cli, &args, &exit_code))
		return exit_code;
	local = g_canonicalize_filename(argc > 2 ? argv[2] : ".", NULL);
	if (argc > 3)
		path_in_repo = argv[3];
	/* hf upload: "." is the root of the repo */
	if (g_str_equal(path_in_repo, ".") || g_str_equal(path_in_repo, "./"))
		path_in_repo = "";
	if (!g_file_test(local, G_FILE_TEST_EXISTS))
		return hfhub_cli_usage_error(cli,
					     /* TRANSLATORS: %s is a local path */
					     _("“%s” does not exist."), local);

	hfhub_cli_note_ignored_env(cli);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_manager_call_upload_sync(
		    cli->manager, argv[1], args.repo_type != NULL ? args.repo_type : "",
		    args.revision != NULL ? args.revision : "", local, path_in_repo,
		    build_upload_options(&args), &job_path, NULL, &error))
		return hfhub_cli_fail(cli, error);
	return hfhub_cli_follow_and_report(cli, job_path, args.detach, args.quiet, print_result,
					   NULL);
}

gint
hfhub_cli_cmd_repo_files_delete(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(UploadArgs) args = { .files_per_commit = UNSET, .max_workers = UNSET };
	const GOptionEntry entries[] = {
		/* TRANSLATORS: the descriptions of the options of "hfhub repo-files delete" */
		{ "repo-type", 0, 0, G_OPTION_ARG_STRING, &args.repo_type,
		  N_("Type of the repository: model (the default), dataset or space"), N_("TYPE") },
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &args.revision,
		  N_("Branch to commit on (default: main)"), N_("REV") },
		{ "commit-message", 0, 0, G_OPTION_ARG_STRING, &args.commit_message,
		  N_("Summary of the commit"), N_("TEXT") },
		{ "commit-description", 0, 0, G_OPTION_ARG_STRING, &args.commit_description,
		  N_("Description of the commit"), N_("TEXT") },
		{ "create-pr", 0, 0, G_OPTION_ARG_NONE, &args.create_pr,
		  N_("Open a pull request instead of committing on the branch"), NULL },
		{ "parent-commit", 0, 0, G_OPTION_ARG_STRING, &args.parent_commit,
		  N_("Fail if the branch is no longer at this commit"), N_("OID") },
		{ "detach", 0, 0, G_OPTION_ARG_NONE, &args.detach,
		  N_("Queue the job, print its ID and return at once"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet,
		  N_("No progress bar: print only the URL of the commit"), NULL },
		{ "token-identity", 0, 0, G_OPTION_ARG_STRING, &args.identity,
		  N_("Use the token stored under this name instead of the default one"),
		  N_("NAME") },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("REPO PATTERNS…"),
		_("Delete files of a repository on the Hugging Face Hub in one commit. A pattern "
		  "is a file's path, a folder (“dir/”) or a glob (“*.bin”)."),
		entries);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariantDict) options = g_variant_dict_new(NULL);
	g_auto(GVariantBuilder) ops = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
	g_autofree gchar *job_path = NULL;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc < 3)
		return hfhub_cli_usage_error(
			cli, "%s",
			_("Give the repository and what to delete, e.g. “user/my-model *.bin”."));
	if (!validate_args(cli, &args, &exit_code))
		return exit_code;
	for (gint i = 2; i < argc; i++) {
		g_auto(GVariantDict) op = G_VARIANT_DICT_INIT(NULL);
		g_variant_dict_insert(&op, "op", "s", "delete");
		g_variant_dict_insert(&op, "pattern", "s", argv[i]);
		g_variant_builder_add_value(&ops, g_variant_dict_end(&op));
	}
	add_commit_options(options, &args);
	hfhub_cli_note_ignored_env(cli);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_manager_call_commit_sync(
		    cli->manager, argv[1], args.repo_type != NULL ? args.repo_type : "",
		    args.revision != NULL ? args.revision : "", g_variant_builder_end(&ops),
		    g_variant_dict_end(options), &job_path, NULL, &error))
		return hfhub_cli_fail(cli, error);
	return hfhub_cli_follow_and_report(cli, job_path, args.detach, args.quiet, print_result,
					   NULL);
}
