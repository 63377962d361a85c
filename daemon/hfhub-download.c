#include "config.h"

#define G_LOG_DOMAIN "HfhubDownload"

#include "hfhub-download.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hfhub-cache.h"
#include "hfhub-error.h"
#include "hfhub-filter.h"
#include "hfhub-hash.h"
#include "hfhub-http.h"
#include "hfhub-hub-api.h"
#include "hfhub-job-run.h"
#include "hfhub-local-dir.h"
#include "hfhub-repo-path.h"

#define READ_CHUNK (1024 * 1024)
/* how often a job waiting for disk space looks again */
#define SPACE_POLL_MS 2000
/* dirty pages handed to writeback in windows of this size */
#define WRITEBACK_WINDOW (32 * 1024 * 1024)
/* below this, hashing inline costs less than a thread */
#define PIPE_MIN_SIZE	     (8 * 1024 * 1024)
#define MAX_STALLED_ATTEMPTS 5

static const HfhubOptionSpec download_options[] = {
	{ "files", "as" },	 { "include", "as" },	 { "exclude", "as" }, { "cache-dir", "s" },
	{ "local-dir", "s" },	 { "endpoint", "s" },	 { "offline", "b" },  { "force", "b" },
	{ "dry-run", "b" },	 { "parallelism", "u" }, { "priority", "i" }, { "identity", "s" },
	{ "on-disk-full", "s" }, { NULL, NULL },
};

/* One download run. Built on the main thread, then owned by the worker
 * thread until it returns; the progress counters are shared (atomics). */
typedef struct {
	HfhubJob *job;
	HfhubHttp *http;
	GCancellable *cancellable; /* the job's */
	GCancellable *abort;	   /* also fires when one file fails for good */
	gulong abort_link;
	HfhubRepoType type;
	gchar *repo_id;
	gchar *revision;
	gchar *endpoint;
	gchar *token;
	gchar *cache_dir;
	gchar *local_dir;
	gchar **files;
	gchar **include;
	gchar **exclude;
	gboolean offline;
	gboolean force;
	gboolean dry_run;
	gboolean wait_for_space; /* on-disk-full=wait */
	guint64 space_claimed;
	guint parallelism;
	HfhubCacheRepo *cache;
	gchar *commit;

	/* progress, written by workers, read by the main thread */
	gssize bytes_done; /* gssize: what g_atomic_pointer_add() takes */
	gint64 bytes_total;
	gint files_done;
	gint files_total;
	gint files_downloaded;
	gssize bytes_downloaded;
	HfhubStore *store;	 /* main thread only */
	HfhubEngine *engine;	 /* main thread only */
	HfhubThrottle *throttle; /* the engine's, shared by every download */

	/* the pool's bookkeeping */
	GMutex mutex;
	GCond cond;
	guint pending;
	GError *error;
} Download;

static void
download_free(Download *dl)
{
	if (dl->abort_link != 0)
		g_cancellable_disconnect(dl->cancellable, dl->abort_link);
	g_clear_object(&dl->job);
	g_clear_object(&dl->http);
	g_clear_object(&dl->cancellable);
	g_clear_object(&dl->abort);
	g_free(dl->repo_id);
	g_free(dl->revision);
	g_free(dl->endpoint);
	if (dl->token != NULL)
		memset(dl->token, 0, strlen(dl->token));
	g_free(dl->token);
	g_free(dl->cache_dir);
	g_free(dl->local_dir);
	g_strfreev(dl->files);
	g_strfreev(dl->include);
	g_strfreev(dl->exclude);
	g_clear_object(&dl->cache);
	g_clear_object(&dl->store);
	if (dl->engine != NULL)
		hfhub_engine_release_space(dl->engine, dl->space_claimed);
	g_clear_object(&dl->engine);
	g_free(dl->commit);
	g_mutex_clear(&dl->mutex);
	g_cond_clear(&dl->cond);
	g_clear_error(&dl->error);
	g_free(dl);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Download, download_free)

static void
note_reason(Download *dl, const gchar *reason);

/* the Hub's rate limit holds this job: say until when */
static void
rate_limited_cb(gpointer user_data, gint64 until)
{
	Download *dl = user_data;
	g_autoptr(GDateTime) t = NULL;
	g_autofree gchar *reason = NULL;

	if (until == 0) {
		note_reason(dl, "");
		return;
	}
	t = g_date_time_new_from_unix_local(until);
	reason = g_date_time_format(t, "rate-limited until %H:%M:%S");
	note_reason(dl, reason);
}

static HfhubHubRepo
hub_repo(Download *dl)
{
	HfhubHubRepo repo = {
		.http = dl->http,
		.target = { .endpoint = dl->endpoint,
			    .token = dl->token,
			    .on_wait = rate_limited_cb,
			    .on_wait_data = dl },
		.type = dl->type,
		.repo_id = dl->repo_id,
	};
	return repo;
}

/* ---- the job's file rows: where partial files are, for resume and discard */

typedef struct {
	HfhubStore *store;
	HfhubJobFileRecord *row;
} RowUpdate;

static gboolean
write_row_cb(gpointer user_data)
{
	RowUpdate *update = user_data;
	g_autoptr(GError) error = NULL;

	if (!hfhub_store_put_job_file(update->store, update->row, &error))
		g_warning("cannot record %s: %s", update->row->path, error->message);
	return G_SOURCE_REMOVE;
}

static void
row_update_free(RowUpdate *update)
{
	g_object_unref(update->store);
	hfhub_job_file_record_free(update->row);
	g_free(update);
}

