/* JSON output of the CLI (--json): jobs, errors, GVariant values.
 *
 * JSON is the stable interface of hfhub (text output may change), so the
 * shapes here are documented in the man page: keys in snake_case for our own
 * objects, a{sv} maps (job options and results) with their D-Bus keys as
 * they are. GVariants are converted by hand rather than with
 * json_gvariant_serialize() so that every integer type becomes a JSON
 * number, a{s*} an object, and ay a string when it holds one. */
#include "config.h"

#include "hfhub-cli-json.h"

#include <stdio.h>
#include <string.h>

/* a node owning object (json_node_init_object() would add a reference) */
JsonNode *
hfhub_json_take_object(JsonObject *object)
{
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);

	json_node_take_object(node, object);
	return node;
}

JsonNode *
hfhub_json_take_array(JsonArray *array)
{
	JsonNode *node = json_node_new(JSON_NODE_ARRAY);

	json_node_take_array(node, array);
	return node;
}

static JsonNode *
node_int(gint64 value)
{
	JsonNode *node = json_node_alloc();
	return json_node_init_int(node, value);
}

static JsonNode *
node_string(const gchar *value)
{
	JsonNode *node = json_node_alloc();

	if (value == NULL)
		return json_node_init_null(node);
	return json_node_init_string(node, value);
}

static JsonNode *
bytes_from_variant(GVariant *value)
{
	gsize n = 0;
	const guint8 *data = g_variant_get_fixed_array(value, &n, 1);
	JsonArray *array;

	/* a bytestring (file names are sent this way) */
	if (n > 0 && data[n - 1] == '\0' && memchr(data, '\0', n - 1) == NULL &&
	    g_utf8_validate((const gchar *)data, (gssize)n - 1, NULL))
		return node_string((const gchar *)data);
	array = json_array_sized_new((guint)n);
	for (gsize i = 0; i < n; i++)
		json_array_add_int_element(array, data[i]);
	return hfhub_json_take_array(array);
}

static JsonNode *
dict_from_variant(GVariant *value)
{
	JsonObject *object = json_object_new();
	GVariantIter iter;
	GVariant *entry;

	g_variant_iter_init(&iter, value);
	while ((entry = g_variant_iter_next_value(&iter)) != NULL) {
		g_autoptr(GVariant) key = g_variant_get_child_value(entry, 0);
		g_autoptr(GVariant) val = g_variant_get_child_value(entry, 1);
		g_autofree gchar *key_str = NULL;

		if (g_variant_is_of_type(key, G_VARIANT_TYPE_STRING) ||
		    g_variant_is_of_type(key, G_VARIANT_TYPE_OBJECT_PATH) ||
		    g_variant_is_of_type(key, G_VARIANT_TYPE_SIGNATURE))
			key_str = g_variant_dup_string(key, NULL);
		else
			key_str = g_variant_print(key, FALSE);
		json_object_set_member(object, key_str, hfhub_json_from_variant(val));
		g_variant_unref(entry);
	}
	return hfhub_json_take_object(object);
}

static JsonNode *
array_from_variant(GVariant *value)
{
	JsonArray *array = json_array_new();
	GVariantIter iter;
	GVariant *child;

	g_variant_iter_init(&iter, value);
	while ((child = g_variant_iter_next_value(&iter)) != NULL) {
		json_array_add_element(array, hfhub_json_from_variant(child));
		g_variant_unref(child);
	}
	return hfhub_json_take_array(array);
}

JsonNode *
hfhub_json_from_variant(GVariant *value)
{
	if (value == NULL)
		return json_node_init_null(json_node_alloc());

	switch (g_variant_classify(value)) {
	case G_VARIANT_CLASS_BOOLEAN:
		return json_node_init_boolean(json_node_alloc(), g_variant_get_boolean(value));
	case G_VARIANT_CLASS_BYTE:
		return node_int(g_variant_get_byte(value));
	case G_VARIANT_CLASS_INT16:
		return node_int(g_variant_get_int16(value));
	case G_VARIANT_CLASS_UINT16:
		return node_int(g_variant_get_uint16(value));
	case G_VARIANT_CLASS_INT32:
		return node_int(g_variant_get_int32(value));
	case G_VARIANT_CLASS_UINT32:
		return node_int(g_variant_get_uint32(value));
	case G_VARIANT_CLASS_INT64:
		return node_int(g_variant_get_int64(value));
	case G_VARIANT_CLASS_HANDLE:
		return node_int(g_variant_get_handle(value));
	case G_VARIANT_CLASS_UINT64: {
		guint64 v = g_variant_get_uint64(value);
		if (v > G_MAXINT64)
			return json_node_init_double(json_node_alloc(), (gdouble)v);
		return node_int((gint64)v);
	}
	case G_VARIANT_CLASS_DOUBLE:
		return json_node_init_double(json_node_alloc(), g_variant_get_double(value));
	case G_VARIANT_CLASS_STRING:
	case G_VARIANT_CLASS_OBJECT_PATH:
	case G_VARIANT_CLASS_SIGNATURE:
		return node_string(g_variant_get_string(value, NULL));
	case G_VARIANT_CLASS_VARIANT: {
		g_autoptr(GVariant) child = g_variant_get_variant(value);
		return hfhub_json_from_variant(child);
	}
	case G_VARIANT_CLASS_MAYBE: {
		g_autoptr(GVariant) child = g_variant_get_maybe(value);
		return hfhub_json_from_variant(child);
	}
	case G_VARIANT_CLASS_ARRAY:
		if (g_variant_is_of_type(value, G_VARIANT_TYPE_BYTESTRING))
			return bytes_from_variant(value);
		if (g_variant_type_is_dict_entry(g_variant_type_element(g_variant_get_type(value))))
			return dict_from_variant(value);
		return array_from_variant(value);
	case G_VARIANT_CLASS_TUPLE:
	case G_VARIANT_CLASS_DICT_ENTRY:
	default:
		return array_from_variant(value);
	}
}

