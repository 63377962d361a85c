#include "config.h"

#define G_LOG_DOMAIN "HfhubHttpUpload"

#include "hfhub-http-upload.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-error.h"

#define MAX_PUT_ATTEMPTS 6
#define MAX_API_ATTEMPTS 6
#define BODY_CHUNK	 (256 * 1024)

/* ---- a GInputStream over a range of a file, read with pread() */

#define HFHUB_TYPE_RANGE_STREAM (hfhub_range_stream_get_type())
G_DECLARE_FINAL_TYPE(HfhubRangeStream, hfhub_range_stream, HFHUB, RANGE_STREAM, GInputStream)

struct _HfhubRangeStream {
	GInputStream parent_instance;
	int fd; /* borrowed */
	guint64 offset;
	guint64 length;
	guint64 pos;
	HfhubThrottle *throttle; /* borrowed, may be NULL */
	HfhubUploadProgressFunc progress;
	gpointer progress_data;
};

G_DEFINE_FINAL_TYPE(HfhubRangeStream, hfhub_range_stream, G_TYPE_INPUT_STREAM)

static gssize
hfhub_range_stream_read(GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable,
			GError **error)
{
	HfhubRangeStream *self = HFHUB_RANGE_STREAM(stream);
	gsize want = (gsize)MIN((guint64)count, self->length - self->pos);
	gssize n;

	if (want == 0)
		return 0;
	if (self->throttle != NULL &&
	    !hfhub_throttle_consume(self->throttle, want, cancellable, error))
		return -1;
	do
		n = pread(self->fd, buffer, want, (off_t)(self->offset + self->pos));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
			    "cannot read the file being uploaded: %s", g_strerror(errno));
		return -1;
	}
	if (n == 0) {
		/* the file shrank since it was hashed: what would go is wrong */
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "the file being uploaded ended %" G_GUINT64_FORMAT
			    " bytes early: it changed since it was hashed",
			    self->length - self->pos);
		return -1;
	}
	self->pos += (guint64)n;
	if (self->progress != NULL)
		self->progress(self->progress_data, n);
	return n;
}

static gboolean
hfhub_range_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static void
hfhub_range_stream_class_init(HfhubRangeStreamClass *klass)
{
	GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS(klass);

	stream_class->read_fn = hfhub_range_stream_read;
	stream_class->close_fn = hfhub_range_stream_close;
}

static void
hfhub_range_stream_init(HfhubRangeStream *self)
{
}

static GInputStream *
range_stream_new(int fd, guint64 offset, guint64 length, HfhubThrottle *throttle,
		 HfhubUploadProgressFunc progress, gpointer progress_data)
{
	HfhubRangeStream *self = g_object_new(HFHUB_TYPE_RANGE_STREAM, NULL);

	self->fd = fd;
	self->offset = offset;
	self->length = length;
	self->throttle = throttle;
	self->progress = progress;
	self->progress_data = progress_data;
	return G_INPUT_STREAM(self);
}

/* ---- helpers */

static void
convert_transport_error(GError **error, const gchar *what)
{
	GError *e = *error;

	if (e->domain == HFHUB_ERROR)
		return;
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		hfhub_error_convert(error);
		return;
	}
	g_prefix_error(error, "%s: ", what);
	(*error)->domain = HFHUB_ERROR;
	(*error)->code = HFHUB_ERROR_NETWORK;
}

/* the URL without its query: signed URLs carry credentials of a sort, they
 * stay out of messages and logs */
static gchar *
url_for_message(const gchar *url)
{
	const gchar *q = strchr(url, '?');

	return q != NULL ? g_strndup(url, (gsize)(q - url)) : g_strdup(url);
}

static gboolean
drain(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	guint8 buf[8192];
	gssize n;

	while ((n = g_input_stream_read(stream, buf, sizeof buf, cancellable, error)) > 0) {
	}
	return n == 0;
}

static guint
retry_wait_ms(SoupMessage *msg, guint attempt)
{
	guint after = msg != NULL ? hfhub_http_retry_after(msg) : 0;

	return after > 0 ? after * 1000 : hfhub_http_backoff_ms(attempt);
}

/* ---- PUT from a file */

