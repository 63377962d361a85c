/* Human-readable text for job properties, shared by the commands. */
#pragma once

#include "hfhub-dbus-generated.h"

G_BEGIN_DECLS

gchar *
hfhub_format_job_progress(HfhubDBusJob *job);
gchar *
hfhub_format_repo(const gchar *repo_type, const gchar *repo_id);
gchar *
hfhub_format_time(gint64 unix_time);
gchar *
hfhub_format_variant(GVariant *value);
gchar *
hfhub_format_dict(GVariant *dict);
gchar *
hfhub_format_job_id(HfhubDBusJob *job);

G_END_DECLS
