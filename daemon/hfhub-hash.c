#include "config.h"

#define G_LOG_DOMAIN "HfhubHash"

#include "hfhub-hash.h"

#include <errno.h>
#include <gio/gio.h>
#include <gnutls/crypto.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-error.h"

struct _HfhubHasher {
	gnutls_hash_hd_t handle;
	guint digest_len;
	gboolean finished;
};

HfhubHasher *
hfhub_hasher_new(HfhubHashKind kind, guint64 size, GError **error)
{
	g_autofree HfhubHasher *self = g_new0(HfhubHasher, 1);
	gnutls_digest_algorithm_t algo =
		kind == HFHUB_HASH_SHA256 ? GNUTLS_DIG_SHA256 : GNUTLS_DIG_SHA1;
	int rc = gnutls_hash_init(&self->handle, algo);

	if (rc < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_FAILED,
			    "GnuTLS cannot hash with %s: %s", gnutls_digest_get_name(algo),
			    gnutls_strerror(rc));
		return NULL;
	}
	self->digest_len = gnutls_hash_get_len(algo);
	if (kind == HFHUB_HASH_GIT_BLOB) {
		g_autofree gchar *header = g_strdup_printf("blob %" G_GUINT64_FORMAT, size);
		/* the header's NUL terminator is part of what git hashes */
		gnutls_hash(self->handle, header, strlen(header) + 1);
	}
	return g_steal_pointer(&self);
}

void
hfhub_hasher_update(HfhubHasher *self, const void *data, gsize len)
{
	g_return_if_fail(!self->finished);
	gnutls_hash(self->handle, data, len);
}

gchar *
hfhub_hasher_finish(HfhubHasher *self)
{
	guint8 digest[64];
	GString *hex = g_string_sized_new(self->digest_len * 2);

	g_return_val_if_fail(!self->finished, NULL);
	gnutls_hash_output(self->handle, digest);
	self->finished = TRUE;
	for (guint i = 0; i < self->digest_len; i++)
		g_string_append_printf(hex, "%02x", digest[i]);
	return g_string_free(hex, FALSE);
}

void
hfhub_hasher_free(HfhubHasher *self)
{
	if (self == NULL)
		return;
	gnutls_hash_deinit(self->handle, NULL);
	g_free(self);
}

gboolean
hfhub_hasher_update_from_fd(HfhubHasher *self, int fd, guint64 length, GCancellable *cancellable,
			    GError **error)
{
	const gsize bufsize = 1024 * 1024;
	g_autofree guint8 *buf = g_malloc(bufsize);
	guint64 offset = 0;

	while (offset < length) {
		gsize want = MIN(bufsize, length - offset);
		gssize n;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		n = pread(fd, buf, want, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read: %s",
				    g_strerror(errno));
			return FALSE;
		}
		if (n == 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO,
				    "the file ended at %" G_GUINT64_FORMAT
				    " bytes, %" G_GUINT64_FORMAT " expected",
				    offset, length);
			return FALSE;
		}
		hfhub_hasher_update(self, buf, (gsize)n);
		offset += (guint64)n;
	}
	return TRUE;
}
