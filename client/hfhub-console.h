/* Terminal output: TTY and colour detection, key/value lines, tables, errors. */
#pragma once

#include <glib.h>

#include "hfhub-table.h"

G_BEGIN_DECLS

typedef enum {
	HFHUB_COLOR_NONE,
	HFHUB_COLOR_BOLD,
	HFHUB_COLOR_DIM,
	HFHUB_COLOR_RED,
	HFHUB_COLOR_GREEN,
	HFHUB_COLOR_YELLOW,
} HfhubColor;

typedef struct {
	gboolean stdout_tty;
	gboolean stderr_tty;
	gboolean progress; /* progress bars: on a terminal, without HF_HUB_DISABLE_PROGRESS_BARS */
	gboolean color_stdout;
	gboolean color_stderr;
	gboolean utf8;
	gboolean dumb; /* TERM=dumb: no cursor movement either */
} HfhubConsole;

void
hfhub_console_init(HfhubConsole *self, gboolean no_color);
guint
hfhub_console_get_width(gint fd);
gchar *
hfhub_console_colorize(HfhubConsole *self, gint fd, HfhubColor color, const gchar *text);
HfhubColor
hfhub_console_state_color(const gchar *state);
void
hfhub_console_print_kv(HfhubConsole *self, const gchar *key, const gchar *value);
/* "key:" then the value from @column on (past the key when it is longer);
 * the lines of a multi-line value start there too */
void
hfhub_console_print_kv_at(HfhubConsole *self, const gchar *key, const gchar *value, guint column);
void
hfhub_console_print_table(HfhubConsole *self, HfhubTable *table);
/* fitted to @width columns by wrapping cells; 0: as wide as it is */
void
hfhub_console_print_table_at(HfhubConsole *self, HfhubTable *table, guint width);
void
hfhub_console_print_error(HfhubConsole *self, const gchar *message);
void
hfhub_console_print_warning(HfhubConsole *self, const gchar *message);
void
hfhub_console_print_line(const gchar *text);

G_END_DECLS
