/*
 * Case records: body schemas, partial-date order, and the spreadsheet import on the
 * project's demo data and on files that must be refused whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/record.h"
#include "vigil/vigil.h"

static struct vg_import *import_text(const char *text, int want_rc)
{
	struct vg_csv *csv = NULL;
	struct vg_import *imp = NULL;
	int rc = vg_csv_parse(&csv, (const uint8_t *)text, strlen(text));

	assert_non_null(csv);
	(void)rc;
	assert_int_equal(vg_import_from_csv(&imp, csv), want_rc);
	vg_csv_free(csv);
	assert_non_null(imp);
	return imp;
}

static struct vg_import *import_demo(const char *name)
{
	char path[4096];
	struct vg_buf b = VG_BUF_INIT;
	struct vg_csv *csv = NULL;
	struct vg_import *imp = NULL;

	snprintf(path, sizeof(path), "%s/packaging/demo/%s", getenv("VIGIL_SOURCE_DIR"), name);
	assert_int_equal(vg_fs_read_file(&b, path, VG_CSV_FILE_MAX), 0);
	assert_int_equal(vg_csv_parse(&csv, b.ptr, b.len), 0);
	assert_int_equal(vg_import_from_csv(&imp, csv), 0);
	vg_csv_free(csv);
	vg_buf_release(&b);
	return imp;
}

static const char *str_at(json_t *body, const char *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(body, obj), key));
}

static void test_demo_import(void **state)
{
	struct vg_import *a = import_demo("monitor-a.csv"), *b = import_demo("monitor-b.csv");
	struct vg_import_case *mamay = &a->cases[0], *askarov = NULL;

	(void)state;
	/* 15 + 3 = the 18 cases of the statement; 18 + 3 events. */
	assert_int_equal(a->ncases, 15);
	assert_int_equal(a->nevents, 18);
	assert_int_equal(b->ncases, 3);
	assert_int_equal(b->nevents, 3);
	assert_string_equal(str_at(mamay->open, "person", "name"), "Zhanbolat Mamay");
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(json_object_get(mamay->open, "person"), "other_names"), 0)),
	    "Жанболат Мамай");
	assert_string_equal(json_string_value(json_object_get(mamay->open, "ref")), "KZ-001");
	assert_string_equal(str_at(mamay->events[0], "event", "type"), "pre-trial detention");
	assert_null(json_object_get(json_object_get(mamay->events[0], "event"), "date"));
	assert_true(json_is_true(
	    json_object_get(json_object_get(mamay->events[0], "source"), "confidential")));
	assert_string_equal(json_string_value(json_object_get(mamay->events[0], "notes")),
			    "Independent journalist; charges described as \"spurious\"");
	for (size_t i = 0; i < a->ncases; i++)
		if (strcmp(json_string_value(json_object_get(a->cases[i].open, "ref")), "KG-001") ==
		    0)
			askarov = &a->cases[i];
	assert_non_null(askarov);
	assert_int_equal(askarov->nevents, 3);
	assert_string_equal(str_at(askarov->events[1], "event", "authority"),
			    "UN Human Rights Committee");
	/* Every body passes its schema. */
	for (size_t i = 0; i < a->ncases; i++) {
		assert_int_equal(vg_record_check(VG_ENTRY_OPEN, a->cases[i].open), 0);
		for (size_t j = 0; j < a->cases[i].nevents; j++)
			assert_int_equal(vg_record_check(VG_ENTRY_EVENT, a->cases[i].events[j]), 0);
	}
	vg_import_free(a);
	vg_import_free(b);
}

