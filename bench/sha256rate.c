/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Single-core SHA-256 rate of the two implementations hfhubd could use:
 * GnuTLS (what daemon/hfhub-hash.c calls) and GLib's GChecksum. Hashes a
 * 1 MiB buffer repeatedly for about SECONDS (default 2) each and prints
 *
 *   gnutls-sha256 <bytes per second>
 *   gchecksum-sha256 <bytes per second>
 *
 * Built and run by bench/bench.py:
 *   cc -O2 sha256rate.c $(pkg-config --cflags --libs gnutls glib-2.0)
 */
#include <glib.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF (1024 * 1024)

static double
rate_gnutls(const guint8 *buf, double seconds)
{
	gnutls_hash_hd_t h;
	guint8 digest[32];
	guint64 bytes = 0;
	gint64 t0 = g_get_monotonic_time(), t;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	do {
		for (int i = 0; i < 16; i++)
			gnutls_hash(h, buf, BUF);
		bytes += 16 * (guint64)BUF;
		t = g_get_monotonic_time();
	} while (t - t0 < (gint64)(seconds * 1e6));
	gnutls_hash_deinit(h, digest);
	return (double)bytes / ((double)(t - t0) / 1e6);
}

static double
rate_gchecksum(const guint8 *buf, double seconds)
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	guint64 bytes = 0;
	gint64 t0 = g_get_monotonic_time(), t;

	do {
		for (int i = 0; i < 16; i++)
			g_checksum_update(c, buf, BUF);
		bytes += 16 * (guint64)BUF;
		t = g_get_monotonic_time();
	} while (t - t0 < (gint64)(seconds * 1e6));
	g_checksum_free(c);
	return (double)bytes / ((double)(t - t0) / 1e6);
}

int
main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	guint8 *buf = g_malloc(BUF);

	if (seconds <= 0 || seconds > 30)
		seconds = 2.0;
	for (int i = 0; i < BUF; i++)
		buf[i] = (guint8)(i * 131 + 7);
	printf("gnutls-sha256 %.0f\n", rate_gnutls(buf, seconds));
	printf("gchecksum-sha256 %.0f\n", rate_gchecksum(buf, seconds));
	g_free(buf);
	return 0;
}
