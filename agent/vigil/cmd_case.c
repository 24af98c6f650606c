/*
 * vigil case new|event|correct|redact: case data from prompts on a terminal, or a JSON
 * object (the entry body of FORMAT.md 4.6) on standard input or in --from-file FILE. Never
 * from argv. The daemon checks, seals and stores it; "saved" is printed once it is durable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "case.h"
#include "vigil/error.h"
#include "vigil/record.h"
#include "vigil/term.h"

/* ---- arguments ---- */

/* [CASE-ID] and --from-file FILE, in any order. Returns 0 or the usage status. */
static int parse_args(const struct vg_command *cmd, int argc, char **argv, bool want_case,
		      const char **case_id, const char **file)
{
	*case_id = NULL;
	*file = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--from-file") == 0 && i + 1 < argc) {
			*file = argv[++i];
		} else if (strncmp(a, "--from-file=", 12) == 0 && a[12] != '\0') {
			*file = a + 12;
		} else if (a[0] == '-' || !want_case || *case_id != NULL) {
			vg_client_fail(VG_EXIT_USAGE,
				       "unexpected argument '%s' (case data is never "
				       "given on the command line)",
				       a);
			fprintf(stderr, "usage: %s\n", cmd->usage);
			return VG_EXIT_USAGE;
		} else {
			*case_id = a;
		}
	}
	if (want_case && *case_id == NULL) {
		vg_client_fail(VG_EXIT_USAGE, "'vigil %s' needs a CASE-ID", cmd->name);
		fprintf(stderr, "usage: %s\n", cmd->usage);
		return VG_EXIT_USAGE;
	}
	return 0;
}

/* ---- JSON input ---- */

