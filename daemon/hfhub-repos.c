/* HfhubRepos: the Hub's repository and listing API (see hfhub-repos.h).
 *
 * A call is a request: checked and completed (token, endpoint, offline) on
 * the main thread, then handed to a worker thread that does the HTTP work
 * (hfhub-repos-hub.c), then back on the main thread where answers worth
 * keeping go into the store and failures to reach the Hub fall back to what
 * the store has. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubRepos"

#include "hfhub-repos.h"

#include <string.h>

#include "hfhub-error.h"
#include "hfhub-repo-path.h"
#include "hfhub-repos-private.h"

struct _HfhubRepos {
	GObject parent_instance;
	HfhubEngine *engine;
};

G_DEFINE_FINAL_TYPE(HfhubRepos, hfhub_repos, G_TYPE_OBJECT)

static void
request_free(HfhubReposRequest *req)
{
	g_free(req->repo_id);
	g_free(req->revision);
	g_free(req->name);
	g_clear_pointer(&req->options, g_variant_unref);
	g_free(req->endpoint);
	hfhub_secrets_free(req->token);
	g_clear_object(&req->http);
	g_free(req->what);
	g_free(req->commit);
	g_free(req);
}

/* ---- what each op takes */

typedef enum {
	NEEDS_REPO = 1 << 0,
	NEEDS_REVISION = 1 << 1, /* "" means main */
	NAME_IS_REF = 1 << 2,	 /* branch or tag name */
	NAME_IS_REPO = 1 << 3,	 /* the destination of a move */
	KEPT = 1 << 4,		 /* answers kept in the store for offline use */
	WRITES = 1 << 5,
} OpFlags;

/* offline is accepted everywhere: a call that needs the Hub then fails
 * with Offline, as huggingface_hub refuses requests in offline mode */
/* clang-format off */
#define COMMON_OPTIONS { "endpoint", "s" }, { "identity", "s" }, { "offline", "b" }
/* clang-format on */

static const HfhubOptionSpec info_options[] = { COMMON_OPTIONS, { NULL } };
static const HfhubOptionSpec files_options[] = {
	COMMON_OPTIONS, { "path", "s" }, { "recursive", "b" }, { NULL }
};
static const HfhubOptionSpec refs_options[] = { COMMON_OPTIONS, { "include-prs", "b" }, { NULL } };
static const HfhubOptionSpec commits_options[] = { COMMON_OPTIONS, { "limit", "u" }, { NULL } };
static const HfhubOptionSpec search_options[] = { COMMON_OPTIONS,    { "search", "s" },
						  { "author", "s" }, { "filter", "as" },
						  { "sort", "s" },   { "direction", "i" },
						  { "limit", "u" },  { NULL } };
static const HfhubOptionSpec create_options[] = {
	COMMON_OPTIONS, { "private", "b" }, { "exist-ok", "b" }, { "space-sdk", "s" }, { NULL }
};
static const HfhubOptionSpec delete_options[] = { COMMON_OPTIONS, { "missing-ok", "b" }, { NULL } };
static const HfhubOptionSpec settings_options[] = {
	COMMON_OPTIONS, { "private", "b" }, { "gated", "s" }, { NULL }
};
static const HfhubOptionSpec common_options[] = { COMMON_OPTIONS, { NULL } };
static const HfhubOptionSpec branch_options[] = {
	COMMON_OPTIONS, { "revision", "s" }, { "exist-ok", "b" }, { NULL }
};
static const HfhubOptionSpec tag_options[] = {
	COMMON_OPTIONS, { "revision", "s" }, { "message", "s" }, { "exist-ok", "b" }, { NULL }
};

