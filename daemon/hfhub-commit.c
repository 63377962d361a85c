#include "config.h"

#define G_LOG_DOMAIN "HfhubCommit"

#include "hfhub-commit.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-hash.h"
#include "hfhub-http-upload.h"
#include "hfhub-upload-api.h"

#define MAX_COMMIT_ATTEMPTS 5
#define HOUR_US		    (G_USEC_PER_SEC * G_GINT64_CONSTANT(3600))

HfhubCommitOp *
hfhub_commit_op_new(HfhubCommitOpKind kind, const gchar *path)
{
	HfhubCommitOp *op = g_new0(HfhubCommitOp, 1);

	op->kind = kind;
	op->path = g_strdup(path);
	return op;
}

void
hfhub_commit_op_free(HfhubCommitOp *op)
{
	if (op == NULL)
		return;
	g_free(op->path);
	g_clear_pointer(&op->content, g_bytes_unref);
	g_free(op->local_path);
	g_free(op->git_oid);
	g_free(op->sha256);
	g_free(op);
}

void
hfhub_commit_result_free(HfhubCommitResult *info)
{
	if (info == NULL)
		return;
	g_free(info->oid);
	g_free(info->url);
	g_free(info->pr_url);
	g_free(info->pr_revision);
	g_free(info);
}

/* ---- pacing: a sliding hour per repo, for the whole daemon */

static GMutex pace_lock;
static GHashTable *pace_table; /* "endpoint type repo" → GQueue of gint64* (µs) */

static gchar *
pace_key(const HfhubHubRepo *repo)
{
	return g_strdup_printf("%s %s %s", repo->target.endpoint,
			       hfhub_repo_type_to_string(repo->type), repo->repo_id);
}

/* how long (µs) until one more commit fits in the hour; 0 = now */
static gint64
pace_delay(const gchar *key)
{
	gint64 now = g_get_monotonic_time();
	gint64 delay = 0;
	GQueue *q;

	g_mutex_lock(&pace_lock);
	if (pace_table == NULL)
		pace_table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	q = g_hash_table_lookup(pace_table, key);
	while (q != NULL && !g_queue_is_empty(q) &&
	       *(gint64 *)g_queue_peek_head(q) <= now - HOUR_US)
		g_free(g_queue_pop_head(q));
	if (q != NULL && g_queue_get_length(q) >= HFHUB_COMMITS_PER_HOUR)
		delay = *(gint64 *)g_queue_peek_head(q) + HOUR_US - now;
	g_mutex_unlock(&pace_lock);
	return MAX(delay, 0);
}

static void
pace_note(const gchar *key)
{
	gint64 *t = g_new(gint64, 1);
	GQueue *q;

	*t = g_get_monotonic_time();
	g_mutex_lock(&pace_lock);
	if (pace_table == NULL)
		pace_table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	q = g_hash_table_lookup(pace_table, key);
	if (q == NULL) {
		q = g_queue_new();
		g_hash_table_insert(pace_table, g_strdup(key), q);
	}
	g_queue_push_tail(q, t);
	g_mutex_unlock(&pace_lock);
}

static gboolean
pace_wait(const HfhubHubRepo *repo, const HfhubCommitRequest *req, GCancellable *cancellable,
	  GError **error)
{
	g_autofree gchar *key = pace_key(repo);
	gint64 delay = pace_delay(key);

	if (delay == 0)
		return TRUE;
	if (req->on_wait != NULL) {
		g_autoptr(GDateTime) t = g_date_time_new_now_local();
		g_autoptr(GDateTime) until = g_date_time_add(t, delay);
		g_autofree gchar *when = g_date_time_format(until, "%H:%M:%S");
		g_autofree gchar *reason =
			g_strdup_printf("waiting until %s: at most %u commits an hour go to the "
					"Hub",
					when, HFHUB_COMMITS_PER_HOUR);
		req->on_wait(req->on_wait_data, reason);
	}
	if (!hfhub_http_sleep((guint)MIN(delay / 1000 + 1, G_MAXUINT), cancellable, error))
		return FALSE;
	if (req->on_wait != NULL)
		req->on_wait(req->on_wait_data, NULL);
	return TRUE;
}

