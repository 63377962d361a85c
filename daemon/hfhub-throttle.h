/* HfhubThrottle: one bandwidth limit shared by every transfer of a
 * direction, changeable while they run. Thread-safe. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _HfhubThrottle HfhubThrottle;

HfhubThrottle *
hfhub_throttle_new(void);
void
hfhub_throttle_free(HfhubThrottle *self);
/* bytes per second; 0 = no limit */
void
hfhub_throttle_set_rate(HfhubThrottle *self, guint64 rate);
guint64
hfhub_throttle_get_rate(HfhubThrottle *self);
/* Accounts for @bytes just moved and waits until the rate allows them.
 * FALSE when @cancellable fired. */
gboolean
hfhub_throttle_consume(HfhubThrottle *self, gsize bytes, GCancellable *cancellable, GError **error);

G_END_DECLS
