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

/* hfhub-cli-download.c */
gint
hfhub_cli_cmd_download(HfhubCli *cli, gint argc, gchar **argv);

G_END_DECLS
