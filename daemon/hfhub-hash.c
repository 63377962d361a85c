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

#define PIPE_BUFFERS	 4
#define PIPE_BUFFER_SIZE (1024 * 1024)

typedef struct {
	guint8 *data;
	gsize len;
} PipeChunk;

struct _HfhubHashPipe {
	HfhubHasher *hasher;
	GAsyncQueue *free_buffers; /* guint8* */
	GAsyncQueue *to_hash;	   /* PipeChunk*; len 0 ends */
	GThread *thread;
	guint8 *buffers[PIPE_BUFFERS];
};

static gpointer
hash_pipe_thread(gpointer user_data)
{
	HfhubHashPipe *self = user_data;

	for (;;) {
		PipeChunk *chunk = g_async_queue_pop(self->to_hash);
		gsize len = chunk->len;
		if (len > 0)
			hfhub_hasher_update(self->hasher, chunk->data, len);
		if (chunk->data != NULL)
			g_async_queue_push(self->free_buffers, chunk->data);
		g_free(chunk);
		if (len == 0)
			return NULL;
	}
}

gsize
hfhub_hash_pipe_buffer_size(void)
{
	return PIPE_BUFFER_SIZE;
}

HfhubHashPipe *
hfhub_hash_pipe_new(HfhubHasher *hasher)
{
	HfhubHashPipe *self = g_new0(HfhubHashPipe, 1);

	self->hasher = hasher;
	self->free_buffers = g_async_queue_new();
	self->to_hash = g_async_queue_new();
	for (guint i = 0; i < PIPE_BUFFERS; i++) {
		self->buffers[i] = g_malloc(PIPE_BUFFER_SIZE);
		g_async_queue_push(self->free_buffers, self->buffers[i]);
	}
	self->thread = g_thread_new("hfhub-hash", hash_pipe_thread, self);
	return self;
}

guint8 *
hfhub_hash_pipe_get_buffer(HfhubHashPipe *self)
{
	return g_async_queue_pop(self->free_buffers);
}

void
hfhub_hash_pipe_push(HfhubHashPipe *self, guint8 *buffer, gsize len)
{
	PipeChunk *chunk = g_new0(PipeChunk, 1);

	if (len == 0) {
		hfhub_hash_pipe_put_back(self, buffer);
		g_free(chunk);
		return;
	}
	chunk->data = buffer;
	chunk->len = len;
	g_async_queue_push(self->to_hash, chunk);
}

void
hfhub_hash_pipe_put_back(HfhubHashPipe *self, guint8 *buffer)
{
	g_async_queue_push(self->free_buffers, buffer);
}

void
hfhub_hash_pipe_finish(HfhubHashPipe *self)
{
	/* the end marker: no data, no length */
	g_async_queue_push(self->to_hash, g_new0(PipeChunk, 1));
	g_thread_join(self->thread);
	for (guint i = 0; i < PIPE_BUFFERS; i++)
		g_free(self->buffers[i]);
	g_async_queue_unref(self->free_buffers);
	g_async_queue_unref(self->to_hash);
	g_free(self);
}
