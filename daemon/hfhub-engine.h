/* HfhubEngine: the jobs, their kinds and the scheduler that runs them.
 *
 * Owns the store and the config; knows nothing of D-Bus. Adaptors call it and
 * listen to its signals: "job-added" (HfhubJob), "job-removed" (HfhubJob) and
 * "status-changed" (idle/busy or the job counts changed). */
#pragma once

#include <gio/gio.h>

#include "hfhub-config.h"
#include "hfhub-http.h"
#include "hfhub-throttle.h"
#include "hfhub-identities.h"
#include "hfhub-job.h"
#include "hfhub-store.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_ENGINE (hfhub_engine_get_type())
G_DECLARE_FINAL_TYPE(HfhubEngine, hfhub_engine, HFHUB, ENGINE, GObject)

/* One accepted option of a job kind: its key and GVariant type string. */
typedef struct {
	const gchar *key;
	const gchar *type;
} HfhubOptionSpec;

/* What a kind of job does. run_async is started by the scheduler with a
 * cancellable that fires on pause, cancel and shutdown; run_finish returns the
 * job's result (a{sv}) or an HFHUB_ERROR. */
typedef struct {
	const gchar *name;
	const HfhubOptionSpec *options; /* terminated by { NULL, NULL } */
	/* checks the request before the row is written; may fill in defaults */
	gboolean (*prepare)(HfhubEngine *engine, HfhubJobRecord *rec, GError **error);
	void (*run_async)(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data);
	GVariant *(*run_finish)(HfhubJob *job, GAsyncResult *res, GError **error);
	/* the job was cancelled or failed for good: remove what it left behind */
	void (*discard)(HfhubEngine *engine, HfhubJob *job);
} HfhubJobKind;

/* Checks @options (a{sv}) against @specs: unknown keys and wrong types are
 * HFHUB_ERROR_INVALID_ARGUMENT naming the key and the expected type. */
gboolean
hfhub_options_validate(GVariant *options, const HfhubOptionSpec *specs, GError **error);

HfhubEngine *
hfhub_engine_new(HfhubConfig *config, HfhubStore *store);

HfhubConfig *
hfhub_engine_get_config(HfhubEngine *self);
HfhubStore *
hfhub_engine_get_store(HfhubEngine *self);
/* the daemon's one HTTP session */
HfhubHttp *
hfhub_engine_get_http(HfhubEngine *self);
/* the bandwidth limit all downloads share (from download.bandwidth-limit) */
HfhubThrottle *
hfhub_engine_get_download_throttle(HfhubEngine *self);
/* the one all uploads share (upload.bandwidth-limit) */
HfhubThrottle *
hfhub_engine_get_upload_throttle(HfhubEngine *self);

/* The Hub identities (hfhub-identities.h); NULL until set. */
void
hfhub_engine_set_identities(HfhubEngine *self, HfhubIdentities *identities);
HfhubIdentities *
hfhub_engine_get_identities(HfhubEngine *self);

/* The token for a request to @endpoint (NULL: the configured one) as
 * @identity (NULL: none asked for), by the precedence documented in
 * hfhub-identities.h: the named identity, then HF_TOKEN of hfhubd's
 * environment, then the endpoint's default identity. Free it with
 * hfhub_secrets_free() (it wipes). NULL without error: anonymous. NULL with
 * an error: HFHUB_ERROR_INVALID_ARGUMENT (unknown identity or endpoint),
 * HFHUB_ERROR_KEYRING_LOCKED, HFHUB_ERROR_NO_KEYRING, HFHUB_ERROR_INVALID_TOKEN.
 * Never blocks: tokens come from a cache filled at startup and login, so it
 * may be called on the main thread (and from any other). */
gchar *
hfhub_engine_dup_token(HfhubEngine *self, const gchar *identity, const gchar *endpoint,
		       GError **error);

/* The name of the identity hfhub_engine_dup_token() would use now, NULL
 * when it would use HF_TOKEN or nothing; for recording on a job, so that it
 * keeps its identity across restarts and switches. Fails like
 * hfhub_engine_dup_token() for an unknown @identity. */
gchar *
hfhub_engine_dup_identity_name(HfhubEngine *self, const gchar *identity, const gchar *endpoint,
			       GError **error);

