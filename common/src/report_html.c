#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "report_int.h"
#include "vigil/error.h"

/*
 * The one stylesheet. Its SHA-256 goes into the Content-Security-Policy, so the browser
 * applies it and nothing else: no other style element, no style attribute (the chart uses
 * SVG presentation attributes instead), no script at all.
 */
static const char style[] =
    "\n"
    "body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",sans-serif;color:#1b1b1b;"
    "background:#fff;max-width:54rem;margin:2rem auto;padding:0 1rem}\n"
    "h1{font-size:1.7rem;margin:0 0 .3rem}\n"
    "h2{font-size:1.3rem;border-bottom:2px solid #7a1f1f;padding-bottom:.2rem;"
    "margin:2.2rem 0 .8rem}\n"
    "h3{font-size:1.05rem;margin:0 0 .2rem}\n"
    "article{margin:0 0 1.4rem}\n"
    ".summary,.other,.ids,.by{color:#555}\n"
    ".meta{margin:.2rem 0 .4rem}\n"
    ".events{margin:0;padding-left:1.3rem}\n"
    ".events li{margin:.15rem 0}\n"
    ".date{font-weight:600;font-variant-numeric:tabular-nums}\n"
    "nav ul{list-style:none;padding:0;columns:3}\n"
    "figure{margin:1.2rem 0}\n"
    "figure svg{width:100%;height:auto}\n"
    "figcaption{color:#555;font-size:.9rem}\n"
    "@media print{\n"
    "@page{margin:18mm 16mm}\n"
    "body{font:10.5pt/1.35 Georgia,\"Times New Roman\",serif;color:#000;max-width:none;"
    "margin:0;padding:0}\n"
    "nav{display:none}\n"
    "h2{break-after:avoid;page-break-after:avoid;border-bottom-color:#000}\n"
    "article,figure{break-inside:avoid;page-break-inside:avoid}\n"
    ".summary,.other,.ids,.by,figcaption{color:#333}\n"
    "a{color:#000;text-decoration:none}\n"
    "}\n";

static int html_esc(struct vg_buf *out, char c)
{
	switch (c) {
	case '&':
		return vg_buf_puts(out, "&amp;");
	case '<':
		return vg_buf_puts(out, "&lt;");
	case '>':
		return vg_buf_puts(out, "&gt;");
	case '"':
		return vg_buf_puts(out, "&quot;");
	case '\'':
		return vg_buf_puts(out, "&#39;");
	default:
		return vg_buf_putc(out, (uint8_t)c);
	}
}

/* Record text, escaped for HTML text and for double-quoted attribute values alike. */
static int text(struct vg_buf *out, const char *s)
{
	return vg_report__put_text(out, s, false, html_esc);
}

/* Literal markup around record text: pre, escaped s, post. */
static int wrap(struct vg_buf *out, const char *pre, const char *s, const char *post)
{
	int rc = vg_buf_puts(out, pre);

	if (rc == 0)
		rc = text(out, s);
	return rc < 0 ? rc : vg_buf_puts(out, post);
}

static const struct vg_report__style html_style = {text, "<strong>(confidential)</strong>"};

static int event(struct vg_buf *out, const struct vg_report__doc *d, const json_t *ev)
{
	const char *date = vg_report__str(ev, "date"), *type = vg_report__str(ev, "type"),
		   *monitor = vg_report__str(ev, "monitor");
	const json_t *src = vg_report__source(d, ev);
	bool first = false;
	int rc = vg_buf_puts(out, "<li><span class=\"date\">");

	if (rc == 0)
		rc = date != NULL ? text(out, date) : vg_buf_puts(out, "Date unknown");
	if (rc == 0)
		rc = vg_buf_puts(out, "</span> ");
	if (rc == 0)
		rc = wrap(out, "<b>", type != NULL ? type : "event", "</b>");
	if (rc == 0 && !(type != NULL && vg_report__ends_sentence(type)))
		rc = vg_buf_putc(out, '.');
	if (rc == 0)
		rc = vg_report__event_fields(out, &first, ev, src, &html_style);
	if (rc == 0 && monitor != NULL)
		rc = wrap(out, " <span class=\"by\">Reported by <bdi>", monitor, "</bdi>.</span>");
	return rc < 0 ? rc : vg_buf_puts(out, "</li>\n");
}

static int list(struct vg_buf *out, const json_t *l, const char *pre, const char *post)
{
	size_t i;
	const json_t *v;
	int rc = 0;

	json_array_foreach(l, i, v)
	{
		if (rc == 0 && i > 0)
			rc = vg_buf_puts(out, ", ");
		if (rc == 0)
			rc = wrap(out, pre, json_string_value(v), post);
	}
	return rc;
}

