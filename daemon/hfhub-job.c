#include "config.h"

#define G_LOG_DOMAIN "HfhubJob"

#include "hfhub-job.h"

struct _HfhubJob {
	GObject parent_instance;
	HfhubJobRecord *rec;
	gint64 last_progress_emit; /* monotonic µs */
	guint progress_source;
	gboolean finished_emitted;
};

G_DEFINE_FINAL_TYPE(HfhubJob, hfhub_job, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_FINISHED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

static void
hfhub_job_finalize(GObject *object)
{
	HfhubJob *self = HFHUB_JOB(object);

	g_clear_handle_id(&self->progress_source, g_source_remove);
	hfhub_job_record_free(self->rec);
	G_OBJECT_CLASS(hfhub_job_parent_class)->finalize(object);
}

static void
hfhub_job_class_init(HfhubJobClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hfhub_job_finalize;

	/* changed(flags): the record changed; the state is already persisted */
	signals[SIGNAL_CHANGED] =
		g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
	/* finished(): emitted once, after the final state was persisted */
	signals[SIGNAL_FINISHED] =
		g_signal_new("finished", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			     NULL, G_TYPE_NONE, 0);
}

static void
hfhub_job_init(HfhubJob *self)
{
}

HfhubJob *
hfhub_job_new(HfhubJobRecord *rec)
{
	HfhubJob *self = g_object_new(HFHUB_TYPE_JOB, NULL);

	self->rec = rec;
	if (self->rec->options == NULL)
		self->rec->options = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
	if (self->rec->result == NULL)
		self->rec->result = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
	self->finished_emitted = hfhub_job_state_is_final(rec->state);
	return self;
}

const HfhubJobRecord *
hfhub_job_get_record(HfhubJob *self)
{
	return self->rec;
}

HfhubJobRecord *
hfhub_job_get_record_mutable(HfhubJob *self)
{
	return self->rec;
}

guint64
hfhub_job_get_id(HfhubJob *self)
{
	return self->rec->id;
}

HfhubJobState
hfhub_job_get_state(HfhubJob *self)
{
	return self->rec->state;
}

const gchar *
hfhub_job_get_kind(HfhubJob *self)
{
	return self->rec->kind;
}

GVariant *
hfhub_job_get_options(HfhubJob *self)
{
	return self->rec->options;
}

gboolean
hfhub_job_lookup_option(HfhubJob *self, const gchar *key, const gchar *format, ...)
{
	g_autoptr(GVariant) value = NULL;
	va_list ap;

	value = g_variant_lookup_value(self->rec->options, key, NULL);
	if (value == NULL || !g_variant_check_format_string(value, format, FALSE))
		return FALSE;
	va_start(ap, format);
	g_variant_get_va(value, format, NULL, &ap);
	va_end(ap);
	return TRUE;
}

gchar *
hfhub_job_dup_option_string(HfhubJob *self, const gchar *key, const gchar *fallback)
{
	const gchar *v = NULL;

	if (hfhub_job_lookup_option(self, key, "&s", &v) && v != NULL && *v != '\0')
		return g_strdup(v);
	return g_strdup(fallback);
}

gchar **
hfhub_job_dup_option_strv(HfhubJob *self, const gchar *key)
{
	gchar **v = NULL;

	if (hfhub_job_lookup_option(self, key, "^as", &v) && v != NULL && v[0] != NULL)
		return v;
	g_strfreev(v);
	return NULL;
}

static gboolean
progress_timeout_cb(gpointer user_data)
{
	HfhubJob *self = HFHUB_JOB(user_data);

	self->progress_source = 0;
	self->last_progress_emit = g_get_monotonic_time();
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0, (guint)HFHUB_JOB_CHANGED_PROGRESS);
	return G_SOURCE_REMOVE;
}

static void
progress_changed(HfhubJob *self)
{
	gint64 now = g_get_monotonic_time();
	gint64 due = self->last_progress_emit + HFHUB_JOB_PROGRESS_INTERVAL_MS * 1000;

	if (self->progress_source != 0)
		return;
	if (now >= due) {
		progress_timeout_cb(self);
		return;
	}
	self->progress_source =
		g_timeout_add_full(G_PRIORITY_DEFAULT, (guint)((due - now) / 1000),
				   progress_timeout_cb, g_object_ref(self), g_object_unref);
}

void
hfhub_job_set_progress(HfhubJob *self, guint64 bytes_done, guint64 bytes_total, guint files_done,
		       guint files_total)
{
	HfhubJobRecord *rec = self->rec;

	if (rec->bytes_done == bytes_done && rec->bytes_total == bytes_total &&
	    rec->files_done == files_done && rec->files_total == files_total)
		return;
	rec->bytes_done = bytes_done;
	rec->bytes_total = bytes_total;
	rec->files_done = files_done;
	rec->files_total = files_total;
	progress_changed(self);
}

void
hfhub_job_add_bytes(HfhubJob *self, gint64 delta)
{
	if (delta == 0)
		return;
	if (delta < 0 && (guint64)(-delta) > self->rec->bytes_done)
		self->rec->bytes_done = 0;
	else
		self->rec->bytes_done += delta;
	progress_changed(self);
}

void
hfhub_job_flush_progress(HfhubJob *self)
{
	if (self->progress_source == 0)
		return;
	g_clear_handle_id(&self->progress_source, g_source_remove);
	progress_timeout_cb(self);
}

void
hfhub_job_emit_changed(HfhubJob *self, HfhubJobChangedFlags flags)
{
	g_signal_emit(self, signals[SIGNAL_CHANGED], 0, (guint)flags);
}

void
hfhub_job_emit_finished(HfhubJob *self)
{
	if (self->finished_emitted)
		return;
	self->finished_emitted = TRUE;
	g_signal_emit(self, signals[SIGNAL_FINISHED], 0);
}
