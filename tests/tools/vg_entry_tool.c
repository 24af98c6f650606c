/*
 * vg_entry_tool: a test-only program (never installed) that drives the entry format from
 * shell tests and the format walkthrough, so that entries can be checked against stock
 * minisign, age, b2sum and jq. Keys it writes are unencrypted test keys.
 *
 *   vg_entry_tool keygen PREFIX
 *       PREFIX.pub (stock minisign public key), PREFIX.key (stock minisign secret key,
 *       unencrypted), PREFIX.age (age identity file); prints the author id
 *   vg_entry_tool seal --key PREFIX --org ORG.pub --seq N [--prev ID] --roster V
 *                      --to AGE1... [--to ...] [--bucket B] [--type T] [--case HEX]
 *                      [--time T] --out DIR          (body: a JSON object on stdin)
 *       writes DIR/<id>.age and DIR/<id>.age.minisig; prints the id
 *   vg_entry_tool verify --org ORG.pub --author AUTHOR.pub --stanzas N FILE.age
 *       prints the trusted comment's fields
 *   vg_entry_tool open --identity FILE.age-identity --author AUTHOR.pub --org ORG.pub
 *                      [--bucket B] FILE.age
 *       prints the plaintext document (canonical JSON)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/minisign.h"
#include "vigil/vigil.h"

static int die(const char *what)
{
	fprintf(stderr, "vg_entry_tool: %s: %s\n", what, vg_error_last());
	return 1;
}

static char *cat_path(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *p = malloc(n);
	if (p == NULL)
		abort();
	snprintf(p, n, "%s%s", a, b);
	return p;
}

static int load_pk(struct vg_minisign_pk *pk, const char *path)
{
	struct vg_buf b = VG_BUF_INIT;
	int rc = vg_fs_read_file(&b, path, 4096);
	if (rc == 0)
		rc = vg_minisign_pk_parse(pk, (const char *)b.ptr, b.len);
	vg_buf_release(&b);
	return rc;
}

static int cmd_keygen(int argc, char **argv)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_age_identity *id = NULL;
	struct vg_minisign_pk pk;
	struct vg_age_recipient r;
	struct vg_buf pub = VG_BUF_INIT, key = VG_BUF_INIT_SECURE, ident = VG_BUF_INIT_SECURE;
	char rs[VG_AGE_RECIPIENT_STR_LEN + 1], hex[VG_ID_HEX_LEN + 1];
	uint8_t aid[VG_ID_BYTES];
	char *p1, *p2, *p3;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: vg_entry_tool keygen PREFIX\n");
		return 2;
	}
	p1 = cat_path(argv[1], ".pub");
	p2 = cat_path(argv[1], ".key");
	p3 = cat_path(argv[1], ".age");
	if (vg_minisign_sk_generate(&sk) < 0 || vg_age_identity_generate(&id) < 0)
		goto done;
	vg_minisign_sk_public(&pk, sk);
	vg_age_identity_recipient(&r, id);
	vg_age_recipient_encode(rs, &r);
	if (vg_minisign_pk_write(&pub, &pk) < 0 || vg_minisign_sk_write(&key, sk, NULL, 0) < 0 ||
	    vg_buf_printf(&ident, "# public key: %s\n", rs) < 0 ||
	    vg_age_identity_encode(&ident, id) < 0 || vg_buf_putc(&ident, '\n') < 0)
		goto done;
	if (vg_fs_write_atomic(p1, pub.ptr, pub.len, 0644, 1) < 0 ||
	    vg_fs_write_atomic(p2, key.ptr, key.len, 0600, 1) < 0 ||
	    vg_fs_write_atomic(p3, ident.ptr, ident.len, 0600, 1) < 0)
		goto done;
	vg_id_of_key(aid, &pk);
	vg_hex_encode(hex, aid, VG_ID_BYTES);
	printf("%s %s\n", hex, rs);
	rc = 0;
done:
	if (rc != 0)
		die("keygen");
	vg_buf_release(&pub);
	vg_buf_release(&key);
	vg_buf_release(&ident);
	vg_minisign_sk_free(sk);
	vg_age_identity_free(id);
	free(p1);
	free(p2);
	free(p3);
	return rc;
}

struct one_key {
	struct vg_minisign_pk pk;
	size_t nstanzas;
};

static int resolve_one(void *ctx, const struct vg_entry_meta *meta, struct vg_minisign_pk *pk_out,
		       size_t *nstanzas_out)
{
	const struct one_key *k = ctx;
	(void)meta;
	*pk_out = k->pk;
	*nstanzas_out = k->nstanzas;
	return 0;
}

static int cmd_seal(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},    {"org", required_argument, NULL, 'o'},
	    {"seq", required_argument, NULL, 's'},    {"prev", required_argument, NULL, 'p'},
	    {"roster", required_argument, NULL, 'r'}, {"to", required_argument, NULL, 't'},
	    {"bucket", required_argument, NULL, 'b'}, {"type", required_argument, NULL, 'y'},
	    {"case", required_argument, NULL, 'c'},   {"time", required_argument, NULL, 'T'},
	    {"out", required_argument, NULL, 'O'},    {NULL, 0, NULL, 0},
	};
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_entry_meta meta;
	struct vg_entry_content content;
	struct vg_entry e;
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk org, pk;
	struct vg_buf key = VG_BUF_INIT_SECURE;
	const char *keyprefix = NULL, *orgpath = NULL, *out = NULL;
	size_t n = 0, bucket = VG_ENTRY_BUCKET_DEFAULT;
	json_t *body = NULL;
	json_error_t jerr;
	char hex[VG_ID_HEX_LEN + 1];
	char *path = NULL, *p;
	int c, rc = 1;

	memset(&meta, 0, sizeof(meta));
	memset(&content, 0, sizeof(content));
	content.type = VG_ENTRY_OPEN;
	randombytes_buf(content.case_id, sizeof(content.case_id));
	vg_entry_init(&e);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keyprefix = optarg;
			break;
		case 'o':
			orgpath = optarg;
			break;
		case 's':
			meta.seq = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			if (vg_hex_decode(meta.prev, VG_ID_BYTES, optarg, strlen(optarg)) < 0)
				return die("--prev");
			break;
		case 'r':
			meta.roster = strtoull(optarg, NULL, 10);
			break;
		case 't':
			if (n == VG_AGE_RECIPIENTS_MAX ||
			    vg_age_recipient_parse(&rcpts[n++], optarg, strlen(optarg)) < 0)
				return die("--to");
			break;
		case 'b':
			bucket = strtoul(optarg, NULL, 10);
			break;
		case 'y':
			for (content.type = VG_ENTRY_OPEN;
			     vg_entry_type_name(content.type) != NULL &&
			     strcmp(vg_entry_type_name(content.type), optarg) != 0;
			     content.type++)
				;
			break;
		case 'c':
			if (vg_hex_decode(content.case_id, VG_CASE_ID_BYTES, optarg,
					  strlen(optarg)) < 0)
				return die("--case");
			break;
		case 'T':
			content.time = optarg;
			break;
		case 'O':
			out = optarg;
			break;
		default:
			return 2;
		}
	}
	if (keyprefix == NULL || orgpath == NULL || out == NULL || n == 0) {
		fprintf(stderr,
			"usage: vg_entry_tool seal --key PREFIX --org ORG.pub ... --out DIR\n");
		return 2;
	}
	body = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL) {
		fprintf(stderr, "vg_entry_tool: body is not JSON: %s\n", jerr.text);
		return 1;
	}
	content.body = body;
	path = cat_path(keyprefix, ".key");
	if (vg_fs_read_file(&key, path, 4096) < 0 ||
	    vg_minisign_sk_parse(&sk, (const char *)key.ptr, key.len, NULL, 0) < 0 ||
	    load_pk(&org, orgpath) < 0) {
		die("seal");
		goto done;
	}
	vg_id_of_key(meta.org, &org);
	vg_minisign_sk_public(&pk, sk);
	vg_id_of_key(meta.author, &pk);
	if (vg_entry_seal(&e, NULL, sk, &meta, rcpts, n, bucket, &content, NULL) < 0) {
		die("seal");
		goto done;
	}
	vg_hex_encode(hex, e.id, VG_ID_BYTES);
	free(path);
	path = malloc(strlen(out) + VG_ID_HEX_LEN + 16);
	if (path == NULL)
		abort();
	sprintf(path, "%s/%s.age", out, hex);
	p = cat_path(path, ".minisig");
	if (vg_fs_write_atomic(path, e.age.ptr, e.age.len, 0644, 1) < 0 ||
	    vg_fs_write_atomic(p, e.sig.ptr, e.sig.len, 0644, 1) < 0) {
		free(p);
		die("seal");
		goto done;
	}
	free(p);
	printf("%s\n", hex);
	rc = 0;
done:
	free(path);
	json_decref(body);
	vg_entry_release(&e);
	vg_buf_release(&key);
	vg_minisign_sk_free(sk);
	return rc;
}

/* Shared by verify and open: reads FILE.age and FILE.age.minisig and verifies them. */
static int load_and_verify(struct vg_buf *age, struct vg_entry_meta *meta, const char *file,
			   const struct vg_minisign_pk *org, struct one_key *k)
{
	struct vg_buf sig = VG_BUF_INIT;
	uint8_t oid[VG_ID_BYTES], id[VG_ID_BYTES], named[VG_ID_BYTES];
	const char *base = strrchr(file, '/');
	char *sigpath = cat_path(file, ".minisig");
	size_t blen;
	int rc;

	base = base == NULL ? file : base + 1;
	blen = strlen(base);
	vg_id_of_key(oid, org);
	rc = vg_fs_read_file(age, file, VG_ENTRY_AGE_MAX);
	if (rc == 0)
		rc = vg_fs_read_file(&sig, sigpath, VG_ENTRY_SIG_MAX);
	if (rc == 0 && (blen != VG_ID_HEX_LEN + 4 ||
			vg_hex_decode(named, VG_ID_BYTES, base, VG_ID_HEX_LEN) < 0))
		rc = vg_error_set(VG_EFORMAT, "'%s' is not named <id>.age", base);
	if (rc == 0)
		rc = vg_entry_verify(meta, id, age->ptr, age->len, (const char *)sig.ptr, sig.len,
				     oid, resolve_one, k, named);
	vg_buf_release(&sig);
	free(sigpath);
	return rc;
}

