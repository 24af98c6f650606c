/*
 * The entry format (common/FORMAT.md, sections 4 and 5): round trips, the id, the trusted
 * comment grammar, canonical plaintext, and the forgeries each check exists for.
 */
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/minisign.h"
#include "vigil/vigil.h"

struct world {
	struct vg_minisign_sk *org, *author, *other;
	struct vg_minisign_pk org_pk, author_pk, other_pk;
	uint8_t org_id[VG_ID_BYTES];
	struct vg_age_identity *ids[4]; /* coordinator, coordinator, recovery, outsider */
	struct vg_age_recipient rcpts[4];
};

static struct world W;

struct resolver {
	const struct vg_minisign_pk *pk;
	size_t nstanzas;
	int calls;
};

static int resolve(void *ctx, const struct vg_entry_meta *meta, struct vg_minisign_pk *pk_out,
		   size_t *n_out)
{
	struct resolver *r = ctx;
	(void)meta;
	r->calls++;
	*pk_out = *r->pk;
	*n_out = r->nstanzas;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(vg_init(), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.org), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.author), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.other), 0);
	vg_minisign_sk_public(&W.org_pk, W.org);
	vg_minisign_sk_public(&W.author_pk, W.author);
	vg_minisign_sk_public(&W.other_pk, W.other);
	vg_id_of_key(W.org_id, &W.org_pk);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vg_age_identity_generate(&W.ids[i]), 0);
		vg_age_identity_recipient(&W.rcpts[i], W.ids[i]);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_minisign_sk_free(W.org);
	vg_minisign_sk_free(W.author);
	vg_minisign_sk_free(W.other);
	for (int i = 0; i < 4; i++)
		vg_age_identity_free(W.ids[i]);
	return 0;
}

static void meta_for(struct vg_entry_meta *m, const struct vg_minisign_pk *pk, uint64_t seq)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->org, W.org_id, VG_ID_BYTES);
	vg_id_of_key(m->author, pk);
	m->seq = seq;
	if (seq > 1)
		memset(m->prev, 0xab, VG_ID_BYTES);
	m->roster = 1;
}

static void seal_one(struct vg_entry *e, uint8_t *file_key, const struct vg_minisign_sk *sk,
		     uint64_t seq, size_t nrcpts, const char *body_json)
{
	struct vg_minisign_pk pk;
	struct vg_entry_meta m;
	struct vg_entry_content c;
	json_error_t jerr;

	vg_minisign_sk_public(&pk, sk);
	meta_for(&m, &pk, seq);
	memset(&c, 0, sizeof(c));
	c.type = VG_ENTRY_EVENT;
	memset(c.case_id, 0x11, sizeof(c.case_id));
	c.time = "2017-03-28T10:00:00Z";
	c.body = json_loads(body_json, 0, &jerr);
	assert_non_null(c.body);
	vg_entry_init(e);
	assert_int_equal(vg_entry_seal(e, file_key, sk, &m, W.rcpts, nrcpts, 1024, &c, NULL), 0);
	json_decref(c.body);
}

static int verify_with(const struct vg_entry *e, const struct vg_minisign_pk *pk, size_t n,
		       struct vg_entry_meta *meta)
{
	struct resolver r = {pk, n, 0};
	return vg_entry_verify(meta, NULL, e->age.ptr, e->age.len, (const char *)e->sig.ptr,
			       e->sig.len, W.org_id, resolve, &r, e->id);
}

