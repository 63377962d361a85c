/* How the CLI reaches hfhubd.
 *
 * With a session bus (DBUS_SESSION_BUS_ADDRESS set), the daemon owns
 * io.github.hfhub.Hub1: if nobody does, ask the bus to activate it, and when
 * no service file is installed (a build tree), start the binary ourselves
 * and wait for the name to appear.
 *
 * Without one (SSH without a user session, containers, CI shells), talk
 * peer-to-peer over <runtime dir>/hfhub/hfhubd.sock, starting
 * "hfhubd --peer" when nothing listens there. There is no bus name then.
 *
 * A daemon we start runs detached: its own session (Ctrl-C in the terminal
 * does not reach it), standard streams on /dev/null, our environment
 * unchanged, nothing secret on its command line. HFHUB_NO_AUTOSTART=1 turns
 * all of this off, for tests that must not start a daemon by accident. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubConnect"

#include "hfhub-connect.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "hfhub-names.h"

#define START_TIMEOUT_SECONDS 15
/* after the child we started exits, how long another instance (started
 * by a concurrent client) still has to show up */
#define CHILD_EXIT_GRACE_MS 1000
#define PEER_RETRY_MS	    50

typedef struct {
	GMainLoop *loop;
	gboolean ready;
	gboolean child_exited;
	gint wait_status;
	guint deadline_id;
	/* peer mode */
	const gchar *address;
	GDBusConnection *connection;
	GError *last_error;
} StartData;

static gboolean
is_true(const gchar *value)
{
	return value != NULL &&
	       (g_ascii_strcasecmp(value, "1") == 0 || g_ascii_strcasecmp(value, "true") == 0 ||
		g_ascii_strcasecmp(value, "yes") == 0 || g_ascii_strcasecmp(value, "on") == 0);
}

gboolean
hfhub_connect_autostart_disabled(void)
{
	return is_true(g_getenv("HFHUB_NO_AUTOSTART"));
}

gchar *
hfhub_connect_peer_socket_path(void)
{
	return g_build_filename(g_get_user_runtime_dir(), "hfhub", "hfhubd.sock", NULL);
}

/* $HFHUBD; else, when running from a build tree, the daemon built next to
 * us; else the installed one */
gchar *
hfhub_connect_find_daemon(void)
{
	const gchar *env = g_getenv("HFHUBD");
	g_autofree gchar *exe = NULL;

	if (env != NULL && *env != '\0')
		return g_strdup(env);
	exe = g_file_read_link("/proc/self/exe", NULL);
	if (exe != NULL) {
		g_autofree gchar *dir = g_path_get_dirname(exe);
		g_autofree gchar *base = g_path_get_basename(exe);
		g_autofree gchar *dir_base = g_path_get_basename(dir);

		if (g_str_equal(base, "hfhub") && g_str_equal(dir_base, "client")) {
			g_autofree gchar *builddir = g_path_get_dirname(dir);
			g_autofree gchar *candidate =
				g_build_filename(builddir, "daemon", "hfhubd", NULL);

			if (g_file_test(candidate, G_FILE_TEST_IS_EXECUTABLE))
				return g_steal_pointer(&candidate);
		}
	}
	return g_build_filename(HFHUB_LIBEXECDIR, "hfhubd", NULL);
}

static void
child_setup(gpointer user_data)
{
	/* leave our session and process group: signals for the terminal's
	 * foreground job (Ctrl-C) must not reach the daemon */
	setsid();
}

static void
reap_child(GPid pid, gint wait_status, gpointer user_data)
{
	g_spawn_close_pid(pid);
}

static gboolean
on_deadline(gpointer user_data)
{
	StartData *data = user_data;

	data->deadline_id = 0;
	g_main_loop_quit(data->loop);
	return G_SOURCE_REMOVE;
}

static void
on_child_exit(GPid pid, gint wait_status, gpointer user_data)
{
	StartData *data = user_data;

	data->child_exited = TRUE;
	data->wait_status = wait_status;
	g_spawn_close_pid(pid);
	/* give a daemon started by a concurrent client a moment to appear */
	if (data->deadline_id != 0)
		g_source_remove(data->deadline_id);
	data->deadline_id = g_timeout_add(CHILD_EXIT_GRACE_MS, on_deadline, data);
}

