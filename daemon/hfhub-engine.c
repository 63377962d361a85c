#include "config.h"

#define G_LOG_DOMAIN "HfhubEngine"

#include "hfhub-engine.h"

#include "hfhub-error.h"
#include "hfhub-cache.h"
#include "hfhub-policy.h"

#include <string.h>

struct _HfhubEngine {
	GObject parent_instance;
	HfhubConfig *config;
	HfhubStore *store;
	HfhubHttp *http;
	HfhubThrottle *download_throttle;
	HfhubThrottle *upload_throttle;
	GNetworkMonitor *network;
	GMutex space_lock;
	guint64 space_claimed; /* bytes running transfers will still write */
	guint policy_source;   /* wakes the scheduler at the next window edge */
	HfhubIdentities *identities;
	GHashTable *kinds;     /* name → const HfhubJobKind* */
	GHashTable *jobs;      /* id (guint64*) → HfhubJob */
	GHashTable *running;   /* HfhubJob → RunData* */
	guint schedule_source; /* idle */
	guint persist_source;  /* periodic progress persistence */
	gboolean shutting_down;
	GHashTable *net_waits; /* HfhubJob → NetWait*: jobs the network failed */
	gboolean sleeping;     /* between logind's PrepareForSleep(true) and (false) */
	guint sleep_source;    /* in case the wake-up signal never comes */
	gchar *owner_session;
};

G_DEFINE_FINAL_TYPE(HfhubEngine, hfhub_engine, G_TYPE_OBJECT)

enum { SIGNAL_JOB_ADDED, SIGNAL_JOB_REMOVED, SIGNAL_STATUS_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

/* A job whose run failed on the network or on the Hub's side (5xx), once
 * its own retries were spent, waits and tries again: after 5 s, then twice
 * as long each time up to 10 min, and at once when the network comes
 * back. After NET_PATIENCE_S of that it fails. */
#define NET_FIRST_WAIT_S 5
#define NET_MAX_WAIT_S	 (10 * 60)
#define NET_PATIENCE_S	 (24 * 3600)

typedef struct {
	guint failures;
	gint64 since;	 /* UNIX seconds of the first failure */
	gint64 next_try; /* UNIX seconds; 0: at once */
	gchar *error;	 /* the last one, for people */
	gboolean hub;	 /* the Hub answered with 5xx: not the network */
} NetWait;

static void
net_wait_free(NetWait *w)
{
	g_free(w->error);
	g_free(w);
}

/* how often the progress of running jobs is written to the store */
#define PERSIST_INTERVAL_S 1

typedef enum {
	STOP_NONE,
	STOP_PAUSE,
	STOP_CANCEL,
	STOP_SHUTDOWN,
	STOP_POLICY, /* left its window, or the network became metered */
	STOP_YIELD,  /* gave its slot to an interactive job; queued again */
} StopReason;

typedef struct {
	HfhubEngine *engine; /* unowned: the engine outlives its runs */
	HfhubJob *job;
	GCancellable *cancellable;
	StopReason stop;
} RunData;

static void
run_data_free(RunData *run)
{
	g_object_unref(run->job);
	g_object_unref(run->cancellable);
	g_free(run);
}

static void
hfhub_engine_dispose(GObject *object)
{
	HfhubEngine *self = HFHUB_ENGINE(object);

	g_clear_handle_id(&self->schedule_source, g_source_remove);
	g_clear_handle_id(&self->persist_source, g_source_remove);
	g_clear_handle_id(&self->policy_source, g_source_remove);
	g_clear_handle_id(&self->sleep_source, g_source_remove);
	if (self->network != NULL)
		g_signal_handlers_disconnect_by_data(self->network, self);
	if (self->config != NULL)
		g_signal_handlers_disconnect_by_data(self->config, self);
	g_clear_pointer(&self->download_throttle, hfhub_throttle_free);
	g_clear_pointer(&self->upload_throttle, hfhub_throttle_free);
	g_clear_pointer(&self->running, g_hash_table_unref);
	g_clear_pointer(&self->net_waits, g_hash_table_unref);
	g_clear_pointer(&self->jobs, g_hash_table_unref);
	g_clear_pointer(&self->kinds, g_hash_table_unref);
	g_clear_object(&self->store);
	g_clear_object(&self->http);
	g_clear_object(&self->identities);
	g_clear_object(&self->config);
	g_clear_pointer(&self->owner_session, g_free);
	G_OBJECT_CLASS(hfhub_engine_parent_class)->dispose(object);
}

static void
hfhub_engine_class_init(HfhubEngineClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = hfhub_engine_dispose;

	signals[SIGNAL_JOB_ADDED] =
		g_signal_new("job-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 1, HFHUB_TYPE_JOB);
	signals[SIGNAL_JOB_REMOVED] =
		g_signal_new("job-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 1, HFHUB_TYPE_JOB);
	signals[SIGNAL_STATUS_CHANGED] =
		g_signal_new("status-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 0);
}

static void
hfhub_engine_init(HfhubEngine *self)
{
	self->kinds = g_hash_table_new(g_str_hash, g_str_equal);
	self->jobs = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_object_unref);
	self->running = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify)run_data_free);
	self->net_waits =
		g_hash_table_new_full(NULL, NULL, g_object_unref, (GDestroyNotify)net_wait_free);
}

static void
schedule(HfhubEngine *self);

static void
config_changed_cb(HfhubConfig *config, const gchar *key, gpointer user_data)
{
	HfhubEngine *self = HFHUB_ENGINE(user_data);

	hfhub_throttle_set_rate(self->download_throttle,
				hfhub_config_get_download_bandwidth_limit(config));
	hfhub_throttle_set_rate(self->upload_throttle,
				hfhub_config_get_upload_bandwidth_limit(config));
	/* limits, windows and the metered policy may let jobs run, or stop them */
	schedule(self);
}

HfhubEngine *
hfhub_engine_new(HfhubConfig *config, HfhubStore *store)
{
	HfhubEngine *self = g_object_new(HFHUB_TYPE_ENGINE, NULL);

	self->config = g_object_ref(config);
	self->store = g_object_ref(store);
	self->http = hfhub_http_new(hfhub_config_get_stall_timeout(config));
	g_mutex_init(&self->space_lock);
	self->download_throttle = hfhub_throttle_new();
	self->upload_throttle = hfhub_throttle_new();
	hfhub_throttle_set_rate(self->download_throttle,
				hfhub_config_get_download_bandwidth_limit(config));
	hfhub_throttle_set_rate(self->upload_throttle,
				hfhub_config_get_upload_bandwidth_limit(config));
	g_signal_connect(config, "changed", G_CALLBACK(config_changed_cb), self);
	return self;
}

HfhubConfig *
hfhub_engine_get_config(HfhubEngine *self)
{
	return self->config;
}

HfhubStore *
hfhub_engine_get_store(HfhubEngine *self)
{
	return self->store;
}

HfhubHttp *
hfhub_engine_get_http(HfhubEngine *self)
{
	return self->http;
}

HfhubThrottle *
hfhub_engine_get_download_throttle(HfhubEngine *self)
{
	return self->download_throttle;
}

HfhubThrottle *
hfhub_engine_get_upload_throttle(HfhubEngine *self)
{
	return self->upload_throttle;
}

const HfhubOptionSpec hfhub_engine_common_options[] = {
	{ "priority", "i" },	   { "start-at", "x" }, { "window", "s" },
	{ "unmetered-only", "b" }, { "detach", "b" },	{ NULL, NULL },
};

void
hfhub_engine_set_identities(HfhubEngine *self, HfhubIdentities *identities)
{
	g_set_object(&self->identities, identities);
}

HfhubIdentities *
hfhub_engine_get_identities(HfhubEngine *self)
{
	return self->identities;
}

gchar *
hfhub_engine_dup_token(HfhubEngine *self, const gchar *identity, const gchar *endpoint,
		       GError **error)
{
	const gchar *env;

	if (self->identities == NULL) {
		if (identity != NULL && *identity != '\0') {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "there is no identity “%s”: this hfhubd keeps none", identity);
			return NULL;
		}
		/* an engine without identities (unit tests): the environment's */
		env = g_getenv("HF_TOKEN");
		return env != NULL && *env != '\0' ? g_strdup(env) : NULL;
	}
	return hfhub_identities_dup_token(self->identities, identity, endpoint, error);
}

