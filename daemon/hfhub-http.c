#include "config.h"

#define G_LOG_DOMAIN "HfhubHttp"

#include "hfhub-http.h"

#include <string.h>

#include "hfhub-error.h"

struct _HfhubHttp {
	GObject parent_instance;
	SoupSession *session;
	/* the Hub's rate limits, one budget for the whole daemon: "host bucket"
	 * → monotonic time (µs) before which no request of that bucket goes */
	GMutex budget_lock;
	GHashTable *blocked_until;
};

G_DEFINE_FINAL_TYPE(HfhubHttp, hfhub_http, G_TYPE_OBJECT)

/* not in libsoup 3.2's SoupStatus */
#define HTTP_TOO_MANY_REQUESTS 429

#define MAX_REDIRECTS	 10
#define MAX_API_ATTEMPTS 6
/* a server asking for longer than this is treated as a failure */
#define MAX_RETRY_AFTER_S 300

static void
hfhub_http_finalize(GObject *object)
{
	HfhubHttp *self = HFHUB_HTTP(object);

	g_clear_object(&self->session);
	g_hash_table_unref(self->blocked_until);
	g_mutex_clear(&self->budget_lock);
	G_OBJECT_CLASS(hfhub_http_parent_class)->finalize(object);
}

static void
hfhub_http_class_init(HfhubHttpClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hfhub_http_finalize;
}

/* Logs requests with G_MESSAGES_DEBUG=HfhubHttp; credentials never reach
 * the log: libsoup prints them, so the printer drops those lines. */
static void
logger_printer(SoupLogger *logger, SoupLoggerLogLevel level, char direction, const char *data,
	       gpointer user_data)
{
	if (g_ascii_strncasecmp(data, "Authorization:", 14) == 0 ||
	    g_ascii_strncasecmp(data, "Cookie:", 7) == 0 ||
	    g_ascii_strncasecmp(data, "Set-Cookie:", 11) == 0) {
		g_debug("%c %.*s [redacted]", direction, (int)(strchr(data, ':') - data), data);
		return;
	}
	g_debug("%c %s", direction, data);
}

static void
hfhub_http_init(HfhubHttp *self)
{
	g_autofree gchar *agent = g_strdup_printf(
		"hfhub/%s; glib/%u.%u.%u; libsoup/%u.%u.%u", PACKAGE_VERSION, glib_major_version,
		glib_minor_version, glib_micro_version, soup_get_major_version(),
		soup_get_minor_version(), soup_get_micro_version());

	g_mutex_init(&self->budget_lock);
	self->blocked_until = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	/* libsoup's default of 2 connections per host would serialise a
	 * snapshot's files; the scheduler bounds concurrency instead */
	self->session = soup_session_new_with_options("user-agent", agent, "max-conns", 64,
						      "max-conns-per-host", 32, "timeout", 60,
						      "idle-timeout", 60, NULL);
	if (g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN) == FALSE) {
		g_autoptr(SoupLogger) logger = soup_logger_new(SOUP_LOGGER_LOG_HEADERS);
		soup_logger_set_printer(logger, logger_printer, NULL, NULL);
		soup_session_add_feature(self->session, SOUP_SESSION_FEATURE(logger));
	}
}

HfhubHttp *
hfhub_http_new(guint stall_timeout)
{
	HfhubHttp *self = g_object_new(HFHUB_TYPE_HTTP, NULL);

	/* libsoup's I/O timeout is the stall watchdog: it fires when no byte
	 * moves for that long, and the download resumes with a Range */
	g_object_set(self->session, "timeout", stall_timeout, NULL);
	return self;
}

SoupSession *
hfhub_http_get_session(HfhubHttp *self)
{
	return self->session;
}

static gint
port_of(GUri *uri)
{
	gint port = g_uri_get_port(uri);

	if (port > 0)
		return port;
	return g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") == 0 ? 443 : 80;
}

