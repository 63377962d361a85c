/* Unit tests for hfhub-filter: allow/ignore patterns as huggingface_hub's
 * filter_repo_objects applies them. Every expected value below is what
 * Python's filter_repo_objects (fnmatch.fnmatchcase) gives. */

#include "config.h"

#define G_LOG_DOMAIN "HfhubFilterTest"

#include "hfhub-error.h"
#include "hfhub-filter.h"

#define P(...) ((const gchar *const[]){ __VA_ARGS__, NULL })
#define NONE   ((const gchar *const *)NULL)
#define EMPTY  ((const gchar *const[]){ NULL })

typedef struct {
	const gchar *path;
	const gchar *const *include;
	const gchar *const *exclude;
	gboolean expected;
} FilterCase;

static void
test_filter_table(void)
{
	const FilterCase cases[] = {
		/* no patterns: everything */
		{ "config.json", NONE, NONE, TRUE },
		{ "a/b/c.bin", EMPTY, EMPTY, TRUE },
		/* "*" crosses "/" */
		{ "a/b.json", P("*.json"), NONE, TRUE },
		{ "config.json", P("*.json"), NONE, TRUE },
		{ "a/b.bin", P("*.json"), NONE, FALSE },
		{ "data/a/b.json", P("data/*.json"), NONE, TRUE },
		{ "other/data/a.json", P("data/*.json"), NONE, FALSE },
		/* a trailing "/" selects the folder's contents */
		{ "subdir/x.bin", P("subdir/"), NONE, TRUE },
		{ "subdir/deep/x.bin", P("subdir/"), NONE, TRUE },
		{ "subdir", P("subdir/"), NONE, FALSE },
		{ "other/subdir/x.bin", P("subdir/"), NONE, FALSE },
		{ "subdirectory/x.bin", P("subdir/"), NONE, FALSE },
		/* sets */
		{ "a.txt", P("[ab].txt"), NONE, TRUE },
		{ "b.txt", P("[ab].txt"), NONE, TRUE },
		{ "c.txt", P("[ab].txt"), NONE, FALSE },
		{ "b.txt", P("[!a].txt"), NONE, TRUE },
		{ "a.txt", P("[!a].txt"), NONE, FALSE },
		{ "x/y", P("x[!a]y"), NONE, TRUE },
		{ "q3.bin", P("q[0-9].bin"), NONE, TRUE },
		{ "qa.bin", P("q[0-9].bin"), NONE, FALSE },
		{ "-", P("[a-]"), NONE, TRUE },
		{ "]", P("[]]"), NONE, TRUE },
		{ "a", P("[]a]"), NONE, TRUE },
		/* a reversed range matches nothing */
		{ "m", P("[z-a]"), NONE, FALSE },
		{ "z", P("[z-a]"), NONE, FALSE },
		/* an unterminated "[" is a literal */
		{ "a[b", P("a[b"), NONE, TRUE },
		{ "ab", P("a[b"), NONE, FALSE },
		{ "[!]", P("[!]"), NONE, TRUE },
		/* "?" is one character, "/" and multi-byte ones included */
		{ "model-00001.safetensors", P("model-?????.safetensors"), NONE, TRUE },
		{ "model-0001.safetensors", P("model-?????.safetensors"), NONE, FALSE },
		{ "x/y", P("x?y"), NONE, TRUE },
		{ "é.txt", P("?.txt"), NONE, TRUE },
		{ "日本/x", P("?\?/x"), NONE, TRUE }, /* "\?": no trigraph */
		/* case-sensitive */
		{ "README.MD", P("*.md"), NONE, FALSE },
		{ "notes.MD", P("*.MD"), NONE, TRUE },
		/* several allow patterns: any */
		{ "a.txt", P("*.json", "*.txt"), NONE, TRUE },
		{ "a.bin", P("*.json", "*.txt"), NONE, FALSE },
		/* ignore after allow */
		{ "a.bin", P("*"), P("*.bin"), FALSE },
		{ "a.json", P("*"), P("*.bin"), TRUE },
		{ "original/x.safetensors", P("*.safetensors"), P("original/*"), FALSE },
		{ "model.safetensors", P("*.safetensors"), P("original/*"), TRUE },
		{ "x.md", NONE, P("*.md"), FALSE },
		{ "x.md", EMPTY, P("*.md"), FALSE },
		{ "x.txt", NONE, P("*.md"), TRUE },
		{ ".gitattributes", NONE, P(".*"), FALSE },
		{ "a/.hidden", NONE, P(".*"), TRUE },
		/* backslashes are separators in patterns */
		{ "sub/a.json", P("sub\\*.json"), NONE, TRUE },
		{ "sub/x", P("sub\\"), NONE, TRUE },
		/* an empty allow pattern matches nothing; an empty ignore pattern
		 * ignores nothing */
		{ "file.txt", P(""), NONE, FALSE },
		{ "file.txt", NONE, P(""), TRUE },
		/* "**" is just two "*" */
		{ "a/.git/config", NONE, P("**/.git/**"), FALSE },
		{ ".git/config", NONE, P("**/.git/**"), TRUE },
		{ ".git/config", NONE, P(".git/*"), FALSE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		gboolean got =
			hfhub_filter_match(cases[i].path, cases[i].include, cases[i].exclude);

		if (got != cases[i].expected)
			g_test_message("case %" G_GSIZE_FORMAT ": %s", i, cases[i].path);
		g_assert_cmpint(got, ==, cases[i].expected);
	}
}

typedef struct {
	const gchar *pattern;
	const gchar *path;
	gboolean expected;
} FnmatchCase;

/* corner cases of Python's fnmatch.translate, checked against CPython */
static void
test_fnmatch_python_quirks(void)
{
	const FnmatchCase cases[] = {
		{ "", "", TRUE },
		{ "", "a", FALSE },
		{ "*", "", TRUE },
		{ "**", "a/b/c", TRUE },
		{ "*a*b", "xaybzb", TRUE },
		{ "*a*b", "xaybz", FALSE },
		{ "a*b*c*d", "aXbXcXdX", FALSE },
		{ "[a-c-e]", "-", TRUE }, /* only the first "-" makes a range */
		{ "[a-c-e]", "d", FALSE },
		{ "[a-c-e]", "e", TRUE },
		{ "[!-]", "a", TRUE },
		{ "[!-]", "-", FALSE },
		{ "[-a]", "-", TRUE },
		{ "[xz-ab]", "x", TRUE }, /* "z-a" is dropped with its ends */
		{ "[xz-ab]", "b", TRUE },
		{ "[xz-ab]", "z", FALSE },
		{ "[xz-ab]", "m", FALSE },
		{ "[!z-a]", "q", TRUE }, /* negated empty set: any character */
		{ "[é-!!]", "q", TRUE }, /* the "!" left after dropping negates */
		{ "[z-a!b]", "b", FALSE },
		{ "[z-a!b]", "c", TRUE },
		{ "[z-a!-c]", "-", FALSE },
		{ "[z-a!-c]", "b", TRUE },
		{ "[^a]", "^", TRUE }, /* "^" is a plain member */
		{ "[^a]", "b", FALSE },
		{ "[[]", "[", TRUE },
		{ "a\\b", "a\\b", TRUE }, /* no escape character */
		{ "[\\]", "\\", TRUE },
		{ "[a&&b]", "&", TRUE },
		{ "[a|b]", "|", TRUE },
		{ "[é]", "é", TRUE },
		{ "[à-ê]", "é", TRUE },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		gboolean got = hfhub_fnmatch(cases[i].pattern, cases[i].path);

		if (got != cases[i].expected)
			g_test_message("case %" G_GSIZE_FORMAT ": %s ~ %s", i, cases[i].pattern,
				       cases[i].path);
		g_assert_cmpint(got, ==, cases[i].expected);
	}
}

/* backtracking stays polynomial on a pathological pattern */
static void
test_fnmatch_no_blowup(void)
{
	g_autofree gchar *path = g_strnfill(4000, 'a');
	const gchar *pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
	gint64 start = g_get_monotonic_time();

	g_assert_false(hfhub_fnmatch(pattern, path));
	g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
}

static void
test_validate_patterns(void)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(hfhub_filter_validate_patterns(NULL, &error));
	g_assert_no_error(error);
	g_assert_true(hfhub_filter_validate_patterns(EMPTY, &error));
	g_assert_no_error(error);
	g_assert_true(hfhub_filter_validate_patterns(P("*.json", "[unterminated", "sub/"), &error));
	g_assert_no_error(error);

	g_assert_false(hfhub_filter_validate_patterns(P("*.json", ""), &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	g_assert_false(hfhub_filter_validate_patterns(P("\xff*"), &error));
	g_assert_error(error, HFHUB_ERROR, HFHUB_ERROR_INVALID_ARGUMENT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

	g_test_add_func("/filter/table", test_filter_table);
	g_test_add_func("/filter/fnmatch-python-quirks", test_fnmatch_python_quirks);
	g_test_add_func("/filter/fnmatch-no-blowup", test_fnmatch_no_blowup);
	g_test_add_func("/filter/validate-patterns", test_validate_patterns);
	return g_test_run();
}
