/* hfhub download REPO [FILES…]: what "hf download" does, as a job of hfhubd.
 *
 * The options and the Hugging Face environment are read here (the daemon
 * may run with another environment) and sent with the request. Then the
 * job is followed: a progress bar on a terminal, the path of what was
 * downloaded on stdout at the end, Ctrl-C cancels the job. */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "hfhub-cli-commands.h"
#include "hfhub-cli-follow.h"
#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-enums.h"
#include "hfhub-hf-env.h"
#include "hfhub-table.h"
#include "hfhub-text.h"

/* --max-workers not given */
#define MAX_WORKERS_UNSET G_MININT

typedef struct {
	gchar *repo_type;
	gchar *revision;
	gchar **include;
	gchar **exclude;
	gchar *cache_dir;
	gchar *local_dir;
	gboolean force;
	gboolean dry_run;
	gboolean detach;
	gboolean quiet;
	gint max_workers;
	gint priority;
	gchar *identity;
	gchar *at;
	gchar *window;
	gboolean unmetered_only;
	gboolean wait_for_space;
	gint64 start_at; /* from --at */
} DownloadArgs;

static void
download_args_clear(DownloadArgs *args)
{
	g_free(args->repo_type);
	g_free(args->revision);
	g_strfreev(args->include);
	g_strfreev(args->exclude);
	g_free(args->cache_dir);
	g_free(args->local_dir);
	g_free(args->identity);
	g_free(args->at);
	g_free(args->window);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(DownloadArgs, download_args_clear)

/* the a{sv} options of Manager.Download: only keys that apply */
static GVariant *
build_options(DownloadArgs *args)
{
	g_autoptr(GVariantDict) options = g_variant_dict_new(NULL);
	g_autofree gchar *cache_dir = NULL;
	g_autofree gchar *endpoint = hfhub_hf_env_endpoint();

	hfhub_cli_options_add_strv(options, "include", args->include);
	hfhub_cli_options_add_strv(options, "exclude", args->exclude);
	if (args->cache_dir != NULL)
		cache_dir = hfhub_hf_env_expand_path(args->cache_dir);
	else
		cache_dir = hfhub_hf_env_cache_dir();
	if (cache_dir != NULL)
		g_variant_dict_insert(options, "cache-dir", "s", cache_dir);
	if (args->local_dir != NULL) {
		g_autofree gchar *local_dir = g_canonicalize_filename(args->local_dir, NULL);
		g_variant_dict_insert(options, "local-dir", "s", local_dir);
	}
	if (endpoint != NULL)
		g_variant_dict_insert(options, "endpoint", "s", endpoint);
	if (hfhub_hf_env_offline())
		g_variant_dict_insert(options, "offline", "b", TRUE);
	if (args->force)
		g_variant_dict_insert(options, "force", "b", TRUE);
	if (args->dry_run)
		g_variant_dict_insert(options, "dry-run", "b", TRUE);
	if (args->max_workers != MAX_WORKERS_UNSET)
		g_variant_dict_insert(options, "parallelism", "u", (guint32)args->max_workers);
	if (args->priority != 0)
		g_variant_dict_insert(options, "priority", "i", (gint32)args->priority);
	if (args->identity != NULL)
		g_variant_dict_insert(options, "identity", "s", args->identity);
	if (args->detach)
		g_variant_dict_insert(options, "detach", "b", TRUE);
	if (args->start_at > 0)
		g_variant_dict_insert(options, "start-at", "x", args->start_at);
	if (args->window != NULL)
		g_variant_dict_insert(options, "window", "s", args->window);
	if (args->unmetered_only)
		g_variant_dict_insert(options, "unmetered-only", "b", TRUE);
	if (args->wait_for_space)
		g_variant_dict_insert(options, "on-disk-full", "s", "wait");
	return g_variant_dict_end(options);
}

/* the Result's "files" of a dry run, as a table and a total */
static void
print_dry_run(HfhubCli *cli, HfhubDBusJob *job)
{
	GVariant *result = hfhub_dbus_job_get_result(job);
	g_autoptr(GVariant) files = NULL;
	g_autoptr(HfhubTable) table = NULL;
	g_autofree gchar *total_size = NULL;
	g_autofree gchar *summary = NULL;
	GVariantIter iter;
	GVariant *file;
	guint64 total_bytes = 0;
	guint n_files = 0;
	guint n_download = 0;

	if (result != NULL)
		files = g_variant_lookup_value(result, "files", G_VARIANT_TYPE("aa{sv}"));
	table = hfhub_table_new(
		/* TRANSLATORS: column headers of "hfhub download --dry-run" */
		_("FILE"), _("SIZE"), _("CACHED"), _("DOWNLOAD"), NULL);
	hfhub_table_set_align_right(table, 1, TRUE);
	if (files != NULL) {
		g_variant_iter_init(&iter, files);
		while ((file = g_variant_iter_next_value(&iter)) != NULL) {
			const gchar *path = "";
			guint64 size = 0;
			gboolean cached = FALSE;
			gboolean will_download = FALSE;
			g_autofree gchar *size_str = NULL;
			const gchar *cells[4];

			g_variant_lookup(file, "path", "&s", &path);
			g_variant_lookup(file, "size", "t", &size);
			g_variant_lookup(file, "cached", "b", &cached);
			g_variant_lookup(file, "will-download", "b", &will_download);
			size_str = g_format_size(size);
			cells[0] = path;
			cells[1] = size_str;
			/* TRANSLATORS: answers in the CACHED and DOWNLOAD columns */
			cells[2] = cached ? _("yes") : _("no");
			cells[3] = will_download ? _("yes") : _("no");
			hfhub_table_add_row(table, cells);
			n_files++;
			if (will_download) {
				n_download++;
				total_bytes += size;
			}
			g_variant_unref(file);
		}
	}
	if (n_files > 0)
		hfhub_console_print_table(&cli->console, table);
	total_size = g_format_size(total_bytes);
	summary = g_strdup_printf(
		/* TRANSLATORS: the total of a dry run, e.g. "Would download 3 of 10 files (1.2
		   GB)." */
		ngettext("Would download %u of %u file (%s).",
			 "Would download %u of %u files (%s).", n_files),
		n_download, n_files, total_size);
	hfhub_console_print_line(summary);
}

static void
print_result_path(HfhubDBusJob *job)
{
	GVariant *result = hfhub_dbus_job_get_result(job);
	const gchar *path = NULL;

	/* a file name: printed as it is, for "$(hfhub download …)" */
	if (result != NULL && g_variant_lookup(result, "path", "&s", &path)) {
		fputs(path, stdout);
		fputc('\n', stdout);
	}
}

/* a succeeded job: what --dry-run would fetch, or the path */
static void
print_result(HfhubCli *cli, HfhubDBusJob *job, gpointer user_data)
{
	const DownloadArgs *args = user_data;

	if (args->dry_run)
		print_dry_run(cli, job);
	else
		print_result_path(job);
}

static gboolean
validate_args(HfhubCli *cli, DownloadArgs *args, gint *exit_code)
{
	const gchar *nick = NULL;

	if (args->repo_type != NULL) {
		if (!hfhub_cli_parse_repo_type(cli, args->repo_type, &nick, exit_code))
			return FALSE;
		g_free(args->repo_type);
		args->repo_type = g_strdup(nick);
	}
	if (args->max_workers != MAX_WORKERS_UNSET && args->max_workers < 1) {
		*exit_code = hfhub_cli_usage_error(cli, "%s",
						   _("--max-workers needs a positive number."));
		return FALSE;
	}
	if (args->local_dir != NULL && *args->local_dir == '\0') {
		*exit_code = hfhub_cli_usage_error(cli, "%s", _("--local-dir needs a directory."));
		return FALSE;
	}
	if (args->cache_dir != NULL && *args->cache_dir == '\0') {
		*exit_code = hfhub_cli_usage_error(cli, "%s", _("--cache-dir needs a directory."));
		return FALSE;
	}
	return TRUE;
}

/* "01:00" → the next 01:00 to come, as a UNIX time */
static gboolean
parse_at(const gchar *text, gint64 *start_at)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autoptr(GDateTime) today = NULL;
	guint h = 0, m = 0, sec = 0;
	gchar extra;
	gint n = sscanf(text, "%2u:%2u:%2u%c", &h, &m, &sec, &extra);

	if (n != 3 && !(n == 2 && sscanf(text, "%2u:%2u%c", &h, &m, &extra) == 2))
		return FALSE;
	if (h > 23 || m > 59 || sec > 59)
		return FALSE;
	today = g_date_time_new_local(g_date_time_get_year(now), g_date_time_get_month(now),
				      g_date_time_get_day_of_month(now), (gint)h, (gint)m, sec);
	*start_at = g_date_time_to_unix(today);
	if (*start_at <= g_date_time_to_unix(now))
		*start_at += 24 * 3600;
	return TRUE;
}

