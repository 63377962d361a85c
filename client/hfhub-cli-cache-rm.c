/* hfhub cache rm|prune|verify: the commands of "hf cache" that change the
 * cache. rm and prune show the plan (what goes, what it frees) and ask
 * before they queue the deletion job; verify hashes the blobs and, with
 * --repair, follows the downloads that fetch the damaged ones again. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCli"

#include "hfhub-cli-cache.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-cli-follow.h"
#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-enums.h"
#include "hfhub-error.h"
#include "hfhub-hf-env.h"

/* ---- plans: rm and prune */

static guint
count_revisions(GVariant *plan, gboolean partial_only)
{
	g_autoptr(GVariant) selected =
		g_variant_lookup_value(plan, "selected", G_VARIANT_TYPE("aa{sv}"));
	guint n = 0;

	for (gsize i = 0; selected != NULL && i < g_variant_n_children(selected); i++) {
		g_autoptr(GVariant) repo = g_variant_get_child_value(selected, i);
		g_autoptr(GVariant) revs =
			g_variant_lookup_value(repo, "revisions", G_VARIANT_TYPE("aa{sv}"));
		gboolean whole = FALSE;

		g_variant_lookup(repo, "whole-repo", "b", &whole);
		if (partial_only && whole)
			continue;
		n += revs != NULL ? g_variant_n_children(revs) : 0;
	}
	return n;
}

static guint
count_whole(GVariant *plan)
{
	g_autoptr(GVariant) repos = g_variant_lookup_value(plan, "repos", G_VARIANT_TYPE("as"));
	return repos != NULL ? (guint)g_variant_n_children(repos) : 0;
}

static gsize
count_strv(GVariant *plan, const gchar *key)
{
	g_autoptr(GVariant) list = g_variant_lookup_value(plan, key, G_VARIANT_TYPE("as"));
	return list != NULL ? g_variant_n_children(list) : 0;
}

/* "  - model/org/name (entire repo)" and the revisions, as hf prints them */
static void
print_selection(GVariant *plan)
{
	g_autoptr(GVariant) selected =
		g_variant_lookup_value(plan, "selected", G_VARIANT_TYPE("aa{sv}"));
	g_autoptr(GVariant) incomplete =
		g_variant_lookup_value(plan, "incomplete", G_VARIANT_TYPE("as"));

	for (gsize i = 0; selected != NULL && i < g_variant_n_children(selected); i++) {
		g_autoptr(GVariant) repo = g_variant_get_child_value(selected, i);
		g_autoptr(GVariant) revs =
			g_variant_lookup_value(repo, "revisions", G_VARIANT_TYPE("aa{sv}"));
		gboolean whole = FALSE;
		g_autofree gchar *line = NULL;

		g_variant_lookup(repo, "whole-repo", "b", &whole);
		if (whole) {
			/* TRANSLATORS: %s is a repository, e.g. model/org/name */
			line = g_strdup_printf(_("  - %s (entire repo)"),
					       hfhub_cli_cache_lookup_str(repo, "cache-id"));
			hfhub_console_print_line(line);
			continue;
		}
		line = g_strdup_printf("  - %s:", hfhub_cli_cache_lookup_str(repo, "cache-id"));
		hfhub_console_print_line(line);
		for (gsize j = 0; revs != NULL && j < g_variant_n_children(revs); j++) {
			g_autoptr(GVariant) rev = g_variant_get_child_value(revs, j);
			g_autofree const gchar **refs = hfhub_cli_cache_lookup_strv(rev, "refs");
			g_autofree gchar *refs_str = g_strjoinv(" ", (gchar **)refs);
			g_autofree gchar *size =
				g_format_size(hfhub_cli_cache_lookup_t(rev, "size-on-disk"));
			g_autofree gchar *rev_line = g_strdup_printf(
				"      %s [%s] %s", hfhub_cli_cache_lookup_str(rev, "commit"),
				/* TRANSLATORS: a revision no ref points at */
				*refs_str != '\0' ? refs_str : _("(detached)"), size);
			hfhub_console_print_line(rev_line);
		}
	}
	for (gsize i = 0; incomplete != NULL && i < g_variant_n_children(incomplete); i++) {
		g_autoptr(GVariant) path = g_variant_get_child_value(incomplete, i);
		/* TRANSLATORS: %s is the path of a partial download */
		g_autofree gchar *line = g_strdup_printf(_("  - partial download %s"),
							 g_variant_get_string(path, NULL));
		hfhub_console_print_line(line);
	}
}

