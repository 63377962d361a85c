/* A one-line progress bar for a job, drawn on a terminal:
 *
 *   ▕██████▋      ▏  35%  1.2 GB / 3.4 GB  12.3 MB/s  ETA 3:10  3/10 files
 *
 * The rate is measured over the last few seconds of samples, so it falls
 * when the transfer stalls; the ETA appears once the rate is known. A
 * spinner stands in for the bar while the total is unknown or the job
 * waits. The line always fits the terminal: the least useful parts go first. */
#include "config.h"

#include "hfhub-progress.h"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-console.h"
#include "hfhub-text.h"

#define RATE_WINDOW_US (8 * G_USEC_PER_SEC)
#define RATE_MIN_SPAN  G_USEC_PER_SEC
#define RATE_STALL_US  (2 * G_USEC_PER_SEC)
#define BAR_MIN_WIDTH  10
#define BAR_MAX_WIDTH  30

typedef struct {
	gint64 time;
	guint64 bytes;
} Sample;

struct _HfhubProgress {
	gint fd;
	gboolean utf8;
	gboolean color;
	gboolean dumb;
	gboolean drawn;
	guint last_width;
	guint spin;
	gchar *state;
	gchar *reason;
	gchar *message;
	guint64 bytes_done;
	guint64 bytes_total;
	guint files_done;
	guint files_total;
	GArray *samples;
};

HfhubProgress *
hfhub_progress_new(gint fd, gboolean utf8, gboolean color, gboolean dumb)
{
	HfhubProgress *self = g_new0(HfhubProgress, 1);

	self->fd = fd;
	self->utf8 = utf8;
	self->color = color;
	self->dumb = dumb;
	self->samples = g_array_new(FALSE, FALSE, sizeof(Sample));
	return self;
}

void
hfhub_progress_free(HfhubProgress *self)
{
	if (self == NULL)
		return;
	hfhub_progress_clear(self);
	g_array_unref(self->samples);
	g_free(self->state);
	g_free(self->reason);
	g_free(self->message);
	g_free(self);
}

void
hfhub_progress_update(HfhubProgress *self, const gchar *state, const gchar *reason,
		      guint64 bytes_done, guint64 bytes_total, guint files_done, guint files_total)
{
	gint64 now = g_get_monotonic_time();
	Sample sample = { now, bytes_done };

	/* a restarted transfer or a pause makes old samples meaningless */
	if (bytes_done < self->bytes_done || g_strcmp0(state, "running") != 0)
		g_array_set_size(self->samples, 0);
	if (g_strcmp0(state, "running") == 0 &&
	    (self->samples->len == 0 ||
	     g_array_index(self->samples, Sample, self->samples->len - 1).bytes != bytes_done))
		g_array_append_val(self->samples, sample);
	while (self->samples->len > 2 &&
	       now - g_array_index(self->samples, Sample, 1).time > RATE_WINDOW_US)
		g_array_remove_index(self->samples, 0);

	g_free(self->state);
	self->state = hfhub_text_sanitize(state, FALSE);
	g_free(self->reason);
	self->reason = hfhub_text_sanitize(reason, FALSE);
	self->bytes_done = bytes_done;
	self->bytes_total = bytes_total;
	self->files_done = files_done;
	self->files_total = files_total;
}

/* overrides the state text, e.g. "Cancelling…" */
void
hfhub_progress_set_message(HfhubProgress *self, const gchar *message)
{
	g_free(self->message);
	self->message = g_strdup(message);
}

/* bytes per second over the samples, or 0 when not known yet; measured up
 * to now once no sample came for a while, so a stall shows */
static gdouble
get_rate(HfhubProgress *self, gint64 now)
{
	const Sample *first;
	const Sample *last;
	gint64 end;

	if (self->samples->len < 2)
		return 0;
	first = &g_array_index(self->samples, Sample, 0);
	last = &g_array_index(self->samples, Sample, self->samples->len - 1);
	end = now - last->time > RATE_STALL_US ? now : last->time;
	if (end - first->time < RATE_MIN_SPAN || last->bytes < first->bytes)
		return 0;
	return (gdouble)(last->bytes - first->bytes) * G_USEC_PER_SEC /
	       (gdouble)(end - first->time);
}

