#include "config.h"

#include "hfhub-log.h"

#include <glib/gstdio.h>
#include <stdio.h>

static FILE *log_file;
static gboolean log_verbose;

static const gchar *
level_name(GLogLevelFlags level)
{
	if (level & G_LOG_LEVEL_ERROR)
		return "error";
	if (level & G_LOG_LEVEL_CRITICAL)
		return "critical";
	if (level & G_LOG_LEVEL_WARNING)
		return "warning";
	if (level & G_LOG_LEVEL_MESSAGE)
		return "message";
	if (level & G_LOG_LEVEL_INFO)
		return "info";
	return "debug";
}

static GLogWriterOutput
writer_cb(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const gchar *domain = NULL;
	const gchar *message = NULL;
	g_autoptr(GDateTime) now = NULL;
	g_autofree gchar *stamp = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_str_equal(fields[i].key, "GLIB_DOMAIN"))
			domain = fields[i].value;
		else if (g_str_equal(fields[i].key, "MESSAGE"))
			message = fields[i].value;
	}
	/* debug and info only with --verbose or G_MESSAGES_DEBUG */
	if ((level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) && !log_verbose &&
	    g_log_writer_default_would_drop(level, domain))
		return G_LOG_WRITER_HANDLED;
	if (log_file != NULL && message != NULL) {
		now = g_date_time_new_now_utc();
		stamp = g_date_time_format_iso8601(now);
		fprintf(log_file, "%s %s %s: %s\n", stamp, domain != NULL ? domain : "hfhubd",
			level_name(level), message);
		fflush(log_file);
	}
	return g_log_writer_standard_streams(level, fields, n_fields, user_data);
}

void
hfhub_log_setup(const gchar *path, gboolean verbose)
{
	log_verbose = verbose;
	if (verbose)
		g_log_set_debug_enabled(TRUE);
	if (path != NULL) {
		g_autofree gchar *dir = g_path_get_dirname(path);
		g_mkdir_with_parents(dir, 0700);
		log_file = g_fopen(path, "ae");
		if (log_file != NULL)
			g_chmod(path, 0600);
	}
	g_log_set_writer_func(writer_cb, NULL, NULL);
}
