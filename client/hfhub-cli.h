/* The CLI's context, shared by every command: output mode, connection to
 * hfhubd, proxies, error reporting and exit codes. */
#pragma once

#include <gio/gio.h>

#include "hfhub-console.h"
#include "hfhub-dbus-generated.h"

G_BEGIN_DECLS

/* Exit status of hfhub; documented in "hfhub --help" and the man page. */
typedef enum {
	HFHUB_EXIT_OK = 0,	      /* success */
	HFHUB_EXIT_FAILURE = 1,	      /* any other failure */
	HFHUB_EXIT_USAGE = 2,	      /* unknown command or option, bad argument */
	HFHUB_EXIT_NOT_FOUND = 4,     /* job, repository, revision or file not found */
	HFHUB_EXIT_JOB_FAILED = 5,    /* a job failed or was cancelled */
	HFHUB_EXIT_INTERRUPTED = 130, /* Ctrl-C (128 + SIGINT) */
} HfhubExit;

typedef struct {
	gboolean json;
	gboolean no_color;
	HfhubConsole console;
	gchar *command_name; /* e.g. "jobs ls", for messages */
	GDBusConnection *connection;
	gchar *bus_name; /* NULL on a peer-to-peer connection */
	HfhubDBusManager *manager;
	GDBusObjectManager *object_manager;
} HfhubCli;

typedef gint (*HfhubCliHandler)(HfhubCli *cli, gint argc, gchar **argv);

typedef struct {
	const gchar *group; /* NULL for a top-level command */
	const gchar *name;
	const gchar *summary; /* marked with N_() */
	HfhubCliHandler handler;
	gboolean hidden;
} HfhubCliCommand;

HfhubCli *
hfhub_cli_new(void);
void
hfhub_cli_free(HfhubCli *cli);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCli, hfhub_cli_free)

void
hfhub_cli_setup_console(HfhubCli *cli);
GOptionContext *
hfhub_cli_option_context_new(HfhubCli *cli, const gchar *parameter_string, const gchar *summary,
			     const GOptionEntry *entries);
gboolean
hfhub_cli_parse_options(HfhubCli *cli, GOptionContext *context, gint *argc, gchar ***argv,
			gint *exit_code);
gint
hfhub_cli_usage_error(HfhubCli *cli, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
gint
hfhub_cli_fail(HfhubCli *cli, const GError *error);
/* --repo-type: model (also when empty), dataset or space, or their plurals
 * → the nick; anything else is a usage error */
gboolean
hfhub_cli_parse_repo_type(HfhubCli *cli, const gchar *arg, const gchar **nick, gint *exit_code);
/* a job queued with --detach: its ID (and, on a terminal, how to follow
 * it), or the job as JSON */
gint
hfhub_cli_report_detached(HfhubCli *cli, HfhubDBusJob *job);
/* a warning for each Hugging Face variable set here that has no effect */
void
hfhub_cli_note_ignored_env(HfhubCli *cli);

gchar *
hfhub_cli_error_name(const GError *error);
gchar *
hfhub_cli_error_message(const GError *error);
gint
hfhub_cli_exit_code_for_name(const gchar *error_name);
gint
hfhub_cli_exit_code_for_error(const GError *error);

gboolean
hfhub_cli_connect(HfhubCli *cli, GError **error);
GDBusObjectManager *
hfhub_cli_get_object_manager(HfhubCli *cli, GError **error);
HfhubDBusJob *
hfhub_cli_job_proxy_new(HfhubCli *cli, const gchar *path, GError **error);
HfhubDBusJob *
hfhub_cli_get_job(HfhubCli *cli, guint64 id, GError **error);
gboolean
hfhub_cli_parse_job_id(const gchar *arg, guint64 *id);
gboolean
hfhub_cli_parse_job_ids(HfhubCli *cli, gint argc, gchar **argv, GArray **ids, gint *exit_code);
const gchar *
hfhub_cli_job_state(HfhubDBusJob *job);
void
hfhub_cli_job_set_final_state(HfhubDBusJob *job, const gchar *state);
gboolean
hfhub_cli_job_is_final(HfhubDBusJob *job);

/* inserts @values under @key, unless there are none */
void
hfhub_cli_options_add_strv(GVariantDict *options, const gchar *key, gchar **values);

G_END_DECLS