gchar *
hfhub_engine_dup_identity_name(HfhubEngine *self, const gchar *identity, const gchar *endpoint,
			       GError **error)
{
	if (self->identities == NULL) {
		if (identity != NULL && *identity != '\0')
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "there is no identity “%s”: this hfhubd keeps none", identity);
		return NULL;
	}
	return hfhub_identities_dup_identity_name(self->identities, identity, endpoint, error);
}

void
hfhub_engine_register_kind(HfhubEngine *self, const HfhubJobKind *kind)
{
	g_return_if_fail(kind->name != NULL && kind->run_async != NULL);
	g_hash_table_insert(self->kinds, (gpointer)kind->name, (gpointer)kind);
}

const HfhubJobKind *
hfhub_engine_get_kind(HfhubEngine *self, const gchar *name)
{
	return g_hash_table_lookup(self->kinds, name);
}

gboolean
hfhub_options_validate(GVariant *options, const HfhubOptionSpec *specs, GError **error)
{
	GVariantIter iter;
	const gchar *key;
	GVariant *value_raw;

	if (options == NULL)
		return TRUE;
	if (!g_variant_is_of_type(options, G_VARIANT_TYPE_VARDICT)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "options must be of type a{sv}, not %s",
			    g_variant_get_type_string(options));
		return FALSE;
	}
	g_variant_iter_init(&iter, options);
	/* _next, not _loop: returning from inside a _loop leaks its value */
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value_raw)) {
		g_autoptr(GVariant) value = value_raw;
		const HfhubOptionSpec *spec = NULL;
		for (guint i = 0; specs != NULL && specs[i].key != NULL; i++) {
			if (g_str_equal(specs[i].key, key)) {
				spec = &specs[i];
				break;
			}
		}

		if (spec == NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "unknown option “%s”", key);
			return FALSE;
		}
		if (!g_variant_is_of_type(value, G_VARIANT_TYPE(spec->type))) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "option “%s” must be of type “%s”, not “%s”", key, spec->type,
				    g_variant_get_type_string(value));
			return FALSE;
		}
	}
	return TRUE;
}