void
hfhub_engine_register_kind(HfhubEngine *self, const HfhubJobKind *kind);
const HfhubJobKind *
hfhub_engine_get_kind(HfhubEngine *self, const gchar *name);

/* Reads the jobs of the store: a job that was running comes back queued.
 * Finished jobs older than keep-finished-days are forgotten. Then starts the
 * scheduler. */
gboolean
hfhub_engine_load(HfhubEngine *self, GError **error);

/* Owner names (unique bus names, "peer-N") are only meaningful on the bus
 * or peer server that gave them: new jobs record this session (the bus's or
 * the server's GUID) next to their owner, so that a name given again by a
 * later bus or daemon never passes for the owner of an older job. */
void
hfhub_engine_set_owner_session(HfhubEngine *self, const gchar *session);
const gchar *
hfhub_engine_get_owner_session(HfhubEngine *self);

/* The machine is about to sleep (@sleeping) or woke up: running transfers
 * stop and wait, then go on with fresh connections (their old ones may be
 * dead, and would only be noticed by the stall watchdog). */
void
hfhub_engine_set_sleeping(HfhubEngine *self, gboolean sleeping);

/* Someone waits for it: a caller of this session that did not --detach.
 * The others (detached, or of an earlier daemon) are background work. */
gboolean
hfhub_engine_job_is_interactive(HfhubEngine *self, HfhubJob *job);

/* Validates, writes the row (committed before this returns), emits
 * "job-added" and lets the scheduler start it. @options may be NULL. */
HfhubJob *
hfhub_engine_add_job(HfhubEngine *self, const gchar *kind, const gchar *repo_type,
		     const gchar *repo_id, const gchar *revision, GVariant *options,
		     const gchar *owner, GError **error);

HfhubJob *
hfhub_engine_get_job(HfhubEngine *self, guint64 id, GError **error);
/* element type HfhubJob, oldest first */
GPtrArray *
hfhub_engine_list_jobs(HfhubEngine *self);
/* jobs per state nick */
GHashTable *
hfhub_engine_count_jobs(HfhubEngine *self);
/* no job queued or running */
gboolean
hfhub_engine_is_idle(HfhubEngine *self);

gboolean
hfhub_engine_cancel_job(HfhubEngine *self, HfhubJob *job, GError **error);
gboolean
hfhub_engine_pause_job(HfhubEngine *self, HfhubJob *job, GError **error);
gboolean
hfhub_engine_resume_job(HfhubEngine *self, HfhubJob *job, GError **error);
/* the Hub the job talks to: its "endpoint" option, else the configured
 * one; never with a trailing slash */
gchar *
hfhub_engine_dup_job_endpoint(HfhubEngine *self, HfhubJob *job);
/* records what is known of the job's caller (NULL: unknown) */
gboolean
hfhub_engine_set_job_caller(HfhubEngine *self, HfhubJob *job, const gchar *app_id,
			    const gchar *executable, GError **error);
/* Disk space: a transfer claims what it will write before it starts, and
 * the check counts what the others claimed and have not written yet. FALSE
 * with HFHUB_ERROR_DISK_FULL when it does not fit. Thread-safe. */
gboolean
hfhub_engine_claim_space(HfhubEngine *self, const gchar *dir, guint64 bytes, GError **error);
void
hfhub_engine_release_space(HfhubEngine *self, guint64 bytes);

/* higher runs first; a queued job moves in the queue at once */
gboolean
hfhub_engine_set_job_priority(HfhubEngine *self, HfhubJob *job, gint priority, GError **error);

/* Options every kind of job accepts (the scheduler reads them): priority
 * (i), start-at (x, UNIX time), window (s, "HH:MM-HH:MM"), unmetered-only
 * (b), detach (b). */
extern const HfhubOptionSpec hfhub_engine_common_options[];

/* Persists the progress of running jobs and stops them without changing
 * their state: they continue when the daemon starts again. */
void
hfhub_engine_shutdown(HfhubEngine *self);

/* for job kinds: sets the human-readable reason of the current state */
void
hfhub_engine_set_job_reason(HfhubEngine *self, HfhubJob *job, const gchar *reason);
/* the same from any thread (a job kind's worker): applied on the main
 * thread, and only while the job still runs */
void
hfhub_engine_note_job_reason(HfhubEngine *self, HfhubJob *job, const gchar *reason);

G_END_DECLS
