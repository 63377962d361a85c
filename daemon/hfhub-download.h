/* The "download" job kind: a revision's files (all, a list, or a filtered
 * snapshot) into the Hugging Face cache or a local dir, verified and
 * resumable. */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

const HfhubJobKind *
hfhub_download_kind(void);

G_END_DECLS
