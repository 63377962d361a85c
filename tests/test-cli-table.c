/* Unit test of the CLI's text wrapping and tables (client/hfhub-text.c,
 * client/hfhub-table.c): whatever the width, every character of every cell
 * is printed, in order, in its own column, and no line is wider than asked. */
#include "config.h"

#include <string.h>

#include "hfhub-table.h"
#include "hfhub-text.h"

static const gchar *const rows[][7] = {
	{ "1", "download", "running", "meta-llama/Llama-3.1-8B-Instruct", "main",
	  "1.2 GB / 3.4 GB (35%)", "2024-05-01 12:03" },
	{ "12", "download", "queued",
	  "datasets/HuggingFaceFW/fineweb-edu-score-2-with-a-really-long-name", "refs/pr/17",
	  "3/10 files", "2024-05-01 12:04" },
	{ "123", "download", "succeeded", "gpt2", "0123456789abcdef0123456789abcdef01234567", "",
	  "2024-05-01 12:05" },
	{ "1234", "download", "failed", "日本語/モデル名前付き", "main", "", NULL },
};

static HfhubTable *
build_table(void)
{
	HfhubTable *table = hfhub_table_new("ID", "KIND", "STATE", "REPO", "REVISION", "PROGRESS",
					    "UPDATED", NULL);

	hfhub_table_set_align_right(table, 0, TRUE);
	for (guint i = 0; i < G_N_ELEMENTS(rows); i++)
		hfhub_table_add_row(table, rows[i]);
	return table;
}

