/* Following jobs until they finish: signals, progress, Ctrl-C. */
#pragma once

#include "hfhub-cli.h"
#include "hfhub-progress.h"

G_BEGIN_DECLS

typedef enum {
	HFHUB_FOLLOW_NONE = 0,
	/* Ctrl-C cancels the jobs (and we wait for that); a second one quits */
	HFHUB_FOLLOW_CANCEL_ON_INTERRUPT = 1 << 0,
} HfhubFollowFlags;

gboolean
hfhub_cli_follow_jobs(HfhubCli *cli, GPtrArray *jobs, HfhubFollowFlags flags,
		      HfhubProgress *progress, gboolean *interrupted, GError **error);

/* prints what a succeeded job produced (not called with --json) */
typedef void (*HfhubCliPrintResult)(HfhubCli *cli, HfhubDBusJob *job, gpointer user_data);

/* The end of "hfhub download|upload": the job at @job_path reported as
 * queued when @detach, else followed (a progress bar on a terminal unless
 * @quiet; Ctrl-C cancels it) and reported: @print_result for a success,
 * the error, the cancellation or the interruption otherwise, or the job as
 * JSON. Returns the exit code. */
gint
hfhub_cli_follow_and_report(HfhubCli *cli, const gchar *job_path, gboolean detach, gboolean quiet,
			    HfhubCliPrintResult print_result, gpointer user_data);

G_END_DECLS
