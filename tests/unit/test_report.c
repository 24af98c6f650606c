/*
 * Reports by country: the exact Markdown of a three-person report, Markdown and HTML
 * escaping of hostile records, the HTML page's policy (CSP with the stylesheet's real hash,
 * no script, nothing loaded) and chart, CSV formula neutralisation and a round trip through
 * the project's own CSV reader, JSON grouping, confidential sources, and bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/report.h"
#include "vigil/vigil.h"

/* Three people from the demo data, as the coordinator's merged view gives them. */
static const char three[] =
    "["
    "{\"id\": \"5a1c0d2e9f3b4a6c8d7e1f2a3b4c5d6e\", \"name\": \"Buzurgmehr Yorov\","
    " \"other_names\": [\"Бузургмехр Ёров\"], \"role\": \"lawyer\", \"country\": \"Tajikistan\","
    " \"status\": \"imprisoned\", \"sentence\": \"21 years, +2 years\","
    " \"charges\": \"extremism; contempt of court; fraud\","
    " \"linked\": [\"b17f00d5b17f00d5b17f00d5b17f00d5\"], \"ref\": \"TJ-001\","
    " \"events\": ["
    "  {\"date\": \"2016-10\", \"type\": \"sentenced\", \"charges\": \"extremism; other charges\","
    "   \"status\": \"imprisoned\", \"sentence\": \"21 years\", \"monitor\": \"nadia\","
    "   \"source\": {\"confidential\": true, \"type\": \"NGO\","
    "                \"description\": \"joint NGO statement 2017-03-28\"},"
    "   \"notes\": \"Closed trial; represented members of the banned Islamic Renaissance Party"
    " of Tajikistan\"},"
    "  {\"date\": \"2017-03\", \"type\": \"additional sentence\", \"charges\": \"contempt of "
    "court\","
    "   \"status\": \"imprisoned\", \"sentence\": \"+2 years\", \"monitor\": \"nadia\","
    "   \"source\": {\"confidential\": false, \"type\": \"NGO\","
    "                \"description\": \"joint NGO statement 2017-03-28\"},"
    "   \"notes\": \"Quoted an 11th century Persian poet during the original trial.\"},"
    "  {\"date\": \"2017-03\", \"type\": \"criminal case opened\", \"charges\": \"fraud\","
    "   \"status\": \"imprisoned\", \"monitor\": \"timur\","
    "   \"source\": {\"description\": \"lawyer's family\"},"
    "   \"notes\": \"A third criminal case reportedly opened against him\"}]},"
    "{\"id\": \"0c3e5a7b9d1f2e4c6a8b0d2f4e6a8c0b\", \"name\": \"Zhanbolat Mamay\","
    " \"other_names\": [\"Жанболат Мамай\"], \"role\": \"journalist\", \"country\": "
    "\"Kazakhstan\","
    " \"status\": \"detained\", \"charges\": \"money laundering\", \"linked\": [],"
    " \"events\": [{\"date\": null, \"type\": \"pre-trial detention\","
    "   \"charges\": \"money laundering\", \"status\": \"detained\", \"monitor\": \"nadia\","
    "   \"notes\": \"Independent journalist; charges described as \\\"spurious\\\"\"}]},"
    "{\"id\": \"9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b\", \"name\": \"Max Bokayev\","
    " \"role\": \"civil society activist\", \"country\": \"Kazakhstan\","
    " \"status\": \"imprisoned\", \"sentence\": \"5 years\","
    " \"events\": [{\"date\": \"2016-11\", \"type\": \"sentenced\", \"status\": \"imprisoned\","
    "   \"sentence\": \"5 years\", \"place\": \"Atyrau\", \"monitor\": \"nadia\","
    "   \"notes\": \"Role in peaceful land reform protests\"}]}"
    "]";

/*
 * The report a coordinator would want to hand on: countries in order, each person with
 * other names, role, latest status, sentence and charges, the case ids, then the events in
 * order with date, charges, status, sentence, the public source, notes and who reported it.
 * Two confidential sources (one marked, one unmarked, so confidential by default) are left
 * out, and the report says so.
 */
