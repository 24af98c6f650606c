/*
 * Hostile input, systematically (issue 14): a signed receipt and an invitation file, each
 * bit-flipped at every bit, truncated at every length, extended, and swapped with the other
 * file; and the JSON documents of a receipt and a roster changed field by field (each
 * member removed, given twice, given another member's value of another type, given a value of every
 * other type, a huge number, a 1 MB string; a member nested 100000 deep), as the strict parsers
 * read them before anything is signed or after the signature held.
 *
 * Each must be refused with a specific error code (never the unclassified VG_ERROR, never
 * success) and a message, and a failed check returns nothing: the receipt has no marks,
 * the invitation no member, remote or credential, the roster no object.
 *
 * Prints one summary line: reliability: hostile-files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/invite.h"
#include "vigil/receipt.h"
#include "vigil/roster.h"
#include "vigil/vigil.h"

static struct {
	struct vg_minisign_sk *org, *coord_sk, *mon_sk;
	struct vg_minisign_pk org_pk, coord_pk;
	uint8_t org_id[VG_ID_BYTES], coord_id[VG_ID_BYTES], mon_id[VG_ID_BYTES];
	struct vg_roster *roster;
	struct vg_buf roster_json, receipt_json, receipt_sig, invite;
	unsigned long tried;
	double t0;
	int done;
} W;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int setup(void **state)
{
	struct vg_age_identity *rec = NULL, *cage = NULL, *mage = NULL;
	struct vg_age_recipient rr;
	struct vg_identity ci, mi;
	struct vg_receipt r;
	struct vg_invite inv;
	struct vg_buf sig = VG_BUF_INIT;
	uint8_t entry[VG_ID_BYTES];

	(void)state;
	assert_int_equal(vg_init(), 0);
	memset(&W, 0, sizeof(W));
	W.t0 = now_s();
	assert_int_equal(vg_minisign_sk_generate(&W.org), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.coord_sk), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.mon_sk), 0);
	assert_int_equal(vg_age_identity_generate(&rec), 0);
	assert_int_equal(vg_age_identity_generate(&cage), 0);
	assert_int_equal(vg_age_identity_generate(&mage), 0);
	vg_minisign_sk_public(&W.org_pk, W.org);
	vg_minisign_sk_public(&W.coord_pk, W.coord_sk);
	vg_id_of_key(W.org_id, &W.org_pk);
	vg_id_of_key(W.coord_id, &W.coord_pk);
	vg_age_identity_recipient(&rr, rec);
	memset(&ci, 0, sizeof(ci));
	strcpy(ci.pseudonym, "office");
	vg_minisign_sk_public(&ci.sign, W.coord_sk);
	vg_age_identity_recipient(&ci.age, cage);
	memset(&mi, 0, sizeof(mi));
	strcpy(mi.pseudonym, "nadia");
	vg_minisign_sk_public(&mi.sign, W.mon_sk);
	vg_id_of_key(W.mon_id, &mi.sign);
	vg_age_identity_recipient(&mi.age, mage);
	assert_int_equal(
	    vg_roster_first(&W.roster, &W.org_pk, "Example Watch", &rr, &ci, time(NULL)), 0);
	assert_int_equal(vg_roster_add(W.roster, &mi, VG_ROLE_MONITOR), 0);
	assert_int_equal(vg_roster_sign(&W.roster_json, &sig, W.roster, W.org), 0);
	vg_buf_release(&sig);

	vg_receipt_init(&r);
	memcpy(r.org, W.org_id, VG_ID_BYTES);
	memcpy(r.coordinator, W.coord_id, VG_ID_BYTES);
	r.n = 1;
	r.roster = W.roster->version;
	randombytes_buf(entry, sizeof(entry));
	assert_int_equal(vg_receipt_add(&r, W.mon_id, 7, entry), 0);
	assert_int_equal(vg_receipt_sign(&W.receipt_json, &W.receipt_sig, &r, W.coord_sk), 0);
	vg_receipt_release(&r);

	vg_invite_init(&inv);
	assert_int_equal(vg_invite_prepare(&inv, W.roster, vg_roster_lookup(W.roster, "nadia"),
					   "ssh://git@example.org/watch.git", NULL,
					   (const uint8_t *)"secret transport token", 22),
			 0);
	assert_int_equal(vg_invite_write(&W.invite, &inv, W.org), 0);
	vg_invite_release(&inv);
	vg_age_identity_free(rec);
	vg_age_identity_free(cage);
	vg_age_identity_free(mage);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	print_message("reliability: hostile-files: %lu tried, %d failed, %.1f s\n", W.tried,
		      !W.done, now_s() - W.t0);
	vg_minisign_sk_free(W.org);
	vg_minisign_sk_free(W.coord_sk);
	vg_minisign_sk_free(W.mon_sk);
	vg_roster_free(W.roster);
	vg_buf_release(&W.roster_json);
	vg_buf_release(&W.receipt_json);
	vg_buf_release(&W.receipt_sig);
	vg_buf_release(&W.invite);
	return 0;
}

/* A refusal as the contract wants it: a specific code and a message. */
static void refused(int rc, const char *what, size_t at)
{
	W.tried++;
	if (rc == 0)
		fail_msg("%s (%zu): accepted", what, at);
	if (rc == VG_ERROR)
		fail_msg("%s (%zu): unclassified error: %s", what, at, vg_error_last());
	if (vg_error_last() == NULL || vg_error_last()[0] == '\0')
		fail_msg("%s (%zu): refused (%d) without a message", what, at, rc);
}

