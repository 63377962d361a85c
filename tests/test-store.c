/* Unit tests for HfhubStore.
 *
 * The tests use the sqlite3 API directly (and only here, besides the store
 * itself) as an independent view of the file: to load schema fixtures, to
 * corrupt rows the store would never write, and to look at what was stored. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubStoreTest"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-store.h"

#define STORE_DOMAIN "HfhubStore"

typedef struct {
	gchar *tmpdir;
	gchar *dbdir;
	gchar *path;
} Fixture;

static void
rm_rf(const gchar *path)
{
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);
			rm_rf(child);
		}
		g_assert_cmpint(g_rmdir(path), ==, 0);
	} else {
		g_assert_cmpint(g_unlink(path), ==, 0);
	}
}

static void
fixture_setup(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	fx->tmpdir = g_dir_make_tmp("hfhub-store-XXXXXX", &error);
	g_assert_no_error(error);
	/* a directory that does not exist yet: the store creates it */
	fx->dbdir = g_build_filename(fx->tmpdir, "state", "hfhub", NULL);
	fx->path = g_build_filename(fx->dbdir, "hfhub.db", NULL);
}

static void
fixture_teardown(Fixture *fx, gconstpointer user_data)
{
	rm_rf(fx->tmpdir);
	g_free(fx->tmpdir);
	g_free(fx->dbdir);
	g_free(fx->path);
}

static void
fixture_mkdir(Fixture *fx)
{
	g_assert_cmpint(g_mkdir_with_parents(fx->dbdir, 0700), ==, 0);
}

/* ---- raw sqlite helpers */

static void
raw_exec(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	gchar *errmsg = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
		g_test_message("sqlite3_exec failed: %s", errmsg);
	g_assert_null(errmsg);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
}

static gint64
raw_int(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	gint64 value;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
	return value;
}

static gchar *
raw_text(const gchar *path, const gchar *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	gchar *value;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	value = g_strdup((const gchar *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
	return value;
}

/* collapses whitespace so DDL written by hand compares equal to DDL in C */
static void
append_normalized_sql(GString *out, const gchar *sql)
{
	gboolean space = FALSE;

	for (const gchar *p = sql; p != NULL && *p != '\0'; p++) {
		if (g_ascii_isspace(*p)) {
			space = TRUE;
			continue;
		}
		if (space && out->len > 0 && strchr("(,\n", out->str[out->len - 1]) == NULL &&
		    strchr("(),", *p) == NULL)
			g_string_append_c(out, ' ');
		space = FALSE;
		g_string_append_c(out, *p);
	}
}

static gchar *
raw_schema(const gchar *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	GString *out = g_string_new(NULL);

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db,
					   "SELECT type, name, tbl_name, sql FROM sqlite_master "
					   "ORDER BY type, name",
					   -1, &stmt, NULL),
			==, SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		g_string_append_printf(out, "%s %s %s: ", sqlite3_column_text(stmt, 0),
				       sqlite3_column_text(stmt, 1), sqlite3_column_text(stmt, 2));
		append_normalized_sql(out, (const gchar *)sqlite3_column_text(stmt, 3));
		g_string_append_c(out, '\n');
	}
	sqlite3_finalize(stmt);
	g_assert_cmpint(sqlite3_close(db), ==, SQLITE_OK);
	return g_string_free(out, FALSE);
}

static void
load_sql_file(const gchar *path, const gchar *sql_file)
{
	g_autofree gchar *sql = NULL;
	g_autoptr(GError) error = NULL;

	g_file_get_contents(sql_file, &sql, NULL, &error);
	g_assert_no_error(error);
	raw_exec(path, sql);
}

static gchar *
fixture_file(const gchar *name)
{
	const gchar *srcdir = g_getenv("HFHUB_SRCDIR");

	/* tests/meson.build sets HFHUB_SRCDIR; G_TEST_SRCDIR works as well */
	if (srcdir != NULL)
		return g_build_filename(srcdir, "tests", "data", name, NULL);
	return g_test_build_filename(G_TEST_DIST, "data", name, NULL);
}

static GBytes *
read_bytes(const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *data = NULL;
	gsize len = 0;

	g_file_get_contents(path, &data, &len, &error);
	g_assert_no_error(error);
	return g_bytes_new_take(data, len);
}

static void
write_bytes(const gchar *path, const gchar *data, gsize len)
{
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, data, (gssize)len, &error);
	g_assert_no_error(error);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* names in @dir starting with @prefix, sorted */
static GPtrArray *
list_prefixed(const gchar *dir, const gchar *prefix)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const gchar *name;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		if (g_str_has_prefix(name, prefix))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, compare_names);
	return names;
}

/* ---- record helpers */

static GVariant *
make_rich_options(void)
{
	static const guint8 raw[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	GVariantBuilder b;
	GVariantBuilder inner;

	g_variant_builder_init(&inner, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&inner, "{sv}", "deep", g_variant_new_parsed("[<1>, <'v'>]"));
	g_variant_builder_add(&inner, "{sv}", "ключ", g_variant_new_string("значение"));

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "name", g_variant_new_string("Grüße 日本語 🚀"));
	g_variant_builder_add(&b, "{sv}", "quotes",
			      g_variant_new_string("it's \"quoted\" \\ back\tslash\n"));
	g_variant_builder_add(&b, "{sv}", "int64", g_variant_new_int64(G_MININT64));
	g_variant_builder_add(&b, "{sv}", "uint64", g_variant_new_uint64(G_MAXUINT64));
	g_variant_builder_add(&b, "{sv}", "int32", g_variant_new_int32(-7));
	g_variant_builder_add(&b, "{sv}", "uint32", g_variant_new_uint32(G_MAXUINT32));
	g_variant_builder_add(&b, "{sv}", "int16", g_variant_new_int16(-300));
	g_variant_builder_add(&b, "{sv}", "uint16", g_variant_new_uint16(65535));
	g_variant_builder_add(&b, "{sv}", "byte", g_variant_new_byte(0xff));
	g_variant_builder_add(&b, "{sv}", "bool", g_variant_new_boolean(TRUE));
	g_variant_builder_add(&b, "{sv}", "double", g_variant_new_double(0.1));
	g_variant_builder_add(&b, "{sv}", "tiny", g_variant_new_double(1e-300));
	g_variant_builder_add(&b, "{sv}", "path", g_variant_new_object_path("/a/b_c"));
	g_variant_builder_add(&b, "{sv}", "sig", g_variant_new_signature("a{sv}"));
	g_variant_builder_add(&b, "{sv}", "handle", g_variant_new_handle(3));
	g_variant_builder_add(&b, "{sv}", "strv", g_variant_new_parsed("['a', 'ü', '']"));
	g_variant_builder_add(&b, "{sv}", "empty-strv", g_variant_new_strv(NULL, 0));
	g_variant_builder_add(&b, "{sv}", "bytes",
			      g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, raw, sizeof(raw), 1));
	g_variant_builder_add(&b, "{sv}", "bytestring", g_variant_new_bytestring("héllo"));
	g_variant_builder_add(&b, "{sv}", "nothing", g_variant_new_parsed("@mi nothing"));
	g_variant_builder_add(&b, "{sv}", "just", g_variant_new_parsed("@mi 5"));
	g_variant_builder_add(&b, "{sv}", "tuple", g_variant_new_parsed("(1, 'x', [2.5])"));
	g_variant_builder_add(
		&b, "{sv}", "variant",
		g_variant_new_variant(g_variant_new_variant(g_variant_new_string("vv"))));
	g_variant_builder_add(&b, "{sv}", "dict-su", g_variant_new_parsed("{'k': uint32 1}"));
	g_variant_builder_add(&b, "{sv}", "nested", g_variant_builder_end(&inner));
	g_variant_builder_add(&b, "{sv}", "'; DROP TABLE jobs; --",
			      g_variant_new_string("'); DELETE FROM jobs; --"));
	return g_variant_builder_end(&b);
}