static void test_round_trip(void **state)
{
	struct vg_entry e;
	struct vg_entry_meta meta;
	uint8_t *fk = sodium_malloc(VG_AGE_FILE_KEY_BYTES);
	json_t *doc = NULL;

	(void)state;
	seal_one(&e, fk, W.author, 1, 3, "{\"person\":\"Азимжан Аскаров\",\"n\":[1,2,{}]}");
	assert_int_equal(verify_with(&e, &W.author_pk, 3, &meta), 0);
	assert_int_equal(meta.seq, 1);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
		    vg_entry_open(&doc, &meta, e.age.ptr, e.age.len, W.ids[i], NULL, 1024, NULL),
		    0);
		assert_string_equal(
		    json_string_value(json_object_get(json_object_get(doc, "body"), "person")),
		    "Азимжан Аскаров");
		assert_string_equal(json_string_value(json_object_get(doc, "type")), "event");
		assert_string_equal(json_string_value(json_object_get(doc, "case")),
				    "11111111111111111111111111111111");
		json_decref(doc);
	}
	/* The author reads its own entry through the file key, without X25519. */
	assert_int_equal(vg_entry_open(&doc, &meta, e.age.ptr, e.age.len, NULL, fk, 1024, NULL), 0);
	json_decref(doc);
	/* The outsider, who is not a recipient, cannot. */
	assert_int_equal(
	    vg_entry_open(&doc, &meta, e.age.ptr, e.age.len, W.ids[3], NULL, 1024, NULL),
	    VG_ENOKEY);
	/* A wrong bucket is a padding failure. */
	assert_int_equal(
	    vg_entry_open(&doc, &meta, e.age.ptr, e.age.len, W.ids[0], NULL, 2048, NULL),
	    VG_EFORMAT);
	sodium_free(fk);
	vg_entry_release(&e);
}

/* A reused workspace gives the same results and is wiped after every call. */
static void test_workspace(void **state)
{
	struct vg_entry_work work = VG_ENTRY_WORK_INIT;
	struct vg_entry_meta m, meta;
	struct vg_entry_content c;
	json_t *doc = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.type = VG_ENTRY_OPEN;
	c.body = json_pack("{s:s}", "person", "Азимжан Аскаров");
	meta_for(&m, &W.author_pk, 1);
	for (int i = 0; i < 5; i++) {
		struct vg_entry e;
		vg_entry_init(&e);
		assert_int_equal(vg_entry_seal(&e, NULL, W.author, &m, W.rcpts, 3, 1024, &c, &work),
				 0);
		assert_int_equal(work.pt.len, 0);
		assert_int_equal(work.age.len, 0);
		assert_true(work.pt.secure && work.age.secure);
		assert_int_equal(verify_with(&e, &W.author_pk, 3, &meta), 0);
		assert_int_equal(vg_entry_open(&doc, &meta, e.age.ptr, e.age.len, W.ids[i % 3],
					       NULL, 1024, &work),
				 0);
		assert_int_equal(work.pt.len, 0);
		assert_int_equal(work.age.len, 0);
		assert_string_equal(
		    json_string_value(json_object_get(json_object_get(doc, "body"), "person")),
		    "Азимжан Аскаров");
		json_decref(doc);
		/* A failure leaves it wiped too. */
		assert_int_equal(
		    vg_entry_open(&doc, &meta, e.age.ptr, e.age.len, W.ids[3], NULL, 1024, &work),
		    VG_ENOKEY);
		assert_int_equal(work.pt.len, 0);
		assert_int_equal(work.age.len, 0);
		vg_entry_release(&e);
	}
	json_decref(c.body);
	vg_entry_work_release(&work);
}

static void test_id_is_b2sum_of_files(void **state)
{
	struct vg_entry e;
	crypto_generichash_state st;
	uint8_t want[VG_ID_BYTES];
	const char *sig, *third;
	int nl = 0;

	(void)state;
	seal_one(&e, NULL, W.author, 1, 3, "{}");
	sig = (const char *)e.sig.ptr;
	for (third = sig; nl < 2; third++)
		if (*third == '\n')
			nl++;
	crypto_generichash_init(&st, NULL, 0, VG_ID_BYTES);
	crypto_generichash_update(&st, e.age.ptr, e.age.len);
	crypto_generichash_update(&st, (const uint8_t *)third, e.sig.len - (size_t)(third - sig));
	crypto_generichash_final(&st, want, VG_ID_BYTES);
	assert_memory_equal(want, e.id, VG_ID_BYTES);
	assert_true(strncmp(third, "trusted comment: vigil-entry v=1 org=", 37) == 0);
	assert_true(strncmp(sig, "untrusted comment: vigil signature\n", 35) == 0);
	vg_entry_release(&e);
}