/* a kind's own options plus the scheduler's common ones */
static gboolean
validate_job_options(const HfhubJobKind *kind, GVariant *options, GError **error)
{
	g_autoptr(GArray) specs = g_array_new(TRUE, TRUE, sizeof(HfhubOptionSpec));
	const gchar *window = NULL;
	gint64 start_at = 0;

	for (guint i = 0; kind->options != NULL && kind->options[i].key != NULL; i++)
		g_array_append_val(specs, kind->options[i]);
	for (guint i = 0; hfhub_engine_common_options[i].key != NULL; i++)
		g_array_append_val(specs, hfhub_engine_common_options[i]);
	if (!hfhub_options_validate(options, (const HfhubOptionSpec *)(gpointer)specs->data, error))
		return FALSE;
	if (options == NULL)
		return TRUE;
	if (g_variant_lookup(options, "window", "&s", &window) && *window != '\0' &&
	    !hfhub_window_parse(window, NULL, error))
		return FALSE;
	if (g_variant_lookup(options, "start-at", "x", &start_at) && start_at < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "start-at is a UNIX time, not %" G_GINT64_FORMAT, start_at);
		return FALSE;
	}
	return TRUE;
}

static void
emit_status_changed(HfhubEngine *self)
{
	g_signal_emit(self, signals[SIGNAL_STATUS_CHANGED], 0);
}

/* Writes the job's record; the in-memory state only changes when the row
 * did, so what the bus announces is always what a restart would see. */
static gboolean
set_state(HfhubEngine *self, HfhubJob *job, HfhubJobState state, const gchar *reason,
	  GError **error)
{
	HfhubJobRecord *rec = hfhub_job_get_record_mutable(job);
	g_autoptr(HfhubJobRecord) saved = hfhub_job_record_copy(rec);

	rec->state = state;
	g_free(rec->state_reason);
	rec->state_reason = g_strdup(reason != NULL ? reason : "");
	if (!hfhub_store_update_job(self->store, rec, error)) {
		/* keep memory and disk in agreement */
		*rec = *saved;
		memset(saved, 0, sizeof(*saved));
		g_free(g_steal_pointer(&saved));
		return FALSE;
	}
	hfhub_job_emit_changed(job, HFHUB_JOB_CHANGED_STATE | HFHUB_JOB_CHANGED_PROGRESS |
					    HFHUB_JOB_CHANGED_RESULT);
	if (hfhub_job_state_is_final(state))
		hfhub_job_emit_finished(job);
	emit_status_changed(self);
	return TRUE;
}

static void
set_state_or_warn(HfhubEngine *self, HfhubJob *job, HfhubJobState state, const gchar *reason)
{
	g_autoptr(GError) error = NULL;

	if (!set_state(self, job, state, reason, &error))
		g_warning("job %" G_GUINT64_FORMAT ": cannot record state %s: %s",
			  hfhub_job_get_id(job), hfhub_job_state_to_string(state), error->message);
}

void
hfhub_engine_set_job_reason(HfhubEngine *self, HfhubJob *job, const gchar *reason)
{
	HfhubJobRecord *rec = hfhub_job_get_record_mutable(job);

	if (g_strcmp0(rec->state_reason, reason) == 0)
		return;
	g_free(rec->state_reason);
	rec->state_reason = g_strdup(reason != NULL ? reason : "");
	hfhub_job_emit_changed(job, HFHUB_JOB_CHANGED_STATE);
}

static void
schedule(HfhubEngine *self);

typedef struct {
	HfhubEngine *engine;
	HfhubJob *job;
	gchar *reason;
} ReasonUpdate;

static gboolean
apply_reason_cb(gpointer user_data)
{
	ReasonUpdate *update = user_data;

	if (hfhub_job_get_state(update->job) == HFHUB_JOB_STATE_RUNNING)
		hfhub_engine_set_job_reason(update->engine, update->job, update->reason);
	return G_SOURCE_REMOVE;
}

static void
reason_update_free(ReasonUpdate *update)
{
	g_object_unref(update->engine);
	g_object_unref(update->job);
	g_free(update->reason);
	g_free(update);
}

void
hfhub_engine_note_job_reason(HfhubEngine *self, HfhubJob *job, const gchar *reason)
{
	ReasonUpdate *update = g_new0(ReasonUpdate, 1);

	update->engine = g_object_ref(self);
	update->job = g_object_ref(job);
	update->reason = g_strdup(reason);
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, apply_reason_cb, update,
				   (GDestroyNotify)reason_update_free);
}

/* TRUE when @error (the end of a run) is the network's or the Hub's and
 * the job should wait and try again rather than fail */
static gboolean
wait_for_network(HfhubEngine *self, HfhubJob *job, const GError *error)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	NetWait *w = g_hash_table_lookup(self->net_waits, job);
	guint wait_s;

	if (!g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_NETWORK) &&
	    !g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_SERVER))
		return FALSE;
	if (w == NULL) {
		w = g_new0(NetWait, 1);
		w->since = now;
		g_hash_table_insert(self->net_waits, g_object_ref(job), w);
	}
	if (now - w->since > NET_PATIENCE_S) {
		g_hash_table_remove(self->net_waits, job);
		return FALSE;
	}
	wait_s = MIN(NET_FIRST_WAIT_S << MIN(w->failures, 10u), NET_MAX_WAIT_S);
	w->failures++;
	w->next_try = now + wait_s;
	g_free(w->error);
	w->error = g_strdup(error->message);
	w->hub = g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_SERVER);
	g_debug("job %" G_GUINT64_FORMAT ": %s; trying again in %u s", hfhub_job_get_id(job),
		error->message, wait_s);
	return TRUE;
}

