#include "config.h"

#define G_LOG_DOMAIN "HfhubDaemon"

#include "hfhub-daemon.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hfhub-auth-exported.h"
#include "hfhub-cache-exported.h"
#include "hfhub-caller.h"
#include "hfhub-error.h"
#include "hfhub-job-exported.h"
#include "hfhub-manager.h"
#include "hfhub-repos-exported.h"
#include "hfhub-names.h"

/* One per connection we serve: the session bus, or each peer. Each has its
 * own object manager and its own job skeletons: GDBusObjectManagerServer
 * unexports a skeleton from every connection when it lets go of one, so
 * skeletons cannot be shared between managers. */
typedef struct {
	GDBusConnection *connection;
	GDBusObjectManagerServer *objects;
	gulong closed_id;
	guint filter_id;
} Export;

struct _HfhubDaemon {
	GObject parent_instance;
	HfhubEngine *engine;
	HfhubManager *manager;
	HfhubCacheExported *cache;
	HfhubAuthExported *auth; /* NULL without identities (tests) */
	HfhubReposExported *repos;
	GPtrArray *exports; /* Export* */
	guint owner_id;
	gboolean name_acquired;
	GDBusServer *server;
	gchar *socket_path;
	gint last_call;		   /* monotonic seconds of the last method call (atomic) */
	GDBusConnection *bus;	   /* the session bus, when we own the name there */
	GHashTable *owner_watches; /* unique name → watch id */
	guint peers;		   /* peer connections served so far, to name them */
	guint idle_source;
	GCancellable *cancellable; /* lookups of callers in flight */
};

G_DEFINE_FINAL_TYPE(HfhubDaemon, hfhub_daemon, G_TYPE_OBJECT)

enum { SIGNAL_QUIT, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

static void
update_idle(HfhubDaemon *self);

static GDBusMessage *
note_call_filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
		 gpointer user_data);

static void
export_free(Export *exp)
{
	g_signal_handler_disconnect(exp->connection, exp->closed_id);
	g_dbus_connection_remove_filter(exp->connection, exp->filter_id);
	g_dbus_object_manager_server_set_connection(exp->objects, NULL);
	g_object_unref(exp->objects);
	g_object_unref(exp->connection);
	g_free(exp);
}

/* @owner (a unique name, or "peer-N") created @rec in this bus or peer
 * server's life: names are given again by a later bus or daemon */
static gboolean
owned_here(HfhubDaemon *self, const HfhubJobRecord *rec, const gchar *owner)
{
	return g_strcmp0(rec->owner, owner) == 0 &&
	       g_strcmp0(rec->owner_session, hfhub_engine_get_owner_session(self->engine)) == 0;
}

/* The caller of attached jobs went away (it quit, crashed or was killed):
 * nobody follows them any more, so they are cancelled. Detached jobs
 * (--detach) outlive their caller. */
static void
cancel_jobs_of(HfhubDaemon *self, const gchar *owner)
{
	g_autoptr(GPtrArray) jobs = hfhub_engine_list_jobs(self->engine);

	for (guint i = 0; i < jobs->len; i++) {
		HfhubJob *job = g_ptr_array_index(jobs, i);
		const HfhubJobRecord *rec = hfhub_job_get_record(job);
		gboolean detach = FALSE;
		g_autoptr(GError) error = NULL;

		if (!owned_here(self, rec, owner) || hfhub_job_state_is_final(rec->state))
			continue;
		if (hfhub_job_lookup_option(job, "detach", "b", &detach) && detach)
			continue;
		g_message("job %" G_GUINT64_FORMAT ": its caller %s went away, cancelling it",
			  rec->id, owner);
		if (!hfhub_engine_cancel_job(self->engine, job, &error))
			g_warning("job %" G_GUINT64_FORMAT ": %s", rec->id, error->message);
	}
}

static void
owner_vanished_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);

	cancel_jobs_of(self, name);
	g_hash_table_remove(self->owner_watches, name);
}

