/* hfhub auth login|logout|whoami|list|switch|token|import
 *
 * The token goes to hfhubd once, at login, through a pipe (a file
 * descriptor in the D-Bus message): never as a string in a message, never in
 * argv unless the user passes --token. No D-Bus method gives a token back:
 * "auth token" reads the keyring (or the fallback file) itself. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCli"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hfhub-cli-commands.h"
#include "hfhub-cli-json.h"
#include "hfhub-connect.h"
#include "hfhub-error.h"
#include "hfhub-hf-env.h"
#include "hfhub-identity-index.h"
#include "hfhub-names.h"
#include "hfhub-secrets.h"
#include "hfhub-table.h"
#include "hfhub-text.h"

/* a token is far shorter */
#define MAX_TOKEN_INPUT 4096
/* Login asks the Hub, which may be retried for a while */
#define AUTH_CALL_TIMEOUT_MS (120 * 1000)
#define DEFAULT_ENDPOINT     "https://huggingface.co"

static HfhubDBusAuth *
auth_proxy_new(HfhubCli *cli, GError **error)
{
	g_autoptr(HfhubDBusAuth) auth = NULL;
	GDBusProxyFlags flags = G_DBUS_PROXY_FLAGS_NONE;

	if (!hfhub_cli_connect(cli, error))
		return NULL;
	if (cli->bus_name == NULL || hfhub_connect_autostart_disabled())
		flags = G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START;
	auth = hfhub_dbus_auth_proxy_new_sync(cli->connection, flags, cli->bus_name,
					      HFHUB_DBUS_PATH, NULL, error);
	if (auth == NULL)
		return NULL;
	if (hfhub_dbus_auth_get_storage(auth) == NULL) {
		g_set_error(error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_INTERFACE,
			    /* TRANSLATORS: %s is a D-Bus object path */
			    _("This hfhubd has no Auth interface at %s; is it older than this "
			      "hfhub?"),
			    HFHUB_DBUS_PATH);
		return NULL;
	}
	g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(auth), AUTH_CALL_TIMEOUT_MS);
	return g_steal_pointer(&auth);
}

/* --endpoint, else HF_ENDPOINT, else NULL (the daemon's default) */
static gchar *
endpoint_arg(const gchar *option)
{
	if (option != NULL && *option != '\0')
		return g_strdup(option);
	return hfhub_hf_env_endpoint();
}

static void
dict_insert_nonempty(GVariantDict *dict, const gchar *key, const gchar *value)
{
	if (value != NULL && *value != '\0')
		g_variant_dict_insert(dict, key, "s", value);
}

static const gchar *
dict_string(GVariant *dict, const gchar *key)
{
	const gchar *value = NULL;

	if (dict == NULL || !g_variant_lookup(dict, key, "&s", &value))
		return "";
	return value;
}

static gboolean
dict_bool(GVariant *dict, const gchar *key)
{
	gboolean value = FALSE;

	if (dict != NULL)
		g_variant_lookup(dict, key, "b", &value);
	return value;
}

static gchar *
dict_orgs(GVariant *dict)
{
	g_autofree const gchar **orgs = NULL;

	if (!g_variant_lookup(dict, "orgs", "^a&s", &orgs) || orgs == NULL || orgs[0] == NULL)
		return g_strdup("–");
	return g_strjoinv(", ", (gchar **)orgs);
}

static void
print_json_variant(GVariant *value)
{
	g_autoptr(JsonNode) node = hfhub_json_from_variant(value);
	hfhub_json_print(node);
}

static void
print_kv_clean(HfhubCli *cli, const gchar *key, const gchar *value)
{
	g_autofree gchar *clean = hfhub_text_sanitize(value, FALSE);
	hfhub_console_print_kv(&cli->console, key, clean);
}

/* what "status" means for people */
static const gchar *
status_text(const gchar *status)
{
	if (g_strcmp0(status, "locked") == 0)
		/* TRANSLATORS: state of a stored token */
		return _("locked: unlock the keyring");
	if (g_strcmp0(status, "missing") == 0)
		/* TRANSLATORS: state of a stored token */
		return _("missing from the keyring: log in again");
	if (g_strcmp0(status, "no-keyring") == 0)
		/* TRANSLATORS: state of a stored token */
		return _("in the keyring, which this session does not have");
	return NULL;
}

static const gchar *
storage_text(const gchar *storage)
{
	if (g_strcmp0(storage, "file") == 0)
		/* TRANSLATORS: where a token is kept */
		return _("file (no Secret Service)");
	if (g_strcmp0(storage, "environment") == 0)
		/* TRANSLATORS: where a token comes from */
		return _("HF_TOKEN in hfhubd's environment");
	/* TRANSLATORS: where a token is kept */
	return _("keyring");
}

