/* When a job may work: daily windows ("01:00-07:00") in local time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
	gint start; /* seconds after local midnight */
	gint end;   /* may be before start: the window spans midnight */
} HfhubWindow;

/* "HH:MM-HH:MM" (seconds allowed: "HH:MM:SS"); @window may be NULL to
 * only check the text */
gboolean
hfhub_window_parse(const gchar *text, HfhubWindow *window, GError **error);

/* Whether @now lies inside the window; *next_change (UNIX seconds) is when
 * that answer changes next. */
gboolean
hfhub_window_contains(const HfhubWindow *window, GDateTime *now, gint64 *next_change);

G_END_DECLS