/* ---- the NDJSON body
 *
 * Written by hand rather than through JsonBuilder: the base64 content of
 * thousands of files is most of it, and needs no escaping (json-glib
 * escaped it byte by byte, the most expensive part of a commit). */

static void
begin_op(GString *out, const gchar *key, const gchar *path)
{
	g_string_append(out, "{\"key\":\"");
	g_string_append(out, key);
	g_string_append(out, "\",\"value\":{\"path\":");
	hfhub_json_append_string(out, path);
}

static void
end_op(GString *out)
{
	g_string_append(out, "}}\n");
}

/* base64 straight into the body, no intermediate copy */
static void
append_base64(GString *out, const guint8 *data, gsize len)
{
	gint state = 0, save = 0;
	gsize at = out->len;
	gsize n;

	g_string_set_size(out, at + (len / 3 + 1) * 4 + 4);
	n = g_base64_encode_step(data, len, FALSE, out->str + at, &state, &save);
	n += g_base64_encode_close(FALSE, out->str + at + n, &state, &save);
	g_string_truncate(out, at + n);
}

/* the content of a regular file, checked against the oid it was hashed to */
static GBytes *
regular_content(HfhubCommitOp *op, GError **error)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	g_autoptr(GError) error_local = NULL;
	g_autoptr(HfhubHasher) hasher = NULL;
	g_autofree gchar *oid = NULL;

	if (op->content != NULL)
		return g_bytes_ref(op->content);
	if (!g_file_get_contents(op->local_path, &data, &len, &error_local)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot read %s: %s",
			    op->local_path, error_local->message);
		return NULL;
	}
	/* the oid also tells, after a lost answer, whether the commit landed */
	hasher = hfhub_hasher_new(HFHUB_HASH_GIT_BLOB, len, error);
	if (hasher == NULL)
		return NULL;
	hfhub_hasher_update(hasher, data, len);
	oid = hfhub_hasher_finish(hasher);
	if (op->git_oid == NULL) {
		op->git_oid = g_steal_pointer(&oid);
	} else if (!g_str_equal(oid, op->git_oid)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CHECKSUM_MISMATCH,
			    "%s changed while it was being uploaded; upload it again",
			    op->local_path);
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&data), len);
}

static gboolean
append_ops(GString *out, GPtrArray *ops, GError **error)
{
	for (guint i = 0; i < ops->len; i++) {
		HfhubCommitOp *op = g_ptr_array_index(ops, i);

		switch (op->kind) {
		case HFHUB_COMMIT_ADD_REGULAR: {
			g_autoptr(GBytes) content = regular_content(op, error);
			gsize len = 0;
			const guint8 *data;

			if (content == NULL)
				return FALSE;
			data = g_bytes_get_data(content, &len);
			begin_op(out, "file", op->path);
			g_string_append(out, ",\"content\":\"");
			append_base64(out, data, len);
			g_string_append(out, "\",\"encoding\":\"base64\"");
			end_op(out);
			break;
		}
		case HFHUB_COMMIT_ADD_LFS:
			begin_op(out, "lfsFile", op->path);
			g_string_append(out, ",\"algo\":\"sha256\",\"oid\":");
			hfhub_json_append_string(out, op->sha256);
			if (op->size_known)
				g_string_append_printf(out, ",\"size\":%" G_GUINT64_FORMAT,
						       op->size);
			end_op(out);
			break;
		case HFHUB_COMMIT_DELETE_FILE:
			begin_op(out, "deletedFile", op->path);
			end_op(out);
			break;
		case HFHUB_COMMIT_DELETE_FOLDER: {
			g_autofree gchar *folder = g_str_has_suffix(op->path, "/")
							   ? g_strdup(op->path)
							   : g_strconcat(op->path, "/", NULL);
			begin_op(out, "deletedFolder", folder);
			end_op(out);
			break;
		}
		}
	}
	return TRUE;
}

GBytes *
hfhub_commit_build_ops(GPtrArray *ops, GError **error)
{
	g_autoptr(GString) out = g_string_sized_new(4096);

	if (!append_ops(out, ops, error))
		return NULL;
	return g_string_free_to_bytes(g_steal_pointer(&out));
}

