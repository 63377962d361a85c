/* hfhub cache ls, what "hf cache ls" does through hfhubd's
 * io.github.hfhub.Hub1.Cache interface: --revisions, --filter (type, size,
 * accessed, modified, refs), --sort KEY[:asc|desc], --limit, -q and
 * --format table|json|csv; and what the cache commands share. */
#include "config.h"

#define G_LOG_DOMAIN "HfhubCli"

#include "hfhub-cli-cache.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hfhub-cli-format.h"
#include "hfhub-cli-json.h"
#include "hfhub-connect.h"
#include "hfhub-enums.h"
#include "hfhub-error.h"
#include "hfhub-hf-env.h"
#include "hfhub-names.h"
#include "hfhub-table.h"
#include "hfhub-text.h"

/* a scan of a big cache on a cold disk may take a while */
#define CACHE_CALL_TIMEOUT_MS (10 * 60 * 1000)

/* ---- common */

HfhubDBusCache *
hfhub_cli_cache_proxy(HfhubCli *cli, GError **error)
{
	GDBusProxyFlags flags = G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES;
	HfhubDBusCache *proxy;

	if (!hfhub_cli_connect(cli, error))
		return NULL;
	if (cli->bus_name == NULL || hfhub_connect_autostart_disabled())
		flags |= G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START;
	proxy = hfhub_dbus_cache_proxy_new_sync(cli->connection, flags, cli->bus_name,
						HFHUB_DBUS_PATH, NULL, error);
	if (proxy != NULL)
		g_dbus_proxy_set_default_timeout(G_DBUS_PROXY(proxy), CACHE_CALL_TIMEOUT_MS);
	return proxy;
}

/* the cache the command means, as hf reads it: --cache-dir, else the env */
static gchar *
cache_dir_for(const gchar *arg)
{
	if (arg != NULL) {
		g_autofree gchar *expanded = hfhub_hf_env_expand_path(arg);
		return g_canonicalize_filename(expanded, NULL);
	}
	return hfhub_hf_env_cache_dir();
}

GVariantDict *
hfhub_cli_cache_options_new(const gchar *cache_dir_arg)
{
	GVariantDict *options = g_variant_dict_new(NULL);
	g_autofree gchar *dir = cache_dir_for(cache_dir_arg);

	if (dir != NULL)
		g_variant_dict_insert(options, "cache-dir", "s", dir);
	return options;
}

const gchar *
hfhub_cli_cache_lookup_str(GVariant *dict, const gchar *key)
{
	const gchar *value = NULL;

	if (!g_variant_lookup(dict, key, "&s", &value))
		return "";
	return value;
}

guint64
hfhub_cli_cache_lookup_t(GVariant *dict, const gchar *key)
{
	guint64 value = 0;

	g_variant_lookup(dict, key, "t", &value);
	return value;
}

guint32
hfhub_cli_cache_lookup_u(GVariant *dict, const gchar *key)
{
	guint32 value = 0;

	g_variant_lookup(dict, key, "u", &value);
	return value;
}

gdouble
hfhub_cli_cache_lookup_d(GVariant *dict, const gchar *key)
{
	gdouble value = 0;

	g_variant_lookup(dict, key, "d", &value);
	return value;
}

/* as GStrv (borrowed strings), never NULL */
const gchar **
hfhub_cli_cache_lookup_strv(GVariant *dict, const gchar *key)
{
	const gchar **value = NULL;

	if (!g_variant_lookup(dict, key, "^a&s", &value))
		value = g_new0(const gchar *, 1);
	return value;
}

/* "3 days ago", as huggingface_hub's format_timesince() */
static gchar *
format_timesince(gdouble ts, gdouble now)
{
	static const struct {
		guint divider;
		gint max; /* -1: no limit */
	} chunks[] = {
		{ 1, 60 },	  { 60, 60 },	      { 3600, 24 },	   { 86400, 6 },
		{ 86400 * 7, 6 }, { 86400 * 30, 11 }, { 86400 * 365, -1 },
	};
	gdouble delta = now - ts;
	gint64 value = 0;
	guint i;

	if (delta < 20)
		return g_strdup(_("a few seconds ago"));
	for (i = 0; i < G_N_ELEMENTS(chunks); i++) {
		value = (gint64)(delta / chunks[i].divider + 0.5);
		if (chunks[i].max >= 0 && value <= chunks[i].max)
			break;
	}
	switch (MIN(i, G_N_ELEMENTS(chunks) - 1)) {
	case 0:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " second ago",
						"%" G_GINT64_FORMAT " seconds ago", value),
				       value);
	case 1:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " minute ago",
						"%" G_GINT64_FORMAT " minutes ago", value),
				       value);
	case 2:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " hour ago",
						"%" G_GINT64_FORMAT " hours ago", value),
				       value);
	case 3:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " day ago",
						"%" G_GINT64_FORMAT " days ago", value),
				       value);
	case 4:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " week ago",
						"%" G_GINT64_FORMAT " weeks ago", value),
				       value);
	case 5:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " month ago",
						"%" G_GINT64_FORMAT " months ago", value),
				       value);
	default:
		return g_strdup_printf(ngettext("%" G_GINT64_FORMAT " year ago",
						"%" G_GINT64_FORMAT " years ago", value),
				       value);
	}
}

