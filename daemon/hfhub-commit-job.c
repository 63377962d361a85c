/* The "commit" job kind. Its operations (the "operations" option, aa{sv})
 * are checked when the job is made, turned into commit operations against
 * the branch head when it runs (patterns are matched then, copies read
 * then), and sent as one commit. Nothing is kept per file: a restart simply
 * runs it again, and hfhub-commit.c tells a commit that already landed. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCommitJob"

#include "hfhub-commit-job.h"

#include <string.h>

#include "hfhub-commit.h"
#include "hfhub-error.h"
#include "hfhub-filter.h"
#include "hfhub-hub-api.h"
#include "hfhub-job-run.h"
#include "hfhub-repo-path.h"
#include "hfhub-secrets.h"
#include "hfhub-upload-api.h"
#include "hfhub-upload-scan.h"
#include "hfhub-upload.h"

static const HfhubOptionSpec commit_options[] = {
	{ "operations", "aa{sv}" }, { "commit-message", "s" }, { "commit-description", "s" },
	{ "create-pr", "b" },	    { "parent-commit", "s" },  { "allow-concurrent", "b" },
	{ "endpoint", "s" },	    { "identity", "s" },       { NULL, NULL },
};

typedef struct {
	HfhubJob *job;
	HfhubHttp *http;
	GCancellable *cancellable;
	HfhubRepoType type;
	gchar *repo_id;
	gchar *revision;
	gchar *endpoint;
	gchar *token;
	GVariant *operations;
	gchar *commit_message;
	gchar *commit_description;
	gchar *parent_commit;
	gboolean create_pr;
	gboolean allow_concurrent;
} CommitJob;

static void
commit_job_free(CommitJob *cj)
{
	g_clear_object(&cj->job);
	g_clear_object(&cj->http);
	g_clear_object(&cj->cancellable);
	g_free(cj->repo_id);
	g_free(cj->revision);
	g_free(cj->endpoint);
	hfhub_secrets_free(g_steal_pointer(&cj->token));
	g_clear_pointer(&cj->operations, g_variant_unref);
	g_free(cj->commit_message);
	g_free(cj->commit_description);
	g_free(cj->parent_commit);
	g_free(cj);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(CommitJob, commit_job_free)

/* ---- checks of one operation (prepare) */

static gboolean
check_operation(GVariant *op, guint index, GError **error)
{
	const gchar *kind = NULL;
	const gchar *path = NULL;
	const gchar *pattern = NULL;
	const gchar *from = NULL;
	const gchar *from_revision = NULL;
	GVariantIter iter;
	const gchar *key;

	g_variant_iter_init(&iter, op);
	while (g_variant_iter_next(&iter, "{&sv}", &key, NULL)) {
		if (!g_strv_contains((const gchar *const[]){ "op", "path", "pattern", "from",
							     "from-revision", NULL },
				     key)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "operation %u: unknown key “%s”", index, key);
			return FALSE;
		}
	}
	if (!g_variant_lookup(op, "op", "&s", &kind)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "operation %u: no “op” (delete or copy)", index);
		return FALSE;
	}
	g_variant_lookup(op, "path", "&s", &path);
	g_variant_lookup(op, "pattern", "&s", &pattern);
	g_variant_lookup(op, "from", "&s", &from);
	g_variant_lookup(op, "from-revision", "&s", &from_revision);
	if (g_str_equal(kind, "delete")) {
		if ((path == NULL) == (pattern == NULL) || from != NULL || from_revision != NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "operation %u: a delete takes a “path” or a “pattern”", index);
			return FALSE;
		}
		if (path != NULL)
			return *path != '\0' && hfhub_upload_path_validate(path, TRUE, error);
		return hfhub_filter_validate_patterns((const gchar *const[]){ pattern, NULL },
						      error);
	}
	if (g_str_equal(kind, "copy")) {
		if (path == NULL || from == NULL || pattern != NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "operation %u: a copy takes “from” and “path”", index);
			return FALSE;
		}
		if (!hfhub_repo_file_path_validate(from, error) ||
		    !hfhub_upload_path_validate(path, FALSE, error))
			return FALSE;
		return from_revision == NULL || hfhub_revision_validate(from_revision, error);
	}
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
		    "operation %u: unknown op “%s” (delete or copy)", index, kind);
	return FALSE;
}

