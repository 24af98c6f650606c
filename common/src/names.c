#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/names.h"
#include "vigil/record.h"

/*
 * The transliteration is a written table rather than ICU: ICU's transliterators are a large
 * dependency (tens of megabytes of data) for the few hundred letters monitors' records use,
 * and its Cyrillic-Latin rules follow ISO 9, not the spellings Central Asian names appear in.
 * libunistring lower-cases but does not transliterate. The tables below cover Latin-1,
 * Latin Extended-A and the Cyrillic letters of Russian, Kazakh, Kyrgyz, Tajik, Uzbek,
 * Ukrainian, Belarusian and Serbian; any other character is kept as it is.
 *
 * Names are case data: working copies live in ordinary heap memory (sodium_malloc costs
 * pages and system calls per allocation, far too much for 10^5 names) and are wiped with
 * sodium_memzero before they are freed. No name ever reaches an error message.
 */

/* Latin-1 Supplement and Latin Extended-A, U+00C0..U+017F, lower case, diacritics gone. */
/* clang-format off */
static const char *const latin_tab[0x180 - 0xc0] = {
    /* C0 */ "a", "a", "a", "a", "a", "a", "ae", "ch", "e", "e", "e", "e", "i", "i", "i", "i",
    /* D0 */ "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "ss",
    /* E0 */ "a", "a", "a", "a", "a", "a", "ae", "ch", "e", "e", "e", "e", "i", "i", "i", "i",
    /* F0 */ "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y", "th", "y",
    /* 100 */ "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "ch", "ch", "d", "d",
    /* 110 */ "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    /* 120 */ "g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    /* 130 */ "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    /* 140 */ "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    /* 150 */ "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "sh", "sh",
    /* 160 */ "sh", "sh", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    /* 170 */ "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "zh", "zh", "s",
};

/* Cyrillic а..я (U+0430..U+044F); А..Я are 0x20 below. */
static const char *const cyr_basic[32] = {
    "a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
    "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
};

/* ѐ..џ (U+0450..U+045F); Ѐ..Џ are 0x50 below. */
static const char *const cyr_ext[16] = {
    "e", "yo", "dj", "g", "ye", "dz", "i", "yi", "j", "lj", "nj", "c", "k", "i", "u", "dzh",
};
/* clang-format on */

/* Letters of the national alphabets beyond Russian, both cases. */
static const struct {
	uint32_t upper;
	const char *latin;
} cyr_national[] = {
    {0x0490, "g"},  /* Ґ ґ Ukrainian */
    {0x0492, "gh"}, /* Ғ ғ Kazakh, Tajik, Uzbek */
    {0x049a, "q"},  /* Қ қ Kazakh, Tajik, Uzbek */
    {0x04a0, "q"},  /* Ҡ ҡ Bashkir */
    {0x04a2, "ng"}, /* Ң ң Kazakh, Kyrgyz */
    {0x04ae, "u"},  /* Ү ү Kazakh, Kyrgyz */
    {0x04b0, "u"},  /* Ұ ұ Kazakh */
    {0x04b2, "h"},  /* Ҳ ҳ Tajik, Uzbek */
    {0x04b6, "j"},  /* Ҷ ҷ Tajik */
    {0x04ba, "h"},  /* Һ һ Kazakh */
    {0x04d8, "a"},  /* Ә ә Kazakh */
    {0x04e2, "i"},  /* Ӣ ӣ Tajik */
    {0x04e8, "o"},  /* Ө ө Kazakh, Kyrgyz */
    {0x04ee, "u"},  /* Ӯ ӯ Tajik */
};

enum cls { C_LETTERS, C_COPY, C_DROP, C_SEP, C_DOT };

/*
 * Classify code point cp: C_LETTERS with *out the lower-case Latin to write, C_COPY to keep
 * the character as it is (another script), C_DROP to ignore it inside a word, C_SEP or C_DOT
 * (a separator that marks an initial) between words.
 */
