/* The commits of an upload, and its result.
 *
 * The files go in path order, at most files-per-commit (default and maximum
 * HFHUB_UPLOAD_FILES_PER_COMMIT, 1000) and about MAX_REGULAR_BYTES of
 * content each: a 100,000-file folder is 100 commits, paced under the Hub's
 * hourly commit limit by hfhub-commit.c. Remote files removed by the delete
 * patterns go with the last commit. With a parent commit, each commit
 * names the previous one as its parent; with create-pr, the first opens the
 * pull request and the others land on its refs/pr/N. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubUpload"

#include <string.h>

#include "hfhub-commit.h"
#include "hfhub-error.h"
#include "hfhub-filter.h"
#include "hfhub-upload-private.h"
#include "hfhub-upload.h"

/* content sent inside one commit's NDJSON (base64 makes it a third more) */
#define MAX_REGULAR_BYTES (64 * 1024 * 1024)

static gboolean
to_commit(const UploadFile *f)
{
	return f->state == UPLOAD_FILE_REGULAR || f->state == UPLOAD_FILE_UPLOADED;
}

static HfhubCommitOp *
op_for(const UploadFile *f)
{
	HfhubCommitOp *op;

	if (f->state == UPLOAD_FILE_REGULAR) {
		op = hfhub_commit_op_new(HFHUB_COMMIT_ADD_REGULAR, f->src->path);
		op->local_path = g_strdup(f->src->local_path);
		op->git_oid = g_strdup(f->sha1);
		/* the very bytes that were hashed, when they were kept */
		if (f->content != NULL)
			op->content = g_bytes_ref(f->content);
	} else {
		op = hfhub_commit_op_new(HFHUB_COMMIT_ADD_LFS, f->src->path);
		op->sha256 = g_strdup(f->sha256);
	}
	op->size = f->src->size;
	op->size_known = TRUE;
	return op;
}

/* commits of at most files-per-commit files and MAX_REGULAR_BYTES:
 * element type GPtrArray of UploadFile* */
static GPtrArray *
plan_chunks(Upload *up)
{
	GPtrArray *chunks = g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	GPtrArray *chunk = NULL;
	guint64 regular = 0;

	for (guint i = 0; i < up->files->len; i++) {
		UploadFile *f = g_ptr_array_index(up->files, i);
		guint64 bytes = f->state == UPLOAD_FILE_REGULAR ? f->src->size : 0;

		if (!to_commit(f))
			continue;
		if (chunk == NULL || chunk->len >= up->files_per_commit ||
		    (chunk->len > 0 && regular + bytes > MAX_REGULAR_BYTES)) {
			chunk = g_ptr_array_new();
			g_ptr_array_add(chunks, chunk);
			regular = 0;
		}
		g_ptr_array_add(chunk, f);
		regular += bytes;
	}
	return chunks;
}

/* the remote files the delete patterns select, below path_in_repo, except
 * .gitattributes and what this upload writes (as huggingface_hub) */
static GPtrArray *
deletions(Upload *up, const gchar *revision, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);
	g_autoptr(GPtrArray) ops =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_commit_op_free);
	g_autoptr(GPtrArray) remote = NULL;
	g_autofree gchar *head = NULL;
	g_autofree gchar *prefix = NULL;

	if (up->delete_patterns == NULL)
		return g_steal_pointer(&ops);
	head = hfhub_hub_resolve_revision(&repo, revision, up->abort, error);
	if (head == NULL)
		return NULL;
	remote = hfhub_hub_list_files(&repo, head, up->abort, error);
	if (remote == NULL)
		return NULL;
	prefix = up->is_folder && *up->path_in_repo != '\0'
			 ? g_strconcat(up->path_in_repo,
				       g_str_has_suffix(up->path_in_repo, "/") ? "" : "/", NULL)
			 : g_strdup("");
	for (guint i = 0; i < remote->len; i++) {
		HfhubRepoFile *file = g_ptr_array_index(remote, i);
		const gchar *rel;

		if (!g_str_has_prefix(file->path, prefix))
			continue;
		rel = file->path + strlen(prefix);
		if (g_str_equal(file->path, ".gitattributes") ||
		    g_hash_table_contains(up->by_path, file->path) ||
		    !hfhub_filter_match(rel, (const gchar *const *)up->delete_patterns, NULL))
			continue;
		g_ptr_array_add(ops, hfhub_commit_op_new(HFHUB_COMMIT_DELETE_FILE, file->path));
	}
	return g_steal_pointer(&ops);
}

static gchar *
default_summary(Upload *up)
{
	if (up->is_folder)
		return g_strdup("Upload folder using hfhub");
	return g_strdup_printf("Upload %s with hfhub",
			       up->files->len > 0
				       ? ((UploadFile *)g_ptr_array_index(up->files, 0))->src->path
				       : up->path_in_repo);
}

/* A commit's operations and their NDJSON lines, built ahead on a thread
 * of their own while the previous commit is sent. */
