#include "config.h"

#define G_LOG_DOMAIN "HfhubDesktop"

#include "hfhub-desktop.h"

#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <unistd.h>

struct _HfhubDesktop {
	GObject parent_instance;
	HfhubEngine *engine;
	GCancellable *cancellable;
	GDBusConnection *system_bus;
	gboolean system_bus_pending;
	gint inhibit_fd; /* -1 when not held */
	gboolean inhibit_pending;
	guint sleep_subscription;
};

G_DEFINE_FINAL_TYPE(HfhubDesktop, hfhub_desktop, G_TYPE_OBJECT)

static void
update_inhibitor(HfhubDesktop *self);

static gboolean
transfers_running(HfhubDesktop *self)
{
	g_autoptr(GHashTable) counts = hfhub_engine_count_jobs(self->engine);
	return GPOINTER_TO_UINT(g_hash_table_lookup(counts, "running")) > 0;
}

static void
release_inhibitor(HfhubDesktop *self)
{
	if (self->inhibit_fd < 0)
		return;
	close(self->inhibit_fd);
	self->inhibit_fd = -1;
	g_debug("released the sleep inhibitor");
}

static void
inhibit_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HfhubDesktop *self = HFHUB_DESKTOP(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GUnixFDList) fds = NULL;
	g_autoptr(GVariant) reply = g_dbus_connection_call_with_unix_fd_list_finish(
		G_DBUS_CONNECTION(source), &fds, res, &error);
	gint32 index;

	self->inhibit_pending = FALSE;
	if (reply == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_debug("no sleep inhibitor: %s", error->message);
		g_object_unref(self);
		return;
	}
	g_variant_get(reply, "(h)", &index);
	self->inhibit_fd = g_unix_fd_list_get(fds, index, NULL);
	g_debug("holding a sleep inhibitor");
	/* the transfers may have ended while we asked */
	update_inhibitor(self);
	g_object_unref(self);
}

/* Overnight work must not be cut by suspend: "block" (not "delay") on
 * "sleep" while a transfer runs; idle time does not hold the machine. */
static void
take_inhibitor(HfhubDesktop *self)
{
	if (self->system_bus == NULL || self->inhibit_fd >= 0 || self->inhibit_pending)
		return;
	self->inhibit_pending = TRUE;
	g_dbus_connection_call_with_unix_fd_list(
		self->system_bus, "org.freedesktop.login1", "/org/freedesktop/login1",
		"org.freedesktop.login1.Manager", "Inhibit",
		g_variant_new("(ssss)", "sleep", "hfhub",
			      _("Transferring files from the Hugging Face Hub"), "block"),
		G_VARIANT_TYPE("(h)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, self->cancellable,
		inhibit_cb, g_object_ref(self));
}

static void
update_inhibitor(HfhubDesktop *self)
{
	if (transfers_running(self))
		take_inhibitor(self);
	else
		release_inhibitor(self);
}

/* A forced suspend (the lid, or root) does not wait for our inhibitor:
 * the engine stops the transfers, and starts them again on fresh
 * connections when the machine wakes. */
static void
prepare_for_sleep_cb(GDBusConnection *connection, const gchar *sender, const gchar *path,
		     const gchar *interface, const gchar *signal, GVariant *parameters,
		     gpointer user_data)
{
	HfhubDesktop *self = HFHUB_DESKTOP(user_data);
	gboolean sleeping;

	if (!g_variant_is_of_type(parameters, G_VARIANT_TYPE("(b)")))
		return;
	g_variant_get(parameters, "(b)", &sleeping);
	hfhub_engine_set_sleeping(self->engine, sleeping);
}

static void
system_bus_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HfhubDesktop *self = HFHUB_DESKTOP(user_data);
	g_autoptr(GError) error = NULL;

	self->system_bus_pending = FALSE;
	self->system_bus = g_bus_get_finish(res, &error);
	if (self->system_bus == NULL) {
		g_debug("no system bus, no sleep inhibitor: %s", error->message);
	} else {
		self->sleep_subscription = g_dbus_connection_signal_subscribe(
			self->system_bus, "org.freedesktop.login1",
			"org.freedesktop.login1.Manager", "PrepareForSleep",
			"/org/freedesktop/login1", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
			prepare_for_sleep_cb, self, NULL);
		update_inhibitor(self);
	}
	g_object_unref(self);
}

static void
notify_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply =
		g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &error);
	if (reply == NULL)
		g_debug("no notification: %s", error->message);
}

/* a freedesktop icon name for a job of @kind */
static const gchar *
icon_for(const gchar *kind)
{
	if (g_str_equal(kind, "upload") || g_str_equal(kind, "commit"))
		return "document-send";
	if (g_str_has_prefix(kind, "cache-"))
		return "drive-harddisk";
	return "folder-download";
}