static enum cls classify(uint32_t cp, const char **out, char one[2], bool *cyrillic, bool *latin)
{
	*out = NULL;
	if (cp < 0x80) {
		if (cp >= 'A' && cp <= 'Z')
			cp += 'a' - 'A';
		if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
			one[0] = (char)cp;
			one[1] = '\0';
			*out = one;
			*latin = *latin || cp >= 'a';
			return C_LETTERS;
		}
		if (cp == '\'' || cp == '`')
			return C_DROP;
		return cp == '.' ? C_DOT : C_SEP;
	}
	if (cp >= 0xc0 && cp < 0x180) {
		*out = latin_tab[cp - 0xc0];
		*latin = *latin || *out != NULL;
		return *out != NULL ? C_LETTERS : C_SEP;
	}
	if (cp >= 0x400 && cp < 0x530) {
		*cyrillic = true;
		if (cp >= 0x410 && cp < 0x430)
			cp += 0x20;
		else if (cp < 0x410)
			cp += 0x50;
		if (cp >= 0x430 && cp < 0x450)
			*out = cyr_basic[cp - 0x430];
		else if (cp >= 0x450 && cp < 0x460)
			*out = cyr_ext[cp - 0x450];
		else
			for (size_t i = 0; i < sizeof(cyr_national) / sizeof(cyr_national[0]); i++)
				if ((cp & ~1u) == cyr_national[i].upper)
					*out = cyr_national[i].latin;
		/* ъ, ь and the palochka are marks, not sounds: no word of their own. */
		if (cp == 0x4c0 || cp == 0x4cf || (*out != NULL && (*out)[0] == '\0'))
			return C_DROP;
		return *out != NULL ? C_LETTERS : C_COPY;
	}
	switch (cp) {
	case 0x18f: /* Ə ə: Azerbaijani, Kazakh Latin */
	case 0x259:
		*out = "a";
		*latin = true;
		return C_LETTERS;
	case 0x1e6: /* Ǧ ǧ, Ǵ ǵ */
	case 0x1e7:
	case 0x1f4:
	case 0x1f5:
		*out = "g";
		*latin = true;
		return C_LETTERS;
	case 0xb4:  /* ´ */
	case 0x2b9: /* ʹ ʺ: primes standing for ь and ъ */
	case 0x2ba:
	case 0x2bb:  /* ʻ Uzbek oʻ gʻ */
	case 0x2bc:  /* ʼ */
	case 0x2018: /* ‘ ’ */
	case 0x2019:
	case 0x2032: /* ′ */
	case 0xad:   /* soft hyphen */
	case 0xfeff: /* zero-width no-break space */
		return C_DROP;
	}
	if (cp >= 0x300 && cp < 0x370) /* combining diacritical marks */
		return C_DROP;
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f))
		return C_DROP; /* zero-width and bidi controls */
	if (cp < 0xa0 || cp == 0xd7 || cp == 0xf7 || (cp >= 0xa0 && cp < 0xc0) ||
	    (cp >= 0x2000 && cp < 0x2070) || cp == 0x2212 || (cp >= 0x3000 && cp < 0x3004))
		return C_SEP; /* controls, spaces, dashes, punctuation */
	return C_COPY;
}

/* Decode one strict UTF-8 character at s[*i]; -1 when invalid. */
static int utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp)
{
	uint8_t c = s[*i];
	size_t k;
	uint32_t v, lo = 0x80, hi = 0xbf;

	if (c < 0x80) {
		*cp = c;
		*i += 1;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf)
		k = 1, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 2, v = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 3, v = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return -1;
	if (len - *i <= k)
		return -1;
	for (size_t j = 1; j <= k; j++) {
		uint8_t b = s[*i + j];
		if (b < (j == 1 ? lo : 0x80) || b > (j == 1 ? hi : 0xbf))
			return -1;
		v = (v << 6) | (b & 0x3f);
	}
	*cp = v;
	*i += k + 1;
	return 0;
}

enum { W_FULL, W_INITIAL, W_PATR, W_PARTICLE };

struct word {
	const char *raw;  /* transliterated, lower case */
	const char *fold; /* skeleton */
	const char *stem; /* a patronymic's stem, else fold */
	int kind;
	bool dot; /* directly followed by a dot */
};

/* A name taken apart. Text lives in buf: raw words, folded words, stems, keys. */
struct name {
	struct vg_buf buf;
	struct word *w; /* in written order */
	size_t n;
	const char **full, **init, **patr; /* sorted: fold, fold, stem */
	size_t nfull, ninit, npatr;
	const char *fullkey; /* full words sorted, joined by ' ' */
	const char *allkey;  /* every word sorted, joined by ' ' (vg_name_key) */
	bool cyrillic, latin;
};

static void name_release(struct name *nm)
{
	vg_buf_release(&nm->buf);
	free(nm->w);
	free(nm->full);
	memset(nm, 0, sizeof(*nm));
}

/* Make runs of one ASCII letter a single letter in s[0..n); returns the new length. */
static size_t collapse(char *s, size_t n)
{
	size_t w = 0;

	for (size_t r = 0; r < n; r++)
		if (w == 0 || s[r] != s[w - 1] || s[r] < 'a' || s[r] > 'z')
			s[w++] = s[r];
	return w;
}

/*
 * Fold the word at offset raw_off of out (NUL-terminated) into a skeleton appended to out,
 * NUL-terminated.
 */