/* "2024-05-01T12:03:00Z", or NULL for 0 (unknown) */
gchar *
hfhub_json_iso8601(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = NULL;

	if (unix_time <= 0)
		return NULL;
	dt = g_date_time_new_from_unix_utc(unix_time);
	if (dt == NULL)
		return NULL;
	return g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
}

static JsonNode *
node_time(gint64 unix_time)
{
	g_autofree gchar *iso = hfhub_json_iso8601(unix_time);
	return node_string(iso);
}

/* an a{sv} property as an object; {} while the property is not known */
static JsonNode *
node_dict(GVariant *value)
{
	if (value == NULL)
		return hfhub_json_take_object(json_object_new());
	return hfhub_json_from_variant(value);
}

/* {"name": …, "message": …} */
JsonNode *
hfhub_json_error_object(const gchar *name, const gchar *message)
{
	JsonObject *object = json_object_new();

	json_object_set_string_member(object, "name", name != NULL ? name : "");
	json_object_set_string_member(object, "message", message != NULL ? message : "");
	return hfhub_json_take_object(object);
}

/* {"error": {"name": …, "message": …}}, what --json prints on failure */
JsonNode *
hfhub_json_error(const gchar *name, const gchar *message)
{
	JsonObject *object = json_object_new();

	json_object_set_member(object, "error", hfhub_json_error_object(name, message));
	return hfhub_json_take_object(object);
}

/* The job object: the Job properties under stable snake_case keys. */
JsonNode *
hfhub_json_job(HfhubDBusJob *job)
{
	JsonObject *object = json_object_new();
	const gchar *error_name = hfhub_dbus_job_get_error_name(job);

	json_object_set_member(object, "id", node_int((gint64)hfhub_dbus_job_get_id(job)));
	json_object_set_member(object, "path",
			       node_string(g_dbus_proxy_get_object_path(G_DBUS_PROXY(job))));
	json_object_set_member(object, "kind", node_string(hfhub_dbus_job_get_kind(job)));
	json_object_set_member(object, "state", node_string(hfhub_dbus_job_get_state(job)));
	json_object_set_member(object, "state_reason",
			       node_string(hfhub_dbus_job_get_state_reason(job)));
	json_object_set_member(object, "repo_type", node_string(hfhub_dbus_job_get_repo_type(job)));
	json_object_set_member(object, "repo_id", node_string(hfhub_dbus_job_get_repo_id(job)));
	json_object_set_member(object, "revision", node_string(hfhub_dbus_job_get_revision(job)));
	json_object_set_member(object, "priority", node_int(hfhub_dbus_job_get_priority(job)));
	json_object_set_member(object, "owner", node_string(hfhub_dbus_job_get_owner(job)));
	json_object_set_member(object, "owner_app", node_string(hfhub_dbus_job_get_owner_app(job)));
	json_object_set_member(object, "owner_executable",
			       node_string(hfhub_dbus_job_get_owner_executable(job)));
	json_object_set_member(object, "created", node_time(hfhub_dbus_job_get_created(job)));
	json_object_set_member(object, "updated", node_time(hfhub_dbus_job_get_updated(job)));
	json_object_set_member(object, "bytes_done",
			       node_int((gint64)hfhub_dbus_job_get_bytes_done(job)));
	json_object_set_member(object, "bytes_total",
			       node_int((gint64)hfhub_dbus_job_get_bytes_total(job)));
	json_object_set_member(object, "files_done", node_int(hfhub_dbus_job_get_files_done(job)));
	json_object_set_member(object, "files_total",
			       node_int(hfhub_dbus_job_get_files_total(job)));
	if (error_name != NULL && *error_name != '\0')
		json_object_set_member(
			object, "error",
			hfhub_json_error_object(error_name, hfhub_dbus_job_get_error_message(job)));
	else
		json_object_set_null_member(object, "error");
	json_object_set_member(object, "result", node_dict(hfhub_dbus_job_get_result(job)));
	json_object_set_member(object, "options", node_dict(hfhub_dbus_job_get_options(job)));
	return hfhub_json_take_object(object);
}

/* pretty-printed, on stdout, with a final newline; takes no ownership */
void
hfhub_json_print(JsonNode *node)
{
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree gchar *data = NULL;

	json_generator_set_pretty(generator, TRUE);
	json_generator_set_indent(generator, 2);
	json_generator_set_root(generator, node);
	data = json_generator_to_data(generator, NULL);
	fputs(data, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}
