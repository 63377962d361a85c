#include "config.h"

#define G_LOG_DOMAIN "HfhubJobExported"

#include "hfhub-job-exported.h"

#include "hfhub-error.h"
#include "hfhub-names.h"

struct _HfhubJobExported {
	HfhubDBusJobSkeleton parent_instance;
	HfhubEngine *engine;
	HfhubJob *job;
};

static void
hfhub_job_exported_iface_init(HfhubDBusJobIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(HfhubJobExported, hfhub_job_exported, HFHUB_DBUS_TYPE_JOB_SKELETON,
			      G_IMPLEMENT_INTERFACE(HFHUB_DBUS_TYPE_JOB,
						    hfhub_job_exported_iface_init))

gchar *
hfhub_job_exported_path_for_id(guint64 id)
{
	return g_strdup_printf(HFHUB_DBUS_JOBS_PATH "/%" G_GUINT64_FORMAT, id);
}

static void
sync_properties(HfhubJobExported *self, guint flags)
{
	HfhubDBusJob *iface = HFHUB_DBUS_JOB(self);
	const HfhubJobRecord *rec = hfhub_job_get_record(self->job);

	g_object_freeze_notify(G_OBJECT(self));
	if (flags & HFHUB_JOB_CHANGED_STATE) {
		hfhub_dbus_job_set_state(iface, hfhub_job_state_to_string(rec->state));
		hfhub_dbus_job_set_state_reason(iface, rec->state_reason);
		hfhub_dbus_job_set_error_name(iface, rec->error_name);
		hfhub_dbus_job_set_error_message(iface, rec->error_message);
		hfhub_dbus_job_set_updated(iface, rec->updated);
	}
	if (flags & HFHUB_JOB_CHANGED_PROGRESS) {
		hfhub_dbus_job_set_bytes_done(iface, rec->bytes_done);
		hfhub_dbus_job_set_bytes_total(iface, rec->bytes_total);
		hfhub_dbus_job_set_files_done(iface, rec->files_done);
		hfhub_dbus_job_set_files_total(iface, rec->files_total);
	}
	if (flags & HFHUB_JOB_CHANGED_RESULT)
		hfhub_dbus_job_set_result(iface, rec->result);
	if (flags & HFHUB_JOB_CHANGED_PRIORITY)
		hfhub_dbus_job_set_priority(iface, rec->priority);
	g_object_thaw_notify(G_OBJECT(self));
}

static void
job_changed_cb(HfhubJob *job, guint flags, gpointer user_data)
{
	sync_properties(HFHUB_JOB_EXPORTED(user_data), flags);
}

static void
job_finished_cb(HfhubJob *job, gpointer user_data)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(user_data);
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_auto(GVariantDict) details = G_VARIANT_DICT_INIT(rec->result);

	if (rec->state == HFHUB_JOB_STATE_FAILED) {
		g_variant_dict_insert(&details, "error-name", "s", rec->error_name);
		g_variant_dict_insert(&details, "error-message", "s", rec->error_message);
	}
	/* properties first, so that a client reading them on Finished sees the
	 * final values */
	g_dbus_interface_skeleton_flush(G_DBUS_INTERFACE_SKELETON(self));
	hfhub_dbus_job_emit_finished(HFHUB_DBUS_JOB(self), hfhub_job_state_to_string(rec->state),
				     g_variant_dict_end(&details));
}

static gboolean
finish_call(GDBusMethodInvocation *invocation, gboolean ok, GError *error)
{
	if (!ok) {
		hfhub_error_convert(&error);
		g_dbus_method_invocation_take_error(invocation, error);
		return TRUE;
	}
	g_dbus_method_invocation_return_value(invocation, NULL);
	return TRUE;
}

static gboolean
handle_cancel(HfhubDBusJob *iface, GDBusMethodInvocation *invocation)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(iface);
	GError *error = NULL;
	gboolean ok = hfhub_engine_cancel_job(self->engine, self->job, &error);
	return finish_call(invocation, ok, error);
}

static gboolean
handle_pause(HfhubDBusJob *iface, GDBusMethodInvocation *invocation)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(iface);
	GError *error = NULL;
	gboolean ok = hfhub_engine_pause_job(self->engine, self->job, &error);
	return finish_call(invocation, ok, error);
}

static gboolean
handle_resume(HfhubDBusJob *iface, GDBusMethodInvocation *invocation)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(iface);
	GError *error = NULL;
	gboolean ok = hfhub_engine_resume_job(self->engine, self->job, &error);
	return finish_call(invocation, ok, error);
}

static gboolean
handle_set_priority(HfhubDBusJob *iface, GDBusMethodInvocation *invocation, gint priority)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(iface);
	GError *error = NULL;
	gboolean ok = hfhub_engine_set_job_priority(self->engine, self->job, priority, &error);
	return finish_call(invocation, ok, error);
}

static void
hfhub_job_exported_iface_init(HfhubDBusJobIface *iface)
{
	iface->handle_set_priority = handle_set_priority;
	iface->handle_cancel = handle_cancel;
	iface->handle_pause = handle_pause;
	iface->handle_resume = handle_resume;
}

static void
hfhub_job_exported_dispose(GObject *object)
{
	HfhubJobExported *self = HFHUB_JOB_EXPORTED(object);

	if (self->job != NULL)
		g_signal_handlers_disconnect_by_data(self->job, self);
	g_clear_object(&self->job);
	g_clear_object(&self->engine);
	G_OBJECT_CLASS(hfhub_job_exported_parent_class)->dispose(object);
}

static void
hfhub_job_exported_class_init(HfhubJobExportedClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_job_exported_dispose;
}

static void
hfhub_job_exported_init(HfhubJobExported *self)
{
}

HfhubJobExported *
hfhub_job_exported_new(HfhubEngine *engine, HfhubJob *job)
{
	HfhubJobExported *self = g_object_new(HFHUB_TYPE_JOB_EXPORTED, NULL);
	HfhubDBusJob *iface = HFHUB_DBUS_JOB(self);
	const HfhubJobRecord *rec = hfhub_job_get_record(job);

	self->engine = g_object_ref(engine);
	self->job = g_object_ref(job);
	hfhub_dbus_job_set_id(iface, rec->id);
	hfhub_dbus_job_set_kind(iface, rec->kind);
	hfhub_dbus_job_set_repo_type(iface, rec->repo_type);
	hfhub_dbus_job_set_repo_id(iface, rec->repo_id);
	hfhub_dbus_job_set_revision(iface, rec->revision);
	hfhub_dbus_job_set_options(iface, rec->options);
	hfhub_dbus_job_set_owner(iface, rec->owner);
	hfhub_dbus_job_set_created(iface, rec->created);
	sync_properties(self, HFHUB_JOB_CHANGED_STATE | HFHUB_JOB_CHANGED_PROGRESS |
				      HFHUB_JOB_CHANGED_RESULT | HFHUB_JOB_CHANGED_PRIORITY);
	g_signal_connect_object(job, "changed", G_CALLBACK(job_changed_cb), self, 0);
	g_signal_connect_object(job, "finished", G_CALLBACK(job_finished_cb), self, 0);
	return self;
}

HfhubJob *
hfhub_job_exported_get_job(HfhubJobExported *self)
{
	return self->job;
}
