/* HfhubCacheRepo: see hfhub-cache.h for the layout and the rules.
 *
 * What huggingface_hub does, and we copy (spec §3, huggingface_hub
 * file_download.py, utils/_fixes.py, filelock's UnixFileLock):
 *  - refs hold the bare 40-hex commit; a ref equal to its commit is not
 *    written; hf_hub_download writes it to a temporary file and renames it;
 *  - snapshot entries are relative symlinks (os.path.relpath of the blob
 *    from the entry's directory);
 *  - no-symlink mode moves a new blob into the snapshot, copies an old one;
 *  - a blob gets the mode of a freshly created probe file, i.e. the umask;
 *  - .locks/<folder>/<etag>.lock is flock()ed, created 0664, never removed.
 * Where we differ, it is to be safer under crashes: we fsync() before every
 * rename() that publishes data, and our temporary files for refs live in the
 * repo folder rather than in refs/, where a leftover would be read as a ref by
 * the cache scanners and mark the repo corrupted. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubCache"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hfhub-cache.h"
#include "hfhub-error.h"
#include "hfhub-repo-path.h"

#define LOCK_FILE_MODE	     0664
#define LOCK_POLL_MS	     100
#define LOCK_LOG_EVERY_POLLS 100 /* 10 s, as huggingface_hub logs */

/* byte for byte what huggingface_hub writes, so that the cache looks the same
 * whoever created it */
static const gchar cachedir_tag[] =
	"Signature: 8a477f597d28d172789f06886806bc55\n"
	"# This file is a cache directory tag created by huggingface_hub.\n"
	"# For information about cache directory tags, see:\n"
	"#\thttps://bford.info/cachedir/\n";

struct _HfhubCacheRepo {
	GObject parent_instance;
	gchar *cache_dir;
	HfhubRepoType type;
	gchar *repo_id;
	gchar *folder_name;
	gchar *path;
	gboolean use_symlinks;
};

G_DEFINE_TYPE(HfhubCacheRepo, hfhub_cache_repo, G_TYPE_OBJECT)

static void
hfhub_cache_repo_finalize(GObject *object)
{
	HfhubCacheRepo *self = HFHUB_CACHE_REPO(object);

	g_free(self->cache_dir);
	g_free(self->repo_id);
	g_free(self->folder_name);
	g_free(self->path);
	G_OBJECT_CLASS(hfhub_cache_repo_parent_class)->finalize(object);
}

static void
hfhub_cache_repo_class_init(HfhubCacheRepoClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = hfhub_cache_repo_finalize;
}

static void
hfhub_cache_repo_init(HfhubCacheRepo *self)
{
	self->use_symlinks = TRUE;
}

HfhubCacheRepo *
hfhub_cache_repo_new_full(const gchar *cache_dir, HfhubRepoType type, const gchar *repo_id,
			  gboolean use_symlinks)
{
	HfhubCacheRepo *self;

	g_return_val_if_fail(cache_dir != NULL, NULL);
	g_return_val_if_fail(type < HFHUB_REPO_TYPE_LAST, NULL);
	g_return_val_if_fail(hfhub_repo_id_validate(repo_id, NULL), NULL);

	self = g_object_new(HFHUB_TYPE_CACHE_REPO, NULL);
	self->cache_dir = g_strdup(cache_dir);
	self->type = type;
	self->repo_id = g_strdup(repo_id);
	self->folder_name = hfhub_repo_folder_name(type, repo_id);
	self->path = g_build_filename(cache_dir, self->folder_name, NULL);
	self->use_symlinks = use_symlinks;
	return self;
}

HfhubCacheRepo *
hfhub_cache_repo_new(const gchar *cache_dir, HfhubRepoType type, const gchar *repo_id)
{
	return hfhub_cache_repo_new_full(cache_dir, type, repo_id, TRUE);
}

const gchar *
hfhub_cache_repo_get_cache_dir(HfhubCacheRepo *self)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	return self->cache_dir;
}

HfhubRepoType
hfhub_cache_repo_get_repo_type(HfhubCacheRepo *self)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), HFHUB_REPO_TYPE_MODEL);
	return self->type;
}

