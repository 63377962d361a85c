/* hfhub repo create|delete|settings|move|info|files|commits,
 * hfhub repo branch create|delete|list, hfhub repo tag create|delete|list:
 * the grammar of `hf repos` over the daemon's Repos interface. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCli"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-cli-json.h"
#include "hfhub-cli-repo.h"
#include "hfhub-text.h"

#define COMMITS_DEFAULT_LIMIT 30

/* the options every repo command takes */
typedef struct {
	gchar *repo_type;
	gchar *identity;
} RepoArgs;

static void
repo_args_clear(RepoArgs *args)
{
	g_free(args->repo_type);
	g_free(args->identity);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RepoArgs, repo_args_clear)

/* appends @more to @entries; both NULL-terminated, @entries with room */
static void
append_entries(GOptionEntry *entries, const GOptionEntry *more)
{
	guint n = 0;
	guint m = 0;

	while (entries[n].long_name != NULL)
		n++;
	while (more[m].long_name != NULL)
		m++;
	memcpy(entries + n, more, sizeof(GOptionEntry) * (m + 1));
}

/* appends the common entries to @entries (NULL-terminated, with room) */
static void
add_common_entries(GOptionEntry *entries, RepoArgs *args)
{
	const GOptionEntry common[] = {
		{ "repo-type", 0, 0, G_OPTION_ARG_STRING, &args->repo_type,
		  /* TRANSLATORS: command line option */
		  N_("model (the default), dataset or space"), N_("TYPE") },
		{ "type", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &args->repo_type, NULL,
		  NULL },
		{ "token-identity", 0, 0, G_OPTION_ARG_STRING, &args->identity,
		  N_("Use the token stored under this name instead of the default one"),
		  N_("NAME") },
		{ NULL }
	};

	append_entries(entries, common);
}

/* parses argv with @entries + the common ones; wants exactly @n_args
 * positional arguments */
static gboolean
parse_repo_command(HfhubCli *cli, GOptionEntry *entries, RepoArgs *args, const gchar *parameters,
		   const gchar *summary, gint *argc, gchar ***argv, gint n_args,
		   const gchar **repo_type, gint *exit_code)
{
	g_autoptr(GOptionContext) context = NULL;

	add_common_entries(entries, args);
	context = hfhub_cli_option_context_new(cli, parameters, summary, entries);
	if (!hfhub_cli_parse_options(cli, context, argc, argv, exit_code))
		return FALSE;
	if (*argc - 1 != n_args) {
		*exit_code = hfhub_cli_usage_error(
			cli,
			/* TRANSLATORS: %s is the command's arguments, e.g. "REPO BRANCH" */
			_("Expected %s."), parameters);
		return FALSE;
	}
	return hfhub_cli_parse_repo_type(cli, args->repo_type, repo_type, exit_code);
}

static gchar *
repo_label(const gchar *repo_type, const gchar *repo_id)
{
	/* "model acme/x" */
	return g_strdup_printf("%s %s", repo_type, repo_id);
}

/* y/N on the terminal; refuses without one (scripts pass --yes) */
static gboolean
confirm(HfhubCli *cli, const gchar *question, gboolean yes, gint *exit_code)
{
	gchar line[64] = { 0 };

	if (yes)
		return TRUE;
	if (cli->json || isatty(STDIN_FILENO) != 1) {
		*exit_code = hfhub_cli_usage_error(
			cli, "%s", _("This cannot be undone: add --yes to go ahead."));
		return FALSE;
	}
	/* TRANSLATORS: %s is a question; y/N is the answer expected */
	g_printerr(_("%s [y/N] "), question);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    (g_ascii_strcasecmp(g_strstrip(line), "y") != 0 &&
	     g_ascii_strcasecmp(line, "yes") != 0 && g_ascii_strcasecmp(line, _("y")) != 0)) {
		g_printerr("%s\n", _("Nothing was changed."));
		*exit_code = HFHUB_EXIT_FAILURE;
		return FALSE;
	}
	return TRUE;
}

/* JSON: the answer; text: @message (already formatted) */
static gint
report(HfhubCli *cli, GVariant *answer, const gchar *message)
{
	if (cli->json)
		hfhub_cli_print_answer_json(answer);
	else
		hfhub_console_print_line(message);
	return HFHUB_EXIT_OK;
}

static const gchar *
answer_string(GVariant *answer, const gchar *key)
{
	const gchar *value = NULL;

	g_variant_lookup(answer, key, "&s", &value);
	return value != NULL ? value : "";
}