static void
job_run_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RunData *run = user_data;
	HfhubEngine *self = run->engine;
	HfhubJob *job = run->job;
	const HfhubJobKind *kind = hfhub_engine_get_kind(self, hfhub_job_get_kind(job));
	HfhubJobRecord *rec = hfhub_job_get_record_mutable(job);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) result = NULL;
	StopReason stop = run->stop;

	result = kind->run_finish(job, res, &error);
	hfhub_job_flush_progress(job);
	/* the run data (and our refs) go with this */
	g_object_ref(job);
	g_hash_table_remove(self->running, job);

	if (stop == STOP_SHUTDOWN) {
		g_object_unref(job);
		return;
	}
	if (result != NULL || stop == STOP_CANCEL || stop == STOP_PAUSE)
		g_hash_table_remove(self->net_waits, job);
	if (result != NULL) {
		g_variant_unref(rec->result);
		/* a full reference, or a floating one: either way ours now */
		rec->result = g_variant_take_ref(g_steal_pointer(&result));
		set_state_or_warn(self, job, HFHUB_JOB_STATE_SUCCEEDED, "");
	} else if (stop == STOP_PAUSE) {
		set_state_or_warn(self, job, HFHUB_JOB_STATE_PAUSED, "paused");
	} else if (stop == STOP_POLICY || stop == STOP_YIELD) {
		/* back in the queue; the scheduler says what it waits for */
		set_state_or_warn(self, job, HFHUB_JOB_STATE_QUEUED,
				  stop == STOP_YIELD ? "gave its place to an interactive job" : "");
	} else if (stop == STOP_NONE && wait_for_network(self, job, error)) {
		/* back in the queue; the scheduler says until when */
		set_state_or_warn(self, job, HFHUB_JOB_STATE_QUEUED, "");
	} else if (stop == STOP_CANCEL ||
		   g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		if (kind->discard != NULL)
			kind->discard(self, job);
		set_state_or_warn(self, job, HFHUB_JOB_STATE_CANCELLED, "cancelled");
	} else {
		hfhub_error_convert(&error);
		g_free(rec->error_name);
		rec->error_name = g_strdup(hfhub_error_to_dbus_name(error->code));
		g_free(rec->error_message);
		rec->error_message = g_strdup(error->message);
		g_debug("job %" G_GUINT64_FORMAT " failed: %s", rec->id, error->message);
		/* nothing can resume a failed job: what it left behind goes */
		if (kind->discard != NULL)
			kind->discard(self, job);
		set_state_or_warn(self, job, HFHUB_JOB_STATE_FAILED, "");
	}
	g_object_unref(job);
	schedule(self);
}

static void
start_job(HfhubEngine *self, HfhubJob *job)
{
	const HfhubJobKind *kind = hfhub_engine_get_kind(self, hfhub_job_get_kind(job));
	RunData *run;

	if (kind == NULL) {
		HfhubJobRecord *rec = hfhub_job_get_record_mutable(job);
		g_free(rec->error_name);
		rec->error_name = g_strdup(hfhub_error_to_dbus_name(HFHUB_ERROR_INVALID_STATE));
		g_free(rec->error_message);
		rec->error_message =
			g_strdup_printf("this hfhubd cannot run jobs of kind “%s”", rec->kind);
		set_state_or_warn(self, job, HFHUB_JOB_STATE_FAILED, "");
		return;
	}
	if (!set_state(self, job, HFHUB_JOB_STATE_RUNNING, "", NULL)) {
		g_warning("job %" G_GUINT64_FORMAT ": cannot be started", hfhub_job_get_id(job));
		return;
	}
	run = g_new0(RunData, 1);
	run->engine = self;
	run->job = g_object_ref(job);
	run->cancellable = g_cancellable_new();
	g_hash_table_insert(self->running, job, run);
	kind->run_async(self, job, run->cancellable, job_run_cb, run);
}

/* Someone is waiting for it: a caller of this session that did not
 * --detach (an app's request, or hfhub download in a terminal). Background
 * work is the rest: detached jobs, and those of an earlier daemon. */
gboolean
hfhub_engine_job_is_interactive(HfhubEngine *self, HfhubJob *job)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	gboolean detach = FALSE;

	if (hfhub_job_lookup_option(job, "detach", "b", &detach) && detach)
		return FALSE;
	return self->owner_session != NULL &&
	       g_strcmp0(rec->owner_session, self->owner_session) == 0;
}

/* higher priority first, then interactive before background, then first
 * come first served; < 0 when @a goes before @b */
static gint
compare_jobs(HfhubEngine *self, HfhubJob *a, HfhubJob *b)
{
	const HfhubJobRecord *ra = hfhub_job_get_record(a);
	const HfhubJobRecord *rb = hfhub_job_get_record(b);
	gboolean ia, ib;

	if (ra->priority != rb->priority)
		return ra->priority > rb->priority ? -1 : 1;
	ia = hfhub_engine_job_is_interactive(self, a);
	ib = hfhub_engine_job_is_interactive(self, b);
	if (ia != ib)
		return ia ? -1 : 1;
	return ra->id < rb->id ? -1 : (ra->id > rb->id ? 1 : 0);
}

static gint
compare_queued(gconstpointer a, gconstpointer b, gpointer user_data)
{
	return compare_jobs(user_data, *(HfhubJob **)a, *(HfhubJob **)b);
}