static gboolean
commit_prepare(HfhubEngine *engine, HfhubJobRecord *rec, GError **error)
{
	g_autoptr(GVariant) ops = NULL;
	gsize n;

	if (!hfhub_upload_prepare_common(engine, rec, error))
		return FALSE;
	ops = g_variant_lookup_value(rec->options, "operations", G_VARIANT_TYPE("aa{sv}"));
	n = ops != NULL ? g_variant_n_children(ops) : 0;
	if (n == 0 || n > HFHUB_COMMIT_MAX_OPERATIONS) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "a commit takes 1 to %u operations, not %" G_GSIZE_FORMAT,
			    HFHUB_COMMIT_MAX_OPERATIONS, n);
		return FALSE;
	}
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) op = g_variant_get_child_value(ops, i);
		if (!check_operation(op, (guint)i, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- the run */

static HfhubHubRepo
hub_repo(CommitJob *cj)
{
	HfhubHubRepo repo = {
		.http = cj->http,
		.target = { .endpoint = cj->endpoint, .token = cj->token },
		.type = cj->type,
		.repo_id = cj->repo_id,
	};
	return repo;
}

/* the files of a revision, listed once */
static GPtrArray *
files_at(CommitJob *cj, GHashTable *listings, const gchar *commit, GError **error)
{
	HfhubHubRepo repo = hub_repo(cj);
	GPtrArray *files = g_hash_table_lookup(listings, commit);

	if (files != NULL)
		return files;
	files = hfhub_hub_list_files(&repo, commit, cj->cancellable, error);
	if (files != NULL)
		g_hash_table_insert(listings, g_strdup(commit), files);
	return files;
}

static HfhubCommitOp *
copy_op(CommitJob *cj, GHashTable *listings, GHashTable *heads, const gchar *head,
	const gchar *from, const gchar *from_revision, const gchar *path, GError **error)
{
	HfhubHubRepo repo = hub_repo(cj);
	const gchar *commit = head;
	GPtrArray *files;
	HfhubRepoFile *src = NULL;
	HfhubCommitOp *op;

	if (from_revision != NULL) {
		commit = g_hash_table_lookup(heads, from_revision);
		if (commit == NULL) {
			gchar *resolved =
				hfhub_is_commit_hash(from_revision)
					? g_strdup(from_revision)
					: hfhub_hub_resolve_revision(&repo, from_revision,
								     cj->cancellable, error);
			if (resolved == NULL)
				return NULL;
			g_hash_table_insert(heads, g_strdup(from_revision), resolved);
			commit = resolved;
		}
	}
	files = files_at(cj, listings, commit, error);
	if (files == NULL)
		return NULL;
	for (guint i = 0; i < files->len && src == NULL; i++) {
		HfhubRepoFile *f = g_ptr_array_index(files, i);
		if (g_str_equal(f->path, from))
			src = f;
	}
	if (src == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND,
			    "cannot copy “%s”: %s has no such file at %s", from, cj->repo_id,
			    from_revision != NULL ? from_revision : cj->revision);
		return NULL;
	}
	if (src->lfs_oid != NULL) {
		/* the object is in the repo already: only the pointer is new */
		op = hfhub_commit_op_new(HFHUB_COMMIT_ADD_LFS, path);
		op->sha256 = g_strdup(src->lfs_oid);
		op->size = src->size;
		op->size_known = TRUE;
		return op;
	}
	{
		/* a regular file travels again, as huggingface_hub copies it */
		g_autofree gchar *url = hfhub_hub_resolve_url(&repo, commit, from);
		g_autoptr(GBytes) content =
			hfhub_http_fetch(cj->http, &repo.target, "GET", url, NULL, NULL, NULL,
					 cj->cancellable, error);
		if (content == NULL)
			return NULL;
		if (g_bytes_get_size(content) != src->size) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CHECKSUM_MISMATCH,
				    "cannot copy “%s”: the Hub sent %" G_GSIZE_FORMAT
				    " bytes of %" G_GUINT64_FORMAT,
				    from, g_bytes_get_size(content), src->size);
			return NULL;
		}
		op = hfhub_commit_op_new(HFHUB_COMMIT_ADD_REGULAR, path);
		op->content = g_steal_pointer(&content);
		op->size = src->size;
		op->size_known = TRUE;
		return op;
	}
}

