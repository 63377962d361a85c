/* hfhub models|datasets|spaces ls|info, and the list output that every
 * command over the Repos interface shares (tables that fit the terminal,
 * CSV, JSON). */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCli"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-cli-json.h"
#include "hfhub-cli-repo.h"
#include "hfhub-error.h"
#include "hfhub-hf-env.h"
#include "hfhub-names.h"
#include "hfhub-table.h"
#include "hfhub-text.h"

/* as hf: 30 results unless told otherwise */
#define LS_DEFAULT_LIMIT 30
/* the daemon answers big listings in one reply: allow for the Hub's pages */
#define REPOS_CALL_TIMEOUT_MS (5 * 60 * 1000)
#define MAX_LIST_COLUMNS      8

/* ---- shared helpers */

HfhubDBusRepos *
hfhub_cli_repos_connect(HfhubCli *cli, GError **error)
{
	HfhubDBusRepos *proxy;

	/* connects and starts hfhubd when needed */
	if (!hfhub_cli_connect(cli, error))
		return NULL;
	proxy = hfhub_dbus_repos_proxy_new_sync(cli->connection,
						G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
							G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS |
							G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
						cli->bus_name, HFHUB_DBUS_PATH, NULL, error);
	if (proxy != NULL)
		g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), REPOS_CALL_TIMEOUT_MS);
	return proxy;
}

GVariantDict *
hfhub_cli_repos_options(const gchar *identity)
{
	GVariantDict *options = g_variant_dict_new(NULL);
	g_autofree gchar *endpoint = hfhub_hf_env_endpoint();

	/* the daemon may run with another environment than ours */
	if (endpoint != NULL)
		g_variant_dict_insert(options, "endpoint", "s", endpoint);
	if (hfhub_hf_env_offline())
		g_variant_dict_insert(options, "offline", "b", TRUE);
	if (identity != NULL)
		g_variant_dict_insert(options, "identity", "s", identity);
	return options;
}

gboolean
hfhub_cli_parse_list_format(HfhubCli *cli, const gchar *arg, HfhubListFormat *format,
			    gint *exit_code)
{
	if (cli->json || g_strcmp0(arg, "json") == 0) {
		cli->json = TRUE;
		*format = HFHUB_LIST_JSON;
	} else if (arg == NULL || g_str_equal(arg, "table")) {
		*format = HFHUB_LIST_TABLE;
	} else if (g_str_equal(arg, "csv")) {
		*format = HFHUB_LIST_CSV;
	} else {
		*exit_code = hfhub_cli_usage_error(
			cli,
			/* TRANSLATORS: %s is what the user typed; keep table, csv and json */
			_("Unknown format “%s”: use table, csv or json."), arg);
		return FALSE;
	}
	return TRUE;
}

gint
hfhub_cli_repos_fail(HfhubCli *cli, const GError *error)
{
	g_autofree gchar *name = hfhub_cli_error_name(error);
	gint code = hfhub_cli_fail(cli, error);

	/* refused by hfhubd's own checks: nothing reached the Hub */
	if (g_strcmp0(name, HFHUB_DBUS_ERROR_PREFIX "InvalidArgument") == 0)
		return HFHUB_EXIT_USAGE;
	return code;
}

void
hfhub_cli_print_answer_json(GVariant *answer)
{
	g_autoptr(JsonNode) node = hfhub_json_from_variant(answer);

	hfhub_json_print(node);
}

static gchar *
format_age(gint64 seconds)
{
	if (seconds < 120)
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " second",
						"%" G_GINT64_FORMAT " seconds", (gulong)seconds),
				       seconds);
	if (seconds < 2 * 3600)
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " minute",
						"%" G_GINT64_FORMAT " minutes",
						(gulong)(seconds / 60)),
				       seconds / 60);
	if (seconds < 2 * 86400)
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " hour",
						"%" G_GINT64_FORMAT " hours",
						(gulong)(seconds / 3600)),
				       seconds / 3600);
	return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " day", "%" G_GINT64_FORMAT " days",
					(gulong)(seconds / 86400)),
			       seconds / 86400);
}