gboolean
hfhub_http_same_origin(GUri *uri, const gchar *endpoint)
{
	g_autoptr(GUri) ep = g_uri_parse(endpoint, G_URI_FLAGS_NONE, NULL);

	if (ep == NULL || uri == NULL)
		return FALSE;
	return g_ascii_strcasecmp(g_uri_get_scheme(ep), g_uri_get_scheme(uri)) == 0 &&
	       g_ascii_strcasecmp(g_uri_get_host(ep), g_uri_get_host(uri)) == 0 &&
	       port_of(ep) == port_of(uri);
}

gchar *
hfhub_http_escape(const gchar *s, gboolean keep_slashes)
{
	/* Python's quote(): unreserved characters and "/" (when kept) stay */
	return g_uri_escape_string(s, keep_slashes ? "/" : "", FALSE);
}

static const gchar *
header_or_empty(SoupMessage *msg, const gchar *name)
{
	const gchar *v = soup_message_headers_get_one(soup_message_get_response_headers(msg), name);
	return v != NULL ? v : "";
}

GError *
hfhub_http_status_error(SoupMessage *msg, const gchar *what, gboolean token_used)
{
	guint status = soup_message_get_status(msg);
	const gchar *code = header_or_empty(msg, "X-Error-Code");
	const gchar *server_msg = header_or_empty(msg, "X-Error-Message");
	g_autofree gchar *detail = NULL;
	const gchar *token_hint =
		token_used ? "the token used may not grant access"
			   : "no token was used: if the repository is private or gated, log in "
			     "with “hfhub auth login”";

	detail = *server_msg != '\0' ? g_strdup_printf(" (%s)", server_msg) : g_strdup("");
	if (g_str_equal(code, "RevisionNotFound"))
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_REVISION_NOT_FOUND,
				   "%s: revision not found%s", what, detail);
	if (g_str_equal(code, "EntryNotFound"))
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND, "%s: file not found%s",
				   what, detail);
	if (g_str_equal(code, "GatedRepo"))
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_GATED_REPO,
				   "%s: the repository is gated; accept its terms on the "
				   "repository's page%s%s",
				   what, token_used ? "" : " and log in with “hfhub auth login”",
				   detail);
	if (g_str_equal(code, "RepoNotFound"))
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_REPO_NOT_FOUND,
				   "%s: repository not found, or private (%s)%s", what, token_hint,
				   detail);
	if (status == SOUP_STATUS_UNAUTHORIZED &&
	    g_str_equal(server_msg, "Invalid credentials in Authorization header"))
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN,
				   "%s: the Hub rejected the token; log in again with “hfhub "
				   "auth login”",
				   what);
	if (status == SOUP_STATUS_UNAUTHORIZED)
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED, "%s: unauthorized (%s)%s",
				   what, token_hint, detail);
	if (status == SOUP_STATUS_FORBIDDEN)
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_FORBIDDEN, "%s: forbidden%s", what,
				   detail);
	if (status == SOUP_STATUS_NOT_FOUND)
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND, "%s: not found%s",
				   what, detail);
	if (status == SOUP_STATUS_CONFLICT || status == SOUP_STATUS_PRECONDITION_FAILED)
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_CONFLICT, "%s: conflict%s", what,
				   detail);
	if (status == HTTP_TOO_MANY_REQUESTS)
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_RATE_LIMITED,
				   "%s: rate limited by the Hub%s", what, detail);
	if (status == SOUP_STATUS_REQUEST_TIMEOUT || status >= 500)
		return g_error_new(HFHUB_ERROR, HFHUB_ERROR_SERVER,
				   "%s: the server answered %u %s%s", what, status,
				   soup_message_get_reason_phrase(msg), detail);
	return g_error_new(HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE, "%s: the server answered %u %s%s",
			   what, status, soup_message_get_reason_phrase(msg), detail);
}

