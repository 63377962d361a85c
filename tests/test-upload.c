/* Unit tests of the upload pieces that need no network: the local scan
 * (default ignores, filters, unsafe paths, the Hub's limits), the NDJSON
 * commit body, and the LFS transfer kept in the store. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hfhub-commit.h"
#include "hfhub-error.h"
#include "hfhub-lfs.h"
#include "hfhub-upload-scan.h"

static gchar *
make_tree(const gchar *const *files)
{
	g_autoptr(GError) error = NULL;
	gchar *root = g_dir_make_tmp("hfhub-test-upload-XXXXXX", &error);

	g_assert_no_error(error);
	for (guint i = 0; files[i] != NULL; i++) {
		g_autofree gchar *path = g_build_filename(root, files[i], NULL);
		g_autofree gchar *dir = g_path_get_dirname(path);
		g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
		g_file_set_contents(path, files[i], -1, &error);
		g_assert_no_error(error);
	}
	return root;
}

static void
rm_rf(const gchar *path)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileEnumerator) e =
		g_file_enumerate_children(file, G_FILE_ATTRIBUTE_STANDARD_NAME,
					  G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
	GFileInfo *info;

	while (e != NULL && (info = g_file_enumerator_next_file(e, NULL, NULL)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, g_file_info_get_name(info), NULL);
		if (g_file_info_get_file_type(info) == G_FILE_TYPE_DIRECTORY)
			rm_rf(child);
		else
			g_unlink(child);
		g_object_unref(info);
	}
	g_rmdir(path);
}

static gchar *
paths_of(GPtrArray *sources)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < sources->len; i++) {
		HfhubUploadSource *src = g_ptr_array_index(sources, i);
		if (i > 0)
			g_string_append_c(out, ' ');
		g_string_append(out, src->path);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
test_path_validate(void)
{
	const gchar *good[] = { "a.txt", "dir/a b.bin", "é/ü.json", ".gitattributes",
				"x/.gitignore" };
	const gchar *bad[] = { "",	   "/abs",     "../x",	   "a/../b", "a//b", ".git/config",
			       "x/.git/y", ".cache/x", "a/.cache", "a\\b",   "dir/" };

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_true(hfhub_upload_path_validate(good[i], FALSE, &error));
		g_assert_no_error(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(hfhub_upload_path_validate(bad[i], FALSE, &error));
		g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	}
	/* a folder may be the root, and may end with "/" */
	g_assert_true(hfhub_upload_path_validate("", TRUE, NULL));
	g_assert_true(hfhub_upload_path_validate("dir/", TRUE, NULL));
	g_assert_false(hfhub_upload_path_validate("../dir", TRUE, NULL));
	g_assert_false(hfhub_upload_path_validate("/dir", TRUE, NULL));
}

static void
test_default_ignored(void)
{
	g_assert_true(hfhub_upload_default_ignored(".git"));
	g_assert_true(hfhub_upload_default_ignored(".git/config"));
	g_assert_true(hfhub_upload_default_ignored("a/.git/HEAD"));
	g_assert_true(hfhub_upload_default_ignored(".cache/huggingface"));
	g_assert_true(hfhub_upload_default_ignored(".cache/huggingface/download/x.metadata"));
	g_assert_true(hfhub_upload_default_ignored("sub/.cache/huggingface/upload/y"));
	g_assert_false(hfhub_upload_default_ignored(".gitignore"));
	g_assert_false(hfhub_upload_default_ignored(".cache/other"));
	g_assert_false(hfhub_upload_default_ignored("a/git/b"));
}

static void
test_scan_folder(void)
{
	const gchar *files[] = { "a.txt",
				 "b.json",
				 "c.log",
				 "sub/d.txt",
				 ".git/config",
				 "sub/.git/HEAD",
				 ".cache/huggingface/download/a.txt.metadata",
				 NULL };
	g_autofree gchar *root = make_tree(files);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) all = NULL;
	g_autoptr(GPtrArray) some = NULL;
	g_autofree gchar *all_paths = NULL;
	g_autofree gchar *some_paths = NULL;
	const gchar *include[] = { "*.txt", "*.json", NULL };
	const gchar *exclude[] = { "sub/*", NULL };

	all = hfhub_upload_scan(root, "", NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	all_paths = paths_of(all);
	g_assert_cmpstr(all_paths, ==, "a.txt b.json c.log sub/d.txt");
	some = hfhub_upload_scan(root, "into/", include, exclude, NULL, &error);
	g_assert_no_error(error);
	some_paths = paths_of(some);
	g_assert_cmpstr(some_paths, ==, "into/a.txt into/b.json");
	{
		HfhubUploadSource *src = g_ptr_array_index(some, 0);
		g_autofree gchar *expected = g_build_filename(root, "a.txt", NULL);
		g_assert_cmpstr(src->local_path, ==, expected);
		g_assert_cmpuint(src->size, ==, strlen("a.txt"));
		g_assert_cmpuint(src->inode, !=, 0);
		g_assert_cmpint(src->mtime_ns, >, 0);
	}
	rm_rf(root);
}