const gchar *
hfhub_cache_repo_get_repo_id(HfhubCacheRepo *self)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	return self->repo_id;
}

const gchar *
hfhub_cache_repo_get_folder_name(HfhubCacheRepo *self)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	return self->folder_name;
}

const gchar *
hfhub_cache_repo_get_path(HfhubCacheRepo *self)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	return self->path;
}

gboolean
hfhub_cache_repo_get_use_symlinks(HfhubCacheRepo *self)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);
	return self->use_symlinks;
}

/* ---- filesystem helpers */

gboolean
hfhub_fs_set_error(GError **error, gint errsv, const gchar *what, const gchar *path)
{
	g_autofree gchar *shown = hfhub_path_escape_for_message(path);

	g_set_error(error, HFHUB_ERROR, errsv == ENOSPC ? HFHUB_ERROR_DISK_FULL : HFHUB_ERROR_IO,
		    "%s “%s”: %s", what, shown, g_strerror(errsv));
	return FALSE;
}

gchar *
hfhub_fs_random_hex8(void)
{
	return g_strdup_printf("%08x", g_random_int());
}

static gboolean
mkdir_with_parents(const gchar *dir, GError **error)
{
	if (g_mkdir_with_parents(dir, 0777) != 0)
		return hfhub_fs_set_error(error, errno, "Could not create the directory", dir);
	return TRUE;
}

gboolean
hfhub_fs_ensure_parent(const gchar *path, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);

	return mkdir_with_parents(dir, error);
}

static gboolean
write_all(gint fd, const gchar *data, gsize len)
{
	while (len > 0) {
		gssize n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return FALSE;
		data += n;
		len -= (gsize)n;
	}
	return TRUE;
}

/* fsync() of a directory makes a rename() in it durable; best effort, some
 * filesystems refuse it */
static void
fsync_dir(const gchar *dir)
{
	gint fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (fsync(fd) != 0)
		g_debug("fsync(%s): %s", dir, g_strerror(errno));
	g_close(fd, NULL);
}

static gboolean
write_fd_and_close(gint fd, const gchar *tmp, const gchar *contents, gsize len, GError **error)
{
	gint errsv;

	if (!write_all(fd, contents, len) || fsync(fd) != 0) {
		errsv = errno;
		g_close(fd, NULL);
		return hfhub_fs_set_error(error, errsv, "Could not write", tmp);
	}
	if (!g_close(fd, NULL))
		return hfhub_fs_set_error(error, errno, "Could not write", tmp);
	return TRUE;
}

gboolean
hfhub_fs_write_atomic(const gchar *tmp_dir, const gchar *path, const gchar *contents, gssize len,
		      GError **error)
{
	g_autofree gchar *tmp = g_build_filename(tmp_dir, ".hfhub-XXXXXX.tmp", NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	gint fd;

	if (len < 0)
		len = (gssize)strlen(contents);
	fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0)
		return hfhub_fs_set_error(error, errno, "Could not create a temporary file in",
					  tmp_dir);
	if (!write_fd_and_close(fd, tmp, contents, (gsize)len, error)) {
		g_unlink(tmp);
		return FALSE;
	}
	if (g_rename(tmp, path) != 0) {
		gint errsv = errno;

		g_unlink(tmp);
		return hfhub_fs_set_error(error, errsv, "Could not write", path);
	}
	fsync_dir(dir);
	return TRUE;
}

/* The mode a file newly created in @dir gets (the same in every dir). */
static gboolean
new_file_mode(const gchar *dir, mode_t *mode)
{
	g_autofree gchar *status = NULL;
	const gchar *line;
	mode_t mask = 022;

	/* what a freshly created file gets: 0666 less the umask. Python probes
	 * with a temporary file per blob; reading the umask costs no inode.
	 * umask() itself would be racy between threads. */
	if (g_file_get_contents("/proc/self/status", &status, NULL, NULL) &&
	    (line = strstr(status, "\nUmask:")) != NULL)
		mask = (mode_t)(g_ascii_strtoull(line + 7, NULL, 8) & 0777);
	*mode = 0666 & ~mask;
	return TRUE;
}

