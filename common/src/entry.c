#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "vigil/entry.h"
#include "vigil/error.h"

static const char *const type_names[] = {
    [VG_ENTRY_OPEN] = "open",	  [VG_ENTRY_EVENT] = "event", [VG_ENTRY_CORRECT] = "correct",
    [VG_ENTRY_REDACT] = "redact", [VG_ENTRY_LINK] = "link",   [VG_ENTRY_UNLINK] = "unlink",
};

/* The top-level members of a plaintext document, exactly (FORMAT.md 4.5). */
static const char *const doc_members[] = {"author", "body", "case", "org",
					  "seq",    "time", "type", "v"};

void vg_entry_work_release(struct vg_entry_work *w)
{
	if (w == NULL)
		return;
	vg_buf_release(&w->age);
	vg_buf_release(&w->pt);
}

void vg_entry_init(struct vg_entry *e)
{
	memset(e, 0, sizeof(*e));
	vg_buf_init(&e->age);
	vg_buf_init(&e->sig);
}

void vg_entry_release(struct vg_entry *e)
{
	if (e == NULL)
		return;
	vg_buf_release(&e->age);
	vg_buf_release(&e->sig);
	memset(e->id, 0, sizeof(e->id));
	memset(&e->meta, 0, sizeof(e->meta));
}

const char *vg_entry_type_name(enum vg_entry_type t)
{
	if ((unsigned)t >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[t];
}

static int bucket_ok(size_t bucket)
{
	return bucket >= VG_ENTRY_BUCKET_MIN && bucket <= VG_ENTRY_BUCKET_MAX &&
	       (bucket & (bucket - 1)) == 0;
}

static int is_zero_id(const uint8_t id[VG_ID_BYTES])
{
	return sodium_is_zero(id, VG_ID_BYTES);
}

static int meta_check(const struct vg_entry_meta *m)
{
	if (m->seq < 1 || m->seq > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EFORMAT, "sequence number %llu out of range",
				    (unsigned long long)m->seq);
	if (m->roster < 1 || m->roster > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EFORMAT, "roster version %llu out of range",
				    (unsigned long long)m->roster);
	if ((m->seq == 1) != (is_zero_id(m->prev) != 0))
		return vg_error_set(
		    VG_EFORMAT, m->seq == 1 ? "first entry of a feed must have no previous id"
					    : "entry after the first must name its previous id");
	return 0;
}

int vg_entry_tc_format(char *out, size_t outsz, const struct vg_entry_meta *m)
{
	char org[VG_ID_HEX_LEN + 1], author[VG_ID_HEX_LEN + 1], prev[VG_ID_HEX_LEN + 1];
	int rc, n;

	if ((rc = meta_check(m)) < 0)
		return rc;
	vg_hex_encode(org, m->org, VG_ID_BYTES);
	vg_hex_encode(author, m->author, VG_ID_BYTES);
	vg_hex_encode(prev, m->prev, VG_ID_BYTES);
	n = snprintf(out, outsz, "vigil-entry v=1 org=%s author=%s seq=%llu prev=%s roster=%llu",
		     org, author, (unsigned long long)m->seq, prev, (unsigned long long)m->roster);
	if (n < 0 || (size_t)n >= outsz)
		return vg_error_set(VG_EINVAL, "trusted comment buffer too small");
	return 0;
}

/* A cursor over the trusted comment; every step is exact. */
struct tc_cursor {
	const char *p, *end;
};

static int tc_literal(struct tc_cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return vg_error_set(VG_EFORMAT, "trusted comment: expected '%s'", lit);
	c->p += n;
	return 0;
}

static int tc_hex(struct tc_cursor *c, uint8_t out[VG_ID_BYTES], const char *what)
{
	if (c->end - c->p < VG_ID_HEX_LEN ||
	    vg_hex_decode(out, VG_ID_BYTES, c->p, VG_ID_HEX_LEN) < 0)
		return vg_error_set(VG_EFORMAT,
				    "trusted comment: %s is not 64 lower-case hex digits", what);
	c->p += VG_ID_HEX_LEN;
	return 0;
}

static int tc_int(struct tc_cursor *c, uint64_t *out, const char *what)
{
	uint64_t v = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (uint64_t)(*c->p - '0');
		c->p++;
		if (v > VG_ENTRY_INT_MAX)
			return vg_error_set(VG_EFORMAT, "trusted comment: %s out of range", what);
	}
	if (c->p == start || (*start == '0') || v < 1)
		return vg_error_set(VG_EFORMAT, "trusted comment: bad %s", what);
	*out = v;
	return 0;
}

