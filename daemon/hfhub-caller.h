/* Who called a method: the caller's unique bus name, or on a private
 * (peer-to-peer) connection the name hfhubd gave that connection. Jobs
 * record it as their owner, and with it what can be found of the process
 * behind it: its user, its executable and its application ID. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

const gchar *
hfhub_caller_of(GDBusMethodInvocation *invocation);

/* names a peer connection ("peer-N"); done once when it is exported */
void
hfhub_caller_name_peer(GDBusConnection *connection, guint number);
const gchar *
hfhub_caller_peer_name(GDBusConnection *connection);

typedef struct {
	guint32 uid;	    /* G_MAXUINT32 when unknown */
	GPid pid;	    /* 0 when unknown */
	gchar *exe;	    /* the executable, NULL when unknown */
	gchar *app_id;	    /* Flatpak, snap or systemd-scope application ID, or NULL */
	gboolean sandboxed; /* Flatpak or snap */
} HfhubCallerInfo;

void
hfhub_caller_info_free(HfhubCallerInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCallerInfo, hfhub_caller_info_free)

/* Finds out who @name is: on a message bus, the bus tells the credentials
 * of the unique name; on a peer connection (@name is ignored), the
 * connection's own credentials. /proc is then read in a worker thread. */
void
hfhub_caller_lookup_async(GDBusConnection *connection, const gchar *name, GCancellable *cancellable,
			  GAsyncReadyCallback callback, gpointer user_data);
HfhubCallerInfo *
hfhub_caller_lookup_finish(GAsyncResult *result, GError **error);

/* The user's own hfhub command line, which may control every job: the
 * same user, not sandboxed, and an executable called hfhub. Not a security
 * boundary against unsandboxed code of the same user (which can do
 * anything the user can); it keeps apps from controlling each other's
 * jobs. */
gboolean
hfhub_caller_info_is_hfhub_cli(const HfhubCallerInfo *info);

/* Parsers of what /proc holds, exposed for the tests: the application ID
 * in a Flatpak instance's .flatpak-info, and the one a desktop launcher
 * put in the process's systemd unit ("app[-<launcher>]-<ID>[@…].service"
 * or "app[-<launcher>]-<ID>-<random>.scope") or a snap's cgroup
 * ("snap.<name>.<app>…"). NULL when there is none. */
gchar *
hfhub_caller_app_id_from_flatpak_info(const gchar *data, gsize length);
gchar *
hfhub_caller_app_id_from_cgroup(const gchar *cgroup, gboolean *is_snap);

G_END_DECLS
