/*
 * The id map under the daemon's case indexes: positions in the order ids were added, every
 * id found again and nothing else, clear, and ids chosen to collide in their first bytes
 * (what a hostile member controls) still found fast because the hash is keyed.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/idmap.h"
#include "vigil/vigil.h"

static void test_positions_and_lookup(void **state)
{
	struct vg_idmap m = VG_IDMAP_INIT(16);
	uint8_t id[16];
	size_t pos;
	(void)state;

	assert_int_equal(vg_idmap_find(&m, (const uint8_t *)"0123456789abcdef"), SIZE_MAX);
	for (uint32_t i = 0; i < 5000; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id + 12, &i, sizeof(i));
		assert_int_equal(vg_idmap_add(&m, id, &pos), 1);
		assert_int_equal(pos, i);
	}
	assert_int_equal(m.n, 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		memset(id, 0, sizeof(id));
		memcpy(id + 12, &i, sizeof(i));
		assert_int_equal(vg_idmap_find(&m, id), i);
		/* Adding again gives the same position and adds nothing. */
		assert_int_equal(vg_idmap_add(&m, id, &pos), 0);
		assert_int_equal(pos, i);
	}
	memset(id, 0xff, sizeof(id));
	assert_int_equal(vg_idmap_find(&m, id), SIZE_MAX);
	assert_int_equal(m.n, 5000);

	vg_idmap_clear(&m);
	assert_int_equal(m.n, 0);
	memset(id, 0, sizeof(id));
	assert_int_equal(vg_idmap_find(&m, id), SIZE_MAX);
	assert_int_equal(vg_idmap_add(&m, id, &pos), 1);
	assert_int_equal(pos, 0);
	vg_idmap_release(&m);
	assert_int_equal(vg_idmap_find(&m, id), SIZE_MAX);
}

/*
 * 40,000 ids equal in their first 24 bytes: with the first bytes as the hash (what the
 * daemon did before) every insert would probe the whole cluster, about 8 * 10^8 probes;
 * keyed, it is linear. The bound is generous: seconds against milliseconds.
 */
static void test_colliding_ids(void **state)
{
	struct vg_idmap m = VG_IDMAP_INIT(32);
	uint8_t id[32];
	struct timespec a, b;
	double t;
	(void)state;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint32_t i = 0; i < 40000; i++) {
		memset(id, 0x41, sizeof(id));
		memcpy(id + 28, &i, sizeof(i));
		assert_int_equal(vg_idmap_add(&m, id, NULL), 1);
	}
	for (uint32_t i = 0; i < 40000; i++) {
		memset(id, 0x41, sizeof(id));
		memcpy(id + 28, &i, sizeof(i));
		assert_int_equal(vg_idmap_find(&m, id), i);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("40,000 colliding ids added and found in %.3f s\n", t);
	assert_true(t < 1.0);
	vg_idmap_release(&m);
}

static const uint8_t hexfind_ids[4][4] = {
    {0xab, 0xcd, 0x12, 0x34},
    {0xab, 0xce, 0x00, 0x00},
    {0xab, 0xcd, 0x99, 0x00},
    {0x01, 0x02, 0x03, 0x04},
};

static const uint8_t *hexfind_id(void *ctx, size_t i)
{
	(void)ctx;
	return hexfind_ids[i];
}

static bool hexfind_not_first(void *ctx, size_t i)
{
	(void)ctx;
	return i != 0;
}

/* Every pair of bytes: only lower-case hex digits decode, each to its value; round trip. */
static void test_hex_digits(void **state)
{
	static const char digits[] = "0123456789abcdef";
	uint8_t b, all[256];
	char s[3] = {0, 0, 0}, hex[513];

	(void)state;
	for (int hi = 0; hi < 256; hi++) {
		for (int lo = 0; lo < 256; lo++) {
			const char *h = hi ? memchr(digits, hi, 16) : NULL;
			const char *l = lo ? memchr(digits, lo, 16) : NULL;
			s[0] = (char)hi;
			s[1] = (char)lo;
			if (h == NULL || l == NULL) {
				assert_int_equal(vg_hex_decode(&b, 1, s, 2), VG_EFORMAT);
				continue;
			}
			assert_int_equal(vg_hex_decode(&b, 1, s, 2), 0);
			assert_int_equal(b, (h - digits) << 4 | (l - digits));
		}
	}
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	vg_hex_encode(hex, all, sizeof(all));
	memset(all, 0, sizeof(all));
	assert_int_equal(vg_hex_decode(all, sizeof(all), hex, 512), 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(all[i], i);
}

/* Abbreviated ids as users type them: whole, even and odd prefixes, ambiguity, nothing. */
static void test_hex_find(void **state)
{
	size_t pos;

	(void)state;
	assert_int_equal(vg_hex_find(&pos, "abcd1234", 2, 4, 4, hexfind_id, NULL, NULL), 0);
	assert_int_equal(pos, 0);
	assert_int_equal(vg_hex_find(&pos, "abcd9", 2, 4, 4, hexfind_id, NULL, NULL), 0);
	assert_int_equal(pos, 2);
	assert_int_equal(vg_hex_find(&pos, "abce", 2, 4, 4, hexfind_id, NULL, NULL), 0);
	assert_int_equal(pos, 1);
	assert_int_equal(vg_hex_find(&pos, "010", 2, 4, 4, hexfind_id, NULL, NULL), 0);
	assert_int_equal(pos, 3);
	/* Two ids begin with abcd (and with the odd prefix abc). */
	assert_int_equal(vg_hex_find(&pos, "abcd", 2, 4, 4, hexfind_id, NULL, NULL), VG_EINVAL);
	assert_int_equal(pos, SIZE_MAX);
	assert_int_equal(vg_hex_find(&pos, "abc", 2, 4, 4, hexfind_id, NULL, NULL), VG_EINVAL);
	/* ... unless the filter drops one of them. */
	assert_int_equal(vg_hex_find(&pos, "abcd", 2, 4, 4, hexfind_id, hexfind_not_first, NULL),
			 0);
	assert_int_equal(pos, 2);
	assert_int_equal(vg_hex_find(&pos, "abcd12", 2, 4, 4, hexfind_id, hexfind_not_first, NULL),
			 VG_ENOTFOUND);
	assert_int_equal(vg_hex_find(&pos, "ff", 2, 4, 4, hexfind_id, NULL, NULL), VG_ENOTFOUND);
	/* Not hex, upper case, too short, too long, empty. */
	assert_int_equal(vg_hex_find(&pos, "abzz", 2, 4, 4, hexfind_id, NULL, NULL), VG_EFORMAT);
	assert_int_equal(vg_hex_find(&pos, "ABCD", 2, 4, 4, hexfind_id, NULL, NULL), VG_EFORMAT);
	assert_int_equal(vg_hex_find(&pos, "a", 2, 4, 4, hexfind_id, NULL, NULL), VG_EFORMAT);
	assert_int_equal(vg_hex_find(&pos, "abcd12340", 2, 4, 4, hexfind_id, NULL, NULL),
			 VG_EFORMAT);
	assert_int_equal(vg_hex_find(&pos, "", 0, 4, 4, hexfind_id, NULL, NULL), VG_EFORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_positions_and_lookup),
	    cmocka_unit_test(test_colliding_ids),
	    cmocka_unit_test(test_hex_digits),
	    cmocka_unit_test(test_hex_find),
	};
	if (vg_init_without_git() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