static GBytes *
build_body(const HfhubCommitRequest *req, const gchar *parent, GPtrArray *ops, GError **error)
{
	gsize prebuilt = req->ops_body != NULL ? g_bytes_get_size(req->ops_body) : 0;
	g_autoptr(GString) out = g_string_sized_new(4096 + prebuilt);

	g_string_append(out, "{\"key\":\"header\",\"value\":{\"summary\":");
	hfhub_json_append_string(out, req->summary);
	g_string_append(out, ",\"description\":");
	hfhub_json_append_string(out, req->description != NULL ? req->description : "");
	if (parent != NULL) {
		g_string_append(out, ",\"parentCommit\":");
		hfhub_json_append_string(out, parent);
	}
	g_string_append(out, "}}\n");
	if (req->ops_body != NULL)
		g_string_append_len(out, g_bytes_get_data(req->ops_body, NULL), (gssize)prebuilt);
	else if (!append_ops(out, ops, error))
		return NULL;
	return g_string_free_to_bytes(g_steal_pointer(&out));
}

GBytes *
hfhub_commit_build_body(const HfhubCommitRequest *req, GPtrArray *ops, GError **error)
{
	return build_body(req, req->parent_commit, ops, error);
}

/* ---- the answer */

static gchar *
commit_url(const HfhubHubRepo *repo, const gchar *oid)
{
	return g_strdup_printf("%s/%s%s/commit/%s", repo->target.endpoint,
			       hfhub_upload_url_prefix(repo->type), repo->repo_id, oid);
}

static gboolean
is_oid(const gchar *s)
{
	if (s == NULL || strlen(s) != 40)
		return FALSE;
	for (const gchar *p = s; *p != '\0'; p++) {
		if (!g_ascii_isxdigit(*p))
			return FALSE;
	}
	return TRUE;
}

/* ".../discussions/7" → "refs/pr/7" */
static gchar *
pr_revision_of(const gchar *pr_url)
{
	const gchar *slash = pr_url != NULL ? strrchr(pr_url, '/') : NULL;
	guint64 n;

	if (slash == NULL || !g_ascii_string_to_unsigned(slash + 1, 10, 1, G_MAXUINT32, &n, NULL))
		return NULL;
	if (slash - pr_url < 12 || strncmp(slash - 12, "/discussions", 12) != 0)
		return NULL;
	return g_strdup_printf("refs/pr/%" G_GUINT64_FORMAT, n);
}

static HfhubCommitResult *
parse_answer(const HfhubHubRepo *repo, GBytes *answer, gboolean create_pr, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(HfhubCommitResult) info = g_new0(HfhubCommitResult, 1);
	gsize len;
	const gchar *data = g_bytes_get_data(answer, &len);
	JsonNode *root;
	JsonObject *obj;
	JsonNode *node;

	if (!json_parser_load_from_data(parser, data, (gssize)len, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "commit: the Hub's answer is not a JSON object");
		return NULL;
	}
	obj = json_node_get_object(root);
	node = json_object_get_member(obj, "commitOid");
	if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	    json_node_get_value_type(node) == G_TYPE_STRING)
		info->oid = g_ascii_strdown(json_node_get_string(node), -1);
	if (!is_oid(info->oid)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "commit: the Hub's answer has no commitOid");
		return NULL;
	}
	node = json_object_get_member(obj, "commitUrl");
	info->url = node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
				    json_node_get_value_type(node) == G_TYPE_STRING
			    ? g_strdup(json_node_get_string(node))
			    : commit_url(repo, info->oid);
	if (create_pr) {
		node = json_object_get_member(obj, "pullRequestUrl");
		if (node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
		    json_node_get_value_type(node) == G_TYPE_STRING)
			info->pr_url = g_strdup(json_node_get_string(node));
		info->pr_revision = pr_revision_of(info->pr_url);
		if (info->pr_revision == NULL) {
			g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
					    "commit: the Hub opened no pull request "
					    "(no pullRequestUrl in its answer)");
			return NULL;
		}
	}
	return g_steal_pointer(&info);
}

/* ---- did it land? */