static void
print_identity(HfhubCli *cli, GVariant *identity)
{
	g_autofree gchar *orgs = dict_orgs(identity);
	const gchar *status = status_text(dict_string(identity, "status"));

	/* TRANSLATORS: key/value lines of "hfhub auth whoami" and "login" */
	print_kv_clean(cli, _("User"), dict_string(identity, "user"));
	if (*dict_string(identity, "fullname") != '\0')
		print_kv_clean(cli, _("Full name"), dict_string(identity, "fullname"));
	print_kv_clean(cli, _("Orgs"), orgs);
	print_kv_clean(cli, _("Token role"), dict_string(identity, "role"));
	if (*dict_string(identity, "token-name") != '\0')
		print_kv_clean(cli, _("Token name"), dict_string(identity, "token-name"));
	print_kv_clean(cli, _("Identity"), dict_string(identity, "name"));
	print_kv_clean(cli, _("Endpoint"), dict_string(identity, "endpoint"));
	print_kv_clean(cli, _("Storage"), storage_text(dict_string(identity, "storage")));
	if (status != NULL)
		print_kv_clean(cli, _("Token"), status);
}

/* ---- reading the token */

/* up to EOF, at most MAX_TOKEN_INPUT bytes */
static HfhubToken *
read_all(gint fd, GError **error)
{
	gchar *buf = g_malloc0(MAX_TOKEN_INPUT + 1);
	gsize n = 0;
	HfhubToken *token = NULL;

	for (;;) {
		gssize got = read(fd, buf + n, MAX_TOKEN_INPUT + 1 - n);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
				    _("Cannot read the token: %s"), g_strerror(errno));
			goto out;
		}
		n += (gsize)got;
		if (n > MAX_TOKEN_INPUT) {
			g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				    _("The input is longer than %d bytes: it is not a token."),
				    MAX_TOKEN_INPUT);
			goto out;
		}
	}
	token = hfhub_secrets_clean(buf, n);
out:
	hfhub_secrets_wipe(buf, MAX_TOKEN_INPUT + 1);
	g_free(buf);
	return token;
}

/* one line from the terminal without echo */
static HfhubToken *
prompt_token(const gchar *endpoint, GError **error)
{
	struct termios old, quiet;
	gchar *buf = g_malloc0(MAX_TOKEN_INPUT + 1);
	gboolean ok;
	HfhubToken *token = NULL;
	g_autofree gchar *settings = g_strdup_printf(
		"%s/settings/tokens", endpoint != NULL ? endpoint : DEFAULT_ENDPOINT);

	/* TRANSLATORS: %s is a URL where tokens are made */
	g_printerr(_("Paste a token (make one at %s): "), settings);
	if (tcgetattr(STDIN_FILENO, &old) != 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s",
			    g_strerror(errno));
		g_free(buf);
		return NULL;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	ok = fgets(buf, MAX_TOKEN_INPUT + 1, stdin) != NULL;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	g_printerr("\n");
	if (ok)
		token = hfhub_secrets_clean(buf, strlen(buf));
	hfhub_secrets_wipe(buf, MAX_TOKEN_INPUT + 1);
	g_free(buf);
	return token;
}

/* The token in a pipe whose read end goes with the message: it is never a
 * string in a D-Bus message. */
static GUnixFDList *
token_fd_list(const gchar *token, GError **error)
{
	g_autoptr(GUnixFDList) list = g_unix_fd_list_new();
	gint fds[2];
	gsize len = strlen(token);
	gsize done = 0;

	if (!g_unix_open_pipe(fds, FD_CLOEXEC, error))
		return NULL;
	/* a token is far below the pipe's capacity: no reader needed yet */
	while (done < len) {
		gssize n = write(fds[1], token + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "%s",
				    g_strerror(errno));
			close(fds[0]);
			close(fds[1]);
			return NULL;
		}
		done += (gsize)n;
	}
	close(fds[1]);
	if (g_unix_fd_list_append(list, fds[0], error) < 0) {
		close(fds[0]);
		return NULL;
	}
	close(fds[0]);
	return g_steal_pointer(&list);
}

static gboolean
login_with_token(HfhubDBusAuth *auth, const gchar *token, const gchar *name, const gchar *endpoint,
		 gboolean make_default, gchar **out_name, GVariant **out_identity, GError **error)
{
	g_autoptr(GUnixFDList) list = token_fd_list(token, error);
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);

	if (list == NULL)
		return FALSE;
	dict_insert_nonempty(&options, "name", name);
	dict_insert_nonempty(&options, "endpoint", endpoint);
	g_variant_dict_insert(&options, "make-default", "b", make_default);
	return hfhub_dbus_auth_call_login_sync(auth, g_variant_new_handle(0),
					       g_variant_dict_end(&options), list, out_name,
					       out_identity, NULL, NULL, error);
}