/* ---- files as a whole ---- */

static int check_receipt(const uint8_t *json, size_t jlen, const uint8_t *sig, size_t slen)
{
	struct vg_receipt r;
	int rc;

	vg_receipt_init(&r);
	rc = vg_receipt_verify(&r, json, jlen, (const char *)sig, slen, W.org_id, W.coord_id,
			       &W.coord_pk);
	if (rc < 0 && (r.nmembers != 0 || r.members != NULL))
		fail_msg("a refused receipt still holds %zu marks", r.nmembers);
	vg_receipt_release(&r);
	return rc;
}

static int check_invite(const uint8_t *text, size_t len)
{
	struct vg_invite inv;
	int rc;

	vg_invite_init(&inv);
	rc = vg_invite_parse(&inv, text, len);
	if (rc < 0 && (inv.credential.len != 0 || inv.remote[0] != '\0' ||
		       inv.pseudonym[0] != '\0' || !sodium_is_zero(inv.member, VG_ID_BYTES)))
		fail_msg("a refused invitation still holds what it named");
	vg_invite_release(&inv);
	return rc;
}

/* Every bit of buf flipped in turn, every truncation, two extensions; check sees each. */
static void mutate_file(const char *what, const struct vg_buf *b,
			int (*check)(const uint8_t *, size_t, void *), void *ctx)
{
	uint8_t *m = malloc(b->len + 2);
	char label[96];

	assert_non_null(m);
	assert_int_equal(check(b->ptr, b->len, ctx), 0); /* control: the file as it is */
	for (size_t i = 0; i < b->len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(m, b->ptr, b->len);
			m[i] ^= (uint8_t)(1u << bit);
			snprintf(label, sizeof(label), "%s, bit %d of byte", what, bit);
			refused(check(m, b->len, ctx), label, i);
		}
	}
	for (size_t n = 0; n < b->len; n++) {
		snprintf(label, sizeof(label), "%s truncated to", what);
		refused(check(b->ptr, n, ctx), label, n);
	}
	memcpy(m, b->ptr, b->len);
	m[b->len] = '\n';
	snprintf(label, sizeof(label), "%s and a newline", what);
	refused(check(m, b->len + 1, ctx), label, b->len);
	m[b->len] = 'x';
	m[b->len + 1] = '\n';
	snprintf(label, sizeof(label), "%s and a line", what);
	refused(check(m, b->len + 2, ctx), label, b->len);
	free(m);
}