static HfhubJobRecord *
make_full_record(void)
{
	HfhubJobRecord *rec = hfhub_job_record_new();

	rec->kind = g_strdup("download");
	rec->state = HFHUB_JOB_STATE_RUNNING;
	rec->state_reason = g_strdup("fetching «weights»");
	rec->repo_type = g_strdup("model");
	rec->repo_id = g_strdup("Ünïcødé/模型-1");
	rec->revision = g_strdup("refs/pr/1");
	rec->options = make_rich_options(); /* floating: the store sinks it */
	rec->priority = -3;
	rec->owner = g_strdup(":1.99");
	rec->owner_session = g_strdup("4f1e2d3c4b5a69788796a5b4c3d2e1f0");
	rec->owner_app = g_strdup("org.example.Ünïcødé");
	rec->owner_exe = g_strdup("/opt/app/bin/viewer «beta»");
	rec->identity = g_strdup("work");
	rec->created = 1700000000;
	rec->updated = 1700000001;
	rec->bytes_done = G_MAXINT64;
	rec->bytes_total = G_MAXUINT64;
	rec->files_done = 3;
	rec->files_total = G_MAXUINT;
	rec->error_name = g_strdup("io.github.hfhub.Hub1.Error.Network");
	rec->error_message = g_strdup("connexion réinitialisée");
	rec->result = g_variant_ref_sink(
		g_variant_new_parsed("{'snapshot': <'/tmp/ü'>, 'files': <[('a', uint64 1)]>}"));
	return rec;
}

static void
assert_variant_equal(GVariant *a, GVariant *b)
{
	g_autoptr(GVariant) empty = g_variant_ref_sink(g_variant_new_parsed("@a{sv} {}"));
	g_autofree gchar *sa = NULL;
	g_autofree gchar *sb = NULL;

	/* a NULL written comes back as an empty dictionary */
	if (a == NULL)
		a = empty;
	if (b == NULL)
		b = empty;
	if (g_variant_equal(a, b))
		return;
	sa = g_variant_print(a, TRUE);
	sb = g_variant_print(b, TRUE);
	g_assert_cmpstr(sa, ==, sb);
	g_assert_not_reached();
}

static void
assert_job_equal(const HfhubJobRecord *a, const HfhubJobRecord *b)
{
	g_assert_cmpuint(a->id, ==, b->id);
	g_assert_cmpstr(a->kind, ==, b->kind);
	g_assert_cmpint(a->state, ==, b->state);
	g_assert_cmpstr(a->state_reason, ==, b->state_reason);
	g_assert_cmpstr(a->repo_type, ==, b->repo_type);
	g_assert_cmpstr(a->repo_id, ==, b->repo_id);
	g_assert_cmpstr(a->revision, ==, b->revision);
	assert_variant_equal(a->options, b->options);
	g_assert_cmpint(a->priority, ==, b->priority);
	g_assert_cmpstr(a->owner, ==, b->owner);
	g_assert_cmpstr(a->owner_session, ==, b->owner_session);
	g_assert_cmpstr(a->owner_app, ==, b->owner_app);
	g_assert_cmpstr(a->owner_exe, ==, b->owner_exe);
	g_assert_cmpstr(a->identity, ==, b->identity);
	g_assert_cmpint(a->created, ==, b->created);
	g_assert_cmpint(a->updated, ==, b->updated);
	g_assert_cmpuint(a->bytes_done, ==, b->bytes_done);
	g_assert_cmpuint(a->bytes_total, ==, b->bytes_total);
	g_assert_cmpuint(a->files_done, ==, b->files_done);
	g_assert_cmpuint(a->files_total, ==, b->files_total);
	g_assert_cmpstr(a->error_name, ==, b->error_name);
	g_assert_cmpstr(a->error_message, ==, b->error_message);
	assert_variant_equal(a->result, b->result);
}

static void
assert_empty_vardict(GVariant *v)
{
	g_assert_nonnull(v);
	g_assert_false(g_variant_is_floating(v));
	g_assert_true(g_variant_is_of_type(v, G_VARIANT_TYPE_VARDICT));
	g_assert_cmpuint(g_variant_n_children(v), ==, 0);
}

static HfhubStore *
open_store(Fixture *fx)
{
	g_autoptr(GError) error = NULL;
	HfhubStore *store = hfhub_store_new(fx->path, &error);

	g_assert_no_error(error);
	g_assert_nonnull(store);
	return store;
}

static guint64
add_simple_job(HfhubStore *store, const gchar *kind, gint64 created)
{
	g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();
	g_autoptr(GError) error = NULL;

	rec->kind = g_strdup(kind);
	rec->created = created;
	g_assert_true(hfhub_store_add_job(store, rec, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(rec->id, >, 0);
	return rec->id;
}

static void
put_file(HfhubStore *store, guint64 job_id, const gchar *path, guint64 size, const gchar *state)
{
	g_autoptr(HfhubJobFileRecord) file = hfhub_job_file_record_new();
	g_autoptr(GError) error = NULL;

	file->job_id = job_id;
	file->path = g_strdup(path);
	file->size = size;
	file->state = g_strdup(state);
	g_assert_true(hfhub_store_put_job_file(store, file, &error));
	g_assert_no_error(error);
}

/* ---- tests */

static void
test_fresh(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *mode = NULL;
	GStatBuf st;

	/* v3 added hub_answers; later versions are checked by their own tests */
	g_assert_cmpuint(hfhub_store_get_current_schema_version(), >=, 3);
	g_assert_cmpuint(hfhub_store_get_schema_version(store), ==,
			 hfhub_store_get_current_schema_version());
	g_assert_cmpstr(hfhub_store_get_path(store), ==, fx->path);

	/* the parent directory was created private */
	g_assert_cmpint(g_stat(fx->dbdir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0700);

	jobs = hfhub_store_list_jobs(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(jobs->len, ==, 0);

	g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==,
			hfhub_store_get_current_schema_version());
	mode = raw_text(fx->path, "PRAGMA journal_mode");
	g_assert_cmpstr(mode, ==, "wal");
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM sqlite_master WHERE type = "
					  "'index' AND name = 'jobs_state'"),
			==, 1);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM job_files"), ==, 0);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM hub_answers"), ==, 0);
}