static gboolean
answer_bool(GVariant *answer, const gchar *key)
{
	gboolean value = FALSE;

	g_variant_lookup(answer, key, "b", &value);
	return value;
}

/* ---- create, delete, settings, move */

gint
hfhub_cli_cmd_repo_create(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	gboolean is_private = FALSE;
	gboolean is_public = FALSE;
	gboolean exist_ok = FALSE;
	g_autofree gchar *sdk = NULL;
	GOptionEntry entries[8] = { { "private", 0, 0, G_OPTION_ARG_NONE, &is_private,
				      N_("Only you (or your organization) can see it"), NULL },
				    { "public", 0, 0, G_OPTION_ARG_NONE, &is_public,
				      N_("Everyone can see it (the Hub's default)"), NULL },
				    { "exist-ok", 0, 0, G_OPTION_ARG_NONE, &exist_ok,
				      N_("Succeed when the repository exists already"), NULL },
				    { "space-sdk", 0, 0, G_OPTION_ARG_STRING, &sdk,
				      N_("The SDK of a Space: gradio, streamlit, docker or static"),
				      N_("SDK") },
				    { NULL } };
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *label = NULL;
	g_autofree gchar *message = NULL;
	const gchar *repo_type;
	gint exit_code;

	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				_("Create a repository on the Hub: “name” in your namespace, or "
				  "“organization/name”."),
				&argc, &argv, 1, &repo_type, &exit_code))
		return exit_code;
	if (is_private && is_public)
		return hfhub_cli_usage_error(cli, "%s", _("Give --private or --public, not both."));
	options = hfhub_cli_repos_options(args.identity);
	if (is_private || is_public)
		g_variant_dict_insert(options, "private", "b", is_private);
	if (exist_ok)
		g_variant_dict_insert(options, "exist-ok", "b", TRUE);
	if (sdk != NULL)
		g_variant_dict_insert(options, "space-sdk", "s", sdk);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_create_repo_sync(
		    proxy, argv[1], repo_type, g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	label = repo_label(repo_type, answer_string(answer, "repo-id"));
	if (answer_bool(answer, "created"))
		/* TRANSLATORS: first %s is e.g. "model org/name", the second a URL */
		message = g_strdup_printf(_("Created %s: %s"), label, answer_string(answer, "url"));
	else
		/* TRANSLATORS: first %s is e.g. "model org/name", the second a URL */
		message = g_strdup_printf(_("%s exists already: %s"), label,
					  answer_string(answer, "url"));
	return report(cli, answer, message);
}

gint
hfhub_cli_cmd_repo_delete(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	gboolean missing_ok = FALSE;
	gboolean yes = FALSE;
	GOptionEntry entries[6] = { { "missing-ok", 0, 0, G_OPTION_ARG_NONE, &missing_ok,
				      N_("Succeed when the repository does not exist"), NULL },
				    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
				      N_("Do not ask for confirmation"), NULL },
				    { NULL } };
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *label = NULL;
	g_autofree gchar *question = NULL;
	g_autofree gchar *message = NULL;
	const gchar *repo_type;
	gint exit_code;

	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				_("Delete a repository from the Hub, for good."), &argc, &argv, 1,
				&repo_type, &exit_code))
		return exit_code;
	label = repo_label(repo_type, argv[1]);
	/* TRANSLATORS: %s is e.g. "model org/name" */
	question = g_strdup_printf(_("Delete %s and all its files for good?"), label);
	if (!confirm(cli, question, yes, &exit_code))
		return exit_code;
	options = hfhub_cli_repos_options(args.identity);
	if (missing_ok)
		g_variant_dict_insert(options, "missing-ok", "b", TRUE);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_delete_repo_sync(
		    proxy, argv[1], repo_type, g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	if (answer_bool(answer, "deleted"))
		/* TRANSLATORS: %s is e.g. "model org/name" */
		message = g_strdup_printf(_("Deleted %s."), label);
	else
		/* TRANSLATORS: %s is e.g. "model org/name" */
		message = g_strdup_printf(_("%s did not exist."), label);
	return report(cli, answer, message);
}

