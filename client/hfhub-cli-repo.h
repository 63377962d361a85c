/* hfhub repo …, models|datasets|spaces …: the commands over the Repos
 * interface (hfhub-cli-repo.c, hfhub-cli-browse.c) and what they share. */
#pragma once

#include "hfhub-cli.h"

G_BEGIN_DECLS

/* hfhub-cli-repo.c */
gint
hfhub_cli_cmd_repo_create(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_delete(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_settings(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_move(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_info(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_files(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_commits(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_branch_create(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_branch_delete(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_branch_list(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_tag_create(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_tag_delete(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_tag_list(HfhubCli *cli, gint argc, gchar **argv);

/* hfhub-cli-browse.c */
gint
hfhub_cli_cmd_models_ls(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_models_info(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_datasets_ls(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_datasets_info(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_spaces_ls(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_spaces_info(HfhubCli *cli, gint argc, gchar **argv);

/* ---- shared by the two files (hfhub-cli-browse.c) */

typedef enum {
	HFHUB_LIST_TABLE,
	HFHUB_LIST_CSV,
	HFHUB_LIST_JSON,
} HfhubListFormat;

/* a column of a list: shown by priority (0 is never dropped, higher numbers
 * go first when the terminal is too narrow) */
typedef struct {
	const gchar *header; /* translated by the caller */
	const gchar *csv;    /* the CSV header: stable, not translated */
	guint priority;
	gboolean align_right;
} HfhubListColumn;

HfhubDBusRepos *
hfhub_cli_repos_connect(HfhubCli *cli, GError **error);
/* the options every call sends: HF_ENDPOINT, HF_HUB_OFFLINE, the identity */
GVariantDict *
hfhub_cli_repos_options(const gchar *identity);
gboolean
hfhub_cli_parse_list_format(HfhubCli *cli, const gchar *arg, HfhubListFormat *format,
			    gint *exit_code);
/* like hfhub_cli_fail(), but a request the daemon refused before asking the
 * Hub (InvalidArgument) is a usage error */
gint
hfhub_cli_repos_fail(HfhubCli *cli, const GError *error);
void
hfhub_cli_print_answer_json(GVariant *answer);
/* "served from what the Hub said 3 h ago" on stderr, for stale answers */
void
hfhub_cli_warn_if_stale(HfhubCli *cli, GVariant *answer);
/* @rows: GStrv, one cell per column (NULL or "" for none), as people read
 * them; @raw_rows (NULL: the same) as CSV carries them (exact sizes, ISO
 * dates). Tables fit the terminal: columns are dropped by priority, and
 * the command says which on stderr; what is shown is never cut (a cell too
 * wide for the whole terminal wraps). @no_truncate: every column, no
 * wrapping. Columns empty in every row are left out of tables. */
void
hfhub_cli_print_list(HfhubCli *cli, const HfhubListColumn *columns, guint n_columns,
		     GPtrArray *rows, GPtrArray *raw_rows, HfhubListFormat format,
		     gboolean no_truncate);
gchar *
hfhub_cli_format_count(GVariant *dict, const gchar *key);
gchar *
hfhub_cli_format_date(GVariant *dict, const gchar *key);

/* shared verbs: REPO's info, REPO's files (also "hfhub models ls REPO") */
gint
hfhub_cli_show_repo_info(HfhubCli *cli, const gchar *repo_type, const gchar *repo_id,
			 const gchar *revision, const gchar *identity);
gint
hfhub_cli_list_repo_files(HfhubCli *cli, const gchar *repo_type, const gchar *repo_id,
			  const gchar *revision, const gchar *path, gboolean recursive,
			  HfhubListFormat format, gboolean quiet, gboolean no_truncate,
			  const gchar *identity);

G_END_DECLS
