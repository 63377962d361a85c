/* The Hugging Face environment variables, read as the hf CLI reads them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gchar *
hfhub_hf_env_expand_path(const gchar *path);
gchar *
hfhub_hf_env_cache_dir(void);
gchar *
hfhub_hf_env_endpoint(void);
gboolean
hfhub_hf_env_offline(void);
gboolean
hfhub_hf_env_is_true(const gchar *value);

G_END_DECLS