static void
test_job_roundtrip(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = make_full_record();
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(HfhubJobRecord) copy = NULL;
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(g_variant_is_floating(rec->options));
	g_assert_true(hfhub_store_add_job(store, rec, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(rec->id, >, 0);
	/* the record owns its variants now */
	g_assert_false(g_variant_is_floating(rec->options));
	/* given timestamps are kept */
	g_assert_cmpint(rec->created, ==, 1700000000);
	g_assert_cmpint(rec->updated, ==, 1700000001);

	got = hfhub_store_get_job(store, rec->id, &error);
	g_assert_no_error(error);
	g_assert_nonnull(got);
	assert_job_equal(rec, got);
	g_assert_false(g_variant_is_floating(got->options));
	g_assert_false(g_variant_is_floating(got->result));

	/* the state is stored as its nick */
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs WHERE state = 'running'"), ==,
			1);

	jobs = hfhub_store_list_jobs(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(jobs->len, ==, 1);
	assert_job_equal(rec, g_ptr_array_index(jobs, 0));

	copy = hfhub_job_record_copy(got);
	assert_job_equal(got, copy);
	g_assert_true(copy->kind != got->kind);
}

static void
test_job_defaults(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GError) error = NULL;
	gint64 before = g_get_real_time() / G_USEC_PER_SEC;

	rec->kind = g_strdup("sync");
	g_assert_true(hfhub_store_add_job(store, rec, &error));
	g_assert_no_error(error);
	g_assert_cmpint(rec->created, >=, before);
	g_assert_cmpint(rec->updated, >=, before);
	g_assert_null(rec->options);

	got = hfhub_store_get_job(store, rec->id, &error);
	g_assert_no_error(error);
	g_assert_cmpint(got->state, ==, HFHUB_JOB_STATE_QUEUED);
	g_assert_null(got->repo_id);
	g_assert_null(got->error_name);
	/* NULL variants are written as NULL and read back as empty dictionaries */
	assert_empty_vardict(got->options);
	assert_empty_vardict(got->result);
	g_assert_cmpint(raw_int(fx->path, "SELECT options IS NULL AND result IS NULL FROM jobs"),
			==, 1);
}

static void
test_job_update(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();
	g_autoptr(HfhubJobRecord) full = make_full_record();
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GError) error = NULL;
	gint64 before = g_get_real_time() / G_USEC_PER_SEC;

	rec->kind = g_strdup("upload");
	rec->options = g_variant_new_parsed("{'a': <1>}");
	g_assert_true(hfhub_store_add_job(store, rec, &error));
	g_assert_no_error(error);

	/* every column changes */
	full->id = rec->id;
	full->state = HFHUB_JOB_STATE_FAILED;
	full->updated = 0;
	g_assert_true(hfhub_store_update_job(store, full, &error));
	g_assert_no_error(error);
	g_assert_cmpint(full->updated, >=, before);
	g_assert_false(g_variant_is_floating(full->options));

	got = hfhub_store_get_job(store, rec->id, &error);
	g_assert_no_error(error);
	assert_job_equal(full, got);

	/* and back to NULLs */
	g_clear_pointer(&full->state_reason, g_free);
	g_clear_pointer(&full->options, g_variant_unref);
	g_clear_pointer(&full->result, g_variant_unref);
	g_clear_pointer(&full->error_name, g_free);
	full->state = HFHUB_JOB_STATE_SUCCEEDED;
	g_assert_true(hfhub_store_update_job(store, full, &error));
	g_assert_no_error(error);
	g_clear_pointer(&got, hfhub_job_record_free);
	got = hfhub_store_get_job(store, rec->id, &error);
	g_assert_no_error(error);
	g_assert_null(got->state_reason);
	g_assert_null(got->error_name);
	g_assert_cmpint(got->state, ==, HFHUB_JOB_STATE_SUCCEEDED);
	assert_empty_vardict(got->options);
	assert_empty_vardict(got->result);
}