static int fold_word(struct vg_buf *out, size_t raw_off)
{
	static const struct {
		const char *from, *to;
	} rules[] = {
	    {"shch", "sh"}, {"dzh", "j"}, {"tch", "ch"}, {"zh", "j"}, {"dj", "j"}, {"kh", "h"},
	    {"gh", "g"},    {"tz", "ts"}, {"ng", "n"},	 {"ou", "u"}, {"io", "e"}, {"ie", "e"},
	};
	size_t start = out->len, n;
	char *s;
	int rc;

	/* Letter for letter: y → i, x → ks, w → v, q → k; at most twice as long. */
	n = strlen((const char *)out->ptr + raw_off);
	if ((rc = vg_buf_grow(out, 2 * n + 1)) < 0)
		return rc;
	for (const char *p = (const char *)out->ptr + raw_off; *p != '\0'; p++) {
		const char *t = *p == 'y'   ? "i"
				: *p == 'x' ? "ks"
				: *p == 'w' ? "v"
				: *p == 'q' ? "k"
					    : NULL;
		rc = t != NULL ? vg_buf_puts(out, t) : vg_buf_putc(out, (uint8_t)*p);
		if (rc < 0)
			return rc;
	}
	/*
	 * Doubled letters are single before the digraph rules (Aliyev gives aliiev, then aliev,
	 * as Алиев does) and after them. The rules never lengthen the text, so they rewrite it
	 * in place.
	 */
	s = (char *)out->ptr + start;
	n = collapse(s, out->len - start);
	size_t r = 0, w = 0;
	while (r < n) {
		size_t k;
		for (k = 0; k < sizeof(rules) / sizeof(rules[0]); k++) {
			size_t fl = strlen(rules[k].from);
			if (n - r >= fl && memcmp(s + r, rules[k].from, fl) == 0) {
				size_t tl = strlen(rules[k].to);
				memmove(s + w, rules[k].to, tl);
				w += tl;
				r += fl;
				break;
			}
		}
		if (k == sizeof(rules) / sizeof(rules[0]))
			s[w++] = s[r++];
	}
	w = collapse(s, w);
	vg_buf_truncate(out, start + w);
	return vg_buf_putc(out, '\0');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Stem of a patronymic written in one word (fold), or 0 when it is none. */
static size_t patronymic_stem(const char *fold)
{
	static const char *const suffixes[] = {"ovich", "evich", "ovna", "evna", "uli",
					       "ulu",	"kizi",	 "ogli", "ugli", "oglu"};
	size_t n = strlen(fold);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);
		if (n >= k + 3 && strcmp(fold + n - k, suffixes[i]) == 0)
			return n - k;
	}
	return 0;
}

static bool is_particle(const char *fold)
{
	static const char *const particles[] = {"uli", "ulu", "kizi", "ogli", "ugli", "oglu"};

	for (size_t i = 0; i < sizeof(particles) / sizeof(particles[0]); i++)
		if (strcmp(fold, particles[i]) == 0)
			return true;
	return false;
}

/* Append the words (sorted) joined by ' ' and a NUL to b; returns the offset. */
static int join_words(struct vg_buf *b, size_t *off, const char **words, size_t n)
{
	int rc = 0;

	*off = b->len;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = vg_buf_putc(b, ' ');
		if (rc == 0)
			rc = vg_buf_puts(b, words[i]);
	}
	return rc < 0 ? rc : vg_buf_putc(b, '\0');
}

