/* HfhubJob: one job of the engine, a row of the store in memory.
 *
 * Knows nothing of D-Bus. The engine changes its state (persisting first,
 * then emitting "changed"); job kinds report progress through
 * hfhub_job_set_progress(), which is cheap and throttled. */
#pragma once

#include <gio/gio.h>

#include "hfhub-store.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_JOB (hfhub_job_get_type())
G_DECLARE_FINAL_TYPE(HfhubJob, hfhub_job, HFHUB, JOB, GObject)

typedef enum {
	HFHUB_JOB_CHANGED_STATE = 1 << 0,
	HFHUB_JOB_CHANGED_PROGRESS = 1 << 1,
	HFHUB_JOB_CHANGED_RESULT = 1 << 2,
	HFHUB_JOB_CHANGED_PRIORITY = 1 << 3,
	HFHUB_JOB_CHANGED_OWNER = 1 << 4,
} HfhubJobChangedFlags;

/* progress "changed" signals are emitted at most this often */
#define HFHUB_JOB_PROGRESS_INTERVAL_MS 100

/* takes ownership of @rec */
HfhubJob *
hfhub_job_new(HfhubJobRecord *rec);

/* the record is owned by the job; callers may read it, only the engine writes */
const HfhubJobRecord *
hfhub_job_get_record(HfhubJob *self);
HfhubJobRecord *
hfhub_job_get_record_mutable(HfhubJob *self);

guint64
hfhub_job_get_id(HfhubJob *self);
HfhubJobState
hfhub_job_get_state(HfhubJob *self);
const gchar *
hfhub_job_get_kind(HfhubJob *self);
GVariant *
hfhub_job_get_options(HfhubJob *self);
/* a typed lookup in the options; FALSE when absent */
gboolean
hfhub_job_lookup_option(HfhubJob *self, const gchar *key, const gchar *format, ...);

/* a string option, or @fallback when it is absent or empty (newly allocated) */
gchar *
hfhub_job_dup_option_string(HfhubJob *self, const gchar *key, const gchar *fallback);
/* a list option, NULL when it is absent or empty */
gchar **
hfhub_job_dup_option_strv(HfhubJob *self, const gchar *key);

void
hfhub_job_set_progress(HfhubJob *self, guint64 bytes_done, guint64 bytes_total, guint files_done,
		       guint files_total);
void
hfhub_job_add_bytes(HfhubJob *self, gint64 delta);
/* forces a pending throttled "changed" out now */
void
hfhub_job_flush_progress(HfhubJob *self);

/* engine only */
void
hfhub_job_emit_changed(HfhubJob *self, HfhubJobChangedFlags flags);
void
hfhub_job_emit_finished(HfhubJob *self);

G_END_DECLS