/* copies @src to a temporary file next to @dest, fsync()s it and renames it
 * over @dest: readers see the old file or the whole new one */
static gboolean
copy_then_rename(const gchar *src, const gchar *dest, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(dest);
	g_autofree gchar *hex = hfhub_fs_random_hex8();
	g_autofree gchar *tmp_name = g_strdup_printf(".hfhub-%s.tmp", hex);
	g_autofree gchar *tmp = g_build_filename(dir, tmp_name, NULL);
	g_autoptr(GFile) src_file = g_file_new_for_path(src);
	g_autoptr(GFile) tmp_file = g_file_new_for_path(tmp);
	gint fd;

	/* default permissions, like Python's shutil.copyfile */
	if (!g_file_copy(src_file, tmp_file, G_FILE_COPY_TARGET_DEFAULT_PERMS, NULL, NULL, NULL,
			 error)) {
		g_unlink(tmp);
		hfhub_error_convert(error);
		return FALSE;
	}
	fd = g_open(tmp, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0 || fsync(fd) != 0) {
		gint errsv = errno;

		if (fd >= 0)
			g_close(fd, NULL);
		g_unlink(tmp);
		return hfhub_fs_set_error(error, errsv, "Could not write", tmp);
	}
	g_close(fd, NULL);
	if (g_rename(tmp, dest) != 0) {
		gint errsv = errno;

		g_unlink(tmp);
		return hfhub_fs_set_error(error, errsv, "Could not write", dest);
	}
	fsync_dir(dir);
	return TRUE;
}

static gboolean
fsync_and_chmod(const gchar *file_path, const gchar *dest_dir, GError **error)
{
	gint fd = g_open(file_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	GStatBuf st;
	mode_t mode;

	if (fd < 0)
		return hfhub_fs_set_error(error, errno, "Could not open", file_path);
	if (fstat(fd, &st) != 0 || fsync(fd) != 0) {
		gint errsv = errno;

		g_close(fd, NULL);
		return hfhub_fs_set_error(error, errsv, "Could not flush", file_path);
	}
	if (!S_ISREG(st.st_mode)) {
		g_autofree gchar *shown = hfhub_path_escape_for_message(file_path);

		g_close(fd, NULL);
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_IO, "“%s” is not a regular file",
			    shown);
		return FALSE;
	}
	/* like Python, a failed chmod is not fatal */
	if (new_file_mode(dest_dir, &mode) && fchmod(fd, mode) != 0)
		g_debug("chmod(%s, %o): %s", file_path, (guint)mode, g_strerror(errno));
	g_close(fd, NULL);
	return TRUE;
}

gboolean
hfhub_fs_publish_file(const gchar *file_path, const gchar *dest, GError **error)
{
	g_autofree gchar *dest_dir = g_path_get_dirname(dest);

	if (!fsync_and_chmod(file_path, dest_dir, error))
		return FALSE;
	if (g_rename(file_path, dest) == 0) {
		fsync_dir(dest_dir);
		return TRUE;
	}
	if (errno != EXDEV)
		return hfhub_fs_set_error(error, errno, "Could not move the download to", dest);
	/* another filesystem: what shutil.move does, copy then delete */
	if (!copy_then_rename(file_path, dest, error))
		return FALSE;
	g_unlink(file_path);
	return TRUE;
}

gboolean
hfhub_fs_ensure_cachedir_tag(const gchar *dir, GError **error)
{
	g_autofree gchar *path = g_build_filename(dir, "CACHEDIR.TAG", NULL);

	if (g_file_test(path, G_FILE_TEST_EXISTS))
		return TRUE;
	return hfhub_fs_write_atomic(dir, path, cachedir_tag, -1, error);
}

static gboolean
lstat_is_regular(const gchar *path, GStatBuf *st)
{
	return g_lstat(path, st) == 0 && S_ISREG(st->st_mode);
}

/* ---- path helpers */

static gchar *
commit_dir(HfhubCacheRepo *self, const gchar *top, const gchar *commit)
{
	return g_build_filename(self->path, top, commit, NULL);
}

gchar *
hfhub_cache_repo_blob_path(HfhubCacheRepo *self, const gchar *etag)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	g_return_val_if_fail(hfhub_etag_validate(etag, NULL), NULL);
	return g_build_filename(self->path, "blobs", etag, NULL);
}