/* from a worker: the row is written on the main thread, the store's owner */
static void
note_file(Download *dl, const HfhubRepoFile *file, const gchar *state, const gchar *partial)
{
	RowUpdate *update = g_new0(RowUpdate, 1);

	update->store = g_object_ref(dl->store);
	update->row = hfhub_job_file_record_new();
	update->row->job_id = hfhub_job_get_id(dl->job);
	update->row->path = g_strdup(file->path);
	update->row->size = file->size;
	update->row->oid = g_strdup(hfhub_repo_file_etag(file));
	update->row->lfs = file->lfs_oid != NULL;
	update->row->state = g_strdup(state);
	update->row->partial = g_strdup(partial);
	update->row->etag = g_strdup(hfhub_repo_file_etag(file));
	g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, write_row_cb, update,
				   (GDestroyNotify)row_update_free);
}

/* from a worker: says why the job is not moving */
static void
note_reason(Download *dl, const gchar *reason)
{
	hfhub_engine_note_job_reason(dl->engine, dl->job, reason);
}

static void
add_progress(Download *dl, gint64 delta)
{
	g_atomic_pointer_add(&dl->bytes_done, (gssize)delta);
}

typedef struct {
	Download *dl;
	const HfhubRepoFile *file;
	const gchar *partial; /* where the other transfer writes */
	guint64 shown;	      /* of its bytes, counted in our progress */
} SharedProgress;

/* while we wait, the other transfer's bytes are our progress too */
static void
follow_shared_partial(gpointer user_data)
{
	SharedProgress *sp = user_data;
	GStatBuf st;
	guint64 size = 0;

	if (g_stat(sp->partial, &st) == 0)
		size = MIN((guint64)st.st_size, sp->file->size);
	if (size != sp->shown)
		add_progress(sp->dl, (gint64)size - (gint64)sp->shown);
	sp->shown = size;
}

/* Takes the blob's lock; when another transfer (another job, or a Python
 * process) holds it, says so and waits, showing its progress on @partial:
 * its bytes are ours when it ends. *@counted: how many of them are in our
 * progress now, for the caller to settle without a dip. */
static HfhubFileLock *
lock_blob(Download *dl, const HfhubRepoFile *file, const gchar *lock_path, const gchar *partial,
	  guint64 *counted, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	HfhubFileLock *lock = hfhub_file_lock_try(lock_path, &error_local);
	g_autofree gchar *reason = NULL;
	SharedProgress sp = { dl, file, partial, 0 };

	*counted = 0;
	if (lock != NULL)
		return lock;
	if (error_local != NULL) {
		g_propagate_error(error, g_steal_pointer(&error_local));
		return NULL;
	}
	reason = g_strdup_printf("waiting for another transfer of %s", file->path);
	note_reason(dl, reason);
	lock = hfhub_file_lock_acquire_full(lock_path, dl->abort, follow_shared_partial, &sp,
					    error);
	if (lock != NULL)
		*counted = sp.shown;
	else
		add_progress(dl, -(gint64)sp.shown);
	note_reason(dl, "");
	return lock;
}

/* ---- one file */