static gboolean
spawn_daemon(const gchar *extra_arg, GPid *pid, GError **error)
{
	g_autofree gchar *daemon = hfhub_connect_find_daemon();
	const gchar *argv[] = { daemon, extra_arg, NULL };
	GSpawnFlags flags =
		G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL;
	g_autoptr(GError) local_error = NULL;

	if (!g_path_is_absolute(daemon))
		flags |= G_SPAWN_SEARCH_PATH;
	g_debug("starting %s%s%s", daemon, extra_arg != NULL ? " " : "",
		extra_arg != NULL ? extra_arg : "");
	if (!g_spawn_async(NULL, (gchar **)argv, NULL, flags, child_setup, NULL, pid,
			   &local_error)) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_EXEC_FAILED,
			    /* TRANSLATORS: %s is a program, then the reason */
			    _("Could not start %s: %s"), daemon, local_error->message);
		return FALSE;
	}
	return TRUE;
}

/* the error after a start that did not work out */
static void
set_start_error(StartData *data, GError **error)
{
	g_autofree gchar *daemon = hfhub_connect_find_daemon();
	g_autofree gchar *detail = NULL;

	if (data->last_error != NULL)
		detail = g_strdup_printf(" (%s)", data->last_error->message);
	if (data->child_exited) {
		g_autoptr(GError) status_error = NULL;

		g_spawn_check_wait_status(data->wait_status, &status_error);
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_SPAWN_CHILD_EXITED,
			    /* TRANSLATORS: %s is the daemon's path, then why it exited */
			    _("%s stopped before it was ready: %s%s"), daemon,
			    status_error != NULL ? status_error->message : _("it exited"),
			    detail != NULL ? detail : "");
		return;
	}
	g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT,
		    /* TRANSLATORS: %s is the daemon's path, %u a number of seconds */
		    _("%s did not become ready within %u seconds%s"), daemon,
		    (guint)START_TIMEOUT_SECONDS, detail != NULL ? detail : "");
}

/* waits in a main loop until data->ready, the deadline, or shortly after
 * the child exited */
static void
run_start_loop(StartData *data, GPid pid)
{
	guint child_id = g_child_watch_add(pid, on_child_exit, data);

	data->deadline_id = g_timeout_add_seconds(START_TIMEOUT_SECONDS, on_deadline, data);
	g_main_loop_run(data->loop);
	if (data->deadline_id != 0)
		g_source_remove(data->deadline_id);
	data->deadline_id = 0;
	if (!data->child_exited) {
		/* the daemon outlives this wait: reap it if it exits while we run */
		g_source_remove(child_id);
		g_child_watch_add(pid, reap_child, NULL);
	}
}

/* ---- session bus */

static void
on_name_appeared(GDBusConnection *connection, const gchar *name, const gchar *name_owner,
		 gpointer user_data)
{
	StartData *data = user_data;

	data->ready = TRUE;
	g_main_loop_quit(data->loop);
}

static gboolean
name_has_owner(GDBusConnection *connection, const gchar *name, GCancellable *cancellable,
	       gboolean *has_owner, GError **error)
{
	g_autoptr(GVariant) reply = NULL;

	reply = g_dbus_connection_call_sync(
		connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
		"NameHasOwner", g_variant_new("(s)", name), G_VARIANT_TYPE("(b)"),
		G_DBUS_CALL_FLAGS_NONE, -1, cancellable, error);
	if (reply == NULL)
		return FALSE;
	g_variant_get(reply, "(b)", has_owner);
	return TRUE;
}

static gboolean
activate(GDBusConnection *connection, const gchar *name, GCancellable *cancellable, GError **error)
{
	g_autoptr(GVariant) reply = NULL;

	reply = g_dbus_connection_call_sync(
		connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
		"StartServiceByName", g_variant_new("(su)", name, 0u), G_VARIANT_TYPE("(u)"),
		G_DBUS_CALL_FLAGS_NONE, -1, cancellable, error);
	return reply != NULL;
}

static gboolean
spawn_and_wait_for_name(GDBusConnection *connection, const gchar *name, GError **error)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	StartData data = { .loop = loop };
	GPid pid = 0;
	guint watch_id;

	watch_id = g_bus_watch_name_on_connection(connection, name, G_BUS_NAME_WATCHER_FLAGS_NONE,
						  on_name_appeared, NULL, &data, NULL);
	if (!spawn_daemon(NULL, &pid, error)) {
		g_bus_unwatch_name(watch_id);
		return FALSE;
	}
	run_start_loop(&data, pid);
	g_bus_unwatch_name(watch_id);
	if (!data.ready) {
		set_start_error(&data, error);
		return FALSE;
	}
	return TRUE;
}