static const struct {
	const HfhubOptionSpec *options;
	OpFlags flags;
	const gchar *kept_as; /* the store's "what" */
} ops[] = {
	[HFHUB_REPOS_OP_INFO] = { info_options, NEEDS_REPO | NEEDS_REVISION | KEPT, "info" },
	[HFHUB_REPOS_OP_FILES] = { files_options, NEEDS_REPO | NEEDS_REVISION | KEPT, "tree" },
	[HFHUB_REPOS_OP_REFS] = { refs_options, NEEDS_REPO | KEPT, "refs" },
	[HFHUB_REPOS_OP_COMMITS] = { commits_options, NEEDS_REPO | NEEDS_REVISION },
	[HFHUB_REPOS_OP_SEARCH] = { search_options, 0 },
	[HFHUB_REPOS_OP_CREATE] = { create_options, NEEDS_REPO | WRITES },
	[HFHUB_REPOS_OP_DELETE] = { delete_options, NEEDS_REPO | WRITES },
	[HFHUB_REPOS_OP_SETTINGS] = { settings_options, NEEDS_REPO | WRITES },
	[HFHUB_REPOS_OP_MOVE] = { common_options, NEEDS_REPO | NAME_IS_REPO | WRITES },
	[HFHUB_REPOS_OP_BRANCH_CREATE] = { branch_options, NEEDS_REPO | NAME_IS_REF | WRITES },
	[HFHUB_REPOS_OP_BRANCH_DELETE] = { common_options, NEEDS_REPO | NAME_IS_REF | WRITES },
	[HFHUB_REPOS_OP_TAG_CREATE] = { tag_options, NEEDS_REPO | NAME_IS_REF | WRITES },
	[HFHUB_REPOS_OP_TAG_DELETE] = { common_options, NEEDS_REPO | NAME_IS_REF | WRITES },
};
G_STATIC_ASSERT(G_N_ELEMENTS(ops) == HFHUB_REPOS_OP_LAST);

static void
work_thread(GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
	HfhubReposRequest *req = task_data;
	GError *error = NULL;
	GVariant *answer = hfhub_repos_hub_run(req, cancellable, &error);

	if (answer == NULL) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_pointer(task, g_variant_ref_sink(answer), (GDestroyNotify)g_variant_unref);
}

/* ---- answers kept in the store (main thread only) */

/* the store's "what" of a request: its call and the parameters that change
 * the answer */
static gchar *
kept_what(HfhubReposRequest *req)
{
	if (req->op == HFHUB_REPOS_OP_FILES) {
		const gchar *path = hfhub_repos_option_string(req, "path");
		return g_strdup_printf(
			"tree%s:%s", hfhub_repos_option_bool(req, "recursive") ? "-recursive" : "",
			path != NULL ? path : "");
	}
	if (req->op == HFHUB_REPOS_OP_REFS && hfhub_repos_option_bool(req, "include-prs"))
		return g_strdup("refs+prs");
	return g_strdup(ops[req->op].kept_as);
}

static GVariant *
kept_lookup(HfhubRepos *self, HfhubReposRequest *req, const gchar *revision, gint64 *fetched)
{
	g_autofree gchar *what = kept_what(req);
	HfhubStoreAnswerKey key = { req->endpoint, hfhub_repo_type_to_string(req->type),
				    req->repo_id, what, revision };
	g_autoptr(GError) error = NULL;
	GVariant *answer =
		hfhub_store_get_answer(hfhub_engine_get_store(self->engine), &key, fetched, &error);

	if (error != NULL)
		g_warning("cannot read a kept answer: %s", error->message);
	return answer;
}

static void
kept_put(HfhubRepos *self, HfhubReposRequest *req, const gchar *revision, GVariant *answer,
	 gint64 now)
{
	g_autofree gchar *what = kept_what(req);
	HfhubStoreAnswerKey key = { req->endpoint, hfhub_repo_type_to_string(req->type),
				    req->repo_id, what, revision };
	g_autoptr(GError) error = NULL;

	/* not worth failing the call for: it is only the offline copy */
	if (!hfhub_store_put_answer(hfhub_engine_get_store(self->engine), &key, answer, now,
				    &error))
		g_warning("cannot keep the answer for offline use: %s", error->message);
}

/* the revision a kept answer is filed under ("" for refs) */
static const gchar *
kept_revision(HfhubReposRequest *req)
{
	return (ops[req->op].flags & NEEDS_REVISION) != 0 ? req->revision : "";
}

static gint64
now_seconds(void)
{
	return g_get_real_time() / G_USEC_PER_SEC;
}

/* @answer with "fetched", "age", "cached", "stale" (and why); @now is the
 * caller's, read once: a fresh answer is 0 s old even when keeping it took
 * the clock past a second */
