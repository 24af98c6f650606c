/*
 * Name keys across scripts and transliterations, and probable duplicates: on the project's
 * demo spreadsheets (exactly Yorov and Askarov, never the Matayevs), on a synthetic set of
 * Central Asian spellings, on bad input, and on 100,000 cases (the rate is printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/names.h"
#include "vigil/record.h"
#include "vigil/vigil.h"

static char *key_of(const char *name)
{
	struct vg_buf b = VG_BUF_INIT;
	char *s;

	assert_int_equal(vg_name_key(&b, name, strlen(name)), 0);
	s = strdup(b.ptr != NULL ? (const char *)b.ptr : "");
	assert_non_null(s);
	vg_buf_release(&b);
	return s;
}

/* Every name of a group has the key of the first. */
static void assert_same_key(const char *const *names)
{
	char *first = key_of(names[0]);

	for (size_t i = 1; names[i] != NULL; i++) {
		char *k = key_of(names[i]);
		if (strcmp(first, k) != 0)
			fail_msg("'%s' gives '%s' but '%s' gives '%s'", names[0], first, names[i],
				 k);
		free(k);
	}
	free(first);
}

static void assert_key(const char *name, const char *want)
{
	char *k = key_of(name);

	if (strcmp(k, want) != 0)
		fail_msg("'%s' gives '%s', want '%s'", name, k, want);
	free(k);
}