static int receipt_json_only(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	return check_receipt(p, n, W.receipt_sig.ptr, W.receipt_sig.len);
}

static int receipt_sig_only(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	return check_receipt(W.receipt_json.ptr, W.receipt_json.len, p, n);
}

static int invite_file(const uint8_t *p, size_t n, void *ctx)
{
	(void)ctx;
	return check_invite(p, n);
}

static void test_files(void **state)
{
	(void)state;
	mutate_file("receipt.json", &W.receipt_json, receipt_json_only, NULL);
	mutate_file("receipt.json.minisig", &W.receipt_sig, receipt_sig_only, NULL);
	mutate_file("invitation", &W.invite, invite_file, NULL);
	/* Swapped: each file where the other belongs, and a receipt for an invitation. */
	refused(check_receipt(W.receipt_sig.ptr, W.receipt_sig.len, W.receipt_json.ptr,
			      W.receipt_json.len),
		"receipt files swapped", 0);
	refused(check_invite(W.receipt_json.ptr, W.receipt_json.len), "a receipt as invitation", 0);
	refused(check_invite(W.roster_json.ptr, W.roster_json.len), "a roster as invitation", 0);
	refused(check_receipt(W.invite.ptr, W.invite.len, W.receipt_sig.ptr, W.receipt_sig.len),
		"an invitation as receipt", 0);
}

/* ---- JSON documents field by field ---- */

typedef int (*parse_fn)(const uint8_t *json, size_t len);

static int parse_receipt(const uint8_t *json, size_t len)
{
	struct vg_receipt r;
	int rc;

	vg_receipt_init(&r);
	rc = vg_receipt_parse(&r, json, len);
	if (rc < 0 && r.nmembers != 0)
		fail_msg("a refused receipt still holds %zu marks", r.nmembers);
	vg_receipt_release(&r);
	return rc;
}

static int parse_roster(const uint8_t *json, size_t len)
{
	struct vg_roster *r = NULL;
	int rc = vg_roster_parse(&r, json, len);
	if (rc < 0 && r != NULL)
		fail_msg("a refused roster was returned");
	vg_roster_free(r);
	return rc;
}

/* doc encoded as the files are (sorted keys, compact, one final LF), then parsed. */
static int parse_doc(parse_fn parse, const json_t *doc)
{
	char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
	struct vg_buf b = VG_BUF_INIT;
	int rc;

	assert_non_null(s);
	assert_int_equal(vg_buf_put(&b, s, strlen(s)), 0);
	assert_int_equal(vg_buf_put(&b, "\n", 1), 0);
	free(s);
	rc = parse(b.ptr, b.len);
	vg_buf_release(&b);
	return rc;
}

/* The values every member is given in turn. */
static json_t *hostile_value(size_t k)
{
	static char big[1 << 20];

	switch (k) {
	case 0:
		return json_null();
	case 1:
		return json_true();
	case 2:
		return json_integer(-1);
	case 3:
		return json_integer(0);
	case 4:
		return json_real(1e300);
	case 5:
		return json_string("");
	case 6:
		return json_string("x");
	case 7:
		return json_array();
	case 8:
		return json_object();
	case 9:
		return json_integer(INT64_MAX);
	case 10:
		memset(big, 'a', sizeof(big) - 1);
		return json_string(big);
	default:
		return NULL;
	}
}
#define HOSTILE_VALUES 11

