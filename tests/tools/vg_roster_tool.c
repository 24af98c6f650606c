/*
 * vg_roster_tool: a test-only program (never installed) that drives the roster layer from
 * shell tests where sync does not exist yet: it seals entries as a member under a roster,
 * runs the acceptance rules on them (keeping what it verified in a home's store, as sync
 * will), verifies roster directories as a client that fetches them one after another, and
 * reads invitations as `vigil join` will.
 *
 *   vg_roster_tool seal --home H --roster DIR --seq N [--prev ID] [--version V] --out DIR
 *       opens H's vault (passphrase: first line of standard input), seals an event entry
 *       as H's member to the recipients of roster version V (default: the newest) of the
 *       roster directory DIR, writes OUT/<id>.age and .age.minisig; prints the id
 *   vg_roster_tool seal ... --age FILE
 *       signs FILE (an existing .age, byte for byte) as H's entry instead of sealing a new
 *       one: one .age signed by two authors
 *   vg_roster_tool sign-next --org-key FILE --roster DIR --out DIR [--expires YYYY-MM-DD]
 *                            [--swap-key PSEUDONYM]
 *       signs the version after DIR's newest with the organisation key (passphrase: first
 *       line of standard input), optionally with another expiry or with a new key for a
 *       member (what no coordinator may do: 11.5), into OUT/roster.json and .minisig;
 *       prints the version
 *   vg_roster_tool accept --roster DIR [--home H] [--import] [--now YYYY-MM-DD] FILE.age...
 *       the verdict of each entry (FORMAT.md 11.7), given what H's store accepted of its
 *       author: "<id> <verdict> <reason>"; --import keeps accepted, pending and quarantined
 *       entries in H's store
 *   vg_roster_tool verify [--now YYYY-MM-DD] --roster DIR [--roster DIR...]
 *       loads each directory in turn into one set of versions (a client fetching them one
 *       after another): rollback, fork, chain, expiry; prints "ok N" (the newest version)
 *   vg_roster_tool invite FILE
 *       parses and verifies an invitation; prints its fields and the organisation's
 *       fingerprint code
 *   vg_roster_tool fuzz-seeds roster|invite DIR
 *       writes seed inputs signed by the fixed fuzzing key of tests/fuzz/fuzz_roster.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/home.h"
#include "vigil/id.h"
#include "vigil/invite.h"
#include "vigil/orgkey.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/term.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

#define FUZZ_SEED "vigil fuzz organisation key 001" /* 31 bytes and a NUL: 32 */