/* ---- hfhub auth login */

gint
hfhub_cli_cmd_auth_login(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *token_arg = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *endpoint_opt = NULL;
	g_autofree gchar *endpoint = NULL;
	g_autofree gchar *out_name = NULL;
	gboolean token_stdin = FALSE;
	gboolean no_default = FALSE;
	g_autoptr(HfhubToken) token = NULL;
	g_autoptr(HfhubDBusAuth) auth = NULL;
	g_autoptr(GVariant) identity = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	gint exit_code;
	const GOptionEntry entries[] = {
		{ "token-stdin", 0, 0, G_OPTION_ARG_NONE, &token_stdin,
		  /* TRANSLATORS: command line option */
		  N_("Read the token from standard input"), NULL },
		{ "token", 0, 0, G_OPTION_ARG_STRING, &token_arg,
		  /* TRANSLATORS: command line option */
		  N_("The token (lands in your shell history: prefer --token-stdin)"),
		  N_("TOKEN") },
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name,
		  /* TRANSLATORS: command line option */
		  N_("Store it under this name (default: your user name on the Hub)"), N_("NAME") },
		{ "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
		  /* TRANSLATORS: command line option */
		  N_("The Hub to log in to (default: $HF_ENDPOINT or hfhubd's)"), N_("URL") },
		{ "no-default", 0, 0, G_OPTION_ARG_NONE, &no_default,
		  /* TRANSLATORS: command line option */
		  N_("Do not make it the default identity of the endpoint"), NULL },
		{ NULL }
	};

	context = hfhub_cli_option_context_new(
		cli, NULL,
		_("Validate a token with the Hub and store it in the keyring. On a terminal the "
		  "token is asked for without echo."),
		entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	if (token_arg != NULL && token_stdin)
		return hfhub_cli_usage_error(cli, "%s",
					     _("Give either --token or --token-stdin, not both."));
	endpoint = endpoint_arg(endpoint_opt);

	if (token_arg != NULL) {
		hfhub_console_print_warning(
			&cli->console,
			_("--token puts the token in your shell history and in the process "
			  "list; prefer --token-stdin or the prompt."));
		token = hfhub_secrets_clean(token_arg, strlen(token_arg));
		hfhub_secrets_wipe(token_arg, strlen(token_arg));
	} else if (token_stdin) {
		token = read_all(STDIN_FILENO, &error);
	} else if (isatty(STDIN_FILENO) && !cli->json) {
		token = prompt_token(endpoint, &error);
	} else {
		return hfhub_cli_usage_error(cli, "%s",
					     _("No token: pipe it in with --token-stdin, or run "
					       "this on a terminal to be "
					       "asked for it."));
	}
	if (error != NULL)
		return hfhub_cli_fail(cli, error);
	if (token == NULL)
		return hfhub_cli_usage_error(cli, "%s", _("The token is empty."));

	auth = auth_proxy_new(cli, &error);
	if (auth == NULL || !login_with_token(auth, token, name, endpoint, !no_default, &out_name,
					      &identity, &error))
		return hfhub_cli_fail(cli, error);

	if (cli->json) {
		print_json_variant(identity);
		return HFHUB_EXIT_OK;
	}
	if (*dict_string(identity, "warning") != '\0')
		hfhub_console_print_warning(&cli->console, dict_string(identity, "warning"));
	{
		g_autofree gchar *user = hfhub_text_sanitize(dict_string(identity, "user"), FALSE);
		g_autofree gchar *ident = hfhub_text_sanitize(out_name, FALSE);
		g_autofree gchar *line = NULL;

		if (dict_bool(identity, "default"))
			/* TRANSLATORS: first %s a user name, second an identity name, third a URL
			 */
			line = g_strdup_printf(_("Logged in as %s (identity “%s”, the default for "
						 "%s)."),
					       user, ident, dict_string(identity, "endpoint"));
		else
			/* TRANSLATORS: first %s a user name, second an identity name, third a URL
			 */
			line = g_strdup_printf(_("Logged in as %s (identity “%s” for %s)."), user,
					       ident, dict_string(identity, "endpoint"));
		hfhub_console_print_line(line);
	}
	return HFHUB_EXIT_OK;
}

/* ---- hfhub auth logout */