/* When every slot is taken, an interactive job waiting in the queue takes
 * the slot of the last-ranked background job below it, which goes back to
 * the queue and later continues where it stopped (partial files resume).
 * One job yields per waiting interactive job. */
static void
make_room_for_interactive(HfhubEngine *self, GPtrArray *queued, guint max)
{
	guint waiting = 0;
	guint yielding = 0;
	GHashTableIter iter;
	gpointer key, value;

	g_hash_table_iter_init(&iter, self->running);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		if (((RunData *)value)->stop == STOP_YIELD)
			yielding++;
	for (guint i = max > g_hash_table_size(self->running)
			       ? max - g_hash_table_size(self->running)
			       : 0;
	     i < queued->len; i++) {
		HfhubJob *candidate = g_ptr_array_index(queued, i);
		RunData *victim = NULL;

		if (!hfhub_engine_job_is_interactive(self, candidate))
			continue;
		if (++waiting <= yielding)
			continue;
		g_hash_table_iter_init(&iter, self->running);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			RunData *run = value;
			if (run->stop != STOP_NONE || hfhub_engine_job_is_interactive(self, key) ||
			    compare_jobs(self, key, candidate) < 0)
				continue;
			if (victim == NULL || compare_jobs(self, key, victim->job) > 0)
				victim = run;
		}
		if (victim == NULL)
			return;
		g_debug("job %" G_GUINT64_FORMAT
			" gives its slot to interactive job %" G_GUINT64_FORMAT,
			hfhub_job_get_id(victim->job), hfhub_job_get_id(candidate));
		victim->stop = STOP_YIELD;
		g_cancellable_cancel(victim->cancellable);
		yielding++;
	}
}

static gboolean
network_is_metered(HfhubEngine *self)
{
	const gchar *mode = hfhub_config_get_network_metered(self->config);

	if (g_str_equal(mode, "yes"))
		return TRUE;
	if (g_str_equal(mode, "no"))
		return FALSE;
	return self->network != NULL && g_network_monitor_get_network_metered(self->network);
}

/* Whether the job's policy lets it work now. When not, *reason says why
 * for people; *next_change (UNIX seconds, 0 = none) is when to ask again. */
static gboolean
policy_allows(HfhubEngine *self, HfhubJob *job, GDateTime *now, gchar **reason, gint64 *next_change)
{
	const gchar *window = hfhub_config_get_window(self->config);
	gboolean unmetered_only = hfhub_config_get_unmetered_only(self->config);
	gint64 start_at = 0;
	HfhubWindow w;
	gint64 edge = 0;
	NetWait *net;

	*next_change = 0;
	/* not a policy of the job's, but it stops and holds it the same way */
	if (self->sleeping) {
		*reason = g_strdup("waiting for the machine to wake up");
		return FALSE;
	}
	net = g_hash_table_lookup(self->net_waits, job);
	if (net != NULL && net->next_try > g_date_time_to_unix(now)) {
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(net->next_try);
		g_autofree gchar *at = g_date_time_format(t, "%H:%M:%S");
		*reason = g_strdup_printf("waiting for %s (%s); next try at %s",
					  net->hub ? "the Hub" : "the network", net->error, at);
		*next_change = net->next_try;
		return FALSE;
	}
	hfhub_job_lookup_option(job, "window", "&s", &window);
	hfhub_job_lookup_option(job, "unmetered-only", "b", &unmetered_only);
	if (hfhub_job_lookup_option(job, "start-at", "x", &start_at) &&
	    start_at > g_date_time_to_unix(now)) {
		g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(start_at);
		*reason = g_date_time_format(t, "scheduled to start at %Y-%m-%d %H:%M:%S");
		*next_change = start_at;
		return FALSE;
	}
	if (window != NULL && *window != '\0' && hfhub_window_parse(window, &w, NULL)) {
		gboolean inside = hfhub_window_contains(&w, now, &edge);
		*next_change = edge;
		if (!inside) {
			*reason = g_strdup_printf("waiting for the window %s", window);
			return FALSE;
		}
	}
	if (unmetered_only && network_is_metered(self)) {
		*reason = g_strdup("waiting for an unmetered network");
		return FALSE;
	}
	return TRUE;
}

static gboolean
policy_timeout_cb(gpointer user_data)
{
	HfhubEngine *self = HFHUB_ENGINE(user_data);

	self->policy_source = 0;
	schedule(self);
	return G_SOURCE_REMOVE;
}