void
hfhub_cli_warn_if_stale(HfhubCli *cli, GVariant *answer)
{
	gboolean stale = FALSE;
	gint64 age = 0;
	const gchar *reason = NULL;
	const gchar *hub_error = NULL;
	g_autofree gchar *age_text = NULL;
	g_autofree gchar *message = NULL;

	if (cli->json || !g_variant_lookup(answer, "stale", "b", &stale) || !stale)
		return;
	g_variant_lookup(answer, "age", "x", &age);
	g_variant_lookup(answer, "stale-reason", "&s", &reason);
	g_variant_lookup(answer, "hub-error", "&s", &hub_error);
	age_text = format_age(age);
	if (g_strcmp0(reason, "offline") == 0)
		/* TRANSLATORS: %s is an age, e.g. "3 hours" */
		message =
			g_strdup_printf(_("Offline: this is what the Hub said %s ago."), age_text);
	else
		/* TRANSLATORS: first %s is an age, e.g. "3 hours", the second the
		 * error */
		message = g_strdup_printf(_("The Hub could not be reached (%s): this is what it "
					    "said %s ago."),
					  hub_error != NULL ? hub_error : "?", age_text);
	hfhub_console_print_warning(&cli->console, message);
}

gchar *
hfhub_cli_format_count(GVariant *dict, const gchar *key)
{
	guint64 v;

	if (!g_variant_lookup(dict, key, "t", &v))
		return g_strdup("");
	return g_strdup_printf("%" G_GUINT64_FORMAT, v);
}

/* "2024-05-01 12:03" in local time from the Hub's ISO date */
gchar *
hfhub_cli_format_date(GVariant *dict, const gchar *key)
{
	const gchar *iso = NULL;
	g_autoptr(GDateTime) dt = NULL;
	g_autoptr(GDateTime) local = NULL;

	if (!g_variant_lookup(dict, key, "&s", &iso))
		return g_strdup("");
	dt = g_date_time_new_from_iso8601(iso, NULL);
	if (dt == NULL)
		return g_strdup(iso);
	local = g_date_time_to_local(dt);
	return g_date_time_format(local, "%Y-%m-%d %H:%M");
}

static void
print_csv_row(const gchar *const *cells, guint n)
{
	g_autoptr(GString) line = g_string_new(NULL);

	for (guint c = 0; c < n; c++) {
		g_autofree gchar *clean = hfhub_text_sanitize(cells[c], TRUE);

		if (c > 0)
			g_string_append_c(line, ',');
		/* RFC 4180 */
		if (strpbrk(clean, ",\"\n\r") != NULL) {
			g_string_append_c(line, '"');
			for (const gchar *p = clean; *p != '\0'; p++) {
				if (*p == '"')
					g_string_append_c(line, '"');
				g_string_append_c(line, *p);
			}
			g_string_append_c(line, '"');
		} else {
			g_string_append(line, clean);
		}
	}
	g_string_append(line, "\r\n");
	fputs(line->str, stdout);
}

static guint
cell_width(const gchar *cell)
{
	g_autofree gchar *clean = hfhub_text_sanitize(cell, TRUE);
	g_auto(GStrv) lines = g_strsplit(clean, "\n", -1);
	guint width = 0;

	for (guint i = 0; lines[i] != NULL; i++)
		width = MAX(width, hfhub_text_width(lines[i]));
	return width;
}

