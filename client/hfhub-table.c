/* Plain-text tables that fit a width by wrapping cells, never by cutting.
 *
 * Narrow columns keep their natural width; the space left is shared evenly
 * by the wide ones ("water filling"), whose cells then wrap onto
 * continuation lines. With width 0 (output is not a terminal) nothing wraps,
 * so scripts always see whole cells. */
#include "config.h"

#include "hfhub-table.h"

#include <string.h>

#include "hfhub-text.h"

/* a column is not made narrower than its widest word, up to this */
#define MIN_COLUMN_WIDTH 12

struct _HfhubTable {
	guint n_columns;
	GPtrArray *rows; /* of GStrv, sanitised; row 0 is the header */
	gboolean *align_right;
};

HfhubTable *
hfhub_table_new(const gchar *first_header, ...)
{
	HfhubTable *table = g_new0(HfhubTable, 1);
	GPtrArray *header = g_ptr_array_new();
	va_list args;

	va_start(args, first_header);
	for (const gchar *h = first_header; h != NULL; h = va_arg(args, const gchar *))
		g_ptr_array_add(header, hfhub_text_sanitize(h, TRUE));
	va_end(args);
	g_ptr_array_add(header, NULL);

	table->rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	g_ptr_array_add(table->rows, g_ptr_array_free(header, FALSE));
	table->n_columns = g_strv_length(g_ptr_array_index(table->rows, 0));
	table->align_right = g_new0(gboolean, MAX(table->n_columns, 1));
	return table;
}

void
hfhub_table_free(HfhubTable *table)
{
	if (table == NULL)
		return;
	g_ptr_array_unref(table->rows);
	g_free(table->align_right);
	g_free(table);
}

guint
hfhub_table_get_n_columns(HfhubTable *table)
{
	return table->n_columns;
}

guint
hfhub_table_get_n_rows(HfhubTable *table)
{
	return table->rows->len - 1;
}

void
hfhub_table_set_align_right(HfhubTable *table, guint column, gboolean align_right)
{
	g_return_if_fail(column < table->n_columns);
	table->align_right[column] = align_right;
}

/* cells holds exactly one string (or NULL, printed empty) per column */
void
hfhub_table_add_row(HfhubTable *table, const gchar *const *cells)
{
	gchar **row = g_new0(gchar *, table->n_columns + 1);

	for (guint i = 0; i < table->n_columns; i++)
		row[i] = hfhub_text_sanitize(cells[i], TRUE);
	g_ptr_array_add(table->rows, row);
}

/* width of the widest line of a cell, and of its widest word */
static void
measure_cell(const gchar *cell, guint *natural, guint *word)
{
	g_auto(GStrv) lines = g_strsplit(cell, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) words = g_strsplit(lines[i], " ", -1);

		*natural = MAX(*natural, hfhub_text_width(lines[i]));
		for (guint j = 0; words[j] != NULL; j++)
			*word = MAX(*word, hfhub_text_width(words[j]));
	}
}

static gint
compare_by_want(gconstpointer a, gconstpointer b, gpointer user_data)
{
	const guint *want = user_data;
	guint wa = want[*(const guint *)a];
	guint wb = want[*(const guint *)b];

	return wa < wb ? -1 : wa > wb ? 1 : 0;
}

/* Shares avail between n columns, none getting more than it wants: the
 * modest ones get all they want, the others the same share of the rest
 * ("water filling"). */
static void
water_fill(const guint *want, guint *out, guint n, guint avail)
{
	g_autofree guint *order = g_new0(guint, n);
	guint left = n;

	for (guint c = 0; c < n; c++)
		order[c] = c;
	g_qsort_with_data(order, n, sizeof(guint), compare_by_want, (gpointer)want);
	for (guint i = 0; i < n; i++) {
		guint c = order[i];
		guint share = avail / left;

		out[c] = MIN(want[c], share);
		avail -= out[c];
		left--;
	}
}

/* Returns n_columns widths (free with g_free); width 0 means unlimited.
 *
 * When the natural widths do not fit, every column first gets its widest
 * word (up to MIN_COLUMN_WIDTH, so short values such as states and dates
 * stay on one line) and the wide columns share the rest. When even that
 * does not fit, all columns share the width, at least one cell each. */
guint *
hfhub_table_compute_widths(HfhubTable *table, guint width)
{
	guint n = table->n_columns;
	guint *widths = g_new0(guint, MAX(n, 1));
	g_autofree guint *natural = g_new0(guint, MAX(n, 1));
	g_autofree guint *minimum = g_new0(guint, MAX(n, 1));
	g_autofree guint *want = g_new0(guint, MAX(n, 1));
	guint gaps = n > 0 ? HFHUB_TABLE_GAP * (n - 1) : 0;
	guint natural_total = gaps;
	guint minimum_total = gaps;

	for (guint r = 0; r < table->rows->len; r++) {
		gchar **row = g_ptr_array_index(table->rows, r);
		for (guint c = 0; c < n; c++)
			measure_cell(row[c], &natural[c], &minimum[c]);
	}
	for (guint c = 0; c < n; c++) {
		natural[c] = MAX(natural[c], 1);
		minimum[c] = CLAMP(minimum[c], 1, MIN(natural[c], MIN_COLUMN_WIDTH));
		natural_total += natural[c];
		minimum_total += minimum[c];
	}
	if (width == 0 || natural_total <= width || n == 0) {
		memcpy(widths, natural, n * sizeof(guint));
	} else if (minimum_total <= width) {
		for (guint c = 0; c < n; c++)
			want[c] = natural[c] - minimum[c];
		water_fill(want, widths, n, width - minimum_total);
		for (guint c = 0; c < n; c++)
			widths[c] += minimum[c];
	} else {
		water_fill(natural, widths, n, width > gaps + n ? width - gaps : n);
		for (guint c = 0; c < n; c++)
			widths[c] = MAX(widths[c], 1);
	}
	return widths;
}

static void
append_padding(GString *out, guint n)
{
	for (guint i = 0; i < n; i++)
		g_string_append_c(out, ' ');
}

static void
render_row(HfhubTable *table, gchar **row, const guint *widths, guint width, GString *out)
{
	guint n = table->n_columns;
	g_autofree GPtrArray **cells = g_new0(GPtrArray *, n);
	guint height = 1;

	for (guint c = 0; c < n; c++) {
		cells[c] = hfhub_text_wrap(row[c], width == 0 ? 0 : widths[c]);
		height = MAX(height, cells[c]->len);
	}
	for (guint l = 0; l < height; l++) {
		gsize line_start = out->len;

		for (guint c = 0; c < n; c++) {
			const gchar *text = l < cells[c]->len ? g_ptr_array_index(cells[c], l) : "";
			guint w = hfhub_text_width(text);
			guint pad = widths[c] > w ? widths[c] - w : 0;

			if (c > 0)
				append_padding(out, HFHUB_TABLE_GAP);
			if (table->align_right[c])
				append_padding(out, pad);
			g_string_append(out, text);
			if (!table->align_right[c])
				append_padding(out, pad);
		}
		/* no trailing blanks */
		while (out->len > line_start && out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append_c(out, '\n');
	}
	for (guint c = 0; c < n; c++)
		g_ptr_array_unref(cells[c]);
}

/* Renders the header and every row into out. */
void
hfhub_table_render(HfhubTable *table, guint width, GString *out)
{
	g_autofree guint *widths = hfhub_table_compute_widths(table, width);

	for (guint r = 0; r < table->rows->len; r++)
		render_row(table, g_ptr_array_index(table->rows, r), widths, width, out);
}
