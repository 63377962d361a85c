/* HfhubHttp: the daemon's one SoupSession and the rules every request obeys.
 *
 * - Authorization goes only to the endpoint's origin (scheme, host, port):
 *   never across a cross-host redirect, never to plain http unless the
 *   endpoint itself is http.
 * - Redirects are followed here, not by libsoup, so that the Hub's first
 *   answer (X-Linked-Etag, X-Linked-Size, X-Repo-Commit) is kept and an
 *   https→http hop is refused.
 * - HTTP failures become HFHUB_ERROR codes through the Hub's X-Error-Code.
 *
 * The send functions are synchronous and meant for worker threads (libsoup
 * ≥ 3.2 allows sending from any thread); configure the session before. */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define HFHUB_TYPE_HTTP (hfhub_http_get_type())
G_DECLARE_FINAL_TYPE(HfhubHttp, hfhub_http, HFHUB, HTTP, GObject)

/* Called (from the sending thread) when a request must wait for the Hub's
 * rate limit: @until is the UNIX time it waits for, 0 when the wait is over. */
typedef void (*HfhubHttpWaitFunc)(gpointer user_data, gint64 until);

/* Where and as whom a request goes. The token is never logged. */
typedef struct {
	const gchar *endpoint; /* "https://huggingface.co", no trailing slash */
	const gchar *token;    /* NULL for anonymous */
	HfhubHttpWaitFunc on_wait;
	gpointer on_wait_data;
} HfhubHttpTarget;

/* @stall_timeout: seconds a socket may stay silent before the transfer
 * fails with a network error (and is resumed by its caller) */
HfhubHttp *
hfhub_http_new(guint stall_timeout);

/* The session itself, for hfhub-http-upload.c, which streams request bodies
 * from files; it sends no token at all (upload URLs are presigned). */
SoupSession *
hfhub_http_get_session(HfhubHttp *self);

/* TRUE when @uri has the same scheme, host and port as @endpoint */
gboolean
hfhub_http_same_origin(GUri *uri, const gchar *endpoint);

/* Sends @method @url, following up to 10 redirects. On success returns the
 * body stream of the final response with *out_msg set to it, and
 * *out_first (when not NULL) to the first response (the one the endpoint
 * gave). Statuses >= 400 are turned into errors unless @accept_status
 * names them (0-terminated list). @headers are extra request headers (may be
 * NULL). */
GInputStream *
hfhub_http_send(HfhubHttp *self, const HfhubHttpTarget *target, const gchar *method,
		const gchar *url, SoupMessageHeaders *headers, GBytes *body,
		const gchar *content_type, SoupMessage **out_msg, SoupMessage **out_first,
		GCancellable *cancellable, GError **error);

/* Sends and reads the whole body (API calls: small JSON answers), retrying
 * network errors, 5xx and 429 with backoff (honouring Retry-After and
 * RateLimit). */
GBytes *
hfhub_http_fetch(HfhubHttp *self, const HfhubHttpTarget *target, const gchar *method,
		 const gchar *url, GBytes *body, const gchar *content_type, SoupMessage **out_msg,
		 GCancellable *cancellable, GError **error);

/* The error an HTTP failure status means, with the Hub's X-Error-Code and
 * X-Error-Message; @token_used words the hint for 401/404. */
GError *
hfhub_http_status_error(SoupMessage *msg, const gchar *what, gboolean token_used);

/* TRUE for failures worth another try: network errors, 5xx, 429 */
gboolean
hfhub_http_error_is_transient(const GError *error);

/* Seconds the server asked us to wait (Retry-After, or RateLimit's t=),
 * 0 when it did not say. */
guint
hfhub_http_retry_after(SoupMessage *msg);

/* Waits @ms milliseconds unless @cancellable fires first (FALSE then). */
gboolean
hfhub_http_sleep(guint ms, GCancellable *cancellable, GError **error);

/* The delay before retry number @attempt (1-based): exponential with
 * jitter, capped. */
guint
hfhub_http_backoff_ms(guint attempt);

/* URL-encodes one path segment (or a path with its slashes kept when
 * @keep_slashes) the way huggingface_hub's quote() does. */
gchar *
hfhub_http_escape(const gchar *s, gboolean keep_slashes);

G_END_DECLS