static void
print_conflicts(HfhubCli *cli, GVariant *plan, gboolean wait)
{
	g_autoptr(GVariant) conflicts =
		g_variant_lookup_value(plan, "conflicts", G_VARIANT_TYPE("aa{sv}"));

	for (gsize i = 0; conflicts != NULL && i < g_variant_n_children(conflicts); i++) {
		g_autoptr(GVariant) c = g_variant_get_child_value(conflicts, i);
		g_autofree gchar *text = g_strdup_printf(
			wait ?
			     /* TRANSLATORS: %s says which download, e.g. "download job 3 into
				model/org/name is running" */
				_("%s: the deletion waits for it.")
			     :
			     /* TRANSLATORS: %s says which download */
				_("%s: the deletion will be refused; wait for it with --wait."),
			hfhub_cli_cache_lookup_str(c, "message"));
		hfhub_console_print_warning(&cli->console, text);
	}
}

static void
print_missing(HfhubCli *cli, GVariant *plan)
{
	g_autoptr(GVariant) missing = g_variant_lookup_value(plan, "missing", G_VARIANT_TYPE("as"));

	if (missing == NULL || g_variant_n_children(missing) == 0)
		return;
	hfhub_console_print_line(_("Could not find the following targets in the cache:"));
	for (gsize i = 0; i < g_variant_n_children(missing); i++) {
		g_autoptr(GVariant) target = g_variant_get_child_value(missing, i);
		g_autofree gchar *line =
			g_strdup_printf("  - %s", g_variant_get_string(target, NULL));
		hfhub_console_print_line(line);
	}
}

static gboolean
plan_is_empty(GVariant *plan)
{
	return count_whole(plan) + count_strv(plan, "snapshots") + count_strv(plan, "refs") +
		       count_strv(plan, "blobs") + count_strv(plan, "incomplete") ==
	       0;
}

/* "About to delete 1 repo(s) and 2 revision(s) totalling 1.2 GB." */
static void
print_about(GVariant *plan, gboolean prune)
{
	g_autofree gchar *freed = g_format_size(hfhub_cli_cache_lookup_t(plan, "freed-bytes"));
	g_autofree gchar *line = NULL;

	if (prune)
		line = g_strdup_printf(
			/* TRANSLATORS: revisions, partial downloads, size */
			_("About to delete %u unreferenced revision(s) and %zu partial download(s) "
			  "(%s total)."),
			count_revisions(plan, FALSE), count_strv(plan, "incomplete"), freed);
	else if (count_whole(plan) > 0 && count_revisions(plan, TRUE) > 0)
		line = g_strdup_printf(
			/* TRANSLATORS: repos, revisions, size */
			_("About to delete %u repo(s) and %u revision(s) totalling %s."),
			count_whole(plan), count_revisions(plan, TRUE), freed);
	else if (count_whole(plan) > 0)
		line = g_strdup_printf(_("About to delete %u repo(s) totalling %s."),
				       count_whole(plan), freed);
	else
		line = g_strdup_printf(_("About to delete %u revision(s) totalling %s."),
				       count_revisions(plan, TRUE), freed);
	hfhub_console_print_line(line);
}

static gboolean
confirm(const gchar *question)
{
	gchar answer[64];

	g_print("%s [y/N] ", question);
	fflush(stdout);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return FALSE;
	g_strstrip(answer);
	/* TRANSLATORS: what the user types to say yes, lower case */
	return g_ascii_strcasecmp(answer, "y") == 0 || g_ascii_strcasecmp(answer, "yes") == 0 ||
	       g_ascii_strcasecmp(answer, _("y")) == 0;
}