static const char three_md[] =
    "# Cases of concern\n"
    "\n"
    "Generated 2017-03-28. 3 people in 2 countries, 5 events. 2 sources marked confidential "
    "are left out.\n"
    "\n"
    "## Kazakhstan\n"
    "\n"
    "### Zhanbolat Mamay (Жанболат Мамай)\n"
    "\n"
    "Role: journalist. Status: detained. Charges: money laundering. Case: "
    "0c3e5a7b9d1f2e4c6a8b0d2f4e6a8c0b.\n"
    "\n"
    "- Date unknown: pre-trial detention. Charges: money laundering. Status: detained. Notes: "
    "Independent journalist; charges described as \"spurious\". Reported by nadia.\n"
    "\n"
    "### Max Bokayev\n"
    "\n"
    "Role: civil society activist. Status: imprisoned. Sentence: 5 years. Case: "
    "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b.\n"
    "\n"
    "- 2016-11: sentenced. Place: Atyrau. Status: imprisoned. Sentence: 5 years. Notes: Role "
    "in peaceful land reform protests. Reported by nadia.\n"
    "\n"
    "## Tajikistan\n"
    "\n"
    "### Buzurgmehr Yorov (Бузургмехр Ёров)\n"
    "\n"
    "Role: lawyer. Status: imprisoned. Sentence: 21 years, +2 years. Charges: extremism; "
    "contempt of court; fraud. Cases: 5a1c0d2e9f3b4a6c8d7e1f2a3b4c5d6e, "
    "b17f00d5b17f00d5b17f00d5b17f00d5.\n"
    "\n"
    "- 2016-10: sentenced. Charges: extremism; other charges. Status: imprisoned. Sentence: 21 "
    "years. Notes: Closed trial; represented members of the banned Islamic Renaissance Party "
    "of Tajikistan. Reported by nadia.\n"
    "- 2017-03: additional sentence. Charges: contempt of court. Status: imprisoned. Sentence: "
    "+2 years. Source: joint NGO statement 2017-03-28 (NGO). Notes: Quoted an 11th century "
    "Persian poet during the original trial. Reported by nadia.\n"
    "- 2017-03: criminal case opened. Charges: fraud. Status: imprisoned. Notes: A third "
    "criminal case reportedly opened against him. Reported by timur.\n";

/* A record written by someone who wants the report to run code or mislead its reader. */
static const char hostile[] =
    "[{\"id\": \"00112233445566778899aabbccddeeff\","
    " \"name\": \"<script>alert(1)</script> \\\"Q\\\" O'Neil *bold* _it_ `code` &amp; "
    "[click](javascript:alert(1)) ![img](http://evil.example/x.png) <img src=x "
    "onerror=alert(1)> \\u202egnp.exe | a | ~~s~~ #tag \\\\\","
    " \"other_names\": [\"<b>bold</b>\"], \"role\": \"=cmd|' /C calc'!A0\","
    " \"country\": \"Kyrgyzstan</h2><script>alert(2)</script>\","
    " \"notes\": \"line one\\n# not a heading\\n- not an item\\r\\n<!-- comment -->\","
    " \"events\": [{\"date\": \"2017-01\", \"type\": \"+SUM(1)\","
    "   \"place\": \"@A1\", \"authority\": \" =1+1\", \"charges\": \"-2+3\","
    "   \"status\": \"\\tx\", \"sentence\": \"\\r\\n=2\", \"monitor\": \"＝HYPERLINK()\","
    "   \"notes\": \"a, \\\"b\\\"\\nc\","
    "   \"source\": {\"confidential\": true, \"description\": \"=1+2\"}}]}]";

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_ALLOW_NUL, &err);

	if (j == NULL)
		fail_msg("fixture: %s at %d", err.text, err.position);
	return j;
}

static char *render(const char *input, enum vg_report_format f, bool confidential)
{
	struct vg_report_options o = VG_REPORT_OPTIONS_INIT;
	struct vg_buf b = VG_BUF_INIT;
	json_t *cases = load(input);
	char *s;

	o.include_confidential = confidential;
	o.generated = "2017-03-28";
	if (vg_report_write(&b, cases, f, &o) != 0)
		fail_msg("report: %s", vg_error_last());
	s = strdup((const char *)b.ptr);
	assert_non_null(s);
	vg_buf_release(&b);
	json_decref(cases);
	return s;
}

