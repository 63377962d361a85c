/* The requests of uploads that hfhub_http_fetch() cannot make: a request
 * body streamed from a range of a file (LFS PUTs), extra request headers
 * (git-LFS media types), and a send that is never retried (the commit, which
 * a retry could apply twice).
 *
 * Synchronous, for worker threads, through the daemon's one session. */
#pragma once

#include "hfhub-http.h"
#include "hfhub-throttle.h"

G_BEGIN_DECLS

/* @delta bytes of a request body went out (negative: a failed attempt
 * takes back what it had counted). Called from the sending thread. */
typedef void (*HfhubUploadProgressFunc)(gpointer user_data, gint64 delta);

/* PUTs bytes [@offset, @offset + @length) of the open file @fd to the
 * presigned @url, streaming them (never the whole range in memory). No
 * Authorization header is ever sent (the signature is in the URL, and the
 * host is the CDN's), no redirect is followed. Network failures, 408, 429
 * and 5xx are retried with backoff (as huggingface_hub does for LFS PUTs);
 * other statuses fail at once (an expired signature is a 403,
 * HFHUB_ERROR_FORBIDDEN). Returns the answer's ETag header verbatim ("" when
 * it has none). @throttle (may be NULL) paces the bytes. */
gchar *
hfhub_http_upload_put(HfhubHttp *http, const gchar *url, int fd, guint64 offset, guint64 length,
		      HfhubThrottle *throttle, HfhubUploadProgressFunc progress,
		      gpointer progress_data, GCancellable *cancellable, GError **error);

/* Sends @method @url with @body (may be NULL) and the extra request
 * @headers ("Name", "value", …, NULL-terminated; may be NULL) and reads the
 * whole answer. With @retry, transient failures are retried as
 * hfhub_http_fetch() does; without, the first failure is returned (and
 * *out_msg, when not NULL, is the message, also on a status error). */
GBytes *
hfhub_http_upload_fetch(HfhubHttp *http, const HfhubHttpTarget *target, const gchar *method,
			const gchar *url, const gchar *const *headers, GBytes *body,
			const gchar *content_type, gboolean retry, SoupMessage **out_msg,
			GCancellable *cancellable, GError **error);

G_END_DECLS
