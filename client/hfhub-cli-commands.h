/* The command handlers, one group per file; the table is in main.c. */
#pragma once

#include "hfhub-cli.h"

G_BEGIN_DECLS

/* hfhub-cli-daemon.c */
gint
hfhub_cli_cmd_version(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_daemon_status(HfhubCli *cli, gint argc, gchar **argv);

/* hfhub-cli-jobs.c */
gint
hfhub_cli_cmd_jobs_ls(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_jobs_show(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_jobs_cancel(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_jobs_pause(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_jobs_resume(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_jobs_wait(HfhubCli *cli, gint argc, gchar **argv);

/* hfhub-cli-queue.c */
gint
hfhub_cli_cmd_jobs_prio(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_jobs_follow(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_daemon_config_get(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_daemon_config_set(HfhubCli *cli, gint argc, gchar **argv);
/* hfhub-cli-download.c */
gint
hfhub_cli_cmd_download(HfhubCli *cli, gint argc, gchar **argv);

/* hfhub-cli-upload.c */
gint
hfhub_cli_cmd_upload(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_repo_files_delete(HfhubCli *cli, gint argc, gchar **argv);

/* hfhub-cli-auth.c */
gint
hfhub_cli_cmd_auth_login(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_auth_logout(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_auth_whoami(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_auth_list(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_auth_switch(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_auth_token(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_auth_import(HfhubCli *cli, gint argc, gchar **argv);

G_END_DECLS
