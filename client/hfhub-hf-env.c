/* The Hugging Face environment variables, read as the hf CLI
 * (huggingface_hub/constants.py) reads them.
 *
 * hfhubd may have been started by D-Bus activation with another
 * environment than the shell's, so the CLI resolves these itself and sends
 * the result with each request: "HF_HUB_CACHE=/data/hf hfhub download …"
 * must land in /data/hf. */
#include "config.h"

#include "hfhub-hf-env.h"

#include <glib/gi18n.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

/* non-empty value of an environment variable, or NULL */
static const gchar *
getenv_nonempty(const gchar *name)
{
	const gchar *value = g_getenv(name);
	return value != NULL && *value != '\0' ? value : NULL;
}

/* os.path.expanduser(): "~" and "~/x" from $HOME, "~user/x" from passwd */
static gchar *
expand_user(const gchar *path)
{
	const gchar *rest;
	g_autofree gchar *user = NULL;
	const gchar *home = NULL;
	struct passwd *pw;

	if (path[0] != '~')
		return g_strdup(path);
	rest = strchr(path, '/');
	if (rest == NULL)
		rest = path + strlen(path);
	user = g_strndup(path + 1, rest - path - 1);
	if (*user == '\0') {
		home = g_get_home_dir();
	} else {
		pw = getpwnam(user);
		if (pw != NULL)
			home = pw->pw_dir;
	}
	if (home == NULL)
		return g_strdup(path);
	return g_strconcat(home, rest, NULL);
}

/* os.path.expandvars(): $NAME and ${NAME}; unknown variables stay as they
 * are */
static gchar *
expand_vars(const gchar *path)
{
	GString *out = g_string_new(NULL);
	const gchar *p = path;

	while (*p != '\0') {
		const gchar *start;
		const gchar *end;
		gboolean braced;
		g_autofree gchar *name = NULL;
		const gchar *value;

		if (*p != '$') {
			g_string_append_c(out, *p++);
			continue;
		}
		braced = p[1] == '{';
		start = p + (braced ? 2 : 1);
		end = start;
		if (braced) {
			end = strchr(start, '}');
		} else {
			while (g_ascii_isalnum(*end) || *end == '_')
				end++;
		}
		if (end == NULL || end == start) {
			g_string_append_c(out, *p++);
			continue;
		}
		name = g_strndup(start, end - start);
		value = g_getenv(name);
		if (value != NULL)
			g_string_append(out, value);
		else
			g_string_append_len(out, p, (end + (braced ? 1 : 0)) - p);
		p = end + (braced ? 1 : 0);
	}
	return g_string_free(out, FALSE);
}

/* "~" and "$VARS" expanded, then made absolute against the current
 * directory (the daemon's is not ours) */
gchar *
hfhub_hf_env_expand_path(const gchar *path)
{
	g_autofree gchar *user = expand_user(path);
	g_autofree gchar *vars = expand_vars(user);

	return g_canonicalize_filename(vars, NULL);
}

/* HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub; NULL when none is set (the daemon's
 * default applies) */
gchar *
hfhub_hf_env_cache_dir(void)
{
	const gchar *value;

	if ((value = getenv_nonempty("HF_HUB_CACHE")) != NULL ||
	    (value = getenv_nonempty("HUGGINGFACE_HUB_CACHE")) != NULL)
		return hfhub_hf_env_expand_path(value);
	if ((value = getenv_nonempty("HF_HOME")) != NULL) {
		g_autofree gchar *home = hfhub_hf_env_expand_path(value);
		return g_build_filename(home, "hub", NULL);
	}
	if ((value = getenv_nonempty("XDG_CACHE_HOME")) != NULL) {
		g_autofree gchar *home = hfhub_hf_env_expand_path(value);
		return g_build_filename(home, "huggingface", "hub", NULL);
	}
	return NULL;
}

