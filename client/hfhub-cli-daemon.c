/* hfhub version, hfhub daemon status */
#include "config.h"

#include <glib/gi18n.h>

#include "hfhub-cli-commands.h"
#include "hfhub-cli-json.h"
#include "hfhub-connect.h"
#include "hfhub-enums.h"
#include "hfhub-text.h"

/* hfhub version: ours, and the daemon's */
gint
hfhub_cli_cmd_version(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, NULL, _("Show the versions of hfhub, of hfhubd and of its D-Bus API."), NULL);
	g_autoptr(GError) error = NULL;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);

	if (!cli->json) {
		/* TRANSLATORS: version of this program */
		hfhub_console_print_kv(&cli->console, _("Client version"), PACKAGE_VERSION);
	}
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);

	if (cli->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_autoptr(JsonNode) node = NULL;

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "client_version");
		json_builder_add_string_value(builder, PACKAGE_VERSION);
		json_builder_set_member_name(builder, "daemon_version");
		json_builder_add_string_value(builder,
					      hfhub_dbus_manager_get_daemon_version(cli->manager));
		json_builder_set_member_name(builder, "api_version");
		json_builder_add_int_value(builder, hfhub_dbus_manager_get_version(cli->manager));
		json_builder_end_object(builder);
		node = json_builder_get_root(builder);
		hfhub_json_print(node);
	} else {
		g_autofree gchar *daemon_version = hfhub_text_sanitize(
			hfhub_dbus_manager_get_daemon_version(cli->manager), FALSE);
		g_autofree gchar *api =
			g_strdup_printf("%u", hfhub_dbus_manager_get_version(cli->manager));

		/* TRANSLATORS: version of hfhubd */
		hfhub_console_print_kv(&cli->console, _("Daemon version"), daemon_version);
		/* TRANSLATORS: version of the D-Bus interface */
		hfhub_console_print_kv(&cli->console, _("API version"), api);
	}
	return HFHUB_EXIT_OK;
}

static gchar *
describe_connection(HfhubCli *cli)
{
	g_autofree gchar *socket = NULL;

	if (cli->bus_name != NULL)
		/* TRANSLATORS: how we talk to hfhubd; %s is a D-Bus name */
		return g_strdup_printf(_("session bus (%s)"), cli->bus_name);
	socket = hfhub_connect_peer_socket_path();
	/* TRANSLATORS: how we talk to hfhubd; %s is a socket path */
	return g_strdup_printf(_("peer-to-peer (%s)"), socket);
}

/* the counts in state order, then any state a newer daemon adds */
static gchar *
format_counts(GVariant *counts)
{
	g_autoptr(GString) out = g_string_new(NULL);
	GVariantIter iter;
	const gchar *state;
	guint32 count;

	for (guint i = 0; counts != NULL && i < HFHUB_JOB_STATE_LAST; i++) {
		const gchar *nick = hfhub_job_state_to_string((HfhubJobState)i);
		if (!g_variant_lookup(counts, nick, "u", &count))
			count = 0;
		g_string_append_printf(out, "%s%s %u", out->len > 0 ? ", " : "", nick, count);
	}
	if (counts != NULL) {
		g_variant_iter_init(&iter, counts);
		while (g_variant_iter_next(&iter, "{&su}", &state, &count)) {
			HfhubJobState known;
			if (!hfhub_job_state_from_string(state, &known))
				g_string_append_printf(out, ", %s %u", state, count);
		}
	}
	return hfhub_text_sanitize(out->str, FALSE);
}

/* hfhub daemon status */
gint
hfhub_cli_cmd_daemon_status(HfhubCli *cli, gint argc, gchar **argv)
{
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, NULL, _("Show the state of hfhubd and how many jobs it has in each state."),
		NULL);
	g_autoptr(GError) error = NULL;
	GVariant *counts;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	if (!hfhub_cli_connect(cli, &error))
		return hfhub_cli_fail(cli, error);

	counts = hfhub_dbus_manager_get_job_counts(cli->manager);
	if (cli->json) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_autoptr(JsonNode) node = NULL;

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "daemon_version");
		json_builder_add_string_value(builder,
					      hfhub_dbus_manager_get_daemon_version(cli->manager));
		json_builder_set_member_name(builder, "api_version");
		json_builder_add_int_value(builder, hfhub_dbus_manager_get_version(cli->manager));
		json_builder_set_member_name(builder, "state");
		json_builder_add_string_value(builder, hfhub_dbus_manager_get_state(cli->manager));
		json_builder_set_member_name(builder, "job_counts");
		if (counts != NULL) {
			json_builder_add_value(builder, hfhub_json_from_variant(counts));
		} else {
			json_builder_begin_object(builder);
			json_builder_end_object(builder);
		}
		json_builder_set_member_name(builder, "connection");
		json_builder_add_string_value(builder,
					      cli->bus_name != NULL ? "session-bus" : "peer");
		json_builder_end_object(builder);
		node = json_builder_get_root(builder);
		hfhub_json_print(node);
	} else {
		g_autofree gchar *daemon_version = hfhub_text_sanitize(
			hfhub_dbus_manager_get_daemon_version(cli->manager), FALSE);
		g_autofree gchar *api =
			g_strdup_printf("%u", hfhub_dbus_manager_get_version(cli->manager));
		g_autofree gchar *state =
			hfhub_text_sanitize(hfhub_dbus_manager_get_state(cli->manager), FALSE);
		g_autofree gchar *jobs = format_counts(counts);
		g_autofree gchar *connection = describe_connection(cli);

		/* TRANSLATORS: version of hfhubd */
		hfhub_console_print_kv(&cli->console, _("Daemon version"), daemon_version);
		/* TRANSLATORS: version of the D-Bus interface */
		hfhub_console_print_kv(&cli->console, _("API version"), api);
		/* TRANSLATORS: idle or busy */
		hfhub_console_print_kv(&cli->console, _("State"), state);
		/* TRANSLATORS: number of jobs per state */
		hfhub_console_print_kv(&cli->console, _("Jobs"), jobs);
		/* TRANSLATORS: how the CLI talks to hfhubd */
		hfhub_console_print_kv(&cli->console, _("Connection"), connection);
	}
	return HFHUB_EXIT_OK;
}
