/* Terminal output: TTY and colour detection, key/value lines, tables, errors.
 *
 * Colour only on a terminal, never with NO_COLOR (https://no-color.org) or
 * --no-color. Everything that came from the daemon or the Hub is sanitised
 * before it reaches the terminal, so a file name cannot carry escape codes. */
#include "config.h"

#include "hfhub-console.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hfhub-hf-env.h"
#include "hfhub-text.h"

/* key/value lines: values start in this column, as fwupdmgr does */
#define KV_VALUE_COLUMN 20

/* What g_print() does in a locale that is not UTF-8, except that the
 * no-break spaces of g_format_size() ("4.2 MB") become spaces instead of
 * "?" */
static gchar *
to_locale(const gchar *text)
{
	g_autoptr(GString) plain = g_string_new(text);
	const gchar *charset = NULL;
	gchar *converted;

	g_string_replace(plain, "\u00a0", " ", 0);
	g_string_replace(plain, "\u202f", " ", 0);
	g_get_charset(&charset);
	converted = g_convert_with_fallback(plain->str, (gssize)plain->len, charset, "UTF-8", "?",
					    NULL, NULL, NULL);
	return converted != NULL ? converted : g_strdup(plain->str);
}

static void
print_in_locale(const gchar *text)
{
	g_autofree gchar *out = to_locale(text);

	fputs(out, stdout);
	fflush(stdout);
}

static void
printerr_in_locale(const gchar *text)
{
	g_autofree gchar *out = to_locale(text);

	fputs(out, stderr);
	fflush(stderr);
}

void
hfhub_console_init(HfhubConsole *self, gboolean no_color)
{
	const gchar *term = g_getenv("TERM");
	const gchar *no_color_env = g_getenv("NO_COLOR");
	gboolean want_color = !no_color && (no_color_env == NULL || *no_color_env == '\0');

	self->stdout_tty = isatty(STDOUT_FILENO) == 1;
	self->stderr_tty = isatty(STDERR_FILENO) == 1;
	self->progress = self->stderr_tty && !hfhub_hf_env_progress_disabled();
	self->dumb = g_strcmp0(term, "dumb") == 0;
	self->color_stdout = want_color && self->stdout_tty && !self->dumb;
	self->color_stderr = want_color && self->stderr_tty && !self->dumb;
	self->utf8 = g_get_charset(NULL);
	if (!self->utf8) {
		g_set_print_handler(print_in_locale);
		g_set_printerr_handler(printerr_in_locale);
	}
}

/* The width tables must fit: $COLUMNS when set, else the terminal's, else 0
 * (not a terminal: do not wrap at all, scripts get whole cells). */
guint
hfhub_console_get_width(gint fd)
{
	const gchar *columns = g_getenv("COLUMNS");
	struct winsize ws = { 0 };
	guint64 value;

	if (columns != NULL && g_ascii_string_to_unsigned(columns, 10, 1, 100000, &value, NULL))
		return (guint)value;
	if (isatty(fd) != 1)
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static const gchar *
color_code(HfhubColor color)
{
	switch (color) {
	case HFHUB_COLOR_BOLD:
		return "\033[1m";
	case HFHUB_COLOR_DIM:
		return "\033[2m";
	case HFHUB_COLOR_RED:
		return "\033[31m";
	case HFHUB_COLOR_GREEN:
		return "\033[32m";
	case HFHUB_COLOR_YELLOW:
		return "\033[33m";
	case HFHUB_COLOR_NONE:
	default:
		return NULL;
	}
}

gchar *
hfhub_console_colorize(HfhubConsole *self, gint fd, HfhubColor color, const gchar *text)
{
	gboolean enabled = fd == STDERR_FILENO ? self->color_stderr : self->color_stdout;
	const gchar *code = color_code(color);

	if (!enabled || code == NULL)
		return g_strdup(text);
	return g_strdup_printf("%s%s\033[0m", code, text);
}

HfhubColor
hfhub_console_state_color(const gchar *state)
{
	if (g_strcmp0(state, "succeeded") == 0)
		return HFHUB_COLOR_GREEN;
	if (g_strcmp0(state, "failed") == 0)
		return HFHUB_COLOR_RED;
	if (g_strcmp0(state, "cancelled") == 0 || g_strcmp0(state, "paused") == 0)
		return HFHUB_COLOR_YELLOW;
	return HFHUB_COLOR_NONE;
}

/* "Key:" padded to a fixed column, then the value; a value of several lines
 * is indented to the same column. key is already translated; value may be
 * coloured by the caller and is not sanitised here. */
void
hfhub_console_print_kv(HfhubConsole *self, const gchar *key, const gchar *value)
{
	hfhub_console_print_kv_at(self, key, value, KV_VALUE_COLUMN);
}

void
hfhub_console_print_kv_at(HfhubConsole *self, const gchar *key, const gchar *value, guint column)
{
	g_autofree gchar *label = g_strdup_printf("%s:", key);
	guint width = hfhub_text_width(label);
	g_autoptr(GString) out = g_string_new(label);
	g_auto(GStrv) lines = g_strsplit(value != NULL ? value : "", "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		guint pad = i == 0 ? (width < column ? column - width : 1) : column;

		if (i > 0)
			g_string_append_c(out, '\n');
		if (*lines[i] != '\0') {
			for (guint j = 0; j < pad; j++)
				g_string_append_c(out, ' ');
		}
		g_string_append(out, lines[i]);
	}
	hfhub_console_print_line(out->str);
}

void
hfhub_console_print_table(HfhubConsole *self, HfhubTable *table)
{
	hfhub_console_print_table_at(self, table, hfhub_console_get_width(STDOUT_FILENO));
}

void
hfhub_console_print_table_at(HfhubConsole *self, HfhubTable *table, guint width)
{
	g_autoptr(GString) out = g_string_new(NULL);

	hfhub_table_render(table, width, out);
	g_print("%s", out->str);
}

/* "hfhub: message" on stderr */
void
hfhub_console_print_error(HfhubConsole *self, const gchar *message)
{
	g_autofree gchar *clean = hfhub_text_sanitize(message, TRUE);
	g_autofree gchar *prefix =
		hfhub_console_colorize(self, STDERR_FILENO, HFHUB_COLOR_RED, "hfhub:");

	/* after what stdout already holds, when both go to one place */
	fflush(stdout);
	g_printerr("%s %s\n", prefix, clean);
}

void
hfhub_console_print_warning(HfhubConsole *self, const gchar *message)
{
	g_autofree gchar *clean = hfhub_text_sanitize(message, TRUE);
	g_autofree gchar *prefix =
		hfhub_console_colorize(self, STDERR_FILENO, HFHUB_COLOR_YELLOW, "hfhub:");

	fflush(stdout);
	g_printerr("%s %s\n", prefix, clean);
}

void
hfhub_console_print_line(const gchar *text)
{
	g_print("%s\n", text);
}