static gboolean
write_all(int fd, const guint8 *buf, gsize len, GError **error)
{
	while (len > 0) {
		gssize n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gint code = errno == ENOSPC ? HFHUB_ERROR_DISK_FULL : HFHUB_ERROR_IO;
			g_set_error(error, HFHUB_ERROR, code, "cannot write: %s",
				    g_strerror(errno));
			return FALSE;
		}
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* Content-Range "bytes START-END/TOTAL" → START */
static gboolean
content_range_start(SoupMessage *msg, guint64 *start)
{
	goffset s, e, total;

	if (!soup_message_headers_get_content_range(soup_message_get_response_headers(msg), &s, &e,
						    &total))
		return FALSE;
	*start = (guint64)s;
	return TRUE;
}

/* Copies the body into @fd at *offset. Large files are hashed on a thread of
 * their own (network, disk and SHA-256 overlap); small ones inline. Every
 * byte written is hashed, also when the body breaks off, so that a retry
 * can continue with the same hasher. */
static gboolean
stream_body(Download *dl, const HfhubRepoFile *file, GInputStream *stream, int fd, guint64 *offset,
	    HfhubHasher *hasher, GError **error)
{
	HfhubHashPipe *pipe = file->size >= PIPE_MIN_SIZE ? hfhub_hash_pipe_new(hasher) : NULL;

	g_assert(READ_CHUNK <= hfhub_hash_pipe_buffer_size());
	g_autofree guint8 *inline_buf = pipe == NULL ? g_malloc(READ_CHUNK) : NULL;
	gboolean ok = TRUE;
	guint64 flushed = *offset; /* start of the window not yet handed to writeback */

	g_assert(READ_CHUNK <= hfhub_hash_pipe_buffer_size());
	while (ok) {
		guint8 *buf = pipe != NULL ? hfhub_hash_pipe_get_buffer(pipe) : inline_buf;
		guint64 rate = hfhub_throttle_get_rate(dl->throttle);
		/* under a bandwidth limit, small steps keep the rate smooth */
		gsize chunk =
			rate > 0 ? (gsize)CLAMP(rate / 16, 16 * 1024, READ_CHUNK) : READ_CHUNK;
		gsize n = 0;
		g_autoptr(GError) read_error = NULL;

		/* fill a whole buffer (fewer, larger handovers to the hasher), but
		 * write each piece as it arrives: a byte received is in the file
		 * at once, so a crash loses none and the next run resumes after it */
		while (n < chunk) {
			gssize r = g_input_stream_read(stream, buf + n, chunk - n, dl->abort,
						       &read_error);
			if (r <= 0)
				break; /* the end of the body, or read_error */
			if (*offset + n + (gsize)r > file->size) {
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CHECKSUM_MISMATCH,
					    "%s: the server sent more than the %" G_GUINT64_FORMAT
					    " bytes the Hub listed",
					    file->path, file->size);
				ok = FALSE;
				break;
			}
			if (!write_all(fd, buf + n, (gsize)r, error)) {
				ok = FALSE;
				break;
			}
			n += (gsize)r;
		}
		if (pipe != NULL)
			hfhub_hash_pipe_push(pipe, buf, n);
		else if (n > 0)
			hfhub_hasher_update(hasher, buf, n);
		*offset += n;
		add_progress(dl, (gint64)n);
		/* start writing back as we go, so that the fsync before the blob
		 * is published does not wait for gigabytes of dirty pages */
		if (*offset - flushed >= WRITEBACK_WINDOW) {
			(void)sync_file_range(fd, (off_t)flushed, (off_t)(*offset - flushed),
					      SYNC_FILE_RANGE_WRITE);
			flushed = *offset;
		}
		if (!ok)
			break;
		if (read_error != NULL) {
			if (g_error_matches(read_error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
				hfhub_error_convert(&read_error);
			} else {
				g_prefix_error(&read_error, "%s: ", file->path);
				read_error->domain = HFHUB_ERROR;
				read_error->code = HFHUB_ERROR_NETWORK;
			}
			g_propagate_error(error, g_steal_pointer(&read_error));
			ok = FALSE;
		} else if (n < chunk) {
			break; /* end of the body */
		} else if (!hfhub_throttle_consume(dl->throttle, n, dl->abort, error)) {
			hfhub_error_convert(error);
			ok = FALSE;
		}
	}
	if (pipe != NULL)
		hfhub_hash_pipe_finish(pipe);
	return ok;
}

/* Streams the rest of @file into @fd from its current size, hashing as it
 * goes. *offset is the bytes already in the file (hashed into @hasher). */
static gboolean
transfer(Download *dl, const HfhubRepoFile *file, int fd, guint64 *offset, HfhubHasher **hasher,
	 HfhubHashKind kind, GError **error)
{
	HfhubHubRepo repo = hub_repo(dl);
	g_autofree gchar *url = hfhub_hub_resolve_url(&repo, dl->commit, file->path);
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GInputStream) stream = NULL;
	g_autofree gchar *if_range = g_strdup_printf("\"%s\"", hfhub_repo_file_etag(file));

	if (*offset > 0) {
		soup_message_headers_set_range(headers, (goffset)*offset, -1);
		/* a changed file must not be glued onto the old bytes */
		soup_message_headers_replace(headers, "If-Range", if_range);
	}
	stream = hfhub_http_send(dl->http, &repo.target, "GET", url, headers, NULL, NULL, &msg,
				 NULL, dl->abort, error);
	if (stream == NULL)
		return FALSE;
	if (*offset > 0 && soup_message_get_status(msg) == SOUP_STATUS_PARTIAL_CONTENT) {
		guint64 start = 0;
		if (!content_range_start(msg, &start) || start != *offset) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_BAD_RESPONSE,
				    "%s: the server resumed at the wrong offset", file->path);
			return FALSE;
		}
	} else if (*offset > 0) {
		/* 200 to a ranged request: start this file over, cleanly */
		g_debug("%s: the server ignored the range, starting over", file->path);
		if (ftruncate(fd, 0) != 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot truncate: %s",
				    g_strerror(errno));
			return FALSE;
		}
		add_progress(dl, -(gint64)*offset);
		*offset = 0;
		hfhub_hasher_free(*hasher);
		*hasher = hfhub_hasher_new(kind, file->size, error);
		if (*hasher == NULL)
			return FALSE;
	}
	if (lseek(fd, (off_t)*offset, SEEK_SET) < 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot seek: %s",
			    g_strerror(errno));
		return FALSE;
	}
	if (!stream_body(dl, file, stream, fd, offset, *hasher, error))
		return FALSE;
	if (*offset != file->size) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_NETWORK,
			    "%s: the connection ended at %" G_GUINT64_FORMAT
			    " of %" G_GUINT64_FORMAT " bytes",
			    file->path, *offset, file->size);
		return FALSE;
	}
	return TRUE;
}

/* Fills @incomplete until it holds the verified file; resumes what is
 * there, retries transient failures while bytes keep coming, and starts
 * over once after a checksum mismatch. */
/* *@counted: bytes of the file already in the progress (shown while
 * another transfer made them), settled once the partial is measured */