typedef struct {
	gboolean dry_run;
	gboolean yes;
	gboolean wait;
	gchar *cache_dir;
} RmArgs;

static void
rm_args_clear(RmArgs *args)
{
	g_free(args->cache_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RmArgs, rm_args_clear)

/* {"plan": …, "job": …|null}: the one shape of rm and prune */
static void
print_delete_json(GVariant *plan, HfhubDBusJob *job)
{
	JsonObject *object = json_object_new();
	g_autoptr(JsonNode) node = NULL;

	json_object_set_member(object, "plan", hfhub_json_from_variant(plan));
	if (job != NULL)
		json_object_set_member(object, "job", hfhub_json_job(job));
	else
		json_object_set_null_member(object, "job");
	node = hfhub_json_take_object(object);
	hfhub_json_print(node);
}

static HfhubProgress *
progress_for(HfhubCli *cli)
{
	if (cli->json || !cli->console.progress)
		return NULL;
	return hfhub_progress_new(STDERR_FILENO, cli->console.utf8, cli->console.color_stderr,
				  cli->console.dumb);
}

static gint
job_exit_code(HfhubDBusJob *job, gboolean interrupted)
{
	if (g_strcmp0(hfhub_cli_job_state(job), "succeeded") == 0)
		return HFHUB_EXIT_OK;
	return interrupted ? HFHUB_EXIT_INTERRUPTED : HFHUB_EXIT_JOB_FAILED;
}

/* the queued job, followed to its end */
static gint
follow_delete(HfhubCli *cli, GVariant *plan, const gchar *job_path, gboolean prune)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubDBusJob) job = hfhub_cli_job_proxy_new(cli, job_path, &error);
	g_autoptr(GPtrArray) jobs = g_ptr_array_new();
	g_autoptr(HfhubProgress) progress = progress_for(cli);
	gboolean interrupted = FALSE;
	GVariant *result;
	gint exit_code;

	if (job == NULL)
		return hfhub_cli_fail(cli, error);
	g_ptr_array_add(jobs, job);
	if (!hfhub_cli_follow_jobs(cli, jobs, HFHUB_FOLLOW_CANCEL_ON_INTERRUPT, progress,
				   &interrupted, &error))
		return hfhub_cli_fail(cli, error);
	g_clear_pointer(&progress, hfhub_progress_free);
	exit_code = job_exit_code(job, interrupted);
	if (cli->json) {
		print_delete_json(plan, job);
		return exit_code;
	}
	if (exit_code != HFHUB_EXIT_OK) {
		const gchar *message = hfhub_dbus_job_get_error_message(job);
		hfhub_console_print_error(&cli->console,
					  message != NULL && *message != '\0'
						  ? message
						  : _("The deletion was cancelled."));
		return exit_code;
	}
	result = hfhub_dbus_job_get_result(job);
	{
		g_autofree gchar *freed =
			g_format_size(hfhub_cli_cache_lookup_t(result, "freed-bytes"));
		g_autofree gchar *line = NULL;
		g_autoptr(GVariant) warnings =
			g_variant_lookup_value(result, "warnings", G_VARIANT_TYPE("as"));

		if (prune)
			line = g_strdup_printf(
				/* TRANSLATORS: revisions, partial files, size */
				_("Deleted %u unreferenced revision(s) and %u partial download(s); "
				  "freed %s."),
				count_revisions(result, FALSE),
				hfhub_cli_cache_lookup_u(result, "deleted-incomplete"), freed);
		else
			line = g_strdup_printf(
				/* TRANSLATORS: repos, revisions, size */
				_("Deleted %u repo(s) and %u revision(s); freed %s."),
				hfhub_cli_cache_lookup_u(result, "deleted-repos"),
				count_revisions(result, FALSE), freed);
		hfhub_console_print_line(line);
		for (gsize i = 0; warnings != NULL && i < g_variant_n_children(warnings); i++) {
			g_autoptr(GVariant) w = g_variant_get_child_value(warnings, i);
			hfhub_console_print_warning(&cli->console, g_variant_get_string(w, NULL));
		}
	}
	return HFHUB_EXIT_OK;
}