static gboolean
changes_at(const HfhubHubRepo *repo, const gchar *commit, GPtrArray *ops, gboolean *landed,
	   GCancellable *cancellable, GError **error)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new();
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GHashTable) by_path = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < ops->len; i++) {
		HfhubCommitOp *op = g_ptr_array_index(ops, i);
		if (op->kind != HFHUB_COMMIT_DELETE_FOLDER)
			g_ptr_array_add(paths, op->path);
	}
	g_ptr_array_add(paths, NULL);
	files = hfhub_hub_paths_info(repo, commit, (const gchar *const *)paths->pdata, cancellable,
				     error);
	if (files == NULL)
		return FALSE;
	for (guint i = 0; i < files->len; i++) {
		HfhubRepoFile *f = g_ptr_array_index(files, i);
		g_hash_table_insert(by_path, f->path, f);
	}
	*landed = TRUE;
	for (guint i = 0; i < ops->len && *landed; i++) {
		HfhubCommitOp *op = g_ptr_array_index(ops, i);
		HfhubRepoFile *f = g_hash_table_lookup(by_path, op->path);

		switch (op->kind) {
		case HFHUB_COMMIT_ADD_REGULAR:
			/* without the oid nothing can be told: assume not */
			*landed = f != NULL && op->git_oid != NULL && f->lfs_oid == NULL &&
				  g_strcmp0(f->oid, op->git_oid) == 0;
			break;
		case HFHUB_COMMIT_ADD_LFS:
			*landed = f != NULL && g_strcmp0(f->lfs_oid, op->sha256) == 0;
			break;
		case HFHUB_COMMIT_DELETE_FILE:
			*landed = f == NULL;
			break;
		case HFHUB_COMMIT_DELETE_FOLDER:
			break;
		}
	}
	return TRUE;
}

/* regular contents given as bytes: their git oid, for the check above */
static gboolean
fill_git_oids(GPtrArray *ops, GError **error)
{
	for (guint i = 0; i < ops->len; i++) {
		HfhubCommitOp *op = g_ptr_array_index(ops, i);
		g_autoptr(HfhubHasher) hasher = NULL;
		gsize len;
		const guint8 *data;

		if (op->kind != HFHUB_COMMIT_ADD_REGULAR || op->git_oid != NULL ||
		    op->content == NULL)
			continue;
		data = g_bytes_get_data(op->content, &len);
		hasher = hfhub_hasher_new(HFHUB_HASH_GIT_BLOB, len, error);
		if (hasher == NULL)
			return FALSE;
		hfhub_hasher_update(hasher, data, len);
		op->git_oid = hfhub_hasher_finish(hasher);
	}
	return TRUE;
}

/* a pull request opened by a commit whose answer was lost: one that is new
 * since @before and holds the changes */
static HfhubCommitResult *
find_new_pr(const HfhubHubRepo *repo, GHashTable *before, GPtrArray *ops, GCancellable *cancellable,
	    GError **error)
{
	g_autoptr(GHashTable) now = hfhub_upload_list_pr_refs(repo, cancellable, error);
	GHashTableIter iter;
	gpointer key, value;

	if (now == NULL)
		return NULL;
	g_hash_table_iter_init(&iter, now);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		gboolean landed = FALSE;
		HfhubCommitResult *info;

		if (g_hash_table_contains(before, key))
			continue;
		if (!changes_at(repo, value, ops, &landed, cancellable, error))
			return NULL;
		if (!landed)
			continue;
		info = g_new0(HfhubCommitResult, 1);
		info->oid = g_strdup(value);
		info->url = commit_url(repo, info->oid);
		info->pr_revision = g_strdup(key);
		info->pr_url = g_strdup_printf("%s/%s%s/discussions/%s", repo->target.endpoint,
					       hfhub_upload_url_prefix(repo->type), repo->repo_id,
					       (const gchar *)key + strlen("refs/pr/"));
		info->recovered = TRUE;
		return info;
	}
	return NULL;
}

static gchar *
short_oid(const gchar *oid)
{
	return g_strndup(oid != NULL ? oid : "?", 12);
}

