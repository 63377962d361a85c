/* HfhubDaemon: puts the engine on D-Bus.
 *
 * On the session bus it owns io.github.hfhub.Hub1; in peer mode (no session
 * bus) it listens on a unix socket and serves every connection the same
 * objects. Emits "quit" (exit status) on name loss or after the idle
 * timeout. */
#pragma once

#include <gio/gio.h>

#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_DAEMON (hfhub_daemon_get_type())
G_DECLARE_FINAL_TYPE(HfhubDaemon, hfhub_daemon, HFHUB, DAEMON, GObject)

HfhubDaemon *
hfhub_daemon_new(HfhubEngine *engine);

/* owns the well-known name on @connection (the session bus) */
void
hfhub_daemon_start_bus(HfhubDaemon *self, GDBusConnection *connection, gboolean replace);

/* serves peers on the unix socket at @socket_path */
gboolean
hfhub_daemon_start_peer(HfhubDaemon *self, const gchar *socket_path, GError **error);

/* exports on an already set up connection (tests, in-process) */
void
hfhub_daemon_export(HfhubDaemon *self, GDBusConnection *connection);

/* the default peer socket: $XDG_RUNTIME_DIR/hfhub/hfhubd.sock */
gchar *
hfhub_daemon_default_socket_path(void);

G_END_DECLS
