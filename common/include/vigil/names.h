/*
 * Names of people in any script made comparable, and probable duplicate cases.
 *
 * A coordinator receives the same person from several monitors, spelled differently:
 * "Ёров Бузургмехр" and "Buzurgmehr Yorov", "Azimjan" and "Azimzhan". vg_name_key turns a
 * name into a key in which such variants coincide; vg_names_duplicates finds pairs of cases
 * that probably describe one person. Pure: no I/O, no globals, no clock; thread-safe as long
 * as threads do not share arguments.
 *
 * Normalisation (vg_name_key), in this order:
 * 1. The name is strict UTF-8 of at most VG_NAME_MAX bytes (VG_ELIMIT beyond), without NUL
 *    (VG_EFORMAT for NUL or invalid UTF-8: overlong forms, surrogates, > U+10FFFF).
 * 2. Each character is lower-cased and written in lower-case Latin by a written table:
 *    - Cyrillic: Russian (ж zh, х kh, ц ts, ч ch, ш sh, щ shch, ё yo, й y, ы y, ю yu, я ya,
 *      ъ and ь dropped), Kazakh (ә a, ғ gh, қ q, ң ng, ө o, ұ u, ү u, һ h, і i), Kyrgyz
 *      (ң ө ү), Tajik (ғ gh, ӣ i, қ q, ӯ u, ҳ h, ҷ j), Ukrainian, Belarusian and Serbian
 *      letters;
 *    - Latin: diacritics stripped (é e, ö o, ı i, ä a, ə a, ñ n, ß ss, æ ae, ø o, ...),
 *      except the letters that stand for a digraph in Central Asian and Slavic Latin
 *      alphabets: š and ş sh, č and ç ch, ž zh;
 *    - apostrophes and their look-alikes (' ` ´ ‘ ’ ʻ ʼ ʹ ʺ), combining marks and invisible
 *      format characters (zero-width, soft hyphen, bidi controls) are dropped inside a word:
 *      in Tajik and Uzbek transliteration an apostrophe stands for ъ or ʻ within one word
 *      (Маъруф = Ma'ruf = Maruf, Gʻulom = Gulom);
 *    - spaces, hyphens, dots and every other punctuation or control character separate
 *      words; digits stay;
 *    - a character of any other script (Greek, Arabic, CJK, ...) is kept as it is.
 * 3. Each word is folded to a skeleton in which transliteration variants coincide:
 *    y → i (й y/i, ы y/i); x → ks; w → v; q → k; then left to right, longest first:
 *    shch → sh, dzh → j, tch → ch, zh → j, dj → j (ж and дж: zh/j/dzh/dj), kh → h (х and ҳ),
 *    gh → g (ғ), tz → ts, ng → n (ң), ou → u, io → e (ё: yo/io/e, so Fyodor = Fedor),
 *    ie → e (е: ye/e, -yev/-iev/-ev); finally doubled letters are single (Asset = Aset,
 *    Dmitriy = Dmitry = Dmitrii).
 * 4. The key is the skeletons sorted (strcmp) and joined by one space, so word order does
 *    not count: both names above give "buzurgmehr erov". A name without a letter or digit
 *    gives "".
 *
 * Words of a name, for duplicates:
 * - an initial is a word whose skeleton is one letter, or two letters followed by a dot
 *   ("B.", "Sh.");
 * - a patronymic is a word whose skeleton ends in -ovich/-evich/-ovna/-evna (Russian), or
 *   -uli/-kizi/-ogli/-ugli/-ulu (Kazakh ұлы/қызы, Uzbek o‘g‘li, Kyrgyz уулу) written
 *   onto the father's name, or the word before such a particle written apart
 *   ("Sarsen uly"); it is compared by its stem (the father's name);
 * - every other word is a full word.
 *
 * Duplicate rules (vg_names_duplicates). Two cases are a probable pair when their countries
 * have the same key (compared like names, so "Kazakhstan" = "Казахстан"; a case without a
 * country pairs with nothing) and one of these holds between any name of one (name or
 * other_names) and any name of the other:
 * - same full name: the same full words as multisets, at least two of them (or one plus an
 *   equal patronymic), no initials, and patronymics equal or present in one name only.
 *   Different given names are different people (Seytkazy Matayev and Asset Matayev are two).
 * - a weaker match: initials standing for the other's full words ("B. Yorov" for "Buzurgmehr
 *   Yorov", at least one full word shared, same number of words), or the same single word
 *   ("Yorov" and "Ёров"). A weaker match counts only when the two cases also have events
 *   whose dates overlap.
 * Different patronymics (father's names) never match. Events overlap when two dates, one of
 * each case, agree at the precision both have ("2017" and "2017-03-15"; unknown dates never
 * overlap). A pair is reported once, by the best match: full names before weaker matches,
 * then the cases' main names before other names.
 *
 * Cost: the names are bucketed by their full-word key (one sort, O(n log n)); initials are
 * looked up through an index of full words, and a word shared by more than
 * VG_NAMES_BUCKET_MAX names is not searched for initials (the weaker rule then misses pairs;
 * full-name pairs are always found). At most VG_NAMES_PAIRS_MAX candidate pairs and
 * VG_NAMES_WORK_MAX comparisons of two names are made (VG_ELIMIT beyond: thousands of people
 * of one name in one country).
 */
#ifndef VIGIL_NAMES_H
#define VIGIL_NAMES_H

#include <stddef.h>

#include <jansson.h>

#include "vigil/buf.h"

#define VG_NAME_MAX	    4096 /* bytes of one name, as FORMAT.md's "text" */
#define VG_NAMES_BUCKET_MAX 1000
#define VG_NAMES_PAIRS_MAX  1000000
#define VG_NAMES_WORK_MAX   20000000

/*
 * Write the key of name (len bytes, UTF-8, need not be NUL-terminated) into out, replacing
 * its contents; out->ptr is NUL-terminated as every vg_buf. VG_EFORMAT (invalid UTF-8 or a
 * NUL byte), VG_ELIMIT (over VG_NAME_MAX bytes), VG_ENOMEM; out is left empty on failure.
 * Messages never quote the name.
 */
int vg_name_key(struct vg_buf *out, const char *name, size_t len)
    __attribute__((warn_unused_result));

/*
 * Probable duplicates among cases, a JSON array of objects:
 *
 *   {"id": "<case id, hex>", "name": "<text>", "other_names": ["<text>", ...],
 *    "country": "<text>", "events": [{"date": "YYYY[-MM[-DD]]" or null, "type": "<text>"}]}
 *
 * id and name are required, other members optional (absent or null: none); other members
 * are ignored. Ids must be distinct. On success *out is a new JSON array (owned by the
 * caller) of
 *
 *   {"cases": [ID-A, ID-B], "names": [NAME-A, NAME-B], "reason": "<text>"}
 *
 * with ID-A < ID-B (strcmp), names the cases' main names, sorted by ID-A then ID-B. The
 * reason says which rule matched, with the two names that matched as written, then "same
 * country" and the most precise overlapping date, for instance "same name across scripts,
 * in another word order (Ёров Бузургмехр ~ Buzurgmehr Yorov), same country, overlapping
 * events 2017-03". VG_EFORMAT (a case of the wrong shape, a duplicate id, a name that is
 * not valid text: the message names the case id, never a name), VG_ELIMIT, VG_ENOMEM.
 */
int vg_names_duplicates(json_t **out, const json_t *cases) __attribute__((warn_unused_result));

#endif