static GVariant *
mark_answer(GVariant *answer, gint64 fetched, gint64 now, gboolean cached,
	    const gchar *stale_reason, const gchar *hub_error)
{
	g_auto(GVariantDict) extra = G_VARIANT_DICT_INIT(NULL);
	g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(fetched);
	gint64 age = now - fetched;

	if (dt != NULL)
		g_variant_dict_insert_value(
			&extra, "fetched",
			g_variant_new_take_string(g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ")));
	g_variant_dict_insert(&extra, "age", "x", MAX(age, 0));
	g_variant_dict_insert(&extra, "cached", "b", cached);
	g_variant_dict_insert(&extra, "stale", "b", stale_reason != NULL);
	if (stale_reason != NULL)
		g_variant_dict_insert(&extra, "stale-reason", "s", stale_reason);
	if (hub_error != NULL)
		g_variant_dict_insert(&extra, "hub-error", "s", hub_error);
	return g_variant_ref_sink(hfhub_repos_dict_merge(answer, &extra));
}

static gboolean
hub_unreachable(const GError *error)
{
	return g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_NETWORK) ||
	       g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_SERVER);
}

static void
work_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) outer = user_data;
	HfhubRepos *self = HFHUB_REPOS(source);
	HfhubReposRequest *req = g_task_get_task_data(outer);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) answer = g_task_propagate_pointer(G_TASK(res), &error);
	gint64 now = now_seconds();
	gint64 fetched = 0;
	gboolean gone = FALSE;

	if (answer != NULL && (ops[req->op].flags & KEPT) != 0) {
		kept_put(self, req, kept_revision(req), answer, now);
		/* the same answer at its commit: later asked for by hash */
		if (req->commit != NULL && g_strcmp0(req->commit, req->revision) != 0)
			kept_put(self, req, req->commit, answer, now);
		g_task_return_pointer(outer, mark_answer(answer, now, now, FALSE, NULL, NULL),
				      (GDestroyNotify)g_variant_unref);
		return;
	}
	if (answer != NULL) {
		/* a repo that is gone or renamed has no offline answers any more */
		if ((req->op == HFHUB_REPOS_OP_DELETE &&
		     g_variant_lookup(answer, "deleted", "b", &gone) && gone) ||
		    req->op == HFHUB_REPOS_OP_MOVE) {
			g_autoptr(GError) error_store = NULL;
			if (!hfhub_store_forget_answers(hfhub_engine_get_store(self->engine),
							req->endpoint,
							hfhub_repo_type_to_string(req->type),
							req->repo_id, &error_store))
				g_warning("%s", error_store->message);
		}
		g_task_return_pointer(outer, g_steal_pointer(&answer),
				      (GDestroyNotify)g_variant_unref);
		return;
	}
	if ((ops[req->op].flags & KEPT) != 0 && hub_unreachable(error)) {
		g_autoptr(GVariant) kept = kept_lookup(self, req, kept_revision(req), &fetched);
		if (kept != NULL) {
			g_debug("serving the kept answer: %s", error->message);
			g_task_return_pointer(outer,
					      mark_answer(kept, fetched, now, TRUE, "unreachable",
							  error->message),
					      (GDestroyNotify)g_variant_unref);
			return;
		}
	}
	g_task_return_error(outer, g_steal_pointer(&error));
}

/* ---- checking a request (main thread) */

static gboolean
check_endpoint(const gchar *endpoint, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(endpoint, G_URI_FLAGS_NONE, NULL);

	if (uri == NULL || g_uri_get_host(uri) == NULL ||
	    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the endpoint must be an http(s) URL, not “%s”", endpoint);
		return FALSE;
	}
	return TRUE;
}

/* @value is escaped: it may be anything a client sent */
static gboolean
invalid(GError **error, const gchar *what, const gchar *value, const gchar *rule)
{
	g_autofree gchar *shown = hfhub_path_escape_for_message(value);

	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT, "%s “%s”: %s", what, shown,
		    rule);
	return FALSE;
}