static int cmd_verify_open(int argc, char **argv, int open)
{
	static const struct option opts[] = {
	    {"org", required_argument, NULL, 'o'},     {"author", required_argument, NULL, 'a'},
	    {"stanzas", required_argument, NULL, 'n'}, {"identity", required_argument, NULL, 'i'},
	    {"bucket", required_argument, NULL, 'b'},  {NULL, 0, NULL, 0},
	};
	struct vg_minisign_pk org;
	struct one_key k = {.nstanzas = 0};
	struct vg_entry_meta meta;
	struct vg_buf age = VG_BUF_INIT, ident = VG_BUF_INIT_SECURE, out = VG_BUF_INIT_SECURE;
	struct vg_age_identity *id = NULL;
	const char *orgpath = NULL, *authpath = NULL, *idpath = NULL;
	size_t bucket = VG_ENTRY_BUCKET_DEFAULT;
	json_t *doc = NULL;
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			orgpath = optarg;
			break;
		case 'a':
			authpath = optarg;
			break;
		case 'n':
			k.nstanzas = strtoul(optarg, NULL, 10);
			break;
		case 'i':
			idpath = optarg;
			break;
		case 'b':
			bucket = strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1 || orgpath == NULL || authpath == NULL || (open && idpath == NULL)) {
		fprintf(
		    stderr,
		    "usage: vg_entry_tool verify|open --org ORG.pub --author A.pub ... FILE.age\n");
		return 2;
	}
	if (load_pk(&org, orgpath) < 0 || load_pk(&k.pk, authpath) < 0) {
		die("keys");
		goto done;
	}
	if (open) {
		char *line, *save = NULL;
		struct vg_age_header *h = NULL;
		if (vg_fs_read_file(&ident, idpath, 4096) < 0) {
			die("identity");
			goto done;
		}
		/* The identity file's last non-comment line. */
		for (line = strtok_r((char *)ident.ptr, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			if (line[0] != '#' && vg_age_identity_parse(&id, line, strlen(line)) < 0) {
				die("identity");
				goto done;
			}
		/* Open verifies with the stanza count the file has; verify checks it. */
		if (vg_fs_read_file(&age, argv[optind], VG_ENTRY_AGE_MAX) < 0 ||
		    vg_age_header_parse(&h, age.ptr, age.len) < 0) {
			die("open");
			goto done;
		}
		k.nstanzas = h->nstanzas;
		vg_age_header_free(h);
		vg_buf_release(&age);
	}
	if (load_and_verify(&age, &meta, argv[optind], &org, &k) < 0) {
		die("verify");
		goto done;
	}
	if (!open) {
		if (vg_entry_tc_format(tc, sizeof(tc), &meta) < 0) {
			die("verify");
			goto done;
		}
		printf("%s\n", tc);
		rc = 0;
		goto done;
	}
	if (vg_entry_open(&doc, &meta, age.ptr, age.len, id, NULL, bucket, NULL) < 0 ||
	    vg_json_canonical(&out, doc) < 0) {
		die("open");
		goto done;
	}
	fwrite(out.ptr, 1, out.len, stdout);
	putchar('\n');
	rc = 0;
done:
	json_decref(doc);
	vg_buf_release(&age);
	vg_buf_release(&ident);
	vg_buf_release(&out);
	vg_age_identity_free(id);
	return rc;
}

int main(int argc, char **argv)
{
	if (vg_init() < 0)
		return die("init");
	if (argc < 2) {
		fprintf(stderr, "usage: vg_entry_tool keygen|seal|verify|open ...\n");
		return 2;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "seal") == 0)
		return cmd_seal(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify_open(argc - 1, argv + 1, 0);
	if (strcmp(argv[1], "open") == 0)
		return cmd_verify_open(argc - 1, argv + 1, 1);
	fprintf(stderr, "vg_entry_tool: unknown command '%s'\n", argv[1]);
	return 2;
}