/* The id of the signature file sig (four lines) whose last two are tail, for .age "age". */
static void check_id(const char *sig, const char *tail)
{
	uint8_t id[VG_ID_BYTES], want[VG_ID_BYTES];
	crypto_generichash_state st;

	assert_int_equal(vg_entry_compute_id(id, (const uint8_t *)"age", 3, sig, strlen(sig)), 0);
	crypto_generichash_init(&st, NULL, 0, VG_ID_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)"age", 3);
	crypto_generichash_update(&st, (const uint8_t *)tail, strlen(tail));
	crypto_generichash_final(&st, want, VG_ID_BYTES);
	assert_memory_equal(id, want, VG_ID_BYTES);
}

/* The id covers the last two of exactly four LF-terminated lines of the signature file. */
static void test_id_needs_four_lines(void **state)
{
	static const char *const bad[] = {
	    "", "a\nb\nc\n", "a\nb\nc\nd", "a\nb\nc\nd\ne\n", "a\nb\nc\nd\n\n", "\n\n\n",
	};
	uint8_t id[VG_ID_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    vg_entry_compute_id(id, (const uint8_t *)"age", 3, bad[i], strlen(bad[i])),
		    VG_EFORMAT);
	check_id("\n\nc\nd\n", "c\nd\n");
	check_id("one\ntwo\nthree\nfour\n", "three\nfour\n");
}

static void test_chain_and_ids_differ(void **state)
{
	struct vg_entry a, b;

	(void)state;
	seal_one(&a, NULL, W.author, 1, 3, "{\"x\":1}");
	seal_one(&b, NULL, W.author, 1, 3, "{\"x\":1}");
	/* Same content twice: fresh encryption, two ids. */
	assert_memory_not_equal(a.id, b.id, VG_ID_BYTES);
	vg_entry_release(&a);
	vg_entry_release(&b);
}

static void test_tc_grammar(void **state)
{
	static const char *const bad[] = {
	    "",
	    "vigil-entry v=2 org=%s author=%s seq=1 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=01 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=0 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=1 prev=%s roster=0",
	    "vigil-entry v=1 org=%s author=%s seq=1 prev=%s roster=1 ",
	    "vigil-entry v=1 org=%s  author=%s seq=1 prev=%s roster=1",
	    " vigil-entry v=1 org=%s author=%s seq=1 prev=%s roster=1",
	    "vigil-entry v=1 author=%s org=%s seq=1 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=9007199254740992 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=18446744073709551617 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=+1 prev=%s roster=1",
	    "vigil-entry v=1 org=%s author=%s seq=1 prev=%s roster=1\n",
	    "vigil-entry v=1 org=%s author=%s seq=1 prev=%s",
	};
	char zero[65], org[65], upper[65], tc[1100];
	struct vg_entry_meta m, back;

	(void)state;
	memset(zero, '0', 64);
	zero[64] = '\0';
	vg_hex_encode(org, W.org_id, VG_ID_BYTES);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(tc, sizeof(tc), bad[i], org, org, zero);
#pragma GCC diagnostic pop
		assert_int_equal(vg_entry_tc_parse(&back, tc, strlen(tc)), VG_EFORMAT);
	}
	/* Upper-case hex is not the canonical form. */
	for (int i = 0; i < 64; i++)
		upper[i] = (char)(org[i] >= 'a' ? org[i] - 32 : org[i]);
	upper[64] = '\0';
	snprintf(tc, sizeof(tc), "vigil-entry v=1 org=%s author=%s seq=1 prev=%s roster=1", upper,
		 org, zero);
	assert_int_equal(vg_entry_tc_parse(&back, tc, strlen(tc)), VG_EFORMAT);
	/* seq 1 with a previous id, seq 2 without one. */
	snprintf(tc, sizeof(tc), "vigil-entry v=1 org=%s author=%s seq=1 prev=%s roster=1", org,
		 org, org);
	assert_int_equal(vg_entry_tc_parse(&back, tc, strlen(tc)), VG_EFORMAT);
	snprintf(tc, sizeof(tc), "vigil-entry v=1 org=%s author=%s seq=2 prev=%s roster=1", org,
		 org, zero);
	assert_int_equal(vg_entry_tc_parse(&back, tc, strlen(tc)), VG_EFORMAT);
	/* Round trip at the top of the range. */
	meta_for(&m, &W.author_pk, VG_ENTRY_INT_MAX);
	m.roster = VG_ENTRY_INT_MAX;
	assert_int_equal(vg_entry_tc_format(tc, sizeof(tc), &m), 0);
	assert_int_equal(vg_entry_tc_parse(&back, tc, strlen(tc)), 0);
	assert_memory_equal(&m, &back, sizeof(m));
}