int vg_entry_tc_parse(struct vg_entry_meta *out, const char *tc, size_t len)
{
	struct tc_cursor c = {tc, tc + len};
	struct vg_entry_meta m;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = tc_literal(&c, "vigil-entry v=1 org=")) < 0 ||
	    (rc = tc_hex(&c, m.org, "org")) < 0 || (rc = tc_literal(&c, " author=")) < 0 ||
	    (rc = tc_hex(&c, m.author, "author")) < 0 || (rc = tc_literal(&c, " seq=")) < 0 ||
	    (rc = tc_int(&c, &m.seq, "seq")) < 0 || (rc = tc_literal(&c, " prev=")) < 0 ||
	    (rc = tc_hex(&c, m.prev, "prev")) < 0 || (rc = tc_literal(&c, " roster=")) < 0 ||
	    (rc = tc_int(&c, &m.roster, "roster")) < 0)
		return rc;
	if (c.p != c.end)
		return vg_error_set(VG_EFORMAT, "trusted comment: unexpected data after roster");
	if ((rc = meta_check(&m)) < 0)
		return vg_error_prefix(rc, "trusted comment");
	*out = m;
	return 0;
}

int vg_entry_compute_id(uint8_t out[VG_ID_BYTES], const uint8_t *age, size_t agelen,
			const char *sig, size_t siglen)
{
	crypto_generichash_state st;
	size_t off = 0, lines = 0;
	const char *p = sig, *end = sig + siglen, *lf;

	/* The last two of exactly four LF-terminated lines. */
	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (++lines == 2)
			off = (size_t)(lf + 1 - sig);
		p = lf + 1;
	}
	if (lines != 4 || siglen == 0 || sig[siglen - 1] != '\n')
		return vg_error_set(VG_EFORMAT, "signature file is not four lines");
	crypto_generichash_init(&st, NULL, 0, VG_ID_BYTES);
	crypto_generichash_update(&st, age, agelen);
	crypto_generichash_update(&st, (const uint8_t *)sig + off, siglen - off);
	crypto_generichash_final(&st, out, VG_ID_BYTES);
	return 0;
}

/* Refuse what canonical JSON cannot express, before jansson writes it. */
static int json_check(const json_t *v, int depth)
{
	const char *key;
	json_t *item;
	size_t i;

	if (depth > VG_ENTRY_DEPTH_MAX)
		return vg_error_set(VG_EFORMAT, "document nested deeper than %d levels",
				    VG_ENTRY_DEPTH_MAX);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, item)
		{
			int rc;
			if ((rc = json_check(item, depth + 1)) < 0)
				return rc;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
		{
			int rc;
			if ((rc = json_check(item, depth + 1)) < 0)
				return rc;
		}
		return 0;
	case JSON_STRING:
		if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
			return vg_error_set(VG_EFORMAT, "document string holds a NUL character");
		return 0;
	case JSON_INTEGER:
		if (json_integer_value(v) < 0 ||
		    (unsigned long long)json_integer_value(v) > VG_ENTRY_INT_MAX)
			return vg_error_set(VG_EFORMAT, "document integer out of range");
		return 0;
	case JSON_REAL:
		return vg_error_set(VG_EFORMAT, "document holds a fractional number");
	default:
		return 0;
	}
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	return vg_buf_put(data, buffer, size) < 0 ? -1 : 0;
}

/* Compares jansson's output with the bytes it must equal, without a copy of the plaintext. */
struct canon_cmp {
	const uint8_t *want;
	size_t len, off;
	int differs;
};

static int compare_cb(const char *buffer, size_t size, void *data)
{
	struct canon_cmp *c = data;

	if (c->differs || size > c->len - c->off || memcmp(c->want + c->off, buffer, size) != 0)
		c->differs = 1;
	else
		c->off += size;
	return 0;
}