static void
test_job_update_missing(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GError) error = NULL;

	rec->kind = g_strdup("download");
	rec->id = 4242;
	rec->updated = 17;
	g_assert_false(hfhub_store_update_job(store, rec, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	/* a failed update leaves the record alone */
	g_assert_cmpint(rec->updated, ==, 17);
	g_clear_error(&error);

	got = hfhub_store_get_job(store, 4242, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_assert_null(got);
	g_clear_error(&error);

	g_assert_false(hfhub_store_update_job_progress(store, 4242, 1, 2, 3, 4, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_clear_error(&error);

	g_assert_false(hfhub_store_remove_job(store, 4242, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs"), ==, 0);
}

static void
test_job_invalid(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();
	g_autoptr(GError) error = NULL;

	/* no kind */
	g_assert_false(hfhub_store_add_job(store, rec, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* options that are not a{sv} */
	rec->kind = g_strdup("download");
	rec->options = g_variant_ref_sink(g_variant_new_string("nope"));
	g_assert_false(hfhub_store_add_job(store, rec, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_assert_cmpuint(rec->id, ==, 0);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs"), ==, 0);
}

static void
test_job_progress(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = make_full_record();
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true(hfhub_store_add_job(store, rec, &error));
	g_assert_no_error(error);

	/* many calls reuse one cached statement */
	for (guint i = 0; i < 100; i++) {
		g_assert_true(hfhub_store_update_job_progress(store, rec->id, i, 100, i / 10, 10,
							      &error));
		g_assert_no_error(error);
	}
	g_assert_true(hfhub_store_update_job_progress(store, rec->id, G_MAXUINT64 - 1, G_MAXUINT64,
						      G_MAXUINT, G_MAXUINT, &error));
	g_assert_no_error(error);

	got = hfhub_store_get_job(store, rec->id, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(got->bytes_done, ==, G_MAXUINT64 - 1);
	g_assert_cmpuint(got->bytes_total, ==, G_MAXUINT64);
	g_assert_cmpuint(got->files_done, ==, G_MAXUINT);
	g_assert_cmpuint(got->files_total, ==, G_MAXUINT);

	/* nothing else moved */
	rec->bytes_done = got->bytes_done;
	rec->bytes_total = got->bytes_total;
	rec->files_done = got->files_done;
	rec->files_total = got->files_total;
	assert_job_equal(rec, got);
}

static void
test_job_list_order(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GError) error = NULL;
	guint64 c = add_simple_job(store, "c", 300);
	guint64 a = add_simple_job(store, "a", 100);
	guint64 b1 = add_simple_job(store, "b1", 200);
	guint64 b2 = add_simple_job(store, "b2", 200);

	jobs = hfhub_store_list_jobs(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(jobs->len, ==, 4);
	g_assert_cmpuint(((HfhubJobRecord *)g_ptr_array_index(jobs, 0))->id, ==, a);
	g_assert_cmpuint(((HfhubJobRecord *)g_ptr_array_index(jobs, 1))->id, ==, b1);
	g_assert_cmpuint(((HfhubJobRecord *)g_ptr_array_index(jobs, 2))->id, ==, b2);
	g_assert_cmpuint(((HfhubJobRecord *)g_ptr_array_index(jobs, 3))->id, ==, c);
	for (guint i = 0; i < jobs->len; i++) {
		HfhubJobRecord *rec = g_ptr_array_index(jobs, i);
		assert_empty_vardict(rec->options);
		assert_empty_vardict(rec->result);
	}
}

static void
test_job_remove(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GError) error = NULL;
	guint64 a = add_simple_job(store, "a", 0);
	guint64 b = add_simple_job(store, "b", 0);
	guint64 c;

	g_assert_true(hfhub_store_remove_job(store, b, &error));
	g_assert_no_error(error);
	got = hfhub_store_get_job(store, b, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_assert_null(got);
	g_clear_error(&error);

	jobs = hfhub_store_list_jobs(store, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(jobs->len, ==, 1);
	g_assert_cmpuint(((HfhubJobRecord *)g_ptr_array_index(jobs, 0))->id, ==, a);

	/* ids are never reused, so a stale id cannot hit a new job */
	c = add_simple_job(store, "c", 0);
	g_assert_cmpuint(c, >, b);
}

static void
test_job_bad_text(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GPtrArray) jobs = NULL;
	g_autoptr(GError) error = NULL;
	guint64 id = add_simple_job(store, "download", 0);

	/* what the store never writes, but a bug or a hand edit might */
	raw_exec(fx->path, "UPDATE jobs SET options = 'not a variant {', result = '[1, 2]', "
			   "state = 'exploded'");

	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*unknown state 'exploded'*");
	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*cannot parse the options*");
	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*cannot parse the result*");
	got = hfhub_store_get_job(store, id, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_nonnull(got);
	assert_empty_vardict(got->options);
	assert_empty_vardict(got->result);
	g_assert_cmpint(got->state, ==, HFHUB_JOB_STATE_FAILED);

	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*unknown state*");
	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*cannot parse the options*");
	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*cannot parse the result*");
	jobs = hfhub_store_list_jobs(store, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_cmpuint(jobs->len, ==, 1);
}

static void
test_job_injection(Fixture *fx, gconstpointer user_data)
{
	const gchar *evil[] = {
		"'; DROP TABLE jobs; --",
		"\"); DROP TABLE job_files; --",
		"Robert'); DELETE FROM jobs WHERE ('1' = '1",
		"' OR 1=1 --",
		"%s%n%x%%",
		"?1 ?2 :name @x $y",
		"",
	};
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(evil); i++) {
		g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();
		g_autoptr(HfhubJobRecord) got = NULL;
		g_autoptr(HfhubJobFileRecord) file = hfhub_job_file_record_new();
		g_autoptr(GPtrArray) files = NULL;
		HfhubJobFileRecord *f;

		rec->kind = g_strdup(evil[i]);
		rec->repo_id = g_strdup(evil[i]);
		rec->revision = g_strdup(evil[i]);
		rec->owner = g_strdup(evil[i]);
		rec->error_message = g_strdup(evil[i]);
		rec->options = g_variant_new_parsed("{%s: <%s>}", evil[i], evil[i]);
		g_assert_true(hfhub_store_add_job(store, rec, &error));
		g_assert_no_error(error);

		got = hfhub_store_get_job(store, rec->id, &error);
		g_assert_no_error(error);
		assert_job_equal(rec, got);

		file->job_id = rec->id;
		file->path = g_strdup(evil[i]);
		file->etag = g_strdup(evil[i]);
		g_assert_true(hfhub_store_put_job_file(store, file, &error));
		g_assert_no_error(error);
		files = hfhub_store_list_job_files(store, rec->id, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(files->len, ==, 1);
		f = g_ptr_array_index(files, 0);
		g_assert_cmpstr(f->path, ==, evil[i]);
		g_assert_cmpstr(f->etag, ==, evil[i]);
	}
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs"), ==, G_N_ELEMENTS(evil));
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM job_files"), ==,
			G_N_ELEMENTS(evil));
}

static void
test_record_copy(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubJobRecord) rec = make_full_record();
	g_autoptr(HfhubJobRecord) copy = NULL;
	g_autoptr(HfhubJobRecord) empty = hfhub_job_record_new();
	g_autoptr(HfhubJobRecord) empty_copy = NULL;

	/* a floating variant in the source ends up owned by both */
	rec->id = 9;
	copy = hfhub_job_record_copy(rec);
	g_assert_false(g_variant_is_floating(rec->options));
	g_assert_false(g_variant_is_floating(copy->options));
	assert_job_equal(rec, copy);
	g_clear_pointer(&rec, hfhub_job_record_free);
	g_assert_cmpuint(g_variant_n_children(copy->options), >, 0);

	empty_copy = hfhub_job_record_copy(empty);
	g_assert_null(empty_copy->kind);
	g_assert_null(empty_copy->options);
	g_assert_cmpint(empty_copy->state, ==, HFHUB_JOB_STATE_QUEUED);

	/* freeing NULL is fine */
	hfhub_job_record_free(NULL);
	hfhub_job_file_record_free(NULL);
}

static void
test_files(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobFileRecord) full = hfhub_job_file_record_new();
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GError) error = NULL;
	guint64 job = add_simple_job(store, "download", 0);
	guint64 other = add_simple_job(store, "download", 0);
	HfhubJobFileRecord *f;

	put_file(store, job, "z.bin", 3, "pending");
	put_file(store, job, "a/config.json", 1, "pending");
	put_file(store, other, "other.txt", 1, "done");

	full->job_id = job;
	full->path = g_strdup("model-ü.safetensors");
	full->size = G_MAXUINT64;
	full->oid = g_strdup("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	full->lfs = TRUE;
	full->state = g_strdup("partial");
	full->partial = g_strdup("/tmp/ü/.partial/model.safetensors.incomplete");
	full->bytes_done = 12345;
	full->etag = g_strdup("\"abc\"");
	g_assert_true(hfhub_store_put_job_file(store, full, &error));
	g_assert_no_error(error);

	files = hfhub_store_list_job_files(store, job, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 3);
	/* ordered by path */
	g_assert_cmpstr(((HfhubJobFileRecord *)g_ptr_array_index(files, 0))->path, ==,
			"a/config.json");
	g_assert_cmpstr(((HfhubJobFileRecord *)g_ptr_array_index(files, 1))->path, ==,
			"model-ü.safetensors");
	g_assert_cmpstr(((HfhubJobFileRecord *)g_ptr_array_index(files, 2))->path, ==, "z.bin");
	f = g_ptr_array_index(files, 1);
	g_assert_cmpuint(f->job_id, ==, job);
	g_assert_cmpuint(f->size, ==, G_MAXUINT64);
	g_assert_cmpstr(f->oid, ==, full->oid);
	g_assert_true(f->lfs);
	g_assert_cmpstr(f->state, ==, "partial");
	g_assert_cmpstr(f->partial, ==, full->partial);
	g_assert_cmpuint(f->bytes_done, ==, 12345);
	g_assert_cmpstr(f->etag, ==, "\"abc\"");
	f = g_ptr_array_index(files, 0);
	g_assert_false(f->lfs);
	g_assert_null(f->oid);
	g_assert_null(f->partial);
	g_assert_null(f->etag);
	g_clear_pointer(&files, g_ptr_array_unref);

	/* replace: same (job, path), new values, no new row */
	full->lfs = FALSE;
	full->bytes_done = full->size;
	g_clear_pointer(&full->partial, g_free);
	g_free(full->state);
	full->state = g_strdup("done");
	g_assert_true(hfhub_store_put_job_file(store, full, &error));
	g_assert_no_error(error);
	files = hfhub_store_list_job_files(store, job, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 3);
	f = g_ptr_array_index(files, 1);
	g_assert_false(f->lfs);
	g_assert_cmpstr(f->state, ==, "done");
	g_assert_null(f->partial);
	g_assert_cmpuint(f->bytes_done, ==, G_MAXUINT64);
	g_clear_pointer(&files, g_ptr_array_unref);

	/* a job without files */
	files = hfhub_store_list_job_files(store, 777, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 0);
	g_clear_pointer(&files, g_ptr_array_unref);

	/* remove_job_files only touches that job */
	g_assert_true(hfhub_store_remove_job_files(store, job, &error));
	g_assert_no_error(error);
	files = hfhub_store_list_job_files(store, job, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 0);
	g_clear_pointer(&files, g_ptr_array_unref);
	files = hfhub_store_list_job_files(store, other, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 1);
}

static void
test_files_errors(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobFileRecord) file = hfhub_job_file_record_new();
	g_autoptr(GError) error = NULL;
	guint64 job = add_simple_job(store, "download", 0);

	/* no path */
	file->job_id = job;
	g_assert_false(hfhub_store_put_job_file(store, file, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* no such job: the foreign key refuses it */
	file->job_id = job + 100;
	file->path = g_strdup("x");
	g_assert_false(hfhub_store_put_job_file(store, file, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM job_files"), ==, 0);
}

static void
test_files_cascade(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GError) error = NULL;
	guint64 job = add_simple_job(store, "download", 0);
	guint64 keep = add_simple_job(store, "download", 0);

	put_file(store, job, "a", 1, "done");
	put_file(store, job, "b", 1, "done");
	put_file(store, keep, "c", 1, "done");

	g_assert_true(hfhub_store_remove_job(store, job, &error));
	g_assert_no_error(error);
	files = hfhub_store_list_job_files(store, job, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 0);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM job_files"), ==, 1);
}

static void
test_persistence(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(HfhubJobRecord) rec = make_full_record();
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GError) error = NULL;
	guint64 second;

	g_assert_true(hfhub_store_add_job(store, rec, &error));
	g_assert_no_error(error);
	put_file(store, rec->id, "weights.bin", 99, "partial");
	g_assert_true(hfhub_store_update_job_progress(store, rec->id, 5, 10, 0, 1, &error));
	g_assert_no_error(error);
	rec->bytes_done = 5;
	rec->bytes_total = 10;
	rec->files_done = 0;
	rec->files_total = 1;

	/* close and reopen */
	g_clear_object(&store);
	store = open_store(fx);
	g_assert_cmpuint(hfhub_store_get_schema_version(store), ==,
			 hfhub_store_get_current_schema_version());

	got = hfhub_store_get_job(store, rec->id, &error);
	g_assert_no_error(error);
	assert_job_equal(rec, got);
	files = hfhub_store_list_job_files(store, rec->id, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 1);
	g_assert_cmpstr(((HfhubJobFileRecord *)g_ptr_array_index(files, 0))->state, ==, "partial");

	second = add_simple_job(store, "sync", 0);
	g_assert_cmpuint(second, >, rec->id);
}

static void
test_two_stores(Fixture *fx, gconstpointer user_data)
{
	/* e.g. hfhubd --replace while the old one still runs */
	g_autoptr(HfhubStore) a = open_store(fx);
	g_autoptr(HfhubStore) b = open_store(fx);
	g_autoptr(HfhubJobRecord) got = NULL;
	g_autoptr(GError) error = NULL;
	guint64 id = add_simple_job(a, "download", 0);

	got = hfhub_store_get_job(b, id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(got->kind, ==, "download");
}

static void
assert_fixture_v1_rows(HfhubStore *store)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) jobs = hfhub_store_list_jobs(store, &error);
	g_autoptr(GVariant) options1 = g_variant_ref_sink(g_variant_new_parsed(
		"{'allow-patterns': <['*.json', '*.safetensors']>, 'force': <false>}"));
	g_autoptr(GVariant) options2 =
		g_variant_ref_sink(g_variant_new_parsed("{'message': <'Grüße – «test»'>}"));
	HfhubJobRecord *rec;

	g_assert_no_error(error);
	/* the fixture's three, plus what a test added since */
	g_assert_cmpuint(jobs->len, >=, 3);

	rec = g_ptr_array_index(jobs, 0);
	g_assert_cmpuint(rec->id, ==, 1);
	g_assert_cmpstr(rec->kind, ==, "download");
	g_assert_cmpint(rec->state, ==, HFHUB_JOB_STATE_SUCCEEDED);
	g_assert_cmpstr(rec->repo_id, ==, "gpt2");
	g_assert_cmpstr(rec->revision, ==, "main");
	assert_variant_equal(rec->options, options1);
	g_assert_cmpstr(rec->owner, ==, ":1.42");
	g_assert_cmpstr(rec->identity, ==, "default");
	g_assert_cmpint(rec->created, ==, 1700000000);
	g_assert_cmpint(rec->updated, ==, 1700000060);
	g_assert_cmpuint(rec->bytes_done, ==, 548118077);
	g_assert_cmpuint(rec->files_total, ==, 7);
	g_assert_true(g_variant_lookup(rec->result, "snapshot", "&s", NULL));

	rec = g_ptr_array_index(jobs, 1);
	g_assert_cmpuint(rec->id, ==, 2);
	g_assert_cmpstr(rec->kind, ==, "upload");
	g_assert_cmpint(rec->state, ==, HFHUB_JOB_STATE_FAILED);
	g_assert_cmpstr(rec->state_reason, ==, "network");
	g_assert_cmpstr(rec->repo_type, ==, "dataset");
	g_assert_cmpstr(rec->repo_id, ==, "müller/daten-ß");
	g_assert_null(rec->revision);
	assert_variant_equal(rec->options, options2);
	g_assert_cmpint(rec->priority, ==, -5);
	g_assert_cmpuint(rec->bytes_done, ==, 1024);
	g_assert_cmpuint(rec->bytes_total, ==, 4096);
	g_assert_cmpuint(rec->files_done, ==, 1);
	g_assert_cmpuint(rec->files_total, ==, 3);
	g_assert_cmpstr(rec->error_name, ==, "io.github.hfhub.Hub1.Error.Network");
	g_assert_cmpstr(rec->error_message, ==, "connection reset");
	assert_empty_vardict(rec->result);

	rec = g_ptr_array_index(jobs, 2);
	g_assert_cmpuint(rec->id, ==, 3);
	g_assert_cmpstr(rec->kind, ==, "sync");
	g_assert_cmpint(rec->state, ==, HFHUB_JOB_STATE_QUEUED);
	assert_empty_vardict(rec->options);
}

/* A database left by an older hfhubd (tests/data/schema-vN.sql), opened
 * by this one: it must come up at the current schema version */
static HfhubStore *
open_migrated_store(Fixture *fx, guint version)
{
	g_autofree gchar *name = g_strdup_printf("schema-v%u.sql", version);
	g_autofree gchar *fixture = fixture_file(name);
	HfhubStore *store;

	fixture_mkdir(fx);
	load_sql_file(fx->path, fixture);
	g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, version);
	store = open_store(fx);
	g_assert_cmpuint(hfhub_store_get_schema_version(store), ==,
			 hfhub_store_get_current_schema_version());
	return store;
}

/* the schema of @fx's database is the one a new database gets */
static void
assert_schema_like_fresh(Fixture *fx)
{
	g_autofree gchar *fresh_path = g_build_filename(fx->tmpdir, "fresh.db", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubStore) fresh = hfhub_store_new(fresh_path, &error);
	g_autofree gchar *schema_migrated = NULL;
	g_autofree gchar *schema_fresh = NULL;

	g_assert_no_error(error);
	schema_migrated = raw_schema(fx->path);
	schema_fresh = raw_schema(fresh_path);
	g_assert_cmpstr(schema_migrated, ==, schema_fresh);
}

static void
test_migrate_v1(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GError) error = NULL;

	store = open_migrated_store(fx, 1);
	g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==,
			hfhub_store_get_current_schema_version());
	assert_fixture_v1_rows(store);

	/* the new table works on old rows */
	put_file(store, 2, "data.parquet", 4096, "partial");
	files = hfhub_store_list_job_files(store, 2, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 1);
	/* the AUTOINCREMENT counter survived */
	g_assert_cmpuint(add_simple_job(store, "sync", 0), ==, 4);

	/* an upgraded database looks exactly like a new one */
	assert_schema_like_fresh(fx);

	/* and it opens again without migrating */
	g_clear_object(&store);
	store = open_store(fx);
	assert_fixture_v1_rows(store);
}

static void
test_migrate_v2(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(HfhubJobRecord) job = NULL;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GVariant) answer = g_variant_ref_sink(g_variant_new_parsed("{'sha': <'abc'>}"));
	g_autoptr(GVariant) got = NULL;
	g_autoptr(GError) error = NULL;
	HfhubStoreAnswerKey key = { "https://hub.example", "model", "org/model", "info", "main" };
	gint64 fetched = 0;

	store = open_migrated_store(fx, 2);

	/* the paused job and its partial file are still there */
	job = hfhub_store_get_job(store, 1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(job->state, ==, HFHUB_JOB_STATE_PAUSED);
	g_assert_cmpstr(job->repo_id, ==, "org/model");
	g_assert_cmpint(job->priority, ==, 3);
	files = hfhub_store_list_job_files(store, 1, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 2);
	g_assert_cmpstr(((HfhubJobFileRecord *)g_ptr_array_index(files, 1))->state, ==, "partial");
	g_assert_cmpuint(((HfhubJobFileRecord *)g_ptr_array_index(files, 1))->bytes_done, ==, 100);

	/* the new table works */
	g_assert_true(hfhub_store_put_answer(store, &key, answer, 1720000000, &error));
	g_assert_no_error(error);
	got = hfhub_store_get_answer(store, &key, &fetched, &error);
	g_assert_no_error(error);
	assert_variant_equal(got, answer);
	g_assert_cmpint(fetched, ==, 1720000000);

	/* an upgraded database looks exactly like a new one */
	assert_schema_like_fresh(fx);
}

/* v3 → v4: job_files gains the upload columns; old rows keep theirs */
static void
test_migrate_v3(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(HfhubJobFileRecord) row = hfhub_job_file_record_new();
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sha256 = NULL;
	g_autofree gchar *sha1 = NULL;
	HfhubJobFileRecord *old;

	store = open_migrated_store(fx, 3);

	/* the upload's row is there, with the new columns empty */
	files = hfhub_store_list_job_files(store, 2, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 1);
	old = g_ptr_array_index(files, 0);
	g_assert_cmpstr(old->path, ==, "train.csv");
	g_assert_cmpstr(old->state, ==, "hashed");
	g_assert_cmpstr(old->etag, ==, "ce013625030ba8dba906f756967f9e9ca394464a");
	g_assert_null(old->local_path);
	g_assert_cmpint(old->mtime_ns, ==, 0);
	g_assert_cmpuint(old->inode, ==, 0);
	g_assert_null(old->transfer);
	/* and no old row passes for a hashed local file */
	g_assert_false(hfhub_store_lookup_file_hashes(store, "/home/u/data/train.csv", 5, 0, 0,
						      &sha256, &sha1, &error));
	g_assert_no_error(error);

	/* the new columns round-trip, and hashes are found by file identity */
	row->job_id = 2;
	row->path = g_strdup("train.csv");
	row->size = 5;
	row->oid = g_strdup(old->oid);
	row->etag = g_strdup(old->etag);
	row->state = g_strdup("uploading");
	row->local_path = g_strdup("/home/u/data/train.csv");
	row->mtime_ns = G_GINT64_CONSTANT(1720000000123456789);
	row->inode = G_GUINT64_CONSTANT(0xfedcba9876543210);
	row->transfer = g_strdup("{\"parts\":[]}");
	g_assert_true(hfhub_store_put_job_file(store, row, &error));
	g_assert_no_error(error);
	g_clear_pointer(&files, g_ptr_array_unref);
	files = hfhub_store_list_job_files(store, 2, &error);
	g_assert_no_error(error);
	old = g_ptr_array_index(files, 0);
	g_assert_cmpstr(old->local_path, ==, row->local_path);
	g_assert_cmpint(old->mtime_ns, ==, row->mtime_ns);
	g_assert_cmpuint(old->inode, ==, row->inode);
	g_assert_cmpstr(old->transfer, ==, row->transfer);
	g_assert_true(hfhub_store_lookup_file_hashes(store, row->local_path, 5, row->mtime_ns,
						     row->inode, &sha256, &sha1, &error));
	g_assert_cmpstr(sha256, ==, row->oid);
	g_assert_cmpstr(sha1, ==, row->etag);
	g_clear_pointer(&sha256, g_free);
	g_clear_pointer(&sha1, g_free);
	/* a changed mtime is another file */
	g_assert_false(hfhub_store_lookup_file_hashes(store, row->local_path, 5, row->mtime_ns + 1,
						      row->inode, &sha256, &sha1, &error));
	g_assert_no_error(error);

	/* an upgraded database looks exactly like a new one */
	assert_schema_like_fresh(fx);
}

/* v4 → v5: jobs gain who created them; old jobs have no session, so no
 * caller of today's bus passes for their owner */
static void
test_migrate_v4(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(HfhubJobRecord) job = NULL;
	g_autoptr(HfhubJobRecord) again = NULL;
	g_autoptr(GPtrArray) files = NULL;
	g_autoptr(GError) error = NULL;
	HfhubJobFileRecord *row;

	store = open_migrated_store(fx, 4);

	job = hfhub_store_get_job(store, 1, &error);
	g_assert_no_error(error);
	g_assert_cmpint(job->state, ==, HFHUB_JOB_STATE_RUNNING);
	g_assert_cmpstr(job->owner, ==, ":1.7");
	g_assert_null(job->owner_session);
	g_assert_null(job->owner_app);
	g_assert_null(job->owner_exe);

	/* the upload's file row kept its v4 columns */
	files = hfhub_store_list_job_files(store, 2, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(files->len, ==, 1);
	row = g_ptr_array_index(files, 0);
	g_assert_cmpstr(row->local_path, ==, "/home/u/data/train.csv");
	g_assert_cmpint(row->mtime_ns, ==, G_GINT64_CONSTANT(1730000000123456789));
	g_assert_cmpuint(row->inode, ==, 4242);
	g_assert_cmpstr(row->transfer, ==, "{\"parts\":[]}");

	/* the new columns round-trip */
	job->owner_session = g_strdup("0123456789abcdef0123456789abcdef");
	job->owner_app = g_strdup("org.example.App");
	job->owner_exe = g_strdup("/usr/bin/example");
	g_assert_true(hfhub_store_update_job(store, job, &error));
	g_assert_no_error(error);
	again = hfhub_store_get_job(store, 1, &error);
	g_assert_no_error(error);
	assert_job_equal(again, job);

	/* an upgraded database looks exactly like a new one */
	assert_schema_like_fresh(fx);
}

static void
test_answers(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(GVariant) first = g_variant_ref_sink(
		g_variant_new_parsed("{'sha': <'1111'>, 'files': <[{'path': <'a'>}]>}"));
	g_autoptr(GVariant) second = g_variant_ref_sink(g_variant_new_parsed("{'sha': <'2222'>}"));
	g_autoptr(GVariant) got = NULL;
	g_autoptr(GError) error = NULL;
	HfhubStoreAnswerKey key = { "https://hub.example", "model", "org/m", "info", NULL };
	HfhubStoreAnswerKey other = key;
	gint64 fetched = 0;

	/* nothing stored: NULL without an error */
	got = hfhub_store_get_answer(store, &key, &fetched, &error);
	g_assert_no_error(error);
	g_assert_null(got);

	g_assert_true(hfhub_store_put_answer(store, &key, first, 100, &error));
	g_assert_no_error(error);
	got = hfhub_store_get_answer(store, &key, &fetched, &error);
	g_assert_no_error(error);
	assert_variant_equal(got, first);
	g_assert_cmpint(fetched, ==, 100);
	g_clear_pointer(&got, g_variant_unref);

	/* every part of the key counts */
	other.revision = "dev";
	got = hfhub_store_get_answer(store, &other, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(got);
	other.revision = NULL;
	other.endpoint = "https://mirror.example";
	got = hfhub_store_get_answer(store, &other, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(got);

	/* a second answer replaces the first */
	g_assert_true(hfhub_store_put_answer(store, &key, second, 200, &error));
	g_assert_no_error(error);
	got = hfhub_store_get_answer(store, &key, &fetched, &error);
	g_assert_no_error(error);
	assert_variant_equal(got, second);
	g_assert_cmpint(fetched, ==, 200);
	g_clear_pointer(&got, g_variant_unref);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM hub_answers"), ==, 1);

	/* a damaged blob reads back as a dictionary, never a crash */
	raw_exec(fx->path, "UPDATE hub_answers SET answer = x'ff00ff'");
	got = hfhub_store_get_answer(store, &key, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(g_variant_is_of_type(got, G_VARIANT_TYPE_VARDICT));
	g_clear_pointer(&got, g_variant_unref);

	/* forgetting a repo drops all its answers, and only those */
	other = key;
	other.repo_id = "org/kept";
	g_assert_true(hfhub_store_put_answer(store, &other, first, 300, &error));
	g_assert_no_error(error);
	g_assert_true(hfhub_store_forget_answers(store, key.endpoint, key.repo_type, key.repo_id,
						 &error));
	g_assert_no_error(error);
	got = hfhub_store_get_answer(store, &key, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(got);
	got = hfhub_store_get_answer(store, &other, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(got);
}

static void
test_migrate_empty_file(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = NULL;

	fixture_mkdir(fx);
	write_bytes(fx->path, "", 0);
	store = open_store(fx);
	g_assert_cmpuint(hfhub_store_get_schema_version(store), ==,
			 hfhub_store_get_current_schema_version());
	add_simple_job(store, "download", 0);
}

static void
test_migrate_zero_version(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = NULL;

	fixture_mkdir(fx);
	raw_exec(fx->path, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept');");
	g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, 0);

	store = open_store(fx);
	g_assert_cmpuint(hfhub_store_get_schema_version(store), ==,
			 hfhub_store_get_current_schema_version());
	add_simple_job(store, "download", 0);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM notes"), ==, 1);
}

/* returns the path of the moved main file */
static gchar *
assert_moved_aside(Fixture *fx, const GError *error, GBytes *original, const gchar *wal_data)
{
	g_autoptr(GPtrArray) broken = list_prefixed(fx->dbdir, "hfhub.db.broken-");
	g_autoptr(GPtrArray) left = list_prefixed(fx->dbdir, "hfhub.db");
	g_autoptr(GRegex) regex = NULL;
	g_autofree gchar *broken_path = NULL;
	const gchar *name = NULL;

	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE);

	/* nothing of the database is left under its name */
	g_assert_false(g_file_test(fx->path, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(left->len, ==, broken->len);

	/* one main file, maybe with -wal/-shm next to it */
	regex = g_regex_new("^hfhub\\.db\\.broken-[0-9]{8}T[0-9]{6}Z(\\.[0-9]+)?$", 0, 0, NULL);
	for (guint i = 0; i < broken->len; i++) {
		const gchar *tmp = g_ptr_array_index(broken, i);
		if (g_regex_match(regex, tmp, 0, NULL)) {
			g_assert_null(name);
			name = tmp;
		} else {
			g_assert_true(g_str_has_suffix(tmp, "-wal") ||
				      g_str_has_suffix(tmp, "-shm"));
		}
	}
	g_assert_nonnull(name);
	broken_path = g_build_filename(fx->dbdir, name, NULL);
	g_assert_nonnull(strstr(error->message, broken_path));

	if (original != NULL) {
		g_autoptr(GBytes) now = read_bytes(broken_path);
		g_assert_true(g_bytes_equal(now, original));
	}
	if (wal_data != NULL) {
		g_autofree gchar *wal_path = g_strconcat(broken_path, "-wal", NULL);
		g_autofree gchar *wal_now = NULL;
		g_file_get_contents(wal_path, &wal_now, NULL, NULL);
		g_assert_cmpstr(wal_now, ==, wal_data);
	}
	return g_steal_pointer(&broken_path);
}

static void
test_broken_garbage(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GString) garbage = g_string_new(NULL);
	g_autoptr(GBytes) original = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubStore) store = NULL;
	g_autofree gchar *wal = g_strconcat(fx->path, "-wal", NULL);
	g_autofree gchar *broken = NULL;

	for (guint i = 0; i < 200; i++)
		g_string_append_printf(garbage, "this is not a database, line %u\n", i);
	fixture_mkdir(fx);
	write_bytes(fx->path, garbage->str, garbage->len);
	write_bytes(wal, "wal garbage", strlen("wal garbage"));
	original = read_bytes(fx->path);

	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*moved to*.broken-*");
	store = hfhub_store_new(fx->path, &error);
	g_test_assert_expected_messages();
	g_assert_null(store);
	g_test_message("error: %s", error->message);
	broken = assert_moved_aside(fx, error, original, "wal garbage");

	/* the next start gets a new, empty database */
	store = open_store(fx);
	g_assert_cmpuint(hfhub_store_get_schema_version(store), ==,
			 hfhub_store_get_current_schema_version());
}

static void
test_broken_twice(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GPtrArray) broken = NULL;

	/* two moves within the same second must not overwrite each other */
	fixture_mkdir(fx);
	for (guint i = 0; i < 2; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HfhubStore) store = NULL;
		g_autofree gchar *data = g_strdup_printf("garbage number %u %0200u", i, 0);

		write_bytes(fx->path, data, strlen(data));
		g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*moved to*");
		store = hfhub_store_new(fx->path, &error);
		g_test_assert_expected_messages();
		g_assert_null(store);
		g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE);
	}
	broken = list_prefixed(fx->dbdir, "hfhub.db.broken-");
	g_assert_cmpuint(broken->len, ==, 2);
}

static void
test_broken_migration(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubStore) store = NULL;
	g_autofree gchar *broken_path = NULL;

	/* version 0, but a "jobs" table that is not ours: migration v1 fails */
	fixture_mkdir(fx);
	raw_exec(fx->path, "CREATE TABLE jobs (x TEXT); INSERT INTO jobs VALUES ('theirs');");

	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*migrate*moved to*");
	store = hfhub_store_new(fx->path, &error);
	g_test_assert_expected_messages();
	g_assert_null(store);
	broken_path = assert_moved_aside(fx, error, NULL, NULL);
	g_assert_nonnull(strstr(error->message, "schema version 1"));

	/* the failed migration was rolled back; the data is still there */
	g_assert_cmpint(raw_int(broken_path, "PRAGMA user_version"), ==, 0);
	g_assert_cmpint(raw_int(broken_path, "SELECT COUNT(*) FROM jobs WHERE x = 'theirs'"), ==,
			1);
	g_assert_cmpint(raw_int(broken_path, "SELECT COUNT(*) FROM sqlite_master"), ==, 1);
}

static void
test_broken_corrupt(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubStore) store = NULL;
	g_autofree gchar *data = NULL;
	g_autofree gchar *broken = NULL;
	gsize len = 0;

	/* a real database with a damaged b-tree page */
	fixture_mkdir(fx);
	raw_exec(fx->path, "PRAGMA page_size = 4096;"
			   "CREATE TABLE t (x TEXT);"
			   "CREATE INDEX t_x ON t (x);"
			   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
			   "WHERE i < 500) INSERT INTO t SELECT printf('%0100d', i) FROM n;");
	g_file_get_contents(fx->path, &data, &len, NULL);
	g_assert_cmpuint(len, >, 4 * 4096);
	memset(data + 2 * 4096, 0xa5, 4096);
	write_bytes(fx->path, data, len);

	g_test_expect_message(STORE_DOMAIN, G_LOG_LEVEL_WARNING, "*moved to*");
	store = hfhub_store_new(fx->path, &error);
	g_test_assert_expected_messages();
	g_assert_null(store);
	g_test_message("error: %s", error->message);
	broken = assert_moved_aside(fx, error, NULL, NULL);
}

static void
test_newer_version(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(GBytes) original = NULL;
	g_autoptr(GBytes) after = NULL;
	g_autoptr(GPtrArray) others = NULL;
	g_autofree gchar *current = NULL;

	fixture_mkdir(fx);
	raw_exec(fx->path, "CREATE TABLE future (x TEXT); INSERT INTO future VALUES ('v99');"
			   "PRAGMA user_version = 99;");
	original = read_bytes(fx->path);

	store = hfhub_store_new(fx->path, &error);
	g_assert_null(store);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE);
	g_test_message("error: %s", error->message);
	current = g_strdup_printf("up to %u", hfhub_store_get_current_schema_version());
	g_assert_nonnull(strstr(error->message, "version 99"));
	g_assert_nonnull(strstr(error->message, current));
	g_assert_nonnull(strstr(error->message, fx->path));

	/* left in place, byte for byte, with nothing next to it */
	after = read_bytes(fx->path);
	g_assert_true(g_bytes_equal(original, after));
	others = list_prefixed(fx->dbdir, "");
	g_assert_cmpuint(others->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(others, 0), ==, "hfhub.db");
}

static void
test_path_is_directory(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(GPtrArray) others = NULL;

	/* the path is a directory: an environment problem, nothing is moved */
	g_assert_cmpint(g_mkdir_with_parents(fx->path, 0700), ==, 0);
	store = hfhub_store_new(fx->path, &error);
	g_assert_null(store);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_STORE);
	g_test_message("error: %s", error->message);
	g_assert_true(g_file_test(fx->path, G_FILE_TEST_IS_DIR));
	others = list_prefixed(fx->dbdir, "hfhub.db.broken-");
	g_assert_cmpuint(others->len, ==, 0);
}

typedef struct {
	const gchar *kind;
	gboolean ok;
	guint64 id;
} TxnData;

static gboolean
txn_add_cb(HfhubStore *store, gpointer user_data, GError **error)
{
	TxnData *data = user_data;
	g_autoptr(HfhubJobRecord) rec = hfhub_job_record_new();

	rec->kind = g_strdup(data->kind);
	if (!hfhub_store_add_job(store, rec, error))
		return FALSE;
	data->id = rec->id;
	if (!data->ok) {
		g_set_error_literal(error, HFHUB_ERROR, HFHUB_ERROR_CANCELLED, "changed my mind");
		return FALSE;
	}
	return TRUE;
}

static gboolean
txn_nested_cb(HfhubStore *store, gpointer user_data, GError **error)
{
	TxnData *outer = user_data;
	TxnData inner = { "inner", FALSE, 0 };
	g_autoptr(GError) error_inner = NULL;

	if (!txn_add_cb(store, outer, error))
		return FALSE;
	g_assert_false(hfhub_store_transaction(store, txn_add_cb, &inner, &error_inner));
	g_assert_error(error_inner, HFHUB_ERROR, HFHUB_ERROR_CANCELLED);
	g_assert_cmpuint(inner.id, >, 0);
	return TRUE;
}

static void
test_transaction(Fixture *fx, gconstpointer user_data)
{
	g_autoptr(HfhubStore) store = open_store(fx);
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubJobRecord) got = NULL;
	TxnData commit = { "commit", TRUE, 0 };
	TxnData rollback = { "rollback", FALSE, 0 };
	TxnData nested = { "outer", TRUE, 0 };

	g_assert_true(hfhub_store_transaction(store, txn_add_cb, &commit, &error));
	g_assert_no_error(error);
	got = hfhub_store_get_job(store, commit.id, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(got->kind, ==, "commit");
	g_clear_pointer(&got, hfhub_job_record_free);

	g_assert_false(hfhub_store_transaction(store, txn_add_cb, &rollback, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_CANCELLED);
	g_clear_error(&error);
	g_assert_cmpuint(rollback.id, >, 0);
	got = hfhub_store_get_job(store, rollback.id, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_assert_null(got);
	g_clear_error(&error);

	/* an inner failure only undoes the inner part */
	g_assert_true(hfhub_store_transaction(store, txn_nested_cb, &nested, &error));
	g_assert_no_error(error);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs"), ==, 2);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs WHERE kind = 'inner'"), ==, 0);

	/* and the store is usable afterwards, outside any transaction */
	add_simple_job(store, "after", 0);
	g_assert_cmpint(raw_int(fx->path, "SELECT COUNT(*) FROM jobs"), ==, 3);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(name, func) g_test_add(name, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/store/fresh", test_fresh);
	ADD("/store/job/roundtrip", test_job_roundtrip);
	ADD("/store/job/defaults", test_job_defaults);
	ADD("/store/job/update", test_job_update);
	ADD("/store/job/missing", test_job_update_missing);
	ADD("/store/job/invalid", test_job_invalid);
	ADD("/store/job/progress", test_job_progress);
	ADD("/store/job/list-order", test_job_list_order);
	ADD("/store/job/remove", test_job_remove);
	ADD("/store/job/bad-text", test_job_bad_text);
	ADD("/store/job/injection", test_job_injection);
	ADD("/store/record/copy", test_record_copy);
	ADD("/store/files/put-list-replace", test_files);
	ADD("/store/files/errors", test_files_errors);
	ADD("/store/files/cascade", test_files_cascade);
	ADD("/store/persistence", test_persistence);
	ADD("/store/two-stores", test_two_stores);
	ADD("/store/migrate/v1", test_migrate_v1);
	ADD("/store/migrate/v2", test_migrate_v2);
	ADD("/store/migrate/v3", test_migrate_v3);
	ADD("/store/migrate/v4", test_migrate_v4);
	ADD("/store/answers", test_answers);
	ADD("/store/migrate/empty-file", test_migrate_empty_file);
	ADD("/store/migrate/zero-version", test_migrate_zero_version);
	ADD("/store/broken/garbage", test_broken_garbage);
	ADD("/store/broken/twice", test_broken_twice);
	ADD("/store/broken/migration", test_broken_migration);
	ADD("/store/broken/corrupt", test_broken_corrupt);
	ADD("/store/newer-version", test_newer_version);
	ADD("/store/path-is-directory", test_path_is_directory);
	ADD("/store/transaction", test_transaction);
#undef ADD

	return g_test_run();
}