/* The canonical encoding is pinned byte for byte (FORMAT.md 4.5). */
static void test_canonical_json(void **state)
{
	struct vg_buf b = VG_BUF_INIT;
	json_error_t jerr;
	json_t *v = json_loads("{\"z\":\"a/b\\u0001\\u001f\\t\\n\\\"\\\\\\u00e9\\u2028\","
			       "\"a\":[true,false,null,0,9007199254740991],\"é\":{}}",
			       0, &jerr);
	const char *want = "{\"a\":[true,false,null,0,9007199254740991],\"z\":\"a/b\\u0001\\u001F"
			   "\\t\\n\\\"\\\\\xc3\xa9\xe2\x80\xa8\",\"\xc3\xa9\":{}}";

	(void)state;
	assert_non_null(v);
	assert_int_equal(vg_json_canonical(&b, v), 0);
	assert_string_equal((const char *)b.ptr, want);
	json_decref(v);
	vg_buf_clear(&b);
	v = json_loads("{\"a\":1.5}", 0, &jerr);
	assert_int_equal(vg_json_canonical(&b, v), VG_EFORMAT);
	json_decref(v);
	v = json_loads("{\"a\":-1}", 0, &jerr);
	assert_int_equal(vg_json_canonical(&b, v), VG_EFORMAT);
	json_decref(v);
	vg_buf_release(&b);
}

/* Plaintexts that are not the one canonical encoding, each refused. */
static void test_plaintext_refusals(void **state)
{
	struct vg_entry_meta m;
	char good[600], org[65], author[65];
	const char *const fmt = "{\"author\":\"%s\",\"body\":{\"k\":\"v\"},\"case\":"
				"\"11111111111111111111111111111111\",\"org\":\"%s\",\"seq\":%d,"
				"\"time\":\"2017-03-28T10:00:00Z\",\"type\":\"%s\",\"v\":%d%s}";
	struct {
		const char *what;
		int seq, v;
		const char *type, *extra;
		int code;
	} cases[] = {
	    {"good", 1, 1, "event", "", 0},
	    {"another sequence", 2, 1, "event", "", VG_EMISMATCH},
	    {"unknown type", 1, 1, "party", "", VG_EFORMAT},
	    {"version 2", 1, 2, "event", "", VG_EUNSUPPORTED},
	    {"extra member", 1, 1, "event", ",\"zz\":1", VG_EFORMAT},
	};
	uint8_t pt[2048];

	(void)state;
	meta_for(&m, &W.author_pk, 1);
	vg_hex_encode(org, m.org, VG_ID_BYTES);
	vg_hex_encode(author, m.author, VG_ID_BYTES);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		int n = snprintf(good, sizeof(good), fmt, author, org, cases[i].seq, cases[i].type,
				 cases[i].v, cases[i].extra);
#pragma GCC diagnostic pop
		memset(pt, ' ', 1024);
		memcpy(pt, good, (size_t)n);
		pt[1023] = '\n';
		assert_int_equal(vg_entry_plaintext_check(NULL, pt, 1024, 1024, &m), cases[i].code);
	}
	/* From here on mutate the good one. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	int n = snprintf(good, sizeof(good), fmt, author, org, 1, "event", 1, "");
#pragma GCC diagnostic pop
	memset(pt, ' ', 2048);
	memcpy(pt, good, (size_t)n);
	pt[1023] = '\n';
	assert_int_equal(vg_entry_plaintext_check(NULL, pt, 1024, 1024, &m), 0);
	/* Re-padded to two buckets. */
	pt[1023] = ' ';
	pt[2047] = '\n';
	assert_int_equal(vg_entry_plaintext_check(NULL, pt, 2048, 1024, &m), VG_EFORMAT);
	pt[1023] = '\n';
	/* No final newline, or padding that is not spaces. */
	pt[1023] = ' ';
	assert_int_equal(vg_entry_plaintext_check(NULL, pt, 1024, 1024, &m), VG_EFORMAT);
	pt[1023] = '\n';
	pt[1000] = '\t';
	assert_int_equal(vg_entry_plaintext_check(NULL, pt, 1024, 1024, &m), VG_EFORMAT);
	pt[1000] = ' ';
	/* Whitespace between tokens, an escaped slash, unsorted keys, duplicates, NUL. */
	{
		static const char *const noncanon[] = {
		    "{ \"author\":1}",
		    "{\"b\":\"a\\/b\"}",
		    "{\"b\":1,\"a\":2}",
		    "{\"a\":1,\"a\":1}",
		    "{\"a\":\"\\u00e9\"}",
		    "{\"a\":\"\\u001f\"}",
		    "[1]",
		    "{\"a\":1e2}",
		    "{\"a\":\"\xff\"}",
		    "{\"a\":\"\\u0000\"}",
		};
		for (size_t i = 0; i < sizeof(noncanon) / sizeof(noncanon[0]); i++) {
			uint8_t p2[256];
			memset(p2, ' ', sizeof(p2));
			memcpy(p2, noncanon[i], strlen(noncanon[i]));
			p2[255] = '\n';
			assert_int_equal(vg_entry_plaintext_check(NULL, p2, 256, 256, &m),
					 VG_EFORMAT);
		}
		uint8_t p3[256];
		memset(p3, ' ', sizeof(p3));
		memcpy(p3, "{\"a\":\0}", 7);
		p3[255] = '\n';
		assert_int_equal(vg_entry_plaintext_check(NULL, p3, 256, 256, &m), VG_EFORMAT);
	}
	/* Deeper than 32 levels. */
	{
		uint8_t deep[256];
		size_t k = 0;
		memset(deep, ' ', sizeof(deep));
		for (int i = 0; i < 40; i++)
			deep[k++] = '[';
		for (int i = 0; i < 40; i++)
			deep[k++] = ']';
		deep[255] = '\n';
		assert_int_equal(vg_entry_plaintext_check(NULL, deep, 256, 256, &m), VG_EFORMAT);
	}
}

