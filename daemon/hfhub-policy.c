#include "config.h"

#define G_LOG_DOMAIN "HfhubPolicy"

#include "hfhub-policy.h"

#include "hfhub-error.h"

#include <stdio.h>

static gboolean
parse_time_of_day(const gchar *text, gint *seconds)
{
	guint h = 0, m = 0, s = 0;
	gchar extra;
	gint n = sscanf(text, "%2u:%2u:%2u%c", &h, &m, &s, &extra);

	if (n == 2)
		n = sscanf(text, "%2u:%2u%c", &h, &m, &extra) == 2 ? 3 : 0;
	if (n != 3 || h > 23 || m > 59 || s > 59)
		return FALSE;
	*seconds = (gint)(h * 3600 + m * 60 + s);
	return TRUE;
}

gboolean
hfhub_window_parse(const gchar *text, HfhubWindow *window, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text != NULL ? text : "", "-", -1);
	HfhubWindow w = { 0 };

	if (g_strv_length(parts) != 2 || !parse_time_of_day(g_strstrip(parts[0]), &w.start) ||
	    !parse_time_of_day(g_strstrip(parts[1]), &w.end) || w.start == w.end) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "“%s” is not a window: write START-END in local time, e.g. "
			    "01:00-07:00 (it may span midnight)",
			    text != NULL ? text : "");
		return FALSE;
	}
	if (window != NULL)
		*window = w;
	return TRUE;
}

gboolean
hfhub_window_contains(const HfhubWindow *window, GDateTime *now, gint64 *next_change)
{
	gint t = g_date_time_get_hour(now) * 3600 + g_date_time_get_minute(now) * 60 +
		 g_date_time_get_second(now);
	gint64 midnight = g_date_time_to_unix(now) - t;
	gboolean inside;
	gint next;

	if (window->start < window->end)
		inside = t >= window->start && t < window->end;
	else
		inside = t >= window->start || t < window->end;
	/* the next boundary after t, today or tomorrow */
	next = inside ? window->end : window->start;
	if (next <= t)
		next += 24 * 3600;
	if (next_change != NULL)
		*next_change = midnight + next;
	return inside;
}
