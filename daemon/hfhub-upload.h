/* The "upload" job kind: a local file or folder into a repo, in one commit
 * or, for large folders, several (hfhub-upload-private.h has the stages);
 * every stage recorded per file, so that a restarted daemon continues where
 * it stopped. */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

/* files in one commit, at most (and the default) */
#define HFHUB_UPLOAD_FILES_PER_COMMIT 1000

const HfhubJobKind *
hfhub_upload_kind(void);

/* The checks the "upload" and "commit" kinds share: repo type, id and
 * revision (defaults filled in), parent-commit, commit-message, endpoint,
 * and the identity, whose name is recorded in @rec. */
gboolean
hfhub_upload_prepare_common(HfhubEngine *engine, HfhubJobRecord *rec, GError **error);

G_END_DECLS
