#include "config.h"

#define G_LOG_DOMAIN "HfhubCaller"

#include <unistd.h>

#include "hfhub-caller.h"

#define PEER_NAME_KEY "hfhub-peer-name"

void
hfhub_caller_name_peer(GDBusConnection *connection, guint number)
{
	g_object_set_data_full(G_OBJECT(connection), PEER_NAME_KEY,
			       g_strdup_printf("peer-%u", number), g_free);
}

const gchar *
hfhub_caller_peer_name(GDBusConnection *connection)
{
	const gchar *name = g_object_get_data(G_OBJECT(connection), PEER_NAME_KEY);
	return name != NULL ? name : "peer";
}

const gchar *
hfhub_caller_of(GDBusMethodInvocation *invocation)
{
	const gchar *sender = g_dbus_method_invocation_get_sender(invocation);

	if (sender != NULL)
		return sender;
	return hfhub_caller_peer_name(g_dbus_method_invocation_get_connection(invocation));
}

void
hfhub_caller_info_free(HfhubCallerInfo *info)
{
	if (info == NULL)
		return;
	g_free(info->exe);
	g_free(info->app_id);
	g_free(info);
}

gboolean
hfhub_caller_info_is_hfhub_cli(const HfhubCallerInfo *info)
{
	g_autofree gchar *base = NULL;

	if (info == NULL || info->exe == NULL || info->sandboxed || info->uid != getuid())
		return FALSE;
	base = g_path_get_basename(info->exe);
	/* an executable replaced on disk (an upgrade) reads "… (deleted)" */
	return g_str_equal(base, "hfhub") || g_str_equal(base, "hfhub (deleted)");
}

gchar *
hfhub_caller_app_id_from_flatpak_info(const gchar *data, gsize length)
{
	g_autoptr(GKeyFile) keyfile = g_key_file_new();
	g_autofree gchar *name = NULL;

	if (!g_key_file_load_from_data(keyfile, data, length, G_KEY_FILE_NONE, NULL))
		return NULL;
	name = g_key_file_get_string(keyfile, "Application", "name", NULL);
	if (name == NULL)
		name = g_key_file_get_string(keyfile, "Runtime", "name", NULL);
	if (name == NULL || name[0] == '\0')
		return NULL;
	return g_steal_pointer(&name);
}

/* systemd's unit-name escaping: "\xNN" stands for the byte NN */
static gchar *
unescape_unit_part(const gchar *part)
{
	GString *out = g_string_new(NULL);

	for (const gchar *p = part; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 'x' && g_ascii_isxdigit(p[2]) &&
		    g_ascii_isxdigit(p[3])) {
			g_string_append_c(out, (gchar)(g_ascii_xdigit_value(p[2]) * 16 +
						       g_ascii_xdigit_value(p[3])));
			p += 3;
			continue;
		}
		g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

/* the unit a process runs in: the last component of its cgroup v2 path,
 * or of the name=systemd hierarchy on cgroup v1 */
static gchar *
unit_of_cgroup(const gchar *cgroup)
{
	g_auto(GStrv) lines = g_strsplit(cgroup, "\n", -1);
	const gchar *path = NULL;

	for (guint i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], "0::"))
			path = lines[i] + 3;
		else if (path == NULL && strstr(lines[i], ":name=systemd:") != NULL)
			path = strstr(lines[i], ":name=systemd:") + strlen(":name=systemd:");
	}
	if (path == NULL || strrchr(path, '/') == NULL)
		return NULL;
	return g_strdup(strrchr(path, '/') + 1);
}

gchar *
hfhub_caller_app_id_from_cgroup(const gchar *cgroup, gboolean *is_snap)
{
	g_autofree gchar *unit = unit_of_cgroup(cgroup);
	g_auto(GStrv) parts = NULL;
	guint n;
	gchar *at;

	if (is_snap != NULL)
		*is_snap = FALSE;
	if (unit == NULL)
		return NULL;
	if (g_str_has_prefix(unit, "snap.")) {
		gchar *end = strchr(unit + 5, '.');
		if (end == NULL || end == unit + 5)
			return NULL;
		if (is_snap != NULL)
			*is_snap = TRUE;
		return g_strndup(unit, end - unit);
	}
	if (!g_str_has_prefix(unit, "app-"))
		return NULL;
	if (g_str_has_suffix(unit, ".scope")) {
		/* app[-<launcher>]-<ID>-<random>.scope */
		unit[strlen(unit) - strlen(".scope")] = '\0';
		parts = g_strsplit(unit, "-", -1);
		n = g_strv_length(parts);
		if (n < 3)
			return NULL;
		return parts[n - 2][0] != '\0' ? unescape_unit_part(parts[n - 2]) : NULL;
	}
	if (g_str_has_suffix(unit, ".service")) {
		/* app[-<launcher>]-<ID>[@<random>].service */
		unit[strlen(unit) - strlen(".service")] = '\0';
		if ((at = strchr(unit, '@')) != NULL)
			*at = '\0';
		parts = g_strsplit(unit, "-", -1);
		n = g_strv_length(parts);
		if (n < 2)
			return NULL;
		return parts[n - 1][0] != '\0' ? unescape_unit_part(parts[n - 1]) : NULL;
	}
	return NULL;
}