gint
hfhub_cli_cmd_auth_logout(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *endpoint_opt = NULL;
	g_autofree gchar *endpoint = NULL;
	gboolean all = FALSE;
	const gchar *name = "";
	g_autoptr(HfhubDBusAuth) auth = NULL;
	g_autoptr(GVariant) removed = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	gint exit_code;
	const GOptionEntry entries[] = {
		{ "all", 0, 0, G_OPTION_ARG_NONE, &all,
		  /* TRANSLATORS: command line option */
		  N_("Log out every identity (of --endpoint when given)"), NULL },
		{ "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
		  /* TRANSLATORS: command line option */
		  N_("The Hub (default: $HF_ENDPOINT or hfhubd's)"), N_("URL") },
		{ NULL }
	};

	context = hfhub_cli_option_context_new(
		cli, _("[NAME]"),
		_("Delete a stored token: NAME, or the endpoint's default identity."), entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 2)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[2]);
	if (argc == 2)
		name = argv[1];
	if (all && *name != '\0')
		return hfhub_cli_usage_error(cli, "%s", _("Give either NAME or --all, not both."));
	/* a NAME is found on any endpoint unless one is given */
	if (endpoint_opt != NULL || (*name == '\0' && !all))
		endpoint = endpoint_arg(endpoint_opt);
	dict_insert_nonempty(&options, "endpoint", endpoint);
	if (all)
		g_variant_dict_insert(&options, "all", "b", TRUE);

	auth = auth_proxy_new(cli, &error);
	if (auth == NULL ||
	    !hfhub_dbus_auth_call_logout_sync(auth, name, g_variant_dict_end(&options), &removed,
					      NULL, &error))
		return hfhub_cli_fail(cli, error);

	if (cli->json) {
		JsonObject *object = json_object_new();
		g_autoptr(JsonNode) node = NULL;

		json_object_set_member(object, "removed", hfhub_json_from_variant(removed));
		node = hfhub_json_take_object(object);
		hfhub_json_print(node);
		return HFHUB_EXIT_OK;
	}
	if (g_variant_n_children(removed) == 0)
		hfhub_console_print_line(_("There was nothing to log out."));
	for (gsize i = 0; i < g_variant_n_children(removed); i++) {
		g_autoptr(GVariant) identity = g_variant_get_child_value(removed, i);
		g_autofree gchar *ident = hfhub_text_sanitize(dict_string(identity, "name"), FALSE);
		/* TRANSLATORS: first %s an identity name, second a URL */
		g_autofree gchar *line = g_strdup_printf(_("Logged out “%s” (%s)."), ident,
							 dict_string(identity, "endpoint"));
		hfhub_console_print_line(line);
	}
	return HFHUB_EXIT_OK;
}

/* ---- huggingface_hub's token files */

typedef struct {
	gchar *token_path;  /* HF_TOKEN_PATH or $HF_HOME/token */
	gchar *stored_path; /* $HF_HOME/stored_tokens */
	HfhubToken *active; /* the token file's token */
	GPtrArray *names;   /* sections of stored_tokens */
	GPtrArray *tokens;  /* their hf_token, HfhubToken* */
} HfFiles;

static void
hf_files_free(HfFiles *files)
{
	g_free(files->token_path);
	g_free(files->stored_path);
	hfhub_secrets_free(files->active);
	g_ptr_array_unref(files->names);
	g_ptr_array_unref(files->tokens);
	g_free(files);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HfFiles, hf_files_free)

/* HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface */
static gchar *
hf_home(void)
{
	const gchar *value = g_getenv("HF_HOME");

	if (value != NULL && *value != '\0')
		return hfhub_hf_env_expand_path(value);
	value = g_getenv("XDG_CACHE_HOME");
	if (value != NULL && *value != '\0')
		return g_build_filename(value, "huggingface", NULL);
	return g_build_filename(g_get_home_dir(), ".cache", "huggingface", NULL);
}

/* What huggingface_hub stored, as its get_token() and auth list read it. */
static HfFiles *
hf_files_read(void)
{
	HfFiles *files = g_new0(HfFiles, 1);
	g_autofree gchar *home = hf_home();
	const gchar *token_path = g_getenv("HF_TOKEN_PATH");
	g_autoptr(GKeyFile) kf = g_key_file_new();
	gchar *contents = NULL;
	gsize len = 0;

	files->names = g_ptr_array_new_with_free_func(g_free);
	files->tokens = g_ptr_array_new_with_free_func((GDestroyNotify)hfhub_secrets_free);
	files->token_path = token_path != NULL && *token_path != '\0'
				    ? hfhub_hf_env_expand_path(token_path)
				    : g_build_filename(home, "token", NULL);
	files->stored_path = g_build_filename(home, "stored_tokens", NULL);
	if (g_file_get_contents(files->token_path, &contents, &len, NULL)) {
		files->active = hfhub_secrets_clean(contents, len);
		hfhub_secrets_wipe(contents, len);
		g_free(contents);
	}
	if (g_key_file_load_from_file(kf, files->stored_path, G_KEY_FILE_NONE, NULL)) {
		g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
		for (guint i = 0; groups[i] != NULL; i++) {
			g_autofree gchar *value =
				g_key_file_get_value(kf, groups[i], "hf_token", NULL);
			HfhubToken *token =
				value != NULL ? hfhub_secrets_clean(value, strlen(value)) : NULL;

			if (value != NULL)
				hfhub_secrets_wipe(value, strlen(value));
			if (token == NULL)
				continue;
			g_ptr_array_add(files->names, g_strdup(groups[i]));
			g_ptr_array_add(files->tokens, token);
		}
	}
	return files;
}

