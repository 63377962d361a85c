/* The Hub's read API as the download engine needs it. Synchronous, for
 * worker threads. */
#pragma once

#include "hfhub-enums.h"
#include "hfhub-http.h"
#include "hfhub-hub-parse.h"

G_BEGIN_DECLS

typedef struct {
	HfhubHttp *http;
	HfhubHttpTarget target;
	HfhubRepoType type;
	const gchar *repo_id;
} HfhubHubRepo;

/* GET /api/{type}s/{repo}/revision/{rev} → the commit */
gchar *
hfhub_hub_resolve_revision(const HfhubHubRepo *repo, const gchar *revision,
			   GCancellable *cancellable, GError **error);

/* Every file of the repo at @commit (recursive tree listing, all pages). */
GPtrArray *
hfhub_hub_list_files(const HfhubHubRepo *repo, const gchar *commit, GCancellable *cancellable,
		     GError **error);

/* The files among @paths that exist at @commit (paths-info, 500 a call). */
GPtrArray *
hfhub_hub_paths_info(const HfhubHubRepo *repo, const gchar *commit, const gchar *const *paths,
		     GCancellable *cancellable, GError **error);

/* {endpoint}/{prefix}{repo}/resolve/{commit}/{path} */
gchar *
hfhub_hub_resolve_url(const HfhubHubRepo *repo, const gchar *commit, const gchar *path);

G_END_DECLS