/* VG_EFORMAT unless v's canonical form is exactly want[0 .. len). */
static int json_is_canonical(const json_t *v, const uint8_t *want, size_t len)
{
	struct canon_cmp c = {want, len, 0, 0};
	int rc;

	if ((rc = json_check(v, 1)) < 0)
		return rc;
	if (json_dump_callback(v, compare_cb, &c,
			       JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0)
		return vg_error_set(VG_ENOMEM, "cannot encode document");
	if (c.differs || c.off != len)
		return vg_error_set(VG_EFORMAT, "plaintext is not in canonical form");
	return 0;
}

int vg_json_canonical(struct vg_buf *out, const json_t *v)
{
	int rc;

	if ((rc = json_check(v, 1)) < 0)
		return rc;
	/*
	 * jansson 2.14's compact, key-sorted output is exactly FORMAT.md's canonical form for
	 * the values json_check lets through (tests/unit/test_entry.c pins this down).
	 */
	if (json_dump_callback(v, dump_cb, out, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) !=
	    0)
		return vg_error_set(VG_ENOMEM, "cannot encode document");
	return 0;
}

static int time_ok(const char *t)
{
	/* YYYY-MM-DDTHH:MM:SSZ */
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(t) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return 0;
	}
	return 1;
}

static int case_id_ok(const char *s)
{
	uint8_t raw[VG_CASE_ID_BYTES];
	return s != NULL && vg_hex_decode(raw, sizeof(raw), s, strlen(s)) == 0;
}

int vg_entry_seal(struct vg_entry *out, uint8_t *file_key_out, const struct vg_minisign_sk *sk,
		  const struct vg_entry_meta *meta, const struct vg_age_recipient *rcpts, size_t n,
		  size_t bucket, const struct vg_entry_content *content, struct vg_entry_work *work)
{
	struct vg_buf own = VG_BUF_INIT_SECURE, *pt = work != NULL ? &work->pt : &own;
	struct vg_minisign_pk pk;
	uint8_t author[VG_ID_BYTES];
	char org_hex[VG_ID_HEX_LEN + 1], author_hex[VG_ID_HEX_LEN + 1];
	char case_hex[2 * VG_CASE_ID_BYTES + 1], now[32];
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	const char *type = vg_entry_type_name(content->type);
	const char *when = content->time;
	json_t *doc = NULL;
	size_t total;
	int rc;

	if (!bucket_ok(bucket))
		return vg_error_set(VG_EINVAL, "padding bucket %zu is not a power of two in %d..%d",
				    bucket, VG_ENTRY_BUCKET_MIN, VG_ENTRY_BUCKET_MAX);
	if (type == NULL || !json_is_object(content->body))
		return vg_error_set(VG_EINVAL, "entry needs a known type and an object body");
	if ((rc = meta_check(meta)) < 0)
		return rc;
	vg_minisign_sk_public(&pk, sk);
	vg_id_of_key(author, &pk);
	if (memcmp(author, meta->author, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EINVAL, "signing key is not the entry's author");
	if (when == NULL) {
		time_t t = time(NULL);
		struct tm tm;
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			return vg_error_set(VG_ERROR, "cannot format the current time");
		when = now;
	}
	if (!time_ok(when))
		return vg_error_set(VG_EINVAL, "entry time '%s' is not YYYY-MM-DDTHH:MM:SSZ", when);

	vg_hex_encode(org_hex, meta->org, VG_ID_BYTES);
	vg_hex_encode(author_hex, meta->author, VG_ID_BYTES);
	vg_hex_encode(case_hex, content->case_id, VG_CASE_ID_BYTES);
	doc = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:O}", "v", 1, "type", type, "org",
			org_hex, "author", author_hex, "seq", (json_int_t)meta->seq, "case",
			case_hex, "time", when, "body", content->body);
	if (doc == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the entry document");
		goto done;
	}
	vg_buf_clear(pt);
	if ((rc = vg_json_canonical(pt, doc)) < 0)
		goto done;
	if (pt->len >= VG_ENTRY_PLAINTEXT_MAX) {
		rc = vg_error_set(VG_ELIMIT, "entry larger than %d bytes", VG_ENTRY_PLAINTEXT_MAX);
		goto done;
	}
	total = (pt->len + 1 + bucket - 1) / bucket * bucket;
	if (total > VG_ENTRY_PLAINTEXT_MAX) {
		rc = vg_error_set(VG_ELIMIT, "entry larger than %d bytes", VG_ENTRY_PLAINTEXT_MAX);
		goto done;
	}
	while (pt->len < total - 1)
		if ((rc = vg_buf_putc(pt, ' ')) < 0)
			goto done;
	if ((rc = vg_buf_putc(pt, '\n')) < 0)
		goto done;

	vg_buf_clear(&out->age);
	vg_buf_clear(&out->sig);
	/* Sized once: header, stanzas, payload and tags, and a signature file. */
	if ((rc = vg_buf_grow(&out->age, pt->len + 160 * n + 256 +
					     (pt->len / VG_AGE_CHUNK_BYTES + 1) * 16)) < 0 ||
	    (rc = vg_buf_grow(&out->sig, 512)) < 0)
		goto done;
	if ((rc = vg_age_encrypt_ws(work != NULL ? &work->age : NULL, &out->age, file_key_out,
				    rcpts, n, pt->ptr, pt->len)) < 0 ||
	    (rc = vg_entry_tc_format(tc, sizeof(tc), meta)) < 0 ||
	    (rc = vg_minisign_sign(&out->sig, sk, out->age.ptr, out->age.len, VG_SIGNATURE_COMMENT,
				   tc)) < 0 ||
	    (rc = vg_entry_compute_id(out->id, out->age.ptr, out->age.len,
				      (const char *)out->sig.ptr, out->sig.len)) < 0)
		goto done;
	out->meta = *meta;