static gboolean
hf_files_any(HfFiles *files)
{
	return files->active != NULL || files->names->len > 0;
}

/* "Not logged in", and what huggingface_hub has when we have nothing */
static gint
fail_not_logged_in(HfhubCli *cli, const GError *error, gboolean have_identities)
{
	g_autoptr(HfFiles) files = have_identities ? NULL : hf_files_read();
	g_autofree gchar *name = hfhub_cli_error_name(error);
	g_autofree gchar *message = hfhub_cli_error_message(error);

	if (cli->json) {
		JsonObject *object = json_object_new();
		g_autoptr(JsonNode) node = NULL;

		json_object_set_member(object, "error", hfhub_json_error_object(name, message));
		if (files != NULL && hf_files_any(files)) {
			JsonObject *hf = json_object_new();
			JsonArray *names = json_array_new();

			for (guint i = 0; i < files->names->len; i++)
				json_array_add_string_element(names,
							      g_ptr_array_index(files->names, i));
			json_object_set_string_member(
				hf, "token_file", files->active != NULL ? files->token_path : NULL);
			json_object_set_string_member(hf, "stored_tokens_file",
						      files->names->len > 0 ? files->stored_path
									    : NULL);
			json_object_set_array_member(hf, "stored_tokens", names);
			json_object_set_object_member(object, "huggingface_hub_tokens", hf);
		}
		node = hfhub_json_take_object(object);
		hfhub_json_print(node);
		return HFHUB_EXIT_FAILURE;
	}
	hfhub_console_print_error(&cli->console, message);
	if (files != NULL && hf_files_any(files)) {
		g_autofree gchar *where = NULL;

		if (files->active != NULL && files->names->len > 0)
			where = g_strdup_printf("%s, %s", files->token_path, files->stored_path);
		else
			where = g_strdup(files->active != NULL ? files->token_path
							       : files->stored_path);
		g_printerr(
			/* TRANSLATORS: %u is a number of tokens, %s file paths */
			g_dngettext(
				GETTEXT_PACKAGE,
				"huggingface_hub has %u token (%s); hfhub can import it with "
				"“hfhub auth import”.\n",
				"huggingface_hub has %u tokens (%s); hfhub can import them with "
				"“hfhub auth import”.\n",
				MAX(files->names->len, 1)),
			MAX(files->names->len, 1), where);
	}
	return HFHUB_EXIT_FAILURE;
}

static gboolean
have_any_identity(HfhubDBusAuth *auth)
{
	g_autoptr(GVariant) list = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);

	if (!hfhub_dbus_auth_call_list_identities_sync(auth, g_variant_dict_end(&options), &list,
						       NULL, NULL))
		return TRUE; /* do not guess */
	return g_variant_n_children(list) > 0;
}

/* ---- hfhub auth whoami */

gint
hfhub_cli_cmd_auth_whoami(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *endpoint_opt = NULL;
	g_autofree gchar *endpoint = NULL;
	g_autofree gchar *name = NULL;
	gboolean refresh = FALSE;
	g_autoptr(HfhubDBusAuth) auth = NULL;
	g_autoptr(GVariant) identity = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	gint exit_code;
	const GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name,
		  /* TRANSLATORS: command line option */
		  N_("This identity instead of the default one"), N_("NAME") },
		{ "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
		  /* TRANSLATORS: command line option */
		  N_("The Hub (default: $HF_ENDPOINT or hfhubd's)"), N_("URL") },
		{ "refresh", 0, 0, G_OPTION_ARG_NONE, &refresh,
		  /* TRANSLATORS: command line option */
		  N_("Ask the Hub again instead of showing what it said at login"), NULL },
		{ NULL }
	};

	context = hfhub_cli_option_context_new(
		cli, NULL, _("Show who requests to the Hub are made as."), entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	endpoint = endpoint_arg(endpoint_opt);
	dict_insert_nonempty(&options, "endpoint", endpoint);
	dict_insert_nonempty(&options, "identity", name);
	if (refresh)
		g_variant_dict_insert(&options, "refresh", "b", TRUE);

	auth = auth_proxy_new(cli, &error);
	if (auth == NULL)
		return hfhub_cli_fail(cli, error);
	if (!hfhub_dbus_auth_call_whoami_sync(auth, g_variant_dict_end(&options), &identity, NULL,
					      &error)) {
		if (g_error_matches(error, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED))
			return fail_not_logged_in(cli, error, have_any_identity(auth));
		return hfhub_cli_fail(cli, error);
	}
	if (cli->json) {
		print_json_variant(identity);
		return HFHUB_EXIT_OK;
	}
	print_identity(cli, identity);
	return HFHUB_EXIT_OK;
}