typedef struct {
	GPtrArray *chunk; /* UploadFile*, borrowed; NULL for deletions only */
	GPtrArray *ops;	  /* HfhubCommitOp */
	guint n_deleted;
	GBytes *body;
	GError *error;
	GThread *thread;
} Prepared;

static void
prepared_free(Prepared *p)
{
	if (p == NULL)
		return;
	if (p->thread != NULL)
		g_thread_join(p->thread);
	g_clear_pointer(&p->ops, g_ptr_array_unref);
	g_clear_pointer(&p->body, g_bytes_unref);
	g_clear_error(&p->error);
	g_free(p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Prepared, prepared_free)

static gpointer
prepare_thread(gpointer data)
{
	Prepared *p = data;

	p->body = hfhub_commit_build_ops(p->ops, &p->error);
	return NULL;
}

/* the ops of @chunk and @deletions (taken); the lines are built on a thread */
static Prepared *
prepare_commit(GPtrArray *chunk, GPtrArray *deletions)
{
	Prepared *p = g_new0(Prepared, 1);

	p->chunk = chunk;
	p->ops = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_commit_op_free);
	for (guint i = 0; chunk != NULL && i < chunk->len; i++)
		g_ptr_array_add(p->ops, op_for(g_ptr_array_index(chunk, i)));
	for (guint i = 0; deletions != NULL && i < deletions->len; i++) {
		g_ptr_array_add(p->ops, g_steal_pointer(&g_ptr_array_index(deletions, i)));
		p->n_deleted++;
	}
	p->thread = g_thread_new("hfhub-commit-prep", prepare_thread, p);
	return p;
}

static gboolean
commit_one(Upload *up, Prepared *p, guint index, guint count, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);
	GPtrArray *chunk = p->chunk;
	g_autofree gchar *summary = NULL;
	g_autoptr(HfhubCommitResult) info = NULL;
	const gchar *base = up->commit_message != NULL ? up->commit_message : NULL;
	g_autofree gchar *fallback = base == NULL ? default_summary(up) : NULL;
	const gchar *last =
		up->commits->len > 0 ? g_ptr_array_index(up->commits, up->commits->len - 1) : NULL;
	HfhubCommitRequest req = { 0 };

	g_thread_join(g_steal_pointer(&p->thread));
	if (p->body == NULL) {
		g_propagate_error(error, g_steal_pointer(&p->error));
		return FALSE;
	}
	summary = count > 1 ? g_strdup_printf("%s (part %u of %u)", base != NULL ? base : fallback,
					      index, count)
			    : g_strdup(base != NULL ? base : fallback);
	req.summary = summary;
	req.description = up->commit_description;
	/* a chain: each commit on the one before, the first on the caller's */
	req.parent_commit = up->parent_commit == NULL ? NULL
			    : last != NULL	      ? last
						      : up->parent_commit;
	req.create_pr = up->create_pr && up->pr_revision == NULL;
	req.allow_head_change = up->allow_concurrent;
	req.on_wait = upload_note_wait;
	req.on_wait_data = up;
	req.ops_body = p->body;
	/* after our own commit, the branch is there (unless someone else
	 * commits meanwhile, which the conflict check then sees) */
	req.expected_head = last;

	info = hfhub_commit_create(&repo, up->pr_revision != NULL ? up->pr_revision : up->revision,
				   &req, p->ops, up->abort, error);
	if (info == NULL)
		return FALSE;

	g_mutex_lock(&up->lock);
	g_ptr_array_add(up->commits, g_strdup(info->oid));
	g_free(up->last_commit_url);
	up->last_commit_url = g_strdup(info->url);
	if (info->pr_revision != NULL) {
		g_free(up->pr_revision);
		up->pr_revision = g_strdup(info->pr_revision);
		g_free(up->pr_url);
		up->pr_url = g_strdup(info->pr_url);
	}
	up->recovered |= info->recovered;
	for (guint i = 0; chunk != NULL && i < chunk->len; i++) {
		UploadFile *f = g_ptr_array_index(chunk, i);
		f->state = UPLOAD_FILE_COMMITTED;
		g_clear_pointer(&f->content, g_bytes_unref);
		g_ptr_array_add(up->dirty, f);
	}
	g_mutex_unlock(&up->lock);
	g_atomic_int_add(&up->deleted_files, (gint)p->n_deleted);
	upload_add_files(up, chunk != NULL ? (gint)chunk->len : 0);
	/* recorded at once: a restart must not commit these again */
	return upload_flush(up, error);
}

