/* allow_patterns / ignore_patterns as huggingface_hub's filter_repo_objects
 * applies them to the paths of a snapshot.
 *
 * Matching is Python's fnmatch.fnmatchcase, reimplemented on Unicode code
 * points (GPatternSpec has no [seq]):
 *   *       any run of characters, "/" included ("*.json" matches "a/b.json")
 *   ?       exactly one character
 *   [seq]   one character of seq; ranges "a-z"; "!" first negates; "]" first
 *           is a member; "-" first or last is a member; a reversed range
 *           ("z-a") matches nothing, as in Python
 *   [       without a closing "]" is a literal "["
 * There is no escape character. Case-sensitive. Before matching, "\" becomes
 * "/" in patterns and paths, and a pattern ending with "/" gets a "*"
 * ("sub/" selects everything below sub). Pure functions, thread-safe. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @path matches at least one @include pattern (NULL or empty means
 * everything) and no @exclude pattern.
 *
 * Unlike Python, where allow_patterns=[] selects nothing, an empty @include
 * selects everything: a D-Bus "as" cannot tell "not given" from "empty". */
gboolean
hfhub_filter_match(const gchar *path, const gchar *const *include, const gchar *const *exclude);

/* fnmatch.fnmatchcase(@path, @pattern) with the rules above, without the
 * trailing-"/" and backslash adjustments of hfhub_filter_match(). */
gboolean
hfhub_fnmatch(const gchar *pattern, const gchar *path);

/* Python accepts any string as a pattern (an unterminated "[" is a literal), so
 * this only refuses what is certainly a mistake: an empty pattern (it matches
 * no file, so as an allow pattern it would silently select nothing) and
 * invalid UTF-8. NULL is a valid empty list. HFHUB_ERROR_INVALID_ARGUMENT. */
gboolean
hfhub_filter_validate_patterns(const gchar *const *patterns, GError **error);

G_END_DECLS