gboolean
hfhub_http_error_is_transient(const GError *error)
{
	return g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_NETWORK) ||
	       g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_SERVER) ||
	       g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_RATE_LIMITED);
}

/* `"api";r=0;t=2` → 2 */
static guint
parse_ratelimit_reset(const gchar *value)
{
	const gchar *t = value != NULL ? strstr(value, ";t=") : NULL;
	guint64 v;

	if (t == NULL || !g_ascii_string_to_unsigned(t + 3, 10, 0, G_MAXUINT, &v, NULL)) {
		/* the number may be followed by more parameters */
		if (t == NULL)
			return 0;
		v = g_ascii_strtoull(t + 3, NULL, 10);
	}
	return (guint)v;
}

guint
hfhub_http_retry_after(SoupMessage *msg)
{
	SoupMessageHeaders *h = soup_message_get_response_headers(msg);
	const gchar *ratelimit = soup_message_headers_get_one(h, "RateLimit");
	const gchar *retry_after = soup_message_headers_get_one(h, "Retry-After");
	guint64 v;

	if (soup_message_get_status(msg) == HTTP_TOO_MANY_REQUESTS && ratelimit != NULL)
		return parse_ratelimit_reset(ratelimit);
	if (retry_after != NULL &&
	    g_ascii_string_to_unsigned(retry_after, 10, 0, MAX_RETRY_AFTER_S, &v, NULL))
		return (guint)v;
	return 0;
}

guint
hfhub_http_backoff_ms(guint attempt)
{
	/* 1, 2, 4, 8, 8 … s as huggingface_hub, with ±25 % jitter so that
	 * parallel transfers do not retry in lockstep */
	guint base = 1000u << MIN(attempt > 0 ? attempt - 1 : 0, 3u);
	return base * 3 / 4 + (guint)g_random_int_range(0, (gint32)(base / 2) + 1);
}

gboolean
hfhub_http_sleep(guint ms, GCancellable *cancellable, GError **error)
{
	GPollFD fd;
	gboolean have_fd = g_cancellable_make_pollfd(cancellable, &fd);
	gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;

	for (;;) {
		gint64 left = deadline - g_get_monotonic_time();
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			if (have_fd)
				g_cancellable_release_fd(cancellable);
			return FALSE;
		}
		if (left <= 0)
			break;
		if (have_fd)
			g_poll(&fd, 1, (gint)MAX(1, left / 1000));
		else
			g_usleep((gulong)MIN(left, 100000));
	}
	if (have_fd)
		g_cancellable_release_fd(cancellable);
	return TRUE;
}

static void
convert_transport_error(GError **error, const gchar *url)
{
	GError *e = *error;

	if (e->domain == HFHUB_ERROR)
		return;
	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		hfhub_error_convert(error);
		return;
	}
	/* TLS, resolver, socket and protocol failures: worth another try */
	g_prefix_error(error, "%s: ", url);
	(*error)->domain = HFHUB_ERROR;
	(*error)->code = HFHUB_ERROR_NETWORK;
}

/* The Hub limits "api" calls and "resolvers" (file downloads) separately. */
static gchar *
budget_key(GUri *uri)
{
	const gchar *path = g_uri_get_path(uri);

	return g_strdup_printf("%s:%d %s", g_uri_get_host(uri), g_uri_get_port(uri),
			       g_str_has_prefix(path, "/api/") ? "api" : "resolvers");
}

/* A 429, or a RateLimit header saying nothing is left: no request of that
 * bucket goes out before the window resets. */