static gboolean
schedule_cb(gpointer user_data)
{
	HfhubEngine *self = HFHUB_ENGINE(user_data);
	g_autoptr(GPtrArray) queued = g_ptr_array_new();
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	GHashTableIter iter;
	gpointer key, value;
	guint max = hfhub_config_get_max_running_jobs(self->config);
	gint64 wake = 0;

	self->schedule_source = 0;
	if (self->shutting_down)
		return G_SOURCE_REMOVE;

	/* running jobs whose policy no longer allows them go back to wait */
	g_hash_table_iter_init(&iter, self->running);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		RunData *run = value;
		g_autofree gchar *reason = NULL;
		gint64 next = 0;
		if (!policy_allows(self, key, now, &reason, &next) && run->stop == STOP_NONE) {
			run->stop = STOP_POLICY;
			g_cancellable_cancel(run->cancellable);
		}
		if (next > 0 && (wake == 0 || next < wake))
			wake = next;
	}

	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_autofree gchar *reason = NULL;
		gint64 next = 0;
		if (hfhub_job_get_state(value) != HFHUB_JOB_STATE_QUEUED)
			continue;
		if (policy_allows(self, value, now, &reason, &next))
			g_ptr_array_add(queued, value);
		else
			hfhub_engine_set_job_reason(self, value, reason);
		if (next > 0 && (wake == 0 || next < wake))
			wake = next;
	}
	g_ptr_array_sort_with_data(queued, compare_queued, self);
	make_room_for_interactive(self, queued, max);
	for (guint i = 0; i < queued->len && g_hash_table_size(self->running) < max; i++)
		start_job(self, g_ptr_array_index(queued, i));
	for (guint i = 0; i < queued->len; i++) {
		HfhubJob *job = g_ptr_array_index(queued, i);
		if (hfhub_job_get_state(job) == HFHUB_JOB_STATE_QUEUED)
			hfhub_engine_set_job_reason(self, job, "waiting for a free slot");
	}

	/* wake up at the next window edge or start time */
	g_clear_handle_id(&self->policy_source, g_source_remove);
	if (wake > 0) {
		gint64 in = wake - g_date_time_to_unix(now);
		self->policy_source = g_timeout_add_seconds((guint)CLAMP(in, 1, G_MAXINT),
							    policy_timeout_cb, self);
	}
	return G_SOURCE_REMOVE;
}

static void
network_changed_cb(GObject *monitor, GParamSpec *pspec, gpointer user_data)
{
	schedule(HFHUB_ENGINE(user_data));
}

/* a network (back): the jobs it failed try again now */
static void
network_available_cb(GNetworkMonitor *monitor, gboolean available, gpointer user_data)
{
	HfhubEngine *self = HFHUB_ENGINE(user_data);
	GHashTableIter iter;
	gpointer value;

	if (!available)
		return;
	g_hash_table_iter_init(&iter, self->net_waits);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		((NetWait *)value)->next_try = 0;
	schedule(self);
}

/* The monotonic clock stands still while the machine sleeps: this fires
 * only after that long *awake* without the wake-up signal (a logind that
 * restarted, a lost connection), so that transfers never wait forever. */
#define SLEEP_FALLBACK_S 120

static gboolean
sleep_fallback_cb(gpointer user_data)
{
	HfhubEngine *self = HFHUB_ENGINE(user_data);

	self->sleep_source = 0;
	g_message("no wake-up signal from logind after %d s awake: transfers go on",
		  SLEEP_FALLBACK_S);
	hfhub_engine_set_sleeping(self, FALSE);
	return G_SOURCE_REMOVE;
}

void
hfhub_engine_set_sleeping(HfhubEngine *self, gboolean sleeping)
{
	g_return_if_fail(HFHUB_IS_ENGINE(self));

	if (self->sleeping == sleeping)
		return;
	g_debug("%s", sleeping ? "the machine goes to sleep: transfers stop"
			       : "the machine woke up: transfers go on");
	self->sleeping = sleeping;
	g_clear_handle_id(&self->sleep_source, g_source_remove);
	if (sleeping)
		self->sleep_source =
			g_timeout_add_seconds(SLEEP_FALLBACK_S, sleep_fallback_cb, self);
	schedule(self);
}

static void
schedule(HfhubEngine *self)
{
	if (self->schedule_source == 0 && !self->shutting_down)
		self->schedule_source = g_idle_add(schedule_cb, self);
}

static gboolean
persist_progress_cb(gpointer user_data)
{
	HfhubEngine *self = HFHUB_ENGINE(user_data);
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, self->running);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		const HfhubJobRecord *rec = hfhub_job_get_record(key);
		g_autoptr(GError) error = NULL;
		if (!hfhub_store_update_job_progress(self->store, rec->id, rec->bytes_done,
						     rec->bytes_total, rec->files_done,
						     rec->files_total, &error))
			g_warning("job %" G_GUINT64_FORMAT ": %s", rec->id, error->message);
	}
	return G_SOURCE_CONTINUE;
}

static void
insert_job(HfhubEngine *self, HfhubJob *job)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_hash_table_insert(self->jobs, (gpointer)&rec->id, job);
}

gboolean
hfhub_engine_load(HfhubEngine *self, GError **error)
{
	g_autoptr(GPtrArray) records = hfhub_store_list_jobs(self->store, error);
	guint keep_days = hfhub_config_get_keep_finished_days(self->config);
	gint64 horizon = g_get_real_time() / G_USEC_PER_SEC - (gint64)keep_days * 24 * 3600;

	if (records == NULL)
		return FALSE;
	for (guint i = 0; i < records->len; i++) {
		HfhubJobRecord *rec = g_ptr_array_index(records, i);
		if (hfhub_job_state_is_final(rec->state) && rec->updated < horizon) {
			if (!hfhub_store_remove_job(self->store, rec->id, error))
				return FALSE;
			continue;
		}
		if (rec->state == HFHUB_JOB_STATE_RUNNING) {
			/* it was running when the daemon stopped: run it again */
			rec->state = HFHUB_JOB_STATE_QUEUED;
			g_free(rec->state_reason);
			rec->state_reason = g_strdup("resuming after a restart");
			if (!hfhub_store_update_job(self->store, rec, error))
				return FALSE;
		}
		g_ptr_array_index(records, i) = NULL;
		insert_job(self, hfhub_job_new(rec));
	}
	if (self->persist_source == 0)
		self->persist_source =
			g_timeout_add_seconds(PERSIST_INTERVAL_S, persist_progress_cb, self);
	if (self->network == NULL) {
		self->network = g_network_monitor_get_default();
		g_signal_connect(self->network, "notify::network-metered",
				 G_CALLBACK(network_changed_cb), self);
		g_signal_connect(self->network, "network-changed", G_CALLBACK(network_available_cb),
				 self);
	}
	schedule(self);
	return TRUE;
}