gint
hfhub_cli_cmd_repo_settings(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	gboolean is_private = FALSE;
	gboolean is_public = FALSE;
	g_autofree gchar *gated = NULL;
	GOptionEntry entries[7] = {
		{ "private", 0, 0, G_OPTION_ARG_NONE, &is_private, N_("Make it private"), NULL },
		{ "public", 0, 0, G_OPTION_ARG_NONE, &is_public, N_("Make it public"), NULL },
		{ "gated", 0, 0, G_OPTION_ARG_STRING, &gated,
		  N_("Access requests: auto (granted at once), manual (reviewed) or false"),
		  N_("MODE") },
		{ NULL }
	};
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *label = NULL;
	g_autofree gchar *message = NULL;
	const gchar *repo_type;
	gint exit_code;

	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				_("Change the visibility or the gating of a repository."), &argc,
				&argv, 1, &repo_type, &exit_code))
		return exit_code;
	if (is_private && is_public)
		return hfhub_cli_usage_error(cli, "%s", _("Give --private or --public, not both."));
	if (!is_private && !is_public && gated == NULL)
		return hfhub_cli_usage_error(cli, "%s",
					     _("Nothing to change: give --private, --public or "
					       "--gated."));
	options = hfhub_cli_repos_options(args.identity);
	if (is_private || is_public)
		g_variant_dict_insert(options, "private", "b", is_private);
	if (gated != NULL)
		g_variant_dict_insert(options, "gated", "s", gated);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_update_settings_sync(
		    proxy, argv[1], repo_type, g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	label = repo_label(repo_type, argv[1]);
	/* TRANSLATORS: %s is e.g. "model org/name" */
	message = g_strdup_printf(_("Updated the settings of %s."), label);
	return report(cli, answer, message);
}

gint
hfhub_cli_cmd_repo_move(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	GOptionEntry entries[4] = { { NULL } };
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *message = NULL;
	const gchar *repo_type;
	gint exit_code;

	if (!parse_repo_command(cli, entries, &args, _("FROM TO"),
				_("Rename a repository, or move it to another namespace."), &argc,
				&argv, 2, &repo_type, &exit_code))
		return exit_code;
	options = hfhub_cli_repos_options(args.identity);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_move_repo_sync(proxy, argv[1], argv[2], repo_type,
						  g_variant_dict_end(options), &answer, NULL,
						  &error))
		return hfhub_cli_repos_fail(cli, error);
	/* TRANSLATORS: e.g. "Moved model a/b to c/d: URL" */
	message = g_strdup_printf(_("Moved %s %s to %s: %s"), repo_type, argv[1], argv[2],
				  answer_string(answer, "url"));
	return report(cli, answer, message);
}

/* ---- info */

static void
print_kv_clean(HfhubCli *cli, const gchar *key, const gchar *value)
{
	g_autofree gchar *clean = hfhub_text_sanitize(value, TRUE);

	if (value != NULL && *value != '\0')
		hfhub_console_print_kv(&cli->console, key, clean);
}

static const gchar *
yes_no(GVariant *answer, const gchar *key)
{
	gboolean b;

	if (!g_variant_lookup(answer, key, "b", &b))
		return NULL;
	return b ? _("yes") : _("no");
}

static void
print_siblings(HfhubCli *cli, GVariant *answer)
{
	g_autoptr(GVariant) siblings =
		g_variant_lookup_value(answer, "siblings", G_VARIANT_TYPE("aa{sv}"));
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	const HfhubListColumn columns[] = {
		/* TRANSLATORS: column headers of the files of "hfhub repo info" */
		{ _("PATH"), "path", 0, FALSE },
		{ _("SIZE"), "size", 1, TRUE },
		{ _("LFS SHA-256"), "lfs_sha256", 5, FALSE },
	};
	guint64 total = 0;
	GVariantIter iter;
	GVariant *file;
	g_autofree gchar *summary = NULL;
	g_autofree gchar *total_text = NULL;

	if (siblings == NULL)
		return;
	g_variant_iter_init(&iter, siblings);
	while ((file = g_variant_iter_next_value(&iter)) != NULL) {
		guint64 size = 0;
		gboolean has_size = g_variant_lookup(file, "size", "t", &size);
		gchar **row = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);

		total += size;
		row[0] = g_strdup(answer_string(file, "path"));
		row[1] = has_size ? g_format_size(size) : g_strdup("");
		row[2] = g_strdup(answer_string(file, "lfs-sha256"));
		g_ptr_array_add(rows, row);
		g_variant_unref(file);
	}
	total_text = g_format_size(total);
	/* TRANSLATORS: e.g. "12 files, 1.2 GB" */
	summary = g_strdup_printf(ngettext("%u file, %s", "%u files, %s", rows->len), rows->len,
				  total_text);
	print_kv_clean(cli, _("Files"), summary);
	if (rows->len > 0) {
		hfhub_console_print_line("");
		hfhub_cli_print_list(cli, columns, G_N_ELEMENTS(columns), rows, NULL,
				     HFHUB_LIST_TABLE, FALSE);
	}
}