static void
note_rate_limit(HfhubHttp *self, GUri *uri, SoupMessage *msg)
{
	const gchar *ratelimit =
		soup_message_headers_get_one(soup_message_get_response_headers(msg), "RateLimit");
	gboolean exhausted = ratelimit != NULL && strstr(ratelimit, ";r=0") != NULL;
	guint wait_s = hfhub_http_retry_after(msg);
	gint64 until;

	if (soup_message_get_status(msg) != HTTP_TOO_MANY_REQUESTS && !exhausted)
		return;
	if (exhausted && wait_s == 0)
		wait_s = parse_ratelimit_reset(ratelimit);
	/* a 429 that does not say how long: back off a little */
	if (wait_s == 0 && soup_message_get_status(msg) == HTTP_TOO_MANY_REQUESTS)
		wait_s = 1;
	if (wait_s == 0)
		return;
	until = g_get_monotonic_time() + (gint64)wait_s * G_USEC_PER_SEC;
	g_mutex_lock(&self->budget_lock);
	{
		gchar *key = budget_key(uri);
		gint64 *old = g_hash_table_lookup(self->blocked_until, key);
		if (old == NULL || *old < until) {
			gint64 *v = g_new(gint64, 1);
			*v = until;
			g_hash_table_replace(self->blocked_until, key, v);
		} else {
			g_free(key);
		}
	}
	g_mutex_unlock(&self->budget_lock);
	g_debug("rate limited on %s for %u s", g_uri_get_host(uri), wait_s);
}

/* Waits while the request's bucket is rate limited, telling the caller. */
static gboolean
wait_budget(HfhubHttp *self, const HfhubHttpTarget *target, GUri *uri, GCancellable *cancellable,
	    GError **error)
{
	g_autofree gchar *key = budget_key(uri);
	gboolean waited = FALSE;

	for (;;) {
		gint64 now = g_get_monotonic_time();
		gint64 until = 0;
		gint64 *v;

		g_mutex_lock(&self->budget_lock);
		v = g_hash_table_lookup(self->blocked_until, key);
		if (v != NULL)
			until = *v;
		g_mutex_unlock(&self->budget_lock);
		if (until <= now)
			break;
		if (target->on_wait != NULL)
			target->on_wait(target->on_wait_data,
					g_get_real_time() / G_USEC_PER_SEC +
						(until - now + G_USEC_PER_SEC - 1) /
							G_USEC_PER_SEC);
		waited = TRUE;
		if (!hfhub_http_sleep((guint)((until - now) / 1000) + 1, cancellable, error))
			return FALSE;
	}
	if (waited && target->on_wait != NULL)
		target->on_wait(target->on_wait_data, 0);
	return TRUE;
}

