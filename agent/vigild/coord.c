/*
 * A coordinator's commands (agent/PROTOCOL.md, "Coordinators"): every monitor's cases
 * merged into one element per person, probable duplicates, links, a lossless export.
 *
 * A coordinator is a recipient of every entry of its organisation (FORMAT.md 11.6), so it
 * reads what sync accepted into its store by opening each entry with its age identity.
 * The merged index is that reading done once per unlock: for every case its entries (each
 * a struct vg_case_item holding its body, and its author), every link and unlink, and the
 * merged elements built from them. Later commands open only the accepted entries the index
 * has not seen (sync, or this device's own links, added some). It is plaintext in memory
 * while unlocked, wiped with the case index (vg_agent_cases_drop), never written anywhere.
 *
 * Links (FORMAT.md 4.6, "Links"): a pair of cases is linked while its link entries
 * outnumber its unlink entries, whoever wrote them and in whatever order they arrived;
 * linked cases are one person, transitively (union-find). The element of a person is led by
 * its primary case: the one with the most events, then the smallest id.
 *
 * Nothing from a record reaches the log: only counts and outcomes.
 */
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent.h"
#include "vigil/buf.h"
#include "vigil/cases.h"
#include "vigil/error.h"
#include "vigil/idmap.h"
#include "vigil/names.h"
#include "vigil/record.h"
#include "vigil/roster.h"
#include "vigil/store.h"

#define PAGE_BYTES     (4 * 1024 * 1024) /* JSON of the elements of one reply, about */
#define ELEMENT_MAX    (7 * 1024 * 1024) /* one element must fit the 8 MiB reply cap */
#define PREFIX_MIN     8
#define PROGRESS_EVERY 2000

struct crec {
	uint8_t id[VG_CASE_ID_BYTES];
	struct vg_case_item *items; /* bodies held */
	uint8_t (*authors)[VG_ID_BYTES];
	size_t n, cap;
	struct vg_case_state *st; /* NULL when an item was added since */
	size_t group;		  /* union-find parent while merging */
};

struct clink {
	uint8_t a[VG_CASE_ID_BYTES], b[VG_CASE_ID_BYTES]; /* a < b */
	bool unlink;
};

struct vg_agent_coord {
	struct crec **recs; /* at the positions of their case ids in ids */
	size_t n, cap;
	struct vg_idmap ids;  /* case ids */
	struct vg_idmap seen; /* accepted entries read (opened or not); seen.n counts them */
	struct clink *links;
	size_t nlinks, linkcap;
	size_t unreadable;
	json_t *merged; /* the merged elements, sorted; NULL when something was added since */
	size_t *sizes;	/* bytes of compact JSON of each merged element */
};

/* ---- small helpers ---- */

static int set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}

