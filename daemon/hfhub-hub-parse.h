/* Parsers of the Hub's JSON answers into plain structs. Strict: a wrong
 * type or a missing required field is HFHUB_ERROR_BAD_RESPONSE; nothing
 * from here is trusted as a path (see hfhub-repo-path.h). Fuzzed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* one file of a repo at a commit */
typedef struct {
	gchar *path;
	guint64 size;
	gchar *oid;	/* git blob sha1 (of the pointer file for LFS) */
	gchar *lfs_oid; /* sha256 of the content, NULL for regular files */
} HfhubRepoFile;

void
hfhub_repo_file_free(HfhubRepoFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubRepoFile, hfhub_repo_file_free)

/* the name of the file's blob in the cache: sha256 for LFS, else the git
 * blob sha1 (what the Hub sends as ETag) */
const gchar *
hfhub_repo_file_etag(const HfhubRepoFile *file);

/* "sha" of a repo info / revision answer */
gchar *
hfhub_parse_revision_sha(const gchar *data, gsize len, GError **error);

/* Appends the "file" entries of a tree or paths-info array to @files
 * (element type HfhubRepoFile); directories are skipped. */
gboolean
hfhub_parse_tree_entries(const gchar *data, gsize len, GPtrArray *files, GError **error);

/* The rel="next" URL of a Link header, or NULL. */
gchar *
hfhub_parse_link_next(const gchar *link);

G_END_DECLS
