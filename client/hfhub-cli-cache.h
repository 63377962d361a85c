/* hfhub cache ls|rm|prune|verify: the cache commands. ls and what the
 * commands share are in hfhub-cli-cache.c, the others in
 * hfhub-cli-cache-rm.c. */
#pragma once

#include "hfhub-cli.h"

G_BEGIN_DECLS

gint
hfhub_cli_cmd_cache_ls(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_cache_rm(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_cache_prune(HfhubCli *cli, gint argc, gchar **argv);
gint
hfhub_cli_cmd_cache_verify(HfhubCli *cli, gint argc, gchar **argv);

/* ---- shared by the cache commands */

/* the Cache proxy on the CLI's connection, with a long call timeout */
HfhubDBusCache *
hfhub_cli_cache_proxy(HfhubCli *cli, GError **error);
/* a{sv} options with "cache-dir": @cache_dir_arg (--cache-dir), else
 * HF_HUB_CACHE or HF_HOME/hub, as hf reads them */
GVariantDict *
hfhub_cli_cache_options_new(const gchar *cache_dir_arg);
/* typed lookups in an a{sv} reply: "", 0 or an empty list when absent */
const gchar *
hfhub_cli_cache_lookup_str(GVariant *dict, const gchar *key);
guint64
hfhub_cli_cache_lookup_t(GVariant *dict, const gchar *key);
guint32
hfhub_cli_cache_lookup_u(GVariant *dict, const gchar *key);
gdouble
hfhub_cli_cache_lookup_d(GVariant *dict, const gchar *key);
/* borrowed strings in a new array, never NULL: free the array only */
const gchar **
hfhub_cli_cache_lookup_strv(GVariant *dict, const gchar *key);

G_END_DECLS