void
hfhub_engine_set_owner_session(HfhubEngine *self, const gchar *session)
{
	g_free(self->owner_session);
	self->owner_session = g_strdup(session);
}

const gchar *
hfhub_engine_get_owner_session(HfhubEngine *self)
{
	return self->owner_session;
}

HfhubJob *
hfhub_engine_add_job(HfhubEngine *self, const gchar *kind_name, const gchar *repo_type,
		     const gchar *repo_id, const gchar *revision, GVariant *options,
		     const gchar *owner, GError **error)
{
	const HfhubJobKind *kind = hfhub_engine_get_kind(self, kind_name);
	g_autoptr(HfhubJobRecord) rec = NULL;
	HfhubJob *job;

	if (kind == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "unknown job kind “%s”", kind_name);
		return NULL;
	}
	if (!validate_job_options(kind, options, error))
		return NULL;
	rec = hfhub_job_record_new();
	rec->kind = g_strdup(kind_name);
	rec->state = HFHUB_JOB_STATE_QUEUED;
	rec->state_reason = g_strdup("");
	rec->repo_type = g_strdup(repo_type != NULL ? repo_type : "");
	rec->repo_id = g_strdup(repo_id != NULL ? repo_id : "");
	rec->revision = g_strdup(revision != NULL ? revision : "");
	rec->options = options != NULL ? g_variant_ref_sink(options)
				       : g_variant_ref_sink(g_variant_new("a{sv}", NULL));
	rec->result = g_variant_ref_sink(g_variant_new("a{sv}", NULL));
	rec->owner = g_strdup(owner != NULL ? owner : "");
	rec->owner_session = g_strdup(self->owner_session != NULL ? self->owner_session : "");
	rec->owner_app = g_strdup("");
	rec->owner_exe = g_strdup("");
	rec->identity = g_strdup("");
	rec->error_name = g_strdup("");
	rec->error_message = g_strdup("");
	if (!g_variant_lookup(rec->options, "priority", "i", &rec->priority))
		rec->priority = 0;
	if (kind->prepare != NULL && !kind->prepare(self, rec, error))
		return NULL;
	if (!hfhub_store_add_job(self->store, rec, error))
		return NULL;
	job = hfhub_job_new(g_steal_pointer(&rec));
	insert_job(self, job);
	g_signal_emit(self, signals[SIGNAL_JOB_ADDED], 0, job);
	emit_status_changed(self);
	schedule(self);
	return job;
}

HfhubJob *
hfhub_engine_get_job(HfhubEngine *self, guint64 id, GError **error)
{
	HfhubJob *job = g_hash_table_lookup(self->jobs, &id);

	if (job == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND,
			    "there is no job %" G_GUINT64_FORMAT, id);
		return NULL;
	}
	return job;
}

static gint
compare_by_id(gconstpointer a, gconstpointer b)
{
	guint64 ia = hfhub_job_get_id(*(HfhubJob **)a);
	guint64 ib = hfhub_job_get_id(*(HfhubJob **)b);
	return ia < ib ? -1 : (ia > ib ? 1 : 0);
}

GPtrArray *
hfhub_engine_list_jobs(HfhubEngine *self)
{
	GPtrArray *jobs = g_ptr_array_new_with_free_func(g_object_unref);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(jobs, g_object_ref(value));
	g_ptr_array_sort(jobs, compare_by_id);
	return jobs;
}

GHashTable *
hfhub_engine_count_jobs(HfhubEngine *self)
{
	GHashTable *counts = g_hash_table_new(g_str_hash, g_str_equal);
	GHashTableIter iter;
	gpointer value;

	for (guint s = 0; s < HFHUB_JOB_STATE_LAST; s++)
		g_hash_table_insert(counts, (gpointer)hfhub_job_state_to_string(s),
				    GUINT_TO_POINTER(0));
	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		const gchar *nick = hfhub_job_state_to_string(hfhub_job_get_state(value));
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, nick));
		g_hash_table_insert(counts, (gpointer)nick, GUINT_TO_POINTER(n + 1));
	}
	return counts;
}

gboolean
hfhub_engine_is_idle(HfhubEngine *self)
{
	GHashTableIter iter;
	gpointer value;

	/* by state, not by the running table: a job is marked running before
	 * its run is registered */
	if (g_hash_table_size(self->running) > 0)
		return FALSE;
	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		HfhubJobState state = hfhub_job_get_state(value);
		if (state == HFHUB_JOB_STATE_QUEUED || state == HFHUB_JOB_STATE_RUNNING)
			return FALSE;
	}
	return TRUE;
}

static gboolean
check_not_final(HfhubJob *job, const gchar *verb, GError **error)
{
	HfhubJobState state = hfhub_job_get_state(job);

	if (!hfhub_job_state_is_final(state))
		return TRUE;
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_STATE,
		    "job %" G_GUINT64_FORMAT " has %s already and cannot be %s",
		    hfhub_job_get_id(job), hfhub_job_state_to_string(state), verb);
	return FALSE;
}

