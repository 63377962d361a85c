/* Human-readable text for job properties, shared by the commands. Nothing
 * here is sanitised: the table and console code do that on output. */
#include "config.h"

#include "hfhub-cli-format.h"

#include <glib/gi18n.h>

/* "1.2 GB / 3.4 GB (35%)" while the size is known, else "3/10 files" */
gchar *
hfhub_format_job_progress(HfhubDBusJob *job)
{
	guint64 done = hfhub_dbus_job_get_bytes_done(job);
	guint64 total = hfhub_dbus_job_get_bytes_total(job);
	guint files_done = hfhub_dbus_job_get_files_done(job);
	guint files_total = hfhub_dbus_job_get_files_total(job);

	if (total > 0) {
		g_autofree gchar *done_str = g_format_size(done);
		g_autofree gchar *total_str = g_format_size(total);
		guint percent = (guint)MIN(done * 100 / total, 100);

		/* TRANSLATORS: bytes done / bytes in all (percentage), e.g.
		 * "1.2 GB / 3.4 GB (35%)" */
		return g_strdup_printf(_("%s / %s (%u%%)"), done_str, total_str, percent);
	}
	if (files_total > 0)
		return g_strdup_printf(ngettext("%u/%u file", "%u/%u files", files_total),
				       files_done, files_total);
	if (done > 0)
		return g_format_size(done);
	return g_strdup("");
}

/* "org/name" for models, "datasets/org/name" and "spaces/org/name" (as in
 * Hub URLs) for the other types */
gchar *
hfhub_format_repo(const gchar *repo_type, const gchar *repo_id)
{
	if (repo_id == NULL)
		return g_strdup("");
	if (repo_type == NULL || *repo_type == '\0' || g_str_equal(repo_type, "model"))
		return g_strdup(repo_id);
	return g_strdup_printf("%ss/%s", repo_type, repo_id);
}

/* local time, or "" when unknown */
gchar *
hfhub_format_time(gint64 unix_time)
{
	g_autoptr(GDateTime) dt = NULL;

	if (unix_time <= 0)
		return g_strdup("");
	dt = g_date_time_new_from_unix_local(unix_time);
	if (dt == NULL)
		return g_strdup("");
	return g_date_time_format(dt, "%Y-%m-%d %H:%M:%S");
}

gchar *
hfhub_format_variant(GVariant *value)
{
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_VARIANT)) {
		g_autoptr(GVariant) child = g_variant_get_variant(value);
		return hfhub_format_variant(child);
	}
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING) ||
	    g_variant_is_of_type(value, G_VARIANT_TYPE_OBJECT_PATH))
		return g_variant_dup_string(value, NULL);
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING_ARRAY)) {
		g_autofree const gchar **strv = g_variant_get_strv(value, NULL);
		return g_strjoinv(", ", (gchar **)strv);
	}
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_BOOLEAN))
		return g_strdup(g_variant_get_boolean(value) ? "true" : "false");
	if (g_variant_is_of_type(value, G_VARIANT_TYPE_ARRAY) &&
	    !g_variant_is_of_type(value, G_VARIANT_TYPE_BYTESTRING) &&
	    g_variant_type_is_container(g_variant_type_element(g_variant_get_type(value)))) {
		gsize n = g_variant_n_children(value);
		/* TRANSLATORS: a list too long to show here, e.g. "12 entries" */
		return g_strdup_printf(ngettext("%zu entry", "%zu entries", n), n);
	}
	return g_variant_print(value, FALSE);
}

/* one "key: value" line per entry of an a{sv} */
gchar *
hfhub_format_dict(GVariant *dict)
{
	g_autoptr(GString) out = g_string_new(NULL);
	GVariantIter iter;
	const gchar *key;
	GVariant *value;

	if (dict == NULL || !g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT))
		return g_strdup("");
	g_variant_iter_init(&iter, dict);
	while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
		g_autofree gchar *text = hfhub_format_variant(value);

		g_string_append_printf(out, "%s%s: %s", out->len > 0 ? "\n" : "", key, text);
		g_variant_unref(value);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gchar *
hfhub_format_job_id(HfhubDBusJob *job)
{
	return g_strdup_printf("%" G_GUINT64_FORMAT, hfhub_dbus_job_get_id(job));
}