static int person(struct vg_buf *out, const struct vg_report__doc *d, const json_t *c)
{
	const json_t *others = json_object_get(c, "other_names"),
		     *linked = json_object_get(c, "linked"), *events = json_object_get(c, "events"),
		     *ev;
	const char *name = vg_report__str(c, "name");
	bool first = true;
	size_t i;
	int rc = wrap(out, "<article aria-label=\"", name, "\">\n<h3><bdi>");

	if (rc == 0)
		rc = wrap(out, "", name, "</bdi>");
	if (rc == 0 && json_array_size(others) > 0) {
		rc = vg_buf_puts(out, " <span class=\"other\">(");
		if (rc == 0)
			rc = list(out, others, "<bdi>", "</bdi>");
		if (rc == 0)
			rc = vg_buf_puts(out, ")</span>");
	}
	if (rc == 0)
		rc = vg_buf_puts(out, "</h3>\n<p class=\"meta\">");
	if (rc == 0)
		rc = vg_report__person_fields(out, &first, c, &html_style);
	if (rc == 0)
		rc = vg_buf_printf(out, "%s<span class=\"ids\">%s ", first ? "" : " ",
				   json_array_size(linked) > 0 ? "Cases:" : "Case:");
	if (rc == 0)
		rc = text(out, vg_report__str(c, "id"));
	if (rc == 0 && json_array_size(linked) > 0) {
		rc = vg_buf_puts(out, ", ");
		if (rc == 0)
			rc = list(out, linked, "", "");
	}
	if (rc == 0)
		rc = vg_buf_puts(out, ".</span></p>\n");
	if (rc == 0 && json_array_size(events) > 0)
		rc = vg_buf_puts(out, "<ol class=\"events\">\n");
	json_array_foreach(events, i, ev)
	{
		if (rc == 0)
			rc = event(out, d, ev);
	}
	if (rc == 0 && json_array_size(events) > 0)
		rc = vg_buf_puts(out, "</ol>\n");
	return rc < 0 ? rc : vg_buf_puts(out, "</article>\n");
}

/* ---- the chart ---- */

struct bar {
	size_t country; /* group index */
	int month;	/* year * 12 + month - 1 */
};

static int cmp_bar(const void *a, const void *b)
{
	const struct bar *x = a, *y = b;

	if (x->country != y->country)
		return x->country < y->country ? -1 : 1;
	return (x->month > y->month) - (x->month < y->month);
}

#define CH_LABEL 150.0 /* width of the country labels */
#define CH_PLOT	 600.0 /* width of the bars' area */
#define CH_ROW	 40.0  /* height of a country's row */
#define CH_BAR	 30.0  /* height of the tallest bar */
#define CH_TOP	 8.0
#define CH_AXIS	 26.0

static int month_label(struct vg_buf *out, int m)
{
	return vg_buf_printf(out, "%04d-%02d", m / 12, m % 12 + 1);
}