void
hfhub_cli_print_list(HfhubCli *cli, const HfhubListColumn *columns, guint n_columns,
		     GPtrArray *rows, GPtrArray *raw_rows, HfhubListFormat format,
		     gboolean no_truncate)
{
	gboolean shown[MAX_LIST_COLUMNS] = { FALSE };
	guint natural[MAX_LIST_COLUMNS] = { 0 };
	const gchar *headers[MAX_LIST_COLUMNS + 1] = { NULL };
	g_autoptr(GPtrArray) hidden = g_ptr_array_new();
	g_autoptr(HfhubTable) table = NULL;
	guint width = no_truncate ? 0 : hfhub_console_get_width(STDOUT_FILENO);
	guint n_shown = 0;

	g_return_if_fail(n_columns <= MAX_LIST_COLUMNS);
	if (format == HFHUB_LIST_CSV) {
		const gchar *csv[MAX_LIST_COLUMNS];
		for (guint c = 0; c < n_columns; c++)
			csv[c] = columns[c].csv;
		print_csv_row(csv, n_columns);
		for (guint r = 0; r < rows->len; r++)
			print_csv_row(g_ptr_array_index(raw_rows != NULL ? raw_rows : rows, r),
				      n_columns);
		return;
	}

	/* a column nobody has a value for says nothing */
	for (guint c = 0; c < n_columns; c++) {
		natural[c] = cell_width(columns[c].header);
		for (guint r = 0; r < rows->len; r++) {
			const gchar *cell = ((const gchar *const *)g_ptr_array_index(rows, r))[c];
			if (cell != NULL && *cell != '\0') {
				shown[c] = TRUE;
				natural[c] = MAX(natural[c], cell_width(cell));
			}
		}
		shown[c] |= columns[c].priority == 0;
	}
	/* too wide: drop the least important columns, and say so, rather than
	 * wrap every cell (X1 in user-needs.md) */
	while (width > 0) {
		guint total = 0;
		guint n = 0;
		gint drop = -1;

		for (guint c = 0; c < n_columns; c++) {
			if (!shown[c])
				continue;
			total += natural[c] + (n++ > 0 ? HFHUB_TABLE_GAP : 0);
			if (columns[c].priority > 0 &&
			    (drop < 0 || columns[c].priority >= columns[drop].priority))
				drop = (gint)c;
		}
		if (total <= width || drop < 0)
			break;
		shown[drop] = FALSE;
		g_ptr_array_insert(hidden, 0, (gpointer)columns[drop].header);
	}
	for (guint c = 0; c < n_columns; c++) {
		if (shown[c])
			headers[n_shown++] = columns[c].header;
	}
	/* NULL-padded: the table takes headers up to the first NULL */
	table = hfhub_table_new(headers[0], headers[1], headers[2], headers[3], headers[4],
				headers[5], headers[6], headers[7], NULL);
	for (guint c = 0, i = 0; c < n_columns; c++) {
		if (shown[c])
			hfhub_table_set_align_right(table, i++, columns[c].align_right);
	}
	for (guint r = 0; r < rows->len; r++) {
		const gchar *const *row = g_ptr_array_index(rows, r);
		const gchar *cells[MAX_LIST_COLUMNS] = { NULL };
		for (guint c = 0, i = 0; c < n_columns; c++) {
			if (shown[c])
				cells[i++] = row[c];
		}
		hfhub_table_add_row(table, cells);
	}
	/* --no-truncate: no column dropped, no cell wrapped */
	hfhub_console_print_table_at(&cli->console, table, width);
	if (hidden->len > 0) {
		g_autofree gchar *names = NULL;
		g_autofree gchar *message = NULL;

		g_ptr_array_add(hidden, NULL);
		names = g_strjoinv(", ", (gchar **)hidden->pdata);
		message = g_strdup_printf(
			/* TRANSLATORS: %s is a list of column headers, e.g. "LIKES, CREATED" */
			_("Not shown for lack of width: %s. Use --no-truncate to show every "
			  "column, or --format csv or --json."),
			names);
		hfhub_console_print_warning(&cli->console, message);
	}
}

/* ---- ls */

typedef struct {
	const gchar *key;
	enum { CELL_STRING, CELL_COUNT, CELL_DATE, CELL_PRIVATE } kind;
} SearchField;

static const SearchField search_fields[] = {
	{ "id", CELL_STRING },		 { "downloads", CELL_COUNT },
	{ "likes", CELL_COUNT },	 { "sdk", CELL_STRING },
	{ "pipeline-tag", CELL_STRING }, { "library-name", CELL_STRING },
	{ "last-modified", CELL_DATE },	 { "private", CELL_PRIVATE },
};

static void
search_columns(HfhubListColumn *columns)
{
	const HfhubListColumn all[] = {
		/* TRANSLATORS: column headers of "hfhub models ls" */
		{ _("ID"), "id", 0, FALSE },
		{ _("DOWNLOADS"), "downloads", 2, TRUE },
		{ _("LIKES"), "likes", 3, TRUE },
		{ _("SDK"), "sdk", 3, FALSE },
		{ _("PIPELINE"), "pipeline_tag", 4, FALSE },
		{ _("LIBRARY"), "library_name", 5, FALSE },
		{ _("UPDATED"), "last_modified", 6, FALSE },
		{ _("PRIVATE"), "private", 7, FALSE },
	};
	G_STATIC_ASSERT(G_N_ELEMENTS(all) == G_N_ELEMENTS(search_fields));
	memcpy(columns, all, sizeof(all));
}

static gchar *
search_cell(GVariant *repo, const SearchField *field, gboolean raw)
{
	const gchar *s = NULL;
	gboolean b = FALSE;

	switch (field->kind) {
	case CELL_COUNT:
		return hfhub_cli_format_count(repo, field->key);
	case CELL_DATE:
		if (!raw)
			return hfhub_cli_format_date(repo, field->key);
		break;
	case CELL_PRIVATE:
		if (!g_variant_lookup(repo, field->key, "b", &b))
			return g_strdup("");
		/* TRANSLATORS: the PRIVATE column of "hfhub models ls" */
		return g_strdup(raw ? (b ? "true" : "false") : (b ? _("private") : ""));
	case CELL_STRING:
	default:
		break;
	}
	g_variant_lookup(repo, field->key, "&s", &s);
	return g_strdup(s != NULL ? s : "");
}