static gchar *
strip_spaces(const gchar *text)
{
	GString *out = g_string_new(NULL);

	for (const gchar *p = text; p != NULL && *p != '\0'; p++) {
		if (*p != ' ' && *p != '\n')
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

static guint
char_width(const gchar *p)
{
	g_autofree gchar *ch = g_strndup(p, g_utf8_next_char(p) - p);

	return hfhub_text_width(ch);
}

/* the part of line between display columns start and start + width */
static gchar *
slice_columns(const gchar *line, guint start, guint width)
{
	const gchar *p = line;
	const gchar *begin;
	guint col = 0;

	while (*p != '\0' && col < start) {
		col += char_width(p);
		p = g_utf8_next_char(p);
	}
	begin = p;
	while (*p != '\0' && col < start + width) {
		col += char_width(p);
		p = g_utf8_next_char(p);
	}
	return g_strndup(begin, p - begin);
}

static void
check_table_at_width(guint width)
{
	g_autoptr(HfhubTable) table = build_table();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree guint *widths = hfhub_table_compute_widths(table, width);
	g_auto(GStrv) lines = NULL;
	guint n_lines;
	guint n_columns = hfhub_table_get_n_columns(table);

	hfhub_table_render(table, width, out);
	g_test_message("width %u:\n%s", width, out->str);
	g_assert_true(g_str_has_suffix(out->str, "\n"));
	lines = g_strsplit(out->str, "\n", -1);
	n_lines = g_strv_length(lines) - 1; /* after the final newline */

	if (width == 0 || width >= 200)
		g_assert_cmpuint(n_lines, ==, G_N_ELEMENTS(rows) + 1);
	else
		g_assert_cmpuint(n_lines, >, G_N_ELEMENTS(rows) + 1);

	for (guint i = 0; i < n_lines; i++) {
		if (width > 0)
			g_assert_cmpuint(hfhub_text_width(lines[i]), <=, width);
		g_assert_false(g_str_has_suffix(lines[i], " "));
	}

	/* each column, read top to bottom, is the header and the cells in order */
	for (guint c = 0, start = 0; c < n_columns; start += widths[c] + HFHUB_TABLE_GAP, c++) {
		g_autoptr(GString) seen = g_string_new(NULL);
		g_autoptr(GString) expected = g_string_new(NULL);
		g_autofree gchar *seen_stripped = NULL;
		g_autofree gchar *expected_stripped = NULL;
		const gchar *headers[] = { "ID",       "KIND",	   "STATE",  "REPO",
					   "REVISION", "PROGRESS", "UPDATED" };

		for (guint i = 0; i < n_lines; i++) {
			g_autofree gchar *part = slice_columns(lines[i], start, widths[c]);
			g_string_append(seen, part);
		}
		g_string_append(expected, headers[c]);
		for (guint r = 0; r < G_N_ELEMENTS(rows); r++)
			g_string_append(expected, rows[r][c] != NULL ? rows[r][c] : "");
		seen_stripped = strip_spaces(seen->str);
		expected_stripped = strip_spaces(expected->str);
		g_assert_cmpstr(seen_stripped, ==, expected_stripped);
	}

	/* without wrapping, every cell is printed whole */
	for (guint r = 0; (width == 0 || width >= 200) && r < G_N_ELEMENTS(rows); r++) {
		for (guint c = 0; c < n_columns; c++) {
			if (rows[r][c] != NULL)
				g_assert_nonnull(strstr(out->str, rows[r][c]));
		}
	}
}

static void
test_table_width_40(void)
{
	check_table_at_width(40);
}

static void
test_table_width_80(void)
{
	check_table_at_width(80);
}

static void
test_table_width_200(void)
{
	check_table_at_width(200);
}

static void
test_table_unlimited(void)
{
	check_table_at_width(0);
}

static void
test_table_tiny(void)
{
	/* narrower than the gaps between columns: lines overflow, but no
	 * character is lost */
	g_autoptr(HfhubTable) table = build_table();
	g_autoptr(GString) out = g_string_new(NULL);
	g_autoptr(GString) all = g_string_new("IDKINDSTATEREPOREVISIONPROGRESSUPDATED");
	g_autofree gchar *out_stripped = NULL;
	g_autofree gchar *all_stripped = NULL;

	for (guint r = 0; r < G_N_ELEMENTS(rows); r++) {
		for (guint c = 0; c < 7; c++)
			g_string_append(all, rows[r][c] != NULL ? rows[r][c] : "");
	}
	hfhub_table_render(table, 5, out);
	out_stripped = strip_spaces(out->str);
	all_stripped = strip_spaces(all->str);
	g_assert_cmpuint(strlen(out_stripped), ==, strlen(all_stripped));
}

static void
test_wrap(void)
{
	g_autoptr(GPtrArray) a = hfhub_text_wrap("1.2 GB / 3.4 GB (35%)", 8);
	g_autoptr(GPtrArray) b = hfhub_text_wrap("meta-llama/Llama-3.1-8B", 11);
	g_autoptr(GPtrArray) c = hfhub_text_wrap("abcdefghij", 4);
	g_autoptr(GPtrArray) d = hfhub_text_wrap("", 4);
	g_autoptr(GPtrArray) e = hfhub_text_wrap("two\nlines", 0);
	g_autoptr(GPtrArray) f = hfhub_text_wrap("日本語です", 4);

	g_assert_cmpuint(a->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(a, 0), ==, "1.2 GB /");
	g_assert_cmpstr(g_ptr_array_index(a, 1), ==, "3.4 GB");
	g_assert_cmpstr(g_ptr_array_index(a, 2), ==, "(35%)");

	g_assert_cmpuint(b->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(b, 0), ==, "meta-llama/");
	g_assert_cmpstr(g_ptr_array_index(b, 1), ==, "Llama-3.1-");
	g_assert_cmpstr(g_ptr_array_index(b, 2), ==, "8B");

	g_assert_cmpuint(c->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(c, 0), ==, "abcd");
	g_assert_cmpstr(g_ptr_array_index(c, 2), ==, "ij");

	g_assert_cmpuint(d->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(d, 0), ==, "");

	g_assert_cmpuint(e->len, ==, 2);

	/* double-width characters count twice */
	g_assert_cmpuint(f->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(f, 0), ==, "日本");
}

static void
test_sanitize(void)
{
	g_autofree gchar *s = hfhub_text_sanitize("a\033[2Jb\tc\nd", FALSE);
	g_autofree gchar *t = hfhub_text_sanitize("x\ny", TRUE);
	g_autofree gchar *u = hfhub_text_sanitize("bad \xff byte", FALSE);

	g_assert_null(strchr(s, '\033'));
	g_assert_null(strchr(s, '\n'));
	g_assert_nonnull(strstr(s, "b c"));
	g_assert_cmpstr(t, ==, "x\ny");
	g_assert_true(g_utf8_validate(u, -1, NULL));
	g_assert_cmpuint(hfhub_text_width("日本"), ==, 4);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cli/text/wrap", test_wrap);
	g_test_add_func("/cli/text/sanitize", test_sanitize);
	g_test_add_func("/cli/table/width-40", test_table_width_40);
	g_test_add_func("/cli/table/width-80", test_table_width_80);
	g_test_add_func("/cli/table/width-200", test_table_width_200);
	g_test_add_func("/cli/table/unlimited", test_table_unlimited);
	g_test_add_func("/cli/table/tiny", test_table_tiny);
	return g_test_run();
}
