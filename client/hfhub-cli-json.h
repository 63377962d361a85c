/* JSON output of the CLI (--json): jobs, errors, GVariant values. */
#pragma once

#include <json-glib/json-glib.h>

#include "hfhub-dbus-generated.h"

G_BEGIN_DECLS

JsonNode *
hfhub_json_take_object(JsonObject *object);
JsonNode *
hfhub_json_take_array(JsonArray *array);
JsonNode *
hfhub_json_from_variant(GVariant *value);
JsonNode *
hfhub_json_job(HfhubDBusJob *job);
JsonNode *
hfhub_json_error_object(const gchar *name, const gchar *message);
JsonNode *
hfhub_json_error(const gchar *name, const gchar *message);
gchar *
hfhub_json_iso8601(gint64 unix_time);
void
hfhub_json_print(JsonNode *node);

G_END_DECLS
