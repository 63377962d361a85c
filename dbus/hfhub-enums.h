/* Wire enums: the nicks are what D-Bus properties, JSON and the store carry. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	HFHUB_JOB_STATE_QUEUED,
	HFHUB_JOB_STATE_RUNNING,
	HFHUB_JOB_STATE_PAUSED,
	HFHUB_JOB_STATE_SUCCEEDED,
	HFHUB_JOB_STATE_FAILED,
	HFHUB_JOB_STATE_CANCELLED,
	HFHUB_JOB_STATE_LAST
} HfhubJobState;

const gchar *
hfhub_job_state_to_string(HfhubJobState state);
gboolean
hfhub_job_state_from_string(const gchar *nick, HfhubJobState *state);
gboolean
hfhub_job_state_is_final(HfhubJobState state);

typedef enum {
	HFHUB_REPO_TYPE_MODEL,
	HFHUB_REPO_TYPE_DATASET,
	HFHUB_REPO_TYPE_SPACE,
	HFHUB_REPO_TYPE_LAST
} HfhubRepoType;

const gchar *
hfhub_repo_type_to_string(HfhubRepoType type);
gboolean
hfhub_repo_type_from_string(const gchar *nick, HfhubRepoType *type);

G_END_DECLS