static void test_format_parse(void **state)
{
	enum vg_report_format f;

	(void)state;
	assert_int_equal(vg_report_format_parse(&f, "md"), 0);
	assert_int_equal(f, VG_REPORT_MD);
	assert_int_equal(vg_report_format_parse(&f, "html"), 0);
	assert_int_equal(f, VG_REPORT_HTML);
	assert_int_equal(vg_report_format_parse(&f, "csv"), 0);
	assert_int_equal(f, VG_REPORT_CSV);
	assert_int_equal(vg_report_format_parse(&f, "json"), 0);
	assert_int_equal(f, VG_REPORT_JSON);
	assert_int_equal(vg_report_format_parse(&f, "pdf"), VG_EINVAL);
	assert_int_equal(vg_report_format_parse(&f, NULL), VG_EINVAL);
}

static void test_md_exact(void **state)
{
	char *md = render(three, VG_REPORT_MD, false);

	(void)state;
	if (strcmp(md, three_md) != 0) {
		print_message("got:\n%s\n", md);
		fail_msg("Markdown differs from the expected report");
	}
	free(md);
}

static void test_md_confidential(void **state)
{
	char *md = render(three, VG_REPORT_MD, true);

	(void)state;
	assert_null(strstr(md, "left out"));
	assert_non_null(strstr(md, "Source: (confidential) joint NGO statement 2017-03-28 (NGO)."));
	assert_non_null(strstr(md, "Source: (confidential) lawyer's family."));
	assert_non_null(strstr(md, "Source: joint NGO statement 2017-03-28 (NGO)."));
	free(md);
}

/* Every character that could start Markdown structure is escaped with a backslash. */
static void test_md_escaping(void **state)
{
	char *md = render(hostile, VG_REPORT_MD, true);

	(void)state;
	for (const char *p = md; *p != '\0'; p++) {
		if (strchr("<>[]`*_&|~", *p) == NULL)
			continue;
		if (p == md || p[-1] != '\\')
			fail_msg("unescaped '%c' at offset %td", *p, p - md);
	}
	assert_non_null(strstr(md, "\\<script\\>alert(1)\\</script\\>"));
	assert_non_null(strstr(md, "\\[click\\](javascript:alert(1))"));
	/* Line breaks in records become spaces: no heading, list item or comment of theirs. */
	assert_null(strstr(md, "\n# not"));
	assert_null(strstr(md, "\n- not"));
	assert_non_null(
	    strstr(md, "line one \\# not a heading - not an item \\<!-- comment --\\>"));
	/* Headings end with the escaped name; a trailing backslash stays literal. */
	assert_non_null(strstr(md, "\\#tag \\\\ (\\<b\\>bold\\</b\\>)\n"));
	/* The right-to-left override is gone. */
	assert_null(strstr(md, "\xe2\x80\xae"));
	assert_non_null(strstr(md, "\n## Kyrgyzstan\\</h2\\>\\<script\\>alert(2)\\</script\\>\n"));
	free(md);
}

