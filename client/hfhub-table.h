/* Plain-text tables that fit a width by wrapping cells, never by cutting. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HfhubTable HfhubTable;

HfhubTable *
hfhub_table_new(const gchar *first_header, ...) G_GNUC_NULL_TERMINATED;
void
hfhub_table_free(HfhubTable *table);
guint
hfhub_table_get_n_columns(HfhubTable *table);
guint
hfhub_table_get_n_rows(HfhubTable *table);
void
hfhub_table_set_align_right(HfhubTable *table, guint column, gboolean align_right);
void
hfhub_table_add_row(HfhubTable *table, const gchar *const *cells);
guint *
hfhub_table_compute_widths(HfhubTable *table, guint width);
void
hfhub_table_render(HfhubTable *table, guint width, GString *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubTable, hfhub_table_free)

/* columns are separated by this many spaces */
#define HFHUB_TABLE_GAP 2

G_END_DECLS
