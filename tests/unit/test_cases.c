/*
 * A case's state derived from its entries: partial dates in order (unknown last, ties by
 * sequence), corrections replacing what they supersede, two corrections of one entry
 * shown as a conflict (never the last writer alone), redactions withdrawing entries, an
 * event or the whole case, the status of the last event that has one, the view and
 * summary, and the index's binary form with truncated and forged records refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vigil/cases.h"
#include "vigil/error.h"
#include "vigil/vigil.h"

#define MAXI 32

struct fixture {
	struct vg_case_item items[MAXI];
	size_t n;
	uint64_t seq;
};

static const uint8_t case_id[VG_CASE_ID_BYTES] = {0x12, 0x34};

/* Add an entry from its JSON body; returns its index. Ids are the sequence number. */
static size_t add(struct fixture *f, enum vg_entry_type type, const char *json)
{
	json_error_t err;
	json_t *body = json_loads(json, 0, &err);
	uint8_t id[VG_ID_BYTES] = {0};
	size_t i = f->n;

	assert_non_null(body);
	f->seq++;
	id[0] = 0xee;
	id[31] = (uint8_t)f->seq;
	assert_int_equal(vg_case_item_init(&f->items[i], id, f->seq, type, false, body, true), 0);
	json_decref(body);
	f->n++;
	return i;
}

static char *hexid(const struct fixture *f, size_t i)
{
	static char s[4][65];
	static int k;

	k = (k + 1) % 4;
	vg_hex_encode(s[k], f->items[i].id, VG_ID_BYTES);
	return s[k];
}

static void release(struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		vg_case_item_release(&f->items[i]);
}

static struct vg_case_state *derive(struct fixture *f)
{
	struct vg_case_state *st = NULL;

	assert_int_equal(vg_case_derive(&st, f->items, f->n), 0);
	return st;
}

static const char *event_type(const struct fixture *f, const struct vg_case_state *st, size_t i)
{
	return json_string_value(
	    json_object_get(json_object_get(f->items[st->events[i].item].body, "event"), "type"));
}

static size_t open_case(struct fixture *f)
{
	return add(f, VG_ENTRY_OPEN,
		   "{\"person\":{\"name\":\"Ёров Бузургмехр\",\"country\":\"Tajikistan\"},"
		   "\"ref\":\"B-17\"}");
}

static void test_date_order(void **state)
{
	struct fixture f = {0};
	struct vg_case_state *st;

	(void)state;
	open_case(&f);
	add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"unknown-1\",\"status\":\"missing\"}}");
	add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"day\",\"date\":\"2016-10-06\"}}");
	add(&f, VG_ENTRY_EVENT,
	    "{\"event\":{\"type\":\"year\",\"date\":\"2016\",\"status\":\"detained\"}}");
	add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"month\",\"date\":\"2016-10\"}}");
	add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"unknown-2\"}}");
	add(&f, VG_ENTRY_EVENT,
	    "{\"event\":{\"type\":\"later\",\"date\":\"2017-03\",\"status\":\"imprisoned\"}}");
	add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"day-tie\",\"date\":\"2016-10-06\"}}");
	st = derive(&f);
	assert_int_equal(st->nevents, 7);
	const char *want[] = {"year", "month", "day", "day-tie", "later", "unknown-1", "unknown-2"};
	for (size_t i = 0; i < 7; i++)
		assert_string_equal(event_type(&f, st, i), want[i]);
	/* The last event in date order that has a status: "unknown-1" says missing. */
	assert_string_equal(st->status, "missing");
	assert_string_equal(st->last_date, "2017-03");
	assert_string_equal(st->name, "Ёров Бузургмехр");
	assert_string_equal(st->country, "Tajikistan");
	assert_false(st->withdrawn);
	assert_int_equal(st->nconflicts, 0);
	vg_case_state_free(st);
	release(&f);
}