static gboolean
fetch_verified(Download *dl, const HfhubRepoFile *file, const gchar *incomplete, guint64 *counted,
	       GError **error)
{
	HfhubHashKind kind = file->lfs_oid != NULL ? HFHUB_HASH_SHA256 : HFHUB_HASH_GIT_BLOB;
	const gchar *expected = hfhub_repo_file_etag(file);

	for (guint verify_attempt = 0; verify_attempt < 2; verify_attempt++) {
		g_autoptr(HfhubHasher) hasher = NULL;
		g_autofree gchar *digest = NULL;
		guint64 offset = 0;
		guint stalled = 0;
		struct stat st;
		g_autofree gchar *dir = g_path_get_dirname(incomplete);
		int fd;

		if (g_mkdir_with_parents(dir, 0755) != 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot create %s: %s", dir,
				    g_strerror(errno));
			return FALSE;
		}
		fd = g_open(incomplete, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "cannot open %s: %s",
				    incomplete, g_strerror(errno));
			return FALSE;
		}
		hasher = hfhub_hasher_new(kind, file->size, error);
		if (hasher == NULL || fstat(fd, &st) != 0) {
			close(fd);
			return FALSE;
		}
		offset = (guint64)st.st_size;
		if (offset > file->size || dl->force) {
			if (ftruncate(fd, 0) != 0) {
				close(fd);
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO,
					    "cannot truncate %s", incomplete);
				return FALSE;
			}
			offset = 0;
		}
		/* a partial file from before a crash: its bytes are not
		 * fetched again, but they are hashed again */
		if (offset > 0) {
			if (!hfhub_hasher_update_from_fd(hasher, fd, offset, dl->abort, error)) {
				close(fd);
				return FALSE;
			}
			g_debug("%s: resuming at %" G_GUINT64_FORMAT, file->path, offset);
		}
		/* what is on disk now counts, instead of what was shown of it */
		add_progress(dl, (gint64)offset - (gint64)*counted);
		*counted = 0;
		for (;;) {
			g_autoptr(GError) error_local = NULL;
			guint64 before = offset;
			if (offset == file->size && offset > 0)
				break;
			if (transfer(dl, file, fd, &offset, &hasher, kind, &error_local))
				break;
			stalled = offset > before ? 0 : stalled + 1;
			if (!hfhub_http_error_is_transient(error_local) ||
			    stalled >= MAX_STALLED_ATTEMPTS) {
				close(fd);
				g_propagate_error(error, g_steal_pointer(&error_local));
				return FALSE;
			}
			g_debug("%s: %s; retrying from %" G_GUINT64_FORMAT, file->path,
				error_local->message, offset);
			/* a rate limit is waited for by the next request itself */
			if (!g_error_matches(error_local, HFHUB_ERROR, HFHUB_ERROR_RATE_LIMITED) &&
			    !hfhub_http_sleep(stalled == 0 ? 200 : hfhub_http_backoff_ms(stalled),
					      dl->abort, error)) {
				close(fd);
				return FALSE;
			}
		}
		close(fd);
		digest = hfhub_hasher_finish(hasher);
		if (g_str_equal(digest, expected))
			return TRUE;
		/* never published; the next attempt starts from zero */
		g_warning("%s: checksum mismatch (expected %s, got %s)", file->path, expected,
			  digest);
		(void)g_unlink(incomplete);
		add_progress(dl, -(gint64)offset);
		if (verify_attempt == 1) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CHECKSUM_MISMATCH,
				    "%s: the downloaded bytes do not match the Hub's checksum "
				    "(expected %s, got %s), twice; nothing was kept",
				    file->path, expected, digest);
			return FALSE;
		}
	}
	g_assert_not_reached();
}

static gboolean
fetch_into_cache(Download *dl, const HfhubRepoFile *file, GError **error)
{
	const gchar *etag = hfhub_repo_file_etag(file);
	g_autofree gchar *lock_path = hfhub_cache_repo_lock_path(dl->cache, etag);
	g_autofree gchar *incomplete = hfhub_cache_repo_incomplete_path(dl->cache, etag);
	g_autoptr(HfhubFileLock) lock = NULL;
	guint64 counted = 0;

	/* the lock huggingface_hub takes for the same blob */
	lock = lock_blob(dl, file, lock_path, incomplete, &counted, error);
	if (lock == NULL)
		return FALSE;
	/* without a real lock (no flock here) a stable name could be shared
	 * with another writer: use a name of our own, as huggingface_hub does */
	if (!hfhub_file_lock_is_held(lock)) {
		g_free(incomplete);
		incomplete = hfhub_cache_repo_incomplete_path_unique(dl->cache, etag);
	}
	if (dl->force || !hfhub_cache_repo_has_blob(dl->cache, etag, file->size)) {
		note_file(dl, file, "partial", incomplete);
		if (!fetch_verified(dl, file, incomplete, &counted, error)) {
			add_progress(dl, -(gint64)counted);
			return FALSE;
		}
		if (!hfhub_cache_repo_publish_blob(dl->cache, incomplete, etag, error))
			return FALSE;
		note_file(dl, file, "done", NULL);
		g_atomic_int_inc(&dl->files_downloaded);
		g_atomic_pointer_add(&dl->bytes_downloaded, (gssize)file->size);
		return hfhub_cache_repo_link_snapshot_full(dl->cache, dl->commit, file->path, etag,
							   HFHUB_CACHE_LINK_NEW_BLOB, error);
	}
	add_progress(dl, (gint64)file->size - (gint64)counted);
	return hfhub_cache_repo_link_snapshot(dl->cache, dl->commit, file->path, etag, error);
}

static gboolean
fetch_into_local_dir(Download *dl, const HfhubRepoFile *file, GError **error)
{
	const gchar *etag = hfhub_repo_file_etag(file);
	g_autofree gchar *lock_path = hfhub_local_dir_lock_path(dl->local_dir, file->path, error);
	g_autofree gchar *incomplete = NULL;
	g_autoptr(HfhubFileLock) lock = NULL;
	guint64 counted = 0;

	if (lock_path == NULL)
		return FALSE;
	incomplete = hfhub_local_dir_incomplete_path(dl->local_dir, file->path, etag, error);
	if (incomplete == NULL)
		return FALSE;
	lock = lock_blob(dl, file, lock_path, incomplete, &counted, error);
	if (lock == NULL)
		return FALSE;
	if (!dl->force &&
	    hfhub_local_dir_is_up_to_date(dl->local_dir, file->path, etag, file->size)) {
		add_progress(dl, (gint64)file->size - (gint64)counted);
		return TRUE;
	}
	note_file(dl, file, "partial", incomplete);
	if (!fetch_verified(dl, file, incomplete, &counted, error)) {
		add_progress(dl, -(gint64)counted);
		return FALSE;
	}
	if (!hfhub_local_dir_publish(dl->local_dir, incomplete, file->path, error))
		return FALSE;
	note_file(dl, file, "done", NULL);
	g_atomic_int_inc(&dl->files_downloaded);
	g_atomic_pointer_add(&dl->bytes_downloaded, (gssize)file->size);
	return hfhub_local_dir_write_metadata(dl->local_dir, file->path, dl->commit, etag, error);
}