static int chart(struct vg_buf *out, const struct vg_report__doc *d)
{
	struct bar *bars = NULL;
	const char **names = NULL;
	size_t nbars = 0, year_only = 0, undated = 0, group = 0, maxc = 0;
	int lo = 0, hi = 0, rc = 0;
	double width, height, step;

	bars = calloc(d->nevents + 1, sizeof(*bars));
	names = calloc(d->ncountries + 1, sizeof(*names));
	if (bars == NULL || names == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < d->ncases; i++) {
		const json_t *ev;
		size_t k;
		if (vg_report__country_starts(d, i) && i > 0)
			group++;
		names[group] = d->cases[i].country;
		json_array_foreach(json_object_get(d->cases[i].obj, "events"), k, ev)
		{
			const char *date = vg_report__str(ev, "date");
			if (date == NULL) {
				undated++;
			} else if (strlen(date) < 7) {
				year_only++;
			} else {
				/* Checked by vg_record_date_valid: YYYY-MM[-DD]. */
				int m = atoi(date) * 12 + atoi(date + 5) - 1;
				bars[nbars++] = (struct bar){group, m};
				if (nbars == 1 || m < lo)
					lo = m;
				if (nbars == 1 || m > hi)
					hi = m;
			}
		}
	}
	if (nbars == 0) {
		rc = vg_buf_puts(out, "<p class=\"summary\">No event is dated to the month, so "
				      "there is no chart of events by month.</p>\n");
		goto done;
	}
	qsort(bars, nbars, sizeof(*bars), cmp_bar);
	for (size_t i = 0, run = 0; i < nbars; i++) {
		run = i > 0 && cmp_bar(&bars[i], &bars[i - 1]) == 0 ? run + 1 : 1;
		if (run > maxc)
			maxc = run;
	}
	step = CH_PLOT / (double)(hi - lo + 1);
	width = CH_LABEL + CH_PLOT + 10;
	height = CH_TOP + (double)d->ncountries * CH_ROW + CH_AXIS;
	rc = vg_buf_printf(out,
			   "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
			   "%.0f\" role=\"img\" aria-labelledby=\"chart-title\">\n"
			   "<title id=\"chart-title\">Events per country and month</title>\n"
			   "<g font-family=\"sans-serif\" font-size=\"12\" fill=\"#1b1b1b\">\n",
			   width, height);
	/* Rows: a label and a base line per country. */
	for (size_t g = 0; g < d->ncountries && rc == 0; g++) {
		double base = CH_TOP + (double)(g + 1) * CH_ROW - 4;
		rc = vg_buf_printf(out, "<text x=\"0\" y=\"%.1f\">", base - 4);
		if (rc == 0)
			rc = names[g] != NULL ? text(out, names[g])
					      : vg_buf_puts(out, "Country unknown");
		if (rc == 0)
			rc = vg_buf_printf(out,
					   "</text>\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
					   "y2=\"%.1f\" stroke=\"#bbb\"/>\n",
					   CH_LABEL, base, CH_LABEL + CH_PLOT, base);
	}
	/* Bars: one per country and month with events, its count in a tooltip. */
	for (size_t i = 0; i < nbars && rc == 0;) {
		size_t j = i + 1, n;
		double base = CH_TOP + (double)(bars[i].country + 1) * CH_ROW - 4, h, x, w;
		while (j < nbars && cmp_bar(&bars[i], &bars[j]) == 0)
			j++;
		n = j - i;
		h = CH_BAR * (double)n / (double)maxc;
		x = CH_LABEL + (double)(bars[i].month - lo) * step;
		w = step > 3 ? step * 0.8 : step;
		rc = vg_buf_printf(out,
				   "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
				   "fill=\"#7a1f1f\"><title>",
				   x, base - h, w < 1 ? 1.0 : w, h);
		if (rc == 0)
			rc = names[bars[i].country] != NULL ? text(out, names[bars[i].country])
							    : vg_buf_puts(out, "Country unknown");
		if (rc == 0)
			rc = vg_buf_puts(out, ", ");
		if (rc == 0)
			rc = month_label(out, bars[i].month);
		if (rc == 0)
			rc = vg_buf_puts(out, ": ");
		if (rc == 0)
			rc = vg_report__put_count(out, n, "event", "events");
		if (rc == 0)
			rc = vg_buf_puts(out, "</title></rect>\n");
		i = j;
	}
	/* Axis: the first and last month at the ends, years in between (at most ~10). */
	if (rc == 0) {
		double y = height - 8;
		int years = hi / 12 - lo / 12 + 1, every = (years + 9) / 10;
		rc = vg_buf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", CH_LABEL, y);
		if (rc == 0)
			rc = month_label(out, lo);
		if (rc == 0)
			rc = vg_buf_printf(out,
					   "</text>\n<text x=\"%.1f\" y=\"%.1f\" "
					   "text-anchor=\"end\">",
					   CH_LABEL + CH_PLOT, y);
		if (rc == 0)
			rc = month_label(out, hi);
		if (rc == 0)
			rc = vg_buf_puts(out, "</text>\n");
		for (int yr = lo / 12 + 1; yr <= hi / 12 && rc == 0; yr++) {
			double x = CH_LABEL + (double)(yr * 12 - lo) * step;
			if ((yr - lo / 12) % every != 0)
				continue;
			rc = vg_buf_printf(out,
					   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
					   "stroke=\"#ddd\"/>\n",
					   x, CH_TOP, x, height - CH_AXIS + 2);
			if (rc == 0 && x - CH_LABEL > 70 && CH_LABEL + CH_PLOT - x > 70)
				rc = vg_buf_printf(out,
						   "<text x=\"%.1f\" y=\"%.1f\" "
						   "text-anchor=\"middle\">%04d</text>\n",
						   x, y, yr);
		}
	}
	if (rc == 0)
		rc = vg_buf_puts(out, "</g>\n</svg>\n<figcaption>Events per country and month, ");
	if (rc == 0)
		rc = month_label(out, lo);
	if (rc == 0)
		rc = vg_buf_puts(out, " to ");
	if (rc == 0)
		rc = month_label(out, hi);
	if (rc == 0)
		rc = vg_buf_puts(out, "; the tallest bar is ");
	if (rc == 0)
		rc = vg_report__put_count(out, maxc, "event", "events");
	if (rc == 0)
		rc = vg_buf_putc(out, '.');
	if (rc == 0 && (year_only > 0 || undated > 0)) {
		rc = vg_buf_puts(out, " Not in the chart: ");
		if (rc == 0 && year_only > 0)
			rc = vg_report__put_count(out, year_only, "event dated to the year only",
						  "events dated to the year only");
		if (rc == 0 && year_only > 0 && undated > 0)
			rc = vg_buf_puts(out, ", ");
		if (rc == 0 && undated > 0)
			rc = vg_report__put_count(out, undated, "event without a date",
						  "events without a date");
		if (rc == 0)
			rc = vg_buf_putc(out, '.');
	}
	if (rc == 0)
		rc = vg_buf_puts(out, "</figcaption>\n</figure>\n");
done:
	free(bars);
	free(names);
	return rc;
}