gchar *
hfhub_cache_repo_incomplete_path(HfhubCacheRepo *self, const gchar *etag)
{
	g_autofree gchar *blob = hfhub_cache_repo_blob_path(self, etag);

	g_return_val_if_fail(blob != NULL, NULL);
	return g_strconcat(blob, ".incomplete", NULL);
}

gchar *
hfhub_cache_repo_incomplete_path_unique(HfhubCacheRepo *self, const gchar *etag)
{
	g_autofree gchar *blob = hfhub_cache_repo_blob_path(self, etag);
	g_autofree gchar *hex = hfhub_fs_random_hex8();

	g_return_val_if_fail(blob != NULL, NULL);
	return g_strconcat(blob, ".", hex, ".incomplete", NULL);
}

gchar *
hfhub_cache_repo_snapshot_dir(HfhubCacheRepo *self, const gchar *commit)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	g_return_val_if_fail(hfhub_is_commit_hash(commit), NULL);
	return commit_dir(self, "snapshots", commit);
}

gchar *
hfhub_cache_repo_snapshot_path(HfhubCacheRepo *self, const gchar *commit, const gchar *file)
{
	g_autofree gchar *dir = hfhub_cache_repo_snapshot_dir(self, commit);

	g_return_val_if_fail(dir != NULL, NULL);
	g_return_val_if_fail(hfhub_repo_file_path_validate(file, NULL), NULL);
	return g_build_filename(dir, file, NULL);
}

gchar *
hfhub_cache_repo_lock_path(HfhubCacheRepo *self, const gchar *etag)
{
	g_autofree gchar *name = NULL;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	g_return_val_if_fail(hfhub_etag_validate(etag, NULL), NULL);
	name = g_strconcat(etag, ".lock", NULL);
	return g_build_filename(self->cache_dir, ".locks", self->folder_name, name, NULL);
}

gchar *
hfhub_cache_repo_no_exist_path(HfhubCacheRepo *self, const gchar *commit, const gchar *file)
{
	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);
	g_return_val_if_fail(hfhub_is_commit_hash(commit), NULL);
	g_return_val_if_fail(hfhub_repo_file_path_validate(file, NULL), NULL);
	return g_build_filename(self->path, ".no_exist", commit, file, NULL);
}

static gboolean
check_commit(const gchar *commit, GError **error)
{
	g_autofree gchar *shown = NULL;

	if (hfhub_is_commit_hash(commit))
		return TRUE;
	shown = hfhub_path_escape_for_message(commit);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
		    "“%s” is not a commit hash (40 lowercase hex digits)", shown);
	return FALSE;
}

/* ---- refs */

static gchar *
ref_path(HfhubCacheRepo *self, const gchar *revision)
{
	return g_build_filename(self->path, "refs", revision, NULL);
}

gchar *
hfhub_cache_repo_read_ref(HfhubCacheRepo *self, const gchar *revision, GError **error)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);

	if (!hfhub_revision_validate(revision, error))
		return NULL;
	path = ref_path(self, revision);
	if (!g_file_get_contents(path, &contents, NULL, &local_error)) {
		if (g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
		    g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_ISDIR) ||
		    g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
			return NULL;
		hfhub_error_convert(&local_error);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	g_strstrip(contents);
	if (!hfhub_is_commit_hash(contents)) {
		g_debug("ignoring %s: not a commit hash", path);
		return NULL;
	}
	return g_steal_pointer(&contents);
}

gboolean
hfhub_cache_repo_write_ref(HfhubCacheRepo *self, const gchar *revision, const gchar *commit,
			   GError **error)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *current = NULL;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);

	if (!hfhub_revision_validate(revision, error) || !check_commit(commit, error))
		return FALSE;
	if (g_str_equal(revision, commit))
		return TRUE;
	current = hfhub_cache_repo_read_ref(self, revision, NULL);
	if (g_strcmp0(current, commit) == 0)
		return TRUE;
	path = ref_path(self, revision);
	if (!hfhub_fs_ensure_parent(path, error))
		return FALSE;
	return hfhub_fs_write_atomic(self->path, path, commit, -1, error);
}

