#include "hfhub-enums.h"

static const gchar *const job_state_nicks[] = {
	"queued", "running", "paused", "succeeded", "failed", "cancelled",
};
G_STATIC_ASSERT(G_N_ELEMENTS(job_state_nicks) == HFHUB_JOB_STATE_LAST);

static const gchar *const repo_type_nicks[] = { "model", "dataset", "space" };
G_STATIC_ASSERT(G_N_ELEMENTS(repo_type_nicks) == HFHUB_REPO_TYPE_LAST);

const gchar *
hfhub_job_state_to_string(HfhubJobState state)
{
	g_return_val_if_fail(state < HFHUB_JOB_STATE_LAST, NULL);
	return job_state_nicks[state];
}

gboolean
hfhub_job_state_from_string(const gchar *nick, HfhubJobState *state)
{
	for (guint i = 0; nick != NULL && i < HFHUB_JOB_STATE_LAST; i++) {
		if (g_str_equal(nick, job_state_nicks[i])) {
			*state = (HfhubJobState)i;
			return TRUE;
		}
	}
	return FALSE;
}

gboolean
hfhub_job_state_is_final(HfhubJobState state)
{
	return state == HFHUB_JOB_STATE_SUCCEEDED || state == HFHUB_JOB_STATE_FAILED ||
	       state == HFHUB_JOB_STATE_CANCELLED;
}

const gchar *
hfhub_repo_type_to_string(HfhubRepoType type)
{
	g_return_val_if_fail(type < HFHUB_REPO_TYPE_LAST, NULL);
	return repo_type_nicks[type];
}

/* Accepts the singular nicks and the plural URL forms ("models", …). */
gboolean
hfhub_repo_type_from_string(const gchar *nick, HfhubRepoType *type)
{
	static const gchar *const plural[] = { "models", "datasets", "spaces" };

	if (nick == NULL || *nick == '\0') {
		*type = HFHUB_REPO_TYPE_MODEL;
		return TRUE;
	}
	for (guint i = 0; i < HFHUB_REPO_TYPE_LAST; i++) {
		if (g_str_equal(nick, repo_type_nicks[i]) || g_str_equal(nick, plural[i])) {
			*type = (HfhubRepoType)i;
			return TRUE;
		}
	}
	return FALSE;
}
