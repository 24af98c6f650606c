/*
 * One roster version: the document of common/FORMAT.md 11.2, its trusted comment (11.3),
 * signing and verification (11.4), and the rules between two versions (11.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "tc.h"
#include "vigil/error.h"
#include "vigil/roster.h"

#define DAY_SECONDS	86400
#define YEAR_MIN	2000
#define YEAR_MAX	9999
#define EXPIRY_DAYS_MAX 3660

static const char *const role_names[] = {
    [VG_ROLE_MONITOR] = "monitor",
    [VG_ROLE_COORDINATOR] = "coordinator",
    [VG_ROLE_AUDITOR] = "auditor",
};

const char *vg_role_name(enum vg_role r)
{
	if (r < VG_ROLE_MONITOR || r > VG_ROLE_AUDITOR)
		return NULL;
	return role_names[r];
}

int vg_role_parse(enum vg_role *out, const char *s)
{
	for (int r = VG_ROLE_MONITOR; r <= VG_ROLE_AUDITOR; r++) {
		if (s != NULL && strcmp(s, role_names[r]) == 0) {
			*out = (enum vg_role)r;
			return 0;
		}
	}
	return vg_error_set(VG_EINVAL, "role '%s' is not monitor, coordinator or auditor",
			    s != NULL ? s : "");
}

/* ---- dates: days since 1970-01-01 (proleptic Gregorian, UTC) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* "YYYY-MM-DD", a date that exists, year 2000..9999: its day number; -1 otherwise. */
static int64_t date_parse(const char *s)
{
	unsigned v[3] = {0, 0, 0}, m, d;
	static const int widths[3] = {4, 2, 2};
	int64_t y, day;
	size_t k = 0;

	if (s == NULL || strlen(s) != VG_ROSTER_DATE_LEN)
		return -1;
	for (int part = 0; part < 3; part++) {
		for (int i = 0; i < widths[part]; i++, k++) {
			if (s[k] < '0' || s[k] > '9')
				return -1;
			v[part] = v[part] * 10 + (unsigned)(s[k] - '0');
		}
		if (part < 2 && s[k++] != '-')
			return -1;
	}
	if (v[0] < YEAR_MIN || v[0] > YEAR_MAX || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31)
		return -1;
	day = days_from_civil(v[0], v[1], v[2]);
	civil_from_days(day, &y, &m, &d);
	if (y != v[0] || m != v[1] || d != v[2])
		return -1;
	return day;
}

static int64_t today(time_t now)
{
	int64_t t = (int64_t)now;
	return t >= 0 ? t / DAY_SECONDS : -((-t + DAY_SECONDS - 1) / DAY_SECONDS);
}

int vg_roster_expire_in(struct vg_roster *r, time_t now, unsigned days)
{
	int64_t y;
	unsigned m, d;

	if (days < 1 || days > EXPIRY_DAYS_MAX)
		return vg_error_set(VG_EINVAL, "a roster expires 1 to %d days after it is signed",
				    EXPIRY_DAYS_MAX);
	civil_from_days(today(now) + days, &y, &m, &d);
	if (y < YEAR_MIN || y > YEAR_MAX)
		return vg_error_set(VG_EINVAL, "the clock says a year outside %d..%d", YEAR_MIN,
				    YEAR_MAX);
	snprintf(r->expires, sizeof(r->expires), "%04lld-%02u-%02u", (long long)y, m, d);
	return 0;
}

int vg_roster_check_fresh(const struct vg_roster *r, time_t now)
{
	int64_t until = date_parse(r->expires);

	if (until < 0 || today(now) > until)
		return vg_error_set(VG_EEXPIRED,
				    "roster version %llu expired on %s (a host that stopped "
				    "serving new versions, or a coordinator who did not renew)",
				    (unsigned long long)r->version, r->expires);
	return 0;
}

/* ---- building ---- */