static int die(const char *what)
{
	fprintf(stderr, "vg_roster_tool: %s: %s\n", what, vg_error_last());
	return 1;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static time_t parse_now(const char *s)
{
	struct tm tm;

	if (s == NULL)
		return time(NULL);
	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%d", &tm) == NULL)
		return (time_t)-1;
	tm.tm_hour = 12;
	return timegm(&tm);
}

static int load_dir(struct vg_roster_set **s, const char *dir)
{
	struct vg_minisign_pk org;
	int rc;

	if ((rc = vg_roster_dir_org(&org, dir)) < 0)
		return rc;
	if (*s == NULL && (rc = vg_roster_set_new(s, &org)) < 0)
		return rc;
	return vg_roster_dir_load(*s, dir, NULL);
}

static int store_path(char *out, const char *home)
{
	struct vg_home h;
	int rc;

	if ((rc = vg_home_resolve(&h, home)) < 0 || (rc = vg_mkdir_p(h.data, 0700)) < 0)
		return rc;
	return vg_home_path(out, PATH_MAX, h.data, "store.db");
}

static int cmd_seal(int argc, char **argv)
{
	const char *home = opt(argc, argv, "--home"), *dir = opt(argc, argv, "--roster");
	const char *out = opt(argc, argv, "--out"), *seq = opt(argc, argv, "--seq");
	const char *prev = opt(argc, argv, "--prev"), *ver = opt(argc, argv, "--version");
	const char *agefile = opt(argc, argv, "--age");
	struct vg_roster_set *s = NULL;
	struct vg_vault *v = NULL;
	struct vg_buf pass = VG_BUF_INIT_SECURE;
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_entry_content c;
	struct vg_entry_meta m;
	struct vg_minisign_pk pk;
	struct vg_entry e;
	const struct vg_roster *r;
	struct vg_home h;
	char path[PATH_MAX], hex[VG_ID_HEX_LEN + 1];
	json_error_t jerr;
	size_t n;
	int rc = 1;

	vg_entry_init(&e);
	memset(&c, 0, sizeof(c));
	if (home == NULL || dir == NULL || out == NULL || seq == NULL)
		return fprintf(stderr, "seal: --home, --roster, --seq and --out are needed\n"), 2;
	if (vg_home_resolve(&h, home) < 0 ||
	    vg_home_path(path, sizeof(path), h.data, "vault.key") < 0 ||
	    vg_term_passphrase(&pass, 0, "") < 0 ||
	    vg_vault_read(&v, path, (const char *)pass.ptr, pass.len) < 0) {
		rc = die("vault");
		goto done;
	}
	if (load_dir(&s, dir) < 0) {
		rc = die("roster");
		goto done;
	}
	r = ver != NULL ? vg_roster_set_get(s, strtoull(ver, NULL, 10)) : vg_roster_set_current(s);
	if (r == NULL) {
		fprintf(stderr, "vg_roster_tool: no such roster version\n");
		goto done;
	}
	memset(&m, 0, sizeof(m));
	memcpy(m.org, r->org, VG_ID_BYTES);
	vg_minisign_sk_public(&pk, v->sign);
	vg_id_of_key(m.author, &pk);
	m.seq = strtoull(seq, NULL, 10);
	m.roster = r->version;
	if (prev != NULL && vg_hex_decode(m.prev, VG_ID_BYTES, prev, strlen(prev)) < 0) {
		rc = die("--prev");
		goto done;
	}
	if (vg_roster_recipients(rcpts, &n, r, m.author) < 0) {
		rc = die("recipients");
		goto done;
	}
	c.type = VG_ENTRY_EVENT;
	randombytes_buf(c.case_id, sizeof(c.case_id));
	c.body = json_loads("{\"event\":{\"type\":\"arrest\",\"date\":\"2024-05\"}}", 0, &jerr);
	if (agefile != NULL) {
		char tc[VG_MINISIGN_COMMENT_MAX + 1];
		e.meta = m;
		if (vg_fs_read_file(&e.age, agefile, VG_ENTRY_AGE_MAX) < 0 ||
		    vg_entry_tc_format(tc, sizeof(tc), &m) < 0 ||
		    vg_minisign_sign(&e.sig, v->sign, e.age.ptr, e.age.len, VG_SIGNATURE_COMMENT,
				     tc) < 0 ||
		    vg_entry_compute_id(e.id, e.age.ptr, e.age.len, (const char *)e.sig.ptr,
					e.sig.len) < 0) {
			rc = die("sign");
			goto done;
		}
	} else if (vg_entry_seal(&e, NULL, v->sign, &m, rcpts, n, r->policy.bucket, &c, NULL) < 0) {
		rc = die("seal");
		goto done;
	}
	vg_hex_encode(hex, e.id, VG_ID_BYTES);
	if (snprintf(path, sizeof(path), "%s/%s.age", out, hex) >= (int)sizeof(path) ||
	    vg_fs_write_atomic(path, e.age.ptr, e.age.len, 0644, 1) < 0 ||
	    snprintf(path, sizeof(path), "%s/%s.age.minisig", out, hex) >= (int)sizeof(path) ||
	    vg_fs_write_atomic(path, e.sig.ptr, e.sig.len, 0644, 1) < 0) {
		rc = die("write");
		goto done;
	}
	printf("%s\n", hex);
	rc = 0;
done:
	json_decref(c.body);
	vg_entry_release(&e);
	vg_buf_release(&pass);
	vg_vault_free(v);
	vg_roster_set_free(s);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	return memcmp(((const struct vg_roster_member *)a)->id,
		      ((const struct vg_roster_member *)b)->id, VG_ID_BYTES);
}

static int cmd_sign_next(int argc, char **argv)
{
	const char *keyfile = opt(argc, argv, "--org-key"), *dir = opt(argc, argv, "--roster");
	const char *out = opt(argc, argv, "--out"), *expires = opt(argc, argv, "--expires");
	const char *swap = opt(argc, argv, "--swap-key");
	struct vg_roster_set *s = NULL;
	struct vg_roster *next = NULL;
	struct vg_minisign_sk *sk = NULL, *other = NULL;
	struct vg_buf pass = VG_BUF_INIT_SECURE, json = VG_BUF_INIT, sig = VG_BUF_INIT;
	char path[PATH_MAX];
	int rc = 1;

	if (keyfile == NULL || dir == NULL || out == NULL)
		return fprintf(stderr, "sign-next: --org-key, --roster and --out are needed\n"), 2;
	if (vg_term_passphrase(&pass, 0, "") < 0 ||
	    vg_orgkey_read(&sk, keyfile, (const char *)pass.ptr, pass.len) < 0) {
		rc = die("organisation key");
		goto done;
	}
	if (load_dir(&s, dir) < 0 ||
	    vg_roster_next(&next, vg_roster_set_current(s), time(NULL)) < 0) {
		rc = die("roster");
		goto done;
	}
	if (expires != NULL)
		snprintf(next->expires, sizeof(next->expires), "%s", expires);
	if (swap != NULL) {
		struct vg_roster_member *m = vg_roster_lookup(next, swap);
		if (m == NULL || vg_minisign_sk_generate(&other) < 0) {
			fprintf(stderr, "vg_roster_tool: no member '%s'\n", swap);
			goto done;
		}
		vg_minisign_sk_public(&m->key, other);
		vg_id_of_key(m->id, &m->key);
		qsort(next->members, next->nmembers, sizeof(*next->members), by_id);
	}
	if (vg_roster_sign(&json, &sig, next, sk) < 0) {
		rc = die("sign");
		goto done;
	}
	if (snprintf(path, sizeof(path), "%s/roster.json", out) >= (int)sizeof(path) ||
	    vg_fs_write_atomic(path, json.ptr, json.len, 0644, 0) < 0 ||
	    snprintf(path, sizeof(path), "%s/roster.json.minisig", out) >= (int)sizeof(path) ||
	    vg_fs_write_atomic(path, sig.ptr, sig.len, 0644, 0) < 0) {
		rc = die("write");
		goto done;
	}
	printf("%llu\n", (unsigned long long)next->version);
	rc = 0;
done:
	vg_buf_release(&pass);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_minisign_sk_free(sk);
	vg_minisign_sk_free(other);
	vg_roster_free(next);
	vg_roster_set_free(s);
	return rc;
}

/* What the store accepted of an author around a sequence number. */
struct around {
	uint64_t seq;
	bool have_prev, have_same, have_next;
	uint8_t prev[VG_ID_BYTES], same[VG_ID_BYTES], next_prev[VG_ID_BYTES];
};

static int around_fn(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct around *a = ctx;

	if (state != VG_STATE_ACCEPTED)
		return 0;
	if (e->meta.seq + 1 == a->seq) {
		a->have_prev = true;
		memcpy(a->prev, e->id, VG_ID_BYTES);
	} else if (e->meta.seq == a->seq) {
		a->have_same = true;
		memcpy(a->same, e->id, VG_ID_BYTES);
	} else if (e->meta.seq == a->seq + 1) {
		a->have_next = true;
		memcpy(a->next_prev, e->meta.prev, VG_ID_BYTES);
	}
	return 0;
}

static int read_entry(struct vg_entry *e, const char *file)
{
	char sig[PATH_MAX];
	int rc;

	if (snprintf(sig, sizeof(sig), "%s.minisig", file) >= (int)sizeof(sig))
		return vg_error_set(VG_EINVAL, "path too long");
	if ((rc = vg_fs_read_file(&e->age, file, VG_ENTRY_AGE_MAX)) < 0 ||
	    (rc = vg_fs_read_file(&e->sig, sig, VG_ENTRY_SIG_MAX)) < 0)
		return rc;
	return 0;
}

static int cmd_accept(int argc, char **argv)
{
	const char *dir = opt(argc, argv, "--roster"), *home = opt(argc, argv, "--home");
	time_t now = parse_now(opt(argc, argv, "--now"));
	int import = flag(argc, argv, "--import"), rc = 1;
	struct vg_roster_set *s = NULL;
	struct vg_store *st = NULL;
	char path[PATH_MAX];

	if (dir == NULL || now == (time_t)-1 || (import && home == NULL))
		return fprintf(stderr, "accept: --roster DIR [--home H [--import]] FILE...\n"), 2;
	if (load_dir(&s, dir) < 0)
		return die("roster");
	if (home != NULL && (store_path(path, home) < 0 || vg_store_open(&st, path) < 0)) {
		rc = die("store");
		goto done;
	}
	for (int i = 1; i < argc; i++) {
		struct vg_roster_verdict v;
		struct vg_roster_feed f = {NULL, NULL, NULL};
		struct vg_entry_meta meta;
		struct around a;
		struct vg_minisig ms;
		struct vg_entry e;
		char hex[VG_ID_HEX_LEN + 1];

		if (argv[i][0] == '-') {
			if (strcmp(argv[i], "--import") != 0)
				i++;
			continue;
		}
		vg_entry_init(&e);
		if (read_entry(&e, argv[i]) < 0) {
			rc = die(argv[i]);
			goto done;
		}
		/* The feed around the entry, from the (unverified) trusted comment's seq. */
		memset(&a, 0, sizeof(a));
		if (st != NULL &&
		    vg_minisign_sig_parse(&ms, (const char *)e.sig.ptr, e.sig.len) == 0 &&
		    vg_entry_tc_parse(&meta, ms.trusted, strlen(ms.trusted)) == 0) {
			a.seq = meta.seq;
			if (vg_store_foreach(st, meta.author, around_fn, &a) < 0) {
				rc = die("store");
				vg_entry_release(&e);
				goto done;
			}
			f.prev = a.have_prev ? a.prev : NULL;
			f.same = a.have_same ? a.same : NULL;
			f.next_prev = a.have_next ? a.next_prev : NULL;
		}
		if (vg_roster_set_accept(&v, s, e.age.ptr, e.age.len, (const char *)e.sig.ptr,
					 e.sig.len, NULL, &f, now) < 0) {
			rc = die("accept");
			vg_entry_release(&e);
			goto done;
		}
		if (v.verified)
			vg_hex_encode(hex, v.id, VG_ID_BYTES);
		else
			snprintf(hex, sizeof(hex), "-");
		printf("%s %s%s %s\n", hex, vg_verdict_name(v.verdict), v.fork ? " fork" : "",
		       v.reason);
		if (import && v.verdict != VG_VERDICT_REFUSED) {
			int r2;
			memcpy(e.id, v.id, VG_ID_BYTES);
			e.meta = v.meta;
			r2 = vg_store_put_entry(st, &e,
						v.verdict == VG_VERDICT_ACCEPTED ? VG_STATE_ACCEPTED
						: v.verdict == VG_VERDICT_PENDING
						    ? VG_STATE_PENDING
						    : VG_STATE_QUARANTINED,
						v.reason);
			if (r2 < 0 && r2 != VG_EEXISTS) {
				rc = die("import");
				vg_entry_release(&e);
				goto done;
			}
		}
		vg_entry_release(&e);
	}
	rc = 0;
done:
	vg_store_close(st);
	vg_roster_set_free(s);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	time_t now = parse_now(opt(argc, argv, "--now"));
	struct vg_roster_set *s = NULL;
	int rc = 0, dirs = 0;

	for (int i = 0; i + 1 < argc && rc == 0; i++) {
		if (strcmp(argv[i], "--roster") != 0)
			continue;
		dirs++;
		if (load_dir(&s, argv[i + 1]) < 0)
			rc = die(argv[i + 1]);
	}
	if (rc == 0 && dirs == 0)
		return fprintf(stderr, "verify: --roster DIR...\n"), 2;
	if (rc == 0 && vg_roster_set_check_fresh(s, now) < 0)
		rc = die("roster");
	if (rc == 0)
		printf("ok %llu\n", (unsigned long long)vg_roster_set_current(s)->version);
	vg_roster_set_free(s);
	return rc;
}

static int cmd_invite(int argc, char **argv)
{
	struct vg_buf b = VG_BUF_INIT;
	struct vg_invite inv;
	char fp[VG_FINGERPRINT_LEN + 1], key[VG_MINISIGN_PK_B64_LEN + 1], hex[VG_ID_HEX_LEN + 1];
	int rc = 1;

	vg_invite_init(&inv);
	if (argc < 2)
		return fprintf(stderr, "invite FILE\n"), 2;
	if (vg_fs_read_file(&b, argv[1], VG_INVITE_MAX + 1) < 0 ||
	    vg_invite_parse(&inv, b.ptr, b.len) < 0) {
		rc = die(argv[1]);
		goto done;
	}
	vg_fingerprint_org(fp, &inv.org_key);
	vg_minisign_pk_encode(key, &inv.org_key);
	printf("organisation: %s\norg_key: %s\nfingerprint: %s\n", inv.name, key, fp);
	vg_hex_encode(hex, inv.member, VG_ID_BYTES);
	printf("member: %s %s\nremote: %s\n", inv.pseudonym, hex, inv.remote);
	vg_hex_encode(hex, inv.roster_hash, VG_ID_BYTES);
	printf("roster: %llu %s\ncredential: %zu bytes\npin: %s\n",
	       (unsigned long long)inv.roster_version, hex, inv.credential.len,
	       inv.has_pin ? "yes" : "none");
	if (inv.credential.len > 0 && argc > 2 &&
	    vg_fs_write_atomic(argv[2], inv.credential.ptr, inv.credential.len, 0600, 1) < 0) {
		rc = die(argv[2]);
		goto done;
	}
	rc = 0;
done:
	vg_invite_release(&inv);
	vg_buf_release(&b);
	return rc;
}

/* ---- fuzzing seeds, signed by the fixed key the harnesses verify with ---- */

static struct vg_minisign_sk *fuzz_key(void)
{
	uint8_t raw[VG_MINISIGN_SK_RAW_BYTES], seed[32], pk[32];
	struct vg_minisign_sk *sk = NULL;

	memcpy(seed, FUZZ_SEED, sizeof(seed));
	crypto_sign_seed_keypair(pk, raw + VG_MINISIGN_KEYNUM_BYTES, seed);
	vg_id_keynum(raw, pk);
	if (vg_minisign_sk_from_raw(&sk, raw) < 0)
		return NULL;
	return sk;
}

static int write_seed(const char *dir, const char *name, const struct vg_buf *a,
		      const struct vg_buf *b)
{
	struct vg_buf all = VG_BUF_INIT;
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((rc = vg_buf_put(&all, a->ptr, a->len)) == 0 && b != NULL &&
	    (rc = vg_buf_putc(&all, 0)) == 0)
		rc = vg_buf_put(&all, b->ptr, b->len);
	if (rc == 0)
		rc = vg_fs_write_atomic(path, all.ptr, all.len, 0644, 0);
	vg_buf_release(&all);
	return rc;
}

static void identity_of(struct vg_identity *id, const char *name, uint8_t fill)
{
	uint8_t seed[32], pk[32], sk[64];

	memset(id, 0, sizeof(*id));
	snprintf(id->pseudonym, sizeof(id->pseudonym), "%s", name);
	memset(seed, fill, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	memcpy(id->sign.pk, pk, 32);
	vg_id_keynum(id->sign.keynum, pk);
	crypto_scalarmult_base(id->age.pk, seed);
	sodium_memzero(sk, sizeof(sk));
}

static int cmd_fuzz_seeds(int argc, char **argv)
{
	struct vg_minisign_sk *sk = fuzz_key();
	struct vg_minisign_pk pk;
	struct vg_identity c, m, a;
	struct vg_age_recipient rec;
	struct vg_roster *r = NULL, *n = NULL;
	struct vg_buf j1 = VG_BUF_INIT, s1 = VG_BUF_INIT, j2 = VG_BUF_INIT, s2 = VG_BUF_INIT;
	const time_t now = 1717243200;
	uint8_t seed[32];
	int rc = 1;

	if (argc < 3 || sk == NULL)
		return fprintf(stderr, "fuzz-seeds roster|invite DIR\n"), 2;
	vg_minisign_sk_public(&pk, sk);
	identity_of(&c, "office", 1);
	identity_of(&m, "nadia", 2);
	identity_of(&a, "audit-1", 3);
	memset(seed, 4, sizeof(seed));
	crypto_scalarmult_base(rec.pk, seed);
	if (vg_roster_first(&r, &pk, "Example Watch", &rec, &c, now) < 0 ||
	    vg_roster_sign(&j1, &s1, r, sk) < 0 || vg_roster_next(&n, r, now) < 0 ||
	    vg_roster_add(n, &m, VG_ROLE_MONITOR) < 0 ||
	    vg_roster_add(n, &a, VG_ROLE_AUDITOR) < 0 ||
	    vg_roster_revoke(n, vg_roster_lookup(n, "nadia"), 2, seed) < 0 ||
	    vg_roster_late_accept(n, seed) < 0 || vg_roster_sign(&j2, &s2, n, sk) < 0) {
		rc = die("build");
		goto done;
	}
	if (strcmp(argv[1], "roster") == 0) {
		if (write_seed(argv[2], "v1-signed", &j1, &s1) < 0 ||
		    write_seed(argv[2], "v2-signed", &j2, &s2) < 0 ||
		    write_seed(argv[2], "v1-json", &j1, NULL) < 0 ||
		    write_seed(argv[2], "v2-json", &j2, NULL) < 0 ||
		    write_seed(argv[2], "v2-with-v1-sig", &j2, &s1) < 0) {
			rc = die("write");
			goto done;
		}
	} else {
		struct vg_invite inv;
		struct vg_buf out = VG_BUF_INIT, none = VG_BUF_INIT;
		vg_invite_init(&inv);
		if (vg_invite_prepare(&inv, n, vg_roster_lookup(n, "audit-1"),
				      "/media/usb/watch.git", NULL, NULL, 0) < 0 ||
		    vg_invite_write(&out, &inv, sk) < 0 ||
		    write_seed(argv[2], "auditor", &out, NULL) < 0) {
			rc = die("invite");
			goto done;
		}
		vg_buf_clear(&out);
		if (vg_invite_prepare(&inv, r, vg_roster_lookup(r, "office"),
				      "ssh://git@example.org/watch.git", seed,
				      (const uint8_t *)"token", 5) < 0 ||
		    vg_invite_write(&out, &inv, sk) < 0 ||
		    write_seed(argv[2], "credential-pin", &out, NULL) < 0) {
			rc = die("invite");
			goto done;
		}
		vg_buf_release(&out);
		vg_buf_release(&none);
		vg_invite_release(&inv);
	}
	rc = 0;
done:
	vg_buf_release(&j1);
	vg_buf_release(&s1);
	vg_buf_release(&j2);
	vg_buf_release(&s2);
	vg_roster_free(r);
	vg_roster_free(n);
	vg_minisign_sk_free(sk);
	return rc;
}

int main(int argc, char **argv)
{
	if (vg_init() < 0)
		return die("init");
	if (argc < 2) {
		fprintf(stderr, "usage: vg_roster_tool seal|accept|verify|invite|fuzz-seeds ...\n");
		return 2;
	}
	if (strcmp(argv[1], "seal") == 0)
		return cmd_seal(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign-next") == 0)
		return cmd_sign_next(argc - 1, argv + 1);
	if (strcmp(argv[1], "accept") == 0)
		return cmd_accept(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "invite") == 0)
		return cmd_invite(argc - 1, argv + 1);
	if (strcmp(argv[1], "fuzz-seeds") == 0)
		return cmd_fuzz_seeds(argc - 1, argv + 1);
	fprintf(stderr, "vg_roster_tool: unknown command '%s'\n", argv[1]);
	return 2;
}
