#include "config.h"

#define G_LOG_DOMAIN "hfhubd"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "hfhub-config.h"
#include "hfhub-daemon.h"
#include "hfhub-desktop.h"
#include "hfhub-engine.h"
#include "hfhub-error.h"
#include "hfhub-identities.h"
#include "hfhub-kinds.h"
#include "hfhub-log.h"
#include "hfhub-store.h"

typedef struct {
	GMainLoop *loop;
	HfhubEngine *engine;
	gint status;
} Context;

static gboolean
quit_on_signal_cb(gpointer user_data)
{
	Context *ctx = user_data;

	g_message("stopping on a signal");
	ctx->status = 0;
	g_main_loop_quit(ctx->loop);
	return G_SOURCE_CONTINUE;
}

static void
daemon_quit_cb(HfhubDaemon *daemon, gint status, gpointer user_data)
{
	Context *ctx = user_data;

	ctx->status = status;
	g_main_loop_quit(ctx->loop);
}

/* $STATE_DIRECTORY when systemd gives one, else $XDG_STATE_HOME/hfhub */
static gchar *
default_state_dir(void)
{
	const gchar *systemd = g_getenv("STATE_DIRECTORY");

	if (systemd != NULL && *systemd != '\0' && strchr(systemd, ':') == NULL)
		return g_strdup(systemd);
	return g_build_filename(g_get_user_state_dir(), "hfhub", NULL);
}

int
main(int argc, char **argv)
{
	gboolean replace = FALSE;
	gboolean peer = FALSE;
	gboolean version = FALSE;
	gboolean verbose = FALSE;
	gint idle_timeout = -1;
	g_autofree gchar *socket_path = NULL;
	g_autofree gchar *state_dir = NULL;
	g_autofree gchar *config_path = NULL;
	g_autofree gchar *log_path = NULL;
	g_autofree gchar *db_path = NULL;
	g_autoptr(GOptionContext) options = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HfhubConfig) config = NULL;
	g_autoptr(HfhubStore) store = NULL;
	g_autoptr(HfhubEngine) engine = NULL;
	g_autoptr(HfhubIdentities) identities = NULL;
	g_autoptr(HfhubDaemon) daemon = NULL;
	g_autoptr(HfhubDesktop) desktop = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	Context ctx = { 0 };
	const GOptionEntry entries[] = {
		{ "replace", 'r', 0, G_OPTION_ARG_NONE, &replace,
		  /* TRANSLATORS: --replace */
		  N_("Replace a running hfhubd on the session bus"), NULL },
		{ "peer", 0, 0, G_OPTION_ARG_NONE, &peer,
		  N_("Serve clients on a private socket instead of the session bus"), NULL },
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path,
		  N_("The socket for --peer (default: $XDG_RUNTIME_DIR/hfhub/hfhubd.sock)"),
		  N_("PATH") },
		{ "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
		  N_("Where the job database lives (default: $XDG_STATE_HOME/hfhub)"), N_("DIR") },
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
		  N_("The configuration file (default: $XDG_CONFIG_HOME/hfhub/hfhubd.conf)"),
		  N_("FILE") },
		{ "log-file", 0, 0, G_OPTION_ARG_FILENAME, &log_path,
		  N_("Also write the log to this file (default with --peer: "
		     "STATE_DIR/hfhubd.log)"),
		  N_("FILE") },
		{ "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
		  N_("Exit after this many idle seconds; 0 never (overrides the config)"),
		  N_("SECONDS") },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages"), NULL },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version"), NULL },
		{ NULL }
	};

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	(void)hfhub_error_quark();

	/* TRANSLATORS: the summary line of hfhubd --help */
	options = g_option_context_new(_("— the Hugging Face Hub service"));
	g_option_context_add_main_entries(options, entries, GETTEXT_PACKAGE);
	if (!g_option_context_parse(options, &argc, &argv, &error)) {
		g_printerr("hfhubd: %s\n", error->message);
		return 2;
	}
	if (version) {
		g_print("hfhubd %s\n", PACKAGE_VERSION);
		return 0;
	}

	if (state_dir == NULL)
		state_dir = default_state_dir();
	if (log_path == NULL && peer)
		log_path = g_build_filename(state_dir, "hfhubd.log", NULL);
	hfhub_log_setup(log_path, verbose);

	config = hfhub_config_new(config_path, &error);
	if (config == NULL) {
		g_critical("configuration: %s", error->message);
		return 1;
	}
	if (idle_timeout >= 0)
		hfhub_config_set_idle_timeout(config, (guint)idle_timeout);

	db_path = g_build_filename(state_dir, "hfhub.db", NULL);
	store = hfhub_store_new(db_path, &error);
	if (store == NULL) {
		g_critical("job database: %s", error->message);
		return 1;
	}
	engine = hfhub_engine_new(config, store);
	/* takes HF_TOKEN out of the environment: early, before threads; the
	 * tokens are read before any job can start */
	identities = hfhub_identities_new(state_dir, config, hfhub_engine_get_http(engine));
	hfhub_identities_load(identities);
	hfhub_engine_set_identities(engine, identities);
	hfhub_kinds_register_all(engine);
	if (!hfhub_engine_load(engine, &error)) {
		g_critical("loading jobs: %s", error->message);
		return 1;
	}

	daemon = hfhub_daemon_new(engine);
	desktop = hfhub_desktop_new(engine);
	loop = g_main_loop_new(NULL, FALSE);
	ctx.loop = loop;
	ctx.engine = engine;
	g_signal_connect(daemon, "quit", G_CALLBACK(daemon_quit_cb), &ctx);
	g_unix_signal_add(SIGTERM, quit_on_signal_cb, &ctx);
	g_unix_signal_add(SIGINT, quit_on_signal_cb, &ctx);

	if (peer) {
		if (socket_path == NULL)
			socket_path = hfhub_daemon_default_socket_path();
		if (!hfhub_daemon_start_peer(daemon, socket_path, &error)) {
			g_critical("%s", error->message);
			return 1;
		}
	} else {
		g_autoptr(GDBusConnection) bus = g_bus_get_sync(G_BUS_TYPE_SESSION, NULL, &error);
		if (bus == NULL) {
			g_critical("no session bus (%s); run “hfhubd --peer” to serve "
				   "clients on a private socket",
				   error->message);
			return 1;
		}
		hfhub_daemon_start_bus(daemon, bus, replace);
	}

	g_message("hfhubd %s started (state in %s)", PACKAGE_VERSION, state_dir);
	g_main_loop_run(loop);
	hfhub_engine_shutdown(engine);
	g_message("hfhubd stopped");
	return ctx.status;
}