static void
unwatch(gpointer id)
{
	g_bus_unwatch_name(GPOINTER_TO_UINT(id));
}

/* On the bus: a job's owner is watched while the daemon runs. Jobs loaded
 * from the store at start-up belong to callers of an earlier run: they
 * continue as they were. */
static void
watch_owner(HfhubDaemon *self, HfhubJob *job)
{
	const gchar *owner = hfhub_job_get_record(job)->owner;
	guint id;

	if (self->bus == NULL || owner == NULL || owner[0] != ':' ||
	    !owned_here(self, hfhub_job_get_record(job), owner) ||
	    g_hash_table_contains(self->owner_watches, owner))
		return;
	id = g_bus_watch_name_on_connection(self->bus, owner, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
					    owner_vanished_cb, self, NULL);
	g_hash_table_insert(self->owner_watches, g_strdup(owner), GUINT_TO_POINTER(id));
}

typedef struct {
	HfhubEngine *engine;
	HfhubJob *job;
} CallerLookup;

static void
caller_found_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CallerLookup *lookup = user_data;
	g_autoptr(HfhubCallerInfo) info = NULL;
	g_autoptr(GError) error = NULL;
	guint64 id = hfhub_job_get_id(lookup->job);

	info = hfhub_caller_lookup_finish(result, &error);
	if (info == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			g_debug("job %" G_GUINT64_FORMAT ": its caller is gone: %s", id,
				error->message);
	} else if (!hfhub_engine_set_job_caller(lookup->engine, lookup->job, info->app_id,
						info->exe, &error)) {
		g_warning("job %" G_GUINT64_FORMAT ": cannot record its caller: %s", id,
			  error->message);
	}
	g_object_unref(lookup->engine);
	g_object_unref(lookup->job);
	g_free(lookup);
}

/* the connection a job's owner called on, NULL when it is gone */
static GDBusConnection *
connection_of_owner(HfhubDaemon *self, const gchar *owner)
{
	if (self->bus != NULL)
		return self->bus;
	for (guint i = 0; i < self->exports->len; i++) {
		Export *exp = g_ptr_array_index(self->exports, i);
		if (g_strcmp0(hfhub_caller_peer_name(exp->connection), owner) == 0)
			return exp->connection;
	}
	return NULL;
}

/* Records the application and executable of a new job's caller. Asked
 * before the reply to its call is sent, so a caller that quits on the reply
 * is still there to be asked about. */
static void
look_up_caller(HfhubDaemon *self, HfhubJob *job)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	GDBusConnection *connection;
	CallerLookup *lookup;

	if (!owned_here(self, rec, rec->owner) || rec->owner[0] == '\0')
		return;
	connection = connection_of_owner(self, rec->owner);
	if (connection == NULL)
		return;
	lookup = g_new0(CallerLookup, 1);
	lookup->engine = g_object_ref(self->engine);
	lookup->job = g_object_ref(job);
	hfhub_caller_lookup_async(connection, rec->owner, self->cancellable, caller_found_cb,
				  lookup);
}

static void
connection_closed_cb(GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
		     gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);

	/* a peer's connection is its life: its attached jobs end with it */
	if (self->server != NULL)
		cancel_jobs_of(self, hfhub_caller_peer_name(connection));

	for (guint i = 0; i < self->exports->len; i++) {
		Export *exp = g_ptr_array_index(self->exports, i);
		if (exp->connection != connection)
			continue;
		g_dbus_interface_skeleton_unexport_from_connection(
			G_DBUS_INTERFACE_SKELETON(self->manager), connection);
		g_dbus_interface_skeleton_unexport_from_connection(
			G_DBUS_INTERFACE_SKELETON(self->cache), connection);
		g_dbus_interface_skeleton_unexport_from_connection(
			G_DBUS_INTERFACE_SKELETON(self->repos), connection);
		if (self->auth != NULL)
			g_dbus_interface_skeleton_unexport_from_connection(
				G_DBUS_INTERFACE_SKELETON(self->auth), connection);
		g_ptr_array_remove_index(self->exports, i);
		break;
	}
	g_debug("a client connection closed, %u left", self->exports->len);
	update_idle(self);
}