static void test_corrections(void **state)
{
	struct fixture f = {0};
	struct vg_case_state *st;
	char json[512];
	size_t open, e1, e2, c1, c2, p1;

	(void)state;
	open = open_case(&f);
	e1 = add(&f, VG_ENTRY_EVENT,
		 "{\"event\":{\"type\":\"arrest\",\"date\":\"2017-01\",\"status\":\"detained\"}}");
	e2 = add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"trial\",\"date\":\"2016\"}}");
	/* The trial was in 2018, and the person's name is spelt otherwise. */
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"event\":{\"type\":\"trial\",\"date\":\"2018-02\","
		 "\"status\":\"imprisoned\"}}",
		 hexid(&f, e2));
	c1 = add(&f, VG_ENTRY_CORRECT, json);
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"person\":{\"name\":\"Buzurgmehr Yorov\","
		 "\"country\":\"Tajikistan\"}}",
		 hexid(&f, open));
	p1 = add(&f, VG_ENTRY_CORRECT, json);
	st = derive(&f);
	assert_int_equal(st->nevents, 2);
	assert_int_equal(st->events[0].item, e1);
	assert_int_equal(st->events[1].item, c1); /* moved after the arrest by its new date */
	assert_int_equal(st->events[1].root, e2);
	assert_false(st->events[1].conflict);
	assert_string_equal(st->status, "imprisoned");
	assert_string_equal(st->name, "Buzurgmehr Yorov");
	assert_int_equal(st->npersons, 1);
	assert_int_equal(st->persons[0].item, p1);
	vg_case_state_free(st);

	/* A correction of the correction replaces it in turn. */
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"event\":{\"type\":\"trial\",\"date\":\"2018-03\"}}",
		 hexid(&f, c1));
	c2 = add(&f, VG_ENTRY_CORRECT, json);
	st = derive(&f);
	assert_int_equal(st->nevents, 2);
	assert_int_equal(st->events[1].item, c2);
	assert_int_equal(st->events[1].root, e2);
	assert_string_equal(st->status, "detained"); /* the corrected trial says none */
	vg_case_state_free(st);
	release(&f);
}

static void test_conflicts(void **state)
{
	struct fixture f = {0};
	struct vg_case_state *st;
	char json[512];
	size_t open, e1, c1, c2, c3, p1, p2;
	json_t *view = NULL;

	(void)state;
	open = open_case(&f);
	e1 = add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"arrest\",\"date\":\"2017-01\"}}");
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"event\":{\"type\":\"arrest\",\"date\":\"2017-02\"}}",
		 hexid(&f, e1));
	c1 = add(&f, VG_ENTRY_CORRECT, json);
	snprintf(
	    json, sizeof(json),
	    "{\"supersedes\":[\"%s\"],\"event\":{\"type\":\"detention\",\"date\":\"2017-01\"}}",
	    hexid(&f, e1));
	c2 = add(&f, VG_ENTRY_CORRECT, json);
	/* Two people corrected the person too. */
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"person\":{\"name\":\"A\",\"country\":\"TJ\"}}",
		 hexid(&f, open));
	p1 = add(&f, VG_ENTRY_CORRECT, json);
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"person\":{\"name\":\"B\",\"country\":\"TJ\"}}",
		 hexid(&f, open));
	p2 = add(&f, VG_ENTRY_CORRECT, json);
	st = derive(&f);
	/* Both versions of the event and of the person are shown, marked. */
	assert_int_equal(st->nevents, 2);
	assert_true(st->events[0].conflict && st->events[1].conflict);
	assert_int_equal(st->events[0].item, c2); /* 2017-01 before 2017-02 */
	assert_int_equal(st->events[1].item, c1);
	assert_int_equal(st->events[0].group, st->events[1].group);
	assert_int_equal(st->npersons, 2);
	assert_true(st->persons[0].conflict);
	assert_int_equal(st->persons[0].item, p2); /* shown first: the later one */
	assert_int_equal(st->nconflicts, 2);
	assert_int_equal(vg_case_view(&view, case_id, f.items, f.n, st, 0, 0), 0);
	assert_int_equal(json_array_size(json_object_get(view, "events")), 2);
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(view, "events"), 0), "conflict")));
	assert_int_equal(json_array_size(json_object_get(view, "person_conflicts")), 1);
	assert_int_equal(json_integer_value(json_object_get(view, "conflicts")), 2);
	json_decref(view);
	vg_case_state_free(st);

	/* A third correction superseding both resolves the conflict. */
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\",\"%s\"],\"event\":{\"type\":\"arrest\","
		 "\"date\":\"2017-01-15\"}}",
		 hexid(&f, c1), hexid(&f, c2));
	c3 = add(&f, VG_ENTRY_CORRECT, json);
	st = derive(&f);
	assert_int_equal(st->nevents, 1);
	assert_int_equal(st->events[0].item, c3);
	assert_false(st->events[0].conflict);
	assert_int_equal(st->nconflicts, 1); /* the person's remains */
	vg_case_state_free(st);
	(void)p1;
	release(&f);
}