GInputStream *
hfhub_http_send(HfhubHttp *self, const HfhubHttpTarget *target, const gchar *method,
		const gchar *url, SoupMessageHeaders *headers, GBytes *body,
		const gchar *content_type, SoupMessage **out_msg, SoupMessage **out_first,
		GCancellable *cancellable, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(url, SOUP_HTTP_URI_FLAGS, error);
	g_autoptr(SoupMessage) first = NULL;
	gboolean token_sent = FALSE;

	if (uri == NULL) {
		hfhub_error_convert(error);
		return NULL;
	}
	for (guint hop = 0; hop <= MAX_REDIRECTS; hop++) {
		g_autoptr(SoupMessage) msg = soup_message_new_from_uri(method, uri);
		SoupMessageHeaders *req = soup_message_get_request_headers(msg);
		g_autoptr(GInputStream) stream = NULL;
		g_autoptr(GError) error_local = NULL;
		gboolean with_token = target->token != NULL && *target->token != '\0' &&
				      hfhub_http_same_origin(uri, target->endpoint);
		guint status;
		const gchar *location;
		g_autoptr(GUri) next = NULL;

		if (!wait_budget(self, target, uri, cancellable, error))
			return NULL;
		soup_message_add_flags(msg, SOUP_MESSAGE_NO_REDIRECT);
		if (headers != NULL) {
			SoupMessageHeadersIter iter;
			const char *name, *value;
			soup_message_headers_iter_init(&iter, headers);
			while (soup_message_headers_iter_next(&iter, &name, &value))
				soup_message_headers_replace(req, name, value);
		}
		/* the token goes to the endpoint's origin only */
		if (with_token) {
			g_autofree gchar *auth = g_strdup_printf("Bearer %s", target->token);
			soup_message_headers_replace(req, "Authorization", auth);
			token_sent = TRUE;
		}
		soup_message_headers_replace(req, "Accept-Encoding", "identity");
		if (body != NULL && hop == 0)
			soup_message_set_request_body_from_bytes(msg, content_type, body);

		stream = soup_session_send(self->session, msg, cancellable, &error_local);
		if (stream == NULL) {
			convert_transport_error(&error_local, url);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		if (first == NULL)
			first = g_object_ref(msg);
		note_rate_limit(self, uri, msg);
		status = soup_message_get_status(msg);
		if (!SOUP_STATUS_IS_REDIRECTION(status) || status == 304) {
			if (status >= 400) {
				g_autofree gchar *what =
					g_strdup_printf("%s %s", method, g_uri_get_path(uri));
				g_propagate_error(error,
						  hfhub_http_status_error(msg, what, token_sent));
				if (out_msg != NULL)
					*out_msg = g_steal_pointer(&msg);
				return NULL;
			}
			if (out_msg != NULL)
				*out_msg = g_steal_pointer(&msg);
			if (out_first != NULL)
				*out_first = g_steal_pointer(&first);
			return g_steal_pointer(&stream);
		}
		location = soup_message_headers_get_one(soup_message_get_response_headers(msg),
							"Location");
		if (location == NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "%s: redirect %u without a Location", url, status);
			return NULL;
		}
		next = g_uri_parse_relative(uri, location, SOUP_HTTP_URI_FLAGS, NULL);
		if (next == NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "%s: redirect to an invalid URL", url);
			return NULL;
		}
		if (g_ascii_strcasecmp(g_uri_get_scheme(uri), "https") == 0 &&
		    g_ascii_strcasecmp(g_uri_get_scheme(next), "https") != 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "%s: refusing a redirect from https to %s", url,
				    g_uri_get_scheme(next));
			return NULL;
		}
		/* drain the redirect's small body so the connection is reused */
		g_input_stream_skip(stream, 64 * 1024, cancellable, NULL);
		g_input_stream_close(stream, NULL, NULL);
		g_uri_unref(uri);
		uri = g_steal_pointer(&next);
	}
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE, "%s: too many redirects", url);
	return NULL;
}

GBytes *
hfhub_http_fetch(HfhubHttp *self, const HfhubHttpTarget *target, const gchar *method,
		 const gchar *url, GBytes *body, const gchar *content_type, SoupMessage **out_msg,
		 GCancellable *cancellable, GError **error)
{
	for (guint attempt = 1;; attempt++) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(SoupMessage) msg = NULL;
		g_autoptr(GInputStream) stream = NULL;
		g_autoptr(GOutputStream) sink = NULL;
		guint wait_ms;

		stream = hfhub_http_send(self, target, method, url, NULL, body, content_type, &msg,
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
		if (!hfhub_http_error_is_transient(error_local) || attempt >= MAX_API_ATTEMPTS) {
			if (out_msg != NULL && msg != NULL)
				*out_msg = g_steal_pointer(&msg);
			g_propagate_error(error, g_steal_pointer(&error_local));
			return NULL;
		}
		/* a rate limit is waited for in the next send, for every caller */
		wait_ms = g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_RATE_LIMITED)
				  ? 0
				  : hfhub_http_backoff_ms(attempt);
		if (msg != NULL && wait_ms > 0 && hfhub_http_retry_after(msg) > 0)
			wait_ms = hfhub_http_retry_after(msg) * 1000;
		g_debug("%s %s: %s; retrying in %u ms", method, url, error_local->message, wait_ms);
		if (!hfhub_http_sleep(wait_ms, cancellable, error))
			return NULL;
	}
}
