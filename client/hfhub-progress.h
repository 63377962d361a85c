/* A one-line progress bar for a job, drawn on a terminal. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HfhubProgress HfhubProgress;

HfhubProgress *
hfhub_progress_new(gint fd, gboolean utf8, gboolean color, gboolean dumb);
void
hfhub_progress_free(HfhubProgress *self);
void
hfhub_progress_update(HfhubProgress *self, const gchar *state, const gchar *reason,
		      guint64 bytes_done, guint64 bytes_total, guint files_done, guint files_total);
void
hfhub_progress_set_message(HfhubProgress *self, const gchar *message);
gchar *
hfhub_progress_render(HfhubProgress *self, gint64 now, guint width);
void
hfhub_progress_draw(HfhubProgress *self);
void
hfhub_progress_clear(HfhubProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfhubProgress, hfhub_progress_free)

G_END_DECLS
