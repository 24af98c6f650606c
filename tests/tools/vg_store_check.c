/*
 * vg_store_check: what the crash and full-disk tests ask of a device's store after the
 * daemon was killed (never installed). Opens <data>/store.db of a home (recovering the WAL
 * as SQLite does), runs PRAGMA integrity_check, then walks every entry in (author, seq)
 * order and checks, with the public keys of the home's roster only:
 *   - each entry verifies (signature, trusted comment, id, stanza count);
 *   - each author's accepted entries run 1, 2, 3, ... without a gap, each naming the id
 *     of the one before (the hash chain).
 * With --ids FILE (one hex entry id per line: what commands acknowledged), every id must be
 * in the store and accepted.
 *
 *   vg_store_check --home DIR [--ids FILE]
 *
 * Prints "ok: N entries, M authors, integrity ok" and exits 0, or one line per problem and
 * exits 1; 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/error.h"
#include "vigil/home.h"
#include "vigil/id.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/vigil.h"

struct walk {
	struct vg_roster_set *set;
	uint8_t org[VG_ID_BYTES];
	uint8_t author[VG_ID_BYTES];
	uint64_t seq; /* last accepted seq of author */
	uint8_t prev[VG_ID_BYTES];
	size_t entries, authors, problems;
};

static int check_one(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct walk *w = ctx;
	struct vg_entry_meta meta;
	uint8_t id[VG_ID_BYTES];
	char h[2 * VG_ID_BYTES + 1];

	w->entries++;
	vg_hex_encode(h, e->id, VG_ID_BYTES);
	if (vg_entry_verify(&meta, id, e->age.ptr, e->age.len, (const char *)e->sig.ptr, e->sig.len,
			    w->org, vg_roster_set_resolve, w->set, e->id) < 0) {
		printf("entry %s does not verify: %s\n", h, vg_error_last());
		w->problems++;
		return 0;
	}
	if (state != VG_STATE_ACCEPTED)
		return 0;
	if (w->authors == 0 || memcmp(meta.author, w->author, VG_ID_BYTES) != 0) {
		memcpy(w->author, meta.author, VG_ID_BYTES);
		w->seq = 0;
		memset(w->prev, 0, VG_ID_BYTES);
		w->authors++;
	}
	if (meta.seq != w->seq + 1) {
		printf("entry %s: seq %llu follows seq %llu (a gap)\n", h,
		       (unsigned long long)meta.seq, (unsigned long long)w->seq);
		w->problems++;
	} else if (memcmp(meta.prev, w->prev, VG_ID_BYTES) != 0) {
		printf("entry %s: seq %llu does not name the previous entry\n", h,
		       (unsigned long long)meta.seq);
		w->problems++;
	}
	w->seq = meta.seq;
	memcpy(w->prev, e->id, VG_ID_BYTES);
	return 0;
}

static int check_ids(struct vg_store *s, const char *path, size_t *problems)
{
	char line[256];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f == NULL) {
		printf("cannot open '%s'\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		uint8_t id[VG_ID_BYTES];
		size_t len = strcspn(line, "\r\n");
		struct vg_entry e;
		enum vg_entry_state st;
		int rc;

		line[len] = '\0';
		if (len == 0)
			continue;
		if (vg_hex_decode(id, sizeof(id), line, len) < 0) {
			printf("'%s' in '%s' is not an entry id\n", line, path);
			(*problems)++;
			continue;
		}
		n++;
		vg_entry_init(&e);
		rc = vg_store_get_entry(s, &e, &st, id);
		vg_entry_release(&e);
		if (rc < 0) {
			printf("acknowledged entry %s is missing: %s\n", line, vg_error_last());
			(*problems)++;
		} else if (st != VG_STATE_ACCEPTED) {
			printf("acknowledged entry %s is not accepted (state %d)\n", line, (int)st);
			(*problems)++;
		}
	}
	fclose(f);
	printf("%zu acknowledged ids checked\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *home = NULL, *ids = NULL;
	struct vg_home h;
	struct vg_minisign_pk org;
	struct vg_store *s = NULL;
	struct walk w;
	char path[4096], dir[4096];
	int rc, status = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
			home = argv[++i];
		else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc)
			ids = argv[++i];
		else
			home = NULL, i = argc;
	}
	if (home == NULL) {
		fprintf(stderr, "usage: vg_store_check --home DIR [--ids FILE]\n");
		return 2;
	}
	memset(&w, 0, sizeof(w));
	if (vg_init() < 0 || vg_home_resolve(&h, home) < 0 ||
	    vg_home_path(path, sizeof(path), h.data, "store.db") < 0 ||
	    vg_home_path(dir, sizeof(dir), h.data, "roster") < 0) {
		printf("%s\n", vg_error_last());
		return 1;
	}
	if ((rc = vg_roster_dir_org(&org, dir)) < 0 || (rc = vg_roster_set_new(&w.set, &org)) < 0 ||
	    (rc = vg_roster_dir_load(w.set, dir, NULL)) < 0) {
		printf("cannot load the roster of '%s': %s\n", home, vg_error_last());
		goto done;
	}
	vg_id_of_key(w.org, &org);
	if ((rc = vg_store_open(&s, path)) < 0) {
		printf("cannot open '%s': %s\n", path, vg_error_last());
		goto done;
	}
	if ((rc = vg_store_check(s)) < 0) {
		printf("integrity check failed: %s\n", vg_error_last());
		goto done;
	}
	if ((rc = vg_store_foreach(s, NULL, check_one, &w)) < 0) {
		printf("cannot walk the store: %s\n", vg_error_last());
		goto done;
	}
	if (ids != NULL && check_ids(s, ids, &w.problems) < 0)
		goto done;
	if (w.problems == 0) {
		printf("ok: %zu entries, %zu authors, integrity ok\n", w.entries, w.authors);
		status = 0;
	}
done:
	vg_store_close(s);
	vg_roster_set_free(w.set);
	return status;
}