static void
export_job_on(Export *exp, HfhubEngine *engine, HfhubJob *job)
{
	g_autofree gchar *path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));
	g_autoptr(HfhubDBusObjectSkeleton) object = hfhub_dbus_object_skeleton_new(path);
	g_autoptr(HfhubJobExported) exported = hfhub_job_exported_new(engine, job);

	hfhub_dbus_object_skeleton_set_job(object, HFHUB_DBUS_JOB(exported));
	g_dbus_object_manager_server_export(exp->objects, G_DBUS_OBJECT_SKELETON(object));
}

void
hfhub_daemon_export(HfhubDaemon *self, GDBusConnection *connection)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) jobs = hfhub_engine_list_jobs(self->engine);
	Export *exp = g_new0(Export, 1);

	exp->connection = g_object_ref(connection);
	if (self->server != NULL)
		hfhub_caller_name_peer(connection, ++self->peers);
	exp->objects = g_dbus_object_manager_server_new(HFHUB_DBUS_PATH);
	for (guint i = 0; i < jobs->len; i++)
		export_job_on(exp, self->engine, g_ptr_array_index(jobs, i));
	g_dbus_object_manager_server_set_connection(exp->objects, connection);
	exp->filter_id = g_dbus_connection_add_filter(connection, note_call_filter, self, NULL);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->manager), connection,
					      HFHUB_DBUS_PATH, &error))
		g_warning("cannot export the manager: %s", error->message);
	g_clear_error(&error);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->cache), connection,
					      HFHUB_DBUS_PATH, &error))
		g_warning("cannot export the cache interface: %s", error->message);
	g_clear_error(&error);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->repos), connection,
					      HFHUB_DBUS_PATH, &error))
		g_warning("cannot export the repos interface: %s", error->message);
	g_clear_error(&error);
	if (self->auth != NULL &&
	    !g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(self->auth), connection,
					      HFHUB_DBUS_PATH, &error))
		g_warning("cannot export the auth interface: %s", error->message);
	exp->closed_id =
		g_signal_connect(connection, "closed", G_CALLBACK(connection_closed_cb), self);
	g_ptr_array_add(self->exports, exp);
	update_idle(self);
}

static void
export_job(HfhubDaemon *self, HfhubJob *job)
{
	for (guint i = 0; i < self->exports->len; i++)
		export_job_on(g_ptr_array_index(self->exports, i), self->engine, job);
}

static void
job_added_cb(HfhubEngine *engine, HfhubJob *job, gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);
	g_autofree gchar *path = hfhub_job_exported_path_for_id(hfhub_job_get_id(job));

	/* exported (InterfacesAdded) before anyone is told it exists */
	export_job(self, job);
	watch_owner(self, job);
	look_up_caller(self, job);
	hfhub_dbus_manager_emit_job_added(HFHUB_DBUS_MANAGER(self->manager), path);
}

static void
job_removed_cb(HfhubEngine *engine, HfhubJob *job, gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);
	guint64 id = hfhub_job_get_id(job);
	g_autofree gchar *path = hfhub_job_exported_path_for_id(id);

	for (guint i = 0; i < self->exports->len; i++) {
		Export *exp = g_ptr_array_index(self->exports, i);
		g_dbus_object_manager_server_unexport(exp->objects, path);
	}
	hfhub_dbus_manager_emit_job_removed(HFHUB_DBUS_MANAGER(self->manager), path);
}

/* Runs on GDBus's worker thread for every message: notes when a client
 * last called, so that the idle exit never cuts a call or a busy client. */