static gint
run_delete(HfhubCli *cli, RmArgs *args, const gchar *const *targets, gboolean prune)
{
	g_autoptr(HfhubDBusCache) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) plan = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *job_path = NULL;
	gboolean ok;

	proxy = hfhub_cli_cache_proxy(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	options = hfhub_cli_cache_options_new(args->cache_dir);
	if (prune)
		ok = hfhub_dbus_cache_call_plan_prune_sync(proxy, g_variant_dict_end(options),
							   &plan, NULL, &error);
	else
		ok = hfhub_dbus_cache_call_plan_delete_sync(
			proxy, targets, g_variant_dict_end(options), &plan, NULL, &error);
	if (!ok)
		return hfhub_cli_fail(cli, error);

	if (!cli->json)
		print_missing(cli, plan);
	if (plan_is_empty(plan)) {
		if (cli->json)
			print_delete_json(plan, NULL);
		else
			hfhub_console_print_line(
				prune ? _("No unreferenced revisions or partial downloads found. "
					  "Nothing to prune.")
				      : _("Nothing to delete."));
		return HFHUB_EXIT_OK;
	}
	if (!cli->json) {
		print_about(plan, prune);
		print_selection(plan);
		print_conflicts(cli, plan, args->wait);
	}
	if (args->dry_run) {
		if (cli->json)
			print_delete_json(plan, NULL);
		else
			hfhub_console_print_line(_("Dry run: no files were deleted."));
		return HFHUB_EXIT_OK;
	}
	if (!args->yes) {
		if (cli->json || !isatty(STDIN_FILENO))
			return hfhub_cli_usage_error(
				cli, "%s",
				_("Nothing was deleted: confirm with --yes (or look first with "
				  "--dry-run)."));
		if (!confirm(prune ? _("Proceed?") : _("Proceed with deletion?"))) {
			hfhub_console_print_line(_("Deletion cancelled."));
			return HFHUB_EXIT_OK;
		}
	}

	g_clear_pointer(&options, g_variant_dict_unref);
	options = hfhub_cli_cache_options_new(args->cache_dir);
	if (args->wait)
		g_variant_dict_insert(options, "wait", "b", TRUE);
	if (prune)
		ok = hfhub_dbus_cache_call_prune_sync(proxy, g_variant_dict_end(options), &job_path,
						      NULL, &error);
	else
		ok = hfhub_dbus_cache_call_delete_sync(proxy, targets, g_variant_dict_end(options),
						       &job_path, NULL, &error);
	if (!ok)
		return hfhub_cli_fail(cli, error);
	return follow_delete(cli, plan, job_path, prune);
}

static GOptionEntry *
rm_entries(RmArgs *args)
{
	const GOptionEntry entries[] = {
		/* TRANSLATORS: the descriptions of the options of "hfhub cache rm" and "prune" */
		{ "dry-run", 0, 0, G_OPTION_ARG_NONE, &args->dry_run,
		  N_("Only show what would be deleted and freed"), NULL },
		{ "yes", 'y', 0, G_OPTION_ARG_NONE, &args->yes, N_("Do not ask for confirmation"),
		  NULL },
		{ "wait", 0, 0, G_OPTION_ARG_NONE, &args->wait,
		  N_("Wait for downloads into these repositories to finish instead of refusing"),
		  NULL },
		{ "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &args->cache_dir,
		  N_("Cache directory (default: $HF_HUB_CACHE, or $HF_HOME/hub)"), N_("DIR") },
		{ NULL }
	};
	return g_memdup2(entries, sizeof(entries));
}