/* Take name apart (see names.h). On failure nm is released. */
static int name_parse(struct name *nm, const char *name, size_t len)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t *raw_off = NULL, *fold_off = NULL, *stem_off = NULL, nw = 0, cap = 0;
	size_t fullkey_off = 0, allkey_off = 0, i = 0;
	bool in_word = false;
	const char **all = NULL;
	int rc = 0;

	memset(nm, 0, sizeof(*nm));
	vg_buf_init(&nm->buf);
	if (len > VG_NAME_MAX) {
		rc = vg_error_set(VG_ELIMIT, "name longer than %d bytes", VG_NAME_MAX);
		goto done;
	}
	/* Pass 1: raw words, each NUL-terminated, with whether a dot follows. */
	while (i < len) {
		uint32_t cp;
		const char *latin;
		char one[2];
		size_t start = i;
		enum cls c;

		if (s[i] == 0 || utf8_next(s, len, &i, &cp) < 0) {
			rc = vg_error_set(VG_EFORMAT, "name is not valid UTF-8 text");
			goto done;
		}
		c = classify(cp, &latin, one, &nm->cyrillic, &nm->latin);
		if (c == C_DROP)
			continue;
		if (c == C_SEP || c == C_DOT) {
			if (in_word) {
				if ((rc = vg_buf_putc(&nm->buf, '\0')) < 0)
					goto done;
				in_word = false;
				if (c == C_DOT)
					nm->w[nw - 1].dot = true;
			}
			continue;
		}
		if (!in_word) {
			if (nw == cap) {
				size_t ncap = cap == 0 ? 8 : cap * 2;
				struct word *nwp = realloc(nm->w, ncap * sizeof(*nwp));
				size_t *no =
				    nwp != NULL ? realloc(raw_off, ncap * sizeof(*no)) : NULL;
				if (nwp != NULL)
					nm->w = nwp;
				if (no == NULL) {
					rc = vg_error_set(VG_ENOMEM, "out of memory");
					goto done;
				}
				raw_off = no;
				cap = ncap;
			}
			memset(&nm->w[nw], 0, sizeof(nm->w[nw]));
			raw_off[nw++] = nm->buf.len;
			in_word = true;
		}
		rc = c == C_COPY ? vg_buf_put(&nm->buf, name + start, i - start)
				 : vg_buf_puts(&nm->buf, latin);
		if (rc < 0)
			goto done;
	}
	if (in_word && (rc = vg_buf_putc(&nm->buf, '\0')) < 0)
		goto done;
	nm->n = nw;

	/* Pass 2: skeletons, then kinds and stems. */
	fold_off = calloc(nw + 1, sizeof(*fold_off));
	stem_off = calloc(nw + 1, sizeof(*stem_off));
	if (fold_off == NULL || stem_off == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < nw; k++) {
		fold_off[k] = nm->buf.len;
		if ((rc = fold_word(&nm->buf, raw_off[k])) < 0)
			goto done;
	}
	for (size_t k = 0; k < nw; k++) {
		const char *f = (const char *)nm->buf.ptr + fold_off[k];
		size_t fl = strlen(f), stem;

		stem_off[k] = fold_off[k];
		if ((fl == 1 && !(f[0] >= '0' && f[0] <= '9')) || (fl == 2 && nm->w[k].dot)) {
			nm->w[k].kind = W_INITIAL;
		} else if (is_particle(f)) {
			nm->w[k].kind = W_PARTICLE;
			if (k > 0 && nm->w[k - 1].kind == W_FULL)
				nm->w[k - 1].kind = W_PATR;
		} else if ((stem = patronymic_stem(f)) > 0) {
			nm->w[k].kind = W_PATR;
			stem_off[k] = nm->buf.len;
			/* Room first: f points into the buffer. */
			if ((rc = vg_buf_grow(&nm->buf, stem + 1)) < 0)
				goto done;
			f = (const char *)nm->buf.ptr + fold_off[k];
			if ((rc = vg_buf_put(&nm->buf, f, stem)) < 0 ||
			    (rc = vg_buf_putc(&nm->buf, '\0')) < 0)
				goto done;
		}
	}

	/*
	 * The keys appended below take at most as much room again as the text so far: reserve
	 * it now, so that the buffer no longer moves and pointers into it stay valid.
	 */
	if ((rc = vg_buf_grow(&nm->buf, 2 * (nm->buf.len + 2))) < 0)
		goto done;
	nm->full = calloc(2 * nw + 1, sizeof(*nm->full));
	if (nm->full == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < nw; k++) {
		nm->w[k].raw = (const char *)nm->buf.ptr + raw_off[k];
		nm->w[k].fold = (const char *)nm->buf.ptr + fold_off[k];
		nm->w[k].stem = (const char *)nm->buf.ptr + stem_off[k];
	}
	/* One array: full words, then initials, then stems; all words after them. */
	all = nm->full + nw;
	for (size_t k = 0; k < nw; k++)
		if (nm->w[k].kind == W_FULL)
			nm->full[nm->nfull++] = nm->w[k].fold;
	nm->init = nm->full + nm->nfull;
	for (size_t k = 0; k < nw; k++)
		if (nm->w[k].kind == W_INITIAL)
			nm->init[nm->ninit++] = nm->w[k].fold;
	nm->patr = nm->init + nm->ninit;
	for (size_t k = 0; k < nw; k++)
		if (nm->w[k].kind == W_PATR)
			nm->patr[nm->npatr++] = nm->w[k].stem;
	for (size_t k = 0; k < nw; k++)
		all[k] = nm->w[k].fold;
	qsort(nm->full, nm->nfull, sizeof(*nm->full), cmp_str);
	qsort(nm->init, nm->ninit, sizeof(*nm->init), cmp_str);
	qsort(nm->patr, nm->npatr, sizeof(*nm->patr), cmp_str);
	qsort(all, nw, sizeof(*all), cmp_str);
	if ((rc = join_words(&nm->buf, &fullkey_off, nm->full, nm->nfull)) < 0 ||
	    (rc = join_words(&nm->buf, &allkey_off, all, nw)) < 0)
		goto done;
	nm->fullkey = (const char *)nm->buf.ptr + fullkey_off;
	nm->allkey = (const char *)nm->buf.ptr + allkey_off;
done:
	free(raw_off);
	free(fold_off);
	free(stem_off);
	if (rc < 0)
		name_release(nm);
	return rc;
}

int vg_name_key(struct vg_buf *out, const char *name, size_t len)
{
	struct name nm;
	int rc;

	vg_buf_clear(out);
	if (name == NULL && len > 0)
		return vg_error_set(VG_EINVAL, "no name given");
	if ((rc = name_parse(&nm, name != NULL ? name : "", len)) < 0)
		return rc;
	rc = vg_buf_puts(out, nm.allkey);
	name_release(&nm);
	if (rc < 0)
		vg_buf_clear(out);
	return rc;
}

/* ---- duplicates ---- */

enum match { M_NONE, M_FULL, M_INITIALS, M_SINGLE };

