/* Validation of the names that become paths on disk: repo ids, revisions,
 * etags and file paths in a repo, plus the cache's repo folder name.
 *
 * Everything a server (or a user) sends is checked here before it is joined
 * onto a directory: a hostile name must not escape the cache or the local
 * dir, nor put control characters on a terminal. Pure functions, thread-safe. */
#pragma once

#include <glib.h>

#include "hfhub-enums.h"

G_BEGIN_DECLS

/* limits for a path inside a repo (bytes) */
#define HFHUB_REPO_PATH_MAX    4096
#define HFHUB_REPO_SEGMENT_MAX 255
/* limits for a revision and an etag (bytes); the etag limit keeps
 * "<b64>.<etag>.<8 hex>.incomplete" under NAME_MAX */
#define HFHUB_REVISION_MAX 256
#define HFHUB_ETAG_MAX	   200

/* "name" or "namespace/name": each part 1–96 of [A-Za-z0-9_.-], starting and
 * ending with [A-Za-z0-9_]; no "--" or ".."; not ending with ".git" (as
 * huggingface_hub's validate_repo_id). HFHUB_ERROR_INVALID_ARGUMENT saying what
 * is wrong. */
gboolean
hfhub_repo_id_validate(const gchar *repo_id, GError **error);

/* A branch, tag, commit or "refs/pr/N"-style ref: 1–256 bytes of UTF-8, git's
 * cheap ref rules (no control characters, space, ~^:?*[\, "..", "@{", segment
 * starting with "." or ending with ".lock", no empty segment, no leading or
 * trailing "/"). HFHUB_ERROR_INVALID_ARGUMENT. */
gboolean
hfhub_revision_validate(const gchar *revision, GError **error);

/* A file path inside a repo, before it touches the disk: relative, "/"
 * separated, valid UTF-8, no "", "." or ".." segment, no backslash, no control
 * character, no trailing "/", at most HFHUB_REPO_PATH_MAX bytes with segments of
 * at most HFHUB_REPO_SEGMENT_MAX. Spaces and any other Unicode are fine.
 * HFHUB_ERROR_UNSAFE_PATH naming the (escaped) path. */
gboolean
hfhub_repo_file_path_validate(const gchar *path, GError **error);

/* An etag becomes a file name (blobs/<etag>): refuse what is not a safe single
 * segment (empty, ".", "..", "/", "\", control characters, over
 * HFHUB_ETAG_MAX). The Hub sends hex; other servers may send anything else
 * that is safe. HFHUB_ERROR_UNSAFE_PATH. */
gboolean
hfhub_etag_validate(const gchar *etag, GError **error);

/* 40 lowercase hex digits: what the clients treat as a commit (not a branch). */
gboolean
hfhub_is_commit_hash(const gchar *s);

/* "models--org--name", "datasets--name", "spaces--org--name". */
gchar *
hfhub_repo_folder_name(HfhubRepoType type, const gchar *repo_id);

/* Defence in depth once a validated relative path was joined onto @root:
 * realpath() of the deepest existing ancestor of @path must be @root's
 * realpath or below it, so that a symlinked directory cannot lead a write
 * outside the tree. A @root that does not exist yet is fine (nothing below it
 * can be a symlink). HFHUB_ERROR_UNSAFE_PATH, or HFHUB_ERROR_IO when the
 * checks themselves fail. */
gboolean
hfhub_path_check_inside(const gchar *root, const gchar *path, GError **error);

/* @s escaped for an error message (g_strescape, cut at 256 bytes). */
gchar *
hfhub_path_escape_for_message(const gchar *s);

G_END_DECLS