/* ---- blobs */

gboolean
hfhub_cache_repo_has_blob(HfhubCacheRepo *self, const gchar *etag, guint64 expected_size)
{
	g_autofree gchar *path = NULL;
	GStatBuf st;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);

	if (!hfhub_etag_validate(etag, NULL))
		return FALSE;
	path = hfhub_cache_repo_blob_path(self, etag);
	return lstat_is_regular(path, &st) && (guint64)st.st_size == expected_size;
}

/* huggingface_hub creates CACHEDIR.TAG with the first blob; a failure only
 * costs backup tools a hint */
static void
ensure_cachedir_tag(HfhubCacheRepo *self)
{
	g_autoptr(GError) error = NULL;

	if (!hfhub_fs_ensure_cachedir_tag(self->cache_dir, &error))
		g_debug("%s", error->message);
}

gboolean
hfhub_cache_repo_publish_blob(HfhubCacheRepo *self, const gchar *incomplete_path, const gchar *etag,
			      GError **error)
{
	g_autofree gchar *blob = NULL;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);
	g_return_val_if_fail(incomplete_path != NULL, FALSE);

	if (!hfhub_etag_validate(etag, error))
		return FALSE;
	blob = hfhub_cache_repo_blob_path(self, etag);
	if (!hfhub_fs_ensure_parent(blob, error) ||
	    !hfhub_fs_publish_file(incomplete_path, blob, error))
		return FALSE;
	ensure_cachedir_tag(self);
	return TRUE;
}

/* ---- snapshots */

/* os.path.relpath(blob, dirname(entry)): up from the entry's directories, the
 * commit directory and snapshots/, then down into blobs/ */
static gchar *
relative_blob_target(const gchar *file, const gchar *etag)
{
	GString *target = g_string_new(NULL);

	for (const gchar *p = file; *p != '\0'; p++) {
		if (*p == '/')
			g_string_append(target, "../");
	}
	g_string_append_printf(target, "../../blobs/%s", etag);
	return g_string_free(target, FALSE);
}

static gboolean
is_symlink_to(const gchar *path, const gchar *target)
{
	g_autofree gchar *current = g_file_read_link(path, NULL);

	return g_strcmp0(current, target) == 0;
}

/* symlink @target at @pointer, replacing what is there with a rename();
 * returns the errno of symlink() (0 on success) so the caller can fall back */
static gint
replace_with_symlink(const gchar *target, const gchar *pointer, GError **error)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *hex = NULL;
	g_autofree gchar *tmp_name = NULL;
	g_autofree gchar *tmp = NULL;

	if (symlink(target, pointer) == 0)
		return 0;
	if (errno != EEXIST)
		return errno;
	if (is_symlink_to(pointer, target))
		return 0;
	dir = g_path_get_dirname(pointer);
	hex = hfhub_fs_random_hex8();
	tmp_name = g_strdup_printf(".hfhub-%s.tmp", hex);
	tmp = g_build_filename(dir, tmp_name, NULL);
	if (symlink(target, tmp) != 0)
		return errno;
	if (g_rename(tmp, pointer) != 0) {
		gint errsv = errno;

		g_unlink(tmp);
		hfhub_fs_set_error(error, errsv, "Could not replace", pointer);
		return -1;
	}
	return 0;
}

static gboolean
symlink_unsupported(gint errsv)
{
	return errsv == EPERM || errsv == ENOSYS || errsv == EOPNOTSUPP;
}

/* huggingface_hub's no-symlink mode */
static gboolean
place_blob_copy(const gchar *blob, const gchar *pointer, HfhubCacheLinkFlags flags, GError **error)
{
	if ((flags & HFHUB_CACHE_LINK_NEW_BLOB) == 0)
		return copy_then_rename(blob, pointer, error);
	if (g_rename(blob, pointer) != 0)
		return hfhub_fs_set_error(error, errno, "Could not move the blob to", pointer);
	return TRUE;
}

static gboolean
check_link_args(const gchar *commit, const gchar *file, const gchar *etag, GError **error)
{
	return check_commit(commit, error) && hfhub_repo_file_path_validate(file, error) &&
	       hfhub_etag_validate(etag, error);
}