static void test_bad_file_imports_nothing(void **state)
{
	const char *text = "case_ref,person,country,event,date\n"
			   "A-1,Someone,Kazakhstan,arrest,2016-10\n"
			   "A-2,,Kazakhstan,arrest,\n"		      /* 3: no person */
			   "A-3,Other,Kyrgyzstan,arrest,2016-13\n"    /* 4: bad month */
			   "A-1,Someone Else,Kazakhstan,trial,2017\n" /* 5: disagrees */
			   "A-4,Fourth,Tajikistan,,2017\n"	      /* 6: no event */
			   "A-5,Fifth,Tajikistan,arrest,2015-02-29\n" /* 7: no such day */
			   "A-6,Sixth,Tajikistan,arrest\n"	      /* 8: short row */
			   "\n"
			   "A-1,Someone,Kazakhstan,trial,2017-03-01\n";
	size_t want[] = {3, 4, 5, 6, 7, 8};
	struct vg_import *imp = import_text(text, VG_EFORMAT);

	(void)state;
	assert_int_equal(imp->nerrors, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(imp->errors[i].line, want[i]);
	assert_non_null(strstr(imp->errors[2].msg, "line 2"));
	/* Nothing from a bad file, and no value quoted in any message. */
	assert_int_equal(imp->ncases, 0);
	for (size_t i = 0; i < imp->nerrors; i++) {
		assert_null(strstr(imp->errors[i].msg, "Someone"));
		assert_null(strstr(imp->errors[i].msg, "2016-13"));
	}
	vg_import_free(imp);
}

static void test_header_and_csv_errors(void **state)
{
	struct vg_import *imp;

	(void)state;
	imp = import_text("case_ref,person,country\nA,B,C\n", VG_EFORMAT);
	assert_int_equal(imp->nerrors, 1);
	assert_non_null(strstr(imp->errors[0].msg, "'event'"));
	vg_import_free(imp);
	imp = import_text("case_ref,person,country,event,colour\n", VG_EFORMAT);
	assert_non_null(strstr(imp->errors[0].msg, "unknown column 5"));
	vg_import_free(imp);
	imp = import_text("case_ref,person,country,event,event\n", VG_EFORMAT);
	vg_import_free(imp);
	imp = import_text("", VG_EFORMAT);
	vg_import_free(imp);
	/* The reader's own errors (a bare quote) are reported by line too. */
	imp = import_text("case_ref,person,country,event\nA,B\"x,C,D\nE,F,G,H\n", VG_EFORMAT);
	assert_int_equal(imp->errors[0].line, 2);
	assert_int_equal(imp->ncases, 0);
	vg_import_free(imp);
}

static void test_schemas(void **state)
{
	static const struct {
		enum vg_entry_type type;
		const char *json;
		int rc;
	} cases[] = {
	    {VG_ENTRY_OPEN, "{\"person\":{\"name\":\"A\",\"country\":\"KZ\"}}", 0},
	    {VG_ENTRY_OPEN, "{\"person\":{\"name\":\"A\"}}", VG_EFORMAT},
	    {VG_ENTRY_OPEN, "{\"person\":{\"name\":\"A\",\"country\":\"KZ\",\"x\":1}}", VG_EFORMAT},
	    {VG_ENTRY_OPEN, "{\"person\":{\"name\":\"\",\"country\":\"KZ\"}}", VG_EFORMAT},
	    {VG_ENTRY_OPEN, "{\"person\":{\"name\":\"A\",\"country\":\"KZ\",\"birth_year\":99}}",
	     VG_EFORMAT},
	    {VG_ENTRY_OPEN, "{\"person\":{\"name\":\"A\",\"country\":\"KZ\"},\"extra\":1}",
	     VG_EFORMAT},
	    {VG_ENTRY_EVENT, "{\"event\":{\"type\":\"arrest\",\"date\":\"2016-02-29\"}}", 0},
	    {VG_ENTRY_EVENT, "{\"event\":{\"type\":\"arrest\",\"date\":\"2015-02-29\"}}",
	     VG_EFORMAT},
	    {VG_ENTRY_EVENT, "{\"event\":{\"type\":\"arrest\",\"date\":\"16-02\"}}", VG_EFORMAT},
	    {VG_ENTRY_EVENT, "{\"event\":{\"type\":\"arrest\"},\"source\":{}}", VG_EFORMAT},
	    {VG_ENTRY_EVENT,
	     "{\"event\":{\"type\":\"arrest\"},\"source\":{\"confidential\":false}}", 0},
	    {VG_ENTRY_LINK,
	     "{\"cases\":[\"0123456789abcdef0123456789abcdef\","
	     "\"fedcba9876543210fedcba9876543210\"]}",
	     0},
	    {VG_ENTRY_LINK,
	     "{\"cases\":[\"0123456789abcdef0123456789abcdef\","
	     "\"0123456789abcdef0123456789abcdef\"]}",
	     VG_EFORMAT},
	    {VG_ENTRY_REDACT, "{\"supersedes\":[]}", VG_EFORMAT},
	    {VG_ENTRY_CORRECT,
	     "{\"supersedes\":["
	     "\"0000000000000000000000000000000000000000000000000000000000000001\"],"
	     "\"event\":{\"type\":\"trial\"}}",
	     0},
	    {VG_ENTRY_CORRECT,
	     "{\"supersedes\":["
	     "\"0000000000000000000000000000000000000000000000000000000000000001\"],"
	     "\"event\":{\"type\":\"trial\"},\"person\":{\"name\":\"A\",\"country\":\"B\"}}",
	     VG_EFORMAT},
	};
	json_error_t jerr;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_loads(cases[i].json, 0, &jerr);
		assert_non_null(v);
		if (vg_record_check(cases[i].type, v) != cases[i].rc)
			fail_msg("schema case %zu: %s", i, vg_error_last());
		json_decref(v);
	}
}

static int cmp(const void *a, const void *b)
{
	return vg_record_date_cmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_date_order(void **state)
{
	const char *d[] = {"", "2016-10-06", "2016", "2016-10", "2010-06", "2017-01", NULL};
	const char *want[] = {"2010-06", "2016", "2016-10", "2016-10-06", "2017-01", "", NULL};

	(void)state;
	qsort(d, 7, sizeof(d[0]), cmp);
	for (int i = 0; i < 5; i++)
		assert_string_equal(d[i], want[i]);
	/* Unknown (empty or NULL) last. */
	assert_true(d[5] == NULL || d[5][0] == '\0');
	assert_true(d[6] == NULL || d[6][0] == '\0');
	assert_int_equal(vg_record_date_cmp("2016", "2016"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_import),
	    cmocka_unit_test(test_bad_file_imports_nothing),
	    cmocka_unit_test(test_header_and_csv_errors),
	    cmocka_unit_test(test_schemas),
	    cmocka_unit_test(test_date_order),
	};
	assert_int_equal(vg_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
