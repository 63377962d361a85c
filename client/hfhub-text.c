/* Display width, sanitising and wrapping of text for the terminal.
 *
 * Nothing here ever drops a visible character: wrapping only breaks lines,
 * at a space (which is then not printed), after punctuation that commonly
 * separates parts of repo ids and paths, or, when there is no such place,
 * anywhere. */
#include "config.h"

#include "hfhub-text.h"

static guint
unichar_width(gunichar c)
{
	if (g_unichar_iszerowidth(c))
		return 0;
	if (g_unichar_iswide(c))
		return 2;
	return 1;
}

/* text must be valid UTF-8 */
guint
hfhub_text_width(const gchar *text)
{
	guint width = 0;

	for (const gchar *p = text; p != NULL && *p != '\0'; p = g_utf8_next_char(p))
		width += unichar_width(g_utf8_get_char(p));
	return width;
}

/* makes text valid UTF-8 and replaces control characters (which could move
 * the cursor or change colours when printed) with U+FFFD; tabs become a
 * space */
gchar *
hfhub_text_sanitize(const gchar *text, gboolean keep_newlines)
{
	g_autofree gchar *valid = g_utf8_make_valid(text != NULL ? text : "", -1);
	GString *out = g_string_sized_new(strlen(valid));

	for (const gchar *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c == '\n' && keep_newlines)
			g_string_append_c(out, '\n');
		else if (c == '\t')
			g_string_append_c(out, ' ');
		else if (g_unichar_iscntrl(c))
			g_string_append_unichar(out, 0xfffd);
		else
			g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static gboolean
is_break_after(gunichar c)
{
	return c == '/' || c == '-' || c == '_' || c == '.' || c == ',' || c == ':' || c == ';' ||
	       c == '=' || c == ')';
}

/* appends the lines of one paragraph (no '\n' in it) */
static void
wrap_paragraph(GPtrArray *lines, const gchar *text, guint width)
{
	const gchar *p = text;

	while (hfhub_text_width(p) > width) {
		const gchar *end = p;	       /* end of the longest prefix that fits */
		const gchar *space = NULL;     /* last space inside it */
		const gchar *punct_end = NULL; /* just after the last punctuation */
		const gchar *next;
		guint used = 0;

		while (*end != '\0') {
			gunichar c = g_utf8_get_char(end);
			guint w = unichar_width(c);

			/* a lone character wider than the column still goes out */
			if (used + w > width && end != p)
				break;
			if (c == ' ' && end != p)
				space = end;
			used += w;
			end = g_utf8_next_char(end);
			if (is_break_after(c) && *end != '\0')
				punct_end = end;
		}
		/* a space right after the prefix is a perfect break too */
		if (*end == ' ')
			space = end;

		if (space != NULL && (punct_end == NULL || space >= punct_end)) {
			const gchar *line_end = space;

			while (line_end > p && line_end[-1] == ' ')
				line_end--;
			g_ptr_array_add(lines, g_strndup(p, line_end - p));
			next = space;
			while (*next == ' ')
				next++;
		} else if (punct_end != NULL) {
			g_ptr_array_add(lines, g_strndup(p, punct_end - p));
			next = punct_end;
		} else {
			g_ptr_array_add(lines, g_strndup(p, end - p));
			next = end;
		}
		p = next;
	}
	g_ptr_array_add(lines, g_strdup(p));
}

/* Splits sanitised text into lines of at most width display columns (width 0:
 * no limit; only embedded newlines break). Always returns at least one line. */
GPtrArray *
hfhub_text_wrap(const gchar *text, guint width)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) paragraphs = g_strsplit(text != NULL ? text : "", "\n", -1);

	if (paragraphs[0] == NULL)
		g_ptr_array_add(lines, g_strdup(""));
	for (guint i = 0; paragraphs[i] != NULL; i++) {
		if (width == 0)
			g_ptr_array_add(lines, g_strdup(paragraphs[i]));
		else
			wrap_paragraph(lines, paragraphs[i], width);
	}
	return lines;
}
