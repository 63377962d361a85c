#include "config.h"

#define G_LOG_DOMAIN "HfhubThrottle"

#include "hfhub-throttle.h"

#include "hfhub-http.h"

struct _HfhubThrottle {
	GMutex lock;
	guint64 rate;
	gint64 next_free; /* monotonic µs when the line is free again */
};

HfhubThrottle *
hfhub_throttle_new(void)
{
	HfhubThrottle *self = g_new0(HfhubThrottle, 1);

	g_mutex_init(&self->lock);
	return self;
}

void
hfhub_throttle_free(HfhubThrottle *self)
{
	if (self == NULL)
		return;
	g_mutex_clear(&self->lock);
	g_free(self);
}

void
hfhub_throttle_set_rate(HfhubThrottle *self, guint64 rate)
{
	g_mutex_lock(&self->lock);
	self->rate = rate;
	self->next_free = 0;
	g_mutex_unlock(&self->lock);
}

guint64
hfhub_throttle_get_rate(HfhubThrottle *self)
{
	guint64 rate;

	g_mutex_lock(&self->lock);
	rate = self->rate;
	g_mutex_unlock(&self->lock);
	return rate;
}

/* A virtual clock: each transfer books the time its bytes take at the set
 * rate after everything booked before, and sleeps until its booking ends.
 * Idle time is not saved up, so there is no burst after a pause. */
gboolean
hfhub_throttle_consume(HfhubThrottle *self, gsize bytes, GCancellable *cancellable, GError **error)
{
	gint64 now = g_get_monotonic_time();
	gint64 until;

	g_mutex_lock(&self->lock);
	if (self->rate == 0) {
		g_mutex_unlock(&self->lock);
		return TRUE;
	}
	if (self->next_free < now)
		self->next_free = now;
	self->next_free += (gint64)((gdouble)bytes * G_USEC_PER_SEC / (gdouble)self->rate);
	until = self->next_free;
	g_mutex_unlock(&self->lock);
	if (until <= now)
		return TRUE;
	return hfhub_http_sleep((guint)((until - now) / 1000), cancellable, error);
}
