/* What a job kind that works on a worker thread needs around its run:
 * an abort of its own, and progress published on the main loop. Shared by
 * the download, upload and commit kinds. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A cancellable of the run's own: it fires when the engine stops the job
 * (@stop), and the run may fire it itself (one file failed for good, the
 * others stop too). Undo the link with g_cancellable_disconnect(@stop,
 * *@link). */
GCancellable *
hfhub_job_run_abort_new(GCancellable *stop, gulong *link);

typedef void (*HfhubJobRunProgressFunc)(gpointer data);

/* Calls @publish(@data) on the main loop every
 * HFHUB_JOB_PROGRESS_INTERVAL_MS until hfhub_job_run_stop_progress() or
 * until @task is gone; @data must live as long. */
void
hfhub_job_run_publish_progress(GTask *task, HfhubJobRunProgressFunc publish, gpointer data);
void
hfhub_job_run_stop_progress(GTask *task);

/* Returns a run's outcome from its worker: @result (floating or not;
 * consumed) or else @error (consumed), which reads G_IO_ERROR_CANCELLED
 * when @stop fired, whatever broke first. */
void
hfhub_job_run_return(GTask *task, GVariant *result, GError *error, GCancellable *stop);

G_END_DECLS
