/* HfhubRepos: repositories on the Hub and browsing them (hub-protocol.md
 * §6, §8), for the Repos D-Bus interface; no D-Bus types in here.
 *
 * Each call checks its arguments on the caller's (main) thread, then does
 * the HTTP work on a worker thread and returns on the main context with an
 * a{sv} answer (keys in dbus/README.md). The store is only touched on the
 * main thread.
 *
 * Offline answers: repo info, tree listings and refs are kept in the store
 * (hfhub_store_put_answer) keyed by endpoint, type, repo, request and
 * revision, and served marked "stale" with their "age" when the request is
 * offline or the Hub cannot be reached. A request at a full commit hash is
 * served from the store without the network when its answer is there. */
#pragma once

#include "hfhub-engine.h"

G_BEGIN_DECLS

#define HFHUB_TYPE_REPOS (hfhub_repos_get_type())
G_DECLARE_FINAL_TYPE(HfhubRepos, hfhub_repos, HFHUB, REPOS, GObject)

typedef enum {
	HFHUB_REPOS_OP_INFO,
	HFHUB_REPOS_OP_FILES,
	HFHUB_REPOS_OP_REFS,
	HFHUB_REPOS_OP_COMMITS,
	HFHUB_REPOS_OP_SEARCH,
	HFHUB_REPOS_OP_CREATE,
	HFHUB_REPOS_OP_DELETE,
	HFHUB_REPOS_OP_SETTINGS,
	HFHUB_REPOS_OP_MOVE,
	HFHUB_REPOS_OP_BRANCH_CREATE,
	HFHUB_REPOS_OP_BRANCH_DELETE,
	HFHUB_REPOS_OP_TAG_CREATE,
	HFHUB_REPOS_OP_TAG_DELETE,
	HFHUB_REPOS_OP_LAST
} HfhubReposOp;

/* at most this many results of a search or commit list per call */
#define HFHUB_REPOS_MAX_LIMIT	  1000
#define HFHUB_REPOS_DEFAULT_LIMIT 100

HfhubRepos *
hfhub_repos_new(HfhubEngine *engine);

/* Starts @op. @repo_type: "model", "dataset", "space" or "" (model);
 * @repo_id: unused by SEARCH; @revision: "" or NULL means "main" (INFO,
 * FILES, COMMITS); @name: the branch or tag (BRANCH_*, TAG_*) or the
 * destination (MOVE); @options: a{sv} (may be NULL), checked against the
 * op's keys. */
void
hfhub_repos_call_async(HfhubRepos *self, HfhubReposOp op, const gchar *repo_type,
		       const gchar *repo_id, const gchar *revision, const gchar *name,
		       GVariant *options, GCancellable *cancellable, GAsyncReadyCallback callback,
		       gpointer user_data);
/* the answer, a{sv} (a full reference) */
GVariant *
hfhub_repos_call_finish(HfhubRepos *self, GAsyncResult *res, GError **error);

G_END_DECLS