/* in a worker: /proc is not slow, but it is a filesystem */
static void
read_proc_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	const HfhubCallerInfo *ids = task_data;
	g_autoptr(HfhubCallerInfo) info = g_new0(HfhubCallerInfo, 1);
	g_autofree gchar *dir = g_strdup_printf("/proc/%d", (gint)ids->pid);
	g_autofree gchar *exe_link = g_build_filename(dir, "exe", NULL);
	g_autofree gchar *flatpak_path = g_build_filename(dir, "root", ".flatpak-info", NULL);
	g_autofree gchar *cgroup_path = g_build_filename(dir, "cgroup", NULL);
	g_autofree gchar *flatpak_info = NULL;
	g_autofree gchar *cgroup = NULL;
	gsize length = 0;

	info->uid = ids->uid;
	info->pid = ids->pid;
	info->exe = g_file_read_link(exe_link, NULL);
	if (g_file_get_contents(flatpak_path, &flatpak_info, &length, NULL)) {
		info->sandboxed = TRUE;
		info->app_id = hfhub_caller_app_id_from_flatpak_info(flatpak_info, length);
	} else if (g_file_get_contents(cgroup_path, &cgroup, NULL, NULL)) {
		info->app_id = hfhub_caller_app_id_from_cgroup(cgroup, &info->sandboxed);
	}
	g_task_return_pointer(task, g_steal_pointer(&info), (GDestroyNotify)hfhub_caller_info_free);
}

static void
start_proc_read(GTask *task, guint32 uid, guint32 pid)
{
	HfhubCallerInfo *ids = g_new0(HfhubCallerInfo, 1);

	ids->uid = uid;
	ids->pid = (GPid)pid;
	if (pid == 0) {
		g_task_return_pointer(task, ids, (GDestroyNotify)hfhub_caller_info_free);
		return;
	}
	g_task_set_task_data(task, ids, (GDestroyNotify)hfhub_caller_info_free);
	g_task_run_in_thread(task, read_proc_thread);
}

static void
credentials_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) creds = NULL;
	guint32 uid = G_MAXUINT32;
	guint32 pid = 0;

	reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), result, &error);
	if (reply == NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	creds = g_variant_get_child_value(reply, 0);
	g_variant_lookup(creds, "UnixUserID", "u", &uid);
	g_variant_lookup(creds, "ProcessID", "u", &pid);
	start_proc_read(task, uid, pid);
}

void
hfhub_caller_lookup_async(GDBusConnection *connection, const gchar *name, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(connection, cancellable, callback, user_data);
	GCredentials *creds;
	gint pid;

	g_task_set_source_tag(task, hfhub_caller_lookup_async);
	/* a message-bus connection has a unique name of its own */
	if (g_dbus_connection_get_unique_name(connection) != NULL) {
		g_dbus_connection_call(connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				       "org.freedesktop.DBus", "GetConnectionCredentials",
				       g_variant_new("(s)", name), G_VARIANT_TYPE("(a{sv})"),
				       G_DBUS_CALL_FLAGS_NONE, -1, cancellable, credentials_cb,
				       g_steal_pointer(&task));
		return;
	}
	creds = g_dbus_connection_get_peer_credentials(connection);
	if (creds == NULL) {
		start_proc_read(task, G_MAXUINT32, 0);
		return;
	}
	pid = g_credentials_get_unix_pid(creds, NULL);
	start_proc_read(task, (guint32)g_credentials_get_unix_user(creds, NULL),
			pid > 0 ? (guint32)pid : 0);
}

HfhubCallerInfo *
hfhub_caller_lookup_finish(GAsyncResult *result, GError **error)
{
	return g_task_propagate_pointer(G_TASK(result), error);
}