static gdouble
now_seconds(void)
{
	return (gdouble)g_get_real_time() / G_USEC_PER_SEC;
}

static JsonNode *
strv_node(const gchar *const *strv)
{
	JsonArray *array = json_array_new();

	for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
		json_array_add_string_element(array, strv[i]);
	return hfhub_json_take_array(array);
}

/* ---- sizes and durations, as huggingface_hub's _parsing.py reads them */

typedef struct {
	const gchar *unit;
	guint64 multiplier;
} Unit;

static gboolean
parse_with_unit(const gchar *text, const Unit *units, guint n_units, guint64 *out)
{
	g_autofree gchar *s = g_strstrip(g_ascii_strdown(text, -1));
	gchar *end = NULL;
	guint64 number;

	if (*s == '\0' || !g_ascii_isdigit(*s))
		return FALSE;
	number = g_ascii_strtoull(s, &end, 10);
	for (guint i = 0; i < n_units; i++) {
		if (!g_str_equal(end, units[i].unit))
			continue;
		if (number > G_MAXUINT64 / units[i].multiplier)
			return FALSE;
		*out = number * units[i].multiplier;
		return TRUE;
	}
	return FALSE;
}

static gboolean
parse_size(const gchar *text, guint64 *bytes)
{
	/* decimal as hf ("k" is 1000); "kb" and "kib" read as people write them */
	static const Unit units[] = {
		{ "", 1 },
		{ "k", 1000 },
		{ "kb", 1000 },
		{ "m", 1000 * 1000 },
		{ "mb", 1000 * 1000 },
		{ "g", 1000 * 1000 * 1000 },
		{ "gb", 1000 * 1000 * 1000 },
		{ "t", 1000ull * 1000 * 1000 * 1000 },
		{ "tb", 1000ull * 1000 * 1000 * 1000 },
		{ "p", 1000ull * 1000 * 1000 * 1000 * 1000 },
		{ "pb", 1000ull * 1000 * 1000 * 1000 * 1000 },
		{ "kib", 1024 },
		{ "mib", 1024 * 1024 },
		{ "gib", 1024 * 1024 * 1024 },
		{ "tib", 1024ull * 1024 * 1024 * 1024 },
	};

	return parse_with_unit(text, units, G_N_ELEMENTS(units), bytes);
}

static gboolean
parse_duration(const gchar *text, guint64 *seconds)
{
	static const Unit units[] = {
		{ "", 1 },	{ "s", 1 },	    { "m", 60 },	  { "h", 3600 },
		{ "d", 86400 }, { "w", 7 * 86400 }, { "mo", 30 * 86400 }, { "y", 365 * 86400 },
	};

	return parse_with_unit(text, units, G_N_ELEMENTS(units), seconds);
}

/* ---- hfhub cache ls */

typedef enum {
	KEY_ACCESSED,
	KEY_MODIFIED,
	KEY_NAME,
	KEY_SIZE,
	KEY_REFS,
	KEY_TYPE,
} Key;

typedef enum {
	OP_EQ,
	OP_NE,
	OP_GT,
	OP_LT,
	OP_GE,
	OP_LE,
} Op;

typedef struct {
	Key key;
	Op op;
	gdouble number; /* size in bytes, age in seconds */
	gchar *text;	/* type, ref (lower case) */
} Filter;

typedef struct {
	Key key;
	gboolean desc;
} SortKey;

/* one line: a repo, or a revision of it */
typedef struct {
	GVariant *repo;
	GVariant *rev; /* NULL for a repo line */
	const gchar *cache_id;
	const gchar *commit;
	guint64 size;
	gdouble accessed; /* the repo's: a revision has none of its own */
	gdouble modified;
	const gchar **refs; /* sorted */
} Row;

