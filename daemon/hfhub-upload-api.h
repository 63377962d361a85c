/* The Hub calls around a commit (hub-protocol.md §7.1, §8): preupload, repo
 * and branch creation, and the refs a commit check needs. Synchronous, for
 * worker threads. */
#pragma once

#include "hfhub-hub-api.h"

G_BEGIN_DECLS

/* files per preupload call (huggingface_hub's chunk of 256) */
#define HFHUB_PREUPLOAD_BATCH 256
/* bytes of a file sent as its preupload sample */
#define HFHUB_PREUPLOAD_SAMPLE 512

typedef struct {
	const gchar *path;
	guint64 size;
	GBytes *sample; /* the first HFHUB_PREUPLOAD_SAMPLE bytes at most */
} HfhubPreuploadFile;

typedef struct {
	gchar *path;
	gboolean lfs;	   /* uploadMode "lfs" */
	gboolean ignore;   /* shouldIgnore */
	gchar *remote_oid; /* the file's oid on the Hub (sha1 or sha256), or NULL */
} HfhubPreuploadAnswer;

void
hfhub_preupload_answer_free(HfhubPreuploadAnswer *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubPreuploadAnswer, hfhub_preupload_answer_free)

/* POST /api/{type}s/{repo}/preupload/{revision}[?create_pr=1] for @n files
 * (at most HFHUB_PREUPLOAD_BATCH). @git_ignore is the .gitignore the upload
 * brings (NULL: the Hub reads the revision's). Element type
 * HfhubPreuploadAnswer, one per file, in the order asked; a 0-byte file is
 * always regular, as both official clients decide. */
GPtrArray *
hfhub_preupload(const HfhubHubRepo *repo, const gchar *revision, gboolean create_pr,
		const HfhubPreuploadFile *files, guint n, const gchar *git_ignore,
		GCancellable *cancellable, GError **error);

/* POST /api/repos/create; a repo that exists already is success, as
 * huggingface_hub's exist_ok (also when the caller may not create in that
 * namespace but the repo is there). */
gboolean
hfhub_upload_create_repo(const HfhubHubRepo *repo, gboolean private_repo, GCancellable *cancellable,
			 GError **error);

/* POST /api/{type}s/{repo}/branch/{branch} from the default branch; a branch
 * that exists is success. */
gboolean
hfhub_upload_create_branch(const HfhubHubRepo *repo, const gchar *branch, GCancellable *cancellable,
			   GError **error);

/* The refs/pr/N refs of the repo with their heads (ref → commit). */
GHashTable *
hfhub_upload_list_pr_refs(const HfhubHubRepo *repo, GCancellable *cancellable, GError **error);

/* Appends @s as a JSON string: ", \ and control characters escaped, the
 * rest (UTF-8) as is. JSON bodies with thousands of base64 strings are
 * written with it: json-glib escapes byte by byte, which dominated the cost
 * of large commits. */
void
hfhub_json_append_string(GString *out, const gchar *s);

/* "models" / "datasets" / "spaces", and "" / "datasets/" / "spaces/" */
const gchar *
hfhub_upload_api_type(HfhubRepoType type);
const gchar *
hfhub_upload_url_prefix(HfhubRepoType type);

G_END_DECLS