/* Whether sorted string arrays a and b are equal. */
static bool same_words(const char **a, size_t na, const char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/*
 * Match the words rest[0..nrest) (full words of one name that the other lacks) against
 * initials init[0..ninit) of the other, marking used initials; longer initials first
 * ("sh" before "s").
 */
static bool cover_by_initials(const char **rest, size_t nrest, const char **init, size_t ninit,
			      bool *used)
{
	for (size_t r = 0; r < nrest; r++) {
		size_t best = SIZE_MAX, bestlen = 0;
		for (size_t k = 0; k < ninit; k++) {
			size_t il = strlen(init[k]);
			if (!used[k] && il > bestlen && strncmp(rest[r], init[k], il) == 0)
				best = k, bestlen = il;
		}
		if (best == SIZE_MAX)
			return false;
		used[best] = true;
	}
	return true;
}

/* The rules of names.h between two names; *patr_one when only one has a patronymic. */
static int name_match(enum match *m, bool *patr_one, const struct name *x, const struct name *y)
{
	const char **rx = NULL, **ry = NULL;
	bool *ux = NULL, *uy = NULL;
	size_t nrx = 0, nry = 0, common = 0, i = 0, j = 0;
	int rc = 0;

	*m = M_NONE;
	*patr_one = (x->npatr > 0) != (y->npatr > 0);
	if (x->npatr > 0 && y->npatr > 0 && !same_words(x->patr, x->npatr, y->patr, y->npatr))
		return 0;
	if (x->ninit == 0 && y->ninit == 0) {
		size_t total = x->nfull;
		if (x->nfull == 0 || !same_words(x->full, x->nfull, y->full, y->nfull))
			return 0;
		if (x->npatr > 0 && y->npatr > 0)
			total += x->npatr;
		*m = total >= 2 ? M_FULL : M_SINGLE;
		return 0;
	}
	if (x->nfull + x->ninit != y->nfull + y->ninit)
		return 0;
	rx = malloc((x->nfull + 1) * sizeof(*rx));
	ry = malloc((y->nfull + 1) * sizeof(*ry));
	ux = calloc(x->ninit + 1, sizeof(*ux));
	uy = calloc(y->ninit + 1, sizeof(*uy));
	if (rx == NULL || ry == NULL || ux == NULL || uy == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	/* Full words both have (multiset intersection of sorted arrays), and the rest. */
	while (i < x->nfull || j < y->nfull) {
		int c = i == x->nfull ? 1 : j == y->nfull ? -1 : strcmp(x->full[i], y->full[j]);
		if (c == 0)
			common++, i++, j++;
		else if (c < 0)
			rx[nrx++] = x->full[i++];
		else
			ry[nry++] = y->full[j++];
	}
	if (common == 0 || !cover_by_initials(rx, nrx, y->init, y->ninit, uy) ||
	    !cover_by_initials(ry, nry, x->init, x->ninit, ux))
		goto done;
	/* The initials left over stand for each other. */
	for (i = 0, j = 0;; i++, j++) {
		while (i < x->ninit && ux[i])
			i++;
		while (j < y->ninit && uy[j])
			j++;
		if (i == x->ninit || j == y->ninit) {
			if (i == x->ninit && j == y->ninit)
				*m = M_INITIALS;
			break;
		}
		if (strcmp(x->init[i], y->init[j]) != 0)
			break;
	}
done:
	free(rx);
	free(ry);
	free(ux);
	free(uy);
	return rc;
}

struct dcase {
	const char *id;
	const char *name;
	struct name country;
	const char **dates;
	size_t ndates;
};

struct dvar {
	size_t c; /* case index */
	size_t v; /* 0: the case's name; 1..: its other names */
	const char *text;
	const char *country; /* the case's country key */
	struct name nm;
};

struct cand {
	size_t a, b; /* cases, ids a < b */
	const struct dvar *x, *y;
	enum match m;
	bool patr_one;
};

struct finder {
	struct dcase *cases;
	size_t ncases;
	struct dvar *vars;
	size_t nvars;
	struct cand *cands;
	size_t ncands, cands_cap;
	size_t work; /* names compared */
};

static int add_cand(struct finder *f, const struct dvar *x, const struct dvar *y)
{
	enum match m;
	bool patr_one;
	int rc;

	if (++f->work > VG_NAMES_WORK_MAX)
		return vg_error_set(VG_ELIMIT, "more than %d names to compare", VG_NAMES_WORK_MAX);
	if (x->c == y->c || x->country[0] == '\0' || strcmp(x->country, y->country) != 0)
		return 0;
	if ((rc = name_match(&m, &patr_one, &x->nm, &y->nm)) < 0 || m == M_NONE)
		return rc;
	if (f->ncands == f->cands_cap && f->cands_cap >= VG_NAMES_PAIRS_MAX)
		return vg_error_set(VG_ELIMIT, "more than %d probable duplicate pairs",
				    VG_NAMES_PAIRS_MAX);
	if ((rc = vg_array_reserve(&f->cands, &f->cands_cap, f->ncands, sizeof(*f->cands), 64,
				   "list of probable duplicates")) < 0)
		return rc;
	/* Cases are indexed in id order (see vg_names_duplicates). */
	if (x->c > y->c) {
		const struct dvar *t = x;
		x = y;
		y = t;
	}
	f->cands[f->ncands++] = (struct cand){x->c, y->c, x, y, m, patr_one};
	return 0;
}

static int cmp_var_fullkey(const void *a, const void *b)
{
	const struct dvar *x = *(const struct dvar *const *)a, *y = *(const struct dvar *const *)b;
	int c = strcmp(x->nm.fullkey, y->nm.fullkey);

	if (c == 0)
		c = strcmp(x->country, y->country);
	if (c != 0)
		return c;
	return x->c != y->c ? (x->c < y->c ? -1 : 1) : (x->v < y->v ? -1 : x->v > y->v);
}

struct posting {
	const char *word;
	const struct dvar *var;
};

static int cmp_posting(const void *a, const void *b)
{
	const struct posting *x = a, *y = b;
	int c = strcmp(x->word, y->word);

	if (c != 0)
		return c;
	return x->var < y->var ? -1 : x->var > y->var;
}

/* Rank: better matches first (smaller). */
static int cand_rank(const struct cand *c)
{
	int main_names = (c->x->v == 0) + (c->y->v == 0);
	return (int)c->m * 8 + (2 - main_names) * 2 + c->patr_one;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	if (cand_rank(x) != cand_rank(y))
		return cand_rank(x) - cand_rank(y);
	if (x->x->v != y->x->v)
		return x->x->v < y->x->v ? -1 : 1;
	return x->y->v < y->y->v ? -1 : x->y->v > y->y->v;
}

/* The most precise date on which events of cases a and b overlap, into out; 0 if none. */
static size_t overlap(char out[16], const struct dcase *a, const struct dcase *b)
{
	size_t best = 0;

	out[0] = '\0';
	for (size_t i = 0; i < a->ndates; i++)
		for (size_t j = 0; j < b->ndates; j++) {
			size_t la = strlen(a->dates[i]), lb = strlen(b->dates[j]);
			size_t l = la < lb ? la : lb;
			if (strncmp(a->dates[i], b->dates[j], l) != 0)
				continue;
			if (l > best || (l == best && strncmp(a->dates[i], out, l) < 0)) {
				memcpy(out, a->dates[i], l);
				out[l] = '\0';
				best = l;
			}
		}
	return best;
}

/* Whether two names are written in the same order, word for word (full words). */
static bool same_order(const struct name *x, const struct name *y)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < x->n && x->w[i].kind != W_FULL)
			i++;
		while (j < y->n && y->w[j].kind != W_FULL)
			j++;
		if (i == x->n || j == y->n)
			return i == x->n && j == y->n;
		if (strcmp(x->w[i].fold, y->w[j].fold) != 0)
			return false;
		i++, j++;
	}
}