static void test_html_policy(void **state)
{
	char *html = render(three, VG_REPORT_HTML, false);
	const char *style, *end, *csp;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char b64[64], want[128];

	(void)state;
	assert_memory_equal(html, "<!DOCTYPE html>\n", 16);
	csp = strstr(html, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
			   "'none'; style-src 'sha256-");
	assert_non_null(csp);
	/* The hash in the policy is the stylesheet's, so the browser applies it. */
	style = strstr(html, "<style>");
	end = strstr(html, "</style>");
	assert_non_null(style);
	assert_non_null(end);
	style += strlen("<style>");
	crypto_hash_sha256(hash, (const unsigned char *)style, (size_t)(end - style));
	sodium_bin2base64(b64, sizeof(b64), hash, sizeof(hash), sodium_base64_VARIANT_ORIGINAL);
	snprintf(want, sizeof(want), "style-src 'sha256-%s';", b64);
	assert_non_null(strstr(csp, want));
	assert_true(csp < style);
	/* One style element, no script, no style attribute, nothing fetched. */
	assert_null(strstr(end + 1, "<style"));
	assert_null(strcasestr(html, "<script"));
	assert_null(strstr(html, " style="));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "https:"));
	for (const char *p = html; (p = strstr(p, "http:")) != NULL; p++)
		assert_memory_equal(p, "http://www.w3.org/2000/svg\"", 27);
	for (const char *p = html; (p = strstr(p, "href=\"")) != NULL; p++)
		assert_memory_equal(p, "href=\"#country-", 15);
	assert_non_null(strstr(html, "@media print{"));
	/* People, grouped; the chart with its bars. */
	assert_non_null(strstr(html, "<h2>Kazakhstan</h2>"));
	assert_true(strstr(html, "<h2>Kazakhstan</h2>") < strstr(html, "<h2>Tajikistan</h2>"));
	assert_non_null(strstr(html, "<h3><bdi>Buzurgmehr Yorov</bdi> <span class=\"other\">"
				     "(<bdi>Бузургмехр Ёров</bdi>)</span></h3>"));
	assert_non_null(strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(html, "<title>Tajikistan, 2017-03: 2 events</title>"));
	assert_non_null(strstr(html, "<title>Kazakhstan, 2016-11: 1 event</title>"));
	assert_non_null(strstr(html, "Events per country and month, 2016-10 to 2017-03; the "
				     "tallest bar is 2 events. Not in the chart: 1 event without "
				     "a date."));
	assert_non_null(strstr(html, "2 sources marked confidential are left out."));
	assert_null(strstr(html, "lawyer&#39;s family"));
	free(html);
}

static void test_html_escaping(void **state)
{
	char *html = render(hostile, VG_REPORT_HTML, true);

	(void)state;
	assert_null(strcasestr(html, "<script"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "<b>bold"));
	assert_null(strstr(html, "<!--"));
	assert_null(strstr(html, "\xe2\x80\xae"));
	assert_null(strstr(html, "src=\""));
	/* Text context. */
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;Q&quot; "
				     "O&#39;Neil *bold*"));
	assert_non_null(strstr(html, "&lt;img src=x onerror=alert(1)&gt;"));
	assert_non_null(strstr(html, "<h2>Kyrgyzstan&lt;/h2&gt;&lt;script&gt;alert(2)&lt;/"
				     "script&gt;</h2>"));
	/* Attribute context: the name cannot close the attribute it sits in. */
	assert_non_null(strstr(html, "<article aria-label=\"&lt;script&gt;alert(1)&lt;/"
				     "script&gt; &quot;Q&quot; O&#39;Neil"));
	/* Inside the SVG too. */
	assert_non_null(strstr(html, "<title>Kyrgyzstan&lt;/h2&gt;&lt;script&gt;alert(2)&lt;/"
				     "script&gt;, 2017-01: 1 event</title>"));
	assert_non_null(strstr(html, "Notes: line one # not a heading - not an item &lt;!-- "
				     "comment --&gt;."));
	free(html);
}

static void test_html_no_chart(void **state)
{
	char *html = render("[{\"id\": \"aa\", \"name\": \"A B\", \"events\": [{\"date\": "
			    "\"2016\"}]}]",
			    VG_REPORT_HTML, false);

	(void)state;
	assert_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "No event is dated to the month"));
	assert_non_null(strstr(html, "<h2>Country unknown</h2>"));
	free(html);
}

/* Parse a CSV report with the project's reader; returns it with the header row checked. */
static struct vg_csv *parse_csv(const char *text)
{
	struct vg_csv *csv = NULL;
	static const char *const header[] = {
	    "case_ref", "person", "aliases",   "role",	  "country",	"event",
	    "date",	"place",  "authority", "charges", "status",	"sentence",
	    "source",	"notes",  "case_id",   "monitor", "case_notes",
	};