static gchar *
format_duration(guint64 seconds)
{
	if (seconds >= 3600)
		return g_strdup_printf("%" G_GUINT64_FORMAT ":%02u:%02u", seconds / 3600,
				       (guint)(seconds / 60 % 60), (guint)(seconds % 60));
	return g_strdup_printf("%u:%02u", (guint)(seconds / 60), (guint)(seconds % 60));
}

static gchar *
render_bar(HfhubProgress *self, guint width, gdouble fraction)
{
	/* eighths of a cell, so the bar moves smoothly */
	static const gchar *const eighths[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
	guint total = width * 8;
	guint filled = (guint)(fraction * total);
	GString *bar = g_string_new(NULL);

	filled = MIN(filled, total);
	if (self->utf8) {
		guint cells = 0;

		g_string_append(bar, "▕");
		if (self->color)
			g_string_append(bar, "\033[32m");
		for (; cells < filled / 8; cells++)
			g_string_append(bar, "█");
		if (filled % 8 != 0) {
			g_string_append(bar, eighths[filled % 8]);
			cells++;
		}
		if (self->color)
			g_string_append(bar, "\033[0m");
		for (; cells < width; cells++)
			g_string_append_c(bar, ' ');
		g_string_append(bar, "▏");
	} else {
		g_string_append_c(bar, '[');
		for (guint i = 0; i < width; i++)
			g_string_append_c(bar, i < filled / 8 ? '#' : '-');
		g_string_append_c(bar, ']');
	}
	return g_string_free(bar, FALSE);
}

static const gchar *
spinner(HfhubProgress *self)
{
	static const gchar *const braille[] = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" };
	static const gchar *const ascii[] = { "|", "/", "-", "\\" };

	if (self->utf8)
		return braille[self->spin % G_N_ELEMENTS(braille)];
	return ascii[self->spin % G_N_ELEMENTS(ascii)];
}

static const gchar *
state_label(const gchar *state)
{
	if (g_strcmp0(state, "queued") == 0)
		/* TRANSLATORS: state of a job, shown next to the progress bar */
		return _("Queued");
	if (g_strcmp0(state, "paused") == 0)
		/* TRANSLATORS: state of a job, shown next to the progress bar */
		return _("Paused");
	if (g_strcmp0(state, "running") == 0)
		/* TRANSLATORS: state of a job, shown next to the progress bar */
		return _("Downloading");
	/* TRANSLATORS: state of a job, shown next to the progress bar */
	return _("Working");
}

/* the pieces after the bar, most useful first */
static GPtrArray *
render_pieces(HfhubProgress *self, gint64 now, gboolean *with_bar)
{
	GPtrArray *pieces = g_ptr_array_new_with_free_func(g_free);
	gboolean running = g_strcmp0(self->state, "running") == 0;
	gdouble rate = get_rate(self, now);

	*with_bar = running && self->bytes_total > 0 && self->message == NULL;
	if (!*with_bar) {
		const gchar *label =
			self->message != NULL ? self->message : state_label(self->state);

		if (!running && self->message == NULL && self->reason != NULL &&
		    *self->reason != '\0')
			g_ptr_array_add(pieces, g_strdup_printf("%s %s: %s", spinner(self), label,
								self->reason));
		else if (running && self->message == NULL && self->reason != NULL &&
			 *self->reason != '\0')
			/* a running job's reason is its stage: "hashing", "committing" */
			g_ptr_array_add(pieces,
					g_strdup_printf("%s %s", spinner(self), self->reason));
		else
			g_ptr_array_add(pieces, g_strdup_printf("%s %s", spinner(self), label));
	} else {
		guint percent = (guint)MIN(self->bytes_done * 100 / self->bytes_total, 100);
		g_ptr_array_add(pieces, g_strdup_printf("%3u%%", percent));
		if (self->reason != NULL && *self->reason != '\0')
			g_ptr_array_add(pieces, g_strdup(self->reason));
	}
	if (running && (self->bytes_total > 0 || self->bytes_done > 0)) {
		g_autofree gchar *done = g_format_size(self->bytes_done);
		g_autofree gchar *total = g_format_size(self->bytes_total);

		if (self->bytes_total > 0)
			/* TRANSLATORS: bytes done / bytes in all, e.g. "1.2 GB / 3.4 GB" */
			g_ptr_array_add(pieces, g_strdup_printf(_("%s / %s"), done, total));
		else
			g_ptr_array_add(pieces, g_strdup(done));
	}
	if (running && rate > 0) {
		g_autofree gchar *size = g_format_size((guint64)rate);
		/* TRANSLATORS: transfer rate, e.g. "12.3 MB/s" */
		g_ptr_array_add(pieces, g_strdup_printf(_("%s/s"), size));
		if (self->bytes_total > self->bytes_done) {
			g_autofree gchar *eta = format_duration(
				(guint64)((self->bytes_total - self->bytes_done) / rate));
			/* TRANSLATORS: estimated time left, e.g. "ETA 3:10" */
			g_ptr_array_add(pieces, g_strdup_printf(_("ETA %s"), eta));
		}
	}
	if (self->files_total > 0)
		g_ptr_array_add(pieces, g_strdup_printf(ngettext("%u/%u file", "%u/%u files",
								 self->files_total),
							self->files_done, self->files_total));
	return pieces;
}

/* The line for the current state, at most width columns (escape codes
 * excluded). now is g_get_monotonic_time(). */
gchar *
hfhub_progress_render(HfhubProgress *self, gint64 now, guint width)
{
	gboolean with_bar = FALSE;
	g_autoptr(GPtrArray) pieces = render_pieces(self, now, &with_bar);

	while (pieces->len > 0) {
		g_autofree gchar *text = NULL;
		guint text_width;
		gdouble fraction;
		guint bar_width;
		g_autofree gchar *bar = NULL;

		g_ptr_array_add(pieces, NULL);
		text = g_strjoinv("  ", (gchar **)pieces->pdata);
		g_ptr_array_remove_index(pieces, pieces->len - 1);
		text_width = hfhub_text_width(text);

		if (!with_bar) {
			if (text_width <= width || pieces->len == 1) {
				/* a long reason is the one thing we shorten: this line
				 * is transient, the full text is in "jobs show" */
				if (text_width > width && width > 1) {
					g_autoptr(GPtrArray) lines =
						hfhub_text_wrap(text, width - 1);
					return g_strdup_printf("%s…", (gchar *)lines->pdata[0]);
				}
				return g_steal_pointer(&text);
			}
			g_ptr_array_remove_index(pieces, pieces->len - 1);
			continue;
		}
		/* bar plus its two edges plus a space */
		if (text_width + BAR_MIN_WIDTH + 3 > width && pieces->len > 1) {
			g_ptr_array_remove_index(pieces, pieces->len - 1);
			continue;
		}
		if (text_width + BAR_MIN_WIDTH + 3 > width)
			return g_steal_pointer(&text);
		bar_width = MIN(width - text_width - 3, BAR_MAX_WIDTH);
		fraction = (gdouble)self->bytes_done / (gdouble)self->bytes_total;
		bar = render_bar(self, bar_width, fraction);
		return g_strdup_printf("%s %s", bar, text);
	}
	return g_strdup("");
}

static void
write_all(gint fd, const gchar *text)
{
	gsize len = strlen(text);

	while (len > 0) {
		gssize n = write(fd, text, len);
		if (n <= 0)
			return;
		text += n;
		len -= (gsize)n;
	}
}

void
hfhub_progress_draw(HfhubProgress *self)
{
	guint width = hfhub_console_get_width(self->fd);
	g_autofree gchar *line = NULL;
	g_autoptr(GString) out = g_string_new(NULL);

	/* the last column is left free: writing it wraps on some terminals */
	line = hfhub_progress_render(self, g_get_monotonic_time(), width > 1 ? width - 1 : 1);
	self->spin++;
	if (!self->drawn && !self->dumb)
		g_string_append(out, "\033[?25l"); /* hide the cursor */
	g_string_append_c(out, '\r');
	g_string_append(out, line);
	if (self->dumb) {
		guint w = hfhub_text_width(line);
		for (guint i = w; i < self->last_width; i++)
			g_string_append_c(out, ' ');
		self->last_width = w;
	} else {
		g_string_append(out, "\033[K");
	}
	write_all(self->fd, out->str);
	self->drawn = TRUE;
}

/* erases the line and shows the cursor again; safe to call twice */
void
hfhub_progress_clear(HfhubProgress *self)
{
	g_autoptr(GString) out = g_string_new("\r");

	if (!self->drawn)
		return;
	if (self->dumb) {
		for (guint i = 0; i < self->last_width; i++)
			g_string_append_c(out, ' ');
		g_string_append_c(out, '\r');
	} else {
		g_string_append(out, "\033[K\033[?25h");
	}
	write_all(self->fd, out->str);
	self->drawn = FALSE;
	self->last_width = 0;
}