/* ---- hfhub auth list */

static const gchar *
storage_state_text(const gchar *storage)
{
	if (g_strcmp0(storage, "keyring-locked") == 0)
		return _("New tokens go to the keyring, which is locked: unlock it first.");
	if (g_strcmp0(storage, "file") == 0)
		return _("There is no Secret Service in this session: new tokens go to a file "
			 "only you can read.");
	return _("New tokens go to the keyring.");
}

gint
hfhub_cli_cmd_auth_list(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *endpoint_opt = NULL;
	g_autoptr(HfhubDBusAuth) auth = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(HfhubTable) table = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	gint exit_code;
	const GOptionEntry entries[] = { { "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
					   /* TRANSLATORS: command line option */
					   N_("Only the identities of this Hub"), N_("URL") },
					 { NULL } };

	context = hfhub_cli_option_context_new(
		cli, NULL, _("List the stored identities; * marks the default ones."), entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	dict_insert_nonempty(&options, "endpoint", endpoint_opt);

	auth = auth_proxy_new(cli, &error);
	if (auth == NULL || !hfhub_dbus_auth_call_list_identities_sync(
				    auth, g_variant_dict_end(&options), &list, NULL, &error))
		return hfhub_cli_fail(cli, error);

	if (cli->json) {
		JsonObject *object = json_object_new();
		g_autoptr(JsonNode) node = NULL;

		json_object_set_member(object, "identities", hfhub_json_from_variant(list));
		json_object_set_string_member(object, "storage", hfhub_dbus_auth_get_storage(auth));
		json_object_set_boolean_member(object, "environment_token",
					       hfhub_dbus_auth_get_environment_token(auth));
		node = hfhub_json_take_object(object);
		hfhub_json_print(node);
		return HFHUB_EXIT_OK;
	}
	/* TRANSLATORS: column headers of "hfhub auth list" */
	table = hfhub_table_new("", _("NAME"), _("USER"), _("ROLE"), _("ENDPOINT"), _("STORAGE"),
				NULL);
	for (gsize i = 0; i < g_variant_n_children(list); i++) {
		g_autoptr(GVariant) identity = g_variant_get_child_value(list, i);
		g_autofree gchar *ident = hfhub_text_sanitize(dict_string(identity, "name"), FALSE);
		g_autofree gchar *user = hfhub_text_sanitize(dict_string(identity, "user"), FALSE);
		const gchar *status = status_text(dict_string(identity, "status"));
		g_autofree gchar *storage =
			status != NULL
				? g_strdup_printf("%s (%s)",
						  storage_text(dict_string(identity, "storage")),
						  status)
				: g_strdup(storage_text(dict_string(identity, "storage")));
		const gchar *cells[] = {
			dict_bool(identity, "default") ? "*" : "",
			ident,
			user,
			dict_string(identity, "role"),
			dict_string(identity, "endpoint"),
			storage,
		};
		hfhub_table_add_row(table, cells);
	}
	if (g_variant_n_children(list) > 0)
		hfhub_console_print_table(&cli->console, table);
	else
		hfhub_console_print_line(_("No identities: log in with “hfhub auth login”."));
	hfhub_console_print_line(storage_state_text(hfhub_dbus_auth_get_storage(auth)));
	if (hfhub_dbus_auth_get_environment_token(auth))
		hfhub_console_print_line(_("HF_TOKEN is set in hfhubd's environment: it is used "
					   "instead of the default identities."));
	return HFHUB_EXIT_OK;
}

/* ---- hfhub auth switch */

gint
hfhub_cli_cmd_auth_switch(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *endpoint_opt = NULL;
	g_autoptr(HfhubDBusAuth) auth = NULL;
	g_autoptr(GVariant) identity = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_auto(GVariantDict) options = G_VARIANT_DICT_INIT(NULL);
	gint exit_code;
	const GOptionEntry entries[] = {
		{ "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
		  /* TRANSLATORS: command line option */
		  N_("The Hub, when several have an identity of that name"), N_("URL") },
		{ NULL }
	};

	context = hfhub_cli_option_context_new(
		cli, _("NAME"), _("Make NAME the default identity of its endpoint."), entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc != 2)
		return hfhub_cli_usage_error(cli, "%s",
					     _("Give the name of one identity, as shown by "
					       "“hfhub auth list”."));
	dict_insert_nonempty(&options, "endpoint", endpoint_opt);

	auth = auth_proxy_new(cli, &error);
	if (auth == NULL ||
	    !hfhub_dbus_auth_call_switch_default_sync(auth, argv[1], g_variant_dict_end(&options),
						      &identity, NULL, &error))
		return hfhub_cli_fail(cli, error);
	if (cli->json) {
		print_json_variant(identity);
	} else {
		g_autofree gchar *ident = hfhub_text_sanitize(dict_string(identity, "name"), FALSE);
		/* TRANSLATORS: first %s an identity name, second a URL */
		g_autofree gchar *line = g_strdup_printf(_("“%s” is now the default identity for "
							   "%s."),
							 ident, dict_string(identity, "endpoint"));
		hfhub_console_print_line(line);
	}
	return HFHUB_EXIT_OK;
}

/* ---- hfhub auth token: straight from the keyring, for scripts */

gint
hfhub_cli_cmd_auth_token(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *endpoint_opt = NULL;
	g_autofree gchar *name = NULL;
	g_autofree gchar *endpoint = NULL;
	g_autofree gchar *state_dir = hfhub_identity_default_state_dir();
	g_autofree gchar *index_path = hfhub_identity_index_path(state_dir);
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(HfhubToken) token = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	HfhubIdentityInfo *info = NULL;
	const gchar *env = g_getenv("HF_TOKEN");
	gint exit_code;
	const GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name,
		  /* TRANSLATORS: command line option */
		  N_("This identity instead of the default one"), N_("NAME") },
		{ "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
		  /* TRANSLATORS: command line option */
		  N_("The Hub (default: $HF_ENDPOINT, else https://huggingface.co)"), N_("URL") },
		{ NULL }
	};

	context = hfhub_cli_option_context_new(
		cli, NULL,
		_("Print the token of the default identity (or of --name) for scripts. It is "
		  "read from the keyring here, never through hfhubd; HF_TOKEN wins as it does "
		  "for hfhubd."),
		entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);

	if (name == NULL && env != NULL && *env != '\0') {
		token = hfhub_secrets_clean(env, strlen(env));
	} else {
		g_autofree gchar *ep_arg = endpoint_arg(endpoint_opt);

		if (ep_arg != NULL || name == NULL) {
			endpoint = hfhub_identity_normalize_endpoint(
				ep_arg != NULL ? ep_arg : DEFAULT_ENDPOINT, &error);
			if (endpoint == NULL)
				return hfhub_cli_usage_error(cli, "%s", error->message);
		}
		infos = hfhub_identity_index_load(index_path, &error);
		if (infos == NULL)
			return hfhub_cli_fail(cli, error);
		if (name != NULL) {
			info = hfhub_identity_index_find_by_name(infos, name, endpoint, &error);
			if (info == NULL)
				return hfhub_cli_fail(cli, error);
		} else {
			info = hfhub_identity_index_find_default(infos, endpoint);
			if (info == NULL) {
				g_set_error(&error, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED,
					    /* TRANSLATORS: %s is a URL */
					    _("Not logged in to %s."), endpoint);
				return hfhub_cli_fail(cli, error);
			}
		}
		/* a terminal user may be asked to unlock the keyring */
		token = hfhub_identity_read_token(state_dir, info, TRUE, NULL, &error);
		if (token == NULL && error == NULL)
			g_set_error(&error, HFHUB_ERROR, HFHUB_ERROR_INVALID_TOKEN,
				    /* TRANSLATORS: %s is an identity name */
				    _("The token of “%s” is no longer stored; log in again."),
				    info->name);
		if (token == NULL)
			return hfhub_cli_fail(cli, error);
	}
	if (token == NULL) {
		g_set_error_literal(&error, HFHUB_ERROR, HFHUB_ERROR_UNAUTHORIZED,
				    _("HF_TOKEN is empty."));
		return hfhub_cli_fail(cli, error);
	}
	if (cli->json) {
		JsonObject *object = json_object_new();
		g_autoptr(JsonNode) node = NULL;

		json_object_set_string_member(object, "name",
					      info != NULL ? info->name : "HF_TOKEN");
		json_object_set_string_member(object, "endpoint",
					      info != NULL ? info->endpoint : NULL);
		json_object_set_string_member(object, "token", token);
		node = hfhub_json_take_object(object);
		hfhub_json_print(node);
	} else {
		g_print("%s\n", token);
	}
	return HFHUB_EXIT_OK;
}

