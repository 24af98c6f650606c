/*
 * vg_report_tool: a test-only program (never installed) that renders a report from a JSON
 * array of merged cases (common/include/vigil/report.h) before `vigil report` exists, so
 * shell tests can open the HTML in a browser.
 *
 *   vg_report_tool md|html|csv|json [--confidential] [--generated TEXT] < cases.json
 *       writes the report to standard output; exit 1 with a message on bad input
 *   vg_report_tool duplicates < cases.json
 *       writes vg_names_duplicates' pairs as JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/names.h"
#include "vigil/report.h"
#include "vigil/vigil.h"

static int die(const char *what)
{
	fprintf(stderr, "vg_report_tool: %s: %s\n", what, vg_error_last());
	return 1;
}

int main(int argc, char **argv)
{
	struct vg_report_options o = VG_REPORT_OPTIONS_INIT;
	struct vg_buf out = VG_BUF_INIT;
	enum vg_report_format f = VG_REPORT_MD;
	json_error_t err;
	json_t *cases = NULL;
	int rc = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: vg_report_tool md|html|csv|json|duplicates "
				"[--confidential] [--generated TEXT] < cases.json\n");
		return 2;
	}
	if (vg_init() < 0)
		return die("init");
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--confidential") == 0) {
			o.include_confidential = true;
		} else if (strcmp(argv[i], "--generated") == 0 && i + 1 < argc) {
			o.generated = argv[++i];
		} else {
			fprintf(stderr, "vg_report_tool: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	cases = json_loadf(stdin, 0, &err);
	if (cases == NULL) {
		fprintf(stderr, "vg_report_tool: bad JSON on standard input: %s\n", err.text);
		return 1;
	}
	if (strcmp(argv[1], "duplicates") == 0) {
		json_t *dups = NULL;
		if (vg_names_duplicates(&dups, cases) < 0) {
			rc = die("duplicates");
			goto done;
		}
		json_dumpf(dups, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(dups);
		rc = 0;
		goto done;
	}
	if (vg_report_format_parse(&f, argv[1]) < 0) {
		rc = die("format");
		goto done;
	}
	if (vg_report_write(&out, cases, f, &o) < 0) {
		rc = die("report");
		goto done;
	}
	if (out.len > 0 && fwrite(out.ptr, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "vg_report_tool: cannot write the report\n");
		goto done;
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
done:
	vg_buf_release(&out);
	json_decref(cases);
	return rc;
}
