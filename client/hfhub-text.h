/* Display width, sanitising and wrapping of text for the terminal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint
hfhub_text_width(const gchar *text);
gchar *
hfhub_text_sanitize(const gchar *text, gboolean keep_newlines);
GPtrArray *
hfhub_text_wrap(const gchar *text, guint width);

G_END_DECLS
