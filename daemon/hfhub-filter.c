/* fnmatch.fnmatchcase and filter_repo_objects: see hfhub-filter.h.
 *
 * A pattern is compiled into tokens (literal, "?", "*", set) and matched with
 * the classic single-backtrack wildcard loop, which is exact here because
 * every token but "*" consumes exactly one character and "*" matches
 * anything: O(len(pattern) × len(path)) at worst, never exponential. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubFilter"

#include <string.h>

#include "hfhub-error.h"
#include "hfhub-filter.h"

typedef enum {
	TOKEN_LITERAL,
	TOKEN_ANY,
	TOKEN_STAR,
	TOKEN_SET,
} TokenKind;

typedef struct {
	gunichar lo;
	gunichar hi;
} Range;

typedef struct {
	TokenKind kind;
	gunichar c;	   /* TOKEN_LITERAL */
	gboolean negated;  /* TOKEN_SET */
	guint first_range; /* TOKEN_SET: index into Pattern.ranges */
	guint n_ranges;
} Token;

typedef struct {
	GArray *tokens; /* Token */
	GArray *ranges; /* Range */
} Pattern;

static void
pattern_clear(Pattern *pattern)
{
	g_clear_pointer(&pattern->tokens, g_array_unref);
	g_clear_pointer(&pattern->ranges, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Pattern, pattern_clear)

/* Code points of @s with "\" turned into "/". Invalid UTF-8 (not expected:
 * paths and patterns were validated) is taken byte by byte. */
static gunichar *
decode(const gchar *s, glong *len)
{
	gunichar *out;
	glong n;

	if (g_utf8_validate(s, -1, NULL)) {
		out = g_utf8_to_ucs4_fast(s, -1, &n);
	} else {
		n = (glong)strlen(s);
		out = g_new(gunichar, n + 1);
		for (glong i = 0; i < n; i++)
			out[i] = (guchar)s[i];
		out[n] = 0;
	}
	for (glong i = 0; i < n; i++) {
		if (out[i] == '\\')
			out[i] = '/';
	}
	*len = n;
	return out;
}

static void
add_token(Pattern *pattern, TokenKind kind, gunichar c)
{
	Token token = { .kind = kind, .c = c };

	g_array_append_val(pattern->tokens, token);
}

static GArray *
chunk_new(const gunichar *start, gsize len)
{
	GArray *chunk = g_array_sized_new(FALSE, FALSE, sizeof(gunichar), len + 1);

	g_array_append_vals(chunk, start, len);
	return chunk;
}

static gunichar
chunk_first(GArray *chunk)
{
	return g_array_index(chunk, gunichar, 0);
}

static gunichar
chunk_last(GArray *chunk)
{
	return g_array_index(chunk, gunichar, chunk->len - 1);
}

/* Python's fnmatch splits a set with "-" into chunks at the range dashes:
 * the search for the next dash skips the character after a range, so in
 * "a-b-c" only the first "-" makes a range and the second is a member. */
static GPtrArray *
split_set_chunks(const gunichar *pat, gsize i, gsize j)
{
	GPtrArray *chunks = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
	gsize start = i;
	gsize k = pat[i] == '!' ? i + 2 : i + 1;

	while (TRUE) {
		while (k < j && pat[k] != '-')
			k++;
		if (k >= j)
			break;
		g_ptr_array_add(chunks, chunk_new(pat + start, k - start));
		start = k + 1;
		k += 3;
	}
	if (start < j) {
		g_ptr_array_add(chunks, chunk_new(pat + start, j - start));
	} else {
		gunichar dash = '-';

		g_array_append_val((GArray *)g_ptr_array_index(chunks, chunks->len - 1), dash);
	}
	return chunks;
}

/* A reversed range ("z-a") is dropped with both its ends, as Python does
 * before handing the set to re. */
static void
drop_empty_ranges(GPtrArray *chunks)
{
	for (guint k = chunks->len - 1; k > 0; k--) {
		GArray *prev = g_ptr_array_index(chunks, k - 1);
		GArray *cur = g_ptr_array_index(chunks, k);

		if (prev->len == 0 || cur->len == 0 || chunk_last(prev) <= chunk_first(cur))
			continue;
		g_array_set_size(prev, prev->len - 1);
		g_array_append_vals(prev, (gunichar *)(gpointer)cur->data + 1, cur->len - 1);
		g_ptr_array_remove_index(chunks, k);
	}
}

static void
add_range(Pattern *pattern, Token *token, gunichar lo, gunichar hi)
{
	Range range = { lo, hi };

	g_array_append_val(pattern->ranges, range);
	token->n_ranges++;
}

/* Every character of every chunk is a member; consecutive chunks are joined
 * by a range from the last character of one to the first of the next.
 * Python decides negation on the merged set, so a "!" that a dropped range
 * brought to the front negates too ("[z-a!b]" is "[^b]"), and a "-" right
 * after that "!" is then a member, not a range. */
static void
add_set_token(Pattern *pattern, GPtrArray *chunks)
{
	Token token = { .kind = TOKEN_SET };
	GArray *first = g_ptr_array_index(chunks, 0);

	token.first_range = pattern->ranges->len;
	token.negated = first->len > 0 && chunk_first(first) == '!';
	if (token.negated)
		g_array_remove_index(first, 0);
	for (guint k = 0; k < chunks->len; k++) {
		GArray *chunk = g_ptr_array_index(chunks, k);
		GArray *prev = k > 0 ? g_ptr_array_index(chunks, k - 1) : NULL;

		for (guint m = 0; m < chunk->len; m++) {
			gunichar c = g_array_index(chunk, gunichar, m);
			add_range(pattern, &token, c, c);
		}
		if (prev != NULL && prev->len == 0)
			add_range(pattern, &token, '-', '-');
		else if (prev != NULL && chunk->len > 0)
			add_range(pattern, &token, chunk_last(prev), chunk_first(chunk));
	}
	g_array_append_val(pattern->tokens, token);
}

static gboolean
has_dash(const gunichar *pat, gsize i, gsize j)
{
	for (gsize k = i; k < j; k++) {
		if (pat[k] == '-')
			return TRUE;
	}
	return FALSE;
}

/* @i is just after "[". Returns the index after the closing "]", or 0 when
 * the set is unterminated (then "[" is a literal). */
static gsize
compile_set(Pattern *pattern, const gunichar *pat, gsize n, gsize i)
{
	g_autoptr(GPtrArray) chunks = NULL;
	gsize j = i;

	if (j < n && pat[j] == '!')
		j++;
	if (j < n && pat[j] == ']')
		j++;
	while (j < n && pat[j] != ']')
		j++;
	if (j >= n)
		return 0;
	if (has_dash(pat, i, j)) {
		chunks = split_set_chunks(pat, i, j);
		drop_empty_ranges(chunks);
	} else {
		chunks = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
		g_ptr_array_add(chunks, chunk_new(pat + i, j - i));
	}
	add_set_token(pattern, chunks);
	return j + 1;
}

static void
pattern_compile(Pattern *pattern, const gunichar *pat, gsize n)
{
	gsize i = 0;

	pattern->tokens = g_array_new(FALSE, FALSE, sizeof(Token));
	pattern->ranges = g_array_new(FALSE, FALSE, sizeof(Range));
	while (i < n) {
		gunichar c = pat[i++];
		gsize next;

		if (c == '*') {
			add_token(pattern, TOKEN_STAR, 0);
		} else if (c == '?') {
			add_token(pattern, TOKEN_ANY, 0);
		} else if (c == '[' && (next = compile_set(pattern, pat, n, i)) != 0) {
			i = next;
		} else {
			add_token(pattern, TOKEN_LITERAL, c);
		}
	}
}

static gboolean
token_matches(const Pattern *pattern, const Token *token, gunichar c)
{
	gboolean member = FALSE;

	switch (token->kind) {
	case TOKEN_LITERAL:
		return token->c == c;
	case TOKEN_ANY:
		return TRUE;
	case TOKEN_SET:
		for (guint r = 0; r < token->n_ranges && !member; r++) {
			const Range *range =
				&g_array_index(pattern->ranges, Range, token->first_range + r);
			member = c >= range->lo && c <= range->hi;
		}
		return member != token->negated;
	case TOKEN_STAR:
	default:
		return FALSE;
	}
}

static gboolean
pattern_match(const Pattern *pattern, const gunichar *s, gsize n)
{
	const Token *tokens = (const Token *)(gpointer)pattern->tokens->data;
	gsize nt = pattern->tokens->len;
	gsize ti = 0;
	gsize si = 0;
	gsize star_ti = G_MAXSIZE;
	gsize star_si = 0;

	while (si < n) {
		if (ti < nt && tokens[ti].kind == TOKEN_STAR) {
			star_ti = ti++;
			star_si = si;
		} else if (ti < nt && token_matches(pattern, &tokens[ti], s[si])) {
			ti++;
			si++;
		} else if (star_ti != G_MAXSIZE) {
			/* let the last "*" eat one more character and retry */
			ti = star_ti + 1;
			si = ++star_si;
		} else {
			return FALSE;
		}
	}
	while (ti < nt && tokens[ti].kind == TOKEN_STAR)
		ti++;
	return ti == nt;
}

static gboolean
fnmatch_decoded(const gunichar *pat, gsize pat_len, const gunichar *s, gsize s_len)
{
	g_auto(Pattern) pattern = { NULL, NULL };

	pattern_compile(&pattern, pat, pat_len);
	return pattern_match(&pattern, s, s_len);
}

gboolean
hfhub_fnmatch(const gchar *pattern, const gchar *path)
{
	g_autofree gunichar *pat = NULL;
	g_autofree gunichar *s = NULL;
	glong pat_len = 0;
	glong s_len = 0;

	g_return_val_if_fail(pattern != NULL && path != NULL, FALSE);

	pat = decode(pattern, &pat_len);
	s = decode(path, &s_len);
	return fnmatch_decoded(pat, pat_len, s, s_len);
}

/* filter_repo_objects' _add_wildcard_to_directories: a trailing "/" gets a "*" */
static gboolean
filter_pattern_matches(const gchar *pattern, const gunichar *s, gsize s_len)
{
	g_autofree gunichar *pat = NULL;
	glong pat_len = 0;

	pat = decode(pattern, &pat_len);
	if (pat_len > 0 && pat[pat_len - 1] == '/') {
		pat = g_renew(gunichar, pat, pat_len + 2);
		pat[pat_len++] = '*';
		pat[pat_len] = 0;
	}
	return fnmatch_decoded(pat, pat_len, s, s_len);
}

static gboolean
any_matches(const gchar *const *patterns, const gunichar *s, gsize s_len)
{
	for (guint i = 0; patterns != NULL && patterns[i] != NULL; i++) {
		if (filter_pattern_matches(patterns[i], s, s_len))
			return TRUE;
	}
	return FALSE;
}

gboolean
hfhub_filter_match(const gchar *path, const gchar *const *include, const gchar *const *exclude)
{
	g_autofree gunichar *s = NULL;
	glong s_len = 0;

	g_return_val_if_fail(path != NULL, FALSE);

	s = decode(path, &s_len);
	if (include != NULL && include[0] != NULL && !any_matches(include, s, s_len))
		return FALSE;
	return !any_matches(exclude, s, s_len);
}

gboolean
hfhub_filter_validate_patterns(const gchar *const *patterns, GError **error)
{
	for (guint i = 0; patterns != NULL && patterns[i] != NULL; i++) {
		if (*patterns[i] == '\0') {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "Pattern %u is empty: it would match no file", i + 1);
			return FALSE;
		}
		if (!g_utf8_validate(patterns[i], -1, NULL)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "Pattern %u is not valid UTF-8", i + 1);
			return FALSE;
		}
	}
	return TRUE;
}