/* Seal a hand-made plaintext (for forgeries the sealing API would not produce). */
static void seal_raw(struct vg_entry *e, const struct vg_minisign_sk *sk,
		     const struct vg_entry_meta *m, const char *json)
{
	uint8_t pt[1024];
	char tc[1100];

	memset(pt, ' ', sizeof(pt));
	memcpy(pt, json, strlen(json));
	pt[1023] = '\n';
	vg_entry_init(e);
	assert_int_equal(vg_age_encrypt(&e->age, NULL, W.rcpts, 3, pt, sizeof(pt)), 0);
	assert_int_equal(vg_entry_tc_format(tc, sizeof(tc), m), 0);
	assert_int_equal(
	    vg_minisign_sign(&e->sig, sk, e->age.ptr, e->age.len, VG_SIGNATURE_COMMENT, tc), 0);
	assert_int_equal(vg_entry_compute_id(e->id, e->age.ptr, e->age.len,
					     (const char *)e->sig.ptr, e->sig.len),
			 0);
	e->meta = *m;
}

static void test_forgeries(void **state)
{
	struct vg_entry e, f;
	struct vg_entry_meta meta, om;
	json_t *doc = NULL;
	char tc[1100];
	struct resolver r;

	(void)state;
	seal_one(&e, NULL, W.author, 1, 3, "{\"person\":\"x\"}");

	/* A forgery: another key signs, claiming to be the author. */
	vg_entry_init(&f);
	assert_int_equal(vg_buf_put(&f.age, e.age.ptr, e.age.len), 0);
	assert_int_equal(vg_entry_tc_format(tc, sizeof(tc), &e.meta), 0);
	assert_int_equal(
	    vg_minisign_sign(&f.sig, W.other, f.age.ptr, f.age.len, VG_SIGNATURE_COMMENT, tc), 0);
	r = (struct resolver){&W.author_pk, 3, 0};
	assert_int_equal(vg_entry_verify(NULL, NULL, f.age.ptr, f.age.len, (const char *)f.sig.ptr,
					 f.sig.len, W.org_id, resolve, &r, NULL),
			 VG_EBADSIG);
	vg_entry_release(&f);

	/*
	 * A re-signed entry: someone else's .age signed under the other member's own name. The
	 * signature is good; the plaintext still names the real author, so opening refuses it.
	 */
	meta_for(&om, &W.other_pk, 1);
	vg_entry_init(&f);
	assert_int_equal(vg_buf_put(&f.age, e.age.ptr, e.age.len), 0);
	assert_int_equal(vg_entry_tc_format(tc, sizeof(tc), &om), 0);
	assert_int_equal(
	    vg_minisign_sign(&f.sig, W.other, f.age.ptr, f.age.len, VG_SIGNATURE_COMMENT, tc), 0);
	assert_int_equal(
	    vg_entry_compute_id(f.id, f.age.ptr, f.age.len, (const char *)f.sig.ptr, f.sig.len), 0);
	assert_int_equal(verify_with(&f, &W.other_pk, 3, &meta), 0);
	assert_memory_not_equal(f.id, e.id, VG_ID_BYTES);
	assert_int_equal(
	    vg_entry_open(&doc, &meta, f.age.ptr, f.age.len, W.ids[0], NULL, 1024, NULL),
	    VG_EMISMATCH);
	assert_non_null(strstr(vg_error_last(), "author"));
	vg_entry_release(&f);

	/* A plaintext whose repeated author differs, sealed and signed by the author. */
	{
		char json[600], org[65], other[65];
		vg_hex_encode(org, W.org_id, VG_ID_BYTES);
		vg_hex_encode(other, om.author, VG_ID_BYTES);
		snprintf(
		    json, sizeof(json),
		    "{\"author\":\"%s\",\"body\":{},\"case\":\"11111111111111111111111111111111\","
		    "\"org\":\"%s\",\"seq\":1,\"time\":\"2017-03-28T10:00:00Z\",\"type\":"
		    "\"open\",\"v\":1}",
		    other, org);
		seal_raw(&f, W.author, &e.meta, json);
		assert_int_equal(verify_with(&f, &W.author_pk, 3, &meta), 0);
		assert_int_equal(
		    vg_entry_open(&doc, &meta, f.age.ptr, f.age.len, W.ids[1], NULL, 1024, NULL),
		    VG_EMISMATCH);
		vg_entry_release(&f);
	}

	/* A stanza added for an outsider: four stanzas where the roster names three. */
	seal_one(&f, NULL, W.author, 1, 4, "{}");
	assert_int_equal(verify_with(&f, &W.author_pk, 3, &meta), VG_EMISMATCH);
	assert_non_null(strstr(vg_error_last(), "recipients"));
	vg_entry_release(&f);

	/* Another organisation, a wrong file name, an oversized file. */
	r = (struct resolver){&W.author_pk, 3, 0};
	{
		uint8_t other_org[VG_ID_BYTES], wrong[VG_ID_BYTES];
		memset(other_org, 7, sizeof(other_org));
		assert_int_equal(vg_entry_verify(NULL, NULL, e.age.ptr, e.age.len,
						 (const char *)e.sig.ptr, e.sig.len, other_org,
						 resolve, &r, NULL),
				 VG_EMISMATCH);
		assert_int_equal(r.calls, 0); /* refused before looking up any key */
		memcpy(wrong, e.id, VG_ID_BYTES);
		wrong[0] ^= 1;
		assert_int_equal(vg_entry_verify(NULL, NULL, e.age.ptr, e.age.len,
						 (const char *)e.sig.ptr, e.sig.len, W.org_id,
						 resolve, &r, wrong),
				 VG_EMISMATCH);
		assert_int_equal(vg_entry_verify(NULL, NULL, e.age.ptr, VG_ENTRY_AGE_MAX + 1,
						 (const char *)e.sig.ptr, e.sig.len, W.org_id,
						 resolve, &r, NULL),
				 VG_ELIMIT);
	}
	/* A key whose id is not the signed author. */
	assert_int_equal(verify_with(&e, &W.other_pk, 3, &meta), VG_EMISMATCH);
	vg_entry_release(&e);
}

