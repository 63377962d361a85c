/* Token storage: cleaning, the 0600 fallback file, the identity index, the
 * Secret Service (a gnome-keyring of its own, unlocked then locked, and no
 * Secret Service at all), and which token HfhubIdentities picks.
 *
 * Bus cases run in g_test_trap_subprocess() on a GTestDBus bus: libsecret
 * keeps a reference to the connection, so the bus is stopped and never
 * unreffed (test-environment.md §2). */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hfhub-config.h"
#include "hfhub-error.h"
#include "hfhub-http.h"
#include "hfhub-identities.h"
#include "hfhub-identity-index.h"
#include "hfhub-secrets.h"

#define EP	 "http://hub.test:8080"
#define PASSWORD "test-keyring-password"

static gchar *
make_tmpdir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("hfhub-test-secrets-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void
rm_rf(const gchar *path)
{
	g_autoptr(GFile) file = g_file_new_for_path(path);
	g_autoptr(GFileEnumerator) e = NULL;
	GFileInfo *info;

	e = g_file_enumerate_children(file, G_FILE_ATTRIBUTE_STANDARD_NAME,
				      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
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

/* ---- in memory */

static void
test_clean(void)
{
	static const gchar raw[] = "  hf_abc\r\n";
	g_autoptr(HfhubToken) t1 = hfhub_secrets_clean(raw, sizeof(raw) - 1);
	g_autoptr(HfhubToken) t2 = hfhub_secrets_clean("hf_a\nb", 6);
	g_autoptr(HfhubToken) t3 = hfhub_secrets_clean(" \r\n\t ", 5);

	g_assert_cmpstr(t1, ==, "hf_abc");
	/* huggingface_hub drops the newlines inside too */
	g_assert_cmpstr(t2, ==, "hf_ab");
	g_assert_null(t3);
	g_assert_true(hfhub_secrets_token_is_valid("hf_abc"));
	g_assert_false(hfhub_secrets_token_is_valid("hf abc"));
	g_assert_false(hfhub_secrets_token_is_valid("hf_\x01"));
	g_assert_false(hfhub_secrets_token_is_valid(""));
}

static void
test_normalize_endpoint(void)
{
	const struct {
		const gchar *in;
		const gchar *out;
	} cases[] = {
		{ "https://huggingface.co", "https://huggingface.co" },
		{ "https://huggingface.co/", "https://huggingface.co" },
		{ "HTTPS://HuggingFace.CO:443//", "https://huggingface.co" },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
		{ "http://mirror.example/hf/", "http://mirror.example/hf" },
		{ "http://[::1]:9000", "http://[::1]:9000" },
		{ "ftp://x", NULL },
		{ "https://user:pw@host", NULL },
		{ "https://host/?q=1", NULL },
		{ "not a url", NULL },
		{ "", NULL },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *out = hfhub_identity_normalize_endpoint(cases[i].in, &error);

		g_assert_cmpstr(out, ==, cases[i].out);
		if (cases[i].out == NULL)
			g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	}
}

static void
test_validate_name(void)
{
	const gchar *good[] = { "alice", "my token", "work-2", "ünïcode" };
	const gchar *bad[] = { "", " alice", "alice ", "a\tb", "a\nb", "HF_TOKEN" };
	g_autofree gchar *long_name = g_strnfill(101, 'a');

	for (guint i = 0; i < G_N_ELEMENTS(good); i++)
		g_assert_true(hfhub_identity_validate_name(good[i], NULL));
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_false(hfhub_identity_validate_name(bad[i], &error));
		g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	}
	g_assert_false(hfhub_identity_validate_name(long_name, NULL));
}

/* ---- the fallback file */

static void
test_file(void)
{
	g_autofree gchar *dir = make_tmpdir();
	g_autofree gchar *state = g_build_filename(dir, "state", NULL);
	g_autofree gchar *path = hfhub_secrets_file_path(state);
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubToken) token = NULL;
	GStatBuf st;

	/* nothing yet: no token, no error */
	token = hfhub_secrets_file_lookup(path, EP, "alice", &error);
	g_assert_no_error(error);
	g_assert_null(token);

	g_assert_true(hfhub_secrets_file_store(path, EP, "alice", "hf_alice", &error));
	g_assert_no_error(error);
	g_assert_true(hfhub_secrets_file_store(path, EP, "bob", "hf_bob", &error));
	g_assert_true(
		hfhub_secrets_file_store(path, "https://other.test", "alice", "hf_other", &error));
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpint(g_stat(state, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0077, ==, 0);

	token = hfhub_secrets_file_lookup(path, EP, "alice", &error);
	g_assert_cmpstr(token, ==, "hf_alice");
	g_clear_pointer(&token, hfhub_secrets_free);
	token = hfhub_secrets_file_lookup(path, "https://other.test", "alice", &error);
	g_assert_cmpstr(token, ==, "hf_other");
	g_clear_pointer(&token, hfhub_secrets_free);

	/* logging in again replaces */
	g_assert_true(hfhub_secrets_file_store(path, EP, "alice", "hf_alice2", &error));
	token = hfhub_secrets_file_lookup(path, EP, "alice", &error);
	g_assert_cmpstr(token, ==, "hf_alice2");
	g_clear_pointer(&token, hfhub_secrets_free);

	/* what cannot be stored is refused */
	g_assert_false(hfhub_secrets_file_store(path, EP, "a\tb", "hf_x", &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	g_assert_true(hfhub_secrets_file_clear(path, EP, "alice", &error));
	g_assert_true(hfhub_secrets_file_clear(path, EP, "nobody", &error));
	token = hfhub_secrets_file_lookup(path, EP, "alice", &error);
	g_assert_null(token);
	g_assert_true(hfhub_secrets_file_clear(path, EP, "bob", &error));
	g_assert_true(hfhub_secrets_file_clear(path, "https://other.test", "alice", &error));
	g_assert_no_error(error);
	/* the last one out removes the file */
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	rm_rf(dir);
}

/* ---- the identity index */

static HfhubIdentityInfo *
info_new(const gchar *endpoint, const gchar *name, gboolean is_default)
{
	HfhubIdentityInfo *info = hfhub_identity_info_new();
	const gchar *orgs[] = { "acme", NULL };

	info->endpoint = g_strdup(endpoint);
	info->name = g_strdup(name);
	info->user = g_strdup(name);
	info->fullname = g_strdup("Full Name");
	info->orgs = g_strdupv((gchar **)orgs);
	info->role = g_strdup("write");
	info->token_name = g_strdup("my token");
	info->storage = HFHUB_SECRETS_STORAGE_FILE;
	info->added = 1700000000;
	info->is_default = is_default;
	return info;
}

static void
test_index(void)
{
	g_autofree gchar *dir = make_tmpdir();
	g_autofree gchar *path = hfhub_identity_index_path(dir);
	g_autoptr(GPtrArray) infos =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	g_autoptr(GPtrArray) loaded = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *contents = NULL;
	HfhubIdentityInfo *info;
	GStatBuf st;

	loaded = hfhub_identity_index_load(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(loaded->len, ==, 0);
	g_clear_pointer(&loaded, g_ptr_array_unref);

	g_ptr_array_add(infos, info_new(EP, "bob", FALSE));
	g_ptr_array_add(infos, info_new(EP, "alice", TRUE));
	g_ptr_array_add(infos, info_new("https://other.test", "alice", TRUE));
	g_assert_true(hfhub_identity_index_save(path, infos, &error));
	g_assert_no_error(error);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);

	loaded = hfhub_identity_index_load(path, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(loaded->len, ==, 3);
	/* sorted by endpoint, then name */
	info = g_ptr_array_index(loaded, 0);
	g_assert_cmpstr(info->endpoint, ==, EP);
	g_assert_cmpstr(info->name, ==, "alice");
	g_assert_cmpstr(info->orgs[0], ==, "acme");
	g_assert_cmpstr(info->role, ==, "write");
	g_assert_cmpstr(info->token_name, ==, "my token");
	g_assert_cmpint(info->storage, ==, HFHUB_SECRETS_STORAGE_FILE);
	g_assert_cmpint(info->added, ==, 1700000000);

	info = hfhub_identity_index_find_default(loaded, EP);
	g_assert_cmpstr(info->name, ==, "alice");
	hfhub_identity_index_set_default(loaded, hfhub_identity_index_find(loaded, EP, "bob"));
	g_assert_cmpstr(hfhub_identity_index_find_default(loaded, EP)->name, ==, "bob");
	/* the other endpoint keeps its own default */
	g_assert_cmpstr(hfhub_identity_index_find_default(loaded, "https://other.test")->name, ==,
			"alice");

	/* names: unique, ambiguous, unknown */
	g_assert_nonnull(hfhub_identity_index_find_by_name(loaded, "bob", NULL, &error));
	g_assert_null(hfhub_identity_index_find_by_name(loaded, "alice", NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_nonnull(hfhub_identity_index_find_by_name(loaded, "alice", EP, &error));
	g_assert_null(hfhub_identity_index_find_by_name(loaded, "carol", NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* never a token in it */
	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	g_assert_null(strstr(contents, "hf_"));
	rm_rf(dir);
}

static void
test_index_hand_edited(void)
{
	g_autofree gchar *dir = make_tmpdir();
	g_autofree gchar *path = hfhub_identity_index_path(dir);
	g_autoptr(GPtrArray) loaded = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *text = "[a]\nname=alice\nendpoint=" EP "/\nstorage=keyring\ndefault=true\n"
			    "[b]\nname=bob\nendpoint=" EP "\nstorage=keyring\ndefault=true\n"
			    "[c]\nname=\nendpoint=" EP "\nstorage=keyring\n"
			    "[d]\nname=dave\nendpoint=" EP "\nstorage=floppy\n";

	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_test_expect_message("HfhubIdentityIndex", G_LOG_LEVEL_WARNING, "*[c] skipped*");
	g_test_expect_message("HfhubIdentityIndex", G_LOG_LEVEL_WARNING, "*[d] skipped*");
	loaded = hfhub_identity_index_load(path, &error);
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	g_assert_cmpuint(loaded->len, ==, 2);
	/* one default per endpoint, whatever the file says */
	g_assert_true(((HfhubIdentityInfo *)g_ptr_array_index(loaded, 0))->is_default);
	g_assert_false(((HfhubIdentityInfo *)g_ptr_array_index(loaded, 1))->is_default);
	rm_rf(dir);
}

/* ---- on a bus of our own */

typedef struct {
	GTestDBus *bus;
	gchar *dir;
	GPid keyring;
} Bus;

static void
bus_up(Bus *b)
{
	b->dir = make_tmpdir();
	b->bus = g_test_dbus_new(G_TEST_DBUS_NONE);
	g_test_dbus_up(b->bus);
}

/* GTestDBus unsets XDG_RUNTIME_DIR: gnome-keyring gets its own */
static gchar **
keyring_env(Bus *b)
{
	gchar **env = g_get_environ();
	g_autofree gchar *home = g_build_filename(b->dir, "home", NULL);
	g_autofree gchar *data = g_build_filename(home, ".local", "share", NULL);
	g_autofree gchar *run = g_build_filename(b->dir, "run", NULL);

	g_mkdir_with_parents(data, 0700);
	g_mkdir_with_parents(run, 0700);
	env = g_environ_setenv(env, "HOME", home, TRUE);
	env = g_environ_setenv(env, "XDG_DATA_HOME", data, TRUE);
	env = g_environ_setenv(env, "XDG_RUNTIME_DIR", run, TRUE);
	env = g_environ_unsetenv(env, "DISPLAY");
	return env;
}

static GDBusConnection *
private_connection(Bus *b)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *c = g_dbus_connection_new_for_address_sync(
		g_test_dbus_get_bus_address(b->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);

	g_assert_no_error(error);
	return c;
}

static void
start_keyring(Bus *b)
{
	g_auto(GStrv) env = keyring_env(b);
	const gchar *argv[] = { "gnome-keyring-daemon", "--replace", "--unlock",
				"--components=secrets", NULL };
	g_autoptr(GDBusConnection) c = private_connection(b);
	g_autoptr(GError) error = NULL;
	gint in_fd = -1;
	gint status = 0;
	GPid pid;

	g_assert_true(g_spawn_async_with_pipes(NULL, (gchar **)argv, env,
					       G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
						       G_SPAWN_STDOUT_TO_DEV_NULL |
						       G_SPAWN_STDERR_TO_DEV_NULL,
					       NULL, NULL, &pid, &in_fd, NULL, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(write(in_fd, PASSWORD, strlen(PASSWORD)), ==, (gssize)strlen(PASSWORD));
	close(in_fd);
	/* it forks its daemon and returns */
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
	g_spawn_close_pid(pid);
	for (guint i = 0; i < 200; i++) {
		g_autoptr(GVariant) owner = g_dbus_connection_call_sync(
			c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
			"GetConnectionUnixProcessID",
			g_variant_new("(s)", "org.freedesktop.secrets"), G_VARIANT_TYPE("(u)"),
			G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
		if (owner != NULL) {
			guint32 daemon_pid;
			g_variant_get(owner, "(u)", &daemon_pid);
			b->keyring = (GPid)daemon_pid;
			return;
		}
		g_usleep(50 * 1000);
	}
	g_assert_not_reached();
}

static void
lock_keyring(Bus *b)
{
	g_autoptr(GDBusConnection) c = private_connection(b);
	const gchar *paths[] = { "/org/freedesktop/secrets/collection/login", NULL };
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GError) error = NULL;

	reply = g_dbus_connection_call_sync(
		c, "org.freedesktop.secrets", "/org/freedesktop/secrets",
		"org.freedesktop.Secret.Service", "Lock", g_variant_new("(^ao)", paths), NULL,
		G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
	g_assert_no_error(error);
}

/* no g_test_dbus_down and no unref: libsecret keeps the connection */
static void
bus_stop(Bus *b)
{
	if (b->keyring > 0)
		kill(b->keyring, SIGTERM);
	g_test_dbus_stop(b->bus);
	rm_rf(b->dir);
	g_free(b->dir);
}

static gboolean
have_gnome_keyring(void)
{
	g_autofree gchar *path = g_find_program_in_path("gnome-keyring-daemon");
	return path != NULL;
}

static void
run_in_subprocess(const gchar *path)
{
	g_test_trap_subprocess(path, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

static void
test_keyring(void)
{
	Bus b = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubToken) token = NULL;

	if (!g_test_subprocess()) {
		if (!have_gnome_keyring()) {
			g_test_skip("gnome-keyring-daemon is not installed");
			return;
		}
		run_in_subprocess(NULL);
		return;
	}
	bus_up(&b);
	start_keyring(&b);
	g_assert_cmpint(hfhub_secrets_keyring_state(NULL), ==, HFHUB_SECRETS_KEYRING_UNLOCKED);

	g_assert_true(hfhub_secrets_keyring_store(EP, "alice", "hf_alice_token", NULL, &error));
	g_assert_no_error(error);
	g_assert_true(hfhub_secrets_keyring_store(EP, "bob", "hf_bob_token", NULL, &error));
	token = hfhub_secrets_keyring_lookup(EP, "alice", FALSE, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(token, ==, "hf_alice_token");
	g_clear_pointer(&token, hfhub_secrets_free);
	/* another endpoint, another name: nothing, and no error */
	token = hfhub_secrets_keyring_lookup("https://other.test", "alice", FALSE, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(token);
	/* storing again replaces the item */
	g_assert_true(hfhub_secrets_keyring_store(EP, "alice", "hf_alice_new", NULL, &error));
	token = hfhub_secrets_keyring_lookup(EP, "alice", FALSE, NULL, &error);
	g_assert_cmpstr(token, ==, "hf_alice_new");
	g_clear_pointer(&token, hfhub_secrets_free);
	g_assert_true(hfhub_secrets_keyring_clear(EP, "bob", NULL, &error));
	token = hfhub_secrets_keyring_lookup(EP, "bob", FALSE, NULL, &error);
	g_assert_no_error(error);
	g_assert_null(token);

	/* locked is not "no token" */
	lock_keyring(&b);
	g_assert_cmpint(hfhub_secrets_keyring_state(NULL), ==, HFHUB_SECRETS_KEYRING_LOCKED);
	token = hfhub_secrets_keyring_lookup(EP, "alice", FALSE, NULL, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED);
	g_assert_null(token);
	g_assert_nonnull(strstr(error->message, "unlock"));
	g_clear_error(&error);
	g_assert_false(hfhub_secrets_keyring_store(EP, "carol", "hf_carol", NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED);
	g_clear_error(&error);
	g_assert_false(hfhub_secrets_keyring_clear(EP, "alice", NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_KEYRING_LOCKED);
	g_clear_error(&error);
	bus_stop(&b);
}

static void
test_no_keyring(void)
{
	Bus b = { 0 };
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubToken) token = NULL;

	if (!g_test_subprocess()) {
		run_in_subprocess(NULL);
		return;
	}
	bus_up(&b);
	g_assert_cmpint(hfhub_secrets_keyring_state(NULL), ==, HFHUB_SECRETS_KEYRING_NONE);
	g_assert_false(hfhub_secrets_keyring_store(EP, "alice", "hf_alice", NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_NO_KEYRING);
	g_clear_error(&error);
	token = hfhub_secrets_keyring_lookup(EP, "alice", FALSE, NULL, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_NO_KEYRING);
	g_assert_null(token);
	g_clear_error(&error);
	g_assert_false(hfhub_secrets_keyring_clear(EP, "alice", NULL, &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_NO_KEYRING);
	bus_stop(&b);
}

/* ---- which token HfhubIdentities picks (file storage, no Secret Service) */

static HfhubIdentities *
identities_new(const gchar *state)
{
	g_autofree gchar *conf = g_build_filename(state, "none.conf", NULL);
	g_autoptr(HfhubConfig) config = hfhub_config_new(conf, NULL);
	g_autoptr(HfhubHttp) http = hfhub_http_new(30);
	HfhubIdentities *ids = hfhub_identities_new(state, config, http);

	hfhub_identities_load(ids);
	return ids;
}

static void
test_precedence(void)
{
	Bus b = { 0 };
	g_autofree gchar *state = NULL;
	g_autofree gchar *index = NULL;
	g_autofree gchar *file = NULL;
	g_autoptr(GPtrArray) infos =
		g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_identity_info_free);
	g_autoptr(HfhubIdentities) ids = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubToken) token = NULL;
	g_autofree gchar *name = NULL;

	if (!g_test_subprocess()) {
		run_in_subprocess(NULL);
		return;
	}
	bus_up(&b);
	state = g_build_filename(b.dir, "state", NULL);
	index = hfhub_identity_index_path(state);
	file = hfhub_secrets_file_path(state);
	g_unsetenv("HF_TOKEN");
	g_unsetenv("HUGGING_FACE_HUB_TOKEN");
	g_unsetenv("HF_HUB_DISABLE_IMPLICIT_TOKEN");
	g_setenv("HF_ENDPOINT", EP, TRUE);
	g_ptr_array_add(infos, info_new(EP, "alice", TRUE));
	g_ptr_array_add(infos, info_new(EP, "bob", FALSE));
	g_ptr_array_add(infos, info_new(EP, "gone", FALSE));
	g_assert_true(hfhub_identity_index_save(index, infos, &error));
	g_assert_true(hfhub_secrets_file_store(file, EP, "alice", "hf_alice", &error));
	g_assert_true(hfhub_secrets_file_store(file, EP, "bob", "hf_bob", &error));
	g_assert_no_error(error);

	ids = identities_new(state);
	g_assert_cmpstr(hfhub_identities_get_storage(ids), ==, "file");
	/* the default, for the default endpoint and for it by name */
	token = hfhub_identities_dup_token(ids, NULL, NULL, &error);
	g_assert_cmpstr(token, ==, "hf_alice");
	g_clear_pointer(&token, hfhub_secrets_free);
	token = hfhub_identities_dup_token(ids, NULL, EP "/", &error);
	g_assert_cmpstr(token, ==, "hf_alice");
	g_clear_pointer(&token, hfhub_secrets_free);
	name = hfhub_identities_dup_identity_name(ids, NULL, EP, &error);
	g_assert_cmpstr(name, ==, "alice");
	g_clear_pointer(&name, g_free);
	/* an identity option */
	token = hfhub_identities_dup_token(ids, "bob", EP, &error);
	g_assert_cmpstr(token, ==, "hf_bob");
	g_clear_pointer(&token, hfhub_secrets_free);
	/* unknown, or of another endpoint: an error, never anonymous */
	token = hfhub_identities_dup_token(ids, "carol", EP, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	token = hfhub_identities_dup_token(ids, "bob", "https://other.test", &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	/* the index names it, the file lost it */
	token = hfhub_identities_dup_token(ids, "gone", EP, &error);
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN);
	g_clear_error(&error);
	/* no default for another endpoint: anonymous */
	token = hfhub_identities_dup_token(ids, NULL, "https://other.test", &error);
	g_assert_no_error(error);
	g_assert_null(token);
	g_clear_object(&ids);

	/* HF_TOKEN wins over the default, not over an explicit identity, and
	 * leaves the environment */
	g_setenv("HF_TOKEN", " hf_env\n", TRUE);
	ids = identities_new(state);
	g_assert_null(g_getenv("HF_TOKEN"));
	g_assert_true(hfhub_identities_has_environment_token(ids));
	token = hfhub_identities_dup_token(ids, NULL, EP, &error);
	g_assert_cmpstr(token, ==, "hf_env");
	g_clear_pointer(&token, hfhub_secrets_free);
	name = hfhub_identities_dup_identity_name(ids, NULL, EP, &error);
	g_assert_null(name);
	token = hfhub_identities_dup_token(ids, "bob", EP, &error);
	g_assert_cmpstr(token, ==, "hf_bob");
	g_clear_pointer(&token, hfhub_secrets_free);
	/* it is for the configured endpoint only: no client may send it elsewhere */
	token = hfhub_identities_dup_token(ids, NULL, "http://elsewhere.test", &error);
	g_assert_no_error(error);
	g_assert_null(token);
	g_clear_object(&ids);

	/* HF_HUB_DISABLE_IMPLICIT_TOKEN: only what is asked for */
	g_setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1", TRUE);
	ids = identities_new(state);
	token = hfhub_identities_dup_token(ids, NULL, EP, &error);
	g_assert_no_error(error);
	g_assert_null(token);
	token = hfhub_identities_dup_token(ids, "alice", EP, &error);
	g_assert_cmpstr(token, ==, "hf_alice");
	g_clear_object(&ids);
	bus_stop(&b);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	(void)hfhub_error_quark();
	g_test_add_func("/secrets/clean", test_clean);
	g_test_add_func("/secrets/normalize-endpoint", test_normalize_endpoint);
	g_test_add_func("/secrets/validate-name", test_validate_name);
	g_test_add_func("/secrets/file", test_file);
	g_test_add_func("/secrets/index", test_index);
	g_test_add_func("/secrets/index-hand-edited", test_index_hand_edited);
	g_test_add_func("/secrets/keyring", test_keyring);
	g_test_add_func("/secrets/no-keyring", test_no_keyring);
	g_test_add_func("/secrets/precedence", test_precedence);
	return g_test_run();
}