static GVariant *
run_commit(CommitJob *cj, GError **error)
{
	HfhubHubRepo repo = hub_repo(cj);
	g_autoptr(GPtrArray) ops =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_commit_op_free);
	g_autoptr(GHashTable) listings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							       (GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GHashTable) heads =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GHashTable) deleted = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(HfhubCommitResult) info = NULL;
	g_auto(GVariantDict) result = G_VARIANT_DICT_INIT(NULL);
	g_autofree gchar *head = NULL;
	g_autofree gchar *summary = NULL;
	HfhubCommitRequest req = { 0 };
	guint n_deleted = 0, n_copied = 0;
	gsize n = g_variant_n_children(cj->operations);

	head = hfhub_hub_resolve_revision(&repo, cj->revision, cj->cancellable, error);
	if (head == NULL)
		return NULL;
	for (gsize i = 0; i < n; i++) {
		g_autoptr(GVariant) op = g_variant_get_child_value(cj->operations, i);
		const gchar *kind = NULL, *path = NULL, *pattern = NULL, *from = NULL;
		const gchar *from_revision = NULL;

		g_variant_lookup(op, "op", "&s", &kind);
		g_variant_lookup(op, "path", "&s", &path);
		g_variant_lookup(op, "pattern", "&s", &pattern);
		g_variant_lookup(op, "from", "&s", &from);
		g_variant_lookup(op, "from-revision", "&s", &from_revision);
		if (g_str_equal(kind, "copy")) {
			HfhubCommitOp *c = copy_op(cj, listings, heads, head, from, from_revision,
						   path, error);
			if (c == NULL)
				return NULL;
			g_ptr_array_add(ops, c);
			n_copied++;
		} else if (path != NULL) {
			gboolean folder = g_str_has_suffix(path, "/");
			g_ptr_array_add(ops, hfhub_commit_op_new(folder ? HFHUB_COMMIT_DELETE_FOLDER
									: HFHUB_COMMIT_DELETE_FILE,
								 path));
			n_deleted++;
		} else {
			GPtrArray *files = files_at(cj, listings, head, error);
			guint matched = 0;

			if (files == NULL)
				return NULL;
			for (guint j = 0; j < files->len; j++) {
				HfhubRepoFile *f = g_ptr_array_index(files, j);
				if (g_str_equal(f->path, ".gitattributes") ||
				    !hfhub_filter_match(
					    f->path, (const gchar *const[]){ pattern, NULL }, NULL))
					continue;
				matched++;
				if (!g_hash_table_add(deleted, f->path))
					continue;
				g_ptr_array_add(ops, hfhub_commit_op_new(HFHUB_COMMIT_DELETE_FILE,
									 f->path));
				n_deleted++;
			}
			if (matched == 0) {
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND,
					    "no file of %s at %s matches “%s”; nothing was "
					    "deleted",
					    cj->repo_id, cj->revision, pattern);
				return NULL;
			}
		}
	}
	summary = cj->commit_message != NULL ? g_strdup(cj->commit_message)
		  : n_copied == 0	     ? g_strdup("Delete files using hfhub")
		  : n_deleted == 0	     ? g_strdup("Copy files using hfhub")
					     : g_strdup("Update files using hfhub");
	req.summary = summary;
	req.description = cj->commit_description;
	req.parent_commit = cj->parent_commit;
	req.create_pr = cj->create_pr;
	req.allow_head_change = cj->allow_concurrent;
	info = hfhub_commit_create(&repo, cj->revision, &req, ops, cj->cancellable, error);
	if (info == NULL)
		return NULL;
	g_variant_dict_insert(&result, "commit", "s", info->oid);
	g_variant_dict_insert(&result, "commit-url", "s", info->url);
	g_variant_dict_insert(&result, "revision", "s", cj->revision);
	if (info->pr_revision != NULL) {
		g_variant_dict_insert(&result, "pr-revision", "s", info->pr_revision);
		g_variant_dict_insert(&result, "pr-url", "s",
				      info->pr_url != NULL ? info->pr_url : "");
	}
	g_variant_dict_insert(&result, "deleted-files", "u", n_deleted);
	g_variant_dict_insert(&result, "copied-files", "u", n_copied);
	g_variant_dict_insert(&result, "recovered", "b", info->recovered);
	return g_variant_dict_end(&result);
}

static void
run_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	GError *error = NULL;
	GVariant *result = run_commit(task_data, &error);

	hfhub_job_run_return(task, result, error, cancellable);
}

static void
commit_run_async(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
		 GAsyncReadyCallback callback, gpointer user_data)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_autoptr(GTask) task = g_task_new(job, cancellable, callback, user_data);
	g_autoptr(CommitJob) cj = g_new0(CommitJob, 1);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *identity = NULL;

	g_task_set_source_tag(task, commit_run_async);
	cj->job = g_object_ref(job);
	cj->http = g_object_ref(hfhub_engine_get_http(engine));
	cj->cancellable = g_object_ref(cancellable);
	hfhub_repo_type_from_string(rec->repo_type, &cj->type);
	cj->repo_id = g_strdup(rec->repo_id);
	cj->revision = g_strdup(rec->revision);
	cj->endpoint = hfhub_engine_dup_job_endpoint(engine, job);
	identity = rec->identity != NULL && *rec->identity != '\0'
			   ? g_strdup(rec->identity)
			   : hfhub_job_dup_option_string(job, "identity", NULL);
	cj->token = hfhub_engine_dup_token(engine, identity, cj->endpoint, &error);
	if (error != NULL) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	cj->operations = g_variant_lookup_value(hfhub_job_get_options(job), "operations",
						G_VARIANT_TYPE("aa{sv}"));
	cj->commit_message = hfhub_job_dup_option_string(job, "commit-message", NULL);
	cj->commit_description = hfhub_job_dup_option_string(job, "commit-description", NULL);
	cj->parent_commit = hfhub_job_dup_option_string(job, "parent-commit", NULL);
	hfhub_job_lookup_option(job, "create-pr", "b", &cj->create_pr);
	hfhub_job_lookup_option(job, "allow-concurrent", "b", &cj->allow_concurrent);
	hfhub_engine_set_job_reason(engine, job, "committing");
	g_task_set_task_data(task, g_steal_pointer(&cj), (GDestroyNotify)commit_job_free);
	g_task_run_in_thread(task, run_thread);
}

static GVariant *
commit_run_finish(HfhubJob *job, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer(G_TASK(res), error);
}

static const HfhubJobKind commit_kind = {
	.name = "commit",
	.options = commit_options,
	.prepare = commit_prepare,
	.run_async = commit_run_async,
	.run_finish = commit_run_finish,
	.discard = NULL,
};

const HfhubJobKind *
hfhub_commit_job_kind(void)
{
	return &commit_kind;
}