/* Every single-byte change to either file is refused, and nothing is parsed unsigned. */
static void test_bit_flips(void **state)
{
	struct vg_entry e;
	struct vg_entry_meta meta;

	(void)state;
	seal_one(&e, NULL, W.author, 3, 3, "{\"a\":\"b\"}");
	assert_int_equal(verify_with(&e, &W.author_pk, 3, &meta), 0);
	for (size_t i = 0; i < e.age.len; i += (i < 400 ? 1 : 97)) {
		e.age.ptr[i] ^= 0x20;
		assert_int_equal(verify_with(&e, &W.author_pk, 3, &meta), VG_EBADSIG);
		e.age.ptr[i] ^= 0x20;
	}
	for (size_t i = 0; i < e.sig.len; i++) {
		int rc;
		e.sig.ptr[i] ^= 0x01;
		rc = verify_with(&e, &W.author_pk, 3, &meta);
		assert_true(rc == VG_EBADSIG || rc == VG_EFORMAT || rc == VG_EMISMATCH);
		e.sig.ptr[i] ^= 0x01;
	}
	for (size_t len = 0; len < e.sig.len; len++) {
		struct resolver r = {&W.author_pk, 3, 0};
		assert_int_not_equal(vg_entry_verify(NULL, NULL, e.age.ptr, e.age.len,
						     (const char *)e.sig.ptr, len, W.org_id,
						     resolve, &r, NULL),
				     0);
	}
	for (size_t len = 0; len < e.age.len; len += 13)
		assert_int_equal(verify_with(&(struct vg_entry){.age = {e.age.ptr, len, len, false},
								.sig = e.sig},
					     &W.author_pk, 3, &meta),
				 VG_EBADSIG);
	assert_int_equal(verify_with(&e, &W.author_pk, 3, &meta), 0);
	vg_entry_release(&e);
}