/* what the option keys cannot say by their type alone */
static gboolean
check_option_values(HfhubReposRequest *req, GError **error)
{
	const gchar *s;
	guint limit;
	gint32 direction;
	gboolean b;

	if (g_variant_lookup(req->options, "limit", "u", &limit) &&
	    (limit < 1 || limit > HFHUB_REPOS_MAX_LIMIT)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the limit must be between 1 and %u, not %u", HFHUB_REPOS_MAX_LIMIT,
			    limit);
		return FALSE;
	}
	if (g_variant_lookup(req->options, "direction", "i", &direction) && direction != 1 &&
	    direction != -1) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the direction must be -1 (descending) or 1 (ascending), not %d",
			    direction);
		return FALSE;
	}
	s = hfhub_repos_option_string(req, "space-sdk");
	if (req->op == HFHUB_REPOS_OP_CREATE && req->type == HFHUB_REPO_TYPE_SPACE && s == NULL) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "a Space needs an SDK: gradio, streamlit, docker or static");
		return FALSE;
	}
	if (s != NULL && req->type != HFHUB_REPO_TYPE_SPACE)
		return invalid(error, "Space SDK", s, "only Spaces have an SDK");
	if (s != NULL &&
	    !g_strv_contains(
		    (const gchar *const[]){ "gradio", "streamlit", "docker", "static", NULL }, s))
		return invalid(error, "unknown Space SDK", s,
			       "use gradio, streamlit, docker or static");
	s = hfhub_repos_option_string(req, "gated");
	if (s != NULL &&
	    !g_strv_contains((const gchar *const[]){ "auto", "manual", "false", NULL }, s))
		return invalid(error, "unknown gating", s, "use auto, manual or false");
	if (req->op == HFHUB_REPOS_OP_SETTINGS && s == NULL &&
	    !g_variant_lookup(req->options, "private", "b", &b)) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "nothing to change: give “private” or “gated”");
		return FALSE;
	}
	s = hfhub_repos_option_string(req, "path");
	if (s != NULL && *s != '\0' && !hfhub_repo_file_path_validate(s, error)) {
		(*error)->code = HFHUB_ERROR_INVALID_ARGUMENT;
		return FALSE;
	}
	s = hfhub_repos_option_string(req, "revision");
	if (s != NULL && !hfhub_revision_validate(s, error))
		return FALSE;
	return TRUE;
}

static gboolean
request_prepare(HfhubRepos *self, HfhubReposRequest *req, const gchar *repo_type,
		const gchar *repo_id, const gchar *revision, const gchar *name, GError **error)
{
	HfhubConfig *config = hfhub_engine_get_config(self->engine);
	OpFlags flags = ops[req->op].flags;
	const gchar *endpoint = NULL;
	const gchar *identity = NULL;
	gboolean offline = FALSE;
	g_autoptr(GError) error_token = NULL;

	if (!hfhub_repo_type_from_string(repo_type, &req->type))
		return invalid(error, "unknown repo type", repo_type,
			       "use model, dataset or space");
	if ((flags & NEEDS_REPO) != 0) {
		if (!hfhub_repo_id_validate(repo_id, error))
			return FALSE;
		req->repo_id = g_strdup(repo_id);
		req->what =
			g_strdup_printf("%s “%s”", hfhub_repo_type_to_string(req->type), repo_id);
	} else {
		req->what = g_strdup_printf("the search of %s", hfhub_repos_api_type(req->type));
	}
	if ((flags & NEEDS_REVISION) != 0) {
		req->revision = g_strdup(revision != NULL && *revision != '\0' ? revision : "main");
		if (!hfhub_revision_validate(req->revision, error))
			return FALSE;
	}
	if ((flags & NAME_IS_REF) != 0 && !hfhub_revision_validate(name, error))
		return FALSE;
	if ((flags & NAME_IS_REPO) != 0 && !hfhub_repo_id_validate(name, error))
		return FALSE;
	req->name = g_strdup(name);
	if (!hfhub_options_validate(req->options, ops[req->op].options, error) ||
	    !check_option_values(req, error))
		return FALSE;

	g_variant_lookup(req->options, "endpoint", "&s", &endpoint);
	req->endpoint = g_strdup(endpoint != NULL ? endpoint : hfhub_config_get_endpoint(config));
	while (g_str_has_suffix(req->endpoint, "/"))
		req->endpoint[strlen(req->endpoint) - 1] = '\0';
	if (!check_endpoint(req->endpoint, error))
		return FALSE;
	offline = hfhub_config_get_offline(config);
	g_variant_lookup(req->options, "offline", "b", &offline);
	req->offline = offline;
	/* writes need the token; reads of kept answers offline do not, so a
	 * locked keyring does not stop them */
	g_variant_lookup(req->options, "identity", "&s", &identity);
	req->token = hfhub_engine_dup_token(self->engine, identity, req->endpoint, &error_token);
	if (error_token != NULL && !(req->offline && (flags & KEPT) != 0)) {
		g_propagate_error(error, g_steal_pointer(&error_token));
		return FALSE;
	}
	if (req->offline && (flags & KEPT) == 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_OFFLINE,
			    "offline: %s needs the Hub (HF_HUB_OFFLINE or the “offline” setting "
			    "is on)",
			    req->what);
		return FALSE;
	}
	req->http = g_object_ref(hfhub_engine_get_http(self->engine));
	return TRUE;
}