/* Whether the full words of two names are spelled alike, ignoring order. */
static int same_spelling(bool *same, const struct name *x, const struct name *y)
{
	const char **a;
	size_t na = 0, nb = 0;

	*same = x->nfull == y->nfull;
	if (!*same)
		return 0;
	a = calloc(2 * x->nfull + 1, sizeof(*a));
	if (a == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (size_t i = 0; i < x->n; i++)
		if (x->w[i].kind == W_FULL)
			a[na++] = x->w[i].raw;
	for (size_t i = 0; i < y->n; i++)
		if (y->w[i].kind == W_FULL)
			a[x->nfull + nb++] = y->w[i].raw;
	qsort(a, na, sizeof(*a), cmp_str);
	qsort(a + na, nb, sizeof(*a), cmp_str);
	*same = same_words(a, na, a + na, nb);
	free(a);
	return 0;
}

static int reason(struct vg_buf *r, const struct finder *f, const struct cand *c, bool *keep)
{
	const struct name *x = &c->x->nm, *y = &c->y->nm;
	char date[16];
	size_t ov = overlap(date, &f->cases[c->a], &f->cases[c->b]);
	int rc = 0;

	*keep = c->m == M_FULL || ov > 0;
	if (!*keep)
		return 0;
	vg_buf_clear(r);
	if (c->m == M_FULL) {
		bool cross = x->cyrillic != y->cyrillic || x->latin != y->latin, spelled = true;
		bool order = same_order(x, y);
		if (!cross && (rc = same_spelling(&spelled, x, y)) < 0)
			return rc;
		rc = vg_buf_puts(r, "same name");
		if (rc == 0 && cross)
			rc = vg_buf_puts(r, " across scripts");
		if (rc == 0 && !cross && !spelled)
			rc = vg_buf_puts(r, " in another spelling");
		if (rc == 0 && !order)
			rc = vg_buf_puts(r, cross || !spelled ? ", in another word order"
							      : " in another word order");
	} else {
		rc = vg_buf_puts(r, c->m == M_INITIALS ? "same name with initials"
						       : "same single name");
	}
	if (rc == 0 && strcmp(c->x->text, c->y->text) == 0)
		rc = vg_buf_printf(r, " (%s)", c->x->text);
	else if (rc == 0)
		rc = vg_buf_printf(r, " (%s ~ %s)", c->x->text, c->y->text);
	if (rc == 0 && c->patr_one)
		rc = vg_buf_puts(r, ", patronymic in one record only");
	if (rc == 0)
		rc = vg_buf_puts(r, ", same country");
	if (rc == 0)
		rc = ov > 0 ? vg_buf_printf(r, ", overlapping events %s", date)
			    : vg_buf_puts(r, ", no overlapping event dates");
	return rc;
}

static void finder_release(struct finder *f)
{
	for (size_t i = 0; i < f->ncases; i++) {
		name_release(&f->cases[i].country);
		free(f->cases[i].dates);
	}
	for (size_t i = 0; i < f->nvars; i++)
		name_release(&f->vars[i].nm);
	free(f->cases);
	free(f->vars);
	free(f->cands);
}

static int cmp_case_id(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
		      json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

/* A text member of case obj: absent or null gives NULL; another type is an error. */
static int text_member(const char **out, size_t *len, const json_t *obj, const char *key,
		       const char *id)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	*len = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return vg_error_set(VG_EFORMAT, "case '%s': '%s' is not a string", id, key);
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

static int load_case(struct finder *f, size_t ci, const json_t *obj)
{
	struct dcase *dc = &f->cases[ci];
	const json_t *others = json_object_get(obj, "other_names"),
		     *events = json_object_get(obj, "events");
	const char *country;
	size_t clen, nlen;
	int rc;

	dc->id = json_string_value(json_object_get(obj, "id"));
	if ((rc = text_member(&dc->name, &nlen, obj, "name", dc->id)) < 0)
		return rc;
	if (dc->name == NULL)
		return vg_error_set(VG_EFORMAT, "case '%s' has no name", dc->id);
	if ((rc = text_member(&country, &clen, obj, "country", dc->id)) < 0)
		return rc;
	if ((rc = name_parse(&dc->country, country != NULL ? country : "", clen)) < 0)
		return vg_error_prefix(rc, "case '%s': country", dc->id);
	if (others != NULL && !json_is_null(others) && !json_is_array(others))
		return vg_error_set(VG_EFORMAT, "case '%s': 'other_names' is not a list", dc->id);
	if (events != NULL && !json_is_null(events) && !json_is_array(events))
		return vg_error_set(VG_EFORMAT, "case '%s': 'events' is not a list", dc->id);
	/* Names: the main one, then the others. */
	for (size_t k = 0; k <= json_array_size(others); k++) {
		const json_t *t =
		    k == 0 ? json_object_get(obj, "name") : json_array_get(others, k - 1);
		struct dvar *v = &f->vars[f->nvars];
		if (!json_is_string(t))
			return vg_error_set(VG_EFORMAT, "case '%s': a name is not a string",
					    dc->id);
		if ((rc = name_parse(&v->nm, json_string_value(t), json_string_length(t))) < 0)
			return vg_error_prefix(rc, "case '%s'", dc->id);
		v->c = ci;
		v->v = k;
		v->country = dc->country.allkey;
		v->text = json_string_value(t);
		f->nvars++;
	}
	if (json_array_size(events) > 0) {
		dc->dates = calloc(json_array_size(events), sizeof(*dc->dates));
		if (dc->dates == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < json_array_size(events); k++) {
		const json_t *ev = json_array_get(events, k), *d = json_object_get(ev, "date");
		if (!json_is_object(ev))
			return vg_error_set(VG_EFORMAT, "case '%s': an event is not an object",
					    dc->id);
		if (d == NULL || json_is_null(d))
			continue;
		if (!json_is_string(d) || !vg_record_date_valid(json_string_value(d)))
			return vg_error_set(VG_EFORMAT, "case '%s': an event has a bad date",
					    dc->id);
		dc->dates[dc->ndates++] = json_string_value(d);
	}
	return 0;
}

static int emit(json_t *arr, const struct finder *f, const struct cand *c, struct vg_buf *r)
{
	bool keep;
	json_t *o;
	int rc = reason(r, f, c, &keep);

	if (rc < 0 || !keep)
		return rc;
	o = json_pack("{s:[s,s],s:[s,s],s:s}", "cases", f->cases[c->a].id, f->cases[c->b].id,
		      "names", f->cases[c->a].name, f->cases[c->b].name, "reason",
		      (const char *)r->ptr);
	if (o == NULL || json_array_append_new(arr, o) < 0)
		return vg_error_set(VG_ENOMEM, "out of memory");
	return 0;
}

int vg_names_duplicates(json_t **out, const json_t *cases)
{
	struct finder f = {0};
	json_t **sorted = NULL, *arr = NULL;
	const struct dvar **byname = NULL;
	struct posting *index = NULL;
	size_t n, nnames = 0, npost = 0, i;
	struct vg_buf r = VG_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (!json_is_array(cases))
		return vg_error_set(VG_EFORMAT, "cases are not a list");
	n = json_array_size(cases);
	/* Cases in id order, so that pairs come out sorted and ids are checked distinct. */
	sorted = calloc(n + 1, sizeof(*sorted));
	if (sorted == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		json_t *c = json_array_get(cases, i), *id = json_object_get(c, "id"), *o;
		if (!json_is_object(c) || !json_is_string(id) || json_string_length(id) == 0) {
			rc = vg_error_set(VG_EFORMAT, "case %zu has no id", i + 1);
			goto done;
		}
		if (strlen(json_string_value(id)) != json_string_length(id)) {
			rc = vg_error_set(VG_EFORMAT, "case %zu has a bad id", i + 1);
			goto done;
		}
		o = json_object_get(c, "other_names");
		if (json_array_size(o) > SIZE_MAX / 4 - nnames - 1) {
			rc = vg_error_set(VG_ELIMIT, "too many names");
			goto done;
		}
		nnames += 1 + json_array_size(o);
		sorted[i] = c;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_case_id);
	for (i = 1; i < n; i++)
		if (cmp_case_id(&sorted[i - 1], &sorted[i]) == 0) {
			rc = vg_error_set(VG_EFORMAT, "case id '%s' appears twice",
					  json_string_value(json_object_get(sorted[i], "id")));
			goto done;
		}
	f.cases = calloc(n + 1, sizeof(*f.cases));
	f.vars = calloc(nnames + 1, sizeof(*f.vars));
	byname = calloc(nnames + 1, sizeof(*byname));
	if (f.cases == NULL || f.vars == NULL || byname == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		f.ncases = i + 1;
		if ((rc = load_case(&f, i, sorted[i])) < 0)
			goto done;
	}

	/* Full names: one sort by full-word key and country, then every pair inside a run. */
	for (i = 0; i < f.nvars; i++) {
		byname[i] = &f.vars[i];
		npost += f.vars[i].nm.nfull;
	}
	qsort(byname, f.nvars, sizeof(*byname), cmp_var_fullkey);
	for (i = 0; i < f.nvars;) {
		size_t j = i + 1;
		while (j < f.nvars && strcmp(byname[i]->nm.fullkey, byname[j]->nm.fullkey) == 0 &&
		       strcmp(byname[i]->country, byname[j]->country) == 0)
			j++;
		if (byname[i]->nm.nfull > 0)
			for (size_t a = i; a < j; a++)
				for (size_t b = a + 1; b < j; b++)
					if ((rc = add_cand(&f, byname[a], byname[b])) < 0)
						goto done;
		i = j;
	}

	/* Initials: through an index of full words, from each name that has initials. */
	index = calloc(npost + 1, sizeof(*index));
	if (index == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	npost = 0;
	for (i = 0; i < f.nvars; i++)
		for (size_t k = 0; k < f.vars[i].nm.nfull; k++)
			index[npost++] = (struct posting){f.vars[i].nm.full[k], &f.vars[i]};
	qsort(index, npost, sizeof(*index), cmp_posting);
	for (i = 0; i < f.nvars; i++) {
		const struct dvar *x = &f.vars[i];
		size_t best_lo = 0, best_n = SIZE_MAX;
		if (x->nm.ninit == 0 || x->nm.nfull == 0)
			continue;
		for (size_t k = 0; k < x->nm.nfull; k++) {
			size_t lo = 0, hi = npost, end;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(index[mid].word, x->nm.full[k]) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (end = lo; end < npost && strcmp(index[end].word, x->nm.full[k]) == 0;)
				end++;
			if (end - lo < best_n)
				best_lo = lo, best_n = end - lo;
		}
		if (best_n > VG_NAMES_BUCKET_MAX)
			continue;
		for (size_t k = best_lo; k < best_lo + best_n; k++) {
			const struct dvar *y = index[k].var;
			/* Same full words: the run above saw the pair already. */
			if (strcmp(x->nm.fullkey, y->nm.fullkey) == 0)
				continue;
			if ((rc = add_cand(&f, x, y)) < 0)
				goto done;
		}
	}

	/* One pair per two cases, by its best match, in id order. */
	if (f.ncands > 0)
		qsort(f.cands, f.ncands, sizeof(*f.cands), cmp_cand);
	arr = json_array();
	if (arr == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < f.ncands; i++) {
		if (i > 0 && f.cands[i].a == f.cands[i - 1].a && f.cands[i].b == f.cands[i - 1].b)
			continue;
		if ((rc = emit(arr, &f, &f.cands[i], &r)) < 0)
			goto done;
	}
	*out = arr;
	arr = NULL;
done:
	json_decref(arr);
	vg_buf_release(&r);
	free(index);
	free(byname);
	free(sorted);
	finder_release(&f);
	return rc;
}