static gchar *
put_once(HfhubHttp *http, const gchar *url, int fd, guint64 offset, guint64 length,
	 HfhubThrottle *throttle, HfhubUploadProgressFunc progress, gpointer progress_data,
	 SoupMessage **out_msg, GCancellable *cancellable, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(url, SOUP_HTTP_URI_FLAGS, error);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GInputStream) body = NULL;
	g_autoptr(GInputStream) answer = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *shown = url_for_message(url);
	const gchar *etag;
	guint status;

	if (uri == NULL) {
		hfhub_error_convert(error);
		return NULL;
	}
	msg = soup_message_new_from_uri("PUT", uri);
	soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
	soup_message_headers_replace(soup_message_get_request_headers(msg), "Accept-Encoding",
				     "identity");
	body = range_stream_new(fd, offset, length, throttle, progress, progress_data);
	soup_message_set_request_body(msg, NULL, body, (gssize)length);
	answer = soup_session_send(hfhub_http_get_session(http), msg, cancellable, &error_local);
	if (answer == NULL || !drain(answer, cancellable, &error_local)) {
		convert_transport_error(&error_local, shown);
		g_propagate_error(error, g_steal_pointer(&error_local));
		*out_msg = g_steal_pointer(&msg);
		return NULL;
	}
	g_input_stream_close(answer, NULL, NULL);
	status = soup_message_get_status(msg);
	if (!SOUP_STATUS_IS_SUCCESSFUL(status)) {
		g_autofree gchar *what = g_strdup_printf("PUT %s", shown);
		g_propagate_error(error, hfhub_http_status_error(msg, what, FALSE));
		*out_msg = g_steal_pointer(&msg);
		return NULL;
	}
	etag = soup_message_headers_get_one(soup_message_get_response_headers(msg), "ETag");
	*out_msg = g_steal_pointer(&msg);
	return g_strdup(etag != NULL ? etag : "");
}

/* counts one attempt's bytes, to take them back if it fails */
typedef struct {
	HfhubUploadProgressFunc func;
	gpointer data;
	gint64 sent;
} AttemptCounter;

static void
attempt_progress_cb(gpointer user_data, gint64 delta)
{
	AttemptCounter *counter = user_data;

	counter->sent += delta;
	if (counter->func != NULL)
		counter->func(counter->data, delta);
}

gchar *
hfhub_http_upload_put(HfhubHttp *http, const gchar *url, int fd, guint64 offset, guint64 length,
		      HfhubThrottle *throttle, HfhubUploadProgressFunc progress,
		      gpointer progress_data, GCancellable *cancellable, GError **error)
{
	for (guint attempt = 1;; attempt++) {
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GError) error_local = NULL;
		AttemptCounter counter = { progress, progress_data, 0 };
		gchar *etag;

		etag = put_once(http, url, fd, offset, length, throttle, attempt_progress_cb,
				&counter, &msg, cancellable, &error_local);
		if (etag != NULL)
			return etag;
		if (progress != NULL && counter.sent != 0)
			progress(progress_data, -counter.sent);
		if (!hfhub_http_error_is_transient(error_local) || attempt >= MAX_PUT_ATTEMPTS) {
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_debug("%s; retrying", error_local->message);
		if (!hfhub_http_sleep(retry_wait_ms(msg, attempt), cancellable, error))
			return NULL;
	}
}

/* ---- whole answers */

GBytes *
hfhub_http_upload_fetch(HfhubHttp *http, const HfhubHttpTarget *target, const gchar *method,
			const gchar *url, const gchar *const *headers, GBytes *body,
			const gchar *content_type, gboolean retry, SoupMessage **out_msg,
			GCancellable *cancellable, GError **error)
{
	g_autoptr(SoupMessageHeaders) extra = NULL;

	if (headers != NULL) {
		extra = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
		for (guint i = 0; headers[i] != NULL && headers[i + 1] != NULL; i += 2)
			soup_message_headers_replace(extra, headers[i], headers[i + 1]);
	}
	for (guint attempt = 1;; attempt++) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GInputStream) stream = NULL;
		g_autoptr(GOutputStream) sink = NULL;

		stream = hfhub_http_send(http, target, method, url, extra, body, content_type, &msg,
					 NULL, cancellable, &error_local);
		if (stream != NULL) {
			sink = g_memory_output_stream_new_resizable();
			if (g_output_stream_splice(sink, stream,
						   G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
							   G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
						   cancellable, &error_local) >= 0) {
				if (out_msg != NULL)
					*out_msg = g_steal_pointer(&msg);
				return g_memory_output_stream_steal_as_bytes(
					G_MEMORY_OUTPUT_STREAM(sink));
			}
			convert_transport_error(&error_local, url);
		}
		if (!retry || !hfhub_http_error_is_transient(error_local) ||
		    attempt >= MAX_API_ATTEMPTS) {
			if (out_msg != NULL && msg != NULL)
				*out_msg = g_steal_pointer(&msg);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		g_debug("%s %s: %s; retrying", method, url, error_local->message);
		/* a rate limit is waited for by the next send */
		if (!g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_RATE_LIMITED) &&
		    !hfhub_http_sleep(retry_wait_ms(msg, attempt), cancellable, error))
			return NULL;
	}
}