static void test_key_variants(void **state)
{
	static const char *const groups[][6] = {
	    /* The demo's two people, across scripts and word orders. */
	    {"Ёров Бузургмехр", "Buzurgmehr Yorov", "Бузургмехр Ёров", "YOROV Buzurgmekhr",
	     "Еров Бузургмехр", NULL},
	    {"Azimjan Askarov", "Azimzhan Askarov", "Азимжан Аскаров", "Askarov, Azimdzhan", NULL},
	    /* Russian letters and their usual spellings. */
	    {"Фёдор", "Fyodor", "Fedor", "Федор", "Fiodor", NULL},
	    {"Евгений Сергеев", "Yevgeniy Sergeyev", "Evgeny Sergeev", "Evgenii Sergeiev", NULL},
	    {"Дмитрий", "Dmitry", "Dmitrii", "Dmitriy", "Dmitri", NULL},
	    {"Юсуф", "Yusuf", "Iusuf", NULL},
	    {"Хасанов", "Khasanov", "Hasanov", NULL},
	    {"Алиев", "Aliev", "Aliyev", NULL},
	    {"Жанболат", "Zhanbolat", "Janbolat", NULL},
	    {"Джамшед", "Jamshed", "Dzhamshed", "Djamshed", NULL},
	    {"Цой", "Tsoy", "Tsoi", "Tzoi", NULL},
	    {"Шухрат Чориев", "Shukhrat Choriev", "Shuhrat Choriyev", NULL},
	    {"Яхё", "Yakhyo", "Yahyo", "Iakhio", NULL},
	    {"Мария", "Maria", "Mariya", "Mariia", NULL},
	    {"Александр", "Aleksandr", "Alexandr", NULL},
	    {"Seytkazy", "Сейтказы", "Seitkazy", NULL},
	    {"Yeleusinov", "Елеусинов", "Eleusinov", NULL},
	    /* Kazakh. */
	    {"Нұрсұлтан", "Nursultan", NULL},
	    {"Әсет", "Aset", "Asset", "Ässet", NULL},
	    {"Қайрат", "Kairat", "Qairat", "Kayrat", "Кайрат", NULL},
	    {"Ғалым", "Galym", "Ghalym", NULL},
	    {"Мыңбай", "Mynbay", "Myngbay", "Mynbai", NULL},
	    {"Өмірбек", "Omirbek", "Ömirbek", NULL},
	    {"Үмбетов", "Umbetov", "Ümbetov", NULL},
	    {"Іслам", "Islam", NULL},
	    {"Һәкім", "Hakim", NULL},
	    /* Kyrgyz. */
	    {"Үсөнбаев", "Usonbaev", "Üsönbayev", NULL},
	    {"Төңкөрбек", "Tonkorbek", "Töngkörbek", NULL},
	    /* Tajik. */
	    {"Ғафуров", "Gafurov", "Ghafurov", "G'afurov", NULL},
	    {"Раҳмон", "Rahmon", "Rakhmon", NULL},
	    {"Ҷамшед", "Jamshed", NULL},
	    {"Қодирӣ", "Qodiri", "Kodiri", NULL},
	    {"Ӯрунов", "Urunov", NULL},
	    {"Маъруф", "Ma'ruf", "Maruf", "Ma’ruf", NULL},
	    /* Latin diacritics, Uzbek and Turkic letters. */
	    {"Gʻulom", "G‘ulom", "Gulom", "Ғулом", NULL},
	    {"Šukurov", "Shukurov", "Шукуров", NULL},
	    {"Çelik", "Chelik", NULL},
	    {"José Müller", "Jose Muller", "JOSÉ MÜLLER", NULL},
	    /* Word separators and invisible characters. */
	    {"Abdul-Aziz", "Abdul Aziz",
	     "Abdul\xe2\x80\x93"
	     "Aziz",
	     "Abdul\xc2\xa0"
	     "Aziz",
	     "Ab\xe2\x80\x8b"
	     "dul Aziz",
	     NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		assert_same_key(groups[i]);
	assert_key("Ёров Бузургмехр", "buzurgmehr erov");
	assert_key("Seytkazy Matayev", "mataev seitkazi");
	assert_key("Asset Matayev", "aset mataev");
	assert_key("", "");
	assert_key(" -- . , ", "");
	assert_key("ъ Ь. ь-ъ", ""); /* signs only: no word */
	assert_key("李明", "李明");
	assert_key("B. Yorov", "b erov");
	assert_key("Agent 007", "007 agent");
}

static void test_key_different(void **state)
{
	static const char *const pairs[][2] = {
	    {"Seytkazy Matayev", "Asset Matayev"},
	    {"Aziz Askarov", "Aziza Askarov"},
	    {"Alisher", "Alisher Usmanov"},
	    {"Ivan Petrov", "Ivan Petrova"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *a = key_of(pairs[i][0]), *b = key_of(pairs[i][1]);
		if (strcmp(a, b) == 0)
			fail_msg("'%s' and '%s' both give '%s'", pairs[i][0], pairs[i][1], a);
		free(a);
		free(b);
	}
}

static void test_key_bad_input(void **state)
{
	static const char *const bad[] = {
	    "\xff",	"Ivan \xc0\x80", "\xed\xa0\x80",	 "\xf4\x90\x80\x80", "trunc \xd0",
	    "\xe2\x82", "\x80",		 "\xf8\x88\x80\x80\x80", "ok\xd0\x90\xd0",   "\xc1\xbf",
	};
	struct vg_buf b = VG_BUF_INIT;
	char big[VG_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vg_name_key(&b, bad[i], strlen(bad[i])), VG_EFORMAT);
		assert_int_equal(b.len, 0);
	}
	assert_int_equal(vg_name_key(&b, "Iv\0an", 5), VG_EFORMAT);
	/* The message never quotes the name. */
	assert_null(strstr(vg_error_last(), "Iv"));

	memset(big, 'a', sizeof(big));
	assert_int_equal(vg_name_key(&b, big, VG_NAME_MAX + 1), VG_ELIMIT);
	assert_int_equal(vg_name_key(&b, big, VG_NAME_MAX), 0);
	assert_int_equal(b.len, 1); /* doubled letters are single */
	/* The widest expansion: щ (2 bytes) gives "shch" before folding. */
	for (size_t i = 0; i + 1 < VG_NAME_MAX; i += 2)
		memcpy(big + i, "\xd1\x89", 2);
	assert_int_equal(vg_name_key(&b, big, VG_NAME_MAX), 0);
	assert_int_equal(b.len, 2 * VG_NAME_MAX / 2);
	assert_memory_equal(b.ptr, "shshsh", 6);
	/* 2048 words of one letter each: every one an initial. */
	for (size_t i = 0; i + 1 < VG_NAME_MAX; i += 2)
		memcpy(big + i, i % 4 ? "b " : "a ", 2);
	assert_int_equal(vg_name_key(&b, big, VG_NAME_MAX), 0);
	assert_int_equal(b.len, 2 * 2048 - 1);
	vg_buf_release(&b);
}

/* ---- duplicates ---- */

static struct vg_import *import_demo(const char *name)
{
	char path[4096];
	struct vg_buf b = VG_BUF_INIT;
	struct vg_csv *csv = NULL;
	struct vg_import *imp = NULL;
	const char *src = getenv("VIGIL_SOURCE_DIR");

	VGT_REQUIRE(src != NULL, "VIGIL_SOURCE_DIR is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/packaging/demo/%s", src, name);
	assert_int_equal(vg_fs_read_file(&b, path, VG_CSV_FILE_MAX), 0);
	assert_int_equal(vg_csv_parse(&csv, b.ptr, b.len), 0);
	assert_int_equal(vg_import_from_csv(&imp, csv), 0);
	vg_csv_free(csv);
	vg_buf_release(&b);
	return imp;
}

/*
 * The duplicate finder's input from an import: ids are the monitor's letter then the
 * spreadsheet's case_ref in hex digits of its characters, so they sort as the refs do.
 */
static void add_import(json_t *cases, const struct vg_import *imp, char monitor)
{
	for (size_t i = 0; i < imp->ncases; i++) {
		const json_t *open = imp->cases[i].open, *person = json_object_get(open, "person");
		const char *ref = json_string_value(json_object_get(open, "ref"));
		json_t *events = json_array(), *others = json_object_get(person, "other_names");
		char id[33];

		snprintf(id, sizeof(id), "%c%031x", monitor, (unsigned)i);
		for (size_t k = 0; k < imp->cases[i].nevents; k++) {
			const json_t *ev = json_object_get(imp->cases[i].events[k], "event");
			json_array_append_new(events, json_pack("{s:O?,s:O}", "date",
								json_object_get(ev, "date"), "type",
								json_object_get(ev, "type")));
		}
		json_array_append_new(
		    cases,
		    json_pack("{s:s,s:s,s:o,s:O,s:o,s:s}", "id", id, "name",
			      json_string_value(json_object_get(person, "name")), "other_names",
			      others != NULL ? others : json_array(), "country",
			      json_object_get(person, "country"), "events", events, "ref", ref));
	}
}

static const char *ref_of(const json_t *cases, const char *id)
{
	for (size_t i = 0; i < json_array_size(cases); i++) {
		const json_t *c = json_array_get(cases, i);
		if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
			return json_string_value(json_object_get(c, "ref"));
	}
	return "?";
}

static void print_pairs(const json_t *cases, const json_t *dups)
{
	for (size_t i = 0; i < json_array_size(dups); i++) {
		const json_t *d = json_array_get(dups, i), *ids = json_object_get(d, "cases");
		print_message("  %s / %s: %s\n",
			      ref_of(cases, json_string_value(json_array_get(ids, 0))),
			      ref_of(cases, json_string_value(json_array_get(ids, 1))),
			      json_string_value(json_object_get(d, "reason")));
	}
}

static void assert_pair(const json_t *cases, const json_t *d, const char *ref_a, const char *ref_b,
			const char *reason)
{
	const json_t *ids = json_object_get(d, "cases");

	assert_non_null(d);
	assert_string_equal(ref_of(cases, json_string_value(json_array_get(ids, 0))), ref_a);
	assert_string_equal(ref_of(cases, json_string_value(json_array_get(ids, 1))), ref_b);
	assert_string_equal(json_string_value(json_object_get(d, "reason")), reason);
}

static void test_demo_duplicates(void **state)
{
	struct vg_import *a = import_demo("monitor-a.csv"), *b = import_demo("monitor-b.csv");
	json_t *cases = json_array(), *dups = NULL, *d;

	(void)state;
	add_import(cases, a, 'a');
	add_import(cases, b, 'b');
	assert_int_equal(json_array_size(cases), 18);
	assert_int_equal(vg_names_duplicates(&dups, cases), 0);
	print_message("demo: %zu probable duplicates among 18 cases\n", json_array_size(dups));
	print_pairs(cases, dups);
	/* Exactly Askarov and Yorov; the Matayevs (KZ-007, KZ-008) are two people. */
	assert_int_equal(json_array_size(dups), 2);
	assert_pair(cases, json_array_get(dups, 0), "KG-001", "B-18",
		    "same name in another spelling (Azimjan Askarov ~ Azimzhan Askarov), same "
		    "country, overlapping events 2017-01");
	assert_pair(cases, json_array_get(dups, 1), "TJ-001", "B-17",
		    "same name across scripts, in another word order (Buzurgmehr Yorov ~ Ёров "
		    "Бузургмехр), same country, overlapping events 2017-03");
	d = json_array_get(dups, 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "names"), 0)),
			    "Buzurgmehr Yorov");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "names"), 1)),
			    "Ёров Бузургмехр");
	json_decref(dups);

	/* Order of the input does not matter. */
	{
		json_t *rev = json_array();
		for (size_t i = json_array_size(cases); i-- > 0;)
			json_array_append(rev, json_array_get(cases, i));
		assert_int_equal(vg_names_duplicates(&dups, rev), 0);
		assert_int_equal(json_array_size(dups), 2);
		assert_pair(cases, json_array_get(dups, 0), "KG-001", "B-18",
			    "same name in another spelling (Azimjan Askarov ~ Azimzhan Askarov), "
			    "same country, overlapping events 2017-01");
		json_decref(dups);
		json_decref(rev);
	}
	json_decref(cases);
	vg_import_free(a);
	vg_import_free(b);
}

