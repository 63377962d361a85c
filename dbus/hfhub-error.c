#include "hfhub-error.h"

#include <gio/gio.h>

#include "hfhub-names.h"

static const GDBusErrorEntry error_entries[] = {
	{ HFHUB_ERROR_FAILED, HFHUB_DBUS_ERROR_PREFIX "Failed" },
	{ HFHUB_ERROR_INVALID_ARGUMENT, HFHUB_DBUS_ERROR_PREFIX "InvalidArgument" },
	{ HFHUB_ERROR_JOB_NOT_FOUND, HFHUB_DBUS_ERROR_PREFIX "JobNotFound" },
	{ HFHUB_ERROR_INVALID_STATE, HFHUB_DBUS_ERROR_PREFIX "InvalidState" },
	{ HFHUB_ERROR_ACCESS_DENIED, HFHUB_DBUS_ERROR_PREFIX "AccessDenied" },
	{ HFHUB_ERROR_CANCELLED, HFHUB_DBUS_ERROR_PREFIX "Cancelled" },
	{ HFHUB_ERROR_STORE, HFHUB_DBUS_ERROR_PREFIX "StoreFailed" },
	{ HFHUB_ERROR_REPO_NOT_FOUND, HFHUB_DBUS_ERROR_PREFIX "RepoNotFound" },
	{ HFHUB_ERROR_REVISION_NOT_FOUND, HFHUB_DBUS_ERROR_PREFIX "RevisionNotFound" },
	{ HFHUB_ERROR_ENTRY_NOT_FOUND, HFHUB_DBUS_ERROR_PREFIX "EntryNotFound" },
	{ HFHUB_ERROR_GATED_REPO, HFHUB_DBUS_ERROR_PREFIX "GatedRepo" },
	{ HFHUB_ERROR_UNAUTHORIZED, HFHUB_DBUS_ERROR_PREFIX "Unauthorized" },
	{ HFHUB_ERROR_FORBIDDEN, HFHUB_DBUS_ERROR_PREFIX "Forbidden" },
	{ HFHUB_ERROR_NETWORK, HFHUB_DBUS_ERROR_PREFIX "Network" },
	{ HFHUB_ERROR_OFFLINE, HFHUB_DBUS_ERROR_PREFIX "Offline" },
	{ HFHUB_ERROR_CHECKSUM_MISMATCH, HFHUB_DBUS_ERROR_PREFIX "ChecksumMismatch" },
	{ HFHUB_ERROR_DISK_FULL, HFHUB_DBUS_ERROR_PREFIX "DiskFull" },
	{ HFHUB_ERROR_BAD_RESPONSE, HFHUB_DBUS_ERROR_PREFIX "BadResponse" },
	{ HFHUB_ERROR_UNSAFE_PATH, HFHUB_DBUS_ERROR_PREFIX "UnsafePath" },
	{ HFHUB_ERROR_RATE_LIMITED, HFHUB_DBUS_ERROR_PREFIX "RateLimited" },
	{ HFHUB_ERROR_NO_KEYRING, HFHUB_DBUS_ERROR_PREFIX "NoKeyring" },
	{ HFHUB_ERROR_KEYRING_LOCKED, HFHUB_DBUS_ERROR_PREFIX "KeyringLocked" },
	{ HFHUB_ERROR_INVALID_TOKEN, HFHUB_DBUS_ERROR_PREFIX "InvalidToken" },
	{ HFHUB_ERROR_CONFLICT, HFHUB_DBUS_ERROR_PREFIX "Conflict" },
	{ HFHUB_ERROR_SERVER, HFHUB_DBUS_ERROR_PREFIX "ServerError" },
	{ HFHUB_ERROR_IO, HFHUB_DBUS_ERROR_PREFIX "IoError" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(error_entries) == HFHUB_ERROR_LAST);

GQuark
hfhub_error_quark(void)
{
	static gsize quark = 0;
	g_dbus_error_register_error_domain("hfhub-error-quark", &quark, error_entries,
					   G_N_ELEMENTS(error_entries));
	return (GQuark)quark;
}

const gchar *
hfhub_error_to_dbus_name(gint code)
{
	if (code < 0 || code >= HFHUB_ERROR_LAST)
		code = HFHUB_ERROR_FAILED;
	return error_entries[code].dbus_error_name;
}

gboolean
hfhub_error_from_dbus_name(const gchar *name, gint *code)
{
	for (guint i = 0; name != NULL && i < G_N_ELEMENTS(error_entries); i++) {
		if (g_strcmp0(name, error_entries[i].dbus_error_name) == 0) {
			if (code != NULL)
				*code = error_entries[i].error_code;
			return TRUE;
		}
	}
	return FALSE;
}

static gint
convert_io_error(gint code)
{
	switch (code) {
	case G_IO_ERROR_CANCELLED:
		return HFHUB_ERROR_CANCELLED;
	case G_IO_ERROR_NO_SPACE:
		return HFHUB_ERROR_DISK_FULL;
	case G_IO_ERROR_INVALID_ARGUMENT:
	case G_IO_ERROR_INVALID_DATA:
		return HFHUB_ERROR_INVALID_ARGUMENT;
	case G_IO_ERROR_PERMISSION_DENIED:
	case G_IO_ERROR_NOT_FOUND:
	case G_IO_ERROR_EXISTS:
	case G_IO_ERROR_IS_DIRECTORY:
	case G_IO_ERROR_NOT_DIRECTORY:
	case G_IO_ERROR_READ_ONLY:
	case G_IO_ERROR_TOO_MANY_LINKS:
	case G_IO_ERROR_FILENAME_TOO_LONG:
		return HFHUB_ERROR_IO;
	case G_IO_ERROR_TIMED_OUT:
	case G_IO_ERROR_HOST_NOT_FOUND:
	case G_IO_ERROR_HOST_UNREACHABLE:
	case G_IO_ERROR_NETWORK_UNREACHABLE:
	case G_IO_ERROR_CONNECTION_REFUSED:
	case G_IO_ERROR_BROKEN_PIPE:
	case G_IO_ERROR_PROXY_FAILED:
	case G_IO_ERROR_NOT_CONNECTED:
	case G_IO_ERROR_PARTIAL_INPUT:
		return HFHUB_ERROR_NETWORK;
	default:
		return HFHUB_ERROR_FAILED;
	}
}

/* Turns any foreign error (GIO, GFile, GDBus, GVariant…) into HFHUB_ERROR so
 * that nothing raw crosses the D-Bus edge; the message is kept. Owners of
 * libsoup, sqlite and libsecret convert their own errors at the source. */
void
hfhub_error_convert(GError **error)
{
	GError *e;

	if (error == NULL || *error == NULL)
		return;
	e = *error;
	if (e->domain == HFHUB_ERROR)
		return;
	if (e->domain == G_IO_ERROR)
		e->code = convert_io_error(e->code);
	else if (e->domain == G_FILE_ERROR)
		e->code = e->code == G_FILE_ERROR_NOSPC ? HFHUB_ERROR_DISK_FULL : HFHUB_ERROR_IO;
	else if (e->domain == G_VARIANT_PARSE_ERROR || e->domain == G_KEY_FILE_ERROR ||
		 e->domain == G_OPTION_ERROR)
		e->code = HFHUB_ERROR_INVALID_ARGUMENT;
	else
		e->code = HFHUB_ERROR_FAILED;
	e->domain = HFHUB_ERROR;
}