gint
hfhub_cli_cmd_download(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(DownloadArgs) args = { .max_workers = MAX_WORKERS_UNSET };
	const GOptionEntry entries[] = {
		/* TRANSLATORS: the descriptions of the options of "hfhub download" */
		{ "repo-type", 0, 0, G_OPTION_ARG_STRING, &args.repo_type,
		  N_("Type of the repository: model (the default), dataset or space"), N_("TYPE") },
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &args.revision,
		  N_("Branch, tag or commit to download (default: main)"), N_("REV") },
		{ "include", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.include,
		  N_("Only files matching this glob pattern; may be repeated"), N_("PATTERN") },
		{ "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.exclude,
		  N_("Skip files matching this glob pattern; may be repeated"), N_("PATTERN") },
		{ "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.cache_dir,
		  N_("Cache directory (default: $HF_HUB_CACHE, or $HF_HOME/hub)"), N_("DIR") },
		{ "local-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.local_dir,
		  N_("Put the files in this directory rather than in the cache"), N_("DIR") },
		{ "force-download", 0, 0, G_OPTION_ARG_NONE, &args.force,
		  N_("Download the files even if they are already cached"), NULL },
		{ "dry-run", 0, 0, G_OPTION_ARG_NONE, &args.dry_run,
		  N_("Only show which files would be downloaded, and how much"), NULL },
		{ "detach", 0, 0, G_OPTION_ARG_NONE, &args.detach,
		  N_("Queue the job, print its ID and return at once"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet,
		  N_("No progress bar: print only the path of the files"), NULL },
		{ "max-workers", 0, 0, G_OPTION_ARG_INT, &args.max_workers,
		  N_("Download at most N files at the same time"), N_("N") },
		{ "priority", 0, 0, G_OPTION_ARG_INT, &args.priority,
		  N_("Priority of the job: higher runs first (default: 0)"), N_("N") },
		{ "at", 0, 0, G_OPTION_ARG_STRING, &args.at,
		  N_("Start at this local time (HH:MM or HH:MM:SS, the next one to come)"),
		  N_("TIME") },
		{ "window", 0, 0, G_OPTION_ARG_STRING, &args.window,
		  N_("Work only inside this daily window of local time, e.g. 01:00-07:00; "
		     "outside it the job waits and then continues"),
		  N_("START-END") },
		{ "unmetered-only", 0, 0, G_OPTION_ARG_NONE, &args.unmetered_only,
		  N_("Transfer only while the network is not metered"), NULL },
		{ "wait-for-space", 0, 0, G_OPTION_ARG_NONE, &args.wait_for_space,
		  N_("When the files do not fit on the disk, wait for space instead of failing"),
		  NULL },
		{ "token-identity", 0, 0, G_OPTION_ARG_STRING, &args.identity,
		  N_("Use the token stored under this name instead of the default one"),
		  N_("NAME") },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, _("REPO [FILES…]"),
		_("Download files from a repository on the Hugging Face Hub into the cache (or a "
		  "local directory) and print their path. Without FILES, the whole repository."),
		entries);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *job_path = NULL;
	g_autoptr(GPtrArray) files = g_ptr_array_new();
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc < 2)
		return hfhub_cli_usage_error(
			cli, "%s",
			_("Give the repository to download from, e.g. “openai-community/gpt2”."));
	if (!validate_args(cli, &args, &exit_code))
		return exit_code;
	if (args.at != NULL && !parse_at(args.at, &args.start_at))
		return hfhub_cli_usage_error(
			cli, _("“%s” is not a time of day: give HH:MM or HH:MM:SS."), args.at);
	for (gint i = 2; i < argc; i++)
		g_ptr_array_add(files, argv[i]);
	g_ptr_array_add(files, NULL);

	hfhub_cli_note_ignored_env(cli);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_manager_call_download_sync(
		    cli->manager, argv[1], args.repo_type != NULL ? args.repo_type : "",
		    args.revision != NULL ? args.revision : "", (const gchar *const *)files->pdata,
		    build_options(&args), &job_path, NULL, &error))
		return hfhub_cli_fail(cli, error);
	return hfhub_cli_follow_and_report(cli, job_path, args.detach, args.quiet, print_result,
					   &args);
}