static json_t *mk(const char *ref, const char *name, const char *others, const char *country,
		  const char *date)
{
	json_t *o = json_array(), *ev = json_array();
	char id[33];

	/* Refs are 3 characters; the id spells them in hex, so ids sort as refs do. */
	snprintf(id, sizeof(id), "%02x%02x%02x%026d", (unsigned char)ref[0], (unsigned char)ref[1],
		 (unsigned char)ref[2], 0);
	if (others != NULL)
		json_array_append_new(o, json_string(others));
	if (date != NULL)
		json_array_append_new(ev, json_pack("{s:s,s:s}", "date", date, "type", "arrest"));
	return json_pack("{s:s,s:s,s:o,s:s?,s:o,s:s}", "id", id, "name", name, "other_names", o,
			 "country", country, "events", ev, "ref", ref);
}

static void test_synthetic_duplicates(void **state)
{
	json_t *cases = json_array(), *dups = NULL;
	size_t i = 0;

	(void)state;
	/* Kazakh letters, another script, a country written in Cyrillic. */
	json_array_append_new(cases, mk("c01", "Qairat Umbetov", NULL, "Kazakhstan", NULL));
	json_array_append_new(cases, mk("c02", "Қайрат Үмбетов", NULL, "Kazakhstan", "2015"));
	json_array_append_new(cases, mk("c03", "Kairat Umbetov", NULL, "Казахстан", NULL));
	/* Tajik letters; the same name in another country is another person. */
	json_array_append_new(cases, mk("c04", "Ғафуров Раҳмон", NULL, "Tajikistan", NULL));
	json_array_append_new(cases, mk("c05", "Rakhmon Gafurov", NULL, "Tajikistan", NULL));
	json_array_append_new(cases, mk("c06", "Rakhmon Gafurov", NULL, "Uzbekistan", NULL));
	/* Initials count only with overlapping events. */
	json_array_append_new(cases, mk("c07", "B. Yorov", NULL, "Tajikistan", "2016-10"));
	json_array_append_new(cases,
			      mk("c08", "Buzurgmehr Yorov", NULL, "Tajikistan", "2016-10-06"));
	json_array_append_new(cases, mk("c09", "A. Yorov", NULL, "Tajikistan", "2016-10"));
	json_array_append_new(cases, mk("c10", "Sh. Nazarov", NULL, "Tajikistan", "2015"));
	json_array_append_new(cases, mk("c11", "Shavkat Nazarov", NULL, "Tajikistan", "2015-05"));
	json_array_append_new(cases, mk("c12", "S. Nazarov", NULL, "Tajikistan", "2014"));
	/* Empty names pair with nothing, nor does a case without a country. */
	json_array_append_new(cases, mk("c13", "", NULL, "Kyrgyzstan", "2015"));
	json_array_append_new(cases, mk("c14", " -- ", NULL, "Kyrgyzstan", "2015"));
	json_array_append_new(cases, mk("c15", "Kairat Umbetov", NULL, NULL, "2015"));
	/* Patronymics: in one name only, equal, or different fathers. */
	json_array_append_new(cases, mk("c16", "Иванов Пётр Сергеевич", NULL, "Russia", NULL));
	json_array_append_new(cases, mk("c17", "Pyotr Ivanov", NULL, "Russia", NULL));
	json_array_append_new(cases, mk("c18", "Petr Nikolaevich Ivanov", NULL, "Russia", NULL));
	json_array_append_new(cases,
			      mk("c19", "Нұрлан Сәрсенұлы Әбдіров", NULL, "Kazakhstan", NULL));
	json_array_append_new(cases,
			      mk("c20", "Nurlan Sarsen uly Abdirov", NULL, "Kazakhstan", NULL));
	/* One word each: with overlapping events only. */
	json_array_append_new(cases, mk("c21", "Yorov", NULL, "Tajikistan", "2017-03"));
	json_array_append_new(cases, mk("c22", "Ёров", NULL, "Tajikistan", "2017-03-02"));
	json_array_append_new(cases, mk("c23", "Yorov", NULL, "Tajikistan", "2016"));
	/* Same surname and year, other given names: two people. */
	json_array_append_new(cases, mk("c24", "Aidos Serikbayev", NULL, "Kazakhstan", "2016"));
	json_array_append_new(cases, mk("c25", "Erlan Serikbaev", NULL, "Kazakhstan", "2016"));
	/* Matched through another name; reported once. */
	json_array_append_new(
	    cases, mk("c26", "Aziza Abdirasulova", "Азиза Абдирасулова", "Kyrgyzstan", NULL));
	json_array_append_new(cases, mk("c27", "Абдирасулова Азиза", NULL, "Kyrgyzstan", NULL));

	assert_int_equal(vg_names_duplicates(&dups, cases), 0);
	print_message("synthetic: %zu probable duplicates among %zu cases\n", json_array_size(dups),
		      json_array_size(cases));
	print_pairs(cases, dups);
#define PAIR(a, b, r) assert_pair(cases, json_array_get(dups, i++), a, b, r)
	PAIR("c01", "c02",
	     "same name across scripts (Qairat Umbetov ~ Қайрат Үмбетов), same "
	     "country, no overlapping event dates");
	PAIR("c01", "c03",
	     "same name in another spelling (Qairat Umbetov ~ Kairat Umbetov), "
	     "same country, no overlapping event dates");
	PAIR("c02", "c03",
	     "same name across scripts (Қайрат Үмбетов ~ Kairat Umbetov), same "
	     "country, no overlapping event dates");
	PAIR("c04", "c05",
	     "same name across scripts, in another word order (Ғафуров Раҳмон ~ "
	     "Rakhmon Gafurov), same country, no overlapping event dates");
	PAIR("c07", "c08",
	     "same name with initials (B. Yorov ~ Buzurgmehr Yorov), same country, "
	     "overlapping events 2016-10");
	PAIR("c10", "c11",
	     "same name with initials (Sh. Nazarov ~ Shavkat Nazarov), same "
	     "country, overlapping events 2015");
	PAIR("c16", "c17",
	     "same name across scripts, in another word order (Иванов Пётр "
	     "Сергеевич ~ Pyotr Ivanov), patronymic in one record only, same "
	     "country, no overlapping event dates");
	PAIR("c17", "c18",
	     "same name in another spelling (Pyotr Ivanov ~ Petr Nikolaevich "
	     "Ivanov), patronymic in one record only, same country, no overlapping "
	     "event dates");
	PAIR("c19", "c20",
	     "same name across scripts (Нұрлан Сәрсенұлы Әбдіров ~ Nurlan Sarsen "
	     "uly Abdirov), same country, no overlapping event dates");
	PAIR("c21", "c22",
	     "same single name (Yorov ~ Ёров), same country, overlapping events "
	     "2017-03");
	PAIR("c26", "c27",
	     "same name across scripts, in another word order (Aziza Abdirasulova ~ "
	     "Абдирасулова Азиза), same country, no overlapping event dates");
#undef PAIR
	assert_int_equal(json_array_size(dups), i);
	json_decref(dups);
	json_decref(cases);
}