static void
row_free(Row *row)
{
	g_variant_unref(row->repo);
	g_clear_pointer(&row->rev, g_variant_unref);
	g_free(row->refs);
	g_free(row);
}

static void
filter_free(Filter *filter)
{
	g_free(filter->text);
	g_free(filter);
}

static gboolean
parse_key(const gchar *name, Key *key, gboolean for_sort)
{
	static const gchar *const names[] = {
		"accessed", "modified", "name", "size", "refs", "type"
	};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(name, names[i]) != 0)
			continue;
		*key = (Key)i;
		/* hf sorts by accessed, modified, name, size; filters on accessed,
		 * modified, refs, size, type */
		if (for_sort)
			return *key <= KEY_SIZE;
		return *key != KEY_NAME;
	}
	return FALSE;
}

/* "size>1GB", "type=model", "accessed>7d", "refs=main" */
static Filter *
parse_filter(const gchar *expr, GError **error)
{
	g_autoptr(GRegex) re =
		g_regex_new("^([a-zA-Z_]+)\\s*(==|!=|>=|<=|>|<|=)\\s*(.+)$", 0, 0, NULL);
	g_autoptr(GMatchInfo) match = NULL;
	g_autofree gchar *stripped = g_strstrip(g_strdup(expr));
	g_autofree gchar *key = NULL;
	g_autofree gchar *op = NULL;
	g_autofree gchar *value = NULL;
	Filter *filter;
	guint64 number = 0;

	if (!g_regex_match(re, stripped, 0, &match)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user typed */
			    _("Invalid filter expression “%s”: use KEY OP VALUE, e.g. “size>1GB”."),
			    expr);
		return NULL;
	}
	key = g_match_info_fetch(match, 1);
	op = g_match_info_fetch(match, 2);
	value = g_strstrip(g_match_info_fetch(match, 3));
	filter = g_new0(Filter, 1);
	if (!parse_key(key, &filter->key, FALSE)) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is what the user typed; do not translate the keys */
			    _("Unsupported filter key “%s”: use type, size, accessed, modified or "
			      "refs."),
			    key);
		filter_free(filter);
		return NULL;
	}
	if (g_str_equal(op, "="))
		filter->op = OP_EQ;
	else if (g_str_equal(op, "!="))
		filter->op = OP_NE;
	else if (g_str_equal(op, ">"))
		filter->op = OP_GT;
	else if (g_str_equal(op, "<"))
		filter->op = OP_LT;
	else if (g_str_equal(op, ">="))
		filter->op = OP_GE;
	else if (g_str_equal(op, "<="))
		filter->op = OP_LE;
	else {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is an operator the user typed, e.g. "==" */
			    _("Unsupported operator “%s”: use =, !=, >, <, >= or <=."), op);
		filter_free(filter);
		return NULL;
	}
	if ((filter->key == KEY_TYPE || filter->key == KEY_REFS) && filter->op != OP_EQ) {
		g_set_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
			    /* TRANSLATORS: %s is "type" or "refs" */
			    _("Only “=” works with “%s” filters."), key);
		filter_free(filter);
		return NULL;
	}
	if (filter->key == KEY_SIZE) {
		if (!parse_size(value, &number)) {
			g_set_error(
				error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				/* TRANSLATORS: %s is what the user typed */
				_("Invalid size “%s”: use a number with an optional unit (k, M, "
				  "G, T)."),
				value);
			filter_free(filter);
			return NULL;
		}
	} else if (filter->key == KEY_ACCESSED || filter->key == KEY_MODIFIED) {
		if (!parse_duration(value, &number)) {
			g_set_error(
				error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT,
				/* TRANSLATORS: %s is what the user typed; keep the units */
				_("Invalid duration “%s”: use a number with a unit (s, m, h, d, "
				  "w, mo, y)."),
				value);
			filter_free(filter);
			return NULL;
		}
	}
	filter->number = (gdouble)number;
	filter->text = g_ascii_strdown(value, -1);
	return filter;
}

static gboolean
compare(gdouble left, Op op, gdouble right)
{
	switch (op) {
	case OP_EQ:
		return left == right;
	case OP_NE:
		return left != right;
	case OP_GT:
		return left > right;
	case OP_LT:
		return left < right;
	case OP_GE:
		return left >= right;
	case OP_LE:
	default:
		return left <= right;
	}
}

