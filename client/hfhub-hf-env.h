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
/* HF_HUB_DISABLE_PROGRESS_BARS */
gboolean
hfhub_hf_env_progress_disabled(void);
/* What hfhub says of the Hugging Face variables set in this environment
 * that have no effect on it (huggingface_hub#4219: an ignored variable must
 * never be silent): one translated sentence each, in a fixed order. */
GPtrArray *
hfhub_hf_env_ignored(void);

G_END_DECLS