	assert_memory_equal(text, "\xef\xbb\xbf", 3);
	assert_int_equal(vg_csv_parse(&csv, (const uint8_t *)text, strlen(text)), 0);
	assert_true(csv->nrows >= 1);
	assert_int_equal(csv->rows[0].nfields, 17);
	for (size_t k = 0; k < 17; k++)
		assert_string_equal(vg_csv_field(csv, 0, k), header[k]);
	return csv;
}

static void test_csv_rows(void **state)
{
	char *text = render(three, VG_REPORT_CSV, false);
	struct vg_csv *csv = parse_csv(text);

	(void)state;
	/* Every line ends with CRLF. */
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		assert_int_equal(p[-1], '\r');
	/* One row per event: Mamay, Bokayev, then Yorov's three. */
	assert_int_equal(csv->nrows, 1 + 5);
	assert_string_equal(vg_csv_field(csv, 1, 1), "Zhanbolat Mamay");
	assert_string_equal(vg_csv_field(csv, 1, 2), "Жанболат Мамай");
	assert_string_equal(vg_csv_field(csv, 1, 6), "");
	assert_string_equal(vg_csv_field(csv, 1, 13),
			    "Independent journalist; charges described as \"spurious\"");
	assert_string_equal(vg_csv_field(csv, 3, 0), "TJ-001");
	assert_string_equal(vg_csv_field(csv, 3, 4), "Tajikistan");
	assert_string_equal(vg_csv_field(csv, 3, 5), "sentenced");
	assert_string_equal(vg_csv_field(csv, 3, 6), "2016-10");
	assert_string_equal(vg_csv_field(csv, 3, 12), ""); /* confidential: left out */
	assert_string_equal(vg_csv_field(csv, 3, 14), "5a1c0d2e9f3b4a6c8d7e1f2a3b4c5d6e");
	assert_string_equal(vg_csv_field(csv, 3, 15), "nadia");
	/* "+2 years" would be a formula to a spreadsheet. */
	assert_string_equal(vg_csv_field(csv, 4, 11), "'+2 years");
	assert_string_equal(vg_csv_field(csv, 4, 12), "joint NGO statement 2017-03-28");
	assert_string_equal(vg_csv_field(csv, 5, 12), "");
	vg_csv_free(csv);
	free(text);

	text = render(three, VG_REPORT_CSV, true);
	csv = parse_csv(text);
	assert_string_equal(vg_csv_field(csv, 3, 12),
			    "(confidential) joint NGO statement 2017-03-28");
	assert_string_equal(vg_csv_field(csv, 5, 12), "(confidential) lawyer's family");
	vg_csv_free(csv);
	free(text);
}

static void test_csv_formulas(void **state)
{
	char *text = render(hostile, VG_REPORT_CSV, true);
	struct vg_csv *csv = parse_csv(text);

	(void)state;
	assert_int_equal(csv->nrows, 2);
	/* Formula-like cells start with a quote and keep the rest. */
	assert_string_equal(vg_csv_field(csv, 1, 3), "'=cmd|' /C calc'!A0");
	assert_string_equal(vg_csv_field(csv, 1, 5), "'+SUM(1)");
	assert_string_equal(vg_csv_field(csv, 1, 7), "'@A1");
	assert_string_equal(vg_csv_field(csv, 1, 8), "' =1+1");
	assert_string_equal(vg_csv_field(csv, 1, 9), "'-2+3");
	assert_string_equal(vg_csv_field(csv, 1, 10), "' x");
	assert_string_equal(vg_csv_field(csv, 1, 11), "'\r\n=2");
	assert_string_equal(vg_csv_field(csv, 1, 12), "(confidential) =1+2");
	assert_string_equal(vg_csv_field(csv, 1, 15), "'＝HYPERLINK()");
	/* Quoting round trip: commas, quotes and line breaks. */
	assert_string_equal(vg_csv_field(csv, 1, 13), "a, \"b\"\r\nc");
	assert_string_equal(vg_csv_field(csv, 1, 16),
			    "line one\r\n# not a heading\r\n- not an item\r\n<!-- comment -->");
	assert_non_null(strstr(vg_csv_field(csv, 1, 1), "<script>alert(1)</script> \"Q\""));
	assert_null(strstr(vg_csv_field(csv, 1, 1), "\xe2\x80\xae"));
	/* No cell of the file begins like a formula. */
	for (size_t r = 0; r < csv->nrows; r++)
		for (size_t k = 0; k < csv->rows[r].nfields; k++) {
			const char *f = vg_csv_field(csv, r, k);
			if (f[0] != '\0' && strchr("=+-@\t\r\n", f[0]) != NULL)
				fail_msg("row %zu cell %zu begins with a formula character", r, k);
		}
	vg_csv_free(csv);
	free(text);
}

