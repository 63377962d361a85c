/* How the CLI reaches hfhubd: session bus, or a peer-to-peer socket. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GDBusConnection *
hfhub_connect(gchar **bus_name, GCancellable *cancellable, GError **error);
gboolean
hfhub_connect_autostart_disabled(void);
gchar *
hfhub_connect_find_daemon(void);
gchar *
hfhub_connect_peer_socket_path(void);

G_END_DECLS