static gboolean
filter_match(Filter *filter, Row *row, gdouble now)
{
	switch (filter->key) {
	case KEY_SIZE:
		return compare((gdouble)row->size, filter->op, filter->number);
	case KEY_ACCESSED:
		return compare(now - row->accessed, filter->op, filter->number);
	case KEY_MODIFIED:
		return compare(now - row->modified, filter->op, filter->number);
	case KEY_TYPE:
		return g_ascii_strcasecmp(hfhub_cli_cache_lookup_str(row->repo, "repo-type"),
					  filter->text) == 0;
	case KEY_REFS:
		for (guint i = 0; row->refs[i] != NULL; i++) {
			if (g_ascii_strcasecmp(row->refs[i], filter->text) == 0)
				return TRUE;
		}
		return FALSE;
	case KEY_NAME:
	default:
		return TRUE;
	}
}

/* "size", "modified:asc" */
static gboolean
parse_sort(const gchar *expr, SortKey *sort)
{
	g_auto(GStrv) parts = g_strsplit(expr, ":", 2);

	if (!parse_key(g_strstrip(parts[0]), &sort->key, TRUE))
		return FALSE;
	/* newest and biggest first, names A to Z, as hf */
	sort->desc = sort->key != KEY_NAME;
	if (parts[1] == NULL)
		return TRUE;
	if (g_ascii_strcasecmp(parts[1], "asc") == 0)
		sort->desc = FALSE;
	else if (g_ascii_strcasecmp(parts[1], "desc") == 0)
		sort->desc = TRUE;
	else
		return FALSE;
	return TRUE;
}

static gint
compare_rows_by(const Row *a, const Row *b, const SortKey *sort)
{
	gint c = 0;

	switch (sort->key) {
	case KEY_NAME: {
		g_autofree gchar *la = g_ascii_strdown(a->cache_id, -1);
		g_autofree gchar *lb = g_ascii_strdown(b->cache_id, -1);
		c = strcmp(la, lb);
		break;
	}
	case KEY_SIZE:
		c = a->size < b->size ? -1 : a->size > b->size;
		break;
	case KEY_ACCESSED:
		c = a->accessed < b->accessed ? -1 : a->accessed > b->accessed;
		break;
	case KEY_MODIFIED:
	default:
		c = a->modified < b->modified ? -1 : a->modified > b->modified;
		break;
	}
	return sort->desc ? -c : c;
}

static gint
compare_rows(gconstpointer pa, gconstpointer pb, gpointer user_data)
{
	GArray *sorts = user_data;
	const Row *a = *(const Row *const *)pa;
	const Row *b = *(const Row *const *)pb;

	for (guint i = 0; i < sorts->len; i++) {
		gint c = compare_rows_by(a, b, &g_array_index(sorts, SortKey, i));
		if (c != 0)
			return c;
	}
	return 0;
}

static gint
compare_default(gconstpointer pa, gconstpointer pb)
{
	const Row *a = *(const Row *const *)pa;
	const Row *b = *(const Row *const *)pb;
	gint c = strcmp(a->cache_id, b->cache_id);

	return c != 0 ? c : g_strcmp0(a->commit, b->commit);
}

static gint
compare_strp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const gchar *const *)a, *(const gchar *const *)b);
}

static GPtrArray *
collect_rows(GVariant *repos, gboolean revisions)
{
	GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)row_free);
	GVariantIter iter;
	GVariant *repo;

	g_variant_iter_init(&iter, repos);
	while ((repo = g_variant_iter_next_value(&iter)) != NULL) {
		g_autoptr(GVariant) revs =
			g_variant_lookup_value(repo, "revisions", G_VARIANT_TYPE("aa{sv}"));
		GVariantIter rev_iter;
		GVariant *rev;

		if (!revisions) {
			Row *row = g_new0(Row, 1);
			row->repo = g_variant_ref(repo);
			row->cache_id = hfhub_cli_cache_lookup_str(repo, "cache-id");
			row->size = hfhub_cli_cache_lookup_t(repo, "size-on-disk");
			row->accessed = hfhub_cli_cache_lookup_d(repo, "last-accessed");
			row->modified = hfhub_cli_cache_lookup_d(repo, "last-modified");
			row->refs = hfhub_cli_cache_lookup_strv(repo, "refs");
			g_ptr_array_add(rows, row);
		}
		if (revisions && revs != NULL) {
			g_variant_iter_init(&rev_iter, revs);
			while ((rev = g_variant_iter_next_value(&rev_iter)) != NULL) {
				Row *row = g_new0(Row, 1);
				row->repo = g_variant_ref(repo);
				row->rev = rev;
				row->cache_id = hfhub_cli_cache_lookup_str(repo, "cache-id");
				row->commit = hfhub_cli_cache_lookup_str(rev, "commit");
				row->size = hfhub_cli_cache_lookup_t(rev, "size-on-disk");
				row->accessed = hfhub_cli_cache_lookup_d(repo, "last-accessed");
				row->modified = hfhub_cli_cache_lookup_d(rev, "last-modified");
				row->refs = hfhub_cli_cache_lookup_strv(rev, "refs");
				g_ptr_array_add(rows, row);
			}
		}
		g_variant_unref(repo);
	}
	for (guint i = 0; i < rows->len; i++) {
		Row *row = g_ptr_array_index(rows, i);
		qsort(row->refs, g_strv_length((gchar **)row->refs), sizeof(gchar *),
		      (GCompareFunc)compare_strp);
	}
	g_ptr_array_sort(rows, compare_default);
	return rows;
}