/* "key: value" lines; values that are not plain strings as compact JSON
 * (the card's YAML may nest lists and maps) */
static void
print_card_data(HfhubCli *cli, GVariant *answer)
{
	g_autoptr(GVariant) card =
		g_variant_lookup_value(answer, "card-data", G_VARIANT_TYPE_VARDICT);
	g_autoptr(GString) text = g_string_new(NULL);
	GVariantIter iter;
	const gchar *key;
	GVariant *value;

	if (card == NULL || g_variant_n_children(card) == 0)
		return;
	g_variant_iter_init(&iter, card);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autoptr(JsonNode) node = NULL;
		g_autofree gchar *json = NULL;

		if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING)) {
			g_string_append_printf(text, "%s%s: %s", text->len > 0 ? "\n" : "", key,
					       g_variant_get_string(value, NULL));
		} else {
			node = hfhub_json_from_variant(value);
			json = json_to_string(node, FALSE);
			g_string_append_printf(text, "%s%s: %s", text->len > 0 ? "\n" : "", key,
					       json);
		}
		g_variant_unref(value);
	}
	print_kv_clean(cli, _("Card data"), text->str);
}

static void
print_info(HfhubCli *cli, const gchar *repo_type, GVariant *answer)
{
	g_autofree gchar *modified = hfhub_cli_format_date(answer, "last-modified");
	g_autofree gchar *created = hfhub_cli_format_date(answer, "created-at");
	g_autofree gchar *downloads = hfhub_cli_format_count(answer, "downloads");
	g_autofree gchar *likes = hfhub_cli_format_count(answer, "likes");
	g_autofree gchar *storage = NULL;
	g_autofree const gchar **tags = NULL;
	g_autofree gchar *tags_text = NULL;
	guint64 used = 0;

	if (g_variant_lookup(answer, "used-storage", "t", &used))
		storage = g_format_size(used);
	if (g_variant_lookup(answer, "tags", "^a&s", &tags))
		tags_text = g_strjoinv(", ", (gchar **)tags);
	/* TRANSLATORS: labels of "hfhub repo info" */
	print_kv_clean(cli, _("ID"), answer_string(answer, "id"));
	print_kv_clean(cli, _("Type"), repo_type);
	print_kv_clean(cli, _("Revision"), answer_string(answer, "revision"));
	print_kv_clean(cli, _("Commit"), answer_string(answer, "sha"));
	print_kv_clean(cli, _("Author"), answer_string(answer, "author"));
	print_kv_clean(cli, _("Private"), yes_no(answer, "private"));
	print_kv_clean(cli, _("Gated"), answer_string(answer, "gated"));
	print_kv_clean(cli, _("Disabled"), yes_no(answer, "disabled"));
	print_kv_clean(cli, _("Last modified"), modified);
	print_kv_clean(cli, _("Created"), created);
	print_kv_clean(cli, _("Downloads"), downloads);
	print_kv_clean(cli, _("Likes"), likes);
	print_kv_clean(cli, _("Library"), answer_string(answer, "library-name"));
	print_kv_clean(cli, _("Pipeline"), answer_string(answer, "pipeline-tag"));
	print_kv_clean(cli, _("SDK"), answer_string(answer, "sdk"));
	print_kv_clean(cli, _("Tags"), tags_text);
	print_kv_clean(cli, _("Storage used"), storage);
	print_card_data(cli, answer);
	print_siblings(cli, answer);
}

gint
hfhub_cli_show_repo_info(HfhubCli *cli, const gchar *repo_type, const gchar *repo_id,
			 const gchar *revision, const gchar *identity)
{
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = hfhub_cli_repos_options(identity);
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;

	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_get_repo_info_sync(
		    proxy, repo_id, repo_type, revision != NULL ? revision : "",
		    g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	hfhub_cli_warn_if_stale(cli, answer);
	if (cli->json)
		hfhub_cli_print_answer_json(answer);
	else
		print_info(cli, repo_type, answer);
	return HFHUB_EXIT_OK;
}

gint
hfhub_cli_cmd_repo_info(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	g_autofree gchar *revision = NULL;
	GOptionEntry entries[5] = { { "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
				      N_("A branch, tag or commit (default: main)"),
				      N_("REVISION") },
				    { NULL } };
	const gchar *repo_type;
	gint exit_code;

	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				_("Show what the Hub knows of a repository at a revision: commit, "
				  "visibility, files and their sizes, card data."),
				&argc, &argv, 1, &repo_type, &exit_code))
		return exit_code;
	return hfhub_cli_show_repo_info(cli, repo_type, argv[1], revision, args.identity);
}

