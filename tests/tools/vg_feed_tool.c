/*
 * vg_feed_tool: a test-only program (never installed) that writes into a home's store as
 * its daemon would, for the sync tests: entries appended to the device's own feed under
 * the home's roster, and drafts of a device that has not joined yet. The vault's
 * passphrase is read from standard input (one line). SQLite lets it share the store with
 * a running daemon.
 *
 *   vg_feed_tool append --home DIR [--count N]    prints the id of each new entry
 *   vg_feed_tool draft --home DIR [--count N]     adds N draft documents
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/home.h"
#include "vigil/id.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

static int die(const char *what)
{
	fprintf(stderr, "vg_feed_tool: %s: %s\n", what, vg_error_last());
	return 1;
}

static json_t *body_of(unsigned i)
{
	char name[64];

	snprintf(name, sizeof(name), "Test person %u", i);
	return json_pack("{s:{s:s,s:s}}", "person", "name", name, "country", "Testland");
}

int main(int argc, char **argv)
{
	struct vg_home home;
	struct vg_vault *v = NULL;
	struct vg_store *store = NULL;
	struct vg_roster_set *set = NULL;
	struct vg_minisign_pk org, pk;
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_feed feed;
	char pass[1100], path[PATH_MAX], dir[PATH_MAX];
	const char *h = NULL;
	unsigned count = 1;
	uint8_t self[VG_ID_BYTES];
	size_t n, len;
	int rc = 1, feed_open = 0;

	if (argc < 2 || vg_init() < 0)
		return 2;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--home") == 0)
			h = argv[i + 1];
		else if (strcmp(argv[i], "--count") == 0)
			count = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	if (h == NULL || fgets(pass, sizeof(pass), stdin) == NULL)
		return 2;
	len = strcspn(pass, "\n");
	if (vg_home_resolve(&home, h) < 0 ||
	    vg_home_path(path, sizeof(path), home.data, "vault.key") < 0 ||
	    vg_vault_read(&v, path, pass, len) < 0)
		return die("vault");
	sodium_memzero(pass, sizeof(pass));
	if (vg_home_path(path, sizeof(path), home.data, "store.db") < 0 ||
	    vg_store_open(&store, path) < 0) {
		rc = die("store");
		goto done;
	}
	if (strcmp(argv[1], "draft") == 0) {
		for (unsigned i = 0; i < count; i++) {
			uint8_t cid[VG_CASE_ID_BYTES];
			char hex[2 * VG_CASE_ID_BYTES + 1], *text;
			json_t *doc;
			int64_t dn;

			randombytes_buf(cid, sizeof(cid));
			vg_hex_encode(hex, cid, sizeof(cid));
			doc = json_pack("{s:s,s:s,s:s,s:o}", "type", "open", "case", hex, "time",
					"2024-01-01T00:00:00Z", "body", body_of(i));
			text = json_dumps(doc, JSON_COMPACT);
			json_decref(doc);
			if (text == NULL || vg_store_put_draft(store, &dn, v->key, (uint8_t *)text,
							       strlen(text)) < 0) {
				free(text);
				rc = die("draft");
				goto done;
			}
			free(text);
		}
		rc = 0;
		goto done;
	}
	if (vg_home_path(dir, sizeof(dir), home.data, "roster") < 0 ||
	    vg_roster_dir_org(&org, dir) < 0 || vg_roster_set_new(&set, &org) < 0 ||
	    vg_roster_dir_load(set, dir, NULL) < 0) {
		rc = die("roster");
		goto done;
	}
	const struct vg_roster *r = vg_roster_set_current(set);
	vg_minisign_sk_public(&pk, v->sign);
	vg_id_of_key(self, &pk);
	if (vg_roster_recipients(rcpts, &n, r, self) < 0) {
		rc = die("recipients");
		goto done;
	}
	feed_open = 1;
	if (vg_feed_open(&feed, store, v->sign, v->key, r->org, r->version, rcpts, n,
			 r->policy.bucket) < 0) {
		rc = die("feed");
		goto done;
	}
	for (unsigned i = 0; i < count; i++) {
		struct vg_entry_content c;
		uint8_t id[VG_ID_BYTES];
		char hex[VG_ID_HEX_LEN + 1];

		memset(&c, 0, sizeof(c));
		c.type = VG_ENTRY_OPEN;
		randombytes_buf(c.case_id, sizeof(c.case_id));
		c.body = body_of(i);
		if (vg_feed_append(&feed, id, &c) < 0) {
			json_decref(c.body);
			rc = die("append");
			goto done;
		}
		json_decref(c.body);
		vg_hex_encode(hex, id, VG_ID_BYTES);
		printf("%s\n", hex);
	}
	rc = 0;
done:
	if (feed_open)
		vg_feed_release(&feed);
	vg_roster_set_free(set);
	vg_store_close(store);
	vg_vault_free(v);
	return rc;
}
