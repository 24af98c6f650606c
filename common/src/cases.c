#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/cases.h"
#include "vigil/error.h"
#include "vigil/record.h"

enum kind { KIND_OTHER, KIND_PERSON, KIND_EVENT };

static enum kind kind_of(const struct vg_case_item *it)
{
	switch (it->type) {
	case VG_ENTRY_OPEN:
		return KIND_PERSON;
	case VG_ENTRY_EVENT:
		return KIND_EVENT;
	case VG_ENTRY_CORRECT:
		return it->name != NULL ? KIND_PERSON : KIND_EVENT;
	default:
		return KIND_OTHER;
	}
}

static void wipe_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

void vg_case_item_release(struct vg_case_item *item)
{
	if (item == NULL)
		return;
	wipe_free(item->status);
	wipe_free(item->name);
	wipe_free(item->country);
	free(item->supersedes);
	json_decref(item->body);
	sodium_memzero(item, sizeof(*item));
}

static int copy_text(char **out, const json_t *v)
{
	const char *s = json_string_value(v);

	*out = NULL;
	if (s == NULL)
		return 0;
	if ((*out = strdup(s)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot copy case text");
	return 0;
}

int vg_case_item_init(struct vg_case_item *item, const uint8_t id[VG_ID_BYTES], uint64_t order,
		      enum vg_entry_type type, bool draft, json_t *body, bool keep_body)
{
	const json_t *person, *event, *sup;
	const char *date;
	int rc;

	memset(item, 0, sizeof(*item));
	memcpy(item->id, id, VG_ID_BYTES);
	item->order = order;
	item->type = type;
	item->draft = draft;
	if ((rc = vg_record_check(type, body)) < 0)
		return rc;
	person = json_object_get(body, "person");
	event = json_object_get(body, "event");
	if (person != NULL && (type == VG_ENTRY_OPEN || type == VG_ENTRY_CORRECT)) {
		if ((rc = copy_text(&item->name, json_object_get(person, "name"))) < 0 ||
		    (rc = copy_text(&item->country, json_object_get(person, "country"))) < 0)
			return rc;
	}
	if (event != NULL && (type == VG_ENTRY_EVENT || type == VG_ENTRY_CORRECT)) {
		date = json_string_value(json_object_get(event, "date"));
		if (date != NULL) /* checked: at most VG_CASE_DATE_MAX bytes */
			snprintf(item->date, sizeof(item->date), "%s", date);
		if ((rc = copy_text(&item->status, json_object_get(event, "status"))) < 0)
			return rc;
	}
	sup = json_object_get(body, "supersedes");
	if (json_array_size(sup) > 0) {
		size_t i;
		json_t *v;

		item->supersedes = calloc(json_array_size(sup), VG_ID_BYTES);
		if (item->supersedes == NULL)
			return vg_error_set(VG_ENOMEM, "cannot copy case ids");
		json_array_foreach(sup, i, v)
		{
			if (vg_hex_decode(item->supersedes[i], VG_ID_BYTES, json_string_value(v),
					  json_string_length(v)) < 0)
				return vg_error_set(VG_EFORMAT, "body.supersedes holds a bad id");
			item->nsupersedes++;
		}
	}
	if (keep_body)
		item->body = json_incref(body);
	return 0;
}

/* ---- derivation ---- */

struct work {
	const struct vg_case_item *items;
	size_t n;
	size_t *by_id; /* item indexes sorted by id */
	size_t *edges; /* for each item, the indexes it supersedes (SIZE_MAX: no such item) */
	size_t *first_edge;
	size_t *topo; /* items, each before every item it supersedes */
	size_t ntopo;
	bool *withdrawn;
	bool *superseded; /* by a live correction of the same kind */
	size_t *parent;	  /* union-find over same-kind supersession */
};

static int cmp_id_ctx(const struct vg_case_item *items, size_t a, size_t b)
{
	return memcmp(items[a].id, items[b].id, VG_ID_BYTES);
}

/* qsort has no context argument: sort pairs carrying the id pointer instead. */
struct idx_id {
	const uint8_t *id;
	size_t i;
};

static int cmp_idx_id(const void *a, const void *b)
{
	return memcmp(((const struct idx_id *)a)->id, ((const struct idx_id *)b)->id, VG_ID_BYTES);
}

static size_t find(const struct work *w, const uint8_t id[VG_ID_BYTES])
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(w->items[w->by_id[mid]].id, id, VG_ID_BYTES);
		if (c == 0)
			return w->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static size_t uf_find(size_t *parent, size_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

static void uf_union(const struct vg_case_item *items, size_t *parent, size_t a, size_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a == b)
		return;
	/* The representative is the earliest item, so it is the group's root. */
	if (items[b].order < items[a].order ||
	    (items[b].order == items[a].order && cmp_id_ctx(items, b, a) < 0))
		parent[a] = b;
	else
		parent[b] = a;
}

static void work_free(struct work *w)
{
	free(w->by_id);
	free(w->edges);
	free(w->first_edge);
	free(w->topo);
	free(w->withdrawn);
	free(w->superseded);
	free(w->parent);
}

static int work_init(struct work *w, const struct vg_case_item *items, size_t n)
{
	struct idx_id *pairs = NULL;
	size_t nedges = 0, *indeg = NULL, head = 0;
	int rc = 0;

	memset(w, 0, sizeof(*w));
	w->items = items;
	w->n = n;
	for (size_t i = 0; i < n; i++)
		nedges += items[i].nsupersedes;
	if ((pairs = calloc(n + 1, sizeof(*pairs))) == NULL ||
	    (w->by_id = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (w->edges = calloc(nedges + 1, sizeof(size_t))) == NULL ||
	    (w->first_edge = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (w->topo = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (w->withdrawn = calloc(n + 1, sizeof(bool))) == NULL ||
	    (w->superseded = calloc(n + 1, sizeof(bool))) == NULL ||
	    (w->parent = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (indeg = calloc(n + 1, sizeof(size_t))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot derive a case");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		pairs[i] = (struct idx_id){items[i].id, i};
	qsort(pairs, n, sizeof(*pairs), cmp_idx_id);
	for (size_t i = 0; i < n; i++)
		w->by_id[i] = pairs[i].i;
	nedges = 0;
	for (size_t i = 0; i < n; i++) {
		w->first_edge[i] = nedges;
		for (size_t j = 0; j < items[i].nsupersedes; j++) {
			size_t t = find(w, items[i].supersedes[j]);
			if (t == i)
				t = SIZE_MAX; /* naming itself: ignored */
			w->edges[nedges++] = t;
			if (t != SIZE_MAX)
				indeg[t]++;
		}
	}
	w->first_edge[n] = nedges;
	/*
	 * Kahn's order from the entries nobody supersedes down to the oldest, so that an
	 * item's superseders are decided before it. Ids are hashes over what an entry names,
	 * so a cycle cannot be made; items on one anyway (a forged draft) are left out of the
	 * order and count as live, superseding nothing.
	 */
	for (size_t i = 0; i < n; i++)
		if (indeg[i] == 0)
			w->topo[w->ntopo++] = i;
	while (head < w->ntopo) {
		size_t x = w->topo[head++];
		for (size_t e = w->first_edge[x]; e < w->first_edge[x + 1]; e++) {
			size_t t = w->edges[e];
			if (t != SIZE_MAX && --indeg[t] == 0)
				w->topo[w->ntopo++] = t;
		}
	}
	for (size_t i = 0; i < n; i++)
		w->parent[i] = i;
done:
	free(pairs);
	free(indeg);
	return rc;
}

static int cmp_event(const struct vg_case_item *items, const struct vg_case_version *a,
		     const struct vg_case_version *b)
{
	const struct vg_case_item *x = &items[a->item], *y = &items[b->item];
	const struct vg_case_item *rx = &items[a->root], *ry = &items[b->root];
	int c = vg_record_date_cmp(x->date, y->date);

	if (c != 0)
		return c;
	if (rx->order != ry->order)
		return rx->order < ry->order ? -1 : 1;
	c = memcmp(rx->id, ry->id, VG_ID_BYTES);
	if (c != 0)
		return c;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return memcmp(x->id, y->id, VG_ID_BYTES);
}

/* Insertion into the sorted prefix; a merge sort would be faster on huge cases. */
static void sort_versions(const struct vg_case_item *items, struct vg_case_version *v, size_t n,
			  bool by_date)
{
	for (size_t i = 1; i < n; i++) {
		struct vg_case_version t = v[i];
		size_t j = i;
		while (j > 0) {
			int c;
			if (by_date) {
				c = cmp_event(items, &v[j - 1], &t);
			} else { /* highest order first */
				const struct vg_case_item *x = &items[v[j - 1].item],
							  *y = &items[t.item];
				c = x->order != y->order ? (x->order < y->order ? 1 : -1)
							 : memcmp(y->id, x->id, VG_ID_BYTES);
			}
			if (c <= 0)
				break;
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
}

/* Merge sort of event versions (cases can hold many events). */
static void merge_sort(const struct vg_case_item *items, struct vg_case_version *v,
		       struct vg_case_version *tmp, size_t n)
{
	size_t mid, i, j, k;

	if (n < 16) {
		sort_versions(items, v, n, true);
		return;
	}
	mid = n / 2;
	merge_sort(items, v, tmp, mid);
	merge_sort(items, v + mid, tmp, n - mid);
	for (i = 0, j = mid, k = 0; i < mid && j < n;)
		tmp[k++] = cmp_event(items, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

void vg_case_state_free(struct vg_case_state *st)
{
	if (st == NULL)
		return;
	free(st->persons);
	free(st->events);
	free(st->withdrawn_items);
	free(st);
}

int vg_case_derive(struct vg_case_state **out, const struct vg_case_item *items, size_t n)
{
	struct vg_case_state *st = NULL;
	struct vg_case_version *tmp = NULL;
	struct work w;
	bool *in_topo = NULL;
	size_t *heads_in_group = NULL;
	int rc;

	*out = NULL;
	if ((rc = work_init(&w, items, n)) < 0)
		goto done;
	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (in_topo = calloc(n + 1, sizeof(bool))) == NULL ||
	    (st->persons = calloc(n + 1, sizeof(*st->persons))) == NULL ||
	    (st->events = calloc(n + 1, sizeof(*st->events))) == NULL ||
	    (st->withdrawn_items = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (heads_in_group = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (tmp = calloc(n + 1, sizeof(*tmp))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot derive a case");
		goto done;
	}
	for (size_t k = 0; k < w.ntopo; k++)
		in_topo[w.topo[k]] = true;
	/* Superseders first: a redaction that is itself withdrawn withdraws nothing. */
	for (size_t k = 0; k < w.ntopo; k++) {
		size_t x = w.topo[k];
		if (w.withdrawn[x])
			continue;
		for (size_t e = w.first_edge[x]; e < w.first_edge[x + 1]; e++) {
			size_t t = w.edges[e];
			if (t == SIZE_MAX || !in_topo[t])
				continue;
			if (items[x].type == VG_ENTRY_REDACT)
				w.withdrawn[t] = true;
		}
	}
	/* Corrections: same-kind links group versions; a live correction supersedes. */
	for (size_t x = 0; x < n; x++) {
		enum kind k = kind_of(&items[x]);
		if (items[x].type != VG_ENTRY_CORRECT || !in_topo[x])
			continue;
		for (size_t e = w.first_edge[x]; e < w.first_edge[x + 1]; e++) {
			size_t t = w.edges[e];
			if (t == SIZE_MAX || !in_topo[t] || kind_of(&items[t]) != k)
				continue;
			uf_union(items, w.parent, x, t);
			if (!w.withdrawn[x])
				w.superseded[t] = true;
		}
	}
	st->draft = n > 0;
	st->open = SIZE_MAX;
	for (size_t x = 0; x < n; x++) {
		const struct vg_case_item *it = &items[x];
		enum kind k = kind_of(it);

		if (!it->draft)
			st->draft = false;
		if (it->type == VG_ENTRY_OPEN &&
		    (!st->opened || it->order < items[st->open].order)) {
			st->opened = true;
			st->open = x;
		}
		if (w.withdrawn[x]) {
			st->withdrawn_items[st->nwithdrawn++] = x;
			continue;
		}
		if (w.superseded[x] || k == KIND_OTHER)
			continue;
		struct vg_case_version v = {x, uf_find(w.parent, x), uf_find(w.parent, x), false};
		/* An event whose reporting entry is redacted is withdrawn with its corrections. */
		if (k == KIND_EVENT && items[v.root].type == VG_ENTRY_EVENT && w.withdrawn[v.root])
			continue;
		if (k == KIND_PERSON)
			st->persons[st->npersons++] = v;
		else
			st->events[st->nevents++] = v;
		heads_in_group[v.group]++;
	}
	st->withdrawn = st->opened && w.withdrawn[st->open];
	/* Every person version competes with the others: a case is one person. */
	for (size_t i = 0; i < st->npersons; i++)
		st->persons[i].conflict = st->npersons > 1;
	if (st->npersons > 1)
		st->nconflicts++;
	for (size_t i = 0; i < st->nevents; i++)
		st->events[i].conflict = heads_in_group[st->events[i].group] > 1;
	for (size_t i = 0; i < st->nevents; i++) {
		size_t g = st->events[i].group;
		if (heads_in_group[g] > 1) {
			st->nconflicts++;
			heads_in_group[g] = 0; /* each group once */
		}
	}
	sort_versions(items, st->persons, st->npersons, false);
	merge_sort(items, st->events, tmp, st->nevents);
	if (st->npersons > 0) {
		st->name = items[st->persons[0].item].name;
		st->country = items[st->persons[0].item].country;
	} else if (st->opened) {
		st->name = items[st->open].name;
		st->country = items[st->open].country;
	}
	for (size_t i = 0; i < st->nevents; i++) {
		const struct vg_case_item *it = &items[st->events[i].item];
		if (it->status != NULL)
			st->status = it->status;
		if (it->date[0] != '\0')
			st->last_date = it->date;
	}
	*out = st;
	st = NULL;
done:
	vg_case_state_free(st);
	free(tmp);
	free(in_topo);
	free(heads_in_group);
	work_free(&w);
	return rc;
}

/* ---- JSON ---- */

static int set(json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build a case view");
	return 0;
}

static json_t *hex(const uint8_t *p, size_t n)
{
	char s[2 * VG_ID_BYTES + 1];

	sodium_bin2hex(s, sizeof(s), p, n);
	return json_string(s);
}

static json_t *text_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static int copy_member(json_t *to, const char *key, const json_t *body)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	return set(to, key, json_deep_copy(v));
}

json_t *vg_case_summary(const uint8_t case_id[VG_CASE_ID_BYTES], const struct vg_case_state *st,
			size_t nitems)
{
	json_t *o = json_object();

	if (o == NULL || set(o, "id", hex(case_id, VG_CASE_ID_BYTES)) < 0 ||
	    set(o, "name", text_or_null(st->name)) < 0 ||
	    set(o, "country", text_or_null(st->country)) < 0 ||
	    set(o, "status", text_or_null(st->status)) < 0 ||
	    set(o, "last_date", text_or_null(st->last_date)) < 0 ||
	    set(o, "events", json_integer((json_int_t)st->nevents)) < 0 ||
	    set(o, "entries", json_integer((json_int_t)nitems)) < 0 ||
	    set(o, "conflicts", json_integer((json_int_t)st->nconflicts)) < 0 ||
	    set(o, "draft", json_boolean(st->draft)) < 0 ||
	    set(o, "withdrawn", json_boolean(st->withdrawn)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int need_body(const struct vg_case_item *it)
{
	if (it->body == NULL)
		return vg_error_set(VG_EINVAL, "case view: an entry's body is not loaded");
	return 0;
}

static json_t *event_view(const struct vg_case_item *items, const struct vg_case_version *v)
{
	const struct vg_case_item *it = &items[v->item];
	json_t *o = json_object();

	if (o == NULL || set(o, "entry", hex(it->id, VG_ID_BYTES)) < 0 ||
	    set(o, "reported", hex(items[v->root].id, VG_ID_BYTES)) < 0 ||
	    set(o, "corrected", json_boolean(v->item != v->root)) < 0 ||
	    set(o, "conflict", json_boolean(v->conflict)) < 0 ||
	    copy_member(o, "event", it->body) < 0 || copy_member(o, "source", it->body) < 0 ||
	    copy_member(o, "notes", it->body) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int vg_case_view(json_t **out, const uint8_t case_id[VG_CASE_ID_BYTES],
		 const struct vg_case_item *items, size_t n, const struct vg_case_state *st,
		 size_t first, size_t max)
{
	json_t *o = NULL, *events = NULL, *others = NULL, *gone = NULL;
	size_t end = st->nevents;
	int rc;

	*out = NULL;
	if (max > 0 && first < end && end - first > max)
		end = first + max;
	if (st->opened && (rc = need_body(&items[st->open])) < 0)
		return rc;
	for (size_t i = 0; i < st->npersons; i++)
		if ((rc = need_body(&items[st->persons[i].item])) < 0)
			return rc;
	for (size_t i = first; i < end; i++)
		if ((rc = need_body(&items[st->events[i].item])) < 0)
			return rc;
	o = vg_case_summary(case_id, st, n);
	if (o == NULL || (events = json_array()) == NULL || (others = json_array()) == NULL ||
	    (gone = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build a case view");
		goto done;
	}
	if (st->opened) {
		const json_t *ob = items[st->open].body;
		if ((rc = set(o, "open", hex(items[st->open].id, VG_ID_BYTES))) < 0 ||
		    (rc = copy_member(o, "ref", ob)) < 0 || (rc = copy_member(o, "notes", ob)) < 0)
			goto done;
	} else if ((rc = set(o, "open", json_null())) < 0) {
		goto done;
	}
	if (st->npersons > 0) {
		const struct vg_case_item *p = &items[st->persons[0].item];
		if ((rc = set(o, "person", json_deep_copy(json_object_get(p->body, "person")))) <
			0 ||
		    (rc = set(o, "person_entry", hex(p->id, VG_ID_BYTES))) < 0)
			goto done;
	} else if ((rc = set(o, "person", json_null())) < 0 ||
		   (rc = set(o, "person_entry", json_null())) < 0) {
		goto done;
	}
	for (size_t i = 1; i < st->npersons; i++) {
		const struct vg_case_item *p = &items[st->persons[i].item];
		json_t *c = json_pack("{s:o,s:O}", "entry", hex(p->id, VG_ID_BYTES), "person",
				      json_object_get(p->body, "person"));
		if (c == NULL || json_array_append_new(others, c) < 0) {
			rc = vg_error_set(VG_ENOMEM, "cannot build a case view");
			goto done;
		}
	}
	for (size_t i = first; i < end; i++) {
		json_t *e = event_view(items, &st->events[i]);
		if (e == NULL || json_array_append_new(events, e) < 0) {
			rc = vg_error_set(VG_ENOMEM, "cannot build a case view");
			goto done;
		}
	}
	for (size_t i = 0; i < st->nwithdrawn; i++)
		if (json_array_append_new(gone,
					  hex(items[st->withdrawn_items[i]].id, VG_ID_BYTES)) < 0) {
			rc = vg_error_set(VG_ENOMEM, "cannot build a case view");
			goto done;
		}
	if ((rc = set(o, "person_conflicts", others)) < 0)
		goto done;
	others = NULL;
	/* In a view "events" is the list (a page of it); the summary's count moves. */
	if ((rc = set(o, "events_total", json_integer((json_int_t)st->nevents))) < 0 ||
	    (rc = set(o, "first", json_integer((json_int_t)first))) < 0)
		goto done;
	if ((rc = set(o, "events", events)) < 0)
		goto done;
	events = NULL;
	if ((rc = set(o, "withdrawn_entries", gone)) < 0)
		goto done;
	gone = NULL;
	*out = o;
	o = NULL;
done:
	json_decref(o);
	json_decref(events);
	json_decref(others);
	json_decref(gone);
	return rc;
}

bool vg_case_date_since(const char *x, const char *since)
{
	size_t lx, ls, n;

	if (x == NULL || x[0] == '\0')
		return false;
	if (since == NULL || since[0] == '\0')
		return true;
	lx = strlen(x);
	ls = strlen(since);
	n = lx < ls ? lx : ls;
	return strncmp(x, since, n) >= 0;
}

/* ---- the index's binary form ---- */

#define NO_TEXT 0xffffffffu

static int put_u32(struct vg_buf *out, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	return vg_buf_put(out, b, 4);
}

static int put_text(struct vg_buf *out, const char *s)
{
	int rc;

	if (s == NULL)
		return put_u32(out, NO_TEXT);
	if ((rc = put_u32(out, (uint32_t)strlen(s))) < 0)
		return rc;
	return vg_buf_put(out, s, strlen(s));
}

int vg_case_item_encode(struct vg_buf *out, const uint8_t case_id[VG_CASE_ID_BYTES],
			const struct vg_case_item *item)
{
	uint8_t head[VG_CASE_ID_BYTES + VG_ID_BYTES + 8 + 3];
	size_t o = 0, dl = strlen(item->date);
	int rc;

	if (item->nsupersedes > 255 || dl > VG_CASE_DATE_MAX)
		return vg_error_set(VG_EINVAL, "case item out of range");
	memcpy(head, case_id, VG_CASE_ID_BYTES);
	o += VG_CASE_ID_BYTES;
	memcpy(head + o, item->id, VG_ID_BYTES);
	o += VG_ID_BYTES;
	for (int i = 0; i < 8; i++)
		head[o++] = (uint8_t)(item->order >> (8 * i));
	head[o++] = (uint8_t)item->type;
	head[o++] = item->draft ? 1 : 0;
	head[o++] = (uint8_t)dl;
	if ((rc = vg_buf_put(out, head, o)) < 0 || (rc = vg_buf_put(out, item->date, dl)) < 0 ||
	    (rc = put_text(out, item->status)) < 0 || (rc = put_text(out, item->name)) < 0 ||
	    (rc = put_text(out, item->country)) < 0 ||
	    (rc = vg_buf_putc(out, (uint8_t)item->nsupersedes)) < 0)
		return rc;
	return vg_buf_put(out, item->supersedes, item->nsupersedes * VG_ID_BYTES);
}

static int take(const uint8_t **p, size_t *left, void *to, size_t n)
{
	if (*left < n)
		return vg_error_set(VG_EFORMAT, "case index record is truncated");
	memcpy(to, *p, n);
	*p += n;
	*left -= n;
	return 0;
}

static int take_text(char **out, const uint8_t **p, size_t *left)
{
	uint8_t b[4] = {0};
	uint32_t n;
	int rc;

	*out = NULL;
	if ((rc = take(p, left, b, 4)) < 0)
		return rc;
	n = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	if (n == NO_TEXT)
		return 0;
	if (n > VG_RECORD_TEXT_MAX || n > *left || memchr(*p, 0, n) != NULL)
		return vg_error_set(VG_EFORMAT, "case index record holds a bad text");
	if ((*out = malloc(n + 1)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot read the case index");
	memcpy(*out, *p, n);
	(*out)[n] = '\0';
	*p += n;
	*left -= n;
	return 0;
}

int vg_case_item_decode(struct vg_case_item *item, uint8_t case_id_out[VG_CASE_ID_BYTES],
			const uint8_t **p, size_t *left)
{
	uint8_t order[8] = {0}, tdl[3] = {0}, nsup = 0;
	int rc;

	memset(item, 0, sizeof(*item));
	if ((rc = take(p, left, case_id_out, VG_CASE_ID_BYTES)) < 0 ||
	    (rc = take(p, left, item->id, VG_ID_BYTES)) < 0 || (rc = take(p, left, order, 8)) < 0 ||
	    (rc = take(p, left, tdl, 3)) < 0)
		return rc;
	for (int i = 0; i < 8; i++)
		item->order |= (uint64_t)order[i] << (8 * i);
	if (tdl[0] > VG_ENTRY_UNLINK || tdl[1] > 1 || tdl[2] > VG_CASE_DATE_MAX)
		return vg_error_set(VG_EFORMAT, "case index record is malformed");
	item->type = (enum vg_entry_type)tdl[0];
	item->draft = tdl[1] == 1;
	if ((rc = take(p, left, item->date, tdl[2])) < 0)
		return rc;
	item->date[tdl[2]] = '\0';
	if (memchr(item->date, 0, tdl[2]) != NULL)
		return vg_error_set(VG_EFORMAT, "case index record is malformed");
	if ((rc = take_text(&item->status, p, left)) < 0 ||
	    (rc = take_text(&item->name, p, left)) < 0 ||
	    (rc = take_text(&item->country, p, left)) < 0 || (rc = take(p, left, &nsup, 1)) < 0)
		return rc;
	if (nsup > 16 ||
	    (nsup > 0 && item->type != VG_ENTRY_CORRECT && item->type != VG_ENTRY_REDACT))
		return vg_error_set(VG_EFORMAT, "case index record is malformed");
	if (nsup > 0) {
		if ((item->supersedes = calloc(nsup, VG_ID_BYTES)) == NULL)
			return vg_error_set(VG_ENOMEM, "cannot read the case index");
		if ((rc = take(p, left, item->supersedes, (size_t)nsup * VG_ID_BYTES)) < 0)
			return rc;
		item->nsupersedes = nsup;
	}
	return 0;
}