/* ---- files */

gint
hfhub_cli_list_repo_files(HfhubCli *cli, const gchar *repo_type, const gchar *repo_id,
			  const gchar *revision, const gchar *path, gboolean recursive,
			  HfhubListFormat format, gboolean quiet, gboolean no_truncate,
			  const gchar *identity)
{
	const HfhubListColumn columns[] = {
		/* TRANSLATORS: column headers of "hfhub repo files" */
		{ _("PATH"), "path", 0, FALSE },
		{ _("SIZE"), "size", 1, TRUE },
		{ _("TYPE"), "type", 4, FALSE },
		{ _("OID"), "oid", 6, FALSE },
		{ _("LFS SHA-256"), "lfs_sha256", 5, FALSE },
	};
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = hfhub_cli_repos_options(identity);
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GVariant) entries = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GPtrArray) raw_rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GError) error = NULL;
	GVariantIter iter;
	GVariant *entry;

	if (path != NULL)
		g_variant_dict_insert(options, "path", "s", path);
	if (recursive)
		g_variant_dict_insert(options, "recursive", "b", TRUE);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_list_files_sync(
		    proxy, repo_id, repo_type, revision != NULL ? revision : "",
		    g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	hfhub_cli_warn_if_stale(cli, answer);
	if (format == HFHUB_LIST_JSON) {
		hfhub_cli_print_answer_json(answer);
		return HFHUB_EXIT_OK;
	}
	entries = g_variant_lookup_value(answer, "entries", G_VARIANT_TYPE("aa{sv}"));
	g_variant_iter_init(&iter, entries);
	while ((entry = g_variant_iter_next_value(&iter)) != NULL) {
		gboolean dir = g_strcmp0(answer_string(entry, "type"), "directory") == 0;
		guint64 size = 0;
		gchar **row = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);
		gchar **raw = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);

		g_variant_lookup(entry, "size", "t", &size);
		/* folders end with "/", as ls -F */
		row[0] = g_strconcat(answer_string(entry, "path"), dir ? "/" : "", NULL);
		row[1] = dir ? g_strdup("") : g_format_size(size);
		row[2] = g_strdup(answer_string(entry, "type"));
		row[3] = g_strdup(answer_string(entry, "oid"));
		row[4] = g_strdup(answer_string(entry, "lfs-sha256"));
		raw[0] = g_strdup(answer_string(entry, "path"));
		raw[1] = g_strdup_printf("%" G_GUINT64_FORMAT, size);
		for (guint c = 2; c < G_N_ELEMENTS(columns); c++)
			raw[c] = g_strdup(row[c]);
		if (quiet)
			hfhub_console_print_line(row[0]);
		g_ptr_array_add(rows, row);
		g_ptr_array_add(raw_rows, raw);
		g_variant_unref(entry);
	}
	if (!quiet)
		hfhub_cli_print_list(cli, columns, G_N_ELEMENTS(columns), rows, raw_rows, format,
				     no_truncate);
	return HFHUB_EXIT_OK;
}

/* shared by the list commands: --format, --no-truncate, -q */
typedef struct {
	gchar *format;
	gboolean no_truncate;
	gboolean quiet;
} ListArgs;

