/*
 * Growable arrays (vg_array_reserve): room for the index asked, contents kept across
 * growth, overflow of the element count or of count x size refused with nothing changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/vigil.h"

struct pair {
	uint64_t a, b;
};

static void test_grows_and_keeps(void **state)
{
	struct pair *v = NULL;
	size_t cap = 0;

	(void)state;
	for (size_t i = 0; i < 1000; i++) {
		assert_int_equal(vg_array_reserve(&v, &cap, i, sizeof(*v), 4, "test array"), 0);
		assert_true(cap > i);
		v[i].a = i;
		v[i].b = ~(uint64_t)i;
	}
	assert_int_equal(cap, 1024); /* 4 doubled eight times */
	for (size_t i = 0; i < 1000; i++)
		assert_true(v[i].a == i && v[i].b == ~(uint64_t)i);
	/* Room already there: nothing moves. */
	struct pair *before = v;
	assert_int_equal(vg_array_reserve(&v, &cap, 1023, sizeof(*v), 4, "test array"), 0);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 1024);
	free(v);
}

static void test_overflow_refused(void **state)
{
	uint8_t *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_int_equal(vg_array_reserve(&v, &cap, SIZE_MAX / 2 + 1, 1, 8, "test array"),
			 VG_ENOMEM);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(vg_array_reserve(&v, &cap, 0, 1, 8, "test array"), 0);
	assert_int_equal(cap, 8);
	/* count x size past SIZE_MAX: refused, the array as it was. */
	uint8_t *kept = v;
	assert_int_equal(vg_array_reserve(&v, &cap, SIZE_MAX / 64, 128, 8, "test array"),
			 VG_ENOMEM);
	assert_ptr_equal(v, kept);
	assert_int_equal(cap, 8);
	assert_non_null(strstr(vg_error_last(), "cannot grow the test array"));
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grows_and_keeps),
	    cmocka_unit_test(test_overflow_refused),
	};
	if (vg_init_without_git() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