static void test_json_groups(void **state)
{
	char *text = render("[{\"id\": \"c1\", \"name\": \"A B\", \"country\": \"Tajikistan\","
			    " \"zz\": 1, \"events\": [{\"date\": \"2016\", \"source\":"
			    " {\"confidential\": true, \"description\": \"secret\"}},"
			    " {\"source\": {\"confidential\": false, \"description\": \"open\"}}]},"
			    " {\"id\": \"c2\", \"name\": \"C D\"},"
			    " {\"id\": \"c3\", \"name\": \"E F\", \"country\": \"Kazakhstan\"},"
			    " {\"id\": \"c4\", \"name\": \"G H\", \"country\": \"Tajikistan\"}]",
			    VG_REPORT_JSON, false);
	json_t *j = load(text), *groups = json_object_get(j, "countries"), *c1;

	(void)state;
	assert_int_equal(text[strlen(text) - 1], '\n');
	assert_true(json_is_false(json_object_get(j, "include_confidential")));
	assert_int_equal(json_array_size(groups), 3);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(groups, 0), "country")), "Kazakhstan");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(groups, 1), "country")), "Tajikistan");
	assert_true(json_is_null(json_object_get(json_array_get(groups, 2), "country")));
	c1 = json_array_get(json_object_get(json_array_get(groups, 1), "cases"), 0);
	assert_string_equal(json_string_value(json_object_get(c1, "id")), "c1");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(json_array_get(groups, 1), "cases"), 1), "id")),
	    "c4");
	/* Other members kept; the confidential source gone, the public one kept. */
	assert_int_equal(json_integer_value(json_object_get(c1, "zz")), 1);
	assert_null(json_object_get(json_array_get(json_object_get(c1, "events"), 0), "source"));
	assert_non_null(
	    json_object_get(json_array_get(json_object_get(c1, "events"), 1), "source"));
	assert_null(strstr(text, "secret"));
	/* Keys sorted. */
	assert_true(strstr(text, "\"countries\"") < strstr(text, "\"include_confidential\""));
	assert_true(strstr(text, "\"cases\"") < strstr(text, "\"country\""));
	json_decref(j);
	free(text);
}

static void test_empty(void **state)
{
	char *md = render("[]", VG_REPORT_MD, false), *csv = render("[]", VG_REPORT_CSV, false),
	     *js = render("[]", VG_REPORT_JSON, false), *html = render("[]", VG_REPORT_HTML, false);

	(void)state;
	assert_string_equal(md, "# Cases of concern\n\nGenerated 2017-03-28. 0 people in 0 "
				"countries, 0 events.\n");
	assert_string_equal(csv,
			    "\xef\xbb\xbf"
			    "case_ref,person,aliases,role,country,event,date,place,authority,"
			    "charges,status,sentence,source,notes,case_id,monitor,case_notes\r\n");
	assert_string_equal(js, "{\n  \"countries\": [],\n  \"include_confidential\": false\n}\n");
	assert_non_null(strstr(html, "</html>\n"));
	free(md);
	free(csv);
	free(js);
	free(html);
}

static void expect_bad(const char *input, int code)
{
	struct vg_buf b = VG_BUF_INIT;
	json_t *cases = load(input);

	assert_int_equal(vg_buf_puts(&b, "kept"), 0);
	for (int f = VG_REPORT_MD; f <= VG_REPORT_JSON; f++) {
		if (vg_report_write(&b, cases, (enum vg_report_format)f, NULL) != code)
			fail_msg("'%s' as format %d: %s", input, f, vg_error_last());
		assert_int_equal(b.len, 4);
		assert_null(strstr(vg_error_last(), "secret"));
	}
	vg_buf_release(&b);
	json_decref(cases);
}