static void
list_args_clear(ListArgs *args)
{
	g_free(args->format);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(ListArgs, list_args_clear)

/* appends --format, --no-truncate and -q to @entries (NULL-terminated,
 * with room) */
static void
add_list_entries(GOptionEntry *entries, ListArgs *args)
{
	const GOptionEntry list[] = {
		{ "format", 0, 0, G_OPTION_ARG_STRING, &args->format,
		  N_("table (the default), csv or json"), N_("FORMAT") },
		{ "no-truncate", 0, 0, G_OPTION_ARG_NONE, &args->no_truncate,
		  N_("Show every column without fitting the table to the terminal"), NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args->quiet,
		  N_("Print only the first column, one per line"), NULL },
		{ NULL }
	};

	append_entries(entries, list);
}

gint
hfhub_cli_cmd_repo_files(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	g_auto(ListArgs) list = { NULL };
	g_autofree gchar *revision = NULL;
	g_autofree gchar *path = NULL;
	gboolean recursive = FALSE;
	GOptionEntry entries[10] = { { "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
				       N_("A branch, tag or commit (default: main)"),
				       N_("REVISION") },
				     { "recursive", 'R', 0, G_OPTION_ARG_NONE, &recursive,
				       N_("List what is in folders too"), NULL },
				     { "path", 0, 0, G_OPTION_ARG_STRING, &path,
				       N_("List this folder instead of the top"), N_("FOLDER") },
				     { NULL } };
	HfhubListFormat format;
	const gchar *repo_type;
	gint exit_code;

	add_list_entries(entries, &list);
	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				_("List the files of a repository at a revision, with their sizes "
				  "and hashes."),
				&argc, &argv, 1, &repo_type, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_list_format(cli, list.format, &format, &exit_code))
		return exit_code;
	return hfhub_cli_list_repo_files(cli, repo_type, argv[1], revision, path, recursive, format,
					 list.quiet, list.no_truncate, args.identity);
}

/* ---- commits */

gint
hfhub_cli_cmd_repo_commits(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(RepoArgs) args = { NULL };
	g_auto(ListArgs) list = { NULL };
	g_autofree gchar *revision = NULL;
	gint limit = COMMITS_DEFAULT_LIMIT;
	GOptionEntry entries[9] = {
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
		  N_("A branch, tag or commit (default: main)"), N_("REVISION") },
		{ "limit", 0, 0, G_OPTION_ARG_INT, &limit,
		  N_("At most N commits, newest first (default 30, at most 1000)"), N_("N") },
		{ NULL }
	};
	const HfhubListColumn columns[] = {
		/* TRANSLATORS: column headers of "hfhub repo commits" */
		{ _("COMMIT"), "id", 0, FALSE },
		{ _("DATE"), "date", 2, FALSE },
		{ _("AUTHORS"), "authors", 3, FALSE },
		{ _("TITLE"), "title", 1, FALSE },
	};
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GVariant) commits = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GPtrArray) raw_rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GError) error = NULL;
	HfhubListFormat format;
	const gchar *repo_type;
	GVariantIter iter;
	GVariant *commit;
	gint exit_code;

	add_list_entries(entries, &list);
	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				_("List the commits of a repository, newest first."), &argc, &argv,
				1, &repo_type, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_list_format(cli, list.format, &format, &exit_code))
		return exit_code;
	if (limit < 1 || limit > 1000)
		return hfhub_cli_usage_error(
			cli, _("The limit must be between 1 and 1000, not %d."), limit);
	options = hfhub_cli_repos_options(args.identity);
	g_variant_dict_insert(options, "limit", "u", (guint32)limit);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_list_commits_sync(
		    proxy, argv[1], repo_type, revision != NULL ? revision : "",
		    g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	if (format == HFHUB_LIST_JSON) {
		hfhub_cli_print_answer_json(answer);
		return HFHUB_EXIT_OK;
	}
	commits = g_variant_lookup_value(answer, "commits", G_VARIANT_TYPE("aa{sv}"));
	g_variant_iter_init(&iter, commits);
	while ((commit = g_variant_iter_next_value(&iter)) != NULL) {
		g_autofree const gchar **authors = NULL;
		gchar **row = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);
		gchar **raw = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);

		g_variant_lookup(commit, "authors", "^a&s", &authors);
		row[0] = g_strdup(answer_string(commit, "id"));
		row[1] = hfhub_cli_format_date(commit, "date");
		row[2] = authors != NULL ? g_strjoinv(", ", (gchar **)authors) : g_strdup("");
		row[3] = g_strdup(answer_string(commit, "title"));
		raw[0] = g_strdup(row[0]);
		raw[1] = g_strdup(answer_string(commit, "date"));
		raw[2] = g_strdup(row[2]);
		raw[3] = g_strdup(row[3]);
		if (list.quiet)
			hfhub_console_print_line(row[0]);
		g_ptr_array_add(rows, row);
		g_ptr_array_add(raw_rows, raw);
		g_variant_unref(commit);
	}
	if (!list.quiet)
		hfhub_cli_print_list(cli, columns, G_N_ELEMENTS(columns), rows, raw_rows, format,
				     list.no_truncate);
	return HFHUB_EXIT_OK;
}

/* ---- branches and tags */