static void
test_scan_file(void)
{
	const gchar *files[] = { "model.bin", NULL };
	g_autofree gchar *root = make_tree(files);
	g_autofree gchar *file = g_build_filename(root, "model.bin", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) named = NULL;
	g_autoptr(GPtrArray) moved = NULL;

	named = hfhub_upload_scan(file, "", NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(named->len, ==, 1);
	g_assert_cmpstr(((HfhubUploadSource *)g_ptr_array_index(named, 0))->path, ==, "model.bin");
	moved = hfhub_upload_scan(file, "w/weights.bin", NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(((HfhubUploadSource *)g_ptr_array_index(moved, 0))->path, ==,
			"w/weights.bin");
	g_assert_null(hfhub_upload_scan(file, ".git/x", NULL, NULL, NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	rm_rf(root);
}

static void
test_scan_refuses(void)
{
	const gchar *files[] = { "ok.txt", ".cache/pip/x.txt", NULL };
	g_autofree gchar *root = make_tree(files);
	g_autofree gchar *missing = g_build_filename(root, "missing", NULL);
	g_autoptr(GError) error = NULL;
	const gchar *exclude[] = { ".cache/*", NULL };
	g_autoptr(GPtrArray) excluded = NULL;

	g_assert_null(hfhub_upload_scan(root, "", NULL, NULL, NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_UNSAFE_PATH);
	g_assert_nonnull(strstr(error->message, "--exclude"));
	g_clear_error(&error);
	/* what the error says to do works */
	excluded = hfhub_upload_scan(root, "", NULL, exclude, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(excluded->len, ==, 1);
	g_assert_null(hfhub_upload_scan(missing, "", NULL, NULL, NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_ENTRY_NOT_FOUND);
	rm_rf(root);
}

static void
test_scan_folder_limit(void)
{
	g_autoptr(GError) error = NULL;
	gchar *root = g_dir_make_tmp("hfhub-test-upload-XXXXXX", &error);
	g_autofree gchar *dir = g_build_filename(root, "flat", NULL);
	g_autoptr(GPtrArray) ok = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(g_mkdir(dir, 0700), ==, 0);
	for (guint i = 0; i <= HFHUB_UPLOAD_MAX_FOLDER_ENTRIES; i++) {
		g_autofree gchar *name = g_strdup_printf("%s/f%05u", dir, i);
		g_assert_true(g_file_set_contents(name, "", 0, NULL));
	}
	g_assert_null(hfhub_upload_scan(root, "", NULL, NULL, NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "“flat”"));
	g_assert_nonnull(strstr(error->message, "10000"));
	g_clear_error(&error);
	/* one file fewer is fine */
	{
		g_autofree gchar *last =
			g_strdup_printf("%s/f%05u", dir, HFHUB_UPLOAD_MAX_FOLDER_ENTRIES);
		g_unlink(last);
	}
	ok = hfhub_upload_scan(root, "", NULL, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ok->len, ==, HFHUB_UPLOAD_MAX_FOLDER_ENTRIES);
	rm_rf(root);
	g_free(root);
}

static JsonObject *
line_object(JsonParser *parser, const gchar *line)
{
	g_assert_true(json_parser_load_from_data(parser, line, -1, NULL));
	return json_node_get_object(json_parser_get_root(parser));
}

static void
test_commit_body(void)
{
	g_autoptr(GPtrArray) ops =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_commit_op_free);
	/* what JSON must escape, and UTF-8 that it must not */
	HfhubCommitRequest req = { .summary = "Add “things”\n\"quoted\" \\ \x01 tab\t",
				   .parent_commit = "abcdef1" };
	HfhubCommitOp *op;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *obj, *value;

	op = hfhub_commit_op_new(HFHUB_COMMIT_ADD_REGULAR, "dir/a \"b\".txt");
	op->content = g_bytes_new_static("hello\n", 6);
	g_ptr_array_add(ops, op);
	op = hfhub_commit_op_new(HFHUB_COMMIT_ADD_LFS, "w.bin");
	op->sha256 = g_strnfill(64, 'a');
	op->size = 42;
	op->size_known = TRUE;
	g_ptr_array_add(ops, op);
	g_ptr_array_add(ops, hfhub_commit_op_new(HFHUB_COMMIT_DELETE_FILE, "old.txt"));
	g_ptr_array_add(ops, hfhub_commit_op_new(HFHUB_COMMIT_DELETE_FOLDER, "logs"));

	body = hfhub_commit_build_body(&req, ops, &error);
	g_assert_no_error(error);
	{
		gsize len = 0;
		const gchar *data = g_bytes_get_data(body, &len);
		g_autofree gchar *text = g_strndup(data, len);
		lines = g_strsplit(text, "\n", -1);
	}
	g_assert_cmpuint(g_strv_length(lines), ==, 6); /* five lines, each ends with \n */
	g_assert_cmpstr(lines[5], ==, "");

	obj = line_object(parser, lines[0]);
	g_assert_cmpstr(json_object_get_string_member(obj, "key"), ==, "header");
	value = json_object_get_object_member(obj, "value");
	g_assert_cmpstr(json_object_get_string_member(value, "summary"), ==, req.summary);
	g_assert_cmpstr(json_object_get_string_member(value, "parentCommit"), ==, "abcdef1");
	g_assert_cmpstr(json_object_get_string_member(value, "description"), ==, "");

	obj = line_object(parser, lines[1]);
	g_assert_cmpstr(json_object_get_string_member(obj, "key"), ==, "file");
	value = json_object_get_object_member(obj, "value");
	g_assert_cmpstr(json_object_get_string_member(value, "path"), ==, "dir/a \"b\".txt");
	g_assert_cmpstr(json_object_get_string_member(value, "content"), ==, "aGVsbG8K");
	g_assert_cmpstr(json_object_get_string_member(value, "encoding"), ==, "base64");

	obj = line_object(parser, lines[2]);
	g_assert_cmpstr(json_object_get_string_member(obj, "key"), ==, "lfsFile");
	value = json_object_get_object_member(obj, "value");
	g_assert_cmpstr(json_object_get_string_member(value, "algo"), ==, "sha256");
	g_assert_cmpint(json_object_get_int_member(value, "size"), ==, 42);

	obj = line_object(parser, lines[3]);
	g_assert_cmpstr(json_object_get_string_member(obj, "key"), ==, "deletedFile");
	obj = line_object(parser, lines[4]);
	g_assert_cmpstr(json_object_get_string_member(obj, "key"), ==, "deletedFolder");
	value = json_object_get_object_member(obj, "value");
	g_assert_cmpstr(json_object_get_string_member(value, "path"), ==, "logs/");
}

static void
test_transfer_json(void)
{
	g_autoptr(HfhubLfsTransfer) t = g_new0(HfhubLfsTransfer, 1);
	g_autoptr(HfhubLfsTransfer) back = NULL;
	g_autofree gchar *json = NULL;
	g_autoptr(GError) error = NULL;

	t->oid = g_strnfill(64, 'b');
	t->size = 25;
	t->href = g_strdup("https://hub/complete?sig=1");
	t->verify_href = g_strdup("https://hub/verify");
	t->chunk_size = 10;
	t->part_urls = g_ptr_array_new_with_free_func(g_free);
	t->part_etags = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 1; i <= 3; i++) {
		g_ptr_array_add(t->part_urls, g_strdup_printf("https://cdn/part/%u", i));
		g_ptr_array_add(t->part_etags, i == 2 ? g_strdup("\"e2\"") : NULL);
	}
	g_assert_cmpuint(hfhub_lfs_transfer_parts_done(t), ==, 1);
	json = hfhub_lfs_transfer_to_json(t);
	back = hfhub_lfs_transfer_from_json(json, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(back->oid, ==, t->oid);
	g_assert_cmpuint(back->size, ==, 25);
	g_assert_cmpuint(back->chunk_size, ==, 10);
	g_assert_cmpstr(back->href, ==, t->href);
	g_assert_cmpstr(back->verify_href, ==, t->verify_href);
	g_assert_cmpuint(back->part_urls->len, ==, 3);
	g_assert_cmpstr(g_ptr_array_index(back->part_urls, 2), ==, "https://cdn/part/3");
	g_assert_null(g_ptr_array_index(back->part_etags, 0));
	g_assert_cmpstr(g_ptr_array_index(back->part_etags, 1), ==, "\"e2\"");
	g_assert_null(hfhub_lfs_transfer_from_json("{\"oid\": 1}", &error));
	g_assert_nonnull(error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/upload/path-validate", test_path_validate);
	g_test_add_func("/upload/default-ignored", test_default_ignored);
	g_test_add_func("/upload/scan-folder", test_scan_folder);
	g_test_add_func("/upload/scan-file", test_scan_file);
	g_test_add_func("/upload/scan-refuses", test_scan_refuses);
	g_test_add_func("/upload/scan-folder-limit", test_scan_folder_limit);
	g_test_add_func("/upload/commit-body", test_commit_body);
	g_test_add_func("/upload/transfer-json", test_transfer_json);
	return g_test_run();
}