done:
	if (rc < 0) {
		vg_buf_clear(&out->age);
		vg_buf_clear(&out->sig);
		if (file_key_out != NULL)
			sodium_memzero(file_key_out, VG_AGE_FILE_KEY_BYTES);
	}
	json_decref(doc);
	vg_buf_clear(pt); /* wipes a reused workspace */
	vg_buf_release(&own);
	return rc;
}

int vg_entry_verify(struct vg_entry_meta *meta_out, uint8_t *id_out, const uint8_t *age,
		    size_t agelen, const char *sig, size_t siglen, const uint8_t org[VG_ID_BYTES],
		    vg_entry_resolve_fn resolve, void *ctx, const uint8_t *expected_id)
{
	struct vg_entry_step step;

	return vg_entry_verify_step(meta_out, id_out, age, agelen, sig, siglen, org, resolve, ctx,
				    expected_id, &step);
}

int vg_entry_verify_step(struct vg_entry_meta *meta_out, uint8_t *id_out, const uint8_t *age,
			 size_t agelen, const char *sig, size_t siglen,
			 const uint8_t org[VG_ID_BYTES], vg_entry_resolve_fn resolve, void *ctx,
			 const uint8_t *expected_id, struct vg_entry_step *step)
{
	enum vg_entry_check *failed = &step->failed;
	struct vg_minisig ms;
	struct vg_entry_meta meta;
	struct vg_minisign_pk pk;
	struct vg_age_header *h = NULL;
	uint8_t key_id[VG_ID_BYTES], id[VG_ID_BYTES];
	size_t nstanzas = 0;
	int rc;

	*failed = VG_ENTRY_CHECK_FORMAT;
	if (agelen > VG_ENTRY_AGE_MAX)
		return vg_error_set(VG_ELIMIT, "entry file larger than %d bytes", VG_ENTRY_AGE_MAX);
	if (siglen > VG_ENTRY_SIG_MAX)
		return vg_error_set(VG_ELIMIT, "signature file larger than %d bytes",
				    VG_ENTRY_SIG_MAX);
	if ((rc = vg_minisign_sig_parse(&ms, sig, siglen)) < 0)
		return vg_error_prefix(rc, "entry signature");
	if (strcmp(ms.untrusted, VG_SIGNATURE_COMMENT) != 0)
		return vg_error_set(VG_EFORMAT, "entry signature: untrusted comment is not '%s'",
				    VG_SIGNATURE_COMMENT);
	if ((rc = vg_entry_tc_parse(&meta, ms.trusted, strlen(ms.trusted))) < 0)
		return rc;
	if (sodium_memcmp(meta.org, org, VG_ID_BYTES) != 0) {
		*failed = VG_ENTRY_CHECK_ORG;
		return vg_error_set(VG_EMISMATCH, "entry belongs to another organisation");
	}
	*failed = VG_ENTRY_CHECK_RESOLVE;
	if ((rc = resolve(ctx, &meta, &pk, &nstanzas)) < 0)
		return rc;
	vg_id_of_key(key_id, &pk);
	if (memcmp(key_id, meta.author, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "entry names an author whose key was not given");
	*failed = VG_ENTRY_CHECK_SIGNATURE;
	/* Prehashed (ED) only; the hash is kept in *step for verifiers that compare files. */
	if (memcmp(ms.alg, "ED", 2) != 0) {
		rc = vg_minisign_verify(&ms, &pk, age, agelen, 0); /* refuses, with the reason */
		return vg_error_prefix(rc < 0 ? rc : VG_EBADSIG, "entry signature");
	}
	vg_minisign_hash(step->age_hash, age, agelen);
	if ((rc = vg_minisign_verify_hashed(&ms, &pk, step->age_hash)) < 0)
		return vg_error_prefix(rc, "entry signature");
	/* From here on the trusted comment is the author's word. */
	if ((rc = vg_entry_compute_id(id, age, agelen, sig, siglen)) < 0)
		return rc;
	*failed = VG_ENTRY_CHECK_ID;
	if (expected_id != NULL && memcmp(id, expected_id, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "entry id does not match its name");
	*failed = VG_ENTRY_CHECK_STANZAS;
	if ((rc = vg_age_header_parse(&h, age, agelen)) < 0)
		return vg_error_prefix(rc, "entry encryption");
	for (size_t i = 0; i < h->nstanzas; i++) {
		if (strcmp(h->stanzas[i].type, "X25519") != 0) {
			rc = vg_error_set(VG_EFORMAT, "entry has a stanza of type '%s'",
					  h->stanzas[i].type);
			goto done;
		}
	}
	if (h->nstanzas != nstanzas) {
		rc = vg_error_set(
		    VG_EMISMATCH,
		    "entry is encrypted to %zu recipients, roster version %llu has %zu",
		    h->nstanzas, (unsigned long long)meta.roster, nstanzas);
		goto done;
	}
	*failed = VG_ENTRY_CHECK_NONE;
	if (meta_out != NULL)
		*meta_out = meta;
	if (id_out != NULL)
		memcpy(id_out, id, VG_ID_BYTES);
done:
	vg_age_header_free(h);
	return rc;
}

int vg_entry_plaintext_check(json_t **doc_out, const uint8_t *pt, size_t len, size_t bucket,
			     const struct vg_entry_meta *meta)
{
	json_error_t jerr;
	json_t *doc = NULL, *v;
	char hex[VG_ID_HEX_LEN + 1];
	size_t jlen;
	int rc = 0;

	if (!bucket_ok(bucket))
		return vg_error_set(VG_EINVAL, "bad padding bucket %zu", bucket);
	if (len == 0 || len % bucket != 0 || len > VG_ENTRY_PLAINTEXT_MAX)
		return vg_error_set(VG_EFORMAT, "plaintext length %zu is not a multiple of %zu",
				    len, bucket);
	if (pt[len - 1] != '\n')
		return vg_error_set(VG_EFORMAT, "plaintext does not end with a newline");
	jlen = len - 1;
	while (jlen > 0 && pt[jlen - 1] == ' ')
		jlen--;
	if ((jlen + 1 + bucket - 1) / bucket * bucket != len)
		return vg_error_set(VG_EFORMAT, "plaintext padding is longer than its bucket");
	if (memchr(pt, '\0', jlen) != NULL)
		return vg_error_set(VG_EFORMAT, "plaintext holds a NUL byte");
	/* jansson's own message may quote the plaintext: report only the position. */
	doc = json_loadb((const char *)pt, jlen, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return vg_error_set(VG_EFORMAT, "plaintext is not JSON (at byte %d)",
				    jerr.position);
	if (!json_is_object(doc)) {
		rc = vg_error_set(VG_EFORMAT, "plaintext is not a JSON object");
		goto done;
	}
	if ((rc = json_is_canonical(doc, pt, jlen)) < 0)
		goto done;
	if (json_object_size(doc) != sizeof(doc_members) / sizeof(doc_members[0])) {
		rc = vg_error_set(VG_EFORMAT, "plaintext has %zu members, expected %zu",
				  json_object_size(doc),
				  sizeof(doc_members) / sizeof(doc_members[0]));
		goto done;
	}
	for (size_t i = 0; i < sizeof(doc_members) / sizeof(doc_members[0]); i++) {
		if (json_object_get(doc, doc_members[i]) == NULL) {
			rc = vg_error_set(VG_EFORMAT, "plaintext lacks '%s'", doc_members[i]);
			goto done;
		}
	}
	v = json_object_get(doc, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		rc = vg_error_set(VG_EUNSUPPORTED, "plaintext format version is not 1");
		goto done;
	}
	v = json_object_get(doc, "type");
	rc = VG_EFORMAT;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (json_is_string(v) && strcmp(json_string_value(v), type_names[i]) == 0)
			rc = 0;
	if (rc < 0) {
		rc = vg_error_set(VG_EFORMAT, "plaintext has an unknown entry type");
		goto done;
	}
	if (!case_id_ok(json_string_value(json_object_get(doc, "case")))) {
		rc = vg_error_set(VG_EFORMAT, "plaintext case id is not 32 lower-case hex digits");
		goto done;
	}
	v = json_object_get(doc, "time");
	if (!json_is_string(v) || !time_ok(json_string_value(v))) {
		rc = vg_error_set(VG_EFORMAT, "plaintext time is not YYYY-MM-DDTHH:MM:SSZ");
		goto done;
	}
	if (!json_is_object(json_object_get(doc, "body"))) {
		rc = vg_error_set(VG_EFORMAT, "plaintext body is not an object");
		goto done;
	}
	/* The signed metadata, repeated inside the encryption. */
	vg_hex_encode(hex, meta->org, VG_ID_BYTES);
	v = json_object_get(doc, "org");
	if (!json_is_string(v) || strcmp(json_string_value(v), hex) != 0) {
		rc = vg_error_set(VG_EMISMATCH,
				  "plaintext names another organisation than its signature");
		goto done;
	}
	vg_hex_encode(hex, meta->author, VG_ID_BYTES);
	v = json_object_get(doc, "author");
	if (!json_is_string(v) || strcmp(json_string_value(v), hex) != 0) {
		rc =
		    vg_error_set(VG_EMISMATCH, "plaintext names another author than its signature");
		goto done;
	}
	v = json_object_get(doc, "seq");
	if (!json_is_integer(v) || (uint64_t)json_integer_value(v) != meta->seq) {
		rc = vg_error_set(VG_EMISMATCH,
				  "plaintext names another sequence number than its signature");
		goto done;
	}
	if (doc_out != NULL) {
		*doc_out = doc;
		doc = NULL;
	}
done:
	json_decref(doc);
	return rc;
}

int vg_entry_open(json_t **doc_out, const struct vg_entry_meta *meta, const uint8_t *age,
		  size_t agelen, const struct vg_age_identity *id, const uint8_t *file_key,
		  size_t bucket, struct vg_entry_work *work)
{
	struct vg_buf own = VG_BUF_INIT_SECURE, *pt = work != NULL ? &work->pt : &own;
	int rc;

	if ((id == NULL) == (file_key == NULL))
		return vg_error_set(VG_EINVAL, "open an entry with an identity or a file key");
	vg_buf_clear(pt);
	rc = vg_age_decrypt_ws(work != NULL ? &work->age : NULL, pt, id, file_key, age, agelen);
	if (rc < 0) {
		vg_error_prefix(rc, "cannot decrypt entry");
		goto done;
	}
	rc = vg_entry_plaintext_check(doc_out, pt->ptr, pt->len, bucket, meta);
done:
	vg_buf_clear(pt);
	vg_buf_release(&own);
	return rc;
}
