/* Log output of hfhubd: stderr (the journal under systemd) and, in peer mode,
 * a file in the state directory. Nothing the daemon logs carries a token. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @path may be NULL; @verbose enables debug messages of every domain */
void
hfhub_log_setup(const gchar *path, gboolean verbose);

G_END_DECLS
