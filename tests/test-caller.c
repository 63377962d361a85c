/* Unit tests of what hfhubd reads of its callers: application IDs from a
 * Flatpak instance's .flatpak-info and from systemd or snap cgroups, and
 * who counts as the user's hfhub. */
#include "config.h"

#include <unistd.h>

#include "hfhub-caller.h"

static void
assert_cgroup(const gchar *cgroup, const gchar *expected, gboolean expected_snap)
{
	gboolean is_snap = !expected_snap;
	g_autofree gchar *app_id = hfhub_caller_app_id_from_cgroup(cgroup, &is_snap);

	g_assert_cmpstr(app_id, ==, expected);
	g_assert_cmpint(is_snap, ==, expected_snap);
}

static void
test_cgroup_systemd(void)
{
	/* a desktop launcher's scope, with and without a launcher part */
	assert_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "app-gnome-org.gnome.Terminal-3117.scope\n",
		      "org.gnome.Terminal", FALSE);
	assert_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "app-org.kde.konsole-88.scope\n",
		      "org.kde.konsole", FALSE);
	/* dashes inside the ID are escaped */
	assert_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "app-gnome-org.example.my\\x2dapp-42.scope\n",
		      "org.example.my-app", FALSE);
	/* services, with and without an instance */
	assert_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "app-gnome-org.gnome.Epiphany@0f3a9c.service\n",
		      "org.gnome.Epiphany", FALSE);
	assert_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "app-org.example.Sync.service\n",
		      "org.example.Sync", FALSE);
	/* cgroup v1: the name=systemd hierarchy */
	assert_cgroup("12:memory:/user.slice\n"
		      "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/"
		      "app-gnome-org.gnome.Builder-7.scope\n",
		      "org.gnome.Builder", FALSE);
}

static void
test_cgroup_snap(void)
{
	assert_cgroup("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		      "snap.firefox.firefox-1a2b.scope\n",
		      "snap.firefox", TRUE);
	assert_cgroup("0::/snap.\n", NULL, FALSE);
}

static void
test_cgroup_none(void)
{
	/* a terminal's shell, a service, a test runner, garbage */
	assert_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n", NULL, FALSE);
	assert_cgroup("0::/system.slice/ssh.service\n", NULL, FALSE);
	assert_cgroup("0::/\n", NULL, FALSE);
	assert_cgroup("", NULL, FALSE);
	assert_cgroup("not a cgroup file", NULL, FALSE);
	assert_cgroup("0::/app.slice/app-.scope\n", NULL, FALSE);
	assert_cgroup("0::/app.slice/app--1.scope\n", NULL, FALSE);
}

static void
test_flatpak_info(void)
{
	const gchar *app = "[Application]\nname=org.example.Viewer\nruntime=runtime/org."
			   "gnome.Platform/x86_64/45\n\n[Instance]\ninstance-id=123\n";
	const gchar *runtime = "[Runtime]\nname=org.gnome.Sdk\n";
	g_autofree gchar *a = hfhub_caller_app_id_from_flatpak_info(app, strlen(app));
	g_autofree gchar *r = hfhub_caller_app_id_from_flatpak_info(runtime, strlen(runtime));
	g_autofree gchar *bad = hfhub_caller_app_id_from_flatpak_info("\x01\x02[", 3);
	g_autofree gchar *empty =
		hfhub_caller_app_id_from_flatpak_info("[Application]\nname=\n", 20);

	g_assert_cmpstr(a, ==, "org.example.Viewer");
	g_assert_cmpstr(r, ==, "org.gnome.Sdk");
	g_assert_null(bad);
	g_assert_null(empty);
}

static void
test_is_hfhub_cli(void)
{
	HfhubCallerInfo info = { .uid = getuid(), .pid = 1, .exe = (gchar *)"/usr/bin/hfhub" };

	g_assert_true(hfhub_caller_info_is_hfhub_cli(&info));
	info.exe = (gchar *)"/usr/bin/hfhub (deleted)";
	g_assert_true(hfhub_caller_info_is_hfhub_cli(&info));
	/* another program, another user, a sandbox, nothing known */
	info.exe = (gchar *)"/usr/bin/hfhub-gtk";
	g_assert_false(hfhub_caller_info_is_hfhub_cli(&info));
	info.exe = (gchar *)"/usr/bin/python3.11";
	g_assert_false(hfhub_caller_info_is_hfhub_cli(&info));
	info.exe = (gchar *)"/usr/bin/hfhub";
	info.uid = getuid() + 1;
	g_assert_false(hfhub_caller_info_is_hfhub_cli(&info));
	info.uid = getuid();
	info.sandboxed = TRUE;
	g_assert_false(hfhub_caller_info_is_hfhub_cli(&info));
	info.sandboxed = FALSE;
	info.exe = NULL;
	g_assert_false(hfhub_caller_info_is_hfhub_cli(&info));
	g_assert_false(hfhub_caller_info_is_hfhub_cli(NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/caller/cgroup/systemd", test_cgroup_systemd);
	g_test_add_func("/caller/cgroup/snap", test_cgroup_snap);
	g_test_add_func("/caller/cgroup/none", test_cgroup_none);
	g_test_add_func("/caller/flatpak-info", test_flatpak_info);
	g_test_add_func("/caller/is-hfhub-cli", test_is_hfhub_cli);
	return g_test_run();
}