static void
fetch_one_cb(gpointer data, gpointer user_data)
{
	HfhubRepoFile *file = data;
	Download *dl = user_data;
	g_autoptr(GError) error = NULL;
	gboolean ok;

	if (g_cancellable_is_cancelled(dl->abort))
		ok = FALSE;
	else if (dl->local_dir != NULL)
		ok = fetch_into_local_dir(dl, file, &error);
	else
		ok = fetch_into_cache(dl, file, &error);

	g_mutex_lock(&dl->mutex);
	if (ok) {
		g_atomic_int_inc(&dl->files_done);
	} else if (error != NULL && dl->error == NULL) {
		dl->error = g_steal_pointer(&error);
		/* one file failed for good: the others stop too */
		g_cancellable_cancel(dl->abort);
	}
	dl->pending--;
	g_cond_signal(&dl->cond);
	g_mutex_unlock(&dl->mutex);
}

/* ---- the run */

static gboolean
validate_server_paths(GPtrArray *files, GError **error)
{
	for (guint i = 0; i < files->len; i++) {
		const HfhubRepoFile *file = g_ptr_array_index(files, i);
		if (!hfhub_repo_file_path_validate(file->path, error)) {
			g_prefix_error(error, "the Hub listed an unsafe file name, nothing was "
					      "written: ");
			return FALSE;
		}
	}
	return TRUE;
}

static GPtrArray *
select_files(Download *dl, GError **error)
{
	HfhubHubRepo repo = hub_repo(dl);
	g_autoptr(GPtrArray) listed = NULL;
	g_autoptr(GPtrArray) selected = NULL;

	if (dl->files != NULL && dl->files[0] != NULL) {
		listed = hfhub_hub_paths_info(&repo, dl->commit, (const gchar *const *)dl->files,
					      dl->abort, error);
		if (listed == NULL || !validate_server_paths(listed, error))
			return NULL;
		for (guint i = 0; dl->files[i] != NULL; i++) {
			gboolean found = FALSE;
			for (guint j = 0; j < listed->len && !found; j++)
				found = g_str_equal(
					((HfhubRepoFile *)g_ptr_array_index(listed, j))->path,
					dl->files[i]);
			if (!found) {
				/* as huggingface_hub: remember it is absent at this commit */
				if (!dl->dry_run && dl->local_dir == NULL)
					hfhub_cache_repo_mark_no_exist(dl->cache, dl->commit,
								       dl->files[i], NULL);
				g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND,
					    "%s has no file “%s” at %s", dl->repo_id, dl->files[i],
					    dl->revision);
				return NULL;
			}
		}
		return g_steal_pointer(&listed);
	}
	listed = hfhub_hub_list_files(&repo, dl->commit, dl->abort, error);
	if (listed == NULL || !validate_server_paths(listed, error))
		return NULL;
	selected = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_repo_file_free);
	for (guint i = 0; i < listed->len; i++) {
		HfhubRepoFile *file = g_ptr_array_index(listed, i);
		if (hfhub_filter_match(file->path, (const gchar *const *)dl->include,
				       (const gchar *const *)dl->exclude))
			g_ptr_array_add(selected, g_steal_pointer(&g_ptr_array_index(listed, i)));
	}
	return g_steal_pointer(&selected);
}

static gboolean
is_present(Download *dl, const HfhubRepoFile *file)
{
	const gchar *etag = hfhub_repo_file_etag(file);

	if (dl->local_dir != NULL)
		return hfhub_local_dir_is_up_to_date(dl->local_dir, file->path, etag, file->size);
	return hfhub_cache_repo_has_blob(dl->cache, etag, file->size);
}

static GVariant *
dry_run_result(Download *dl, GPtrArray *files)
{
	g_auto(GVariantBuilder) list = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE("aa{sv}"));
	g_auto(GVariantDict) result = G_VARIANT_DICT_INIT(NULL);
	guint64 to_download = 0;

	for (guint i = 0; i < files->len; i++) {
		const HfhubRepoFile *file = g_ptr_array_index(files, i);
		gboolean present = !dl->force && is_present(dl, file);
		g_auto(GVariantDict) entry = G_VARIANT_DICT_INIT(NULL);

		g_variant_dict_insert(&entry, "path", "s", file->path);
		g_variant_dict_insert(&entry, "size", "t", file->size);
		g_variant_dict_insert(&entry, "etag", "s", hfhub_repo_file_etag(file));
		g_variant_dict_insert(&entry, "lfs", "b", file->lfs_oid != NULL);
		g_variant_dict_insert(&entry, "cached", "b", present);
		g_variant_dict_insert(&entry, "will-download", "b", !present);
		g_variant_builder_add_value(&list, g_variant_dict_end(&entry));
		if (!present)
			to_download += file->size;
	}
	g_variant_dict_insert(&result, "dry-run", "b", TRUE);
	g_variant_dict_insert(&result, "commit", "s", dl->commit);
	g_variant_dict_insert(&result, "files", "@aa{sv}", g_variant_builder_end(&list));
	g_variant_dict_insert(&result, "bytes-to-download", "t", to_download);
	return g_variant_dict_end(&result);
}

