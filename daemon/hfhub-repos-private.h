/* What hfhub-repos.c (checks, dispatch, the offline store; main thread)
 * and hfhub-repos-hub.c (the HTTP work; worker threads) share. */
#pragma once

#include "hfhub-repos.h"
#include "hfhub-secrets.h"

G_BEGIN_DECLS

/* One call, checked and completed on the main thread; then read by the
 * worker, which only writes @commit. */
typedef struct {
	HfhubReposOp op;
	HfhubRepoType type;
	gchar *repo_id;
	gchar *revision;
	gchar *name;
	GVariant *options; /* a{sv}, never NULL */
	gchar *endpoint;
	HfhubToken *token;
	gboolean offline;
	HfhubHttp *http;
	gchar *what;   /* “model “org/name””, for messages */
	gchar *commit; /* set by the worker: what the revision resolved to */
} HfhubReposRequest;

/* Does @req's HTTP work (worker thread): the a{sv} answer (floating), or
 * an HFHUB_ERROR; a 403 says the role of the token used. */
GVariant *
hfhub_repos_hub_run(HfhubReposRequest *req, GCancellable *cancellable, GError **error);

/* "models", "datasets", "spaces" */
const gchar *
hfhub_repos_api_type(HfhubRepoType type);

/* @base (a{sv}) with the entries of @extra added (consumes @extra) */
GVariant *
hfhub_repos_dict_merge(GVariant *base, GVariantDict *extra);

static inline const gchar *
hfhub_repos_option_string(HfhubReposRequest *req, const gchar *key)
{
	const gchar *value = NULL;

	g_variant_lookup(req->options, key, "&s", &value);
	return value;
}

static inline gboolean
hfhub_repos_option_bool(HfhubReposRequest *req, const gchar *key)
{
	gboolean value = FALSE;

	g_variant_lookup(req->options, key, "b", &value);
	return value;
}

G_END_DECLS