static void
print_search(HfhubCli *cli, GVariant *answer, HfhubListFormat format, gboolean quiet,
	     gboolean no_truncate)
{
	g_autoptr(GVariant) repos =
		g_variant_lookup_value(answer, "repos", G_VARIANT_TYPE("aa{sv}"));
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GPtrArray) raw_rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	HfhubListColumn columns[G_N_ELEMENTS(search_fields)];
	GVariantIter iter;
	GVariant *repo;
	gboolean more = FALSE;

	if (format == HFHUB_LIST_JSON) {
		hfhub_cli_print_answer_json(answer);
		return;
	}
	search_columns(columns);
	g_variant_iter_init(&iter, repos);
	while ((repo = g_variant_iter_next_value(&iter)) != NULL) {
		gchar **row = g_new0(gchar *, G_N_ELEMENTS(search_fields) + 1);
		gchar **raw = g_new0(gchar *, G_N_ELEMENTS(search_fields) + 1);

		for (guint c = 0; c < G_N_ELEMENTS(search_fields); c++) {
			row[c] = search_cell(repo, &search_fields[c], FALSE);
			raw[c] = search_cell(repo, &search_fields[c], TRUE);
		}
		if (quiet)
			hfhub_console_print_line(row[0]);
		g_ptr_array_add(rows, row);
		g_ptr_array_add(raw_rows, raw);
		g_variant_unref(repo);
	}
	if (quiet)
		return;
	if (rows->len == 0 && format == HFHUB_LIST_TABLE) {
		hfhub_console_print_line(_("Nothing found."));
		return;
	}
	hfhub_cli_print_list(cli, columns, G_N_ELEMENTS(columns), rows, raw_rows, format,
			     no_truncate);
	g_variant_lookup(answer, "more", "b", &more);
	if (more && format == HFHUB_LIST_TABLE)
		hfhub_console_print_warning(
			&cli->console,
			_("There are more results: raise --limit (at most 1000) or narrow the "
			  "search."));
}

/* hfhub {models,datasets,spaces} ls [REPO] … */
static gint
browse_ls(HfhubCli *cli, gint argc, gchar **argv, const gchar *repo_type, const gchar *summary)
{
	g_autofree gchar *search = NULL;
	g_autofree gchar *author = NULL;
	g_auto(GStrv) filters = NULL;
	g_autofree gchar *sort = NULL;
	g_autofree gchar *format_arg = NULL;
	g_autofree gchar *revision = NULL;
	g_autofree gchar *identity = NULL;
	gint limit = -1; /* not given */
	gboolean ascending = FALSE;
	gboolean quiet = FALSE;
	gboolean no_truncate = FALSE;
	gboolean recursive = FALSE;
	const GOptionEntry entries[] = {
		/* TRANSLATORS: command line options of "hfhub models ls" */
		{ "search", 0, 0, G_OPTION_ARG_STRING, &search, N_("Only ids containing TEXT"),
		  N_("TEXT") },
		{ "author", 0, 0, G_OPTION_ARG_STRING, &author,
		  N_("Only repositories of this user or organization"), N_("NAME") },
		{ "filter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &filters,
		  N_("Only repositories with this tag (library, task, language…); may be "
		     "repeated"),
		  N_("TAG") },
		{ "sort", 0, 0, G_OPTION_ARG_STRING, &sort,
		  N_("Sort by downloads, likes, lastModified, createdAt or trendingScore"),
		  N_("KEY") },
		{ "ascending", 0, 0, G_OPTION_ARG_NONE, &ascending,
		  N_("Sort in ascending order (the default is descending)"), NULL },
		{ "limit", 0, 0, G_OPTION_ARG_INT, &limit,
		  N_("At most N results, following the Hub's pages (default 30, at most 1000)"),
		  N_("N") },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &format_arg,
		  N_("table (the default), csv or json"), N_("FORMAT") },
		{ "no-truncate", 0, 0, G_OPTION_ARG_NONE, &no_truncate,
		  N_("Show every column without fitting the table to the terminal"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("Print only the ids"), NULL },
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
		  N_("With REPO: list the files at this branch, tag or commit"), N_("REVISION") },
		{ "recursive", 'R', 0, G_OPTION_ARG_NONE, &recursive,
		  N_("With REPO: list the files in folders too"), NULL },
		{ "token-identity", 0, 0, G_OPTION_ARG_STRING, &identity,
		  N_("Use the token stored under this name instead of the default one"),
		  N_("NAME") },
		{ NULL }
	};
	g_autoptr(GOptionContext) context =
		hfhub_cli_option_context_new(cli, _("[REPO]"), summary, entries);
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;
	HfhubListFormat format;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_list_format(cli, format_arg, &format, &exit_code))
		return exit_code;
	if (argc > 2)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[2]);
	if (argc == 2) {
		if (search != NULL || author != NULL || filters != NULL || sort != NULL ||
		    limit != -1 || ascending)
			return hfhub_cli_usage_error(
				cli, "%s",
				_("--search, --author, --filter, --sort, --ascending and --limit "
				  "search the Hub; they do not go with REPO."));
		return hfhub_cli_list_repo_files(cli, repo_type, argv[1], revision, NULL, recursive,
						 format, quiet, no_truncate, identity);
	}
	if (revision != NULL || recursive)
		return hfhub_cli_usage_error(cli, "%s",
					     _("--revision and --recursive need a REPO."));
	if (limit == -1)
		limit = LS_DEFAULT_LIMIT;
	if (limit < 1 || limit > 1000)
		return hfhub_cli_usage_error(
			cli, _("The limit must be between 1 and 1000, not %d."), limit);

	options = hfhub_cli_repos_options(identity);
	if (search != NULL)
		g_variant_dict_insert(options, "search", "s", search);
	if (author != NULL)
		g_variant_dict_insert(options, "author", "s", author);
	if (filters != NULL)
		g_variant_dict_insert(options, "filter", "^as", filters);
	if (sort != NULL)
		g_variant_dict_insert(options, "sort", "s", sort);
	if (ascending)
		g_variant_dict_insert(options, "direction", "i", 1);
	g_variant_dict_insert(options, "limit", "u", (guint32)limit);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_search_sync(proxy, repo_type, g_variant_dict_end(options),
					       &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	print_search(cli, answer, format, quiet, no_truncate);
	return HFHUB_EXIT_OK;
}