static gint
list_refs(HfhubCli *cli, gint argc, gchar **argv, const gchar *kind)
{
	g_auto(RepoArgs) args = { NULL };
	g_auto(ListArgs) list = { NULL };
	GOptionEntry entries[7] = { { NULL } };
	const HfhubListColumn columns[] = {
		/* TRANSLATORS: column headers of "hfhub repo tag list" */
		{ _("NAME"), "name", 0, FALSE },
		{ _("COMMIT"), "target_commit", 1, FALSE },
		{ _("REF"), "ref", 2, FALSE },
	};
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GVariant) refs = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_autoptr(GError) error = NULL;
	HfhubListFormat format;
	const gchar *repo_type;
	GVariantIter iter;
	GVariant *ref;
	gint exit_code;

	add_list_entries(entries, &list);
	if (!parse_repo_command(cli, entries, &args, _("REPO"),
				g_str_equal(kind, "tags") ? _("List the tags of a repository.")
							  : _("List the branches of a repository."),
				&argc, &argv, 1, &repo_type, &exit_code))
		return exit_code;
	if (!hfhub_cli_parse_list_format(cli, list.format, &format, &exit_code))
		return exit_code;
	options = hfhub_cli_repos_options(args.identity);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_repos_call_list_refs_sync(
		    proxy, argv[1], repo_type, g_variant_dict_end(options), &answer, NULL, &error))
		return hfhub_cli_repos_fail(cli, error);
	hfhub_cli_warn_if_stale(cli, answer);
	if (format == HFHUB_LIST_JSON) {
		hfhub_cli_print_answer_json(answer);
		return HFHUB_EXIT_OK;
	}
	refs = g_variant_lookup_value(answer, kind, G_VARIANT_TYPE("aa{sv}"));
	g_variant_iter_init(&iter, refs);
	while ((ref = g_variant_iter_next_value(&iter)) != NULL) {
		gchar **row = g_new0(gchar *, G_N_ELEMENTS(columns) + 1);

		row[0] = g_strdup(answer_string(ref, "name"));
		row[1] = g_strdup(answer_string(ref, "target-commit"));
		row[2] = g_strdup(answer_string(ref, "ref"));
		if (list.quiet)
			hfhub_console_print_line(row[0]);
		g_ptr_array_add(rows, row);
		g_variant_unref(ref);
	}
	if (!list.quiet)
		hfhub_cli_print_list(cli, columns, G_N_ELEMENTS(columns), rows, NULL, format,
				     list.no_truncate);
	return HFHUB_EXIT_OK;
}

gint
hfhub_cli_cmd_repo_branch_list(HfhubCli *cli, gint argc, gchar **argv)
{
	return list_refs(cli, argc, argv, "branches");
}

gint
hfhub_cli_cmd_repo_tag_list(HfhubCli *cli, gint argc, gchar **argv)
{
	return list_refs(cli, argc, argv, "tags");
}

typedef enum {
	REF_BRANCH_CREATE,
	REF_BRANCH_DELETE,
	REF_TAG_CREATE,
	REF_TAG_DELETE,
} RefOp;