static void test_seal_refuses(void **state)
{
	struct vg_entry e;
	struct vg_entry_meta m;
	struct vg_entry_content c;
	json_t *body = json_object();

	(void)state;
	vg_entry_init(&e);
	memset(&c, 0, sizeof(c));
	c.type = VG_ENTRY_OPEN;
	c.body = body;
	meta_for(&m, &W.author_pk, 1);
	/* Not the author's key. */
	assert_int_equal(vg_entry_seal(&e, NULL, W.other, &m, W.rcpts, 3, 1024, &c, NULL),
			 VG_EINVAL);
	/* Bad buckets. */
	assert_int_equal(vg_entry_seal(&e, NULL, W.author, &m, W.rcpts, 3, 1000, &c, NULL),
			 VG_EINVAL);
	assert_int_equal(vg_entry_seal(&e, NULL, W.author, &m, W.rcpts, 3, 128, &c, NULL),
			 VG_EINVAL);
	/* A malformed time. */
	c.time = "2017-03-28 10:00:00";
	assert_int_equal(vg_entry_seal(&e, NULL, W.author, &m, W.rcpts, 3, 1024, &c, NULL),
			 VG_EINVAL);
	c.time = NULL;
	/* A fractional number in the body. */
	json_object_set_new(body, "x", json_real(0.5));
	assert_int_equal(vg_entry_seal(&e, NULL, W.author, &m, W.rcpts, 3, 1024, &c, NULL),
			 VG_EFORMAT);
	/* Larger than the cap. */
	{
		char *big = malloc(VG_ENTRY_PLAINTEXT_MAX);
		memset(big, 'a', VG_ENTRY_PLAINTEXT_MAX - 1);
		big[VG_ENTRY_PLAINTEXT_MAX - 1] = '\0';
		json_object_set_new(body, "x", json_string(big));
		free(big);
		assert_int_equal(vg_entry_seal(&e, NULL, W.author, &m, W.rcpts, 3, 1024, &c, NULL),
				 VG_ELIMIT);
	}
	assert_int_equal(e.age.len, 0);
	json_decref(body);
	vg_entry_release(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_workspace),
	    cmocka_unit_test(test_id_is_b2sum_of_files),
	    cmocka_unit_test(test_id_needs_four_lines),
	    cmocka_unit_test(test_chain_and_ids_differ),
	    cmocka_unit_test(test_tc_grammar),
	    cmocka_unit_test(test_canonical_json),
	    cmocka_unit_test(test_plaintext_refusals),
	    cmocka_unit_test(test_forgeries),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_seal_refuses),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
