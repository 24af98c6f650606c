#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "vigil/entry.h"
#include "tc.h"
#include "vigil/error.h"
#include "vigil/receipt.h"

void vg_receipt_init(struct vg_receipt *r)
{
	memset(r, 0, sizeof(*r));
}

void vg_receipt_release(struct vg_receipt *r)
{
	free(r->members);
	vg_receipt_init(r);
}

int vg_receipt_add(struct vg_receipt *r, const uint8_t id[VG_ID_BYTES], uint64_t seq,
		   const uint8_t entry[VG_ID_BYTES])
{
	struct vg_receipt_mark *m;

	if (r->nmembers >= VG_RECEIPT_MEMBERS_MAX)
		return vg_error_set(VG_ELIMIT, "a receipt names at most %d members",
				    VG_RECEIPT_MEMBERS_MAX);
	/* Grown in steps of 64; realloc is cheap next to signing. */
	if (r->nmembers % 64 == 0) {
		m = realloc(r->members, (r->nmembers + 64) * sizeof(*m));
		if (m == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		r->members = m;
	}
	m = &r->members[r->nmembers++];
	memcpy(m->id, id, VG_ID_BYTES);
	m->seq = seq;
	memcpy(m->entry, entry, VG_ID_BYTES);
	return 0;
}

const struct vg_receipt_mark *vg_receipt_find(const struct vg_receipt *r,
					      const uint8_t id[VG_ID_BYTES])
{
	size_t lo = 0, hi = r->nmembers;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(r->members[mid].id, id, VG_ID_BYTES);
		if (c == 0)
			return &r->members[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- encoding ---- */

static json_t *hex_json(const uint8_t b[VG_ID_BYTES])
{
	char h[VG_ID_HEX_LEN + 1];

	vg_hex_encode(h, b, VG_ID_BYTES);
	return json_string(h);
}

static int check(const struct vg_receipt *r)
{
	if (r->n < 1 || r->n > VG_ENTRY_INT_MAX || r->roster < 1 || r->roster > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EFORMAT, "receipt: n or roster out of range");
	if ((r->n == 1) != (sodium_is_zero(r->prev, VG_ID_BYTES) != 0))
		return vg_error_set(VG_EFORMAT, r->n == 1
						    ? "receipt: receipt 1 names a previous one"
						    : "receipt: a receipt after 1 must name "
						      "the previous one's hash");
	if (r->nmembers > VG_RECEIPT_MEMBERS_MAX)
		return vg_error_set(VG_ELIMIT, "receipt: more than %d members",
				    VG_RECEIPT_MEMBERS_MAX);
	for (size_t i = 0; i < r->nmembers; i++) {
		if (r->members[i].seq < 1 || r->members[i].seq > VG_ENTRY_INT_MAX)
			return vg_error_set(VG_EFORMAT, "receipt: a member's seq is out of range");
		if (i > 0 && memcmp(r->members[i - 1].id, r->members[i].id, VG_ID_BYTES) >= 0)
			return vg_error_set(VG_EFORMAT,
					    "receipt: members are not strictly ascending by id");
	}
	return 0;
}

int vg_receipt_encode(struct vg_buf *out, const struct vg_receipt *r)
{
	size_t len0 = out->len;
	json_t *doc = NULL, *arr;
	int rc, bad = 0;

	if ((rc = check(r)) < 0)
		return rc;
	if ((arr = json_array()) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nmembers && !bad; i++) {
		const struct vg_receipt_mark *m = &r->members[i];
		bad = json_array_append_new(
			  arr, json_pack("{s:o,s:o,s:I}", "entry", hex_json(m->entry), "id",
					 hex_json(m->id), "seq", (json_int_t)m->seq)) < 0;
	}
	if (!bad)
		doc = json_pack("{s:o,s:o,s:I,s:o,s:o,s:I,s:i}", "coordinator",
				hex_json(r->coordinator), "members", arr, "n", (json_int_t)r->n,
				"org", hex_json(r->org), "prev", hex_json(r->prev), "roster",
				(json_int_t)r->roster, "v", 1);
	else
		json_decref(arr);
	if (doc == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build the receipt");
	if ((rc = vg_json_canonical(out, doc)) == 0 && (rc = vg_buf_putc(out, '\n')) == 0 &&
	    out->len - len0 > VG_RECEIPT_JSON_MAX)
		rc = vg_error_set(VG_ELIMIT, "receipt larger than %d bytes", VG_RECEIPT_JSON_MAX);
	if (rc < 0)
		vg_buf_truncate(out, len0);
	json_decref(doc);
	return rc;
}

/* ---- parsing ---- */

static int exact(const json_t *obj, const char *const *want, size_t n, const char *what)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return vg_error_set(VG_EFORMAT, "receipt: %s is not an object", what);
	if (json_object_size(obj) != n)
		return vg_error_set(VG_EFORMAT, "receipt: %s does not have exactly its members",
				    what);
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(key, want[i]) == 0;
		if (!known)
			return vg_error_set(VG_EFORMAT, "receipt: unknown field '%.40s' in %s", key,
					    what);
	}
	return 0;
}

static int get_hex(uint8_t out[VG_ID_BYTES], const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) != VG_ID_HEX_LEN ||
	    vg_hex_decode(out, VG_ID_BYTES, s, VG_ID_HEX_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "receipt: '%s' is not 64 lower-case hex digits",
				    key);
	return 0;
}

static int get_int(uint64_t *out, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (uint64_t)json_integer_value(v) > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EFORMAT, "receipt: '%s' is not an integer in 1..2^53-1",
				    key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_doc(struct vg_receipt *r, const json_t *doc)
{
	static const char *const top[] = {"coordinator", "members", "n", "org",
					  "prev",	 "roster",  "v"};
	static const char *const mem[] = {"entry", "id", "seq"};
	const json_t *v = json_object_get(doc, "v"), *arr, *m;
	size_t i;
	int rc;

	if (json_is_integer(v) && json_integer_value(v) != 1)
		return vg_error_set(VG_EUNSUPPORTED, "receipt format version %lld is not 1",
				    (long long)json_integer_value(v));
	if ((rc = exact(doc, top, sizeof(top) / sizeof(top[0]), "the receipt")) < 0)
		return rc;
	if (!json_is_integer(v))
		return vg_error_set(VG_EFORMAT, "receipt: 'v' is not 1");
	if ((rc = get_hex(r->coordinator, doc, "coordinator")) < 0 ||
	    (rc = get_hex(r->org, doc, "org")) < 0 || (rc = get_hex(r->prev, doc, "prev")) < 0 ||
	    (rc = get_int(&r->n, doc, "n")) < 0 || (rc = get_int(&r->roster, doc, "roster")) < 0)
		return rc;
	arr = json_object_get(doc, "members");
	if (!json_is_array(arr))
		return vg_error_set(VG_EFORMAT, "receipt: 'members' is not a list");
	if (json_array_size(arr) > VG_RECEIPT_MEMBERS_MAX)
		return vg_error_set(VG_ELIMIT, "receipt: more than %d members",
				    VG_RECEIPT_MEMBERS_MAX);
	json_array_foreach(arr, i, m)
	{
		uint8_t id[VG_ID_BYTES], entry[VG_ID_BYTES];
		uint64_t seq;

		if ((rc = exact(m, mem, 3, "a member")) < 0 || (rc = get_hex(id, m, "id")) < 0 ||
		    (rc = get_hex(entry, m, "entry")) < 0 || (rc = get_int(&seq, m, "seq")) < 0 ||
		    (rc = vg_receipt_add(r, id, seq, entry)) < 0)
			return rc;
	}
	return check(r);
}

int vg_receipt_parse(struct vg_receipt *out, const uint8_t *json, size_t len)
{
	struct vg_buf again = VG_BUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	vg_receipt_release(out);
	if (len > VG_RECEIPT_JSON_MAX)
		return vg_error_set(VG_ELIMIT, "receipt larger than %d bytes", VG_RECEIPT_JSON_MAX);
	if (len == 0 || json[len - 1] != '\n')
		return vg_error_set(VG_EFORMAT, "receipt does not end with a newline");
	if (memchr(json, '\0', len) != NULL)
		return vg_error_set(VG_EFORMAT, "receipt holds a NUL byte");
	doc = json_loadb((const char *)json, len - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return vg_error_set(VG_EFORMAT, "receipt is not JSON (line %d, column %d): %.80s",
				    jerr.line, jerr.column, jerr.text);
	if ((rc = parse_doc(out, doc)) < 0)
		goto done;
	/* Every byte accounted for: the file is the canonical encoding of what was parsed. */
	if ((rc = vg_receipt_encode(&again, out)) < 0)
		goto done;
	if (again.len != len || memcmp(again.ptr, json, len) != 0) {
		rc = vg_error_set(VG_EFORMAT, "receipt is not in canonical form (FORMAT.md 4.5)");
		goto done;
	}
	crypto_generichash(out->hash, VG_ID_BYTES, json, len, NULL, 0);
done:
	if (rc < 0)
		vg_receipt_release(out);
	vg_buf_release(&again);
	json_decref(doc);
	return rc;
}

/* ---- trusted comment ---- */

int vg_receipt_tc_format(char *out, size_t outsz, const struct vg_receipt *r)
{
	char org[VG_ID_HEX_LEN + 1], co[VG_ID_HEX_LEN + 1], prev[VG_ID_HEX_LEN + 1],
	    hash[VG_ID_HEX_LEN + 1];
	int n;

	vg_hex_encode(org, r->org, VG_ID_BYTES);
	vg_hex_encode(co, r->coordinator, VG_ID_BYTES);
	vg_hex_encode(prev, r->prev, VG_ID_BYTES);
	vg_hex_encode(hash, r->hash, VG_ID_BYTES);
	n = snprintf(out, outsz, "vigil-receipt v=1 org=%s coordinator=%s n=%llu prev=%s hash=%s",
		     org, co, (unsigned long long)r->n, prev, hash);
	if (n < 0 || (size_t)n >= outsz)
		return vg_error_set(VG_EINVAL, "receipt trusted comment does not fit");
	return 0;
}

int vg_receipt_tc_parse(struct vg_receipt_tc *out, const char *tc, size_t len)
{
	struct vg_tc c = {tc, tc + len, "receipt trusted comment"};
	struct vg_receipt_tc t;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = vg_tc_lit(&c, "vigil-receipt v=1 org=")) < 0 ||
	    (rc = vg_tc_hex(&c, t.org, "org")) < 0 || (rc = vg_tc_lit(&c, " coordinator=")) < 0 ||
	    (rc = vg_tc_hex(&c, t.coordinator, "coordinator")) < 0 ||
	    (rc = vg_tc_lit(&c, " n=")) < 0 || (rc = vg_tc_num(&c, &t.n, "n")) < 0 ||
	    (rc = vg_tc_lit(&c, " prev=")) < 0 || (rc = vg_tc_hex(&c, t.prev, "prev")) < 0 ||
	    (rc = vg_tc_lit(&c, " hash=")) < 0 || (rc = vg_tc_hex(&c, t.hash, "hash")) < 0 ||
	    (rc = vg_tc_end(&c, "hash")) < 0)
		return rc;
	*out = t;
	return 0;
}

/* ---- signing and verifying ---- */

int vg_receipt_sign(struct vg_buf *json_out, struct vg_buf *sig_out, struct vg_receipt *r,
		    const struct vg_minisign_sk *sk)
{
	struct vg_minisign_pk pk;
	uint8_t id[VG_ID_BYTES];
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	size_t jlen0 = json_out->len, slen0 = sig_out->len;
	int rc;

	vg_minisign_sk_public(&pk, sk);
	vg_id_of_key(id, &pk);
	if (memcmp(id, r->coordinator, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EINVAL, "a receipt is signed by the coordinator it names");
	if ((rc = vg_receipt_encode(json_out, r)) < 0)
		return rc;
	crypto_generichash(r->hash, VG_ID_BYTES, json_out->ptr + jlen0, json_out->len - jlen0, NULL,
			   0);
	if ((rc = vg_receipt_tc_format(tc, sizeof(tc), r)) < 0 ||
	    (rc = vg_minisign_sign(sig_out, sk, json_out->ptr + jlen0, json_out->len - jlen0,
				   VG_SIGNATURE_COMMENT, tc)) < 0) {
		vg_buf_truncate(json_out, jlen0);
		vg_buf_truncate(sig_out, slen0);
		memset(r->hash, 0, VG_ID_BYTES);
	}
	return rc;
}

int vg_receipt_verify(struct vg_receipt *out, const uint8_t *json, size_t jlen, const char *sig,
		      size_t siglen, const uint8_t org[VG_ID_BYTES],
		      const uint8_t coordinator[VG_ID_BYTES], const struct vg_minisign_pk *pk)
{
	struct vg_minisig ms;
	struct vg_receipt_tc tc;
	uint8_t hash[VG_ID_BYTES], id[VG_ID_BYTES];
	int rc;

	vg_receipt_release(out);
	if (jlen > VG_RECEIPT_JSON_MAX)
		return vg_error_set(VG_ELIMIT, "receipt larger than %d bytes", VG_RECEIPT_JSON_MAX);
	if (siglen > VG_RECEIPT_SIG_MAX)
		return vg_error_set(VG_ELIMIT, "receipt signature larger than %d bytes",
				    VG_RECEIPT_SIG_MAX);
	vg_id_of_key(id, pk);
	if (memcmp(id, coordinator, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "receipt: the key is not the coordinator's");
	if ((rc = vg_minisign_sig_parse(&ms, sig, siglen)) < 0)
		return vg_error_prefix(rc, "receipt signature");
	if (strcmp(ms.untrusted, VG_SIGNATURE_COMMENT) != 0)
		return vg_error_set(VG_EFORMAT, "receipt signature: untrusted comment is not '%s'",
				    VG_SIGNATURE_COMMENT);
	if ((rc = vg_minisign_verify(&ms, pk, json, jlen, 0)) < 0)
		return vg_error_prefix(rc, "receipt is not signed by its coordinator");
	/* From here the file and the trusted comment are the coordinator's word. */
	if ((rc = vg_receipt_tc_parse(&tc, ms.trusted, strlen(ms.trusted))) < 0)
		return rc;
	crypto_generichash(hash, sizeof(hash), json, jlen, NULL, 0);
	if (memcmp(tc.org, org, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "receipt is for another organisation");
	if (memcmp(tc.coordinator, coordinator, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "receipt names another coordinator");
	if (memcmp(hash, tc.hash, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "receipt hash differs from its trusted comment");
	if ((rc = vg_receipt_parse(out, json, jlen)) < 0)
		return rc;
	if (memcmp(out->org, tc.org, VG_ID_BYTES) != 0 ||
	    memcmp(out->coordinator, tc.coordinator, VG_ID_BYTES) != 0 || out->n != tc.n ||
	    memcmp(out->prev, tc.prev, VG_ID_BYTES) != 0) {
		vg_receipt_release(out);
		return vg_error_set(VG_EMISMATCH, "receipt document and trusted comment disagree");
	}
	return 0;
}
