/* HfhubConfig: hfhubd.conf (key file) merged over built-in defaults, and
 * changeable while the daemon runs (a change is saved back to the file and
 * announced with the "changed" signal, detail = "group.key"). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HFHUB_TYPE_CONFIG (hfhub_config_get_type())
G_DECLARE_FINAL_TYPE(HfhubConfig, hfhub_config, HFHUB, CONFIG, GObject)

/* Reads @path when it exists (a missing file means defaults). Unknown keys
 * and bad values are errors naming the key, so a typo is never ignored. */
HfhubConfig *
hfhub_config_new(const gchar *path, GError **error);

/* The default location: $XDG_CONFIG_HOME/hfhub/hfhubd.conf */
gchar *
hfhub_config_default_path(void);

const gchar *
hfhub_config_get_path(HfhubConfig *self);

/* ---- generic access by "group.key" (D-Bus, CLI) */

/* every key and its current value, a{sv} */
GVariant *
hfhub_config_dup_all(HfhubConfig *self);
/* NULL with INVALID_ARGUMENT for an unknown key */
GVariant *
hfhub_config_dup_value(HfhubConfig *self, const gchar *key, GError **error);
/* @value is of the key's type, or a string in key-file syntax. Validates,
 * applies, saves the file, emits "changed". Nothing changes on error. */
gboolean
hfhub_config_set_value(HfhubConfig *self, const gchar *key, GVariant *value, GError **error);

/* ---- typed getters */

/* seconds without queued or running jobs before the daemon exits; 0 = never */
guint
hfhub_config_get_idle_timeout(HfhubConfig *self);
void
hfhub_config_set_idle_timeout(HfhubConfig *self, guint seconds);
guint
hfhub_config_get_max_running_jobs(HfhubConfig *self);
guint
hfhub_config_get_keep_finished_days(HfhubConfig *self);
/* Hub defaults; the daemon's environment (HF_ENDPOINT, HF_HUB_CACHE, HF_HOME,
 * HF_HUB_OFFLINE) wins over the file, a request's options win over both. */
const gchar *
hfhub_config_get_endpoint(HfhubConfig *self);
const gchar *
hfhub_config_get_cache_dir(HfhubConfig *self);
gboolean
hfhub_config_get_offline(HfhubConfig *self);
guint
hfhub_config_get_download_parallelism(HfhubConfig *self);
/* seconds without a byte before a transfer is dropped and resumed */
guint
hfhub_config_get_stall_timeout(HfhubConfig *self);
/* bytes per second for all downloads (uploads) together; 0 = no limit */
guint64
hfhub_config_get_download_bandwidth_limit(HfhubConfig *self);
guint64
hfhub_config_get_upload_bandwidth_limit(HfhubConfig *self);
/* the default window jobs work in ("HH:MM-HH:MM"), "" = always */
const gchar *
hfhub_config_get_window(HfhubConfig *self);
gboolean
hfhub_config_get_unmetered_only(HfhubConfig *self);
/* desktop notifications for jobs nobody watches */
gboolean
hfhub_config_get_notifications(HfhubConfig *self);
/* "auto" (ask the network monitor), "yes" or "no" */
const gchar *
hfhub_config_get_network_metered(HfhubConfig *self);

G_END_DECLS