void vg_roster_free(struct vg_roster *r)
{
	if (r == NULL)
		return;
	free(r->members);
	free(r->late);
	free(r);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > VG_ROSTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool utf8_ok(const char *s)
{
	json_t *probe = json_string(s); /* NULL for invalid UTF-8 */
	bool ok = probe != NULL;

	json_decref(probe);
	return ok;
}

int vg_roster_first(struct vg_roster **out, const struct vg_minisign_pk *org, const char *name,
		    const struct vg_age_recipient *recovery, const struct vg_identity *first,
		    time_t now)
{
	struct vg_roster *r;
	int rc;

	*out = NULL;
	if (name == NULL || !name_ok(name) || !utf8_ok(name))
		return vg_error_set(VG_EINVAL,
				    "organisation name must be 1 to %d bytes of UTF-8 without "
				    "control characters",
				    VG_ROSTER_NAME_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	vg_id_of_key(r->org, org);
	memcpy(r->name, name, strlen(name) + 1);
	r->version = 1;
	r->signer = *org;
	r->threshold = 1;
	r->recovery = *recovery;
	r->policy.bucket = VG_ENTRY_BUCKET_DEFAULT;
	r->policy.readback = false;
	r->policy.max_key_days = VG_ROSTER_KEY_DAYS_DEFAULT;
	if ((rc = vg_roster_expire_in(r, now, VG_ROSTER_EXPIRY_DAYS)) < 0 ||
	    (rc = vg_roster_add(r, first, VG_ROLE_COORDINATOR)) < 0) {
		vg_roster_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int vg_roster_next(struct vg_roster **out, const struct vg_roster *r, time_t now)
{
	struct vg_roster *n;
	int rc;

	*out = NULL;
	if (r->version >= VG_ENTRY_INT_MAX)
		return vg_error_set(VG_ELIMIT, "roster version out of range");
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	*n = *r;
	n->members = NULL;
	n->late = NULL;
	if ((r->nmembers > 0 && (n->members = malloc(r->nmembers * sizeof(*n->members))) == NULL) ||
	    (r->nlate > 0 && (n->late = malloc(r->nlate * sizeof(*n->late))) == NULL)) {
		vg_roster_free(n);
		return vg_error_set(VG_ENOMEM, "out of memory");
	}
	if (r->nmembers > 0)
		memcpy(n->members, r->members, r->nmembers * sizeof(*n->members));
	if (r->nlate > 0)
		memcpy(n->late, r->late, r->nlate * sizeof(*n->late));
	n->version = r->version + 1;
	memcpy(n->prev, r->hash, VG_ID_BYTES);
	memset(n->hash, 0, VG_ID_BYTES);
	if ((rc = vg_roster_expire_in(n, now, VG_ROSTER_EXPIRY_DAYS)) < 0) {
		vg_roster_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static int member_cmp(const void *a, const void *b)
{
	return memcmp(((const struct vg_roster_member *)a)->id,
		      ((const struct vg_roster_member *)b)->id, VG_ID_BYTES);
}

struct vg_roster_member *vg_roster_find(const struct vg_roster *r, const uint8_t id[VG_ID_BYTES])
{
	struct vg_roster_member key;

	if (r->nmembers == 0)
		return NULL;
	memcpy(key.id, id, VG_ID_BYTES);
	return bsearch(&key, r->members, r->nmembers, sizeof(*r->members), member_cmp);
}

struct vg_roster_member *vg_roster_lookup(const struct vg_roster *r, const char *name)
{
	uint8_t id[VG_ID_BYTES];

	if (strlen(name) == VG_ID_HEX_LEN &&
	    vg_hex_decode(id, sizeof(id), name, VG_ID_HEX_LEN) == 0)
		return vg_roster_find(r, id);
	for (size_t i = 0; i < r->nmembers; i++)
		if (strcmp(r->members[i].pseudonym, name) == 0)
			return &r->members[i];
	return NULL;
}

size_t vg_roster_coordinators(const struct vg_roster *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nmembers; i++)
		if (!r->members[i].revoked && r->members[i].role == VG_ROLE_COORDINATOR)
			n++;
	return n;
}

int vg_roster_add(struct vg_roster *r, const struct vg_identity *id, enum vg_role role)
{
	struct vg_roster_member m, *grown;
	char hex[VG_ID_HEX_LEN + 1];
	size_t at;

	if (vg_role_name(role) == NULL || !vg_pseudonym_valid(id->pseudonym))
		return vg_error_set(VG_EINVAL, "a member needs a role and a valid pseudonym");
	memset(&m, 0, sizeof(m));
	memcpy(m.pseudonym, id->pseudonym, strlen(id->pseudonym) + 1);
	m.key = id->sign;
	vg_id_of_key(m.id, &m.key);
	m.role = role;
	m.has_age = role != VG_ROLE_AUDITOR;
	if (m.has_age)
		m.age = id->age;
	vg_hex_encode(hex, m.id, VG_ID_BYTES);
	if (vg_roster_find(r, m.id) != NULL)
		return vg_error_set(VG_EEXISTS, "author id %s is already in the roster", hex);
	for (size_t i = 0; i < r->nmembers; i++) {
		if (strcmp(r->members[i].pseudonym, m.pseudonym) == 0)
			return vg_error_set(VG_EEXISTS, "pseudonym '%s' is already in the roster",
					    m.pseudonym);
		if (m.has_age && r->members[i].has_age && !r->members[i].revoked &&
		    memcmp(r->members[i].age.pk, m.age.pk, VG_AGE_X25519_BYTES) == 0)
			return vg_error_set(VG_EEXISTS, "that age recipient is already in the "
							"roster");
	}
	if (m.has_age && memcmp(r->recovery.pk, m.age.pk, VG_AGE_X25519_BYTES) == 0)
		return vg_error_set(VG_EEXISTS, "that age recipient is the recovery recipient");
	if (r->nmembers >= VG_ROSTER_MEMBERS_MAX)
		return vg_error_set(VG_ELIMIT, "a roster holds at most %d members",
				    VG_ROSTER_MEMBERS_MAX);
	if (role == VG_ROLE_COORDINATOR && vg_roster_coordinators(r) >= VG_ROSTER_COORDINATORS_MAX)
		return vg_error_set(VG_ELIMIT, "a roster holds at most %d coordinators",
				    VG_ROSTER_COORDINATORS_MAX);
	if ((grown = realloc(r->members, (r->nmembers + 1) * sizeof(*grown))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	r->members = grown;
	for (at = 0; at < r->nmembers && memcmp(r->members[at].id, m.id, VG_ID_BYTES) < 0; at++)
		;
	memmove(&r->members[at + 1], &r->members[at], (r->nmembers - at) * sizeof(m));
	r->members[at] = m;
	r->nmembers++;
	return 0;
}

int vg_roster_revoke(struct vg_roster *r, struct vg_roster_member *m, uint64_t seq,
		     const uint8_t id[VG_ID_BYTES])
{
	(void)r;
	if (m->revoked)
		return vg_error_set(VG_EINVAL, "member '%s' is already revoked", m->pseudonym);
	if (seq > VG_ENTRY_INT_MAX || (seq == 0) != (sodium_is_zero(id, VG_ID_BYTES) != 0))
		return vg_error_set(VG_EINVAL, "a cutoff names an entry exactly when its sequence "
					       "is not 0");
	m->revoked = true;
	m->role = 0;
	m->has_age = false;
	memset(&m->age, 0, sizeof(m->age));
	m->cutoff_seq = seq;
	memcpy(m->cutoff_id, id, VG_ID_BYTES);
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, VG_ID_BYTES);
}

bool vg_roster_is_late_accepted(const struct vg_roster *r, const uint8_t id[VG_ID_BYTES])
{
	return r->nlate > 0 && bsearch(id, r->late, r->nlate, VG_ID_BYTES, id_cmp) != NULL;
}

int vg_roster_late_accept(struct vg_roster *r, const uint8_t id[VG_ID_BYTES])
{
	uint8_t(*grown)[VG_ID_BYTES];
	size_t at;

	if (vg_roster_is_late_accepted(r, id))
		return vg_error_set(VG_EEXISTS, "that entry is already admitted by late_accept");
	if (r->nlate >= VG_ROSTER_LATE_MAX)
		return vg_error_set(VG_ELIMIT, "late_accept holds at most %d entries",
				    VG_ROSTER_LATE_MAX);
	if ((grown = realloc(r->late, (r->nlate + 1) * sizeof(*grown))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	r->late = grown;
	for (at = 0; at < r->nlate && memcmp(r->late[at], id, VG_ID_BYTES) < 0; at++)
		;
	memmove(&r->late[at + 1], &r->late[at], (r->nlate - at) * VG_ID_BYTES);
	memcpy(r->late[at], id, VG_ID_BYTES);
	r->nlate++;
	return 0;
}

int vg_roster_recipients(struct vg_age_recipient *out, size_t *n, const struct vg_roster *r,
			 const uint8_t author[VG_ID_BYTES])
{
	const struct vg_roster_member *a = vg_roster_find(r, author);
	size_t k = 0;

	*n = 0;
	if (a == NULL)
		return vg_error_set(VG_ENOTFOUND, "author is not a member of roster version %llu",
				    (unsigned long long)r->version);
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct vg_roster_member *m = &r->members[i];
		if (m->revoked || m->role != VG_ROLE_COORDINATOR)
			continue;
		if (k >= VG_AGE_RECIPIENTS_MAX - 1)
			return vg_error_set(VG_ELIMIT, "too many recipients");
		if (out != NULL)
			out[k] = m->age;
		k++;
	}
	if (out != NULL)
		out[k] = r->recovery;
	k++;
	if (r->policy.readback && !a->revoked && a->role == VG_ROLE_MONITOR) {
		if (out != NULL)
			out[k] = a->age;
		k++;
	}
	*n = k;
	return 0;
}

/* ---- encoding ---- */

static json_t *hex_string(const uint8_t *b)
{
	char hex[VG_ID_HEX_LEN + 1];

	vg_hex_encode(hex, b, VG_ID_BYTES);
	return json_string(hex);
}

static json_t *pk_string(const struct vg_minisign_pk *pk)
{
	char line[VG_MINISIGN_PK_B64_LEN + 1];

	vg_minisign_pk_encode(line, pk);
	return json_string(line);
}

static json_t *age_string(const struct vg_age_recipient *a)
{
	char s[VG_AGE_RECIPIENT_STR_LEN + 1];

	vg_age_recipient_encode(s, a);
	return json_string(s);
}

/* json_object_set_new that remembers a failure (a NULL value included) in *ok. */
static void put(json_t *obj, const char *key, json_t *v, bool *ok)
{
	if (v == NULL || json_object_set_new(obj, key, v) < 0)
		*ok = false;
}

static json_t *member_json(const struct vg_roster_member *m)
{
	json_t *o = json_object(), *cut;
	bool ok = o != NULL;

	if (!ok)
		return NULL;
	put(o, "id", hex_string(m->id), &ok);
	put(o, "pseudonym", json_string(m->pseudonym), &ok);
	put(o, "key", pk_string(&m->key), &ok);
	if (m->revoked) {
		put(o, "revoked", json_true(), &ok);
		cut = json_object();
		if (cut != NULL) {
			put(cut, "seq", json_integer((json_int_t)m->cutoff_seq), &ok);
			put(cut, "id", hex_string(m->cutoff_id), &ok);
		}
		put(o, "cutoff", cut, &ok);
	} else {
		put(o, "role", json_string(vg_role_name(m->role)), &ok);
		if (m->has_age)
			put(o, "age", age_string(&m->age), &ok);
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *roster_json(const struct vg_roster *r)
{
	json_t *doc = json_object(), *signers = json_object(), *keys = json_array();
	json_t *policy = json_object(), *members = json_array(), *late = json_array();
	bool ok = doc != NULL;

	put(doc, "signers", signers, &ok);
	put(doc, "policy", policy, &ok);
	put(doc, "members", members, &ok);
	put(doc, "late_accept", late, &ok);
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	put(doc, "v", json_integer(1), &ok);
	put(doc, "org", hex_string(r->org), &ok);
	put(doc, "name", json_string(r->name), &ok);
	put(doc, "version", json_integer((json_int_t)r->version), &ok);
	put(doc, "prev", hex_string(r->prev), &ok);
	put(doc, "expires", json_string(r->expires), &ok);
	put(doc, "recovery", age_string(&r->recovery), &ok);
	put(signers, "keys", keys, &ok);
	if (keys != NULL && json_array_append_new(keys, pk_string(&r->signer)) < 0)
		ok = false;
	put(signers, "threshold", json_integer(r->threshold), &ok);
	put(policy, "bucket", json_integer((json_int_t)r->policy.bucket), &ok);
	put(policy, "readback", json_boolean(r->policy.readback), &ok);
	put(policy, "max_key_days", json_integer(r->policy.max_key_days), &ok);
	for (size_t i = 0; ok && i < r->nmembers; i++)
		if (json_array_append_new(members, member_json(&r->members[i])) < 0)
			ok = false;
	for (size_t i = 0; ok && i < r->nlate; i++)
		if (json_array_append_new(late, hex_string(r->late[i])) < 0)
			ok = false;
	if (!ok) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int check_members(const struct vg_roster *r);

int vg_roster_encode(struct vg_buf *out, const struct vg_roster *r)
{
	size_t len0 = out->len;
	json_t *doc;
	int rc;

	if ((rc = check_members(r)) < 0)
		return rc;
	if ((doc = roster_json(r)) == NULL)
		return vg_error_set(VG_EFORMAT, "cannot encode the roster (a field is invalid)");
	if ((rc = vg_json_canonical(out, doc)) == 0 && (rc = vg_buf_putc(out, '\n')) == 0 &&
	    out->len - len0 > VG_ROSTER_JSON_MAX)
		rc = vg_error_set(VG_ELIMIT, "roster larger than %d bytes", VG_ROSTER_JSON_MAX);
	if (rc < 0)
		vg_buf_truncate(out, len0);
	json_decref(doc);
	return rc;
}

/* ---- parsing ---- */

/* Exactly the members named in want (n of them), or the first one that is not. */
static int exact_members(const json_t *obj, const char *const *want, size_t n, const char *what)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return vg_error_set(VG_EFORMAT, "roster: %s is not an object", what);
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(key, want[i]) == 0;
		if (!known)
			return vg_error_set(VG_EFORMAT, "roster: unknown field '%.40s' in %s", key,
					    what);
	}
	for (size_t i = 0; i < n; i++)
		if (json_object_get(obj, want[i]) == NULL)
			return vg_error_set(VG_EFORMAT, "roster: %s lacks '%s'", what, want[i]);
	return 0;
}

static int get_hex(uint8_t out[VG_ID_BYTES], const json_t *obj, const char *key, const char *what)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	if (s == NULL || json_string_length(v) != VG_ID_HEX_LEN ||
	    vg_hex_decode(out, VG_ID_BYTES, s, VG_ID_HEX_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "roster: %s '%s' is not 64 lower-case hex digits",
				    what, key);
	return 0;
}

static int get_int(uint64_t *out, const json_t *obj, const char *key, uint64_t min, uint64_t max,
		   const char *what)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < min || (uint64_t)json_integer_value(v) > max)
		return vg_error_set(VG_EFORMAT, "roster: %s '%s' is not an integer in %llu..%llu",
				    what, key, (unsigned long long)min, (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_key(struct vg_minisign_pk *out, const json_t *v, const char *what)
{
	const char *s = json_string_value(v);
	uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];

	if (s == NULL || json_string_length(v) != VG_MINISIGN_PK_B64_LEN ||
	    vg_minisign_pk_parse(out, s, VG_MINISIGN_PK_B64_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "roster: %s is not a minisign public key line",
				    what);
	vg_id_keynum(keynum, out->pk);
	if (memcmp(keynum, out->keynum, sizeof(keynum)) != 0)
		return vg_error_set(VG_EFORMAT,
				    "roster: %s has a key number not derived from the key", what);
	return 0;
}

static int get_age(struct vg_age_recipient *out, const json_t *v, const char *what)
{
	const char *s = json_string_value(v);

	if (s == NULL || vg_age_recipient_parse(out, s, json_string_length(v)) < 0)
		return vg_error_set(VG_EFORMAT, "roster: %s is not an age X25519 recipient", what);
	return 0;
}

static int parse_member(struct vg_roster_member *m, const json_t *o, size_t idx)
{
	static const char *const active[] = {"age", "id", "key", "pseudonym", "role"};
	static const char *const revoked[] = {"cutoff", "id", "key", "pseudonym", "revoked"};
	static const char *const cutoff[] = {"id", "seq"};
	char what[48];
	const char *s;
	uint8_t id[VG_ID_BYTES];
	int rc;

	snprintf(what, sizeof(what), "member %zu", idx + 1);
	memset(m, 0, sizeof(*m));
	if (!json_is_object(o))
		return vg_error_set(VG_EFORMAT, "roster: %s is not an object", what);
	m->revoked = json_object_get(o, "revoked") != NULL;
	if (m->revoked) {
		if ((rc = exact_members(o, revoked, 5, what)) < 0)
			return rc;
		if (!json_is_true(json_object_get(o, "revoked")))
			return vg_error_set(VG_EFORMAT, "roster: %s: 'revoked' is not true", what);
		if ((rc = exact_members(json_object_get(o, "cutoff"), cutoff, 2, "a cutoff")) < 0 ||
		    (rc = get_int(&m->cutoff_seq, json_object_get(o, "cutoff"), "seq", 0,
				  VG_ENTRY_INT_MAX, "cutoff")) < 0 ||
		    (rc = get_hex(m->cutoff_id, json_object_get(o, "cutoff"), "id", "cutoff")) < 0)
			return rc;
		if ((m->cutoff_seq == 0) != (sodium_is_zero(m->cutoff_id, VG_ID_BYTES) != 0))
			return vg_error_set(VG_EFORMAT,
					    "roster: %s: a cutoff names an entry exactly when its "
					    "sequence is not 0",
					    what);
	} else {
		const json_t *role = json_object_get(o, "role");
		if ((s = json_string_value(role)) == NULL || vg_role_parse(&m->role, s) < 0)
			return vg_error_set(VG_EFORMAT,
					    "roster: %s: role is not monitor, coordinator or "
					    "auditor",
					    what);
		m->has_age = m->role != VG_ROLE_AUDITOR;
		if ((rc = exact_members(o, m->has_age ? active : active + 1, m->has_age ? 5 : 4,
					what)) < 0)
			return rc;
		if (m->has_age && (rc = get_age(&m->age, json_object_get(o, "age"), what)) < 0)
			return rc;
	}
	s = json_string_value(json_object_get(o, "pseudonym"));
	if (s == NULL || strlen(s) != json_string_length(json_object_get(o, "pseudonym")) ||
	    !vg_pseudonym_valid(s))
		return vg_error_set(VG_EFORMAT, "roster: %s: bad pseudonym", what);
	memcpy(m->pseudonym, s, strlen(s) + 1);
	if ((rc = get_key(&m->key, json_object_get(o, "key"), what)) < 0 ||
	    (rc = get_hex(m->id, o, "id", what)) < 0)
		return rc;
	vg_id_of_key(id, &m->key);
	if (memcmp(id, m->id, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EFORMAT, "roster: %s: id is not the author id of its key",
				    what);
	return 0;
}

/* Sort helpers over pointers to members, for the duplicate checks. */
static int by_pseudonym(const void *a, const void *b)
{
	return strcmp((*(const struct vg_roster_member *const *)a)->pseudonym,
		      (*(const struct vg_roster_member *const *)b)->pseudonym);
}

static int by_age(const void *a, const void *b)
{
	return memcmp((*(const struct vg_roster_member *const *)a)->age.pk,
		      (*(const struct vg_roster_member *const *)b)->age.pk, VG_AGE_X25519_BYTES);
}

/*
 * Members sorted by id with no duplicate id (so no shared key), pseudonym or age recipient
 * (the recovery recipient included); coordinators within the cap. O(n log n).
 */
static int check_members(const struct vg_roster *r)
{
	const struct vg_roster_member **p = NULL;
	char hex[VG_ID_HEX_LEN + 1];
	size_t nage = 0;
	int rc = 0;

	if (r->nmembers < 1 || r->nmembers > VG_ROSTER_MEMBERS_MAX)
		return vg_error_set(VG_EFORMAT, "roster: 1 to %d members, not %zu",
				    VG_ROSTER_MEMBERS_MAX, r->nmembers);
	if (r->nlate > VG_ROSTER_LATE_MAX)
		return vg_error_set(VG_ELIMIT, "roster: more than %d late_accept ids",
				    VG_ROSTER_LATE_MAX);
	for (size_t i = 1; i < r->nmembers; i++) {
		int c = memcmp(r->members[i - 1].id, r->members[i].id, VG_ID_BYTES);
		if (c == 0) {
			vg_hex_encode(hex, r->members[i].id, VG_ID_BYTES);
			return vg_error_set(VG_EFORMAT,
					    "roster: duplicate author id %s (two members share a "
					    "key)",
					    hex);
		}
		if (c > 0)
			return vg_error_set(VG_EFORMAT, "roster: members are not sorted by id");
	}
	for (size_t i = 1; i < r->nlate; i++) {
		int c = memcmp(r->late[i - 1], r->late[i], VG_ID_BYTES);
		if (c >= 0)
			return vg_error_set(VG_EFORMAT, c == 0
							    ? "roster: duplicate late_accept id"
							    : "roster: late_accept is not sorted");
	}
	if (vg_roster_coordinators(r) > VG_ROSTER_COORDINATORS_MAX)
		return vg_error_set(VG_ELIMIT, "roster: more than %d coordinators",
				    VG_ROSTER_COORDINATORS_MAX);
	if ((p = malloc(r->nmembers * sizeof(*p))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->nmembers; i++)
		p[i] = &r->members[i];
	qsort(p, r->nmembers, sizeof(*p), by_pseudonym);
	for (size_t i = 1; i < r->nmembers; i++) {
		if (strcmp(p[i - 1]->pseudonym, p[i]->pseudonym) == 0) {
			rc = vg_error_set(VG_EFORMAT, "roster: duplicate pseudonym '%s'",
					  p[i]->pseudonym);
			goto done;
		}
	}
	for (size_t i = 0; i < r->nmembers; i++) {
		if (!r->members[i].has_age)
			continue;
		if (memcmp(r->members[i].age.pk, r->recovery.pk, VG_AGE_X25519_BYTES) == 0) {
			rc = vg_error_set(VG_EFORMAT,
					  "roster: member '%s' has the recovery "
					  "recipient",
					  r->members[i].pseudonym);
			goto done;
		}
		p[nage++] = &r->members[i];
	}
	qsort(p, nage, sizeof(*p), by_age);
	for (size_t i = 1; i < nage; i++) {
		if (memcmp(p[i - 1]->age.pk, p[i]->age.pk, VG_AGE_X25519_BYTES) == 0) {
			rc = vg_error_set(VG_EFORMAT,
					  "roster: duplicate age recipient ('%s' and '%s')",
					  p[i - 1]->pseudonym, p[i]->pseudonym);
			goto done;
		}
	}
done:
	free(p);
	return rc;
}

static int parse_doc(struct vg_roster *r, const json_t *doc)
{
	static const char *const top[] = {"expires", "late_accept", "members", "name",
					  "org",     "policy",	    "prev",    "recovery",
					  "signers", "v",	    "version"};
	static const char *const signers[] = {"keys", "threshold"};
	static const char *const policy[] = {"bucket", "max_key_days", "readback"};
	const json_t *v, *arr;
	uint64_t n;
	uint8_t org_id[VG_ID_BYTES];
	size_t i;
	int rc;

	if (!json_is_object(doc))
		return vg_error_set(VG_EFORMAT, "roster is not a JSON object");
	v = json_object_get(doc, "v");
	if (json_is_integer(v) && json_integer_value(v) != 1)
		return vg_error_set(VG_EUNSUPPORTED, "roster format version %lld is not 1",
				    (long long)json_integer_value(v));
	if ((rc = exact_members(doc, top, sizeof(top) / sizeof(top[0]), "the roster")) < 0)
		return rc;
	if (!json_is_integer(v))
		return vg_error_set(VG_EFORMAT, "roster: 'v' is not 1");
	if ((rc = get_hex(r->org, doc, "org", "the roster")) < 0 ||
	    (rc = get_int(&r->version, doc, "version", 1, VG_ENTRY_INT_MAX, "the roster")) < 0 ||
	    (rc = get_hex(r->prev, doc, "prev", "the roster")) < 0)
		return rc;
	if ((r->version == 1) != (sodium_is_zero(r->prev, VG_ID_BYTES) != 0))
		return vg_error_set(VG_EFORMAT, r->version == 1
						    ? "roster: version 1 names a previous version"
						    : "roster: a version after 1 must name the "
						      "previous version's hash");
	v = json_object_get(doc, "name");
	if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)) ||
	    !name_ok(json_string_value(v)))
		return vg_error_set(VG_EFORMAT,
				    "roster: name is not 1 to %d bytes without control "
				    "characters",
				    VG_ROSTER_NAME_MAX);
	memcpy(r->name, json_string_value(v), json_string_length(v) + 1);
	v = json_object_get(doc, "expires");
	if (!json_is_string(v) || date_parse(json_string_value(v)) < 0)
		return vg_error_set(VG_EFORMAT, "roster: expires is not a date YYYY-MM-DD");
	memcpy(r->expires, json_string_value(v), VG_ROSTER_DATE_LEN + 1);
	if ((rc = get_age(&r->recovery, json_object_get(doc, "recovery"), "recovery")) < 0)
		return rc;

	v = json_object_get(doc, "signers");
	if ((rc = exact_members(v, signers, 2, "signers")) < 0 ||
	    (rc = get_int(&n, v, "threshold", 1, VG_ENTRY_INT_MAX, "signers")) < 0)
		return rc;
	arr = json_object_get(v, "keys");
	if (!json_is_array(arr) || json_array_size(arr) < 1)
		return vg_error_set(VG_EFORMAT, "roster: signers.keys is not a list of keys");
	if (json_array_size(arr) != 1 || n != 1)
		return vg_error_set(VG_EUNSUPPORTED,
				    "roster: %zu signing keys with threshold %llu; this version "
				    "knows one organisation key and threshold 1",
				    json_array_size(arr), (unsigned long long)n);
	r->threshold = 1;
	if ((rc = get_key(&r->signer, json_array_get(arr, 0), "signers.keys[0]")) < 0)
		return rc;
	vg_id_of_key(org_id, &r->signer);
	if (memcmp(org_id, r->org, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EFORMAT, "roster: org is not the id of signers.keys[0]");

	v = json_object_get(doc, "policy");
	if ((rc = exact_members(v, policy, 3, "policy")) < 0 ||
	    (rc = get_int(&n, v, "bucket", VG_ENTRY_BUCKET_MIN, VG_ENTRY_BUCKET_MAX, "policy")) < 0)
		return rc;
	if ((n & (n - 1)) != 0)
		return vg_error_set(VG_EFORMAT, "roster: policy bucket is not a power of two");
	r->policy.bucket = (size_t)n;
	if (!json_is_boolean(json_object_get(v, "readback")))
		return vg_error_set(VG_EFORMAT, "roster: policy readback is not true or false");
	r->policy.readback = json_is_true(json_object_get(v, "readback"));
	if ((rc = get_int(&n, v, "max_key_days", 1, VG_ROSTER_KEY_DAYS_MAX, "policy")) < 0)
		return rc;
	r->policy.max_key_days = (unsigned)n;

	arr = json_object_get(doc, "members");
	if (!json_is_array(arr) || json_array_size(arr) < 1 ||
	    json_array_size(arr) > VG_ROSTER_MEMBERS_MAX)
		return vg_error_set(VG_EFORMAT, "roster: members is not a list of 1 to %d members",
				    VG_ROSTER_MEMBERS_MAX);
	if ((r->members = calloc(json_array_size(arr), sizeof(*r->members))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(arr); i++, r->nmembers++)
		if ((rc = parse_member(&r->members[i], json_array_get(arr, i), i)) < 0)
			return rc;

	arr = json_object_get(doc, "late_accept");
	if (!json_is_array(arr) || json_array_size(arr) > VG_ROSTER_LATE_MAX)
		return vg_error_set(VG_EFORMAT,
				    "roster: late_accept is not a list of at most %d "
				    "entry ids",
				    VG_ROSTER_LATE_MAX);
	if (json_array_size(arr) > 0 &&
	    (r->late = calloc(json_array_size(arr), sizeof(*r->late))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(arr); i++, r->nlate++) {
		const json_t *e = json_array_get(arr, i);
		if (!json_is_string(e) || json_string_length(e) != VG_ID_HEX_LEN ||
		    vg_hex_decode(r->late[i], VG_ID_BYTES, json_string_value(e), VG_ID_HEX_LEN) < 0)
			return vg_error_set(VG_EFORMAT,
					    "roster: late_accept %zu is not an entry id", i + 1);
	}
	return check_members(r);
}

int vg_roster_parse(struct vg_roster **out, const uint8_t *json, size_t len)
{
	struct vg_roster *r = NULL;
	struct vg_buf again = VG_BUF_INIT;
	json_error_t jerr;
	json_t *doc = NULL;
	int rc;

	*out = NULL;
	if (len > VG_ROSTER_JSON_MAX)
		return vg_error_set(VG_ELIMIT, "roster larger than %d bytes", VG_ROSTER_JSON_MAX);
	if (len == 0 || json[len - 1] != '\n')
		return vg_error_set(VG_EFORMAT, "roster does not end with a newline");
	if (memchr(json, '\0', len) != NULL)
		return vg_error_set(VG_EFORMAT, "roster holds a NUL byte");
	doc = json_loadb((const char *)json, len - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return vg_error_set(VG_EFORMAT, "roster is not JSON (line %d, column %d): %.80s",
				    jerr.line, jerr.column, jerr.text);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = parse_doc(r, doc)) < 0)
		goto done;
	/* Every byte accounted for: the file is the canonical encoding of what was parsed. */
	if ((rc = vg_roster_encode(&again, r)) < 0)
		goto done;
	if (again.len != len || memcmp(again.ptr, json, len) != 0) {
		rc = vg_error_set(VG_EFORMAT, "roster is not in canonical form (FORMAT.md 4.5)");
		goto done;
	}
	crypto_generichash(r->hash, VG_ID_BYTES, json, len, NULL, 0);
	*out = r;
	r = NULL;
done:
	vg_roster_free(r);
	vg_buf_release(&again);
	json_decref(doc);
	return rc;
}

/* ---- trusted comment, signing, verifying ---- */

int vg_roster_tc_format(char *out, size_t outsz, const struct vg_roster *r)
{
	char org[VG_ID_HEX_LEN + 1], prev[VG_ID_HEX_LEN + 1], hash[VG_ID_HEX_LEN + 1];
	int n;

	vg_hex_encode(org, r->org, VG_ID_BYTES);
	vg_hex_encode(prev, r->prev, VG_ID_BYTES);
	vg_hex_encode(hash, r->hash, VG_ID_BYTES);
	n = snprintf(out, outsz, "vigil-roster v=1 org=%s version=%llu prev=%s hash=%s", org,
		     (unsigned long long)r->version, prev, hash);
	if (n < 0 || (size_t)n >= outsz)
		return vg_error_set(VG_EINVAL, "trusted comment buffer too small");
	return 0;
}

int vg_roster_tc_parse(struct vg_roster_tc *out, const char *tc, size_t len)
{
	struct vg_tc c = {tc, tc + len, "roster trusted comment"};
	struct vg_roster_tc t;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = vg_tc_lit(&c, "vigil-roster v=1 org=")) < 0 ||
	    (rc = vg_tc_hex(&c, t.org, "org")) < 0 || (rc = vg_tc_lit(&c, " version=")) < 0 ||
	    (rc = vg_tc_num(&c, &t.version, "version")) < 0 || (rc = vg_tc_lit(&c, " prev=")) < 0 ||
	    (rc = vg_tc_hex(&c, t.prev, "prev")) < 0 || (rc = vg_tc_lit(&c, " hash=")) < 0 ||
	    (rc = vg_tc_hex(&c, t.hash, "hash")) < 0 || (rc = vg_tc_end(&c, "hash")) < 0)
		return rc;
	*out = t;
	return 0;
}

int vg_roster_sign(struct vg_buf *json_out, struct vg_buf *sig_out, struct vg_roster *r,
		   const struct vg_minisign_sk *sk)
{
	struct vg_minisign_pk pk;
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	size_t jlen0 = json_out->len, slen0 = sig_out->len;
	int rc;

	vg_minisign_sk_public(&pk, sk);
	if (memcmp(&pk, &r->signer, sizeof(pk)) != 0)
		return vg_error_set(VG_EINVAL, "this is not the organisation key that signs the "
					       "roster");
	if ((rc = vg_roster_encode(json_out, r)) < 0)
		return rc;
	crypto_generichash(r->hash, VG_ID_BYTES, json_out->ptr + jlen0, json_out->len - jlen0, NULL,
			   0);
	if ((rc = vg_roster_tc_format(tc, sizeof(tc), r)) < 0 ||
	    (rc = vg_minisign_sign(sig_out, sk, json_out->ptr + jlen0, json_out->len - jlen0,
				   VG_SIGNATURE_COMMENT, tc)) < 0) {
		vg_buf_truncate(json_out, jlen0);
		vg_buf_truncate(sig_out, slen0);
		memset(r->hash, 0, VG_ID_BYTES);
	}
	return rc;
}

int vg_roster_verify(struct vg_roster **out, const uint8_t *json, size_t jlen, const char *sig,
		     size_t siglen, const struct vg_minisign_pk *org)
{
	struct vg_minisig ms;
	struct vg_roster_tc tc;
	struct vg_roster *r = NULL;
	uint8_t hash[VG_ID_BYTES];
	int rc;

	*out = NULL;
	if (jlen > VG_ROSTER_JSON_MAX)
		return vg_error_set(VG_ELIMIT, "roster larger than %d bytes", VG_ROSTER_JSON_MAX);
	if (siglen > VG_ROSTER_SIG_MAX)
		return vg_error_set(VG_ELIMIT, "roster signature larger than %d bytes",
				    VG_ROSTER_SIG_MAX);
	if ((rc = vg_minisign_sig_parse(&ms, sig, siglen)) < 0)
		return vg_error_prefix(rc, "roster signature");
	if (strcmp(ms.untrusted, VG_SIGNATURE_COMMENT) != 0)
		return vg_error_set(VG_EFORMAT, "roster signature: untrusted comment is not '%s'",
				    VG_SIGNATURE_COMMENT);
	if ((rc = vg_minisign_verify(&ms, org, json, jlen, 0)) < 0)
		return vg_error_prefix(rc, "roster is not signed by the organisation key");
	/* From here the file and the trusted comment are the organisation's word. */
	if ((rc = vg_roster_tc_parse(&tc, ms.trusted, strlen(ms.trusted))) < 0)
		return rc;
	crypto_generichash(hash, sizeof(hash), json, jlen, NULL, 0);
	if (memcmp(hash, tc.hash, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH, "roster hash differs from its trusted comment");
	if ((rc = vg_roster_parse(&r, json, jlen)) < 0)
		return rc;
	if (memcmp(r->org, tc.org, VG_ID_BYTES) != 0 || r->version != tc.version ||
	    memcmp(r->prev, tc.prev, VG_ID_BYTES) != 0) {
		rc = vg_error_set(VG_EMISMATCH, "roster document and trusted comment disagree");
		goto done;
	}
	if (memcmp(&r->signer, org, sizeof(*org)) != 0) {
		rc = vg_error_set(VG_EMISMATCH, "roster names another organisation key");
		goto done;
	}
	*out = r;
	r = NULL;
done:
	vg_roster_free(r);
	return rc;
}

/* ---- between versions ---- */

int vg_roster_check_next(const struct vg_roster *prev, const struct vg_roster *next,
			 struct vg_roster_changes *changes)
{
	struct vg_roster_changes ch;
	size_t j = 0;

	memset(&ch, 0, sizeof(ch));
	if (changes != NULL)
		*changes = ch;
	if (next->version != prev->version + 1)
		return vg_error_set(
		    VG_EMISMATCH, "roster version %llu does not follow version %llu",
		    (unsigned long long)next->version, (unsigned long long)prev->version);
	if (memcmp(next->prev, prev->hash, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EMISMATCH,
				    "roster version %llu does not name the hash of version %llu "
				    "(a broken chain)",
				    (unsigned long long)next->version,
				    (unsigned long long)prev->version);
	if (memcmp(next->org, prev->org, VG_ID_BYTES) != 0 ||
	    memcmp(&next->signer, &prev->signer, sizeof(prev->signer)) != 0 ||
	    next->threshold != prev->threshold)
		return vg_error_set(VG_EMISMATCH,
				    "roster version %llu changes the organisation or "
				    "its signing keys",
				    (unsigned long long)next->version);
	/* Both lists are sorted by id: walk them together. */
	for (size_t i = 0; i < next->nmembers; i++) {
		const struct vg_roster_member *n = &next->members[i], *p;
		int c = j < prev->nmembers ? memcmp(prev->members[j].id, n->id, VG_ID_BYTES) : 1;

		if (c < 0)
			break; /* prev->members[j] was dropped: reported below */
		if (c > 0) {
			if (n->revoked)
				return vg_error_set(VG_EMISMATCH,
						    "roster version %llu adds member '%s' as "
						    "revoked",
						    (unsigned long long)next->version,
						    n->pseudonym);
			ch.members_added++;
			if (n->role == VG_ROLE_COORDINATOR)
				ch.coordinators_added++;
			continue;
		}
		p = &prev->members[j++];
		if (strcmp(p->pseudonym, n->pseudonym) != 0 ||
		    memcmp(&p->key, &n->key, sizeof(p->key)) != 0)
			return vg_error_set(VG_EMISMATCH,
					    "roster version %llu changes the pseudonym or key of "
					    "member '%s'",
					    (unsigned long long)next->version, p->pseudonym);
		if (p->revoked && (!n->revoked || p->cutoff_seq != n->cutoff_seq ||
				   memcmp(p->cutoff_id, n->cutoff_id, VG_ID_BYTES) != 0))
			return vg_error_set(VG_EMISMATCH,
					    "roster version %llu changes the revocation of member "
					    "'%s'",
					    (unsigned long long)next->version, p->pseudonym);
		if (!p->revoked && n->revoked)
			ch.revoked++;
		if (!p->revoked && !n->revoked &&
		    (p->role != n->role || p->has_age != n->has_age ||
		     memcmp(&p->age, &n->age, sizeof(p->age)) != 0))
			return vg_error_set(VG_EMISMATCH,
					    "roster version %llu changes the role or recipient of "
					    "member '%s'",
					    (unsigned long long)next->version, p->pseudonym);
	}
	if (j < prev->nmembers)
		return vg_error_set(VG_EMISMATCH, "roster version %llu drops member '%s'",
				    (unsigned long long)next->version, prev->members[j].pseudonym);
	for (size_t i = 0; i < prev->nlate; i++)
		if (!vg_roster_is_late_accepted(next, prev->late[i]))
			return vg_error_set(VG_EMISMATCH,
					    "roster version %llu drops a late_accept entry",
					    (unsigned long long)next->version);
	ch.late_added = next->nlate - prev->nlate;
	if (changes != NULL)
		*changes = ch;
	return 0;
}
