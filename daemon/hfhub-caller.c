#include "config.h"

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
