/* Git-LFS uploads as the Hub speaks them without Xet (hub-protocol.md §7.2):
 * the batch call that says where each object goes, basic (one PUT) or
 * multipart (one PUT per part, then a completion call), and verify.
 *
 * Synchronous, for worker threads. A transfer is kept as JSON in the job's
 * file row so that a restarted daemon PUTs only the parts that were not
 * sent (the part URLs are presigned and live for hours). */
#pragma once

#include "hfhub-hub-api.h"

G_BEGIN_DECLS

/* objects per batch call (the JS client's 100; Python sends 256) */
#define HFHUB_LFS_BATCH_SIZE 100

/* What the Hub answered for one object, and how far its upload got. */
typedef struct {
	gchar *oid;
	guint64 size;
	gboolean present;      /* no actions: the Hub has it already */
	gchar *href;	       /* basic: where to PUT; multipart: the completion URL */
	gchar *verify_href;    /* may be NULL */
	guint64 chunk_size;    /* 0 for a basic transfer */
	GPtrArray *part_urls;  /* multipart: gchar*, part 1 first */
	GPtrArray *part_etags; /* multipart: gchar* (NULL: not sent yet) */
} HfhubLfsTransfer;

void
hfhub_lfs_transfer_free(HfhubLfsTransfer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubLfsTransfer, hfhub_lfs_transfer_free)

/* the JSON kept in job_files.transfer, and back */
gchar *
hfhub_lfs_transfer_to_json(const HfhubLfsTransfer *t);
HfhubLfsTransfer *
hfhub_lfs_transfer_from_json(const gchar *json, GError **error);

/* parts whose ETag is known */
guint
hfhub_lfs_transfer_parts_done(const HfhubLfsTransfer *t);

/* POST {EP}/{P}{repo}.git/info/lfs/objects/batch for @n objects (at most
 * HFHUB_LFS_BATCH_SIZE), offering basic and multipart. @ref is the branch
 * the objects are for (NULL when opening a pull request: then read access
 * is enough). Element type HfhubLfsTransfer, one per object asked, in the
 * order asked. An object the Hub refuses is HFHUB_ERROR_BAD_RESPONSE with
 * its message. */
GPtrArray *
hfhub_lfs_batch(const HfhubHubRepo *repo, const gchar *ref, const gchar *const *oids,
		const guint64 *sizes, guint n, GCancellable *cancellable, GError **error);

/* The completion call of a multipart transfer whose parts all have their
 * ETag (no token: the URL is signed). */
gboolean
hfhub_lfs_complete(const HfhubHubRepo *repo, const HfhubLfsTransfer *t, GCancellable *cancellable,
		   GError **error);

/* POST verify {oid, size}, with the token, when the Hub gave a verify URL. */
gboolean
hfhub_lfs_verify(const HfhubHubRepo *repo, const HfhubLfsTransfer *t, GCancellable *cancellable,
		 GError **error);

G_END_DECLS