/* All of fd into out (secure), refusing more than max bytes. */
static int read_all(struct vg_buf *out, int fd, size_t max, const char *what)
{
	int rc;

	for (;;) {
		ssize_t n;
		if ((rc = vg_buf_grow(out, 4096)) < 0)
			return rc;
		n = read(fd, out->ptr + out->len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vg_error_sys("cannot read %s", what);
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		if (out->len > max)
			return vg_error_set(VG_ELIMIT,
					    "%s is larger than %zu bytes (what one request to the "
					    "daemon can carry)",
					    what, max);
	}
}

/* The case data as a JSON object, from file or standard input. */
static int read_json(json_t **out, const char *file)
{
	struct vg_buf text = VG_BUF_INIT_SECURE;
	json_error_t err;
	char what[600];
	int fd = STDIN_FILENO, rc;

	*out = NULL;
	snprintf(what, sizeof(what), file != NULL ? "'%s'" : "standard input", file);
	if (file != NULL && (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return vg_error_sys("cannot open '%s'", file);
	rc = read_all(&text, fd, VG_IPC_MSG_MAX - 256, what);
	if (file != NULL)
		close(fd);
	if (rc < 0)
		goto done;
	*out = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &err);
	if (*out == NULL) {
		/* jansson's text may quote the input ("near '...'"): case data stays out. */
		char *near = strstr(err.text, " near ");
		if (near != NULL)
			*near = '\0';
		rc = vg_error_set(VG_EFORMAT, "malformed JSON in %s (line %d, column %d): %s%s",
				  what, err.line, err.column, err.text,
				  strstr(err.text, "decode byte") != NULL ? " (not valid UTF-8)"
									  : "");
	} else if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = vg_error_set(VG_EFORMAT, "the case data in %s must be a JSON object", what);
	}
done:
	vg_buf_release(&text);
	return rc;
}

/* ---- prompts ---- */

enum ftype { F_TEXT, F_NAMES, F_YEAR, F_DATE };

struct field {
	const char *key;
	const char *label;
	const char *suggest; /* the ESF vocabulary, shown as a hint */
	enum ftype type;
	bool required;
};

static const struct field person_fields[] = {
    {"name", "Name (any script)", NULL, F_TEXT, true},
    {"other_names", "Other names (separate with ';')", NULL, F_NAMES, false},
    {"sex", "Sex", NULL, F_TEXT, false},
    {"birth_year", "Birth year", NULL, F_YEAR, false},
    {"role", "Role",
     "journalist, lawyer, human rights defender, trade union leader, activist, blogger, ...",
     F_TEXT, false},
    {"affiliation", "Affiliation", NULL, F_TEXT, false},
    {"country", "Country", NULL, F_TEXT, true},
    {NULL, NULL, NULL, F_TEXT, false},
};

static const struct field event_fields[] = {
    {"type", "What happened",
     "arrest, detention, pre-trial detention, charge, trial, sentenced, appeal, release, "
     "transfer, psychiatric detention, ill-treatment allegation, intimidation, travel ban, "
     "disappearance, death in custody, ...",
     F_TEXT, true},
    {"date", "Date (YYYY, YYYY-MM or YYYY-MM-DD; empty when unknown)", NULL, F_DATE, false},
    {"place", "Place", NULL, F_TEXT, false},
    {"authority", "Authority or perpetrator", NULL, F_TEXT, false},
    {"charges", "Charges or stated reason", NULL, F_TEXT, false},
    {"status", "Status afterwards",
     "detained, imprisoned, released, under investigation, at liberty, missing, ...", F_TEXT,
     false},
    {"sentence", "Sentence", NULL, F_TEXT, false},
    {"counsel", "Access to legal counsel", NULL, F_TEXT, false},
    {NULL, NULL, NULL, F_TEXT, false},
};

static const struct field source_fields[] = {
    {"type", "Source: who told it", "victim, witness, relative, lawyer, media, NGO, ...", F_TEXT,
     false},
    {"description", "Source: description", NULL, F_TEXT, false},
    {"reliability", "Source: reliability", NULL, F_TEXT, false},
    {NULL, NULL, NULL, F_TEXT, false},
};

/* One line from standard input (the terminal) into out (secure), without its LF. */
static int read_line(struct vg_buf *out)
{
	int ch, rc;

	vg_buf_clear(out);
	for (;;) {
		ch = getchar();
		if (ch == EOF)
			return out->len > 0 ? 0 : vg_error_set(VG_EINVAL, "input ended");
		if (ch == '\n')
			return 0;
		if (out->len >= VG_RECORD_NOTES_MAX)
			return vg_error_set(VG_ELIMIT, "a line longer than %d bytes",
					    VG_RECORD_NOTES_MAX);
		if ((rc = vg_buf_putc(out, (uint8_t)ch)) < 0)
			return rc;
	}
}

/*
 * Ask for one value. current (may be NULL) is kept when the answer is empty; "-" clears an
 * optional value. *value gets the new JSON value or NULL (none).
 */
static int ask(json_t **value, const char *label, const char *suggest, enum ftype type,
	       bool required, const json_t *current)
{
	struct vg_buf line = VG_BUF_INIT_SECURE;
	int rc;

	*value = NULL;
	if (suggest != NULL)
		fprintf(stderr, "  (for example: %s)\n", suggest);
	for (;;) {
		fprintf(stderr, "%s", label);
		if (current != NULL) {
			char *cur = json_dumps(current, JSON_ENCODE_ANY);
			fputs(" [", stderr);
			vg_case_print_text(
			    stderr, json_is_string(current) ? json_string_value(current) : cur, "");
			fputs(required ? "]" : "; '-' clears]", stderr);
			free(cur);
		}
		fputs(required ? " (required): " : ": ", stderr);
		fflush(stderr);
		if ((rc = read_line(&line)) < 0)
			goto done;
		if (line.len == 0) {
			if (current != NULL) {
				*value = json_deep_copy(current);
				goto done;
			}
			if (!required)
				goto done;
			fputs("  this one is required\n", stderr);
			continue;
		}
		if (!required && line.len == 1 && line.ptr[0] == '-')
			goto done;
		if (type == F_YEAR) {
			char *end;
			long y = strtol((const char *)line.ptr, &end, 10);
			if (*end != '\0' || y < 1000 || y > 9999) {
				fputs("  a year of four digits, please\n", stderr);
				continue;
			}
			*value = json_integer(y);
		} else if (type == F_DATE) {
			if (!vg_record_date_valid((const char *)line.ptr)) {
				fputs("  YYYY, YYYY-MM or YYYY-MM-DD (a date that exists), or "
				      "empty\n",
				      stderr);
				continue;
			}
			*value = json_string((const char *)line.ptr);
		} else if (type == F_NAMES) {
			*value = json_array();
			for (char *save = NULL, *p = strtok_r((char *)line.ptr, ";", &save);
			     p != NULL && *value != NULL; p = strtok_r(NULL, ";", &save)) {
				while (*p == ' ')
					p++;
				for (size_t n = strlen(p); n > 0 && p[n - 1] == ' '; n--)
					p[n - 1] = '\0';
				if (*p != '\0')
					json_array_append_new(*value, json_string(p));
			}
		} else {
			*value = json_stringn((const char *)line.ptr, line.len);
		}
		if (*value == NULL) {
			fputs("  that is not valid UTF-8 text; again, please\n", stderr);
			continue;
		}
		if (json_is_string(*value) && json_string_length(*value) > VG_RECORD_TEXT_MAX) {
			fprintf(stderr, "  at most %d bytes, please\n", VG_RECORD_TEXT_MAX);
			json_decref(*value);
			*value = NULL;
			continue;
		}
		goto done;
	}
done:
	vg_buf_release(&line);
	return rc;
}

/* Ask every field into a new object; defaults from current (may be NULL). */
static int ask_object(json_t **out, const struct field *fields, const json_t *current)
{
	json_t *obj = json_object(), *v;
	int rc = 0;

	*out = NULL;
	if (obj == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (const struct field *f = fields; f->key != NULL; f++) {
		if ((rc = ask(&v, f->label, f->suggest, f->type, f->required,
			      json_object_get(current, f->key))) < 0) {
			json_decref(obj);
			return rc;
		}
		if (v != NULL && !(json_is_array(v) && json_array_size(v) == 0))
			json_object_set_new(obj, f->key, v);
		else
			json_decref(v);
	}
	*out = obj;
	return 0;
}

static int ask_notes(json_t *body, const char *key, const char *label)
{
	json_t *v;
	int rc = ask(&v, label, NULL, F_TEXT, false, NULL);

	if (rc == 0 && v != NULL)
		json_object_set_new(body, key, v);
	return rc;
}

/* A source, when any of its fields is given; confidential unless the user says no. */
static int ask_source(json_t *body, const json_t *current)
{
	struct vg_buf line = VG_BUF_INIT_SECURE;
	json_t *src = NULL;
	bool conf = !json_is_false(json_object_get(current, "confidential"));
	int rc;

	if ((rc = ask_object(&src, source_fields, current)) < 0)
		return rc;
	if (json_object_size(src) == 0) {
		json_decref(src);
		return 0;
	}
	fprintf(stderr, "Keep the source confidential? [%s]: ", conf ? "Y/n" : "y/N");
	fflush(stderr);
	if ((rc = read_line(&line)) == 0) {
		if (line.len > 0)
			conf = line.ptr[0] != 'n' && line.ptr[0] != 'N';
		json_object_set_new(src, "confidential", json_boolean(conf));
		json_object_set_new(body, "source", src);
		src = NULL;
	}
	json_decref(src);
	vg_buf_release(&line);
	return rc;
}

/* Let the user pick the person or an event of a case's view: 0 the person, i the event i. */
static int choose(size_t *out, const json_t *view, const char *verb, bool person_is_case)
{
	struct vg_buf line = VG_BUF_INIT_SECURE;
	const json_t *events = json_object_get(view, "events"), *ev;
	size_t i;
	int rc;

	fprintf(stderr, "  0. %s: ", person_is_case ? "the whole case" : "the person");
	vg_case_print_text(
	    stderr, json_string_value(json_object_get(json_object_get(view, "person"), "name")),
	    "");
	fputc('\n', stderr);
	json_array_foreach(events, i, ev)
	{
		fprintf(stderr, "%3zu. event: ", i + 1);
		vg_case_print_event_line(stderr, ev);
		fputc('\n', stderr);
	}
	for (;;) {
		char *end;
		unsigned long n;
		fprintf(stderr, "Which one to %s (number): ", verb);
		fflush(stderr);
		if ((rc = read_line(&line)) < 0)
			break;
		n = strtoul((const char *)line.ptr, &end, 10);
		if (line.len > 0 && *end == '\0' && n <= json_array_size(events)) {
			*out = n;
			break;
		}
	}
	vg_buf_release(&line);
	return rc;
}

static int prompt_body(json_t **out, struct vg_client *c, enum vg_ipc_cmd cmd, const char *case_id,
		       int *status)
{
	json_t *body = json_object(), *view = NULL, *obj = NULL, *cur, *sup;
	size_t which = 0;
	int rc = 0;

	*out = NULL;
	if (body == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	if (cmd == VG_IPC_CASE_CORRECT || cmd == VG_IPC_CASE_REDACT) {
		if ((*status = vg_case_fetch(&view, c, case_id)) != VG_EXIT_OK)
			goto done;
		if ((rc = choose(&which, view, cmd == VG_IPC_CASE_CORRECT ? "correct" : "withdraw",
				 cmd == VG_IPC_CASE_REDACT)) < 0)
			goto done;
	}
	switch (cmd) {
	case VG_IPC_CASE_NEW:
		fputs("The person (or group) this case is about.\n", stderr);
		if ((rc = ask_object(&obj, person_fields, NULL)) < 0)
			goto done;
		json_object_set_new(body, "person", obj);
		if ((rc = ask_notes(body, "ref", "Your own reference for the case")) < 0 ||
		    (rc = ask_notes(body, "notes", "Notes")) < 0)
			goto done;
		break;
	case VG_IPC_CASE_EVENT:
		fputs("What happened to the person.\n", stderr);
		if ((rc = ask_object(&obj, event_fields, NULL)) < 0)
			goto done;
		json_object_set_new(body, "event", obj);
		if ((rc = ask_source(body, NULL)) < 0 ||
		    (rc = ask_notes(body, "notes", "Notes")) < 0)
			goto done;
		break;
	case VG_IPC_CASE_CORRECT:
		fputs("Enter keeps a value as it is.\n", stderr);
		if (which == 0) {
			sup = json_pack("[O]", json_object_get(view, "person_entry"));
			cur = json_object_get(view, "person");
			if ((rc = ask_object(&obj, person_fields, cur)) < 0)
				goto done;
			json_object_set_new(body, "person", obj);
		} else {
			json_t *ev = json_array_get(json_object_get(view, "events"), which - 1);
			sup = json_pack("[O]", json_object_get(ev, "entry"));
			if ((rc = ask_object(&obj, event_fields, json_object_get(ev, "event"))) < 0)
				goto done;
			json_object_set_new(body, "event", obj);
			if ((rc = ask_source(body, json_object_get(ev, "source"))) < 0)
				goto done;
		}
		json_object_set_new(body, "supersedes", sup);
		if ((rc = ask_notes(body, "notes", "Why (notes on this correction)")) < 0)
			goto done;
		break;
	default: /* redact: the whole case (its open entry), or an event as reported */
		if (which == 0)
			sup = json_pack("[O]", json_object_get(view, "open"));
		else
			sup = json_pack(
			    "[O]", json_object_get(
				       json_array_get(json_object_get(view, "events"), which - 1),
				       "reported"));
		json_object_set_new(body, "supersedes", sup);
		if ((rc = ask_notes(body, "reason", "Reason")) < 0)
			goto done;
		break;
	}
	*out = body;
	body = NULL;
done:
	json_decref(body);
	json_decref(view);
	return rc;
}

/* ---- the write commands ---- */

static int run_write(struct vg_client *c, const struct vg_command *cmd, enum vg_ipc_cmd ipc,
		     int argc, char **argv)
{
	const char *case_id, *file;
	json_t *body = NULL, *req = NULL, *reply = NULL;
	char *text = NULL;
	int rc, status;

	if ((status = parse_args(cmd, argc, argv, ipc != VG_IPC_CASE_NEW, &case_id, &file)) != 0)
		return status;
	if (file == NULL && isatty(STDIN_FILENO)) {
		if ((rc = prompt_body(&body, c, ipc, case_id, &status)) < 0) {
			status = vg_client_error(rc);
			goto done;
		}
		if (body == NULL)
			goto done; /* status says why */
	} else if ((rc = read_json(&body, file)) < 0) {
		status = vg_client_fail(VG_EXIT_REFUSED, "%s", vg_error_last());
		goto done;
	}
	req = json_pack("{s:s,s:O}", "cmd", vg_ipc_cmd_name(ipc), "body", body);
	if (req != NULL && case_id != NULL &&
	    json_object_set_new(req, "case", json_string(case_id)) < 0) {
		json_decref(req);
		req = NULL;
	}
	if (req == NULL) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	text = json_dumps(req, JSON_COMPACT);
	if (text == NULL || strlen(text) > VG_IPC_MSG_MAX) {
		status =
		    vg_client_fail(VG_EXIT_REFUSED,
				   "the case data is larger than one request to the daemon can "
				   "carry (%d bytes)",
				   VG_IPC_MSG_MAX);
		goto done;
	}
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) !=
	    VG_EXIT_OK)
		goto done;
	status = VG_EXIT_OK;
	if (c->cli->json) {
		if (vg_client_print_json(reply) < 0)
			status = vg_client_error(VG_EIO);
	} else if (ipc == VG_IPC_CASE_NEW) {
		/* The id alone on standard output, for scripts; the rest is for people. */
		printf("%s\n", json_string_value(json_object_get(reply, "case")));
		fprintf(stderr, "saved%s\n",
			json_is_true(json_object_get(reply, "draft"))
			    ? " as a draft (this device has not joined an organisation)"
			    : "");
	} else {
		printf("saved: entry %s in case %s%s\n",
		       json_string_value(json_object_get(reply, "entry")),
		       json_string_value(json_object_get(reply, "case")),
		       json_is_true(json_object_get(reply, "draft")) ? " (draft)" : "");
	}
done:
	free(text); /* wiped (vg_init) */
	json_decref(body);
	json_decref(req);
	json_decref(reply);
	return status;
}

static int run_new(struct vg_client *c, int argc, char **argv)
{
	return run_write(c, &vg_cmd_case_new, VG_IPC_CASE_NEW, argc, argv);
}

static int run_event(struct vg_client *c, int argc, char **argv)
{
	return run_write(c, &vg_cmd_case_event, VG_IPC_CASE_EVENT, argc, argv);
}

static int run_correct(struct vg_client *c, int argc, char **argv)
{
	return run_write(c, &vg_cmd_case_correct, VG_IPC_CASE_CORRECT, argc, argv);
}

static int run_redact(struct vg_client *c, int argc, char **argv)
{
	return run_write(c, &vg_cmd_case_redact, VG_IPC_CASE_REDACT, argc, argv);
}

#define INPUT_HELP                                                                                 \
	"On a terminal the fields are asked one by one (with the usual words as suggestions;\n"    \
	"any words are kept). Otherwise the case data is a JSON object on standard input or\n"     \
	"in --from-file FILE, shaped as the entry body of common/FORMAT.md 4.6. Case data is\n"    \
	"never taken from the command line. A source's \"confidential\" is true unless given.\n"   \
	"Text fields hold 1 to 4096 bytes, notes 1 to 65536 (one request carries at most\n"        \
	"65536 bytes in all). Needs the keys: a locked vault asks for the passphrase (or\n"        \
	"--passphrase-fd). \"saved\" is printed once the entry is on disk. A device that has\n"    \
	"not joined an organisation keeps the case as a draft, sealed under its vault key.\n"      \
	"\n"                                                                                       \
	"  --from-file FILE  read the JSON object from FILE\n"

const struct vg_command vg_cmd_case_new = {
    "case new",
    run_new,
    "vigil case new [--from-file FILE]",
    "open a case",
    "Opens a case about one person (or group) and prints its id (32 hex digits).\n"
    "JSON: {\"person\": {\"name\" (required), \"other_names\": [...], \"sex\",\n"
    "\"birth_year\": 1980, \"role\", \"affiliation\", \"country\" (required)}, \"ref\",\n"
    "\"notes\"}\n" INPUT_HELP "  --json            {\"case\", \"entry\", \"draft\"}\n",
};

const struct vg_command vg_cmd_case_event = {
    "case event",
    run_event,
    "vigil case event CASE-ID [--from-file FILE]",
    "add an event to a case",
    "Adds what happened to the person of CASE-ID (32 hex digits, or at least 8 of them).\n"
    "JSON: {\"event\": {\"type\" (required), \"date\": \"YYYY[-MM[-DD]]\", \"place\",\n"
    "\"authority\", \"charges\", \"status\", \"sentence\", \"counsel\"}, \"source\":\n"
    "{\"confidential\": true, \"type\", \"description\", \"reliability\"}, \"notes\"}\n" INPUT_HELP
    "  --json            {\"case\", \"entry\", \"draft\"}\n",
};

const struct vg_command vg_cmd_case_correct = {
    "case correct",
    run_correct,
    "vigil case correct CASE-ID [--from-file FILE]",
    "correct the person or an event of a case",
    "Replaces the person or one event of CASE-ID with a corrected version; the old one\n"
    "stays in the record. On a terminal it shows the case, asks which one, and asks every\n"
    "field with its current value. JSON: {\"supersedes\": [ENTRY-ID], \"person\": {...}} or\n"
    "{\"supersedes\": [ENTRY-ID], \"event\": {...}, \"source\": {...}}, and \"notes\"; an\n"
    "ENTRY-ID is the \"entry\" (or \"person_entry\") that 'vigil case show --json' gives, or\n"
    "at least 8 of its digits. Two corrections of one version show as a conflict.\n" INPUT_HELP
    "  --json            {\"case\", \"entry\", \"draft\"}\n",
};

const struct vg_command vg_cmd_case_redact = {
    "case redact",
    run_redact,
    "vigil case redact CASE-ID [--from-file FILE]",
    "withdraw an event, a correction or a whole case",
    "Withdraws entries of CASE-ID from its view (they stay in the signed record). On a\n"
    "terminal it asks for the whole case or an event, and a reason. JSON: {\"supersedes\":\n"
    "[ENTRY-ID, ...], \"reason\"}: an event's \"reported\" entry withdraws the event with\n"
    "its corrections, a correction's entry withdraws that correction, the \"open\" entry\n"
    "the whole case.\n" INPUT_HELP "  --json            {\"case\", \"entry\", \"draft\"}\n",
};

const struct vg_command *const vg_cmd_case_subs[] = {
    &vg_cmd_case_new,	 &vg_cmd_case_event, &vg_cmd_case_correct,
    &vg_cmd_case_redact, &vg_cmd_case_show,  &vg_cmd_case_list,
};

static int run_case(struct vg_client *c, int argc, char **argv)
{
	(void)c;
	if (argc > 1)
		vg_client_fail(VG_EXIT_USAGE,
			       "'%s' is not a case command (see 'vigil case --help')", argv[1]);
	else
		vg_client_fail(VG_EXIT_USAGE, "'vigil case' needs a command (see 'vigil case "
					      "--help')");
	return VG_EXIT_USAGE;
}

const struct vg_command vg_cmd_case = {
    "case",
    run_case,
    "vigil case new|event|correct|redact|show|list ...",
    "log cases: new, event, correct, redact, show, list",
    "  vigil case new                    open a case; prints its id\n"
    "  vigil case event CASE-ID          add an event\n"
    "  vigil case correct CASE-ID        correct the person or an event\n"
    "  vigil case redact CASE-ID         withdraw an event or the case\n"
    "  vigil case show CASE-ID           the case, events in date order\n"
    "  vigil case list [--country C] [--status S] [--since D]\n"
    "'vigil case COMMAND --help' says more. Case data comes from prompts on a terminal, or\n"
    "a JSON object on standard input or in --from-file FILE; never from the command line.\n",
};