gboolean
hfhub_engine_cancel_job(HfhubEngine *self, HfhubJob *job, GError **error)
{
	RunData *run = g_hash_table_lookup(self->running, job);
	const HfhubJobKind *kind = hfhub_engine_get_kind(self, hfhub_job_get_kind(job));

	if (!check_not_final(job, "cancelled", error))
		return FALSE;
	if (run != NULL) {
		/* the run ends with CANCELLED and job_run_cb records it */
		run->stop = STOP_CANCEL;
		g_cancellable_cancel(run->cancellable);
		return TRUE;
	}
	if (kind != NULL && kind->discard != NULL)
		kind->discard(self, job);
	g_hash_table_remove(self->net_waits, job);
	return set_state(self, job, HFHUB_JOB_STATE_CANCELLED, "cancelled", error);
}

gboolean
hfhub_engine_pause_job(HfhubEngine *self, HfhubJob *job, GError **error)
{
	RunData *run = g_hash_table_lookup(self->running, job);

	if (!check_not_final(job, "paused", error))
		return FALSE;
	if (hfhub_job_get_state(job) == HFHUB_JOB_STATE_PAUSED)
		return TRUE;
	if (run != NULL) {
		if (run->stop == STOP_NONE)
			run->stop = STOP_PAUSE;
		g_cancellable_cancel(run->cancellable);
		return TRUE;
	}
	return set_state(self, job, HFHUB_JOB_STATE_PAUSED, "paused", error);
}

gboolean
hfhub_engine_resume_job(HfhubEngine *self, HfhubJob *job, GError **error)
{
	if (!check_not_final(job, "resumed", error))
		return FALSE;
	if (hfhub_job_get_state(job) != HFHUB_JOB_STATE_PAUSED)
		return TRUE;
	if (!set_state(self, job, HFHUB_JOB_STATE_QUEUED, "", error))
		return FALSE;
	/* asked for: a job the network failed tries again at once */
	g_hash_table_remove(self->net_waits, job);
	schedule(self);
	return TRUE;
}

gboolean
hfhub_engine_claim_space(HfhubEngine *self, const gchar *dir, guint64 bytes, GError **error)
{
	gboolean ok;

	/* counted as one pool: the claims of transfers into other filesystems
	 * only make this stricter */
	g_mutex_lock(&self->space_lock);
	ok = hfhub_cache_dir_check_free(dir, bytes + self->space_claimed, error);
	if (ok)
		self->space_claimed += bytes;
	g_mutex_unlock(&self->space_lock);
	return ok;
}

void
hfhub_engine_release_space(HfhubEngine *self, guint64 bytes)
{
	g_mutex_lock(&self->space_lock);
	self->space_claimed -= MIN(bytes, self->space_claimed);
	g_mutex_unlock(&self->space_lock);
}

gboolean
hfhub_engine_set_job_priority(HfhubEngine *self, HfhubJob *job, gint priority, GError **error)
{
	HfhubJobRecord *rec = hfhub_job_get_record_mutable(job);
	gint old = rec->priority;

	if (!check_not_final(job, "reprioritised", error))
		return FALSE;
	if (old == priority)
		return TRUE;
	rec->priority = priority;
	if (!hfhub_store_update_job(self->store, rec, error)) {
		rec->priority = old;
		return FALSE;
	}
	hfhub_job_emit_changed(job, HFHUB_JOB_CHANGED_PRIORITY);
	schedule(self);
	return TRUE;
}

gchar *
hfhub_engine_dup_job_endpoint(HfhubEngine *self, HfhubJob *job)
{
	gchar *endpoint = hfhub_job_dup_option_string(job, "endpoint",
						      hfhub_config_get_endpoint(self->config));

	while (g_str_has_suffix(endpoint, "/"))
		endpoint[strlen(endpoint) - 1] = '\0';
	return endpoint;
}

gboolean
hfhub_engine_set_job_caller(HfhubEngine *self, HfhubJob *job, const gchar *app_id,
			    const gchar *executable, GError **error)
{
	HfhubJobRecord *rec = hfhub_job_get_record_mutable(job);
	g_autofree gchar *old_app = g_steal_pointer(&rec->owner_app);
	g_autofree gchar *old_exe = g_steal_pointer(&rec->owner_exe);

	rec->owner_app = g_strdup(app_id != NULL ? app_id : "");
	rec->owner_exe = g_strdup(executable != NULL ? executable : "");
	if (!hfhub_store_update_job(self->store, rec, error)) {
		g_free(rec->owner_app);
		g_free(rec->owner_exe);
		rec->owner_app = g_steal_pointer(&old_app);
		rec->owner_exe = g_steal_pointer(&old_exe);
		return FALSE;
	}
	hfhub_job_emit_changed(job, HFHUB_JOB_CHANGED_OWNER);
	return TRUE;
}

void
hfhub_engine_shutdown(HfhubEngine *self)
{
	GHashTableIter iter;
	gpointer value;

	self->shutting_down = TRUE;
	g_clear_handle_id(&self->schedule_source, g_source_remove);
	persist_progress_cb(self);
	g_hash_table_iter_init(&iter, self->running);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		RunData *run = value;
		run->stop = STOP_SHUTDOWN;
		g_cancellable_cancel(run->cancellable);
	}
}
