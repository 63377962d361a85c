/* Who called a method: the caller's unique bus name, or on a private
 * (peer-to-peer) connection the name hfhubd gave that connection. Jobs
 * record it as their owner. */
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

G_END_DECLS