static void expect_bad(json_t *cases, int code)
{
	json_t *dups = NULL;

	assert_int_equal(vg_names_duplicates(&dups, cases), code);
	assert_null(dups);
	json_decref(cases);
}

static void test_duplicates_bad_input(void **state)
{
	json_t *dups = NULL;

	(void)state;
	expect_bad(json_object(), VG_EFORMAT);
	expect_bad(json_pack("[i]", 1), VG_EFORMAT);
	expect_bad(json_pack("[{s:s}]", "name", "A B"), VG_EFORMAT);
	expect_bad(json_pack("[{s:s}]", "id", "ab"), VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:i}]", "id", "ab", "name", 3), VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:s,s:s}]", "id", "ab", "name", "A B", "other_names", "C"),
		   VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:s,s:[i]}]", "id", "ab", "name", "A B", "other_names", 1),
		   VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:s,s:[{s:s}]}]", "id", "ab", "name", "A B", "events", "date",
			     "2016-02-30"),
		   VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:s,s:[i]}]", "id", "ab", "name", "A B", "events", 1),
		   VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:s},{s:s,s:s}]", "id", "ab", "name", "A B", "id", "ab", "name",
			     "C D"),
		   VG_EFORMAT);
	expect_bad(json_pack("[{s:s,s:s#}]", "id", "ab", "name", "A\0B", (size_t)3), VG_EFORMAT);
	assert_null(strstr(vg_error_last(), "A"));
	/* Nothing in, nothing out. */
	{
		json_t *none = json_array();
		assert_int_equal(vg_names_duplicates(&dups, none), 0);
		assert_int_equal(json_array_size(dups), 0);
		json_decref(dups);
		json_decref(none);
	}
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * 100,000 cases with names drawn from syllables, and 100 people reported twice in another
 * script and word order. Every planted pair is found; chance namesakes in one country are
 * reported too, as the rules say. Prints the rate; not a timing test.
 */