void
hfhub_repos_call_async(HfhubRepos *self, HfhubReposOp op, const gchar *repo_type,
		       const gchar *repo_id, const gchar *revision, const gchar *name,
		       GVariant *options, GCancellable *cancellable, GAsyncReadyCallback callback,
		       gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	g_autoptr(GTask) work = NULL;
	HfhubReposRequest *req;
	GError *error = NULL;
	gint64 fetched = 0;

	g_return_if_fail(HFHUB_IS_REPOS(self));
	g_return_if_fail(op < HFHUB_REPOS_OP_LAST);

	task = g_task_new(self, cancellable, callback, user_data);
	req = g_new0(HfhubReposRequest, 1);
	g_task_set_source_tag(task, hfhub_repos_call_async);
	req->op = op;
	req->options =
		options != NULL
			? g_variant_ref_sink(options)
			: g_variant_ref_sink(g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0));
	g_task_set_task_data(task, req, (GDestroyNotify)request_free);
	if (!request_prepare(self, req, repo_type, repo_id, revision, name, &error)) {
		g_task_return_error(task, error);
		return;
	}
	if ((ops[op].flags & KEPT) != 0 &&
	    (req->offline || (req->revision != NULL && hfhub_is_commit_hash(req->revision)))) {
		g_autoptr(GVariant) kept = kept_lookup(self, req, kept_revision(req), &fetched);

		/* a commit never changes: its kept answer needs no network */
		if (kept != NULL) {
			g_task_return_pointer(task,
					      mark_answer(kept, fetched, now_seconds(), TRUE,
							  req->offline ? "offline" : NULL, NULL),
					      (GDestroyNotify)g_variant_unref);
			return;
		}
		if (req->offline) {
			g_task_return_new_error(
				task, HFHUB_ERROR, HFHUB_ERROR_OFFLINE,
				"offline, and hfhubd has never fetched %s%s%s to answer from",
				req->what, req->revision != NULL ? " at " : "",
				req->revision != NULL ? req->revision : "");
			return;
		}
	}
	work = g_task_new(self, cancellable, work_done_cb, g_object_ref(task));
	g_task_set_task_data(work, req, NULL);
	g_task_run_in_thread(work, work_thread);
}

GVariant *
hfhub_repos_call_finish(HfhubRepos *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(res, self), NULL);
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* ---- GObject */

static void
hfhub_repos_dispose(GObject *object)
{
	HfhubRepos *self = HFHUB_REPOS(object);

	g_clear_object(&self->engine);
	G_OBJECT_CLASS(hfhub_repos_parent_class)->dispose(object);
}

static void
hfhub_repos_class_init(HfhubReposClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_repos_dispose;
}

static void
hfhub_repos_init(HfhubRepos *self)
{
}

HfhubRepos *
hfhub_repos_new(HfhubEngine *engine)
{
	HfhubRepos *self = g_object_new(HFHUB_TYPE_REPOS, NULL);

	self->engine = g_object_ref(engine);
	return self;
}