static GVariant *
result_of(Upload *up, const gchar *commit, const gchar *commit_url, gboolean no_op)
{
	g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(NULL);
	g_autoptr(GPtrArray) commits = g_ptr_array_new();
	guint counts[UPLOAD_FILE_COMMITTED + 1] = { 0 };

	for (guint i = 0; i < up->files->len; i++) {
		UploadFile *f = g_ptr_array_index(up->files, i);
		counts[f->state]++;
	}
	for (guint i = 0; i < up->commits->len; i++)
		g_ptr_array_add(commits, g_ptr_array_index(up->commits, i));
	g_ptr_array_add(commits, NULL);
	g_variant_dict_insert(&dict, "commit", "s", commit);
	g_variant_dict_insert(&dict, "commit-url", "s", commit_url);
	g_variant_dict_insert(&dict, "commits", "^as", (gchar **)commits->pdata);
	g_variant_dict_insert(&dict, "revision", "s", up->revision);
	if (up->pr_revision != NULL) {
		g_variant_dict_insert(&dict, "pr-revision", "s", up->pr_revision);
		g_variant_dict_insert(&dict, "pr-url", "s", up->pr_url != NULL ? up->pr_url : "");
	}
	g_variant_dict_insert(&dict, "files", "u", up->files->len);
	g_variant_dict_insert(&dict, "committed-files", "u", counts[UPLOAD_FILE_COMMITTED]);
	g_variant_dict_insert(&dict, "unchanged-files", "u", counts[UPLOAD_FILE_UNCHANGED]);
	g_variant_dict_insert(&dict, "ignored-files", "u", counts[UPLOAD_FILE_IGNORED]);
	g_variant_dict_insert(&dict, "deleted-files", "u",
			      (guint)g_atomic_int_get(&up->deleted_files));
	g_variant_dict_insert(&dict, "uploaded-files", "u",
			      (guint)g_atomic_int_get(&up->uploaded_files));
	g_variant_dict_insert(&dict, "uploaded-bytes", "t",
			      (guint64)(gsize)g_atomic_pointer_get(&up->uploaded_bytes));
	g_variant_dict_insert(&dict, "hashed-files", "u",
			      (guint)g_atomic_int_get(&up->hashed_files));
	g_variant_dict_insert(&dict, "reused-hashes", "u",
			      (guint)g_atomic_int_get(&up->reused_hashes));
	g_variant_dict_insert(&dict, "no-op", "b", no_op);
	g_variant_dict_insert(&dict, "recovered", "b", up->recovered);
	return g_variant_dict_end(&dict);
}

GVariant *
upload_stage_commit(Upload *up, GError **error)
{
	HfhubHubRepo repo = upload_hub_repo(up);
	g_autoptr(GPtrArray) chunks = plan_chunks(up);
	g_autoptr(Prepared) next = NULL;
	const gchar *revision = up->pr_revision != NULL ? up->pr_revision : up->revision;
	guint total = 0;
	guint done_before = up->commits->len;

	for (guint i = 0; i < chunks->len; i++)
		total += ((GPtrArray *)g_ptr_array_index(chunks, i))->len;
	upload_set_stage(up, "committing", 0, total);
	if (chunks->len == 0) {
		/* nothing new to add: deletions alone, or nothing at all */
		g_autoptr(GPtrArray) dels = deletions(up, revision, error);
		if (dels == NULL)
			return NULL;
		if (dels->len > 0) {
			next = prepare_commit(NULL, dels);
			if (!commit_one(up, next, 1, 1, error))
				return NULL;
		}
	}
	for (guint i = 0; i < chunks->len; i++) {
		g_autoptr(Prepared) current = NULL;
		g_autofree gchar *stage = NULL;

		if (next == NULL) {
			g_autoptr(GPtrArray) dels = NULL;
			if (i + 1 == chunks->len) {
				dels = deletions(up, revision, error);
				if (dels == NULL)
					return NULL;
			}
			next = prepare_commit(g_ptr_array_index(chunks, i), dels);
		}
		current = g_steal_pointer(&next);
		/* the next commit's lines are built while this one goes; the
		 * deletions are listed just before the last one */
		if (i + 1 < chunks->len) {
			g_autoptr(GPtrArray) dels = NULL;
			if (i + 2 == chunks->len) {
				dels = deletions(up, revision, error);
				if (dels == NULL)
					return NULL;
			}
			next = prepare_commit(g_ptr_array_index(chunks, i + 1), dels);
		}
		if (chunks->len > 1) {
			stage = g_strdup_printf("committing (%u of %u)", done_before + i + 1,
						done_before + chunks->len);
			upload_set_stage(up, stage, 0, total);
		}
		if (!commit_one(up, current, done_before + i + 1, done_before + chunks->len, error))
			return NULL;
	}
	if (up->commits->len == 0) {
		/* as huggingface_hub: no empty commit; the result is the head */
		g_autofree gchar *head =
			hfhub_hub_resolve_revision(&repo, revision, up->abort, error);
		g_autofree gchar *url = NULL;
		if (head == NULL)
			return NULL;
		url = g_strdup_printf("%s/%s%s/commit/%s", up->endpoint,
				      up->type == HFHUB_REPO_TYPE_DATASET ? "datasets/"
				      : up->type == HFHUB_REPO_TYPE_SPACE ? "spaces/"
									  : "",
				      up->repo_id, head);
		return result_of(up, head, url, TRUE);
	}
	return result_of(up, g_ptr_array_index(up->commits, up->commits->len - 1),
			 up->last_commit_url != NULL ? up->last_commit_url : "", FALSE);
}
