/* One commit on the Hub (hub-protocol.md §7.3): the NDJSON body, the POST,
 * and what to do when its outcome is unclear.
 *
 * The commit POST is never retried blindly (a retry could apply it twice).
 * After a 412 (stale parentCommit), a 5xx or a broken connection, the branch
 * head is read again:
 *   - the commit's changes are at the head: it landed, the answer was lost;
 *   - the head did not move: it did not land, it is sent again;
 *   - the head moved and the changes are not there: someone else committed;
 *     that fails with HFHUB_ERROR_CONFLICT unless the caller allowed it, and
 *     then it is sent again on the new head.
 * "The changes are there" means: every added file has the content's oid at
 * the head and every deleted file is gone (folder deletions are not
 * checked).
 *
 * Commits are also paced: at most HFHUB_COMMITS_PER_HOUR per repo per hour
 * from this daemon, under the Hub's limit of 128 (user-needs.md U3). */
#pragma once

#include "hfhub-hub-api.h"

G_BEGIN_DECLS

#define HFHUB_COMMITS_PER_HOUR 100

typedef enum {
	HFHUB_COMMIT_ADD_REGULAR, /* content in the NDJSON (base64) */
	HFHUB_COMMIT_ADD_LFS,	  /* the LFS object must be on the Hub already */
	HFHUB_COMMIT_DELETE_FILE,
	HFHUB_COMMIT_DELETE_FOLDER,
} HfhubCommitOpKind;

typedef struct {
	HfhubCommitOpKind kind;
	gchar *path;
	/* ADD_REGULAR: the content, from these bytes or read from the local
	 * file when the body is built (then checked against git_oid) */
	GBytes *content;
	gchar *local_path;
	gchar *git_oid; /* ADD_REGULAR: git blob sha1, NULL when unknown */
	gchar *sha256;	/* ADD_LFS */
	guint64 size;	/* ADD_*; a copied LFS file may omit it (size_known) */
	gboolean size_known;
} HfhubCommitOp;

HfhubCommitOp *
hfhub_commit_op_new(HfhubCommitOpKind kind, const gchar *path);
void
hfhub_commit_op_free(HfhubCommitOp *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCommitOp, hfhub_commit_op_free)

/* Called (from the committing thread) with what the commit waits for, or
 * NULL when it goes on. */
typedef void (*HfhubCommitWaitFunc)(gpointer user_data, const gchar *reason);

typedef struct {
	const gchar *summary;
	const gchar *description;   /* may be NULL */
	const gchar *parent_commit; /* may be NULL */
	gboolean create_pr;
	/* the branch may move under the commit (see above) */
	gboolean allow_head_change;
	HfhubCommitWaitFunc on_wait;
	gpointer on_wait_data;
	/* the operation lines, built ahead by hfhub_commit_build_ops() (may be
	 * NULL: built from the ops when sending) */
	GBytes *ops_body;
	/* where the branch is known to be (the caller's previous commit); NULL:
	 * it is read before sending */
	const gchar *expected_head;
} HfhubCommitRequest;

typedef struct {
	gchar *oid;
	gchar *url;
	gchar *pr_url;	    /* with create_pr */
	gchar *pr_revision; /* "refs/pr/N", with create_pr */
	gboolean recovered; /* the answer was lost: found on the branch */
} HfhubCommitResult;

void
hfhub_commit_result_free(HfhubCommitResult *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCommitResult, hfhub_commit_result_free)

/* Commits @ops (element type HfhubCommitOp) on @revision (a branch, or
 * "refs/pr/N"). */
HfhubCommitResult *
hfhub_commit_create(const HfhubHubRepo *repo, const gchar *revision, const HfhubCommitRequest *req,
		    GPtrArray *ops, GCancellable *cancellable, GError **error);

/* The operation lines of the NDJSON body of @ops, to build ahead (another
 * thread may build the next commit's while one is sent). Regular files read
 * from disk get their git_oid filled in. */
GBytes *
hfhub_commit_build_ops(GPtrArray *ops, GError **error);

/* The NDJSON body (exposed for tests). */
GBytes *
hfhub_commit_build_body(const HfhubCommitRequest *req, GPtrArray *ops, GError **error);

G_END_DECLS