static void mutate_fields(const char *what, const struct vg_buf *file, parse_fn parse)
{
	json_error_t err;
	json_t *orig = json_loadb((const char *)file->ptr, file->len, JSON_REJECT_DUPLICATES, &err);
	const char *key, *other;
	json_t *val, *oval;
	char label[160];

	assert_non_null(orig);
	assert_int_equal(parse_doc(parse, orig), 0); /* control: the re-encoding is accepted */
	json_object_foreach(orig, key, val)
	{
		json_t *d = json_deep_copy(orig);

		/* Removed. */
		assert_int_equal(json_object_del(d, key), 0);
		snprintf(label, sizeof(label), "%s without '%s'", what, key);
		refused(parse_doc(parse, d), label, 0);
		json_decref(d);
		/* Every hostile value, and each other member's value. */
		for (size_t k = 0; k < HOSTILE_VALUES; k++) {
			json_t *h = hostile_value(k);
			/* Of the values of the member's own type, only those no field takes
			 * (a negative count, a 1 MB string): an empty list can be right. */
			if (h == NULL || json_equal(h, val) ||
			    (json_typeof(h) == json_typeof(val) && k != 2 && k != 10)) {
				json_decref(h);
				continue;
			}
			d = json_deep_copy(orig);
			assert_int_equal(json_object_set_new(d, key, h), 0);
			snprintf(label, sizeof(label), "%s, '%s' given hostile value", what, key);
			refused(parse_doc(parse, d), label, k);
			json_decref(d);
		}
		json_object_foreach(orig, other, oval)
		{
			/* A value of the same type (one id for another, one count for
			 * another) is well-formed: only the signature can tell, and
			 * test_files and the parsers' own tests cover that. */
			if (strcmp(other, key) == 0 || json_typeof(oval) == json_typeof(val))
				continue;
			d = json_deep_copy(orig);
			assert_int_equal(json_object_set(d, key, oval), 0);
			snprintf(label, sizeof(label), "%s, '%s' given the value of '%s'", what,
				 key, other);
			refused(parse_doc(parse, d), label, 0);
			json_decref(d);
		}
		/* Given twice (textually: jansson keeps one), at the front of the object. */
		{
			char *s =
			    json_dumps(orig, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
			char *v =
			    json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
			struct vg_buf b = VG_BUF_INIT;
			assert_non_null(s);
			assert_non_null(v);
			assert_int_equal(vg_buf_put(&b, "{\"", 2), 0);
			assert_int_equal(vg_buf_put(&b, key, strlen(key)), 0);
			assert_int_equal(vg_buf_put(&b, "\":", 2), 0);
			assert_int_equal(vg_buf_put(&b, v, strlen(v)), 0);
			assert_int_equal(vg_buf_put(&b, ",", 1), 0);
			assert_int_equal(vg_buf_put(&b, s + 1, strlen(s + 1)), 0);
			assert_int_equal(vg_buf_put(&b, "\n", 1), 0);
			snprintf(label, sizeof(label), "%s with '%s' twice", what, key);
			refused(parse(b.ptr, b.len), label, 0);
			vg_buf_release(&b);
			free(s);
			free(v);
		}
	}
	/* Nesting 100000 deep as an extra member, and as the whole document. */
	{
		snprintf(label, sizeof(label), "%s with a member nested 100000 deep", what);
		{
			/* Built as text: a jansson value this deep would overflow its own stack. */
			char *s = json_dumps(orig, JSON_SORT_KEYS | JSON_COMPACT);
			struct vg_buf b = VG_BUF_INIT;
			assert_non_null(s);
			assert_int_equal(vg_buf_put(&b, s, strlen(s) - 1), 0);
			assert_int_equal(vg_buf_put(&b, ",\"zz\":", 6), 0);
			for (int i = 0; i < 100000; i++)
				assert_int_equal(vg_buf_put(&b, "[", 1), 0);
			for (int i = 0; i < 100000; i++)
				assert_int_equal(vg_buf_put(&b, "]", 1), 0);
			assert_int_equal(vg_buf_put(&b, "}\n", 2), 0);
			refused(parse(b.ptr, b.len), label, 0);
			vg_buf_release(&b);
			free(s);
		}
	}
	json_decref(orig);
}

static void test_fields(void **state)
{
	(void)state;
	mutate_fields("receipt.json", &W.receipt_json, parse_receipt);
	mutate_fields("roster.json", &W.roster_json, parse_roster);
	W.done = 1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