static int append(json_t *arr, json_t *val)
{
	if (val == NULL || json_array_append_new(arr, val) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}

static json_t *hex_string(const uint8_t *p, size_t n)
{
	char s[2 * VG_ID_BYTES + 1];

	vg_hex_encode(s, p, n);
	return json_string(s);
}

static void progress(struct vg_agent_conn *c, const char *msg, size_t done, size_t total)
{
	json_t *m = vg_ipc_progress(msg);

	if (m != NULL && total > 0 &&
	    (json_object_set_new(m, "done", json_integer((json_int_t)done)) < 0 ||
	     json_object_set_new(m, "total", json_integer((json_int_t)total)) < 0)) {
		json_decref(m);
		m = NULL;
	}
	if (c != NULL && vg_agent_send(c, m) < 0)
		vg_agent_warn("cannot send progress: %s", vg_error_last());
	else if (c == NULL)
		json_decref(m);
}

/* ---- the index ---- */

static size_t rec_index(const struct vg_agent_coord *x, const uint8_t id[VG_CASE_ID_BYTES])
{
	return vg_idmap_find(&x->ids, id);
}

static struct crec *find_rec(const struct vg_agent_coord *x, const uint8_t id[VG_CASE_ID_BYTES])
{
	size_t at = rec_index(x, id);

	return at == SIZE_MAX ? NULL : x->recs[at];
}

static int add_rec(struct crec **out, struct vg_agent_coord *x, const uint8_t id[VG_CASE_ID_BYTES])
{
	struct crec *r;
	int rc;

	if ((*out = find_rec(x, id)) != NULL)
		return 0;
	if ((rc = vg_array_reserve(&x->recs, &x->cap, x->n, sizeof(*x->recs), 64, "merged index")) <
	    0)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot grow the merged index");
	if ((rc = vg_idmap_add(&x->ids, id, NULL)) < 0) {
		free(r);
		return rc;
	}
	memcpy(r->id, id, VG_CASE_ID_BYTES);
	x->recs[x->n++] = r;
	*out = r;
	return 0;
}

/* Move *item into r (item is zeroed: r owns what it held). */
static int rec_add(struct crec *r, struct vg_case_item *item, const uint8_t author[VG_ID_BYTES])
{
	/* Two arrays of one length: each keeps its own capacity, r->cap the smaller. */
	size_t icap = r->cap, acap = r->cap;
	int rc;

	if ((rc = vg_array_reserve(&r->items, &icap, r->n, sizeof(*r->items), 4, "merged index")) <
		0 ||
	    (rc = vg_array_reserve(&r->authors, &acap, r->n, sizeof(*r->authors), 4,
				   "merged index")) < 0)
		return rc;
	r->cap = icap < acap ? icap : acap;
	r->items[r->n] = *item;
	memcpy(r->authors[r->n], author, VG_ID_BYTES);
	r->n++;
	memset(item, 0, sizeof(*item));
	vg_case_state_free(r->st);
	r->st = NULL;
	return 0;
}

static void rec_free(struct crec *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		vg_case_item_release(&r->items[i]);
	free(r->items);
	free(r->authors);
	vg_case_state_free(r->st);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

static int link_add(struct vg_agent_coord *x, const uint8_t a[VG_CASE_ID_BYTES],
		    const uint8_t b[VG_CASE_ID_BYTES], bool unlink)
{
	struct clink *l;

	int rc = vg_array_reserve(&x->links, &x->linkcap, x->nlinks, sizeof(*x->links), 16,
				  "merged index");

	if (rc < 0)
		return rc;
	l = &x->links[x->nlinks++];
	if (memcmp(a, b, VG_CASE_ID_BYTES) < 0) {
		memcpy(l->a, a, VG_CASE_ID_BYTES);
		memcpy(l->b, b, VG_CASE_ID_BYTES);
	} else {
		memcpy(l->a, b, VG_CASE_ID_BYTES);
		memcpy(l->b, a, VG_CASE_ID_BYTES);
	}
	l->unlink = unlink;
	json_decref(x->merged);
	x->merged = NULL;
	return 0;
}

static void coord_free(struct vg_agent_coord *x)
{
	if (x == NULL)
		return;
	for (size_t i = 0; i < x->n; i++)
		rec_free(x->recs[i]);
	free(x->recs);
	vg_idmap_release(&x->ids);
	vg_idmap_release(&x->seen);
	if (x->links != NULL)
		sodium_memzero(x->links, x->linkcap * sizeof(*x->links));
	free(x->links);
	json_decref(x->merged); /* jansson's memory is wiped when freed (vg_init) */
	free(x->sizes);
	free(x);
	malloc_trim(0);
}

void vg_agent_coord_drop(struct vg_agent *a)
{
	if (a->coord == NULL)
		return;
	coord_free(a->coord);
	a->coord = NULL;
}

/* ---- who may, and reading the store ---- */

/* The roster, checking that this device is an unrevoked coordinator of its organisation. */
static int coordinator_roster(struct vg_agent *a, struct vg_roster_set **out, const char **code)
{
	const struct vg_roster_member *me;
	const struct vg_roster *cur;
	struct vg_minisign_pk pk;
	uint8_t author[VG_ID_BYTES];
	int rc;

	*out = NULL;
	if (a->vault == NULL) {
		*code = "locked";
		return vg_error_set(VG_EAUTH, "vault is locked");
	}
	if ((rc = vg_agent_roster_load(a, out)) < 0)
		return rc;
	if (*out == NULL)
		return vg_error_set(VG_EUNSUPPORTED,
				    "this device has not joined an organisation: merged cases, "
				    "links, reports and exports are a coordinator's");
	cur = vg_roster_set_current(*out);
	vg_minisign_sk_public(&pk, a->vault->sign);
	vg_id_of_key(author, &pk);
	me = vg_roster_find(cur, author);
	if (me == NULL || me->revoked || me->role != VG_ROLE_COORDINATOR) {
		const char *who = me == NULL			? "not a member's"
				  : me->revoked			? "a revoked member's"
				  : me->role == VG_ROLE_MONITOR ? "a monitor's"
								: "an auditor's";
		vg_roster_set_free(*out); /* me points into it */
		*out = NULL;
		return vg_error_set(VG_EUNSUPPORTED,
				    "this is %s device: only a coordinator reads every monitor's "
				    "cases (merged cases, links, reports and exports)",
				    who);
	}
	return 0;
}

/* The pseudonym of author: the newest version naming it. */
static const char *pseudonym_of(const struct vg_roster_set *rs, const uint8_t author[VG_ID_BYTES])
{
	const struct vg_roster *cur = vg_roster_set_current(rs);

	for (uint64_t v = cur != NULL ? cur->version : 0; v > 0; v--) {
		const struct vg_roster *r = vg_roster_set_get(rs, v);
		const struct vg_roster_member *m = r != NULL ? vg_roster_find(r, author) : NULL;
		if (m != NULL)
			return m->pseudonym;
	}
	return NULL;
}

static json_t *monitor_json(const struct vg_roster_set *rs, const uint8_t author[VG_ID_BYTES])
{
	const char *p = pseudonym_of(rs, author);

	return p != NULL ? json_string(p) : json_null();
}

struct reader {
	struct vg_agent *a;
	struct vg_agent_conn *conn;
	struct vg_agent_coord *x;
	const struct vg_roster_set *roster;
	struct vg_entry_work work;
	size_t opened, total, added;
};

static int type_parse(enum vg_entry_type *out, const char *s)
{
	for (int t = VG_ENTRY_OPEN; t <= VG_ENTRY_UNLINK; t++) {
		if (s != NULL && strcmp(vg_entry_type_name((enum vg_entry_type)t), s) == 0) {
			*out = (enum vg_entry_type)t;
			return 0;
		}
	}
	return vg_error_set(VG_EFORMAT, "unknown entry type");
}

/* Open an entry with this device's age identity into *doc_out. */
static int open_doc(json_t **doc_out, struct vg_agent *a, const struct vg_roster_set *rs,
		    const struct vg_entry *e, struct vg_entry_work *work)
{
	const struct vg_roster *r = vg_roster_set_get(rs, e->meta.roster);

	*doc_out = NULL;
	if (r == NULL)
		return vg_error_set(VG_ENOTFOUND, "roster version %llu is not in this home",
				    (unsigned long long)e->meta.roster);
	return vg_entry_open(doc_out, &e->meta, e->age.ptr, e->age.len, a->vault->age, NULL,
			     r->policy.bucket, work);
}

static int index_doc(struct vg_agent_coord *x, const struct vg_entry *e, const json_t *doc)
{
	struct vg_case_item item;
	uint8_t case_id[VG_CASE_ID_BYTES], pair[2][VG_CASE_ID_BYTES];
	enum vg_entry_type type = VG_ENTRY_OPEN;
	const char *cs = json_string_value(json_object_get(doc, "case"));
	json_t *body = json_object_get(doc, "body");
	struct crec *r;
	int rc;

	memset(&item, 0, sizeof(item));
	if (cs == NULL || vg_hex_decode(case_id, VG_CASE_ID_BYTES, cs, strlen(cs)) < 0 ||
	    body == NULL)
		return vg_error_set(VG_EFORMAT, "a document names no case or body");
	if ((rc = type_parse(&type, json_string_value(json_object_get(doc, "type")))) < 0)
		return rc;
	if (type == VG_ENTRY_LINK || type == VG_ENTRY_UNLINK) {
		json_t *ids = json_object_get(body, "cases");
		if ((rc = vg_record_check(type, body)) < 0)
			return rc;
		for (size_t i = 0; i < 2; i++) {
			const char *s = json_string_value(json_array_get(ids, i));
			if (vg_hex_decode(pair[i], VG_CASE_ID_BYTES, s, strlen(s)) < 0)
				return vg_error_set(VG_EFORMAT, "body.cases holds a bad id");
		}
		return link_add(x, pair[0], pair[1], type == VG_ENTRY_UNLINK);
	}
	if ((rc = vg_case_item_init(&item, e->id, e->meta.seq, type, false, body, true)) < 0 ||
	    (rc = add_rec(&r, x, case_id)) < 0 || (rc = rec_add(r, &item, e->meta.author)) < 0) {
		vg_case_item_release(&item);
		return rc;
	}
	json_decref(x->merged);
	x->merged = NULL;
	return 0;
}

static int on_entry(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct reader *rd = ctx;
	json_t *doc = NULL;
	int rc;

	if (state != VG_STATE_ACCEPTED || vg_idmap_find(&rd->x->seen, e->id) != SIZE_MAX)
		return 0;
	if ((rc = vg_idmap_add(&rd->x->seen, e->id, NULL)) < 0)
		return rc;
	rd->added++;
	rc = open_doc(&doc, rd->a, rd->roster, e, &rd->work);
	if (rc == 0) {
		rc = index_doc(rd->x, e, doc);
		rd->opened++;
	} else if (rc != VG_ENOMEM) {
		/* Signed and accepted, yet not readable here: proof of a misbehaving writer. */
		rd->x->unreadable++;
		rc = 0;
	}
	json_decref(doc);
	if (rc < 0)
		return rc;
	if (rd->opened % PROGRESS_EVERY == 0 && rd->opened > 0)
		progress(rd->conn, "reading every member's cases", rd->opened, rd->total);
	return 0;
}

/*
 * The merged index, brought up to date: the entries accepted since it was built are opened
 * (all of them the first time). roster_out (may be NULL) receives the roster.
 */
static int coord_ready(struct vg_agent *a, struct vg_agent_conn *c, const char **code,
		       struct vg_roster_set **roster_out)
{
	struct vg_roster_set *roster = NULL;
	struct reader rd;
	uint64_t count = 0;
	int rc;

	memset(&rd, 0, sizeof(rd));
	rd.work = (struct vg_entry_work)VG_ENTRY_WORK_INIT;
	if ((rc = coordinator_roster(a, &roster, code)) < 0 || (rc = vg_agent_store(a)) < 0 ||
	    (rc = vg_store_count(a->store, &count, NULL, VG_STATE_ACCEPTED)) < 0)
		goto done;
	if (a->coord == NULL && (a->coord = calloc(1, sizeof(*a->coord))) != NULL) {
		a->coord->ids = (struct vg_idmap)VG_IDMAP_INIT(VG_CASE_ID_BYTES);
		a->coord->seen = (struct vg_idmap)VG_IDMAP_INIT(VG_ID_BYTES);
	}
	if (a->coord == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the merged index");
		goto done;
	}
	if (a->coord->seen.n == count)
		goto done;
	rd.a = a;
	rd.conn = c;
	rd.x = a->coord;
	rd.roster = roster;
	rd.total = count > a->coord->seen.n ? (size_t)(count - a->coord->seen.n) : 0;
	if (rd.total >= PROGRESS_EVERY)
		progress(c, "reading every member's cases", 0, rd.total);
	if ((rc = vg_store_foreach(a->store, NULL, on_entry, &rd)) < 0) {
		vg_agent_coord_drop(a); /* half read: start again next time */
		goto done;
	}
	vg_agent_log("merged index: %zu entries opened, %zu unreadable, %zu cases, %zu links",
		     rd.opened, a->coord->unreadable, a->coord->n, a->coord->nlinks);
done:
	vg_entry_work_release(&rd.work);
	if (rc == 0 && roster_out != NULL)
		*roster_out = roster;
	else
		vg_roster_set_free(roster);
	return rc;
}

/* ---- links and merging ---- */

static int rec_state(struct crec *r)
{
	if (r->st != NULL)
		return 0;
	return vg_case_derive(&r->st, r->items, r->n);
}

static bool live(const struct crec *r)
{
	return r->st != NULL && r->st->opened && !r->st->withdrawn;
}

static size_t uf_find(struct crec **recs, size_t i)
{
	while (recs[i]->group != i) {
		recs[i]->group = recs[recs[i]->group]->group;
		i = recs[i]->group;
	}
	return i;
}

static int cmp_link(const void *p, const void *q)
{
	const struct clink *x = p, *y = q;
	int c = memcmp(x->a, y->a, VG_CASE_ID_BYTES);

	return c != 0 ? c : memcmp(x->b, y->b, VG_CASE_ID_BYTES);
}

/* Link and unlink entries of the pair {p, q}. */
static void pair_counts(const struct vg_agent_coord *x, const uint8_t p[VG_CASE_ID_BYTES],
			const uint8_t q[VG_CASE_ID_BYTES], size_t *links, size_t *unlinks)
{
	const uint8_t *lo = memcmp(p, q, VG_CASE_ID_BYTES) < 0 ? p : q;
	const uint8_t *hi = lo == p ? q : p;

	*links = *unlinks = 0;
	for (size_t i = 0; i < x->nlinks; i++)
		if (memcmp(x->links[i].a, lo, VG_CASE_ID_BYTES) == 0 &&
		    memcmp(x->links[i].b, hi, VG_CASE_ID_BYTES) == 0)
			(*(x->links[i].unlink ? unlinks : links))++;
}

/* Derive every case and group the live ones by the pairs that are linked. */
static int group_cases(struct vg_agent_coord *x)
{
	int rc;

	for (size_t i = 0; i < x->n; i++) {
		if ((rc = rec_state(x->recs[i])) < 0)
			return rc;
		x->recs[i]->group = i;
	}
	if (x->nlinks > 1)
		qsort(x->links, x->nlinks, sizeof(*x->links), cmp_link);
	for (size_t i = 0; i < x->nlinks;) {
		size_t j = i, nl = 0, nu = 0;
		for (; j < x->nlinks && cmp_link(&x->links[i], &x->links[j]) == 0; j++)
			(*(x->links[j].unlink ? &nu : &nl))++;
		if (nl > nu) {
			size_t p = rec_index(x, x->links[i].a), q = rec_index(x, x->links[i].b);
			if (p != SIZE_MAX && q != SIZE_MAX && live(x->recs[p]) &&
			    live(x->recs[q])) {
				p = uf_find(x->recs, p);
				q = uf_find(x->recs, q);
				if (p != q)
					x->recs[p > q ? p : q]->group = p < q ? p : q;
			}
		}
		i = j;
	}
	return 0;
}

/* The primary case of a person first: most events, then the smallest id. */
static int cmp_member(const void *p, const void *q)
{
	const struct crec *x = *(const struct crec *const *)p, *y = *(const struct crec *const *)q;

	if (x->st->nevents != y->st->nevents)
		return x->st->nevents > y->st->nevents ? -1 : 1;
	return memcmp(x->id, y->id, VG_CASE_ID_BYTES);
}

struct tl {
	json_t *ev;
	const char *date;
	size_t pos, idx;
};

/* Timeline order: dates as FORMAT.md 4.6 orders them, then the primary case's events
 * first, then each case's own order. */
static int cmp_tl(const void *p, const void *q)
{
	const struct tl *x = p, *y = q;
	int c = vg_record_date_cmp(x->date, y->date);

	if (c != 0)
		return c;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool in_strings(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static int add_name(json_t *names, const char *shown, const char *s)
{
	if (s == NULL || (shown != NULL && strcmp(s, shown) == 0) || in_strings(names, s))
		return 0;
	return append(names, json_string(s));
}

/* The element of one person: the cases m[0..k) (primary first). */
static int build_element(json_t **out, struct crec **m, size_t k, const struct vg_roster_set *rs)
{
	json_t *o = NULL, *view = NULL, *linked = NULL, *monitors = NULL, *names = NULL;
	json_t *timeline = NULL, *records = NULL, *conflicts = NULL;
	struct tl *tl = NULL;
	size_t ntl = 0, nev = 0, entries = 0, nconf = 0;
	const char *shown, *status = NULL, *last = NULL;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < k; i++)
		nev += m[i]->st->nevents;
	if ((o = vg_case_summary(m[0]->id, m[0]->st, m[0]->n)) == NULL ||
	    (linked = json_array()) == NULL || (monitors = json_array()) == NULL ||
	    (names = json_array()) == NULL || (timeline = json_array()) == NULL ||
	    (records = json_array()) == NULL || (conflicts = json_array()) == NULL ||
	    (tl = calloc(nev + 1, sizeof(*tl))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot merge the cases");
		goto done;
	}
	shown = m[0]->st->name;
	for (size_t i = 0; i < k; i++) {
		struct crec *r = m[i];
		json_t *events, *person, *pc, *v, *rec;
		size_t j;

		json_decref(view);
		if ((rc = vg_case_view(&view, r->id, r->items, r->n, r->st, 0, 0)) < 0)
			goto done;
		entries += r->n;
		nconf += r->st->nconflicts;
		if (i > 0 && (rc = append(linked, hex_string(r->id, VG_CASE_ID_BYTES))) < 0)
			goto done;
		for (j = 0; j < r->n; j++) {
			const char *p = pseudonym_of(rs, r->authors[j]);
			if (p != NULL && !in_strings(monitors, p) &&
			    (rc = append(monitors, json_string(p))) < 0)
				goto done;
		}
		person = json_object_get(view, "person");
		if ((rc = add_name(names, shown, r->st->name)) < 0)
			goto done;
		json_array_foreach(json_object_get(person, "other_names"), j, v)
		{
			if ((rc = add_name(names, shown, json_string_value(v))) < 0)
				goto done;
		}
		rec = json_pack(
		    "{s:o,s:O,s:o,s:O,s:O,s:O,s:I,s:I}", "id", hex_string(r->id, VG_CASE_ID_BYTES),
		    "ref",
		    json_object_get(view, "ref") ? json_object_get(view, "ref") : json_null(),
		    "monitor",
		    r->st->opened ? monitor_json(rs, r->authors[r->st->open]) : json_null(), "open",
		    json_object_get(view, "open"), "person", person, "notes",
		    json_object_get(view, "notes") ? json_object_get(view, "notes") : json_null(),
		    "events", (json_int_t)r->st->nevents, "withdrawn_entries",
		    (json_int_t)json_array_size(json_object_get(view, "withdrawn_entries")));
		if ((rc = append(records, rec)) < 0)
			goto done;
		json_array_foreach(json_object_get(view, "person_conflicts"), j, pc)
		{
			json_t *copy = json_deep_copy(pc);
			if (copy == NULL ||
			    json_object_set_new(copy, "case", hex_string(r->id, VG_CASE_ID_BYTES)) <
				0) {
				json_decref(copy);
				rc = vg_error_set(VG_ENOMEM, "cannot merge the cases");
				goto done;
			}
			if ((rc = append(conflicts, copy)) < 0)
				goto done;
		}
		events = json_object_get(view, "events");
		for (j = 0; j < r->st->nevents; j++) {
			json_t *ev = json_incref(json_array_get(events, j));
			const struct vg_case_item *it = &r->items[r->st->events[j].item];
			if (ev == NULL ||
			    json_object_set_new(ev, "case", hex_string(r->id, VG_CASE_ID_BYTES)) <
				0 ||
			    json_object_set_new(
				ev, "monitor",
				monitor_json(rs, r->authors[r->st->events[j].item])) < 0) {
				json_decref(ev);
				rc = vg_error_set(VG_ENOMEM, "cannot merge the cases");
				goto done;
			}
			tl[ntl++] = (struct tl){ev, it->date, i, j};
		}
	}
	qsort(tl, ntl, sizeof(*tl), cmp_tl);
	for (size_t i = 0; i < ntl; i++) {
		const char *s = json_string_value(
		    json_object_get(json_object_get(tl[i].ev, "event"), "status"));
		if (s != NULL)
			status = s;
		if (tl[i].date[0] != '\0')
			last = tl[i].date;
		if ((rc = append(timeline, json_incref(tl[i].ev))) < 0)
			goto done;
	}
	if ((rc = set(o, "status", status != NULL ? json_string(status) : json_null())) < 0 ||
	    (rc = set(o, "last_date", last != NULL ? json_string(last) : json_null())) < 0 ||
	    (rc = set(o, "events", json_integer((json_int_t)ntl))) < 0 ||
	    (rc = set(o, "entries", json_integer((json_int_t)entries))) < 0 ||
	    (rc = set(o, "conflicts", json_integer((json_int_t)nconf))) < 0 ||
	    (rc = set(o, "delivered", json_true())) < 0 ||
	    (rc = set(o, "person",
		      json_deep_copy(json_object_get(json_array_get(records, 0), "person")))) < 0 ||
	    (rc = set(o, "other_names", names)) < 0)
		goto done;
	names = NULL;
	if ((rc = set(o, "linked", linked)) < 0)
		goto done;
	linked = NULL;
	if ((rc = set(o, "monitors", monitors)) < 0)
		goto done;
	monitors = NULL;
	if ((rc = set(o, "records", records)) < 0)
		goto done;
	records = NULL;
	if ((rc = set(o, "person_conflicts", conflicts)) < 0)
		goto done;
	conflicts = NULL;
	if ((rc = set(o, "timeline", timeline)) < 0)
		goto done;
	timeline = NULL;
	*out = o;
	o = NULL;
done:
	for (size_t i = 0; i < ntl; i++)
		json_decref(tl[i].ev);
	free(tl);
	json_decref(o);
	json_decref(view);
	json_decref(linked);
	json_decref(monitors);
	json_decref(names);
	json_decref(timeline);
	json_decref(records);
	json_decref(conflicts);
	return rc;
}

static int cmp_element(const void *p, const void *q)
{
	const json_t *x = *(const json_t *const *)p, *y = *(const json_t *const *)q;
	const char *nx = json_string_value(json_object_get(x, "name"));
	const char *ny = json_string_value(json_object_get(y, "name"));
	int c = strcmp(nx != NULL ? nx : "", ny != NULL ? ny : "");

	return c != 0 ? c
		      : strcmp(json_string_value(json_object_get(x, "id")),
			       json_string_value(json_object_get(y, "id")));
}

/* The merged elements, built when something was added since. */
static int merged(struct vg_agent *a, const struct vg_roster_set *rs)
{
	struct vg_agent_coord *x = a->coord;
	struct crec **order = NULL;
	json_t **elems = NULL, *arr = NULL;
	size_t nel = 0;
	int rc;

	if (x->merged != NULL)
		return 0;
	if ((rc = group_cases(x)) < 0)
		return rc;
	if ((order = calloc(x->n + 1, sizeof(*order))) == NULL ||
	    (elems = calloc(x->n + 1, sizeof(*elems))) == NULL || (arr = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot merge the cases");
		goto done;
	}
	/* Members of a group are found from its root: one pass gathers each group. */
	for (size_t i = 0; i < x->n; i++) {
		size_t k = 0;
		if (!live(x->recs[i]) || uf_find(x->recs, i) != i)
			continue;
		for (size_t j = i; j < x->n; j++)
			if (live(x->recs[j]) && uf_find(x->recs, j) == i)
				order[k++] = x->recs[j];
		qsort(order, k, sizeof(*order), cmp_member);
		if ((rc = build_element(&elems[nel], order, k, rs)) < 0)
			goto done;
		nel++;
	}
	qsort(elems, nel, sizeof(*elems), cmp_element);
	free(x->sizes);
	if ((x->sizes = calloc(nel + 1, sizeof(*x->sizes))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot merge the cases");
		goto done;
	}
	for (size_t i = 0; i < nel; i++)
		x->sizes[i] = json_dumpb(elems[i], NULL, 0, JSON_COMPACT);
	for (size_t i = 0; i < nel; i++) {
		if ((rc = append(arr, elems[i])) < 0) {
			elems[i] = NULL;
			goto done;
		}
		elems[i] = NULL;
	}
	x->merged = arr;
	arr = NULL;
done:
	for (size_t i = 0; elems != NULL && i < nel; i++)
		json_decref(elems[i]);
	free(elems);
	free(order);
	json_decref(arr);
	return rc;
}

/* ---- commands ---- */

int vg_agent_cases(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		   json_t *reply, const char **code)
{
	json_t *from_j = vg_ipc_request_json(req, "from"), *page = NULL;
	struct vg_roster_set *roster = NULL;
	size_t first, total, i, bytes = 0;
	int rc;

	if ((rc = coord_ready(a, c, code, &roster)) < 0 || (rc = merged(a, roster)) < 0)
		goto done;
	total = json_array_size(a->coord->merged);
	first = from_j != NULL ? (size_t)json_integer_value(from_j) : 0;
	if (first > total)
		first = total;
	if ((page = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the reply");
		goto done;
	}
	for (i = first; i < total && (i == first || bytes < PAGE_BYTES); i++) {
		json_t *el = json_array_get(a->coord->merged, i);
		size_t size = a->coord->sizes[i];
		if (size > ELEMENT_MAX) {
			rc = vg_error_set(VG_ELIMIT,
					  "case %s is too large for one reply (%zu bytes of JSON)",
					  json_string_value(json_object_get(el, "id")), size);
			goto done;
		}
		if (i > first && bytes + size > ELEMENT_MAX)
			break;
		bytes += size;
		if ((rc = append(page, json_incref(el))) < 0)
			goto done;
	}
	if ((rc = set(reply, "cases", page)) < 0)
		goto done;
	page = NULL;
	if ((rc = set(reply, "total", json_integer((json_int_t)total))) < 0 ||
	    (rc = set(reply, "unreadable", json_integer((json_int_t)a->coord->unreadable))) < 0 ||
	    (rc = set(reply, "next", i < total ? json_integer((json_int_t)i) : json_null())) < 0)
		goto done;
	vg_agent_touch(a);
done:
	json_decref(page);
	vg_roster_set_free(roster);
	return rc;
}

int vg_agent_duplicates(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	struct vg_roster_set *roster = NULL;
	json_t *in = NULL, *out = NULL, *el;
	size_t i;
	int rc;

	(void)req;
	if ((rc = coord_ready(a, c, code, &roster)) < 0 || (rc = merged(a, roster)) < 0)
		goto done;
	if ((in = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the reply");
		goto done;
	}
	/* One element per person after links: a linked pair is one element, never listed. */
	json_array_foreach(a->coord->merged, i, el)
	{
		json_t *events = json_array(), *ev, *o;
		size_t j;
		if (events == NULL) {
			rc = vg_error_set(VG_ENOMEM, "cannot build the reply");
			goto done;
		}
		json_array_foreach(json_object_get(el, "timeline"), j, ev)
		{
			json_t *e = json_object_get(ev, "event");
			json_t *d = json_object_get(e, "date");
			if ((rc = append(events,
					 json_pack("{s:O,s:O}", "date", d != NULL ? d : json_null(),
						   "type", json_object_get(e, "type")))) < 0) {
				json_decref(events);
				goto done;
			}
		}
		o = json_pack("{s:O,s:O,s:O,s:O,s:o}", "id", json_object_get(el, "id"), "name",
			      json_object_get(el, "name"), "other_names",
			      json_object_get(el, "other_names"), "country",
			      json_object_get(el, "country"), "events", events);
		if ((rc = append(in, o)) < 0)
			goto done;
	}
	progress(c, "comparing names", 0, 0);
	if ((rc = vg_names_duplicates(&out, in)) < 0)
		goto done;
	if ((rc = set(reply, "duplicates", out)) < 0)
		goto done;
	out = NULL;
	if ((rc = set(reply, "total",
		      json_integer((json_int_t)json_array_size(a->coord->merged)))) < 0)
		goto done;
	vg_agent_touch(a);
done:
	json_decref(in);
	json_decref(out);
	vg_roster_set_free(roster);
	return rc;
}

static const uint8_t *crec_id(void *ctx, size_t i)
{
	return ((struct vg_agent_coord *)ctx)->recs[i]->id;
}

static bool crec_live(void *ctx, size_t i)
{
	return live(((struct vg_agent_coord *)ctx)->recs[i]);
}

/* A case this coordinator reads, by id or a unique prefix of at least PREFIX_MIN digits. */
static int find_case(size_t *out, struct vg_agent_coord *x, const char *s, const char **code)
{
	uint8_t id[VG_CASE_ID_BYTES];
	int rc = 0;

	*out = SIZE_MAX;
	if (strlen(s) == VG_CASE_ID_HEX && vg_hex_decode(id, sizeof(id), s, VG_CASE_ID_HEX) == 0)
		*out = rec_index(x, id);
	else
		rc = vg_hex_find(out, s, PREFIX_MIN, x->n, VG_CASE_ID_BYTES, crec_id, crec_live, x);
	if (rc == VG_EFORMAT || rc == VG_EINVAL)
		*code = "usage";
	if (rc == VG_EFORMAT)
		return vg_error_set(VG_EINVAL,
				    "'%s' is not a case id (32 hex digits, or at least %d of them)",
				    s, PREFIX_MIN);
	if (rc == VG_EINVAL)
		return vg_error_set(VG_EINVAL, "case id '%s' is ambiguous: give more digits", s);
	if (*out == SIZE_MAX || !x->recs[*out]->st->opened)
		return vg_error_set(VG_ENOTFOUND,
				    "no case '%s' among the cases this coordinator "
				    "reads (run 'vigil sync' first?)",
				    s);
	if (x->recs[*out]->st->withdrawn)
		return vg_error_set(VG_ENOTFOUND, "case '%s' is withdrawn (redacted)", s);
	return 0;
}

int vg_agent_link(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		  json_t *reply, const char **code)
{
	bool unlink = vg_ipc_request_cmd(req) == VG_IPC_UNLINK;
	struct vg_roster_set *roster = NULL;
	struct vg_agent_coord *x;
	uint8_t lo[VG_CASE_ID_BYTES], hi[VG_CASE_ID_BYTES], (*ids)[VG_ID_BYTES] = NULL;
	char hlo[VG_CASE_ID_HEX + 1], hhi[VG_CASE_ID_HEX + 1];
	size_t p, q, nl, nu, count;
	json_t *body = NULL, *entries = NULL;
	bool same;
	int rc;

	if ((rc = coord_ready(a, c, code, &roster)) < 0 || (rc = merged(a, roster)) < 0)
		goto done;
	x = a->coord;
	if ((rc = find_case(&p, x, vg_ipc_request_string(req, "case"), code)) < 0 ||
	    (rc = find_case(&q, x, vg_ipc_request_string(req, "other"), code)) < 0)
		goto done;
	if (p == q) {
		rc = vg_error_set(VG_EINVAL, "a case cannot be %s itself",
				  unlink ? "unlinked from" : "linked to");
		*code = "failed";
		goto done;
	}
	if (memcmp(x->recs[p]->id, x->recs[q]->id, VG_CASE_ID_BYTES) > 0) {
		size_t t = p;
		p = q;
		q = t;
	}
	memcpy(lo, x->recs[p]->id, VG_CASE_ID_BYTES);
	memcpy(hi, x->recs[q]->id, VG_CASE_ID_BYTES);
	vg_hex_encode(hlo, lo, VG_CASE_ID_BYTES);
	vg_hex_encode(hhi, hi, VG_CASE_ID_BYTES);
	pair_counts(x, lo, hi, &nl, &nu);
	same = uf_find(x->recs, p) == uf_find(x->recs, q); /* group_cases ran in merged() */
	if (!unlink && nl > nu) {
		rc = vg_error_set(VG_EEXISTS, "cases %.12s and %.12s are already linked", hlo, hhi);
		goto done;
	}
	if (!unlink && same) {
		rc = vg_error_set(VG_EEXISTS,
				  "cases %.12s and %.12s are already one person through other "
				  "links",
				  hlo, hhi);
		goto done;
	}
	if (unlink && nl <= nu) {
		rc = vg_error_set(VG_ENOTFOUND,
				  same ? "cases %.12s and %.12s are linked only through other "
					 "cases: unlink the pairs that link them"
				       : "cases %.12s and %.12s are not linked",
				  hlo, hhi);
		*code = "failed";
		goto done;
	}
	/* Unlinking undoes every link this device has seen for the pair. */
	count = unlink ? nl - nu : 1;
	body = json_pack("{s:[s,s]}", "cases", hlo, hhi);
	if (body == NULL || (ids = calloc(count, sizeof(*ids))) == NULL ||
	    (entries = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the entry");
		goto done;
	}
	if ((rc = vg_agent_case_append(a, c, unlink ? VG_ENTRY_UNLINK : VG_ENTRY_LINK, lo, body,
				       count, ids)) < 0)
		goto done;
	/* Saved. The merged index follows (it was dropped if the case index failed). */
	for (size_t i = 0; i < count; i++) {
		if (a->coord != NULL && (vg_idmap_add(&a->coord->seen, ids[i], NULL) < 0 ||
					 link_add(a->coord, lo, hi, unlink) < 0)) {
			vg_agent_warn("merged index dropped: %s", vg_error_last());
			vg_agent_coord_drop(a);
		}
		if ((rc = append(entries, hex_string(ids[i], VG_ID_BYTES))) < 0)
			goto done;
	}
	vg_agent_log("%s: %zu entr%s appended", unlink ? "unlink" : "link", count,
		     count == 1 ? "y" : "ies");
	if ((rc = set(reply, "cases", json_pack("[s,s]", hlo, hhi))) < 0 ||
	    (rc = set(reply, "entries", entries)) < 0)
		goto done;
	entries = NULL;
	if ((rc = set(reply, "linked", json_boolean(!unlink))) < 0)
		goto done;
	if (a->coord != NULL && merged(a, roster) == 0 &&
	    (rc = set(reply, "total",
		      json_integer((json_int_t)json_array_size(a->coord->merged)))) < 0)
		goto done;
done:
	free(ids);
	json_decref(body);
	json_decref(entries);
	vg_roster_set_free(roster);
	return rc;
}

/* ---- export ---- */

struct exporter {
	struct vg_agent *a;
	const struct vg_roster_set *roster;
	struct vg_entry_work work;
	json_t *page;
	size_t skip, taken, bytes, unreadable;
};

static const char *state_name(enum vg_entry_state s)
{
	return s == VG_STATE_ACCEPTED  ? "accepted"
	       : s == VG_STATE_PENDING ? "pending"
				       : "quarantined";
}

static int on_export(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct exporter *ex = ctx;
	json_t *doc = NULL, *o;
	size_t size;
	int rc;

	if (ex->skip > 0) {
		ex->skip--;
		return 0;
	}
	if (ex->taken > 0 && ex->bytes >= PAGE_BYTES)
		return 1; /* page full */
	rc = open_doc(&doc, ex->a, ex->roster, e, &ex->work);
	if (rc == VG_ENOMEM)
		return rc;
	if (rc < 0)
		ex->unreadable++;
	o = json_pack("{s:o,s:o,s:o,s:I,s:o,s:I,s:s,s:o}", "id", hex_string(e->id, VG_ID_BYTES),
		      "author", hex_string(e->meta.author, VG_ID_BYTES), "monitor",
		      monitor_json(ex->roster, e->meta.author), "seq", (json_int_t)e->meta.seq,
		      "prev", hex_string(e->meta.prev, VG_ID_BYTES), "roster",
		      (json_int_t)e->meta.roster, "state", state_name(state), "document",
		      doc != NULL ? doc : json_null());
	if (o == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build the export");
	size = json_dumpb(o, NULL, 0, JSON_COMPACT);
	if (size > ELEMENT_MAX) {
		json_decref(o);
		return vg_error_set(VG_ELIMIT, "an entry is too large for one reply");
	}
	ex->bytes += size;
	ex->taken++;
	return append(ex->page, o);
}

int vg_agent_export(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		    json_t *reply, const char **code)
{
	json_t *from_j = vg_ipc_request_json(req, "from"), *members = NULL;
	struct vg_roster_set *roster = NULL;
	const struct vg_roster *cur;
	struct exporter ex;
	uint64_t total = 0, n;
	size_t first;
	int rc;

	memset(&ex, 0, sizeof(ex));
	ex.work = (struct vg_entry_work)VG_ENTRY_WORK_INIT;
	if ((rc = coordinator_roster(a, &roster, code)) < 0 || (rc = vg_agent_store(a)) < 0)
		goto done;
	for (int s = VG_STATE_ACCEPTED; s <= VG_STATE_QUARANTINED; s++) {
		if ((rc = vg_store_count(a->store, &n, NULL, (enum vg_entry_state)s)) < 0)
			goto done;
		total += n;
	}
	first = from_j != NULL ? (size_t)json_integer_value(from_j) : 0;
	ex.a = a;
	ex.roster = roster;
	ex.skip = first;
	if ((ex.page = json_array()) == NULL || (members = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the export");
		goto done;
	}
	progress(c, "opening entries", 0, 0);
	rc = vg_store_foreach(a->store, NULL, on_export, &ex);
	if (rc < 0)
		goto done;
	cur = vg_roster_set_current(roster);
	for (size_t i = 0; i < cur->nmembers; i++) {
		const struct vg_roster_member *m = &cur->members[i];
		if ((rc = append(members,
				 json_pack("{s:o,s:s,s:s}", "id", hex_string(m->id, VG_ID_BYTES),
					   "pseudonym", m->pseudonym, "role",
					   m->revoked ? "revoked" : vg_role_name(m->role)))) < 0)
			goto done;
	}
	if ((rc = set(reply, "organisation", hex_string(cur->org, VG_ID_BYTES))) < 0 ||
	    (rc = set(reply, "organisation_name", json_string(cur->name))) < 0 ||
	    (rc = set(reply, "roster", json_integer((json_int_t)cur->version))) < 0 ||
	    (rc = set(reply, "members", members)) < 0)
		goto done;
	members = NULL;
	if ((rc = set(reply, "total", json_integer((json_int_t)total))) < 0 ||
	    (rc = set(reply, "unreadable", json_integer((json_int_t)ex.unreadable))) < 0 ||
	    (rc = set(reply, "next",
		      first + ex.taken < total ? json_integer((json_int_t)(first + ex.taken))
					       : json_null())) < 0 ||
	    (rc = set(reply, "entries", ex.page)) < 0)
		goto done;
	ex.page = NULL;
	vg_agent_log("export: %zu entries from %zu", ex.taken, first);
	vg_agent_touch(a);
done:
	json_decref(ex.page);
	json_decref(members);
	vg_entry_work_release(&ex.work);
	vg_roster_set_free(roster);
	return rc;
}