/* creates the directories of @path below @root, refusing symlinked ones that
 * lead out of it */
static gboolean
prepare_parent_inside(const gchar *root, const gchar *path, GError **error)
{
	return hfhub_path_check_inside(root, path, error) && hfhub_fs_ensure_parent(path, error);
}

gboolean
hfhub_cache_repo_link_snapshot_full(HfhubCacheRepo *self, const gchar *commit, const gchar *file,
				    const gchar *etag, HfhubCacheLinkFlags flags, GError **error)
{
	g_autofree gchar *snapshot = NULL;
	g_autofree gchar *pointer = NULL;
	g_autofree gchar *blob = NULL;
	g_autofree gchar *target = NULL;
	gint errsv;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);

	if (!check_link_args(commit, file, etag, error))
		return FALSE;
	snapshot = hfhub_cache_repo_snapshot_dir(self, commit);
	pointer = g_build_filename(snapshot, file, NULL);
	blob = hfhub_cache_repo_blob_path(self, etag);
	if (!prepare_parent_inside(snapshot, pointer, error))
		return FALSE;
	if (!self->use_symlinks)
		return place_blob_copy(blob, pointer, flags, error);
	target = relative_blob_target(file, etag);
	errsv = replace_with_symlink(target, pointer, error);
	if (errsv == 0)
		return TRUE;
	if (errsv > 0 && symlink_unsupported(errsv)) {
		g_debug("symlinks unsupported under %s (%s): copying blobs into snapshots",
			self->path, g_strerror(errsv));
		return place_blob_copy(blob, pointer, flags, error);
	}
	if (errsv > 0)
		hfhub_fs_set_error(error, errsv, "Could not create the symbolic link", pointer);
	return FALSE;
}

gboolean
hfhub_cache_repo_link_snapshot(HfhubCacheRepo *self, const gchar *commit, const gchar *file,
			       const gchar *etag, GError **error)
{
	return hfhub_cache_repo_link_snapshot_full(self, commit, file, etag, HFHUB_CACHE_LINK_NONE,
						   error);
}

gchar *
hfhub_cache_repo_resolve_cached(HfhubCacheRepo *self, const gchar *revision, const gchar *file)
{
	g_autofree gchar *commit = NULL;
	g_autofree gchar *pointer = NULL;
	GStatBuf st;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), NULL);

	if (!hfhub_revision_validate(revision, NULL) || !hfhub_repo_file_path_validate(file, NULL))
		return NULL;
	if (hfhub_is_commit_hash(revision))
		commit = g_strdup(revision);
	else
		commit = hfhub_cache_repo_read_ref(self, revision, NULL);
	if (commit == NULL)
		return NULL;
	pointer = hfhub_cache_repo_snapshot_path(self, commit, file);
	/* stat() follows the symlink: a dangling one is not cached */
	if (g_stat(pointer, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	return g_steal_pointer(&pointer);
}

gboolean
hfhub_cache_repo_is_no_exist(HfhubCacheRepo *self, const gchar *commit, const gchar *file)
{
	g_autofree gchar *path = NULL;
	GStatBuf st;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);

	if (!hfhub_is_commit_hash(commit) || !hfhub_repo_file_path_validate(file, NULL))
		return FALSE;
	path = hfhub_cache_repo_no_exist_path(self, commit, file);
	return g_stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

gboolean
hfhub_cache_repo_mark_no_exist(HfhubCacheRepo *self, const gchar *commit, const gchar *file,
			       GError **error)
{
	g_autofree gchar *root = NULL;
	g_autofree gchar *path = NULL;
	gint fd;

	g_return_val_if_fail(HFHUB_IS_CACHE_REPO(self), FALSE);

	if (!check_commit(commit, error) || !hfhub_repo_file_path_validate(file, error))
		return FALSE;
	root = commit_dir(self, ".no_exist", commit);
	path = g_build_filename(root, file, NULL);
	if (!prepare_parent_inside(root, path, error))
		return FALSE;
	fd = g_open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return hfhub_fs_set_error(error, errno, "Could not create", path);
	g_close(fd, NULL);
	return TRUE;
}

/* ---- file locks */

struct _HfhubFileLock {
	gchar *path;
	gint fd;
	gboolean held;
};

void
hfhub_file_lock_release(HfhubFileLock *lock)
{
	if (lock == NULL)
		return;
	/* closing drops the flock; the file stays, as with Python's filelock */
	if (lock->fd >= 0)
		g_close(lock->fd, NULL);
	g_free(lock->path);
	g_free(lock);
}

gboolean
hfhub_file_lock_is_held(HfhubFileLock *lock)
{
	g_return_val_if_fail(lock != NULL, FALSE);
	return lock->held;
}

const gchar *
hfhub_file_lock_get_path(HfhubFileLock *lock)
{
	g_return_val_if_fail(lock != NULL, NULL);
	return lock->path;
}

static gint
open_lock_file(const gchar *path, GError **error)
{
	gint fd;

	if (!hfhub_fs_ensure_parent(path, error))
		return -1;
	fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, LOCK_FILE_MODE);
	if (fd >= 0) {
		/* filelock fchmod()s to its mode so the umask does not apply:
		 * other users of a shared cache can wait on it too */
		if (fchmod(fd, LOCK_FILE_MODE) != 0)
			g_debug("chmod(%s): %s", path, g_strerror(errno));
		return fd;
	}
	/* someone else's 0644 lock file: flock() works on a read-only fd */
	if (errno == EACCES)
		fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		hfhub_fs_set_error(error, errno, "Could not open the lock file", path);
	return fd;
}