static void test_bad_input(void **state)
{
	struct vg_report_options o = VG_REPORT_OPTIONS_INIT;
	struct vg_buf b = VG_BUF_INIT;
	json_t *cases = json_array();

	(void)state;
	expect_bad("{}", VG_EFORMAT);
	expect_bad("[1]", VG_EFORMAT);
	expect_bad("[{\"name\": \"secret\"}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\"}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"\"}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": 1}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"secret\", \"role\": [\"secret\"]}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"se\\u0000cret\"}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"other_names\": \"secret\"}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"linked\": [1]}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": {}}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": [\"secret\"]}]", VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": [{\"date\": \"2016-13\"}]}]",
		   VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": [{\"date\": \"secret\"}]}]",
		   VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": [{\"source\": \"secret\"}]}]",
		   VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": [{\"source\": "
		   "{\"confidential\": \"no\"}}]}]",
		   VG_EFORMAT);
	expect_bad("[{\"id\": \"a\", \"name\": \"x\", \"events\": [{\"source\": "
		   "{\"description\": 5}}]}]",
		   VG_EFORMAT);
	o.version = 99;
	assert_int_equal(vg_report_write(&b, cases, VG_REPORT_MD, &o), VG_EINVAL);
	o.version = VG_REPORT_OPTIONS_VERSION;
	assert_int_equal(vg_report_write(&b, cases, (enum vg_report_format)42, &o), VG_EINVAL);
	assert_int_equal(b.len, 0);
	vg_buf_release(&b);
	json_decref(cases);
}

/* Bars per country and month; dates across years; the title option. */
static void test_html_chart(void **state)
{
	struct vg_report_options o = VG_REPORT_OPTIONS_INIT;
	struct vg_buf b = VG_BUF_INIT;
	json_t *cases = load("[{\"id\": \"a\", \"name\": \"A B\", \"country\": \"Kazakhstan\","
			     " \"events\": [{\"date\": \"2010-06-01\"}, {\"date\": \"2010-06\"},"
			     " {\"date\": \"2017-03-28\"}, {\"date\": \"2012\"}]},"
			     " {\"id\": \"b\", \"name\": \"C D\", \"country\": \"Kyrgyzstan\","
			     " \"events\": [{\"date\": \"2010-06\"}, {}]}]");
	size_t rects = 0;

	(void)state;
	o.title = "Central Asia <2017>";
	assert_int_equal(vg_report_write(&b, cases, VG_REPORT_HTML, &o), 0);
	for (const char *p = (const char *)b.ptr; (p = strstr(p, "<rect ")) != NULL; p++)
		rects++;
	assert_int_equal(rects, 3);
	assert_non_null(
	    strstr((const char *)b.ptr, "<title>Kazakhstan, 2010-06: 2 events</title>"));
	assert_non_null(strstr((const char *)b.ptr, "<title>Kyrgyzstan, 2010-06: 1 event</title>"));
	assert_non_null(strstr((const char *)b.ptr, ">2013</text>"));
	assert_non_null(strstr((const char *)b.ptr, "Not in the chart: 1 event dated to the year "
						    "only, 1 event without a date."));
	assert_non_null(strstr((const char *)b.ptr, "<title>Central Asia &lt;2017&gt;</title>"));
	assert_non_null(strstr((const char *)b.ptr, "<h1>Central Asia &lt;2017&gt;</h1>"));
	vg_buf_release(&b);
	json_decref(cases);
}

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_parse),    cmocka_unit_test(test_md_exact),
	    cmocka_unit_test(test_md_confidential), cmocka_unit_test(test_md_escaping),
	    cmocka_unit_test(test_html_policy),	    cmocka_unit_test(test_html_escaping),
	    cmocka_unit_test(test_html_no_chart),   cmocka_unit_test(test_html_chart),
	    cmocka_unit_test(test_csv_rows),	    cmocka_unit_test(test_csv_formulas),
	    cmocka_unit_test(test_json_groups),	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