gint
hfhub_cli_cmd_cache_rm(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RmArgs) args = { 0 };
	g_autofree GOptionEntry *entries = rm_entries(&args);
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("REPO_OR_REVISION…"),
		_("Delete repositories (“model/org/name”, or “org/name” for a model) or revisions "
		  "(40-hex hashes) from the Hugging Face cache. A blob another revision still uses "
		  "is kept."),
		entries);
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc < 2)
		return hfhub_cli_usage_error(
			cli, "%s",
			_("Give the repositories or revisions to delete, as “hfhub cache ls” "
			  "shows them."));
	return run_delete(cli, &args, (const gchar *const *)argv + 1, FALSE);
}

gint
hfhub_cli_cmd_cache_prune(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RmArgs) args = { 0 };
	g_autofree GOptionEntry *entries = rm_entries(&args);
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, NULL,
		_("Delete the revisions no ref points at, and the partial downloads that no "
		  "download is writing or will resume."),
		entries);
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	return run_delete(cli, &args, NULL, TRUE);
}

/* ---- hfhub cache verify */

typedef struct {
	gchar *repo_type;
	gboolean repair;
	gchar *cache_dir;
} VerifyArgs;

static void
verify_args_clear(VerifyArgs *args)
{
	g_free(args->repo_type);
	g_free(args->cache_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VerifyArgs, verify_args_clear)

static gboolean
is_hex40(const gchar *s)
{
	guint n = 0;

	for (; s[n] != '\0'; n++) {
		if (!g_ascii_isxdigit(s[n]))
			return FALSE;
	}
	return n == 40;
}

/* "org/name" with --repo-type dataset → "dataset/org/name" */
static gchar *
verify_target(const gchar *arg, const gchar *repo_type)
{
	if (repo_type == NULL || is_hex40(arg) || g_str_has_prefix(arg, "model/") ||
	    g_str_has_prefix(arg, "dataset/") || g_str_has_prefix(arg, "space/") ||
	    strstr(arg, "--") != NULL)
		return g_strdup(arg);
	return g_strdup_printf("%s/%s", repo_type, arg);
}

static void
print_problems(HfhubCli *cli, GVariant *result)
{
	g_autoptr(GVariant) problems =
		g_variant_lookup_value(result, "problems", G_VARIANT_TYPE("aa{sv}"));

	for (gsize i = 0; problems != NULL && i < g_variant_n_children(problems); i++) {
		g_autoptr(GVariant) p = g_variant_get_child_value(problems, i);
		g_autofree const gchar **files = hfhub_cli_cache_lookup_strv(p, "files");
		g_autofree gchar *where = g_strjoinv(", ", (gchar **)files);
		const gchar *error = NULL;
		g_autofree gchar *line = NULL;

		if (g_variant_lookup(p, "error", "&s", &error))
			line = g_strdup_printf(
				/* TRANSLATORS: repo, blob path, the error */
				_("%s: cannot read %s: %s"),
				hfhub_cli_cache_lookup_str(p, "cache-id"),
				hfhub_cli_cache_lookup_str(p, "blob"), error);
		else
			line = g_strdup_printf(
				/* TRANSLATORS: repo, files, expected digest, algorithm, found
				   digest */
				_("%s: %s: expected %s (%s), got %s"),
				hfhub_cli_cache_lookup_str(p, "cache-id"), where,
				hfhub_cli_cache_lookup_str(p, "expected"),
				hfhub_cli_cache_lookup_str(p, "algorithm"),
				hfhub_cli_cache_lookup_str(p, "actual"));
		hfhub_console_print_error(&cli->console, line);
	}
}

static void
print_verify_json(HfhubDBusJob *job, GPtrArray *repairs)
{
	JsonObject *object = json_object_new();
	JsonArray *array = json_array_new();
	g_autoptr(JsonNode) node = NULL;

	for (guint i = 0; repairs != NULL && i < repairs->len; i++)
		json_array_add_element(array, hfhub_json_job(g_ptr_array_index(repairs, i)));
	json_object_set_member(object, "job", hfhub_json_job(job));
	json_object_set_array_member(object, "repair_jobs", array);
	node = hfhub_json_take_object(object);
	hfhub_json_print(node);
}

/* the downloads that fetch the damaged blobs again, followed to their end */
static gboolean
follow_repairs(HfhubCli *cli, GVariant *result, GPtrArray *repairs, gboolean *interrupted,
	       GError **error)
{
	g_autoptr(GVariant) ids =
		g_variant_lookup_value(result, "repair-jobs", G_VARIANT_TYPE("at"));
	g_autoptr(HfhubProgress) progress = NULL;

	for (gsize i = 0; ids != NULL && i < g_variant_n_children(ids); i++) {
		g_autoptr(GVariant) id = g_variant_get_child_value(ids, i);
		HfhubDBusJob *job = hfhub_cli_get_job(cli, g_variant_get_uint64(id), error);
		if (job == NULL)
			return FALSE;
		g_ptr_array_add(repairs, job);
	}
	if (repairs->len == 0)
		return TRUE;
	if (repairs->len == 1)
		progress = progress_for(cli);
	return hfhub_cli_follow_jobs(cli, repairs, HFHUB_FOLLOW_NONE, progress, interrupted, error);
}

gint
hfhub_cli_cmd_cache_verify(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(VerifyArgs) args = { 0 };
	const GOptionEntry entries[] = {
		/* TRANSLATORS: the descriptions of the options of "hfhub cache verify" */
		{ "repo-type", 0, 0, G_OPTION_ARG_STRING, &args.repo_type,
		  N_("Type of the repositories given: model (the default), dataset or space"),
		  N_("TYPE") },
		{ "repair", 0, 0, G_OPTION_ARG_NONE, &args.repair,
		  N_("Remove damaged blobs and download them again"), NULL },
		{ "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.cache_dir,
		  N_("Cache directory (default: $HF_HUB_CACHE, or $HF_HOME/hub)"), N_("DIR") },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("[REPO…]"),
		_("Hash the cached blobs of repositories (all of them without REPO) and compare "
		  "them with their names: SHA-256 for LFS files, the git blob SHA-1 for the "
		  "others."),
		entries);
	g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(HfhubDBusCache) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *job_path = NULL;
	g_autofree gchar *endpoint = hfhub_hf_env_endpoint();
	g_autoptr(HfhubDBusJob) job = NULL;
	g_autoptr(GPtrArray) jobs = g_ptr_array_new();
	g_autoptr(GPtrArray) repairs = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(HfhubProgress) progress = NULL;
	g_autoptr(GVariant) missing = NULL;
	gboolean interrupted = FALSE;
	GVariant *result;
	guint32 corrupted, unreadable, removed;
	gint exit_code;
	const gchar *nick = NULL;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (args.repo_type != NULL &&
	    !hfhub_cli_parse_repo_type(cli, args.repo_type, &nick, &exit_code))
		return exit_code;
	for (gint i = 1; i < argc; i++)
		g_ptr_array_add(targets, verify_target(argv[i], args.repo_type));
	g_ptr_array_add(targets, NULL);

	proxy = hfhub_cli_cache_proxy(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	options = hfhub_cli_cache_options_new(args.cache_dir);
	if (args.repair)
		g_variant_dict_insert(options, "repair", "b", TRUE);
	if (endpoint != NULL)
		g_variant_dict_insert(options, "endpoint", "s", endpoint);
	if (!hfhub_dbus_cache_call_verify_sync(proxy, (const gchar *const *)targets->pdata,
					       g_variant_dict_end(options), &job_path, NULL,
					       &error))
		return hfhub_cli_fail(cli, error);
	job = hfhub_cli_job_proxy_new(cli, job_path, &error);
	if (job == NULL)
		return hfhub_cli_fail(cli, error);
	g_ptr_array_add(jobs, job);
	progress = progress_for(cli);
	if (!hfhub_cli_follow_jobs(cli, jobs, HFHUB_FOLLOW_CANCEL_ON_INTERRUPT, progress,
				   &interrupted, &error))
		return hfhub_cli_fail(cli, error);
	g_clear_pointer(&progress, hfhub_progress_free);
	exit_code = job_exit_code(job, interrupted);
	if (exit_code != HFHUB_EXIT_OK) {
		if (cli->json)
			print_verify_json(job, NULL);
		else
			hfhub_console_print_error(&cli->console,
						  hfhub_dbus_job_get_error_message(job));
		return exit_code;
	}
	result = hfhub_dbus_job_get_result(job);
	corrupted = hfhub_cli_cache_lookup_u(result, "corrupted");
	unreadable = hfhub_cli_cache_lookup_u(result, "unreadable");
	removed = hfhub_cli_cache_lookup_u(result, "removed");
	missing = g_variant_lookup_value(result, "missing", G_VARIANT_TYPE("as"));

	if (!cli->json) {
		g_autofree gchar *size =
			g_format_size(hfhub_cli_cache_lookup_t(result, "checked-bytes"));
		g_autofree gchar *line = NULL;
		guint32 unverifiable = hfhub_cli_cache_lookup_u(result, "unverifiable");

		for (gsize i = 0; missing != NULL && i < g_variant_n_children(missing); i++) {
			g_autoptr(GVariant) m = g_variant_get_child_value(missing, i);
			/* TRANSLATORS: %s is a repository the user named */
			g_autofree gchar *text = g_strdup_printf(_("%s is not in the cache."),
								 g_variant_get_string(m, NULL));
			hfhub_console_print_error(&cli->console, text);
		}
		print_problems(cli, result);
		line = g_strdup_printf(
			/* TRANSLATORS: files, size, damaged files */
			_("Checked %u file(s) (%s): %u damaged."),
			hfhub_cli_cache_lookup_u(result, "checked"), size, corrupted + unreadable);
		hfhub_console_print_line(line);
		if (unverifiable > 0) {
			g_autofree gchar *text = g_strdup_printf(
				/* TRANSLATORS: %u files */
				_("%u file(s) cannot be checked: copies made without symlinks, or "
				  "blobs not named by a hash."),
				unverifiable);
			hfhub_console_print_line(text);
		}
	}
	if (args.repair && removed > 0) {
		if (!cli->json) {
			g_autofree gchar *text = g_strdup_printf(
				/* TRANSLATORS: %u damaged blobs */
				_("Removed %u damaged blob(s); downloading them again…"), removed);
			hfhub_console_print_line(text);
		}
		if (!follow_repairs(cli, result, repairs, &interrupted, &error))
			return hfhub_cli_fail(cli, error);
	}
	exit_code = HFHUB_EXIT_OK;
	if (missing != NULL && g_variant_n_children(missing) > 0)
		exit_code = HFHUB_EXIT_NOT_FOUND;
	if (corrupted + unreadable > 0 && !args.repair)
		exit_code = HFHUB_EXIT_FAILURE;
	if (args.repair && removed < corrupted + unreadable)
		exit_code = HFHUB_EXIT_FAILURE;
	for (guint i = 0; i < repairs->len; i++) {
		HfhubDBusJob *repair = g_ptr_array_index(repairs, i);

		if (g_strcmp0(hfhub_cli_job_state(repair), "succeeded") != 0) {
			exit_code = interrupted ? HFHUB_EXIT_INTERRUPTED : HFHUB_EXIT_JOB_FAILED;
			if (!cli->json) {
				g_autofree gchar *id = hfhub_format_job_id(repair);
				/* TRANSLATORS: %s is a job ID, then the error message */
				g_autofree gchar *text =
					g_strdup_printf(_("Repair download %s failed: %s"), id,
							hfhub_dbus_job_get_error_message(repair));
				hfhub_console_print_error(&cli->console, text);
			}
		}
	}
	if (cli->json) {
		print_verify_json(job, repairs);
	} else if (exit_code == HFHUB_EXIT_OK && repairs->len > 0) {
		hfhub_console_print_line(_("Repaired: the damaged files were downloaded again."));
	} else if (exit_code == HFHUB_EXIT_OK && corrupted + unreadable == 0) {
		hfhub_console_print_line(_("All checksums match."));
	}
	return exit_code;
}
