#include "config.h"

#include "hfhub-job-run.h"

#include "hfhub-job.h"

#define PROGRESS_SOURCE_KEY "hfhub-progress-source"

static void
cancel_too_cb(GCancellable *cancellable, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

GCancellable *
hfhub_job_run_abort_new(GCancellable *stop, gulong *link)
{
	GCancellable *abort = g_cancellable_new();

	*link = g_cancellable_connect(stop, G_CALLBACK(cancel_too_cb), g_object_ref(abort),
				      g_object_unref);
	return abort;
}

typedef struct {
	HfhubJobRunProgressFunc publish;
	gpointer data;
	guint source;
} ProgressTimer;

static gboolean
progress_tick_cb(gpointer user_data)
{
	ProgressTimer *timer = user_data;

	timer->publish(timer->data);
	return G_SOURCE_CONTINUE;
}

static void
progress_timer_free(ProgressTimer *timer)
{
	g_source_remove(timer->source);
	g_free(timer);
}

void
hfhub_job_run_publish_progress(GTask *task, HfhubJobRunProgressFunc publish, gpointer data)
{
	ProgressTimer *timer = g_new0(ProgressTimer, 1);

	timer->publish = publish;
	timer->data = data;
	timer->source = g_timeout_add(HFHUB_JOB_PROGRESS_INTERVAL_MS, progress_tick_cb, timer);
	g_object_set_data_full(G_OBJECT(task), PROGRESS_SOURCE_KEY, timer,
			       (GDestroyNotify)progress_timer_free);
}

void
hfhub_job_run_stop_progress(GTask *task)
{
	g_object_set_data(G_OBJECT(task), PROGRESS_SOURCE_KEY, NULL);
}

void
hfhub_job_run_return(GTask *task, GVariant *result, GError *error, GCancellable *stop)
{
	if (result != NULL) {
		g_task_return_pointer(task, g_variant_ref_sink(result),
				      (GDestroyNotify)g_variant_unref);
		return;
	}
	/* a job cancellation reads as cancelled, whatever broke first */
	if (g_cancellable_is_cancelled(stop)) {
		g_clear_error(&error);
		g_set_error_literal(&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
	}
	g_task_return_error(task, error);
}