static gchar *
result_path(Download *dl, GPtrArray *files)
{
	gboolean single = dl->files != NULL && g_strv_length(dl->files) == 1;

	if (dl->local_dir != NULL)
		return single ? g_build_filename(dl->local_dir, dl->files[0], NULL)
			      : g_strdup(dl->local_dir);
	return single ? hfhub_cache_repo_snapshot_path(dl->cache, dl->commit, dl->files[0])
		      : hfhub_cache_repo_snapshot_dir(dl->cache, dl->commit);
}

static GVariant *
success_result(Download *dl, GPtrArray *files, gboolean from_cache)
{
	g_auto(GVariantDict) result = G_VARIANT_DICT_INIT(NULL);
	g_autofree gchar *path = result_path(dl, files);

	g_variant_dict_insert(&result, "path", "s", path);
	g_variant_dict_insert(&result, "commit", "s", dl->commit);
	g_variant_dict_insert(&result, "revision", "s", dl->revision);
	g_variant_dict_insert(&result, "files", "u", files != NULL ? files->len : 0);
	g_variant_dict_insert(&result, "downloaded-files", "u",
			      (guint)g_atomic_int_get(&dl->files_downloaded));
	g_variant_dict_insert(&result, "downloaded-bytes", "t",
			      (guint64)(gsize)g_atomic_pointer_get(&dl->bytes_downloaded));
	g_variant_dict_insert(&result, "from-cache", "b", from_cache);
	return g_variant_dict_end(&result);
}

/* Checked against the total before any byte is fetched, counting what the
 * other running transfers will still write. Full: fail, or (on-disk-full=
 * wait) say what is needed and look again until space appears. */
static gboolean
claim_space(Download *dl, guint64 needed, GError **error)
{
	const gchar *dir = dl->local_dir != NULL ? dl->local_dir : dl->cache_dir;

	for (;;) {
		g_autoptr(GError) full = NULL;
		g_autofree gchar *reason = NULL;

		if (hfhub_engine_claim_space(dl->engine, dir, needed, &full)) {
			dl->space_claimed = needed;
			if (dl->wait_for_space)
				note_reason(dl, "");
			return TRUE;
		}
		if (!dl->wait_for_space) {
			g_propagate_error(error, g_steal_pointer(&full));
			g_prefix_error(error, "nothing was downloaded: ");
			return FALSE;
		}
		reason = g_strdup_printf("waiting for disk space: %s", full->message);
		note_reason(dl, reason);
		if (!hfhub_http_sleep(SPACE_POLL_MS, dl->abort, error))
			return FALSE;
	}
}

/* HF_HUB_OFFLINE: answer from the cache or say what is missing. */
static GVariant *
run_offline(Download *dl, GError **error)
{
	g_autofree gchar *commit = NULL;
	g_autofree gchar *snapshot = NULL;

	if (dl->local_dir != NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_OFFLINE,
			    "offline mode is on and a download into a local dir needs the Hub");
		return NULL;
	}
	commit = hfhub_is_commit_hash(dl->revision)
			 ? g_strdup(dl->revision)
			 : hfhub_cache_repo_read_ref(dl->cache, dl->revision, NULL);
	if (commit == NULL) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_OFFLINE,
			    "offline mode is on and %s at %s is not in the cache %s", dl->repo_id,
			    dl->revision, dl->cache_dir);
		return NULL;
	}
	dl->commit = g_strdup(commit);
	for (guint i = 0; dl->files != NULL && dl->files[i] != NULL; i++) {
		g_autofree gchar *cached =
			hfhub_cache_repo_resolve_cached(dl->cache, commit, dl->files[i]);
		if (cached == NULL) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_OFFLINE,
				    "offline mode is on and “%s” of %s at %s is not in the cache",
				    dl->files[i], dl->repo_id, dl->revision);
			return NULL;
		}
	}
	snapshot = hfhub_cache_repo_snapshot_dir(dl->cache, commit);
	if (!g_file_test(snapshot, G_FILE_TEST_IS_DIR)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_OFFLINE,
			    "offline mode is on and %s at %s is not in the cache", dl->repo_id,
			    dl->revision);
		return NULL;
	}
	return success_result(dl, NULL, TRUE);
}

static GVariant *
run_download(Download *dl, GError **error)
{
	HfhubHubRepo repo = hub_repo(dl);
	g_autoptr(GPtrArray) files = NULL;
	GThreadPool *pool;
	guint64 needed = 0;

	if (dl->offline)
		return run_offline(dl, error);
	if (hfhub_is_commit_hash(dl->revision))
		dl->commit = g_strdup(dl->revision);
	else
		dl->commit = hfhub_hub_resolve_revision(&repo, dl->revision, dl->abort, error);
	if (dl->commit == NULL)
		return NULL;
	files = select_files(dl, error);
	if (files == NULL)
		return NULL;
	if (dl->dry_run)
		return dry_run_result(dl, files);

	if (dl->local_dir == NULL && !hfhub_is_commit_hash(dl->revision) &&
	    !hfhub_cache_repo_write_ref(dl->cache, dl->revision, dl->commit, error))
		return NULL;
	for (guint i = 0; i < files->len; i++) {
		const HfhubRepoFile *file = g_ptr_array_index(files, i);
		dl->bytes_total += (gint64)file->size;
		if (dl->force || !is_present(dl, file))
			needed += file->size;
	}
	g_atomic_int_set(&dl->files_total, (gint)files->len);
	if (!claim_space(dl, needed, error))
		return NULL;

	pool = g_thread_pool_new(fetch_one_cb, dl, (gint)MAX(1u, dl->parallelism), FALSE, error);
	if (pool == NULL)
		return NULL;
	g_mutex_lock(&dl->mutex);
	dl->pending = files->len;
	g_mutex_unlock(&dl->mutex);
	for (guint i = 0; i < files->len; i++)
		g_thread_pool_push(pool, g_ptr_array_index(files, i), NULL);
	g_mutex_lock(&dl->mutex);
	while (dl->pending > 0)
		g_cond_wait(&dl->cond, &dl->mutex);
	g_mutex_unlock(&dl->mutex);
	g_thread_pool_free(pool, FALSE, TRUE);
	if (dl->error != NULL) {
		g_propagate_error(error, g_steal_pointer(&dl->error));
		return NULL;
	}
	if (g_cancellable_set_error_if_cancelled(dl->cancellable, error))
		return NULL;
	return success_result(dl, files, FALSE);
}