static GDBusMessage *
note_call_filter(GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
		 gpointer user_data)
{
	HfhubDaemon *self = user_data;

	if (incoming && g_dbus_message_get_message_type(message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
		g_atomic_int_set(&self->last_call, (gint)(g_get_monotonic_time() / G_USEC_PER_SEC));
	return message;
}

static gboolean
idle_timeout_cb(gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);

	guint timeout = hfhub_config_get_idle_timeout(hfhub_engine_get_config(self->engine));
	gint quiet = (gint)(g_get_monotonic_time() / G_USEC_PER_SEC) -
		     g_atomic_int_get(&self->last_call);

	self->idle_source = 0;
	/* a client called recently (maybe a long call still runs): wait on */
	if (quiet >= 0 && (guint)quiet < timeout) {
		self->idle_source =
			g_timeout_add((timeout - (guint)quiet) * 1000, idle_timeout_cb, self);
		return G_SOURCE_REMOVE;
	}
	g_message("idle for %u s, exiting", timeout);
	g_signal_emit(self, signals[SIGNAL_QUIT], 0, 0);
	return G_SOURCE_REMOVE;
}

/* Idle: no job queued or running, and in peer mode no client connected.
 * Paused and finished jobs stay in the store for the next start. */
static void
update_idle(HfhubDaemon *self)
{
	guint timeout = hfhub_config_get_idle_timeout(hfhub_engine_get_config(self->engine));
	gboolean idle = timeout > 0 && hfhub_engine_is_idle(self->engine) &&
			(self->server == NULL || self->exports->len == 0);

	if (!idle) {
		g_clear_handle_id(&self->idle_source, g_source_remove);
		return;
	}
	if (self->idle_source == 0)
		/* not _seconds(): that one may fire up to a second early */
		self->idle_source = g_timeout_add(timeout * 1000, idle_timeout_cb, self);
}

static void
status_changed_cb(HfhubEngine *engine, gpointer user_data)
{
	update_idle(HFHUB_DAEMON(user_data));
}

static void
bus_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	hfhub_daemon_export(HFHUB_DAEMON(user_data), connection);
}

static void
name_acquired_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);

	self->name_acquired = TRUE;
	g_message("owns %s on the session bus", name);
}

static void
name_lost_cb(GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	HfhubDaemon *self = HFHUB_DAEMON(user_data);

	if (self->name_acquired)
		g_message("lost %s to another daemon, exiting", name);
	else
		g_warning("cannot own %s (is another hfhubd running? use --replace)", name);
	g_signal_emit(self, signals[SIGNAL_QUIT], 0, self->name_acquired ? 0 : 1);
}

void
hfhub_daemon_start_bus(HfhubDaemon *self, GDBusConnection *connection, gboolean replace)
{
	GBusNameOwnerFlags flags = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT;

	if (replace)
		flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
	self->bus = g_object_ref(connection);
	hfhub_engine_set_owner_session(self->engine, g_dbus_connection_get_guid(connection));
	/* export before owning the name, so that nobody sees the name without
	 * the objects */
	bus_acquired_cb(connection, HFHUB_DBUS_NAME, self);
	self->owner_id = g_bus_own_name_on_connection(connection, HFHUB_DBUS_NAME, flags,
						      name_acquired_cb, name_lost_cb, self, NULL);
}

static gboolean
allow_same_user_cb(GDBusAuthObserver *observer, GIOStream *stream, GCredentials *credentials,
		   gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (credentials == NULL)
		return FALSE;
	return g_credentials_get_unix_user(credentials, &error) == getuid();
}

static gboolean
new_connection_cb(GDBusServer *server, GDBusConnection *connection, gpointer user_data)
{
	hfhub_daemon_export(HFHUB_DAEMON(user_data), connection);
	return TRUE;
}

gchar *
hfhub_daemon_default_socket_path(void)
{
	return g_build_filename(g_get_user_runtime_dir(), "hfhub", "hfhubd.sock", NULL);
}

