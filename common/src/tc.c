#include <string.h>

#include "tc.h"
#include "vigil/entry.h"
#include "vigil/error.h"

int vg_tc_lit(struct vg_tc *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return vg_error_set(VG_EFORMAT, "%s: expected '%s'", c->what, s);
	c->p += n;
	return 0;
}

int vg_tc_hex(struct vg_tc *c, uint8_t out[VG_ID_BYTES], const char *field)
{
	if (c->end - c->p < VG_ID_HEX_LEN ||
	    vg_hex_decode(out, VG_ID_BYTES, c->p, VG_ID_HEX_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "%s: %s is not 64 lower-case hex digits", c->what,
				    field);
	c->p += VG_ID_HEX_LEN;
	return 0;
}

int vg_tc_num(struct vg_tc *c, uint64_t *out, const char *field)
{
	const char *start = c->p;
	uint64_t v = 0;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (uint64_t)(*c->p++ - '0');
		if (v > VG_ENTRY_INT_MAX)
			return vg_error_set(VG_EFORMAT, "%s: %s out of range", c->what, field);
	}
	if (c->p == start || *start == '0')
		return vg_error_set(VG_EFORMAT, "%s: bad %s", c->what, field);
	*out = v;
	return 0;
}

int vg_tc_end(const struct vg_tc *c, const char *last)
{
	if (c->p != c->end)
		return vg_error_set(VG_EFORMAT, "%s: unexpected data after %s", c->what, last);
	return 0;
}