static void test_duplicates_scale(void **state)
{
	static const char *const given[] = {"Azamat",  "Bakyt",	 "Dilshod", "Erlan",  "Farrukh",
					    "Gulnara", "Ilhom",	 "Jamshed", "Kairat", "Lola",
					    "Murat",   "Nodira", "Olim",    "Parviz", "Rustam",
					    "Saule",   "Timur",	 "Umid",    "Vali",   "Zarina"};
	static const char *const syl[] = {"ka",	 "ra",	"bek", "sul", "ta", "no",  "mi",  "dor",
					  "gul", "sha", "ri",  "zan", "to", "lo",  "ve",  "khan",
					  "bu",	 "ja",	"ti",  "pa",  "mu", "ser", "dil", "yor"};
	static const char *const countries[] = {"Kazakhstan", "Kyrgyzstan", "Tajikistan",
						"Uzbekistan", "Turkmenistan"};
	const size_t n = 100000, planted = 100;
	json_t *cases = json_array(), *dups = NULL;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	struct timespec t0, t1;
	size_t found = 0;
	double secs;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		char name[128], id[33], sur[64] = "";
		const char *g = given[rng_next(&seed) % 20];
		for (int k = 0; k < 4; k++)
			strcat(sur, syl[rng_next(&seed) % 24]);
		sur[0] = (char)(sur[0] - 'a' + 'A');
		snprintf(name, sizeof(name), "%s %sov", g, sur);
		if (i >= n - planted)
			snprintf(name, sizeof(name), "Планted%zu Ёров", i);
		snprintf(id, sizeof(id), "%032zx", i);
		json_array_append_new(
		    cases, json_pack("{s:s,s:s,s:s,s:[{s:s}]}", "id", id, "name", name, "country",
				     countries[rng_next(&seed) % 5], "events", "date", "2016-10"));
	}
	/* The planted people, again, as another monitor writes them. */
	for (size_t i = n - planted; i < n; i++) {
		char name[128], id[33];
		json_t *orig = json_array_get(cases, i);
		snprintf(name, sizeof(name), "Yorov Plantéd%zu", i);
		snprintf(id, sizeof(id), "f%031zx", i);
		json_array_append_new(cases,
				      json_pack("{s:s,s:s,s:O}", "id", id, "name", name, "country",
						json_object_get(orig, "country")));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(vg_names_duplicates(&dups, cases), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (size_t i = 0; i < json_array_size(dups); i++) {
		const char *b = json_string_value(
		    json_array_get(json_object_get(json_array_get(dups, i), "cases"), 1));
		if (b[0] == 'f')
			found++;
		else if (found < 3)
			print_message("  %s\n", json_string_value(json_object_get(
						    json_array_get(dups, i), "reason")));
	}
	print_message("scale: %zu cases, %zu probable duplicates (%zu planted found) in %.2f s: "
		      "%.0f cases/s\n",
		      json_array_size(cases), json_array_size(dups), found, secs,
		      (double)json_array_size(cases) / secs);
	assert_int_equal(found, planted);
	json_decref(dups);
	json_decref(cases);
}

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_variants),
	    cmocka_unit_test(test_key_different),
	    cmocka_unit_test(test_key_bad_input),
	    cmocka_unit_test(test_demo_duplicates),
	    cmocka_unit_test(test_synthetic_duplicates),
	    cmocka_unit_test(test_duplicates_bad_input),
	    cmocka_unit_test(test_duplicates_scale),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