gboolean
hfhub_daemon_start_peer(HfhubDaemon *self, const gchar *socket_path, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(socket_path);
	g_autofree gchar *guid = g_dbus_generate_guid();
	g_autofree gchar *address = NULL;
	g_autofree gchar *escaped = g_dbus_address_escape_value(socket_path);
	g_autoptr(GDBusAuthObserver) observer = g_dbus_auth_observer_new();
	g_autoptr(GSocketClient) probe = g_socket_client_new();
	g_autoptr(GSocketAddress) sockaddr = g_unix_socket_address_new(socket_path);
	g_autoptr(GSocketConnection) live = NULL;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot create %s: %s", dir,
			    g_strerror(errno));
		return FALSE;
	}
	/* a socket that answers belongs to a running daemon; one that does not
	 * is a leftover of a daemon that died */
	live = g_socket_client_connect(probe, G_SOCKET_CONNECTABLE(sockaddr), NULL, NULL);
	if (live != NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_STATE,
			    "another hfhubd already serves %s", socket_path);
		return FALSE;
	}
	(void)g_unlink(socket_path);
	address = g_strdup_printf("unix:path=%s", escaped);
	g_signal_connect(observer, "authorize-authenticated-peer", G_CALLBACK(allow_same_user_cb),
			 NULL);
	self->server = g_dbus_server_new_sync(address, G_DBUS_SERVER_FLAGS_NONE, guid, observer,
					      NULL, error);
	if (self->server == NULL)
		return FALSE;
	hfhub_engine_set_owner_session(self->engine, guid);
	g_signal_connect(self->server, "new-connection", G_CALLBACK(new_connection_cb), self);
	g_dbus_server_start(self->server);
	self->socket_path = g_strdup(socket_path);
	g_message("serving peers on %s", socket_path);
	update_idle(self);
	return TRUE;
}

static void
hfhub_daemon_dispose(GObject *object)
{
	HfhubDaemon *self = HFHUB_DAEMON(object);

	if (self->cancellable != NULL)
		g_cancellable_cancel(self->cancellable);
	g_clear_object(&self->cancellable);

	g_clear_handle_id(&self->idle_source, g_source_remove);
	g_clear_handle_id(&self->owner_id, g_bus_unown_name);
	if (self->server != NULL) {
		g_dbus_server_stop(self->server);
		(void)g_unlink(self->socket_path);
		g_clear_object(&self->server);
	}
	if (self->engine != NULL)
		g_signal_handlers_disconnect_by_data(self->engine, self);
	g_clear_pointer(&self->owner_watches, g_hash_table_unref);
	g_clear_pointer(&self->exports, g_ptr_array_unref);
	g_clear_object(&self->bus);
	g_clear_object(&self->manager);
	g_clear_object(&self->cache);
	g_clear_object(&self->repos);
	g_clear_object(&self->auth);
	g_clear_object(&self->engine);
	g_clear_pointer(&self->socket_path, g_free);
	G_OBJECT_CLASS(hfhub_daemon_parent_class)->dispose(object);
}

static void
hfhub_daemon_class_init(HfhubDaemonClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_daemon_dispose;

	/* quit(exit_status) */
	signals[SIGNAL_QUIT] = g_signal_new("quit", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
hfhub_daemon_init(HfhubDaemon *self)
{
	self->exports = g_ptr_array_new_with_free_func((GDestroyNotify)export_free);
	self->owner_watches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, unwatch);
	self->cancellable = g_cancellable_new();
}

HfhubDaemon *
hfhub_daemon_new(HfhubEngine *engine)
{
	HfhubDaemon *self = g_object_new(HFHUB_TYPE_DAEMON, NULL);

	self->engine = g_object_ref(engine);
	self->manager = hfhub_manager_new(engine);
	self->cache = hfhub_cache_exported_new(engine);
	self->repos = hfhub_repos_exported_new(engine);
	if (hfhub_engine_get_identities(engine) != NULL)
		self->auth = hfhub_auth_exported_new(hfhub_engine_get_identities(engine));
	g_signal_connect(engine, "job-added", G_CALLBACK(job_added_cb), self);
	g_signal_connect(engine, "job-removed", G_CALLBACK(job_removed_cb), self);
	g_signal_connect(engine, "status-changed", G_CALLBACK(status_changed_cb), self);
	return self;
}