static gchar *
refs_text(Row *row)
{
	return g_strjoinv(" ", (gchar **)row->refs);
}

/* hf's payload for one line, plus what we know more */
static JsonNode *
row_json(Row *row, gboolean revisions)
{
	JsonObject *object = json_object_new();
	GVariant *repo = row->repo;

	json_object_set_string_member(object, "id", row->cache_id);
	json_object_set_string_member(object, "repo_id",
				      hfhub_cli_cache_lookup_str(repo, "repo-id"));
	json_object_set_string_member(object, "repo_type",
				      hfhub_cli_cache_lookup_str(repo, "repo-type"));
	if (revisions) {
		json_object_set_string_member(object, "revision", row->commit);
		json_object_set_string_member(object, "snapshot_path",
					      hfhub_cli_cache_lookup_str(row->rev, "path"));
		json_object_set_int_member(object, "nb_files",
					   hfhub_cli_cache_lookup_u(row->rev, "nb-files"));
	} else {
		json_object_set_string_member(object, "path",
					      hfhub_cli_cache_lookup_str(repo, "path"));
		json_object_set_int_member(object, "nb_files",
					   hfhub_cli_cache_lookup_u(repo, "nb-files"));
	}
	json_object_set_int_member(object, "size_on_disk", (gint64)row->size);
	json_object_set_double_member(object, "last_accessed", row->accessed);
	json_object_set_double_member(object, "last_modified", row->modified);
	json_object_set_member(object, "refs", strv_node(row->refs));
	return hfhub_json_take_object(object);
}

static JsonNode *
summary_lists_json(GVariant *summary, const gchar *key)
{
	g_autoptr(GVariant) list = g_variant_lookup_value(summary, key, G_VARIANT_TYPE("aa{sv}"));
	return hfhub_json_from_variant(list);
}

static void
print_ls_json(GPtrArray *rows, gboolean revisions, GVariant *summary)
{
	JsonObject *object = json_object_new();
	JsonArray *entries = json_array_new();
	g_autoptr(GHashTable) repos = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(JsonNode) node = NULL;
	guint64 total = 0;
	guint n_revisions = 0;

	for (guint i = 0; i < rows->len; i++) {
		Row *row = g_ptr_array_index(rows, i);

		json_array_add_element(entries, row_json(row, revisions));
		if (revisions) {
			total += row->size;
			n_revisions++;
		} else {
			g_autoptr(GVariant) revs = g_variant_lookup_value(row->repo, "revisions",
									  G_VARIANT_TYPE("aa{sv}"));
			total += row->size;
			n_revisions += revs != NULL ? g_variant_n_children(revs) : 0;
		}
		g_hash_table_add(repos, (gpointer)row->cache_id);
	}
	json_object_set_string_member(object, "cache_dir",
				      hfhub_cli_cache_lookup_str(summary, "cache-dir"));
	json_object_set_array_member(object, "entries", entries);
	json_object_set_int_member(object, "repos", g_hash_table_size(repos));
	json_object_set_int_member(object, "revisions", n_revisions);
	json_object_set_int_member(object, "size_on_disk", (gint64)total);
	json_object_set_int_member(object, "cache_size_on_disk",
				   (gint64)hfhub_cli_cache_lookup_t(summary, "size-on-disk"));
	json_object_set_member(object, "incomplete_files",
			       summary_lists_json(summary, "incomplete"));
	json_object_set_int_member(object, "incomplete_size",
				   (gint64)hfhub_cli_cache_lookup_t(summary, "incomplete-size"));
	json_object_set_member(object, "warnings", summary_lists_json(summary, "warnings"));
	node = hfhub_json_take_object(object);
	hfhub_json_print(node);
}

