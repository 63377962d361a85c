/* The error domain: every code has its own D-Bus name, names map back to
 * codes across the bus, and foreign errors are converted, never leaked. */
#include "config.h"

#include <gio/gio.h>

#include "hfhub-error.h"
#include "hfhub-names.h"

static void
test_names_unique(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (gint code = 0; code < HFHUB_ERROR_LAST; code++) {
		const gchar *name = hfhub_error_to_dbus_name(code);
		gint back = -1;

		g_assert_true(g_str_has_prefix(name, HFHUB_DBUS_ERROR_PREFIX));
		g_assert_true(g_dbus_is_interface_name(name));
		g_assert_false(g_hash_table_contains(seen, name));
		g_hash_table_add(seen, (gpointer)name);
		g_assert_true(hfhub_error_from_dbus_name(name, &back));
		g_assert_cmpint(back, ==, code);
	}
	g_assert_false(hfhub_error_from_dbus_name("org.freedesktop.DBus.Error.Failed", NULL));
	/* out of range falls back to Failed rather than reading past the table */
	g_assert_cmpstr(hfhub_error_to_dbus_name(HFHUB_ERROR_LAST), ==,
			HFHUB_DBUS_ERROR_PREFIX "Failed");
}

static void
test_registered_with_gdbus(void)
{
	g_autoptr(GError) error = g_error_new_literal(HFHUB_ERROR, HFHUB_ERROR_GATED_REPO, "x");
	g_autofree gchar *name = g_dbus_error_encode_gerror(error);
	g_autoptr(GError) remote = NULL;

	g_assert_cmpstr(name, ==, "io.github.hfhub.Hub1.Error.GatedRepo");
	/* what a client gets from a method call */
	remote = g_dbus_error_new_for_dbus_error("io.github.hfhub.Hub1.Error.JobNotFound",
						 "there is no job 7");
	g_assert_error(remote, HFHUB_ERROR, HFHUB_ERROR_JOB_NOT_FOUND);
	g_assert_true(g_dbus_error_strip_remote_error(remote));
	g_assert_cmpstr(remote->message, ==, "there is no job 7");
}

static void
test_convert(void)
{
	struct {
		GQuark domain;
		gint code;
		gint expected;
	} cases[] = {
		{ G_IO_ERROR, G_IO_ERROR_CANCELLED, HFHUB_ERROR_CANCELLED },
		{ G_IO_ERROR, G_IO_ERROR_NO_SPACE, HFHUB_ERROR_DISK_FULL },
		{ G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, HFHUB_ERROR_IO },
		{ G_IO_ERROR, G_IO_ERROR_TIMED_OUT, HFHUB_ERROR_NETWORK },
		{ G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, HFHUB_ERROR_NETWORK },
		{ G_IO_ERROR, G_IO_ERROR_WOULD_MERGE, HFHUB_ERROR_FAILED },
		{ G_FILE_ERROR, G_FILE_ERROR_NOSPC, HFHUB_ERROR_DISK_FULL },
		{ G_FILE_ERROR, G_FILE_ERROR_ACCES, HFHUB_ERROR_IO },
		{ G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, HFHUB_ERROR_INVALID_ARGUMENT },
		{ G_VARIANT_PARSE_ERROR, G_VARIANT_PARSE_ERROR_FAILED,
		  HFHUB_ERROR_INVALID_ARGUMENT },
		{ G_DBUS_ERROR, G_DBUS_ERROR_NO_MEMORY, HFHUB_ERROR_FAILED },
		{ HFHUB_ERROR, HFHUB_ERROR_GATED_REPO, HFHUB_ERROR_GATED_REPO },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *error = g_error_new_literal(cases[i].domain, cases[i].code, "kept");
		hfhub_error_convert(&error);
		g_assert_error(error, HFHUB_ERROR, cases[i].expected);
		g_assert_cmpstr(error->message, ==, "kept");
		g_error_free(error);
	}
	/* no error, nothing to do */
	hfhub_error_convert(NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	(void)hfhub_error_quark();
	g_test_add_func("/error/names-unique", test_names_unique);
	g_test_add_func("/error/registered-with-gdbus", test_registered_with_gdbus);
	g_test_add_func("/error/convert", test_convert);
	return g_test_run();
}