/* what a notification says of a job's end, by kind; FALSE: nothing to say */
static gboolean
describe_end(const HfhubJobRecord *rec, gchar **summary, gchar **body)
{
	gboolean ok = rec->state == HFHUB_JOB_STATE_SUCCEEDED;
	const gchar *repo = rec->repo_id;

	if (!ok && rec->state != HFHUB_JOB_STATE_FAILED)
		return FALSE;
	if (g_str_equal(rec->kind, "download"))
		/* TRANSLATORS: a notification; %s is a repository */
		*summary =
			g_strdup_printf(ok ? _("Downloaded %s") : _("Could not download %s"), repo);
	else if (g_str_equal(rec->kind, "upload"))
		/* TRANSLATORS: a notification; %s is a repository */
		*summary = g_strdup_printf(ok ? _("Uploaded to %s") : _("Could not upload to %s"),
					   repo);
	else if (g_str_equal(rec->kind, "commit"))
		/* TRANSLATORS: a notification; %s is a repository */
		*summary = g_strdup_printf(ok ? _("Changed %s") : _("Could not change %s"), repo);
	else if (g_str_equal(rec->kind, "cache-verify"))
		*summary = g_strdup(ok ? _("Cache verified") : _("Could not verify the cache"));
	else if (g_str_equal(rec->kind, "cache-delete"))
		*summary = g_strdup(ok ? _("Cache cleaned up") : _("Could not clean up the cache"));
	else
		return FALSE;
	*body = ok ? g_strdup_printf(_("Job %" G_GUINT64_FORMAT " finished."), rec->id)
		   : g_strdup(rec->error_message);
	return TRUE;
}

static void
notify_finished(HfhubDesktop *self, HfhubJob *job)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_autoptr(GDBusConnection) bus = NULL;
	g_autofree gchar *summary = NULL;
	g_autofree gchar *body = NULL;
	g_auto(GVariantBuilder) hints = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);

	/* peer mode: no session bus, nobody to show it to; with one, the
	 * daemon's own connection is returned at once */
	if (g_getenv("DBUS_SESSION_BUS_ADDRESS") == NULL)
		return;
	bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, NULL);
	if (bus == NULL)
		return;
	if (!describe_end(rec, &summary, &body))
		return;
	g_variant_builder_add(&hints, "{sv}", "desktop-entry", g_variant_new_string("hfhub"));
	g_dbus_connection_call(bus, "org.freedesktop.Notifications",
			       "/org/freedesktop/Notifications", "org.freedesktop.Notifications",
			       "Notify",
			       g_variant_new("(susssasa{sv}i)", "hfhub", 0, icon_for(rec->kind),
					     summary, body, NULL, &hints, -1),
			       G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable,
			       notify_cb, NULL);
}

static void
job_finished_cb(HfhubJob *job, gpointer user_data)
{
	HfhubDesktop *self = HFHUB_DESKTOP(user_data);

	/* nobody follows a detached job, nor one whose caller went with an
	 * earlier hfhubd: the desktop tells the user */
	if (!hfhub_engine_job_is_interactive(self->engine, job) &&
	    hfhub_config_get_notifications(hfhub_engine_get_config(self->engine)))
		notify_finished(self, job);
}

static void
watch_job(HfhubDesktop *self, HfhubJob *job)
{
	g_signal_connect_object(job, "finished", G_CALLBACK(job_finished_cb), self, 0);
}

static void
job_added_cb(HfhubEngine *engine, HfhubJob *job, gpointer user_data)
{
	watch_job(HFHUB_DESKTOP(user_data), job);
}

static void
status_changed_cb(HfhubEngine *engine, gpointer user_data)
{
	update_inhibitor(HFHUB_DESKTOP(user_data));
}

static void
hfhub_desktop_dispose(GObject *object)
{
	HfhubDesktop *self = HFHUB_DESKTOP(object);

	g_cancellable_cancel(self->cancellable);
	if (self->engine != NULL)
		g_signal_handlers_disconnect_by_data(self->engine, self);
	release_inhibitor(self);
	if (self->sleep_subscription != 0)
		g_dbus_connection_signal_unsubscribe(self->system_bus, self->sleep_subscription);
	self->sleep_subscription = 0;
	g_clear_object(&self->system_bus);
	g_clear_object(&self->engine);
	g_clear_object(&self->cancellable);
	G_OBJECT_CLASS(hfhub_desktop_parent_class)->dispose(object);
}

static void
hfhub_desktop_class_init(HfhubDesktopClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_desktop_dispose;
}

static void
hfhub_desktop_init(HfhubDesktop *self)
{
	self->inhibit_fd = -1;
	self->cancellable = g_cancellable_new();
}

HfhubDesktop *
hfhub_desktop_new(HfhubEngine *engine)
{
	HfhubDesktop *self = g_object_new(HFHUB_TYPE_DESKTOP, NULL);
	g_autoptr(GPtrArray) jobs = hfhub_engine_list_jobs(engine);

	self->engine = g_object_ref(engine);
	for (guint i = 0; i < jobs->len; i++)
		watch_job(self, g_ptr_array_index(jobs, i));
	g_signal_connect(engine, "job-added", G_CALLBACK(job_added_cb), self);
	g_signal_connect(engine, "status-changed", G_CALLBACK(status_changed_cb), self);
	self->system_bus_pending = TRUE;
	g_bus_get(G_BUS_TYPE_SYSTEM, self->cancellable, system_bus_cb, g_object_ref(self));
	return self;
}
