/* Parsers of the Hub's repository and listing answers (hub-protocol.md §6,
 * §8) into plain structs, and the a{sv} form of those structs that the
 * Repos interface carries.
 *
 * Strict like hfhub-hub-parse.c: a field the Hub documents that comes with
 * the wrong type, a missing required field ("id" of a repo, the 40-hex
 * "oid" of a tree entry, …) or a malformed date is HFHUB_ERROR_BAD_RESPONSE.
 * Unknown fields are ignored. Nothing parsed here is used as a path on disk;
 * the CLI sanitises what it prints. Pure functions, thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* a field that may be absent: -1 */
#define HFHUB_UNKNOWN (-1)

/* one file of a repo info answer ("siblings"; sizes with blobs=true) */
typedef struct {
	gchar *path;
	gint64 size;	/* HFHUB_UNKNOWN without blobs=true */
	gchar *blob_id; /* git blob sha1 (of the pointer for LFS), or NULL */
	gchar *lfs_sha256;
	gint64 lfs_size;
	gint64 lfs_pointer_size;
} HfhubSibling;

/* a repo info answer, or one item of a search answer */
typedef struct {
	gchar *id; /* required */
	gchar *author;
	gchar *sha;
	gint is_private; /* TRUE, FALSE or HFHUB_UNKNOWN */
	gint disabled;
	gchar *gated; /* "false", "auto" or "manual"; NULL when absent */
	gchar *last_modified;
	gchar *created_at;
	gint64 downloads;
	gint64 likes;
	gint64 used_storage;
	gdouble trending_score;
	gboolean has_trending_score;
	gchar *library_name;
	gchar *pipeline_tag;
	gchar *sdk;
	gchar **tags;	     /* NULL when absent */
	GVariant *card_data; /* a{sv}, NULL when absent */
	GPtrArray *siblings; /* HfhubSibling, NULL when absent */
} HfhubRepoInfo;

/* one entry of a tree listing */
typedef struct {
	gchar *type; /* "file", "directory" (or what else the Hub says) */
	gchar *path;
	guint64 size;
	gchar *oid;
	gchar *lfs_sha256; /* NULL for regular files and directories */
	guint64 lfs_size;
	guint64 lfs_pointer_size;
} HfhubTreeEntry;

typedef struct {
	gchar *name;
	gchar *ref;
	gchar *target_commit;
} HfhubGitRef;

/* each array of HfhubGitRef; pull_requests NULL unless asked for */
typedef struct {
	GPtrArray *branches;
	GPtrArray *converts;
	GPtrArray *tags;
	GPtrArray *pull_requests;
} HfhubGitRefs;

typedef struct {
	gchar *id;
	gchar *title;
	gchar *message;
	gchar *date;
	gchar **authors;
} HfhubCommitInfo;

/* the answer to POST /api/repos/create */
typedef struct {
	gchar *url;
	gchar *name; /* "ns/name" when the Hub says it, else NULL */
} HfhubCreatedRepo;

void
hfhub_repo_info_free(HfhubRepoInfo *info);
void
hfhub_tree_entry_free(HfhubTreeEntry *entry);
void
hfhub_git_refs_free(HfhubGitRefs *refs);
void
hfhub_commit_info_free(HfhubCommitInfo *commit);
void
hfhub_created_repo_free(HfhubCreatedRepo *created);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubRepoInfo, hfhub_repo_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubTreeEntry, hfhub_tree_entry_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubGitRefs, hfhub_git_refs_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCommitInfo, hfhub_commit_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubCreatedRepo, hfhub_created_repo_free)

/* GET /api/{Ts}/{repo}[/revision/{rev}] */
HfhubRepoInfo *
hfhub_parse_repo_info(const gchar *data, gsize len, GError **error);

/* One page of GET /api/{Ts} (a search): appends HfhubRepoInfo to @repos. */
gboolean
hfhub_parse_repo_list(const gchar *data, gsize len, GPtrArray *repos, GError **error);

/* One page of a tree listing: appends HfhubTreeEntry (files and folders). */
gboolean
hfhub_parse_tree_page(const gchar *data, gsize len, GPtrArray *entries, GError **error);

/* GET /api/{Ts}/{repo}/refs: "branches", "converts" and "tags" are
 * required, "pullRequests" only when @with_prs. */
HfhubGitRefs *
hfhub_parse_git_refs(const gchar *data, gsize len, gboolean with_prs, GError **error);

/* One page of GET /api/{Ts}/{repo}/commits/{rev}: appends HfhubCommitInfo. */
gboolean
hfhub_parse_commit_page(const gchar *data, gsize len, GPtrArray *commits, GError **error);

HfhubCreatedRepo *
hfhub_parse_created_repo(const gchar *data, gsize len, GError **error);

/* auth.accessToken.role of a whoami-v2 answer ("read", "write",
 * "fineGrained"), NULL when the answer has none (an OAuth token). */
gchar *
hfhub_parse_whoami_role(const gchar *data, gsize len, GError **error);

/* "YYYY-MM-DDTHH:MM:SS[.frac]Z" as the Hub writes it (§1.8) */
gboolean
hfhub_hub_date_is_valid(const gchar *date);

/* The a{sv} forms (floating references); keys are documented in
 * dbus/README.md. */
GVariant *
hfhub_repo_info_to_variant(const HfhubRepoInfo *info);
GVariant *
hfhub_tree_entry_to_variant(const HfhubTreeEntry *entry);
/* a{sv}: "branches", "converts", "tags" (and "pull-requests"), each aa{sv} */
GVariant *
hfhub_git_refs_to_variant(const HfhubGitRefs *refs);
GVariant *
hfhub_commit_info_to_variant(const HfhubCommitInfo *commit);

G_END_DECLS