static gboolean
ensure_name_owned(GDBusConnection *connection, const gchar *name, GCancellable *cancellable,
		  GError **error)
{
	gboolean has_owner = FALSE;
	g_autoptr(GError) local_error = NULL;

	if (!name_has_owner(connection, name, cancellable, &has_owner, error))
		return FALSE;
	if (has_owner)
		return TRUE;
	if (hfhub_connect_autostart_disabled()) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
			    /* TRANSLATORS: %s is a D-Bus name */
			    _("hfhubd is not running (nobody owns %s on the session bus) and "
			      "HFHUB_NO_AUTOSTART is set"),
			    name);
		return FALSE;
	}
	if (activate(connection, name, cancellable, &local_error))
		return TRUE;
	if (!g_error_matches(local_error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN)) {
		g_dbus_error_strip_remote_error(local_error);
		g_set_error(error, local_error->domain, local_error->code,
			    /* TRANSLATORS: %s is the reason */
			    _("Could not start hfhubd through D-Bus activation: %s"),
			    local_error->message);
		return FALSE;
	}
	/* not installed as a D-Bus service (e.g. run from a build tree) */
	return spawn_and_wait_for_name(connection, name, error);
}

static GDBusConnection *
connect_session_bus(GCancellable *cancellable, GError **error)
{
	g_autoptr(GDBusConnection) connection = NULL;

	connection = g_bus_get_sync(G_BUS_TYPE_SESSION, cancellable, error);
	if (connection == NULL)
		return NULL;
	g_dbus_connection_set_exit_on_close(connection, FALSE);
	if (!ensure_name_owned(connection, HFHUB_DBUS_NAME, cancellable, error))
		return NULL;
	return g_steal_pointer(&connection);
}

/* ---- peer to peer */

static GDBusConnection *
try_peer(const gchar *address, GCancellable *cancellable, GError **error)
{
	return g_dbus_connection_new_for_address_sync(
		address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, cancellable, error);
}

static gboolean
on_peer_retry(gpointer user_data)
{
	StartData *data = user_data;

	g_clear_error(&data->last_error);
	data->connection = try_peer(data->address, NULL, &data->last_error);
	if (data->connection == NULL)
		return G_SOURCE_CONTINUE;
	data->ready = TRUE;
	g_main_loop_quit(data->loop);
	return G_SOURCE_REMOVE;
}

static GDBusConnection *
connect_peer(GCancellable *cancellable, GError **error)
{
	g_autofree gchar *path = hfhub_connect_peer_socket_path();
	g_autofree gchar *escaped = g_dbus_address_escape_value(path);
	g_autofree gchar *address = g_strdup_printf("unix:path=%s", escaped);
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GError) local_error = NULL;
	GDBusConnection *connection;
	StartData data = { 0 };
	GPid pid = 0;
	guint retry_id;

	connection = try_peer(address, cancellable, &local_error);
	if (connection != NULL)
		return connection;
	g_debug("connecting to %s: %s", address, local_error->message);
	if (hfhub_connect_autostart_disabled()) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN,
			    /* TRANSLATORS: %s is a socket path, then the reason */
			    _("hfhubd is not running (there is no session bus and nothing listens "
			      "on %s: %s) and HFHUB_NO_AUTOSTART is set; start it with "
			      "“hfhubd --peer”"),
			    path, local_error->message);
		return NULL;
	}
	if (!spawn_daemon("--peer", &pid, error))
		return NULL;

	loop = g_main_loop_new(NULL, FALSE);
	data.loop = loop;
	data.address = address;
	data.last_error = g_steal_pointer(&local_error);
	retry_id = g_timeout_add(PEER_RETRY_MS, on_peer_retry, &data);
	run_start_loop(&data, pid);
	if (!data.ready)
		g_source_remove(retry_id);
	if (!data.ready) {
		set_start_error(&data, error);
		g_clear_error(&data.last_error);
		return NULL;
	}
	g_clear_error(&data.last_error);
	return data.connection;
}

/* Connects to hfhubd, starting it if needed. *bus_name is the name to talk
 * to, or NULL on a peer-to-peer connection. */
GDBusConnection *
hfhub_connect(gchar **bus_name, GCancellable *cancellable, GError **error)
{
	const gchar *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	GDBusConnection *connection;

	if (address != NULL && *address != '\0') {
		connection = connect_session_bus(cancellable, error);
		if (connection != NULL)
			*bus_name = g_strdup(HFHUB_DBUS_NAME);
		return connection;
	}
	connection = connect_peer(cancellable, error);
	if (connection != NULL)
		*bus_name = NULL;
	return connection;
}