static void
run_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	Download *dl = task_data;
	GError *error = NULL;
	GVariant *result = run_download(dl, &error);

	hfhub_job_run_return(task, result, error, dl->cancellable);
}

/* ---- main-thread side */

static void
publish_progress(gpointer data)
{
	Download *dl = data;
	gssize done = (gssize)g_atomic_pointer_get(&dl->bytes_done);

	hfhub_job_set_progress(dl->job, (guint64)MAX(done, 0), (guint64)dl->bytes_total,
			       (guint)g_atomic_int_get(&dl->files_done),
			       (guint)g_atomic_int_get(&dl->files_total));
}

static void
download_run_async(HfhubEngine *engine, HfhubJob *job, GCancellable *cancellable,
		   GAsyncReadyCallback callback, gpointer user_data)
{
	HfhubConfig *config = hfhub_engine_get_config(engine);
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_autoptr(GTask) task = g_task_new(job, cancellable, callback, user_data);
	Download *dl = g_new0(Download, 1);
	gboolean offline = hfhub_config_get_offline(config);
	guint parallelism = hfhub_config_get_download_parallelism(config);
	const gchar *identity = NULL;
	g_autoptr(GError) token_error = NULL;

	g_mutex_init(&dl->mutex);
	g_cond_init(&dl->cond);
	dl->job = g_object_ref(job);
	dl->store = g_object_ref(hfhub_engine_get_store(engine));
	dl->engine = g_object_ref(engine);
	dl->throttle = hfhub_engine_get_download_throttle(engine);
	dl->http = g_object_ref(hfhub_engine_get_http(engine));
	dl->cancellable = g_object_ref(cancellable);
	dl->abort = hfhub_job_run_abort_new(cancellable, &dl->abort_link);
	hfhub_repo_type_from_string(rec->repo_type, &dl->type);
	dl->repo_id = g_strdup(rec->repo_id);
	dl->revision = g_strdup(rec->revision);
	dl->endpoint = hfhub_engine_dup_job_endpoint(engine, job);
	/* the job's identity, else HF_TOKEN, else the endpoint's default; the
	 * lookup reads an in-memory cache, it never blocks */
	hfhub_job_lookup_option(job, "identity", "&s", &identity);
	dl->token = hfhub_engine_dup_token(engine, identity, dl->endpoint, &token_error);
	dl->cache_dir =
		hfhub_job_dup_option_string(job, "cache-dir", hfhub_config_get_cache_dir(config));
	dl->local_dir = hfhub_job_dup_option_string(job, "local-dir", NULL);
	dl->files = hfhub_job_dup_option_strv(job, "files");
	dl->include = hfhub_job_dup_option_strv(job, "include");
	dl->exclude = hfhub_job_dup_option_strv(job, "exclude");
	hfhub_job_lookup_option(job, "offline", "b", &offline);
	dl->offline = offline;
	hfhub_job_lookup_option(job, "force", "b", &dl->force);
	hfhub_job_lookup_option(job, "dry-run", "b", &dl->dry_run);
	{
		const gchar *on_full = NULL;
		dl->wait_for_space = hfhub_job_lookup_option(job, "on-disk-full", "&s", &on_full) &&
				     g_strcmp0(on_full, "wait") == 0;
	}
	hfhub_job_lookup_option(job, "parallelism", "u", &parallelism);
	dl->parallelism = parallelism;
	dl->cache = hfhub_cache_repo_new(dl->cache_dir, dl->type, dl->repo_id);

	g_task_set_source_tag(task, download_run_async);
	g_task_set_task_data(task, dl, (GDestroyNotify)download_free);
	hfhub_job_run_publish_progress(task, publish_progress, dl);
	if (token_error != NULL) {
		g_task_return_error(task, g_steal_pointer(&token_error));
		return;
	}
	g_task_run_in_thread(task, run_thread);
}

static GVariant *
download_run_finish(HfhubJob *job, GAsyncResult *res, GError **error)
{
	Download *dl = g_task_get_task_data(G_TASK(res));

	publish_progress(dl);
	hfhub_job_run_stop_progress(G_TASK(res));
	return g_task_propagate_pointer(G_TASK(res), error);
}

/* Records which identity the job uses (its name, never the token), so that
 * a queued or resumed job keeps it across restarts and default switches;
 * an unknown identity is refused here. */
static gboolean
record_identity(HfhubEngine *engine, HfhubJobRecord *rec, const gchar *endpoint, GError **error)
{
	const gchar *identity = NULL;
	g_autofree gchar *name = NULL;
	GError *error_local = NULL;

	g_variant_lookup(rec->options, "identity", "&s", &identity);
	name = hfhub_engine_dup_identity_name(engine, identity, endpoint, &error_local);
	if (error_local != NULL) {
		g_propagate_error(error, error_local);
		return FALSE;
	}
	if (name != NULL && identity == NULL) {
		g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT(rec->options);
		g_variant_dict_insert(&dict, "identity", "s", name);
		g_variant_unref(rec->options);
		rec->options = g_variant_ref_sink(g_variant_dict_end(&dict));
	}
	if (name != NULL) {
		g_free(rec->identity);
		rec->identity = g_strdup(name);
	}
	return TRUE;
}

