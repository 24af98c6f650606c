/*
 * Invitations (common/FORMAT.md, section 12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/invite.h"

#define CREDENTIAL_PT_MAX 8192
#define PIN_PREFIX	  "sha256:"
#define SSH_PIN_PREFIX	  "SHA256:"

void vg_invite_init(struct vg_invite *inv)
{
	memset(inv, 0, sizeof(*inv));
	vg_buf_init(&inv->credential);
}

void vg_invite_release(struct vg_invite *inv)
{
	if (inv == NULL)
		return;
	vg_buf_release(&inv->credential);
	vg_invite_init(inv);
}

static bool remote_ok(const char *s, size_t len)
{
	if (len < 1 || len > VG_INVITE_REMOTE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

int vg_invite_pin_parse(uint8_t out[32], const char *s)
{
	size_t n = strlen(s), got = 0;
	char again[64];

	if (n == VG_INVITE_PIN_LEN && strncmp(s, PIN_PREFIX, 7) == 0 &&
	    vg_hex_decode(out, 32, s + 7, 64) == 0)
		return 0;
	/* ssh-keygen -lf prints "SHA256:" and unpadded base64. */
	if (n == 7 + 43 && strncmp(s, SSH_PIN_PREFIX, 7) == 0 &&
	    sodium_base642bin(out, 32, s + 7, 43, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 &&
	    got == 32) {
		sodium_bin2base64(again, sizeof(again), out, 32,
				  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		if (memcmp(again, s + 7, 43) == 0)
			return 0;
	}
	return vg_error_set(VG_EINVAL, "a pin is 'sha256:' and 64 hex digits, or OpenSSH's "
				       "'SHA256:' fingerprint");
}

int vg_invite_prepare(struct vg_invite *inv, const struct vg_roster *r,
		      const struct vg_roster_member *m, const char *remote, const uint8_t *pin,
		      const uint8_t *credential, size_t clen)
{
	int rc;

	vg_invite_release(inv);
	if (m->revoked)
		return vg_error_set(VG_EINVAL, "member '%s' is revoked", m->pseudonym);
	if (remote == NULL || !remote_ok(remote, strlen(remote)))
		return vg_error_set(VG_EINVAL,
				    "a remote is 1 to %d printable ASCII characters "
				    "without spaces",
				    VG_INVITE_REMOTE_MAX);
	inv->org_key = r->signer;
	memcpy(inv->org, r->org, VG_ID_BYTES);
	memcpy(inv->name, r->name, sizeof(inv->name));
	memcpy(inv->member, m->id, VG_ID_BYTES);
	memcpy(inv->pseudonym, m->pseudonym, sizeof(inv->pseudonym));
	memcpy(inv->remote, remote, strlen(remote) + 1);
	if (pin != NULL) {
		inv->has_pin = true;
		memcpy(inv->pin, pin, sizeof(inv->pin));
	}
	inv->roster_version = r->version;
	memcpy(inv->roster_hash, r->hash, VG_ID_BYTES);
	if (credential == NULL)
		return 0;
	if (!m->has_age) {
		rc = vg_error_set(VG_EINVAL,
				  "member '%s' has no age recipient to encrypt a "
				  "credential to",
				  m->pseudonym);
		goto fail;
	}
	if (clen < 1 || clen > CREDENTIAL_PT_MAX) {
		rc = vg_error_set(VG_EINVAL, "a credential is 1 to %d bytes", CREDENTIAL_PT_MAX);
		goto fail;
	}
	if ((rc = vg_age_encrypt(&inv->credential, NULL, &m->age, 1, credential, clen)) < 0)
		goto fail;
	return 0;
fail:
	vg_invite_release(inv);
	return rc;
}

static json_t *hexs(const uint8_t *b)
{
	char hex[VG_ID_HEX_LEN + 1];

	vg_hex_encode(hex, b, VG_ID_BYTES);
	return json_string(hex);
}

static json_t *invite_json(const struct vg_invite *inv)
{
	char key[VG_MINISIGN_PK_B64_LEN + 1], pin[VG_INVITE_PIN_LEN + 1] = "";
	json_t *doc, *cred = json_null();
	char *b64 = NULL;

	vg_minisign_pk_encode(key, &inv->org_key);
	if (inv->has_pin) {
		memcpy(pin, PIN_PREFIX, 7);
		vg_hex_encode(pin + 7, inv->pin, 32);
	}
	if (inv->credential.len > 0) {
		size_t n =
		    sodium_base64_ENCODED_LEN(inv->credential.len, sodium_base64_VARIANT_ORIGINAL);
		if ((b64 = malloc(n)) == NULL)
			return NULL;
		sodium_bin2base64(b64, n, inv->credential.ptr, inv->credential.len,
				  sodium_base64_VARIANT_ORIGINAL);
		cred = json_string(b64);
		free(b64);
	}
	doc = json_pack("{s:i, s:o, s:s, s:s, s:o, s:s, s:s, s:o, s:{s:I, s:o}, s:o}", "v", 1,
			"org", hexs(inv->org), "org_key", key, "name", inv->name, "member",
			hexs(inv->member), "pseudonym", inv->pseudonym, "remote", inv->remote,
			"pin", inv->has_pin ? json_string(pin) : json_null(), "roster", "version",
			(json_int_t)inv->roster_version, "hash", hexs(inv->roster_hash),
			"credential", cred);
	return doc;
}

static int tc_format(char *out, size_t outsz, const struct vg_invite *inv)
{
	char org[VG_ID_HEX_LEN + 1], member[VG_ID_HEX_LEN + 1];
	int n;

	vg_hex_encode(org, inv->org, VG_ID_BYTES);
	vg_hex_encode(member, inv->member, VG_ID_BYTES);
	n = snprintf(out, outsz, "vigil-invitation v=1 org=%s member=%s roster=%llu", org, member,
		     (unsigned long long)inv->roster_version);
	if (n < 0 || (size_t)n >= outsz)
		return vg_error_set(VG_EINVAL, "trusted comment buffer too small");
	return 0;
}

int vg_invite_write(struct vg_buf *out, const struct vg_invite *inv,
		    const struct vg_minisign_sk *sk)
{
	struct vg_minisign_pk pk;
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	size_t len0 = out->len;
	json_t *doc = NULL;
	int rc;

	vg_minisign_sk_public(&pk, sk);
	if (memcmp(&pk, &inv->org_key, sizeof(pk)) != 0)
		return vg_error_set(VG_EINVAL, "this is not the organisation key the invitation "
					       "names");
	if (inv->roster_version < 1 || inv->roster_version > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EINVAL, "invitation needs a roster version");
	if ((doc = invite_json(inv)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build the invitation");
	if ((rc = vg_json_canonical(out, doc)) < 0 || (rc = vg_buf_putc(out, '\n')) < 0 ||
	    (rc = tc_format(tc, sizeof(tc), inv)) < 0 ||
	    (rc = vg_minisign_sign(out, sk, out->ptr + len0, out->len - len0, VG_SIGNATURE_COMMENT,
				   tc)) < 0)
		goto done;
	if (out->len - len0 > VG_INVITE_MAX)
		rc = vg_error_set(VG_ELIMIT, "invitation larger than %d bytes", VG_INVITE_MAX);
done:
	if (rc < 0)
		vg_buf_truncate(out, len0);
	json_decref(doc);
	return rc;
}

/* ---- parsing ---- */

static int get_hex(uint8_t *out, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || json_string_length(v) != VG_ID_HEX_LEN ||
	    vg_hex_decode(out, VG_ID_BYTES, json_string_value(v), VG_ID_HEX_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "invitation: '%s' is not 64 lower-case hex digits",
				    key);
	return 0;
}

static int exact(const json_t *obj, const char *const *want, size_t n, const char *what)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return vg_error_set(VG_EFORMAT, "invitation: %s is not an object", what);
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(key, want[i]) == 0;
		if (!known)
			return vg_error_set(VG_EFORMAT, "invitation: unknown field '%.40s' in %s",
					    key, what);
	}
	for (size_t i = 0; i < n; i++)
		if (json_object_get(obj, want[i]) == NULL)
			return vg_error_set(VG_EFORMAT, "invitation: %s lacks '%s'", what, want[i]);
	return 0;
}

static int parse_credential(struct vg_invite *inv, const json_t *v)
{
	struct vg_age_header *h = NULL;
	const char *s = json_string_value(v);
	size_t slen = json_string_length(v), got = 0, cap;
	char *again = NULL;
	int rc = 0;

	if (json_is_null(v))
		return 0;
	cap = slen / 4 * 3;
	if (s == NULL || slen == 0 || slen % 4 != 0 || cap > VG_INVITE_CREDENTIAL_MAX + 2)
		return vg_error_set(VG_EFORMAT,
				    "invitation: credential is not base64 of at most "
				    "%d bytes",
				    VG_INVITE_CREDENTIAL_MAX);
	if ((rc = vg_buf_grow(&inv->credential, cap)) < 0)
		return rc;
	if (sodium_base642bin(inv->credential.ptr, cap, s, slen, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got == 0 || got > VG_INVITE_CREDENTIAL_MAX) {
		rc = vg_error_set(VG_EFORMAT,
				  "invitation: credential is not base64 of at most %d "
				  "bytes",
				  VG_INVITE_CREDENTIAL_MAX);
		goto done;
	}
	inv->credential.len = got;
	inv->credential.ptr[got] = '\0';
	/* One encoding only: what it decodes to must encode back to the same text. */
	if ((again = malloc(slen + 1)) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	sodium_bin2base64(again, slen + 1, inv->credential.ptr, got,
			  sodium_base64_VARIANT_ORIGINAL);
	if (strlen(again) != slen || memcmp(again, s, slen) != 0) {
		rc = vg_error_set(VG_EFORMAT, "invitation: credential is not canonical base64");
		goto done;
	}
	if ((rc = vg_age_header_parse(&h, inv->credential.ptr, inv->credential.len)) < 0) {
		vg_error_prefix(rc, "invitation: credential");
		goto done;
	}
	if (h->nstanzas != 1 || strcmp(h->stanzas[0].type, "X25519") != 0) {
		rc = vg_error_set(VG_EFORMAT, "invitation: credential is not encrypted to exactly "
					      "one X25519 recipient");
		goto done;
	}
done:
	free(again);
	vg_age_header_free(h);
	return rc;
}

static int parse_doc(struct vg_invite *inv, const json_t *doc)
{
	static const char *const top[] = {"credential", "member",    "name",   "org",	 "org_key",
					  "pin",	"pseudonym", "remote", "roster", "v"};
	static const char *const roster[] = {"hash", "version"};
	const json_t *v;
	uint8_t id[VG_ID_BYTES], keynum[VG_MINISIGN_KEYNUM_BYTES];
	const char *s;
	int rc;

	if (!json_is_object(doc))
		return vg_error_set(VG_EFORMAT, "invitation is not a JSON object");
	v = json_object_get(doc, "v");
	if (json_is_integer(v) && json_integer_value(v) != 1)
		return vg_error_set(VG_EUNSUPPORTED, "invitation format version is not 1");
	if ((rc = exact(doc, top, sizeof(top) / sizeof(top[0]), "the invitation")) < 0)
		return rc;
	if (!json_is_integer(v))
		return vg_error_set(VG_EFORMAT, "invitation: 'v' is not 1");
	if ((rc = get_hex(inv->org, doc, "org")) < 0 ||
	    (rc = get_hex(inv->member, doc, "member")) < 0)
		return rc;
	v = json_object_get(doc, "org_key");
	if (!json_is_string(v) || json_string_length(v) != VG_MINISIGN_PK_B64_LEN ||
	    vg_minisign_pk_parse(&inv->org_key, json_string_value(v), VG_MINISIGN_PK_B64_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "invitation: org_key is not a minisign public key "
						"line");
	vg_id_keynum(keynum, inv->org_key.pk);
	vg_id_of_key(id, &inv->org_key);
	if (memcmp(keynum, inv->org_key.keynum, sizeof(keynum)) != 0 ||
	    memcmp(id, inv->org, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EFORMAT, "invitation: org is not the id of org_key");
	v = json_object_get(doc, "name");
	s = json_string_value(v);
	if (s == NULL || json_string_length(v) < 1 || json_string_length(v) > VG_ROSTER_NAME_MAX ||
	    strlen(s) != json_string_length(v))
		return vg_error_set(VG_EFORMAT, "invitation: bad organisation name");
	for (size_t i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return vg_error_set(VG_EFORMAT, "invitation: bad organisation name");
	memcpy(inv->name, s, strlen(s) + 1);
	s = json_string_value(json_object_get(doc, "pseudonym"));
	if (s == NULL || strlen(s) != json_string_length(json_object_get(doc, "pseudonym")) ||
	    !vg_pseudonym_valid(s))
		return vg_error_set(VG_EFORMAT, "invitation: bad pseudonym");
	memcpy(inv->pseudonym, s, strlen(s) + 1);
	v = json_object_get(doc, "remote");
	if (!json_is_string(v) || !remote_ok(json_string_value(v), json_string_length(v)))
		return vg_error_set(VG_EFORMAT,
				    "invitation: remote is not 1 to %d printable ASCII "
				    "characters without spaces",
				    VG_INVITE_REMOTE_MAX);
	memcpy(inv->remote, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(doc, "pin");
	if (!json_is_null(v)) {
		s = json_string_value(v);
		if (s == NULL || json_string_length(v) != VG_INVITE_PIN_LEN ||
		    strncmp(s, PIN_PREFIX, 7) != 0 || vg_hex_decode(inv->pin, 32, s + 7, 64) < 0)
			return vg_error_set(VG_EFORMAT, "invitation: pin is not null or 'sha256:' "
							"and 64 hex digits");
		inv->has_pin = true;
	}
	v = json_object_get(doc, "roster");
	if ((rc = exact(v, roster, 2, "roster")) < 0 ||
	    (rc = get_hex(inv->roster_hash, v, "hash")) < 0)
		return rc;
	v = json_object_get(v, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    (unsigned long long)json_integer_value(v) > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EFORMAT, "invitation: roster version out of range");
	inv->roster_version = (uint64_t)json_integer_value(v);
	return parse_credential(inv, json_object_get(doc, "credential"));
}

int vg_invite_parse(struct vg_invite *inv, const uint8_t *text, size_t len)
{
	struct vg_minisig ms;
	struct vg_buf again = VG_BUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL;
	const uint8_t *nl;
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	size_t line;
	int rc;

	vg_invite_release(inv);
	if (len > VG_INVITE_MAX)
		return vg_error_set(VG_ELIMIT, "invitation larger than %d bytes", VG_INVITE_MAX);
	if ((nl = memchr(text, '\n', len)) == NULL)
		return vg_error_set(VG_EFORMAT, "invitation: no document line");
	line = (size_t)(nl - text) + 1;
	if (memchr(text, '\0', line) != NULL)
		return vg_error_set(VG_EFORMAT, "invitation holds a NUL byte");
	if ((rc = vg_minisign_sig_parse(&ms, (const char *)text + line, len - line)) < 0)
		return vg_error_prefix(rc, "invitation signature");
	if (strcmp(ms.untrusted, VG_SIGNATURE_COMMENT) != 0)
		return vg_error_set(VG_EFORMAT,
				    "invitation signature: untrusted comment is not "
				    "'%s'",
				    VG_SIGNATURE_COMMENT);
	doc = json_loadb((const char *)text, line - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return vg_error_set(VG_EFORMAT, "invitation is not JSON (column %d): %.80s",
				    jerr.column, jerr.text);
	if ((rc = parse_doc(inv, doc)) < 0)
		goto done;
	/* The key named inside must have signed it, before anything else is believed. */
	if ((rc = vg_minisign_verify(&ms, &inv->org_key, text, line, 0)) < 0) {
		vg_error_prefix(rc, "invitation is not signed by the organisation key it names");
		goto done;
	}
	if ((rc = tc_format(tc, sizeof(tc), inv)) < 0)
		goto done;
	if (strcmp(tc, ms.trusted) != 0) {
		rc = vg_error_set(VG_EMISMATCH, "invitation document and trusted comment disagree");
		goto done;
	}
	if ((rc = vg_json_canonical(&again, doc)) < 0)
		goto done;
	if (again.len != line - 1 || memcmp(again.ptr, text, line - 1) != 0) {
		rc = vg_error_set(VG_EFORMAT, "invitation is not in canonical form");
		goto done;
	}
done:
	if (rc < 0)
		vg_invite_release(inv);
	vg_buf_release(&again);
	json_decref(doc);
	return rc;
}
