/* git-credential-hfhub: a git credential helper that answers for the Hub.
 *
 *   git config --global credential.https://huggingface.co.helper hfhub
 *   git clone https://huggingface.co/org/model
 *
 * For "get" it finds the identity whose endpoint has the asked protocol,
 * host and port (the one named by --name, else the one whose user or name
 * is the asked username, else the endpoint's default, else the only one)
 * and prints its Hub user name and token, read from the keyring (or the
 * fallback file) as `hfhub auth token` does; hfhubd is not involved.
 * Anything else ("store", "erase") is ignored: identities are managed with
 * `hfhub auth`. Nothing is printed for a host hfhub has no identity for, so
 * git goes on to its other helpers. */
#include "config.h"

#define G_LOG_DOMAIN "GitCredentialHfhub"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hfhub-error.h"
#include "hfhub-identity-index.h"
#include "hfhub-secrets.h"

/* git sends a few short lines */
#define MAX_INPUT_LINE 65536

typedef struct {
	gchar *protocol;
	gchar *host;
	gchar *username;
} Request;

static void
request_clear(Request *req)
{
	g_free(req->protocol);
	g_free(req->host);
	g_free(req->username);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Request, request_clear)

static void
replace_str(gchar **field, const gchar *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

/* "key=value" lines up to a blank line or EOF */
static void
read_request(Request *req)
{
	gchar *line = g_malloc(MAX_INPUT_LINE);

	while (fgets(line, MAX_INPUT_LINE, stdin) != NULL) {
		gchar *eq;

		g_strchomp(line);
		if (*line == '\0')
			break;
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		if (g_str_equal(line, "protocol"))
			replace_str(&req->protocol, eq + 1);
		else if (g_str_equal(line, "host"))
			replace_str(&req->host, eq + 1);
		else if (g_str_equal(line, "username"))
			replace_str(&req->username, eq + 1);
	}
	/* a password git sent along (for store/erase) goes with the buffer */
	hfhub_secrets_wipe(line, MAX_INPUT_LINE);
	g_free(line);
}

/* scheme://host[:port] of an endpoint, its path left out */
static gchar *
origin_of(const gchar *endpoint)
{
	const gchar *start = strstr(endpoint, "://");
	const gchar *slash = start != NULL ? strchr(start + 3, '/') : NULL;

	return slash != NULL ? g_strndup(endpoint, slash - endpoint) : g_strdup(endpoint);
}

static HfhubIdentityInfo *
choose(GPtrArray *infos, const gchar *origin, const gchar *name, const gchar *username)
{
	HfhubIdentityInfo *by_user = NULL;
	HfhubIdentityInfo *by_default = NULL;
	HfhubIdentityInfo *only = NULL;
	guint n = 0;

	for (guint i = 0; i < infos->len; i++) {
		HfhubIdentityInfo *info = g_ptr_array_index(infos, i);
		g_autofree gchar *info_origin = origin_of(info->endpoint);

		if (!g_str_equal(info_origin, origin))
			continue;
		if (name != NULL) {
			if (g_str_equal(info->name, name))
				return info;
			continue;
		}
		n++;
		only = info;
		if (username != NULL &&
		    (g_strcmp0(info->user, username) == 0 || g_str_equal(info->name, username))) {
			/* the default wins among several of the same user */
			if (by_user == NULL || info->is_default)
				by_user = info;
		}
		if (info->is_default && by_default == NULL)
			by_default = info;
	}
	if (name != NULL)
		return NULL;
	if (by_user != NULL)
		return by_user;
	if (username != NULL && *username != '\0')
		return NULL;
	if (by_default != NULL)
		return by_default;
	return n == 1 ? only : NULL;
}

int
main(int argc, char **argv)
{
	g_autofree gchar *name = NULL;
	g_autofree gchar *state_dir = NULL;
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(Request) req = { 0 };
	g_autofree gchar *url = NULL;
	g_autofree gchar *origin = NULL;
	g_autofree gchar *index_path = NULL;
	g_autoptr(GPtrArray) infos = NULL;
	g_autoptr(HfhubToken) token = NULL;
	HfhubIdentityInfo *info;
	const GOptionEntry entries[] = {
		{ "name", 0, 0, G_OPTION_ARG_STRING, &name,
		  /* TRANSLATORS: command line option of git-credential-hfhub */
		  N_("Answer with this identity"), N_("NAME") },
		{ "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
		  /* TRANSLATORS: command line option of git-credential-hfhub */
		  N_("hfhubd's state directory (default: $XDG_STATE_HOME/hfhub)"), N_("DIR") },
		{ NULL }
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	(void)hfhub_error_quark();

	/* TRANSLATORS: the usage line of git-credential-hfhub */
	context = g_option_context_new(_("get|store|erase — a git credential helper for the "
					 "Hugging Face Hub"));
	g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("git-credential-hfhub: %s\n", error->message);
		return 2;
	}
	if (argc != 2) {
		g_printerr("git-credential-hfhub: %s\n",
			   _("Give one operation: get, store or erase."));
		return 2;
	}
	read_request(&req);
	/* identities are managed with “hfhub auth”, not by git */
	if (!g_str_equal(argv[1], "get"))
		return 0;
	if (req.protocol == NULL || req.host == NULL)
		return 0;

	url = g_strdup_printf("%s://%s", req.protocol, req.host);
	origin = hfhub_identity_normalize_endpoint(url, NULL);
	if (origin == NULL)
		return 0;
	if (state_dir == NULL)
		state_dir = hfhub_identity_default_state_dir();
	index_path = hfhub_identity_index_path(state_dir);
	infos = hfhub_identity_index_load(index_path, &error);
	if (infos == NULL) {
		g_printerr("git-credential-hfhub: %s\n", error->message);
		return 0;
	}
	info = choose(infos, origin, name, req.username);
	if (info == NULL)
		return 0;
	/* git runs us from a terminal session: the keyring may ask to be
	 * unlocked, as git-credential-libsecret's would */
	token = hfhub_identity_read_token(state_dir, info, TRUE, NULL, &error);
	if (token == NULL) {
		if (error != NULL)
			g_printerr("git-credential-hfhub: %s\n", error->message);
		return 0;
	}
	g_print("username=%s\npassword=%s\n",
		info->user != NULL && *info->user != '\0' ? info->user : info->name, token);
	return 0;
}