/* ---- hfhub auth import: huggingface_hub's tokens, on request only */

gint
hfhub_cli_cmd_auth_import(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autofree gchar *endpoint_opt = NULL;
	g_autofree gchar *endpoint = NULL;
	g_autoptr(HfFiles) files = NULL;
	g_autoptr(HfhubDBusAuth) auth = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GOptionContext) context = NULL;
	JsonArray *results = json_array_new();
	g_autoptr(JsonNode) results_node = hfhub_json_take_array(results);
	gboolean active_imported = FALSE;
	guint failed = 0;
	gint exit_code;
	const GOptionEntry entries[] = {
		{ "endpoint", 0, 0, G_OPTION_ARG_STRING, &endpoint_opt,
		  /* TRANSLATORS: command line option */
		  N_("The Hub the tokens are for (default: $HF_ENDPOINT or hfhubd's)"), N_("URL") },
		{ NULL }
	};

	context = hfhub_cli_option_context_new(
		cli, NULL,
		_("Import the tokens huggingface_hub stored ($HF_HOME/token and "
		  "$HF_HOME/stored_tokens) into the keyring, each validated with the Hub. The "
		  "files are left as they are."),
		entries);
	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	endpoint = endpoint_arg(endpoint_opt);
	files = hf_files_read();
	if (!hf_files_any(files)) {
		g_set_error(&error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s are file paths */
			    _("huggingface_hub has no token here (%s, %s)."), files->token_path,
			    files->stored_path);
		return hfhub_cli_fail(cli, error);
	}
	auth = auth_proxy_new(cli, &error);
	if (auth == NULL)
		return hfhub_cli_fail(cli, error);

	/* every named token; the active one stays the default */
	for (guint i = 0; i <= files->names->len; i++) {
		const gchar *name = NULL;
		const gchar *token;
		gboolean is_active;
		g_autofree gchar *out_name = NULL;
		g_autoptr(GVariant) identity = NULL;
		g_autoptr(GError) error_one = NULL;
		JsonObject *result;

		if (i < files->names->len) {
			name = g_ptr_array_index(files->names, i);
			token = g_ptr_array_index(files->tokens, i);
			is_active = g_strcmp0(token, files->active) == 0;
		} else {
			/* the token file alone, when no stored token is it */
			if (files->active == NULL || active_imported)
				break;
			token = files->active;
			is_active = TRUE;
		}
		if (!login_with_token(auth, token, name, endpoint, is_active, &out_name, &identity,
				      &error_one)) {
			g_autofree gchar *ename = hfhub_cli_error_name(error_one);
			g_autofree gchar *emsg = hfhub_cli_error_message(error_one);

			failed++;
			result = json_object_new();
			json_object_set_string_member(result, "name",
						      name != NULL ? name : files->token_path);
			json_object_set_member(result, "error",
					       hfhub_json_error_object(ename, emsg));
			json_array_add_object_element(results, result);
			if (!cli->json) {
				g_autofree gchar *line = g_strdup_printf(
					/* TRANSLATORS: first %s a token's name or a path,
					 * second why it failed */
					_("Not imported: %s: %s"),
					name != NULL ? name : files->token_path, emsg);
				hfhub_console_print_error(&cli->console, line);
			}
			continue;
		}
		active_imported |= is_active;
		result = json_object_new();
		json_object_set_string_member(result, "name", out_name);
		json_object_set_member(result, "identity", hfhub_json_from_variant(identity));
		json_array_add_object_element(results, result);
		if (!cli->json) {
			g_autofree gchar *user =
				hfhub_text_sanitize(dict_string(identity, "user"), FALSE);
			g_autofree gchar *ident = hfhub_text_sanitize(out_name, FALSE);
			g_autofree gchar *line = g_strdup_printf(
				/* TRANSLATORS: first %s an identity name, second a user name */
				_("Imported “%s” (user %s)%s"), ident, user,
				dict_bool(identity, "default") ? _(", the default") : "");
			if (*dict_string(identity, "warning") != '\0')
				hfhub_console_print_warning(&cli->console,
							    dict_string(identity, "warning"));
			hfhub_console_print_line(line);
		}
	}
	if (cli->json) {
		JsonObject *object = json_object_new();
		g_autoptr(JsonNode) node = NULL;

		json_object_set_member(object, "imported", g_steal_pointer(&results_node));
		node = hfhub_json_take_object(object);
		hfhub_json_print(node);
	}
	return failed > 0 ? HFHUB_EXIT_FAILURE : HFHUB_EXIT_OK;
}