static void test_redactions(void **state)
{
	struct fixture f = {0};
	struct vg_case_state *st;
	char json[512];
	size_t open, e1, e2, c1, r1, r2;
	json_t *view = NULL;

	(void)state;
	open = open_case(&f);
	e1 = add(&f, VG_ENTRY_EVENT,
		 "{\"event\":{\"type\":\"arrest\",\"date\":\"2017-01\",\"status\":\"detained\"}}");
	e2 = add(&f, VG_ENTRY_EVENT,
		 "{\"event\":{\"type\":\"release\",\"date\":\"2017-05\",\"status\":\"released\"}}");
	snprintf(json, sizeof(json),
		 "{\"supersedes\":[\"%s\"],\"event\":{\"type\":\"release\",\"date\":\"2017-06\","
		 "\"status\":\"at liberty\"}}",
		 hexid(&f, e2));
	c1 = add(&f, VG_ENTRY_CORRECT, json);
	/* Withdrawing the correction brings the event back as first reported. */
	snprintf(json, sizeof(json), "{\"supersedes\":[\"%s\"],\"reason\":\"wrong\"}",
		 hexid(&f, c1));
	r1 = add(&f, VG_ENTRY_REDACT, json);
	st = derive(&f);
	assert_int_equal(st->nevents, 2);
	assert_int_equal(st->events[1].item, e2);
	assert_string_equal(st->status, "released");
	assert_int_equal(st->nwithdrawn, 1);
	assert_int_equal(st->withdrawn_items[0], c1);
	vg_case_state_free(st);
	/* Withdrawing the redaction restores the correction. */
	snprintf(json, sizeof(json), "{\"supersedes\":[\"%s\"]}", hexid(&f, r1));
	r2 = add(&f, VG_ENTRY_REDACT, json);
	st = derive(&f);
	assert_int_equal(st->events[1].item, c1);
	assert_string_equal(st->status, "at liberty");
	vg_case_state_free(st);
	/* Withdrawing the reported release withdraws it with its correction. */
	snprintf(json, sizeof(json), "{\"supersedes\":[\"%s\"]}", hexid(&f, e2));
	add(&f, VG_ENTRY_REDACT, json);
	st = derive(&f);
	assert_int_equal(st->nevents, 1);
	assert_int_equal(st->events[0].item, e1);
	assert_string_equal(st->status, "detained");
	assert_false(st->withdrawn);
	vg_case_state_free(st);
	/* Withdrawing the open entry withdraws the case. */
	snprintf(json, sizeof(json), "{\"supersedes\":[\"%s\"]}", hexid(&f, open));
	add(&f, VG_ENTRY_REDACT, json);
	st = derive(&f);
	assert_true(st->withdrawn);
	assert_string_equal(st->name, "Ёров Бузургмехр"); /* still named, for show */
	assert_int_equal(vg_case_view(&view, case_id, f.items, f.n, st, 0, 0), 0);
	assert_true(json_is_true(json_object_get(view, "withdrawn")));
	json_decref(view);
	vg_case_state_free(st);
	(void)r2;
	release(&f);
}

static void test_ignored_links(void **state)
{
	struct fixture f = {0};
	struct vg_case_state *st;
	char json[512];
	size_t open, e1;

	(void)state;
	open = open_case(&f);
	e1 = add(&f, VG_ENTRY_EVENT, "{\"event\":{\"type\":\"arrest\"}}");
	/* An event correction naming the open entry, and one naming an unknown id. */
	snprintf(json, sizeof(json), "{\"supersedes\":[\"%s\"],\"event\":{\"type\":\"x\"}}",
		 hexid(&f, open));
	add(&f, VG_ENTRY_CORRECT, json);
	add(&f, VG_ENTRY_CORRECT,
	    "{\"supersedes\":[\"0000000000000000000000000000000000000000000000000000000000000001\"]"
	    ","
	    "\"event\":{\"type\":\"y\"}}");
	st = derive(&f);
	/* The person stays; the arrest stays; both corrections stand alone as events. */
	assert_int_equal(st->npersons, 1);
	assert_int_equal(st->persons[0].item, open);
	assert_int_equal(st->nevents, 3);
	assert_int_equal(st->events[0].item, e1);
	vg_case_state_free(st);
	release(&f);
}

