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

G_END_DECLS