HfhubCommitResult *
hfhub_commit_create(const HfhubHubRepo *repo, const gchar *revision, const HfhubCommitRequest *req,
		    GPtrArray *ops, GCancellable *cancellable, GError **error)
{
	g_autofree gchar *rev = hfhub_http_escape(revision, FALSE);
	g_autofree gchar *url = g_strdup_printf("%s/api/%s/%s/commit/%s%s", repo->target.endpoint,
						hfhub_upload_api_type(repo->type), repo->repo_id,
						rev, req->create_pr ? "?create_pr=1" : "");
	g_autofree gchar *key = pace_key(repo);
	g_autofree gchar *parent = g_strdup(req->parent_commit);
	g_autofree gchar *expected = NULL;
	g_autoptr(GHashTable) prs_before = NULL;

	if (!fill_git_oids(ops, error))
		return NULL;
	/* where the branch is before we commit: what "did not move" means */
	if (parent != NULL)
		expected = g_strdup(parent);
	else if (req->expected_head != NULL)
		expected = g_strdup(req->expected_head);
	else
		expected = hfhub_hub_resolve_revision(repo, revision, cancellable, error);
	if (expected == NULL)
		return NULL;
	if (req->create_pr) {
		prs_before = hfhub_upload_list_pr_refs(repo, cancellable, error);
		if (prs_before == NULL)
			return NULL;
	}

	for (guint attempt = 1;; attempt++) {
		g_autoptr(GBytes) body = NULL;
		g_autoptr(GBytes) answer = NULL;
		g_autoptr(GError) error_local = NULL;
		g_autofree gchar *head = NULL;
		gboolean conflict;
		gboolean landed = FALSE;

		if (!pace_wait(repo, req, cancellable, error))
			return NULL;
		body = build_body(req, parent, ops, error);
		if (body == NULL)
			return NULL;
		pace_note(key);
		answer = hfhub_http_upload_fetch(repo->http, &repo->target, "POST", url, NULL, body,
						 "application/x-ndjson", FALSE, NULL, cancellable,
						 &error_local);
		if (answer != NULL)
			return parse_answer(repo, answer, req->create_pr, error);
		if (g_error_matches(error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
		    g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CANCELLED) ||
		    attempt >= MAX_COMMIT_ATTEMPTS) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		/* a 429 is refused before anything happens: wait and send again
		 * (the wait is in the next send, for every caller) */
		if (g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_RATE_LIMITED)) {
			g_debug("commit rate limited: %s", error_local->message);
			continue;
		}
		conflict = g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_CONFLICT);
		if (!conflict && !g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_SERVER) &&
		    !g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_NETWORK)) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_debug("commit on %s: %s; reading the head again", revision, error_local->message);
		if (!hfhub_http_sleep(conflict ? 0 : hfhub_http_backoff_ms(attempt), cancellable,
				      error))
			return NULL;
		if (req->create_pr) {
			HfhubCommitResult *found;
			g_autoptr(GError) find_error = NULL;

			found = find_new_pr(repo, prs_before, ops, cancellable, &find_error);
			if (found != NULL)
				return found;
			if (find_error != NULL) {
				g_propagate_error(error, g_steal_pointer(&find_error));
				return NULL;
			}
			continue; /* no new pull request holds it: it did not land */
		}
		head = hfhub_hub_resolve_revision(repo, revision, cancellable, error);
		if (head == NULL || !changes_at(repo, head, ops, &landed, cancellable, error))
			return NULL;
		if (landed) {
			HfhubCommitResult *info = g_new0(HfhubCommitResult, 1);
			info->oid = g_steal_pointer(&head);
			info->url = commit_url(repo, info->oid);
			info->recovered = TRUE;
			g_debug("the commit is on %s at %s", revision, info->oid);
			return info;
		}
		if (g_str_has_prefix(head, expected))
			continue; /* the branch did not move: it did not land */
		if (!req->allow_head_change) {
			g_autofree gchar *from = short_oid(expected);
			g_autofree gchar *to = short_oid(head);
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CONFLICT,
				    "%s of %s moved from %s to %s while committing, and this "
				    "commit is not on it (%s); nothing was overwritten. Upload "
				    "again on the new head, or allow concurrent changes",
				    revision, repo->repo_id, from, to, error_local->message);
			return NULL;
		}
		g_free(expected);
		expected = g_strdup(head);
		if (parent != NULL) {
			g_free(parent);
			parent = g_strdup(head);
		}
	}
}