static void test_view_pages(void **state)
{
	struct fixture f = {0};
	struct vg_case_state *st;
	json_t *view = NULL, *s;
	char json[128];

	(void)state;
	open_case(&f);
	for (int i = 0; i < 10; i++) {
		snprintf(json, sizeof(json), "{\"event\":{\"type\":\"e%d\",\"date\":\"20%02d\"}}",
			 i, 10 + i);
		add(&f, VG_ENTRY_EVENT, json);
	}
	st = derive(&f);
	assert_int_equal(vg_case_view(&view, case_id, f.items, f.n, st, 4, 3), 0);
	assert_int_equal(json_array_size(json_object_get(view, "events")), 3);
	assert_int_equal(json_integer_value(json_object_get(view, "events_total")), 10);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(view, "events"), 0), "event"),
		"type")),
	    "e4");
	assert_string_equal(json_string_value(json_object_get(view, "ref")), "B-17");
	json_decref(view);
	s = vg_case_summary(case_id, st, f.n);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "id")),
			    "12340000000000000000000000000000");
	assert_int_equal(json_integer_value(json_object_get(s, "events")), 10);
	assert_string_equal(json_string_value(json_object_get(s, "last_date")), "2019");
	json_decref(s);
	/* A view needs the bodies of what it shows. */
	json_decref(f.items[3].body);
	f.items[3].body = NULL;
	assert_int_equal(vg_case_view(&view, case_id, f.items, f.n, st, 0, 0), VG_EINVAL);
	vg_case_state_free(st);
	release(&f);
}

static void test_binary_form(void **state)
{
	struct fixture f = {0};
	struct vg_buf b = VG_BUF_INIT;
	struct vg_case_item back;
	uint8_t cid[VG_CASE_ID_BYTES];
	const uint8_t *p;
	size_t left;
	char json[256];

	(void)state;
	open_case(&f);
	add(&f, VG_ENTRY_EVENT,
	    "{\"event\":{\"type\":\"arrest\",\"date\":\"2017-01\","
	    "\"status\":\"detained\"}}");
	snprintf(json, sizeof(json), "{\"supersedes\":[\"%s\"]}", hexid(&f, 1));
	add(&f, VG_ENTRY_REDACT, json);
	for (size_t i = 0; i < f.n; i++)
		assert_int_equal(vg_case_item_encode(&b, case_id, &f.items[i]), 0);
	p = b.ptr;
	left = b.len;
	for (size_t i = 0; i < f.n; i++) {
		assert_int_equal(vg_case_item_decode(&back, cid, &p, &left), 0);
		assert_memory_equal(cid, case_id, sizeof(cid));
		assert_memory_equal(back.id, f.items[i].id, VG_ID_BYTES);
		assert_int_equal(back.order, f.items[i].order);
		assert_int_equal(back.type, f.items[i].type);
		assert_string_equal(back.date, f.items[i].date);
		assert_int_equal(back.nsupersedes, f.items[i].nsupersedes);
		assert_true((back.name == NULL) == (f.items[i].name == NULL));
		vg_case_item_release(&back);
	}
	assert_int_equal(left, 0);
	/* Every truncation is refused, never read past. */
	for (size_t cut = 0; cut < b.len; cut++) {
		int rc = 0;
		p = b.ptr;
		left = cut;
		while (left > 0 && (rc = vg_case_item_decode(&back, cid, &p, &left)) == 0)
			vg_case_item_release(&back);
		vg_case_item_release(&back);
		if (cut != 0 && left != 0)
			assert_int_equal(rc, VG_EFORMAT);
	}
	/* A forged type byte is refused. */
	b.ptr[VG_CASE_ID_BYTES + VG_ID_BYTES + 8] = 9;
	p = b.ptr;
	left = b.len;
	assert_int_equal(vg_case_item_decode(&back, cid, &p, &left), VG_EFORMAT);
	vg_case_item_release(&back);
	vg_buf_release(&b);
	release(&f);
}

static void test_since(void **state)
{
	(void)state;
	assert_true(vg_case_date_since("2017-03", "2017-03-15"));
	assert_true(vg_case_date_since("2017", "2017-12-31"));
	assert_true(vg_case_date_since("2018-01-01", "2017"));
	assert_false(vg_case_date_since("2016-12", "2017"));
	assert_false(vg_case_date_since(NULL, "2017"));
	assert_false(vg_case_date_since("", "2017"));
}

static void test_bad_body(void **state)
{
	struct vg_case_item it;
	uint8_t id[VG_ID_BYTES] = {1};
	json_t *body = json_pack("{s:{s:s}}", "person", "name", "no country");

	(void)state;
	assert_int_equal(vg_case_item_init(&it, id, 1, VG_ENTRY_OPEN, false, body, false),
			 VG_EFORMAT);
	vg_case_item_release(&it);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_date_order),	  cmocka_unit_test(test_corrections),
	    cmocka_unit_test(test_conflicts),	  cmocka_unit_test(test_redactions),
	    cmocka_unit_test(test_ignored_links), cmocka_unit_test(test_view_pages),
	    cmocka_unit_test(test_binary_form),	  cmocka_unit_test(test_since),
	    cmocka_unit_test(test_bad_body),
	};

	if (vg_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