static gint
change_ref(HfhubCli *cli, gint argc, gchar **argv, RefOp op)
{
	g_auto(RepoArgs) args = { NULL };
	g_autofree gchar *revision = NULL;
	g_autofree gchar *message_arg = NULL;
	gboolean exist_ok = FALSE;
	gboolean yes = FALSE;
	gboolean creating = op == REF_BRANCH_CREATE || op == REF_TAG_CREATE;
	gboolean tag = op == REF_TAG_CREATE || op == REF_TAG_DELETE;
	GOptionEntry entries[8] = { { NULL } };
	const GOptionEntry create_entries[] = {
		{ "revision", 0, 0, G_OPTION_ARG_STRING, &revision,
		  tag ? N_("The branch, tag or commit to tag (default: main)")
		      : N_("Where the branch starts (default: the default branch)"),
		  N_("REVISION") },
		{ "exist-ok", 0, 0, G_OPTION_ARG_NONE, &exist_ok,
		  N_("Succeed when it exists already"), NULL },
		{ "message", 'm', 0, G_OPTION_ARG_STRING, &message_arg,
		  N_("The message of the tag"), N_("TEXT") },
		{ NULL }
	};
	const GOptionEntry delete_entries[] = { { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
						  N_("Do not ask for confirmation"), NULL },
						{ NULL } };
	const gchar *summaries[] = {
		[REF_BRANCH_CREATE] = N_("Create a branch in a repository."),
		[REF_BRANCH_DELETE] = N_("Delete a branch of a repository."),
		[REF_TAG_CREATE] = N_("Create a tag in a repository."),
		[REF_TAG_DELETE] = N_("Delete a tag of a repository."),
	};
	g_autoptr(HfhubDBusRepos) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *label = NULL;
	g_autofree gchar *message = NULL;
	const gchar *repo_type;
	const gchar *name;
	gint exit_code;
	gboolean ok;

	if (creating)
		/* the tag message only for tags */
		memcpy(entries, create_entries, sizeof(create_entries[0]) * (tag ? 3 : 2));
	else if (tag)
		memcpy(entries, delete_entries, sizeof(delete_entries[0]));
	if (!parse_repo_command(cli, entries, &args, tag ? _("REPO TAG") : _("REPO BRANCH"),
				_(summaries[op]), &argc, &argv, 2, &repo_type, &exit_code))
		return exit_code;
	name = argv[2];
	label = repo_label(repo_type, argv[1]);
	if (op == REF_TAG_DELETE) {
		/* TRANSLATORS: first %s is a tag, the second e.g. "model org/name" */
		g_autofree gchar *question =
			g_strdup_printf(_("Delete the tag %s of %s?"), name, label);
		if (!confirm(cli, question, yes, &exit_code))
			return exit_code;
	}
	options = hfhub_cli_repos_options(args.identity);
	if (revision != NULL)
		g_variant_dict_insert(options, "revision", "s", revision);
	if (exist_ok)
		g_variant_dict_insert(options, "exist-ok", "b", TRUE);
	if (message_arg != NULL)
		g_variant_dict_insert(options, "message", "s", message_arg);
	proxy = hfhub_cli_repos_connect(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	switch (op) {
	case REF_BRANCH_CREATE:
		ok = hfhub_dbus_repos_call_create_branch_sync(proxy, argv[1], repo_type, name,
							      g_variant_dict_end(options), &answer,
							      NULL, &error);
		/* TRANSLATORS: first %s is a branch, the second e.g. "model org/name" */
		message = g_strdup_printf(answer != NULL && !answer_bool(answer, "created")
						  ? _("The branch %s of %s exists already.")
						  : _("Created the branch %s of %s."),
					  name, label);
		break;
	case REF_BRANCH_DELETE:
		ok = hfhub_dbus_repos_call_delete_branch_sync(proxy, argv[1], repo_type, name,
							      g_variant_dict_end(options), &answer,
							      NULL, &error);
		/* TRANSLATORS: first %s is a branch, the second e.g. "model org/name" */
		message = g_strdup_printf(_("Deleted the branch %s of %s."), name, label);
		break;
	case REF_TAG_CREATE:
		ok = hfhub_dbus_repos_call_create_tag_sync(proxy, argv[1], repo_type, name,
							   g_variant_dict_end(options), &answer,
							   NULL, &error);
		/* TRANSLATORS: first %s is a tag, the second e.g. "model org/name" */
		message = g_strdup_printf(answer != NULL && !answer_bool(answer, "created")
						  ? _("The tag %s of %s exists already.")
						  : _("Created the tag %s of %s."),
					  name, label);
		break;
	case REF_TAG_DELETE:
	default:
		ok = hfhub_dbus_repos_call_delete_tag_sync(proxy, argv[1], repo_type, name,
							   g_variant_dict_end(options), &answer,
							   NULL, &error);
		/* TRANSLATORS: first %s is a tag, the second e.g. "model org/name" */
		message = g_strdup_printf(_("Deleted the tag %s of %s."), name, label);
		break;
	}
	if (!ok)
		return hfhub_cli_repos_fail(cli, error);
	return report(cli, answer, message);
}

gint
hfhub_cli_cmd_repo_branch_create(HfhubCli *cli, gint argc, gchar **argv)
{
	return change_ref(cli, argc, argv, REF_BRANCH_CREATE);
}

gint
hfhub_cli_cmd_repo_branch_delete(HfhubCli *cli, gint argc, gchar **argv)
{
	return change_ref(cli, argc, argv, REF_BRANCH_DELETE);
}

gint
hfhub_cli_cmd_repo_tag_create(HfhubCli *cli, gint argc, gchar **argv)
{
	return change_ref(cli, argc, argv, REF_TAG_CREATE);
}

gint
hfhub_cli_cmd_repo_tag_delete(HfhubCli *cli, gint argc, gchar **argv)
{
	return change_ref(cli, argc, argv, REF_TAG_DELETE);
}