/* HF_ENDPOINT without trailing slashes, or NULL */
gchar *
hfhub_hf_env_endpoint(void)
{
	const gchar *value = getenv_nonempty("HF_ENDPOINT");
	gchar *endpoint;
	gsize len;

	if (value == NULL)
		return NULL;
	endpoint = g_strdup(value);
	len = strlen(endpoint);
	while (len > 0 && endpoint[len - 1] == '/')
		endpoint[--len] = '\0';
	return endpoint;
}

/* huggingface_hub's _is_true() */
gboolean
hfhub_hf_env_is_true(const gchar *value)
{
	static const gchar *const yes[] = { "1", "on", "yes", "true" };

	for (guint i = 0; value != NULL && i < G_N_ELEMENTS(yes); i++) {
		if (g_ascii_strcasecmp(value, yes[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* HF_HUB_OFFLINE, or (when that is unset or empty) TRANSFORMERS_OFFLINE */
gboolean
hfhub_hf_env_offline(void)
{
	const gchar *value = getenv_nonempty("HF_HUB_OFFLINE");

	if (value == NULL)
		value = getenv_nonempty("TRANSFORMERS_OFFLINE");
	return hfhub_hf_env_is_true(value);
}

gboolean
hfhub_hf_env_progress_disabled(void)
{
	return hfhub_hf_env_is_true(g_getenv("HF_HUB_DISABLE_PROGRESS_BARS"));
}

typedef struct {
	const gchar *name; /* a variable, or a prefix ending in '_' */
	const gchar *why;  /* N_() */
} IgnoredVariable;

static const IgnoredVariable ignored_variables[] = {
	{ "HF_TOKEN",
	  /* TRANSLATORS: why HF_TOKEN in the shell has no effect */
	  N_("hfhubd never takes tokens from the shell; it uses the keyring (store the token "
	     "once with “hfhub auth login”) and its own environment.") },
	{ "HF_HUB_ENABLE_HF_TRANSFER",
	  /* TRANSLATORS: why HF_HUB_ENABLE_HF_TRANSFER has no effect */
	  N_("hfhubd makes and verifies every transfer itself.") },
	{ "HF_HUB_DISABLE_XET",
	  /* TRANSLATORS: why the Xet variables have no effect */
	  N_("hfhub transfers files over HTTP, never through Xet.") },
	{ "HF_XET_",
	  /* TRANSLATORS: why the Xet variables have no effect */
	  N_("hfhub transfers files over HTTP, never through Xet.") },
	{ "HF_HUB_DOWNLOAD_TIMEOUT",
	  /* TRANSLATORS: why the timeout variables have no effect */
	  N_("hfhubd retries a transfer that stopped after download.stall-timeout seconds "
	     "(set in hfhubd.conf).") },
	{ "HF_HUB_ETAG_TIMEOUT",
	  /* TRANSLATORS: why the timeout variables have no effect */
	  N_("hfhubd retries a transfer that stopped after download.stall-timeout seconds "
	     "(set in hfhubd.conf).") },
};

static gint
compare_strings(const void *a, const void *b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

GPtrArray *
hfhub_hf_env_ignored(void)
{
	GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
	g_auto(GStrv) environ = g_get_environ();

	qsort(environ, g_strv_length(environ), sizeof(gchar *), compare_strings);
	for (guint i = 0; i < G_N_ELEMENTS(ignored_variables); i++) {
		const IgnoredVariable *v = &ignored_variables[i];
		gboolean prefix = g_str_has_suffix(v->name, "_");

		for (guint j = 0; environ[j] != NULL; j++) {
			const gchar *eq = strchr(environ[j], '=');
			g_autofree gchar *name = NULL;

			if (eq == NULL || eq[1] == '\0')
				continue;
			name = g_strndup(environ[j], eq - environ[j]);
			if (prefix ? g_str_has_prefix(name, v->name) : g_str_equal(name, v->name))
				g_ptr_array_add(
					notes,
					/* TRANSLATORS: first %s an environment variable,
					 * second why it has no effect */
					g_strdup_printf(
						_("%s is set but has no effect on hfhub: %s"), name,
						_(v->why)));
		}
	}
	return notes;
}