/* Checks the request before it becomes a row: bad input changes nothing. */
static gboolean
download_prepare(HfhubEngine *engine, HfhubJobRecord *rec, GError **error)
{
	HfhubRepoType type;
	g_autofree gchar **files = NULL;
	const gchar *dir = NULL;
	const gchar *endpoint = NULL;
	guint parallelism = 1;

	if (!hfhub_repo_type_from_string(rec->repo_type, &type)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "unknown repo type “%s” (model, dataset or space)", rec->repo_type);
		return FALSE;
	}
	g_free(rec->repo_type);
	rec->repo_type = g_strdup(hfhub_repo_type_to_string(type));
	if (!hfhub_repo_id_validate(rec->repo_id, error))
		return FALSE;
	if (*rec->revision == '\0') {
		g_free(rec->revision);
		rec->revision = g_strdup("main");
	}
	if (!hfhub_revision_validate(rec->revision, error))
		return FALSE;
	if (g_variant_lookup(rec->options, "files", "^a&s", &files)) {
		for (guint i = 0; files[i] != NULL; i++) {
			if (!hfhub_repo_file_path_validate(files[i], error))
				return FALSE;
		}
	}
	if (g_variant_lookup(rec->options, "cache-dir", "&s", &dir) && !g_path_is_absolute(dir)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the cache dir must be an absolute path, not “%s”", dir);
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "local-dir", "&s", &dir) && !g_path_is_absolute(dir)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "the local dir must be an absolute path, not “%s”", dir);
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "endpoint", "&s", &endpoint)) {
		g_autoptr(GUri) uri = g_uri_parse(endpoint, G_URI_FLAGS_NONE, NULL);
		if (uri == NULL || g_uri_get_host(uri) == NULL ||
		    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
		     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    "the endpoint must be an http(s) URL, not “%s”", endpoint);
			return FALSE;
		}
	}
	if (g_variant_lookup(rec->options, "on-disk-full", "&s", &dir) &&
	    g_strcmp0(dir, "fail") != 0 && g_strcmp0(dir, "wait") != 0) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "on-disk-full is “fail” or “wait”, not “%s”", dir);
		return FALSE;
	}
	if (g_variant_lookup(rec->options, "parallelism", "u", &parallelism) &&
	    (parallelism < 1 || parallelism > 64)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    "parallelism must be between 1 and 64, not %u", parallelism);
		return FALSE;
	}
	return record_identity(engine, rec, endpoint, error);
}

/* The lock a partial file is written under: a partial whose lock another
 * writer holds (a second job fetching the same blob) is in use. */
static gchar *
partial_lock_path(HfhubEngine *engine, HfhubJob *job, const HfhubJobFileRecord *row)
{
	const HfhubJobRecord *rec = hfhub_job_get_record(job);
	g_autofree gchar *local_dir = NULL;
	g_autofree gchar *cache_dir = NULL;
	g_autoptr(HfhubCacheRepo) cache = NULL;
	HfhubRepoType type = HFHUB_REPO_TYPE_MODEL;

	local_dir = hfhub_job_dup_option_string(job, "local-dir", NULL);
	if (local_dir != NULL)
		return hfhub_local_dir_lock_path(local_dir, row->path, NULL);
	cache_dir = hfhub_job_dup_option_string(
		job, "cache-dir", hfhub_config_get_cache_dir(hfhub_engine_get_config(engine)));
	hfhub_repo_type_from_string(rec->repo_type, &type);
	cache = hfhub_cache_repo_new(cache_dir, type, rec->repo_id);
	return hfhub_cache_repo_lock_path(cache, row->etag);
}

/* Cancelled or failed for good: the partial files it left go, unless
 * another transfer of the same blob is writing them, or another job waits
 * for the lock to take the partial over and continue from its bytes. */
static void
download_discard(HfhubEngine *engine, HfhubJob *job)
{
	HfhubStore *store = hfhub_engine_get_store(engine);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) rows =
		hfhub_store_list_job_files(store, hfhub_job_get_id(job), &error);

	if (rows == NULL) {
		g_warning("job %" G_GUINT64_FORMAT ": %s", hfhub_job_get_id(job), error->message);
		return;
	}
	for (guint i = 0; i < rows->len; i++) {
		HfhubJobFileRecord *row = g_ptr_array_index(rows, i);
		g_autofree gchar *lock_path = NULL;
		g_autoptr(HfhubFileLock) lock = NULL;

		if (row->partial == NULL || row->etag == NULL)
			continue;
		lock_path = partial_lock_path(engine, job, row);
		lock = lock_path != NULL ? hfhub_file_lock_try(lock_path, NULL) : NULL;
		if (lock == NULL || hfhub_file_lock_has_waiters(lock_path)) {
			g_debug("%s is in use by another transfer, kept", row->partial);
			continue;
		}
		if (g_unlink(row->partial) == 0)
			g_debug("removed %s", row->partial);
	}
	if (!hfhub_store_remove_job_files(store, hfhub_job_get_id(job), &error))
		g_warning("job %" G_GUINT64_FORMAT ": %s", hfhub_job_get_id(job), error->message);
}

static const HfhubJobKind download_kind = {
	.name = "download",
	.options = download_options,
	.prepare = download_prepare,
	.run_async = download_run_async,
	.run_finish = download_run_finish,
	.discard = download_discard,
};

const HfhubJobKind *
hfhub_download_kind(void)
{
	return &download_kind;
}
