/* The "commit" job kind: one commit of operations on files already in the
 * repo (delete a file, a folder or what a pattern selects; copy a file
 * within the repo), with the same conflict handling as uploads
 * (hfhub-commit.h). */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

/* operations in one Commit call, at most */
#define HFHUB_COMMIT_MAX_OPERATIONS 1000

const HfhubJobKind *
hfhub_commit_job_kind(void);

G_END_DECLS