/* ---- the page ---- */

static int head(struct vg_buf *out, const char *title)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
					   sodium_base64_VARIANT_ORIGINAL)];
	int rc;

	crypto_hash_sha256(hash, (const unsigned char *)style, sizeof(style) - 1);
	sodium_bin2base64(b64, sizeof(b64), hash, sizeof(hash), sodium_base64_VARIANT_ORIGINAL);
	rc = vg_buf_printf(out,
			   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			   "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
			   "'none'; style-src 'sha256-%s'; base-uri 'none'; form-action 'none'\">\n"
			   "<meta name=\"referrer\" content=\"no-referrer\">\n"
			   "<meta name=\"viewport\" content=\"width=device-width, "
			   "initial-scale=1\">\n",
			   b64);
	if (rc == 0)
		rc = wrap(out, "<title>", title, "</title>\n<style>");
	if (rc == 0)
		rc = vg_buf_puts(out, style);
	return rc < 0 ? rc : vg_buf_puts(out, "</style>\n</head>\n");
}

static int summary(struct vg_buf *out, const struct vg_report__doc *d)
{
	int rc = vg_buf_puts(out, "<p class=\"summary\">");

	if (rc == 0 && d->opts->generated != NULL)
		rc = wrap(out, "Generated ", d->opts->generated, ". ");
	if (rc == 0)
		rc = vg_report__put_count(out, d->ncases, "person", "people");
	if (rc == 0)
		rc = vg_buf_puts(out, " in ");
	if (rc == 0)
		rc = vg_report__put_count(out, d->ncountries, "country", "countries");
	if (rc == 0)
		rc = vg_buf_puts(out, ", ");
	if (rc == 0)
		rc = vg_report__put_count(out, d->nevents, "event", "events");
	if (rc == 0)
		rc = vg_buf_putc(out, '.');
	if (rc == 0 && d->nomitted > 0) {
		rc = vg_buf_putc(out, ' ');
		if (rc == 0)
			rc = vg_report__put_count(out, d->nomitted, "source", "sources");
		if (rc == 0)
			rc = vg_buf_printf(out, " marked confidential %s left out.",
					   d->nomitted == 1 ? "is" : "are");
	}
	return rc < 0 ? rc : vg_buf_puts(out, "</p>\n");
}

int vg_report__html(struct vg_buf *out, const struct vg_report__doc *d)
{
	const char *title = d->opts->title != NULL ? d->opts->title : "Cases of concern";
	size_t group = 0;
	int rc = head(out, title);

	if (rc == 0)
		rc = wrap(out, "<body>\n<header>\n<h1>", title, "</h1>\n");
	if (rc == 0)
		rc = summary(out, d);
	if (rc == 0)
		rc = vg_buf_puts(out, "</header>\n<nav aria-label=\"Countries\">\n<ul>\n");
	for (size_t i = 0; i < d->ncases && rc == 0; i++) {
		size_t n = 1;
		if (!vg_report__country_starts(d, i))
			continue;
		while (i + n < d->ncases && !vg_report__country_starts(d, i + n))
			n++;
		rc = vg_buf_printf(out, "<li><a href=\"#country-%zu\">", ++group);
		if (rc == 0)
			rc = d->cases[i].country != NULL ? text(out, d->cases[i].country)
							 : vg_buf_puts(out, "Country unknown");
		if (rc == 0)
			rc = vg_buf_printf(out, "</a> (%zu)</li>\n", n);
	}
	if (rc == 0)
		rc = vg_buf_puts(out, "</ul>\n</nav>\n<main>\n");
	if (rc == 0)
		rc = chart(out, d);
	group = 0;
	for (size_t i = 0; i < d->ncases && rc == 0; i++) {
		if (vg_report__country_starts(d, i)) {
			rc = vg_buf_printf(out, "%s<section id=\"country-%zu\">\n<h2>",
					   i > 0 ? "</section>\n" : "", ++group);
			if (rc == 0)
				rc = d->cases[i].country != NULL
					 ? text(out, d->cases[i].country)
					 : vg_buf_puts(out, "Country unknown");
			if (rc == 0)
				rc = vg_buf_puts(out, "</h2>\n");
		}
		if (rc == 0)
			rc = person(out, d, d->cases[i].obj);
	}
	if (rc == 0 && d->ncases > 0)
		rc = vg_buf_puts(out, "</section>\n");
	return rc < 0 ? rc : vg_buf_puts(out, "</main>\n</body>\n</html>\n");
}
