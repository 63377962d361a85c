/* The one error domain of hfhub, registered with D-Bus. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HFHUB_ERROR (hfhub_error_quark())

/* Append only: the numeric values are part of the in-process API and the
 * names (see hfhub-error.c) are part of the D-Bus API. */
typedef enum {
	HFHUB_ERROR_FAILED,		/* Failed */
	HFHUB_ERROR_INVALID_ARGUMENT,	/* InvalidArgument */
	HFHUB_ERROR_JOB_NOT_FOUND,	/* JobNotFound */
	HFHUB_ERROR_INVALID_STATE,	/* InvalidState */
	HFHUB_ERROR_ACCESS_DENIED,	/* AccessDenied */
	HFHUB_ERROR_CANCELLED,		/* Cancelled */
	HFHUB_ERROR_STORE,		/* StoreFailed */
	HFHUB_ERROR_REPO_NOT_FOUND,	/* RepoNotFound */
	HFHUB_ERROR_REVISION_NOT_FOUND, /* RevisionNotFound */
	HFHUB_ERROR_ENTRY_NOT_FOUND,	/* EntryNotFound */
	HFHUB_ERROR_GATED_REPO,		/* GatedRepo */
	HFHUB_ERROR_UNAUTHORIZED,	/* Unauthorized */
	HFHUB_ERROR_FORBIDDEN,		/* Forbidden */
	HFHUB_ERROR_NETWORK,		/* Network */
	HFHUB_ERROR_OFFLINE,		/* Offline */
	HFHUB_ERROR_CHECKSUM_MISMATCH,	/* ChecksumMismatch */
	HFHUB_ERROR_DISK_FULL,		/* DiskFull */
	HFHUB_ERROR_BAD_RESPONSE,	/* BadResponse */
	HFHUB_ERROR_UNSAFE_PATH,	/* UnsafePath */
	HFHUB_ERROR_RATE_LIMITED,	/* RateLimited */
	HFHUB_ERROR_NO_KEYRING,		/* NoKeyring */
	HFHUB_ERROR_KEYRING_LOCKED,	/* KeyringLocked */
	HFHUB_ERROR_INVALID_TOKEN,	/* InvalidToken */
	HFHUB_ERROR_CONFLICT,		/* Conflict */
	HFHUB_ERROR_SERVER,		/* ServerError */
	HFHUB_ERROR_IO,			/* IoError */
	HFHUB_ERROR_LAST
} HfhubError;

GQuark
hfhub_error_quark(void);

const gchar *
hfhub_error_to_dbus_name(gint code);

gboolean
hfhub_error_from_dbus_name(const gchar *name, gint *code);

void
hfhub_error_convert(GError **error);

G_END_DECLS