/* RFC 4180 quoting where needed, as Python's csv module does */
static void
csv_field(GString *out, const gchar *field)
{
	if (strpbrk(field, ",\"\r\n") == NULL) {
		g_string_append(out, field);
		return;
	}
	g_string_append_c(out, '"');
	for (const gchar *p = field; *p != '\0'; p++) {
		if (*p == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void
print_ls_csv(GPtrArray *rows, gboolean revisions)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (revisions)
		g_string_append(out, "repo_id,repo_type,revision,snapshot_path,size_on_disk,"
				     "last_accessed,last_modified,refs\r\n");
	else
		g_string_append(out, "repo_id,repo_type,size_on_disk,last_accessed,last_modified,"
				     "refs\r\n");
	for (guint i = 0; i < rows->len; i++) {
		Row *row = g_ptr_array_index(rows, i);
		g_autofree gchar *refs = refs_text(row);
		gchar size[32], accessed[G_ASCII_DTOSTR_BUF_SIZE],
			modified[G_ASCII_DTOSTR_BUF_SIZE];

		g_snprintf(size, sizeof(size), "%" G_GUINT64_FORMAT, row->size);
		g_ascii_dtostr(accessed, sizeof(accessed), row->accessed);
		g_ascii_dtostr(modified, sizeof(modified), row->modified);
		csv_field(out, hfhub_cli_cache_lookup_str(row->repo, "repo-id"));
		g_string_append_c(out, ',');
		csv_field(out, hfhub_cli_cache_lookup_str(row->repo, "repo-type"));
		g_string_append_c(out, ',');
		if (revisions) {
			csv_field(out, row->commit);
			g_string_append_c(out, ',');
			csv_field(out, hfhub_cli_cache_lookup_str(row->rev, "path"));
			g_string_append_c(out, ',');
		}
		g_string_append_printf(out, "%s,%s,%s,", size, accessed, modified);
		csv_field(out, refs);
		g_string_append(out, "\r\n");
	}
	fputs(out->str, stdout);
}

static void
print_ls_table(HfhubCli *cli, GPtrArray *rows, gboolean revisions, GVariant *summary,
	       gboolean show_warnings)
{
	g_autoptr(HfhubTable) table = NULL;
	g_autoptr(GHashTable) repos = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GVariant) warnings =
		g_variant_lookup_value(summary, "warnings", G_VARIANT_TYPE("aa{sv}"));
	g_autofree gchar *total_str = NULL;
	g_autofree gchar *line = NULL;
	gdouble now = now_seconds();
	guint64 total = 0;
	guint n_revisions = 0;
	guint64 incomplete_size = hfhub_cli_cache_lookup_t(summary, "incomplete-size");
	g_autoptr(GVariant) incomplete =
		g_variant_lookup_value(summary, "incomplete", G_VARIANT_TYPE("aa{sv}"));
	gsize n_warnings = warnings != NULL ? g_variant_n_children(warnings) : 0;
	gsize n_incomplete = incomplete != NULL ? g_variant_n_children(incomplete) : 0;
	gboolean exists = TRUE;

	g_variant_lookup(summary, "exists", "b", &exists);
	if (!exists) {
		/* TRANSLATORS: %s is a directory */
		line = g_strdup_printf(_("Cache directory not found: %s"),
				       hfhub_cli_cache_lookup_str(summary, "cache-dir"));
		hfhub_console_print_warning(&cli->console, line);
		return;
	}
	if (rows->len == 0) {
		hfhub_console_print_line(revisions ? _("No cached revisions found.")
						   : _("No cached repositories found."));
	} else {
		if (revisions)
			/* TRANSLATORS: column headers of "hfhub cache ls --revisions" */
			table = hfhub_table_new(_("ID"), _("REVISION"), _("SIZE"),
						_("LAST_MODIFIED"), _("REFS"), NULL);
		else
			/* TRANSLATORS: column headers of "hfhub cache ls" */
			table = hfhub_table_new(_("ID"), _("SIZE"), _("LAST_ACCESSED"),
						_("LAST_MODIFIED"), _("REFS"), NULL);
		hfhub_table_set_align_right(table, revisions ? 2 : 1, TRUE);
		for (guint i = 0; i < rows->len; i++) {
			Row *row = g_ptr_array_index(rows, i);
			g_autofree gchar *size = g_format_size(row->size);
			g_autofree gchar *accessed = format_timesince(row->accessed, now);
			g_autofree gchar *modified = format_timesince(row->modified, now);
			g_autofree gchar *refs = refs_text(row);

			if (revisions) {
				const gchar *cells[] = { row->cache_id, row->commit, size, modified,
							 refs };
				hfhub_table_add_row(table, cells);
				n_revisions++;
			} else {
				const gchar *cells[] = { row->cache_id, size, accessed, modified,
							 refs };
				g_autoptr(GVariant) revs = g_variant_lookup_value(
					row->repo, "revisions", G_VARIANT_TYPE("aa{sv}"));
				hfhub_table_add_row(table, cells);
				n_revisions += revs != NULL ? g_variant_n_children(revs) : 0;
			}
			total += row->size;
			g_hash_table_add(repos, (gpointer)row->cache_id);
		}
		hfhub_console_print_table(&cli->console, table);
		total_str = g_format_size(total);
		g_print("\n");
		line = g_strdup_printf(
			/* TRANSLATORS: the summary of "hfhub cache ls": repos, revisions, size */
			_("Found %u repo(s) for a total of %u revision(s) and %s on disk."),
			g_hash_table_size(repos), n_revisions, total_str);
		hfhub_console_print_line(line);
	}
	if (n_incomplete > 0) {
		g_autofree gchar *size = g_format_size(incomplete_size);
		g_autofree gchar *text = g_strdup_printf(
			/* TRANSLATORS: %zu partial downloads taking %s */
			ngettext("%zu partial download takes %s; “hfhub cache prune” removes the "
				 "ones nothing is writing.",
				 "%zu partial downloads take %s; “hfhub cache prune” removes the "
				 "ones nothing is writing.",
				 n_incomplete),
			n_incomplete, size);
		hfhub_console_print_line(text);
	}
	if (n_warnings > 0 && !show_warnings) {
		g_autofree gchar *text = g_strdup_printf(
			ngettext(
				"Got %zu warning while scanning. Use --show-warnings to see it.",
				"Got %zu warnings while scanning. Use --show-warnings to see them.",
				n_warnings),
			n_warnings);
		hfhub_console_print_warning(&cli->console, text);
	}
	for (gsize i = 0; show_warnings && i < n_warnings; i++) {
		g_autoptr(GVariant) w = g_variant_get_child_value(warnings, i);
		hfhub_console_print_warning(&cli->console,
					    hfhub_cli_cache_lookup_str(w, "message"));
	}
}

typedef struct {
	gboolean revisions;
	gchar **filters;
	gchar **sorts;
	gint limit;
	gboolean quiet;
	gchar *format;
	gchar *cache_dir;
	gboolean show_warnings;
} LsArgs;

static void
ls_args_clear(LsArgs *args)
{
	g_strfreev(args->filters);
	g_strfreev(args->sorts);
	g_free(args->format);
	g_free(args->cache_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LsArgs, ls_args_clear)

gint
hfhub_cli_cmd_cache_ls(HfhubCli *cli, gint argc, gchar **argv)
{
	g_auto(LsArgs) args = { .limit = -1 };
	const GOptionEntry entries[] = {
		/* TRANSLATORS: the descriptions of the options of "hfhub cache ls" */
		{ "revisions", 0, 0, G_OPTION_ARG_NONE, &args.revisions,
		  N_("One line per revision instead of one per repository"), NULL },
		{ "filter", 'f', 0, G_OPTION_ARG_STRING_ARRAY, &args.filters,
		  N_("Only entries matching, e.g. “size>1GB”, “type=model”, “accessed>7d”, "
		     "“refs=main”; may be repeated"),
		  N_("EXPR") },
		{ "sort", 0, 0, G_OPTION_ARG_STRING_ARRAY, &args.sorts,
		  N_("Sort by accessed, modified, name or size, with “:asc” or “:desc”; may be "
		     "repeated"),
		  N_("KEY") },
		{ "limit", 0, 0, G_OPTION_ARG_INT, &args.limit,
		  N_("Show only the first N entries after sorting"), N_("N") },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &args.quiet,
		  N_("Print only the IDs (repositories, or revision hashes)"), NULL },
		{ "format", 0, 0, G_OPTION_ARG_STRING, &args.format,
		  N_("Output format: table (the default), json or csv"), N_("FORMAT") },
		{ "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &args.cache_dir,
		  N_("Cache directory (default: $HF_HUB_CACHE, or $HF_HOME/hub)"), N_("DIR") },
		{ "show-warnings", 0, 0, G_OPTION_ARG_NONE, &args.show_warnings,
		  N_("Show what is wrong with the repositories left out"), NULL },
		{ NULL }
	};
	g_autoptr(GOptionContext) context = hfhub_cli_option_context_new(
		cli, NULL,
		_("List the repositories (or revisions) in the Hugging Face cache, with the sizes "
		  "huggingface_hub's scan_cache_dir() reports."),
		entries);
	g_autoptr(GPtrArray) filters = g_ptr_array_new_with_free_func((GDestroyNotify)filter_free);
	g_autoptr(GArray) sorts = g_array_new(FALSE, FALSE, sizeof(SortKey));
	g_autoptr(HfhubDBusCache) proxy = NULL;
	g_autoptr(GVariantDict) options = NULL;
	g_autoptr(GVariant) summary = NULL;
	g_autoptr(GVariant) repos = NULL;
	g_autoptr(GPtrArray) rows = NULL;
	g_autoptr(GPtrArray) kept = NULL;
	g_autoptr(GError) error = NULL;
	gboolean json = FALSE;
	gboolean csv = FALSE;
	gdouble now;
	gint exit_code;

	if (!hfhub_cli_parse_options(cli, context, &argc, &argv, &exit_code))
		return exit_code;
	if (argc > 1)
		return hfhub_cli_usage_error(cli, _("Unexpected argument “%s”."), argv[1]);
	if (args.format != NULL && !g_str_equal(args.format, "table") &&
	    !g_str_equal(args.format, "json") && !g_str_equal(args.format, "csv"))
		return hfhub_cli_usage_error(
			cli,
			/* TRANSLATORS: %s is what the user typed; do not translate the formats */
			_("Unknown format “%s”: use table, json or csv."), args.format);
	json = cli->json || g_strcmp0(args.format, "json") == 0;
	csv = !cli->json && g_strcmp0(args.format, "csv") == 0;
	if (args.limit < -1)
		return hfhub_cli_usage_error(cli, "%s", _("--limit needs a positive number."));
	for (guint i = 0; args.filters != NULL && args.filters[i] != NULL; i++) {
		Filter *filter = parse_filter(args.filters[i], &error);
		if (filter == NULL)
			return hfhub_cli_usage_error(cli, "%s", error->message);
		g_ptr_array_add(filters, filter);
	}
	for (guint i = 0; args.sorts != NULL && args.sorts[i] != NULL; i++) {
		SortKey sort;
		if (!parse_sort(args.sorts[i], &sort))
			return hfhub_cli_usage_error(
				cli,
				/* TRANSLATORS: %s is what the user typed; keep the keys */
				_("Invalid sort “%s”: use accessed, modified, name or size, "
				  "optionally with “:asc” or “:desc”."),
				args.sorts[i]);
		g_array_append_val(sorts, sort);
	}

	proxy = hfhub_cli_cache_proxy(cli, &error);
	if (proxy == NULL)
		return hfhub_cli_fail(cli, error);
	options = hfhub_cli_cache_options_new(args.cache_dir);
	if (!hfhub_dbus_cache_call_scan_sync(proxy, g_variant_dict_end(options), &summary, &repos,
					     NULL, &error))
		return hfhub_cli_fail(cli, error);

	rows = collect_rows(repos, args.revisions);
	now = now_seconds();
	kept = g_ptr_array_new();
	for (guint i = 0; i < rows->len; i++) {
		Row *row = g_ptr_array_index(rows, i);
		gboolean keep = TRUE;

		for (guint j = 0; keep && j < filters->len; j++)
			keep = filter_match(g_ptr_array_index(filters, j), row, now);
		if (keep)
			g_ptr_array_add(kept, row);
	}
	if (sorts->len > 0)
		g_ptr_array_sort_with_data(kept, compare_rows, sorts);
	if (args.limit >= 0 && kept->len > (guint)args.limit)
		g_ptr_array_set_size(kept, args.limit);

	if (args.quiet && !json) {
		for (guint i = 0; i < kept->len; i++) {
			Row *row = g_ptr_array_index(kept, i);
			hfhub_console_print_line(args.revisions ? row->commit : row->cache_id);
		}
	} else if (json) {
		print_ls_json(kept, args.revisions, summary);
	} else if (csv) {
		print_ls_csv(kept, args.revisions);
	} else {
		print_ls_table(cli, kept, args.revisions, summary, args.show_warnings);
	}
	return HFHUB_EXIT_OK;
}