/* hfhub {models,datasets,spaces} info REPO [--revision REV] */
static gint
browse_info(HfhubCli *cli, gint argc, gchar **argv, const gchar *repo_type, const gchar *summary)
{
	g_autofree gchar *revision = NULL;
	g_autofree gchar *identity = NULL;
	const GOptionEntry entries[] = {
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
		  N_("A branch, tag or commit (default: main)"), N_("REVISION") },
		{ "token-identity", 0, 0, G_OPTION_ARG_STRING, &identity,
		  N_("Use the token stored under this name instead of the default one"),
		  N_("NAME") },
		{ NULL }
	};
	g_autoptr(GOptionContext) context =
		hfhub_cli_option_context_new(cli, _("REPO"), summary, entries);
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc != 2)
		return hfhub_cli_usage_error(cli, "%s", _("Give one repository, e.g. org/name."));
	return hfhub_cli_show_repo_info(cli, repo_type, argv[1], revision, identity);
}

gint
hfhub_cli_cmd_models_ls(HfhubCli *cli, gint argc, gchar **argv)
{
	return browse_ls(cli, argc, argv, "model",
			 _("Search the Hub's models, or with REPO list the files of that model."));
}

gint
hfhub_cli_cmd_models_info(HfhubCli *cli, gint argc, gchar **argv)
{
	return browse_info(cli, argc, argv, "model",
			   _("Show what the Hub knows of a model: commit, visibility, files "
			     "and their sizes, card data."));
}

gint
hfhub_cli_cmd_datasets_ls(HfhubCli *cli, gint argc, gchar **argv)
{
	return browse_ls(cli, argc, argv, "dataset",
			 _("Search the Hub's datasets, or with REPO list the files of that "
			   "dataset."));
}

gint
hfhub_cli_cmd_datasets_info(HfhubCli *cli, gint argc, gchar **argv)
{
	return browse_info(cli, argc, argv, "dataset",
			   _("Show what the Hub knows of a dataset: commit, visibility, files "
			     "and their sizes, card data."));
}

gint
hfhub_cli_cmd_spaces_ls(HfhubCli *cli, gint argc, gchar **argv)
{
	return browse_ls(cli, argc, argv, "space",
			 _("Search the Hub's Spaces, or with REPO list the files of that "
			   "Space."));
}

gint
hfhub_cli_cmd_spaces_info(HfhubCli *cli, gint argc, gchar **argv)
{
	return browse_info(cli, argc, argv, "space",
			   _("Show what the Hub knows of a Space: commit, visibility, SDK, "
			     "files and their sizes, card data."));
}