/* 0 when locked, else the errno of flock() */
static gint
try_flock(gint fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}

static gboolean
flock_unsupported(gint errsv)
{
	return errsv == ENOSYS || errsv == EOPNOTSUPP || errsv == ENOLCK;
}

static HfhubFileLock *
file_lock_new(const gchar *path, gint fd, gboolean held)
{
	HfhubFileLock *lock = g_new0(HfhubFileLock, 1);

	lock->path = g_strdup(path);
	lock->fd = fd;
	lock->held = held;
	if (!held)
		g_debug("flock() unsupported for %s: going on without the lock", path);
	return lock;
}

/* the outcome of one attempt: a lock, NULL + error, or NULL + *busy */
static HfhubFileLock *
file_lock_attempt(const gchar *path, gint fd, gboolean *busy, GError **error)
{
	gint errsv = try_flock(fd);

	*busy = FALSE;
	if (errsv == 0 || flock_unsupported(errsv))
		return file_lock_new(path, fd, errsv == 0);
	if (errsv == EWOULDBLOCK)
		*busy = TRUE;
	else
		hfhub_fs_set_error(error, errsv, "Could not lock", path);
	return NULL;
}

HfhubFileLock *
hfhub_file_lock_try(const gchar *path, GError **error)
{
	HfhubFileLock *lock;
	gboolean busy;
	gint fd;

	g_return_val_if_fail(path != NULL, NULL);

	fd = open_lock_file(path, error);
	if (fd < 0)
		return NULL;
	lock = file_lock_attempt(path, fd, &busy, error);
	if (lock == NULL)
		g_close(fd, NULL);
	return lock;
}

static gboolean
set_cancelled(GError **error, const gchar *path)
{
	g_autofree gchar *shown = hfhub_path_escape_for_message(path);

	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_CANCELLED,
		    "Cancelled while waiting for the lock “%s”", shown);
	return FALSE;
}

/* sleeps LOCK_POLL_MS, or less when the cancellable behind @pollfd fires */
static void
lock_wait(GPollFD *pollfd, gboolean have_pollfd)
{
	if (have_pollfd)
		g_poll(pollfd, 1, LOCK_POLL_MS);
	else
		g_usleep(LOCK_POLL_MS * 1000);
}

