/*
 * The CSV reader behind `vigil import`: the project's demo spreadsheets, RFC 4180 quoting,
 * line numbers, and every bad record reported without quoting its content.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/vigil.h"

static struct vg_csv *parse_ok(const char *s)
{
	struct vg_csv *c = NULL;
	assert_int_equal(vg_csv_parse(&c, (const uint8_t *)s, strlen(s)), 0);
	assert_non_null(c);
	return c;
}

static void test_demo_files(void **state)
{
	const char *src = getenv("VIGIL_SOURCE_DIR");
	char path[4096];
	struct vg_buf b = VG_BUF_INIT;
	struct vg_csv *c = NULL;

	(void)state;
	assert_non_null(src);
	snprintf(path, sizeof(path), "%s/packaging/demo/monitor-a.csv", src);
	assert_int_equal(vg_fs_read_file(&b, path, VG_CSV_FILE_MAX), 0);
	assert_int_equal(vg_csv_parse(&c, b.ptr, b.len), 0);
	assert_int_equal(c->nrows, 19); /* header and 18 events */
	for (size_t r = 0; r < c->nrows; r++) {
		assert_int_equal(c->rows[r].nfields, 14);
		assert_int_equal(c->rows[r].line, r + 1);
	}
	assert_string_equal(vg_csv_field(c, 0, 0), "case_ref");
	assert_string_equal(vg_csv_field(c, 1, 1), "Zhanbolat Mamay");
	assert_string_equal(vg_csv_field(c, 1, 2), "Жанболат Мамай");
	assert_string_equal(vg_csv_field(c, 1, 13),
			    "Independent journalist; charges described as \"spurious\"");
	assert_null(vg_csv_field(c, 1, 14));
	assert_null(vg_csv_field(c, 19, 0));
	vg_csv_free(c);
	vg_buf_release(&b);
	snprintf(path, sizeof(path), "%s/packaging/demo/monitor-b.csv", src);
	assert_int_equal(vg_fs_read_file(&b, path, VG_CSV_FILE_MAX), 0);
	assert_int_equal(vg_csv_parse(&c, b.ptr, b.len), 0);
	assert_int_equal(c->nrows, 4);
	assert_string_equal(vg_csv_field(c, 1, 1), "Ёров Бузургмехр");
	vg_csv_free(c);
	vg_buf_release(&b);
}

static void test_quoting(void **state)
{
	struct vg_csv *c;

	(void)state;
	c = parse_ok("\xef\xbb\xbf"
		     "a,\"b,c\",\"d \"\"e\"\"\"\r\n"
		     ",\"multi\nline\",\"\"\n"
		     "last,row");
	assert_int_equal(c->nrows, 3);
	assert_string_equal(vg_csv_field(c, 0, 0), "a");
	assert_string_equal(vg_csv_field(c, 0, 1), "b,c");
	assert_string_equal(vg_csv_field(c, 0, 2), "d \"e\"");
	assert_string_equal(vg_csv_field(c, 1, 0), "");
	assert_string_equal(vg_csv_field(c, 1, 1), "multi\nline");
	assert_string_equal(vg_csv_field(c, 1, 2), "");
	assert_int_equal(c->rows[2].line, 4); /* the quoted line break counts */
	assert_string_equal(vg_csv_field(c, 2, 1), "row");
	vg_csv_free(c);
	c = parse_ok("");
	assert_int_equal(c->nrows, 0);
	vg_csv_free(c);
}

static void test_bad_records(void **state)
{
	/* Lines 2, 4, 5, 6 and 7 are bad; 1, 3 and 8 are good. */
	const char in[] = "good,1\n"
			  "bad\"quote,2\n"
			  "good,3\n"
			  "\"closed\"x,4\n"
			  "invalid \xff utf8,5\n"
			  "nul\0byte,6\n"
			  "cr\rinside,7\n"
			  "good,8\n";
	struct vg_csv *c = NULL;
	size_t want[] = {2, 4, 5, 6, 7};

	(void)state;
	assert_int_equal(vg_csv_parse(&c, (const uint8_t *)in, sizeof(in) - 1), VG_EFORMAT);
	assert_non_null(c);
	assert_int_equal(c->nerrors, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(c->errors[i].line, want[i]);
	/* Messages name the problem, never the content. */
	for (size_t i = 0; i < 5; i++) {
		assert_null(strstr(c->errors[i].msg, "bad"));
		assert_null(strstr(c->errors[i].msg, "closed"));
	}
	assert_int_equal(c->nrows, 3);
	assert_string_equal(vg_csv_field(c, 2, 1), "8");
	assert_non_null(strstr(vg_error_last(), "line 2"));
	vg_csv_free(c);
	/* An unterminated quote ends parsing at the line where it began. */
	assert_int_equal(vg_csv_parse(&c, (const uint8_t *)"a\n\"open,\nmore\n", 14), VG_EFORMAT);
	assert_int_equal(c->nerrors, 1);
	assert_int_equal(c->errors[0].line, 2);
	vg_csv_free(c);
}

static void test_limits(void **state)
{
	struct vg_csv *c = NULL;
	size_t n = 10 * 1024 * 1024;
	char *big = malloc(n + 16);

	(void)state;
	/* A 10 MB line is one bad record, quickly, and the next line still parses. */
	memset(big, 'x', n);
	memcpy(big + n, "\nok,1\n", 6);
	assert_int_equal(vg_csv_parse(&c, (const uint8_t *)big, n + 6), VG_EFORMAT);
	assert_int_equal(c->nerrors, 1);
	assert_non_null(strstr(c->errors[0].msg, "64 KiB"));
	assert_int_equal(c->nrows, 1);
	vg_csv_free(c);
	/* Too many fields. */
	memset(big, ',', 100);
	big[100] = '\n';
	assert_int_equal(vg_csv_parse(&c, (const uint8_t *)big, 101), VG_EFORMAT);
	vg_csv_free(c);
	/* A file over the cap is refused before parsing. */
	assert_int_equal(vg_csv_parse(&c, (const uint8_t *)big, VG_CSV_FILE_MAX + 1), VG_ELIMIT);
	assert_null(c);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_files),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_bad_records),
	    cmocka_unit_test(test_limits),
	};
	assert_int_equal(vg_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
