/* HfhubHasher: streaming SHA-256 (LFS oids) and git blob SHA-1 (regular
 * files) through GnuTLS/nettle, about 4.5x GChecksum where the CPU has SHA
 * extensions (see bench/README.md). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	HFHUB_HASH_SHA256,
	/* sha1("blob <size>\0" + content): the oid git gives a regular file */
	HFHUB_HASH_GIT_BLOB,
} HfhubHashKind;

typedef struct _HfhubHasher HfhubHasher;

/* @size is the whole content's size (needed up front by the git header) */
HfhubHasher *
hfhub_hasher_new(HfhubHashKind kind, guint64 size, GError **error);
void
hfhub_hasher_update(HfhubHasher *self, const void *data, gsize len);
/* lower-case hex digest; the hasher cannot be updated afterwards */
gchar *
hfhub_hasher_finish(HfhubHasher *self);
void
hfhub_hasher_free(HfhubHasher *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubHasher, hfhub_hasher_free)

/* Hashes the first @length bytes of the open file @fd into @self, from its
 * start, with positioned reads (does not move the file offset). */
gboolean
hfhub_hasher_update_from_fd(HfhubHasher *self, int fd, guint64 length, GCancellable *cancellable,
			    GError **error);

G_END_DECLS

G_BEGIN_DECLS

/* HfhubHashPipe: hashes on a thread of its own what the caller reads and
 * writes on another, so that network, disk and SHA-256 overlap instead of
 * adding up. Buffers go round a small fixed pool: memory stays flat. */
typedef struct _HfhubHashPipe HfhubHashPipe;

/* @hasher is borrowed until hfhub_hash_pipe_finish() */
HfhubHashPipe *
hfhub_hash_pipe_new(HfhubHasher *hasher);
/* a free buffer of hfhub_hash_pipe_buffer_size() bytes; waits while all
 * are being hashed */
guint8 *
hfhub_hash_pipe_get_buffer(HfhubHashPipe *self);
gsize
hfhub_hash_pipe_buffer_size(void);
/* hands @len bytes of a buffer from get_buffer() over to the hashing thread */
void
hfhub_hash_pipe_push(HfhubHashPipe *self, guint8 *buffer, gsize len);
/* gives back a buffer from get_buffer() that was not pushed */
void
hfhub_hash_pipe_put_back(HfhubHashPipe *self, guint8 *buffer);
/* waits until everything pushed is hashed and frees the pipe */
void
hfhub_hash_pipe_finish(HfhubHashPipe *self);

G_END_DECLS