static HfhubFileLock *
file_lock_wait_loop(const gchar *path, gint fd, GCancellable *cancellable,
		    HfhubFileLockWaitFunc waiting, gpointer user_data, GError **error)
{
	GPollFD pollfd = { 0 };
	gboolean have_pollfd = g_cancellable_make_pollfd(cancellable, &pollfd);
	HfhubFileLock *lock = NULL;
	gboolean busy = TRUE;

	for (guint polls = 1; busy; polls++) {
		if (g_cancellable_is_cancelled(cancellable)) {
			set_cancelled(error, path);
			break;
		}
		lock = file_lock_attempt(path, fd, &busy, error);
		if (busy && waiting != NULL)
			waiting(user_data);
		if (busy)
			lock_wait(&pollfd, have_pollfd);
		if (busy && polls % LOCK_LOG_EVERY_POLLS == 0)
			g_debug("still waiting for the lock %s", path);
	}
	if (have_pollfd)
		g_cancellable_release_fd(cancellable);
	return lock;
}

/* lock path → how many threads of this process wait in
 * hfhub_file_lock_acquire() for it */
static GMutex waiters_mutex;
static GHashTable *waiters;

static void
waiters_add(const gchar *path, gint delta)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&waiters_mutex);
	gint n;

	if (waiters == NULL)
		waiters = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	n = GPOINTER_TO_INT(g_hash_table_lookup(waiters, path)) + delta;
	g_assert(n >= 0);
	if (n > 0)
		g_hash_table_insert(waiters, g_strdup(path), GINT_TO_POINTER(n));
	else
		g_hash_table_remove(waiters, path);
}

gboolean
hfhub_file_lock_has_waiters(const gchar *path)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&waiters_mutex);

	g_return_val_if_fail(path != NULL, FALSE);
	return waiters != NULL && g_hash_table_contains(waiters, path);
}

HfhubFileLock *
hfhub_file_lock_acquire(const gchar *path, GCancellable *cancellable, GError **error)
{
	return hfhub_file_lock_acquire_full(path, cancellable, NULL, NULL, error);
}

HfhubFileLock *
hfhub_file_lock_acquire_full(const gchar *path, GCancellable *cancellable,
			     HfhubFileLockWaitFunc waiting, gpointer user_data, GError **error)
{
	HfhubFileLock *lock;
	gint fd;

	g_return_val_if_fail(path != NULL, NULL);

	if (g_cancellable_is_cancelled(cancellable)) {
		set_cancelled(error, path);
		return NULL;
	}
	fd = open_lock_file(path, error);
	if (fd < 0)
		return NULL;
	waiters_add(path, 1);
	lock = file_lock_wait_loop(path, fd, cancellable, waiting, user_data, error);
	waiters_add(path, -1);
	if (lock == NULL)
		g_close(fd, NULL);
	return lock;
}

/* ---- disk space */

static gchar *
nearest_existing(const gchar *dir)
{
	g_autofree gchar *cur = g_strdup(dir);
	GStatBuf st;

	while (g_stat(cur, &st) != 0) {
		gchar *parent = g_path_get_dirname(cur);

		if (g_str_equal(parent, cur)) {
			g_free(parent);
			break;
		}
		g_free(cur);
		cur = parent;
	}
	return g_steal_pointer(&cur);
}

gboolean
hfhub_cache_dir_check_free(const gchar *dir, guint64 needed, GError **error)
{
	g_autofree gchar *existing = NULL;
	g_autofree gchar *needed_str = NULL;
	g_autofree gchar *free_str = NULL;
	g_autofree gchar *shown = NULL;
	struct statvfs vfs;
	guint64 block;
	guint64 available;

	g_return_val_if_fail(dir != NULL, FALSE);

	existing = nearest_existing(dir);
	if (statvfs(existing, &vfs) != 0)
		return hfhub_fs_set_error(error, errno, "Could not read the free space of",
					  existing);
	block = vfs.f_frsize != 0 ? vfs.f_frsize : vfs.f_bsize;
	available = (guint64)vfs.f_bavail > G_MAXUINT64 / MAX(block, 1)
			    ? G_MAXUINT64
			    : (guint64)vfs.f_bavail * block;
	if (available >= needed)
		return TRUE;
	needed_str = g_format_size(needed);
	free_str = g_format_size(available);
	shown = hfhub_path_escape_for_message(existing);
	g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_DISK_FULL,
		    "Not enough disk space: needs %s, only %s free on the filesystem of “%s”",
		    needed_str, free_str, shown);
	return FALSE;
}
