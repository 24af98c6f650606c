/*
 * The daemon's protocol: line framing, request parsing (every malformed request refused
 * with its code), replies, and the socket checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/ipc.h"
#include "vigil/vigil.h"

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

static void expect_line(struct vg_ipc_reader *r, const char *want)
{
	const char *line;
	size_t len;

	assert_int_equal(vg_ipc_reader_next(r, &line, &len), 1);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
}

static void expect_more(struct vg_ipc_reader *r)
{
	const char *line;
	size_t len;

	assert_int_equal(vg_ipc_reader_next(r, &line, &len), 0);
}

static void test_reader_lines(void **state)
{
	struct vg_ipc_reader r;

	(void)state;
	vg_ipc_reader_init(&r, 16);
	expect_more(&r);
	assert_int_equal(vg_ipc_reader_feed(&r, "a\nbc", 4), 0);
	expect_line(&r, "a");
	expect_more(&r);
	assert_int_equal(vg_ipc_reader_pending(&r), 2);
	assert_int_equal(vg_ipc_reader_feed(&r, "d\n\nef", 5), 0);
	expect_line(&r, "bcd");
	expect_line(&r, ""); /* an empty line is a line: the parser refuses it */
	expect_more(&r);
	assert_int_equal(vg_ipc_reader_pending(&r), 2);
	/* Byte by byte, as a slow peer sends. */
	for (const char *p = "ghij\n"; *p != '\0'; p++)
		assert_int_equal(vg_ipc_reader_feed(&r, p, 1), 0);
	expect_line(&r, "efghij");
	assert_int_equal(vg_ipc_reader_pending(&r), 0);
	vg_ipc_reader_release(&r);
}

static void test_reader_limit(void **state)
{
	struct vg_ipc_reader r;
	const char *line;
	size_t len;

	(void)state;
	/* Exactly max bytes and the LF: accepted. */
	vg_ipc_reader_init(&r, 8);
	assert_int_equal(vg_ipc_reader_feed(&r, "12345678\n", 9), 0);
	expect_line(&r, "12345678");
	/* max bytes without LF: wait; one more byte: refused. */
	assert_int_equal(vg_ipc_reader_feed(&r, "12345678", 8), 0);
	expect_more(&r);
	assert_int_equal(vg_ipc_reader_feed(&r, "9", 1), 0);
	assert_int_equal(vg_ipc_reader_next(&r, &line, &len), VG_ELIMIT);
	vg_ipc_reader_release(&r);
	/* An overlong line that arrives with its LF in one piece: refused too. */
	vg_ipc_reader_init(&r, 8);
	assert_int_equal(vg_ipc_reader_feed(&r, "123456789\nok\n", 13), 0);
	assert_int_equal(vg_ipc_reader_next(&r, &line, &len), VG_ELIMIT);
	vg_ipc_reader_release(&r);
}

static void test_reader_fd(void **state)
{
	struct vg_ipc_reader r;
	int sv[2];
	bool eof = false;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vg_ipc_reader_init(&r, VG_IPC_MSG_MAX);
	assert_int_equal(write(sv[1], "{\"cmd\"", 6), 6);
	assert_int_equal(vg_ipc_reader_read(&r, sv[0], &eof), 0);
	assert_false(eof);
	expect_more(&r);
	assert_int_equal(write(sv[1], ":\"status\"}\npartial", 18), 18);
	assert_int_equal(vg_ipc_reader_read(&r, sv[0], &eof), 0);
	expect_line(&r, "{\"cmd\":\"status\"}");
	expect_more(&r);
	close(sv[1]);
	assert_int_equal(vg_ipc_reader_read(&r, sv[0], &eof), 0);
	assert_true(eof);
	assert_int_equal(vg_ipc_reader_pending(&r), 7); /* "partial": an incomplete request */
	/* A closed descriptor is an error, not end of file. */
	close(sv[0]);
	assert_int_equal(vg_ipc_reader_read(&r, sv[0], &eof), VG_EIO);
	vg_ipc_reader_release(&r);
}

static int parse(struct vg_ipc_request **out, const char *s)
{
	return vg_ipc_request_parse(out, s, strlen(s));
}

static void test_parse_commands(void **state)
{
	static const struct {
		const char *line;
		enum vg_ipc_cmd cmd;
	} ok[] = {
	    {"{\"cmd\":\"status\"}", VG_IPC_STATUS},
	    {" { \"cmd\" : \"lock\" } \r", VG_IPC_LOCK}, /* JSON whitespace is fine */
	    {"{\"cmd\":\"shutdown\"}", VG_IPC_SHUTDOWN},
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"cHc=\"}", VG_IPC_UNLOCK},
	    {"{\"passphrase\":\"cHc=\",\"cmd\":\"init\"}", VG_IPC_INIT},
	    {"{\"cmd\":\"init\",\"passphrase\":\"cHc=\",\"name\":\"alice\"}", VG_IPC_INIT},
	    {"{\"cmd\":\"passwd\",\"old\":\"cHc=\",\"new\":\"cHcy\"}", VG_IPC_PASSWD},
	    {"{\"cmd\":\"challenge\",\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}",
	     VG_IPC_CHALLENGE},
	};
	struct vg_ipc_request *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(&r, ok[i].line) != 0)
			fail_msg("refused '%s': %s", ok[i].line, vg_error_last());
		assert_int_equal(vg_ipc_request_cmd(r), ok[i].cmd);
		vg_ipc_request_free(r);
	}
	assert_int_equal(parse(&r, "{\"cmd\":\"init\",\"passphrase\":\"cHc=\",\"name\":\"alice\"}"),
			 0);
	assert_string_equal(vg_ipc_request_string(r, "name"), "alice");
	assert_null(vg_ipc_request_string(r, "passphrase")); /* not a string member */
	assert_null(vg_ipc_request_bytes(r, "name"));
	assert_int_equal(vg_ipc_request_bytes(r, "passphrase")->len, 2);
	assert_memory_equal(vg_ipc_request_bytes(r, "passphrase")->ptr, "pw", 2);
	assert_true(vg_ipc_request_bytes(r, "passphrase")->secure);
	vg_ipc_request_free(r);
	assert_int_equal(parse(&r, "{\"cmd\":\"init\",\"passphrase\":\"cHc=\"}"), 0);
	assert_null(vg_ipc_request_string(r, "name")); /* optional, absent */
	vg_ipc_request_free(r);
	assert_int_equal(parse(&r, "{\"cmd\":\"challenge\",\"nonce\":"
				   "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}"),
			 0);
	assert_int_equal(vg_ipc_request_bytes(r, "nonce")->len, 32);
	assert_int_equal(vg_ipc_request_bytes(r, "nonce")->ptr[31], 31);
	vg_ipc_request_free(r);
	vg_ipc_request_free(NULL);
	assert_string_equal(vg_ipc_cmd_name(VG_IPC_PASSWD), "passwd");
	assert_null(vg_ipc_cmd_name((enum vg_ipc_cmd)999));
}

/* Any byte survives the trip: NUL, LF, quotes, invalid UTF-8. */
static void test_passphrase_bytes(void **state)
{
	static const uint8_t pass[] = {'a', 0, '\n', '"', '\\', 0xff, 0xc3, 0x28, '\r', 'z'};
	struct vg_ipc_request *r = NULL;
	json_t *req = vg_ipc_request_new(VG_IPC_UNLOCK);
	char *text;

	(void)state;
	assert_non_null(req);
	assert_int_equal(vg_ipc_set_base64(req, "passphrase", pass, sizeof(pass)), 0);
	text = json_dumps(req, JSON_COMPACT);
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	assert_int_equal(parse(&r, text), 0);
	assert_int_equal(vg_ipc_request_bytes(r, "passphrase")->len, sizeof(pass));
	assert_memory_equal(vg_ipc_request_bytes(r, "passphrase")->ptr, pass, sizeof(pass));
	vg_ipc_request_free(r);
	free(text);
	json_decref(req);
}

static void test_parse_refused(void **state)
{
	static const struct {
		const char *line;
		int code;
	} bad[] = {
	    {"", VG_EFORMAT},
	    {"not json", VG_EFORMAT},
	    {"{\"cmd\":\"status\"", VG_EFORMAT},
	    {"{\"cmd\":\"status\"} {}", VG_EFORMAT}, /* trailing data */
	    {"[\"status\"]", VG_EFORMAT},
	    {"\"status\"", VG_EFORMAT},
	    {"null", VG_EFORMAT},
	    {"{}", VG_EFORMAT},
	    {"{\"cmd\":1}", VG_EFORMAT},
	    {"{\"cmd\":null}", VG_EFORMAT},
	    {"{\"cmd\":\"nope\"}", VG_EUNSUPPORTED},
	    {"{\"cmd\":\"STATUS\"}", VG_EUNSUPPORTED},
	    {"{\"cmd\":\"status\",\"cmd\":\"lock\"}", VG_EFORMAT}, /* duplicate key */
	    {"{\"cmd\":\"status\",\"x\":1}", VG_EFORMAT},	   /* unknown member */
	    {"{\"cmd\":\"lock\",\"passphrase\":\"cHc=\"}", VG_EFORMAT},
	    {"{\"cmd\":\"unlock\"}", VG_EFORMAT}, /* missing member */
	    {"{\"cmd\":\"unlock\",\"passphrase\":12}", VG_EFORMAT},
	    {"{\"cmd\":\"unlock\",\"passphrase\":[\"cHc=\"]}", VG_EFORMAT},
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"\"}", VG_EFORMAT},	  /* empty */
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"cHc\"}", VG_EFORMAT},  /* no padding */
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"cHd=\"}", VG_EFORMAT}, /* padding bits */
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"cH c=\"}", VG_EFORMAT},
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"cHc=\\n\"}", VG_EFORMAT},
	    {"{\"cmd\":\"unlock\",\"passphrase\":\"c-c_\"}", VG_EFORMAT}, /* URL-safe alphabet */
	    {"{\"cmd\":\"passwd\",\"old\":\"cHc=\"}", VG_EFORMAT},
	    {"{\"cmd\":\"init\",\"passphrase\":\"cHc=\",\"name\":5}", VG_EFORMAT},
	    {"{\"cmd\":\"init\",\"passphrase\":\"cHc=\",\"name\":\"a\\u0000b\"}", VG_EFORMAT},
	    {"{\"cmd\":\"challenge\",\"nonce\":\"AAAA\"}", VG_EFORMAT}, /* 3 bytes, not 32 */
	    {"{\"cmd\":\"challenge\",\"nonce\":"
	     "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"}",
	     VG_EFORMAT},		       /* 34 bytes */
	    {"{\"cmd\":\"status\"}\n", VG_OK}, /* control: a trailing LF is JSON whitespace */
	};
	struct vg_ipc_request *r = (struct vg_ipc_request *)1;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&r, bad[i].line);
		if (rc != bad[i].code)
			fail_msg("'%s': %d (%s), want %d", bad[i].line, rc, vg_error_last(),
				 bad[i].code);
		if (rc == 0)
			vg_ipc_request_free(r);
		else
			assert_null(r);
	}
}

static void test_parse_limits(void **state)
{
	struct vg_ipc_request *r = NULL;
	uint8_t pass[VG_IPC_SECRET_MAX + 1];
	json_t *req;
	char *text, *big;
	char name[128];

	(void)state;
	memset(pass, 'p', sizeof(pass));
	/* The longest secret is accepted, one byte more is refused. */
	req = vg_ipc_request_new(VG_IPC_UNLOCK);
	assert_int_equal(vg_ipc_set_base64(req, "passphrase", pass, VG_IPC_SECRET_MAX), 0);
	text = json_dumps(req, JSON_COMPACT);
	assert_int_equal(parse(&r, text), 0);
	vg_ipc_request_free(r);
	free(text);
	assert_int_equal(vg_ipc_set_base64(req, "passphrase", pass, sizeof(pass)), 0);
	text = json_dumps(req, JSON_COMPACT);
	assert_int_equal(parse(&r, text), VG_EFORMAT);
	assert_null(strstr(vg_error_last(), "pppp")); /* never quotes a secret */
	free(text);
	json_decref(req);
	/* A long name is refused before anything else looks at it. */
	snprintf(name, sizeof(name),
		 "{\"cmd\":\"init\",\"passphrase\":\"cHc=\",\"name\":\"%065d\"}", 0);
	assert_int_equal(parse(&r, name), VG_EFORMAT);
	/* Over VG_IPC_MSG_MAX: refused before parsing. */
	big = malloc(VG_IPC_MSG_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', VG_IPC_MSG_MAX + 1);
	memcpy(big, "{\"cmd\":\"status\"}", 16);
	assert_int_equal(vg_ipc_request_parse(&r, big, VG_IPC_MSG_MAX), 0);
	vg_ipc_request_free(r);
	assert_int_equal(vg_ipc_request_parse(&r, big, VG_IPC_MSG_MAX + 1), VG_ELIMIT);
	free(big);
	/* Deep nesting is an error, not a stack overflow. */
	big = malloc(VG_IPC_MSG_MAX);
	assert_non_null(big);
	memset(big, '[', VG_IPC_MSG_MAX);
	assert_int_equal(vg_ipc_request_parse(&r, big, VG_IPC_MSG_MAX), VG_EFORMAT);
	free(big);
}

static void test_messages(void **state)
{
	struct vg_ipc_reader r;
	json_t *m, *got = NULL;
	bool is_reply;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	vg_ipc_reader_init(&r, VG_IPC_MSG_MAX);
	/* Progress, then a refusal whose text is made one clean line. */
	m = vg_ipc_progress("deriving");
	assert_int_equal(vg_ipc_send(sv[0], m), 0);
	json_decref(m);
	m = vg_ipc_reply_error("auth", "wrong\npassphrase \x1b[31m\xff");
	assert_int_equal(vg_ipc_send(sv[0], m), 0);
	json_decref(m);
	assert_int_equal(vg_ipc_recv(&got, &r, sv[1]), 0);
	assert_int_equal(vg_ipc_message_check(got, &is_reply), 0);
	assert_false(is_reply);
	json_decref(got);
	assert_int_equal(vg_ipc_recv(&got, &r, sv[1]), 0);
	assert_int_equal(vg_ipc_message_check(got, &is_reply), 0);
	assert_true(is_reply);
	assert_false(json_is_true(json_object_get(got, "ok")));
	assert_string_equal(json_string_value(json_object_get(got, "code")), "auth");
	assert_string_equal(json_string_value(json_object_get(got, "error")),
			    "wrongpassphrase [31m\xef\xbf\xbd");
	json_decref(got);
	m = vg_ipc_reply_ok();
	assert_int_equal(vg_ipc_send(sv[0], m), 0);
	json_decref(m);
	assert_int_equal(vg_ipc_recv(&got, &r, sv[1]), 0);
	assert_int_equal(vg_ipc_message_check(got, &is_reply), 0);
	assert_true(is_reply && json_is_true(json_object_get(got, "ok")));
	json_decref(got);
	/* What a client refuses from a daemon. */
	static const char *const bad[] = {"{}",
					  "{\"type\":\"reply\"}",
					  "{\"type\":\"reply\",\"ok\":false}",
					  "{\"type\":\"progress\"}",
					  "{\"type\":\"other\",\"ok\":true}",
					  "[]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = json_loads(bad[i], 0, NULL);
		assert_non_null(m);
		assert_int_equal(vg_ipc_message_check(m, &is_reply), VG_EFORMAT);
		json_decref(m);
	}
	/* Not JSON, and not an object. */
	assert_int_equal(write(sv[0], "nope\n[1]\n", 9), 9);
	assert_int_equal(vg_ipc_recv(&got, &r, sv[1]), VG_EFORMAT);
	assert_int_equal(vg_ipc_recv(&got, &r, sv[1]), VG_EFORMAT);
	/* Too long to send. */
	{
		char *s = malloc(VG_IPC_MSG_MAX + 1);
		assert_non_null(s);
		memset(s, 'x', VG_IPC_MSG_MAX);
		s[VG_IPC_MSG_MAX] = '\0';
		m = vg_ipc_progress(s);
		assert_int_equal(vg_ipc_send(sv[0], m), VG_ELIMIT);
		json_decref(m);
		free(s);
	}
	/* The peer closes: an error, not a hang. */
	close(sv[0]);
	assert_int_equal(vg_ipc_recv(&got, &r, sv[1]), VG_EIO);
	close(sv[1]);
	vg_ipc_reader_release(&r);
}

static void test_challenge(void **state)
{
	uint8_t nonce[VG_IPC_NONCE_BYTES];
	char msg[VG_IPC_CHALLENGE_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)i;
	vg_ipc_challenge_message(msg, nonce);
	assert_int_equal(strlen(msg), VG_IPC_CHALLENGE_LEN);
	assert_string_equal(msg,
			    "vigil identity challenge v1 "
			    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
}

static void test_socket_path(void **state)
{
	char path[VG_IPC_PATH_MAX + 1], dir[200];

	(void)state;
	assert_int_equal(vg_ipc_socket_path(path, "/run/user/1000/vigil"), 0);
	assert_string_equal(path, "/run/user/1000/vigil/vigild.sock");
	/* 107 bytes fit, 108 do not. */
	memset(dir, 'd', sizeof(dir));
	dir[0] = '/';
	dir[VG_IPC_PATH_MAX - 12] = '\0';
	assert_int_equal(vg_ipc_socket_path(path, dir), 0);
	assert_int_equal(strlen(path), VG_IPC_PATH_MAX);
	dir[VG_IPC_PATH_MAX - 12] = 'd';
	dir[VG_IPC_PATH_MAX - 11] = '\0';
	assert_int_equal(vg_ipc_socket_path(path, dir), VG_ELIMIT);
	assert_non_null(strstr(vg_error_last(), "too long"));
}

static void test_dir_check(void **state)
{
	char *t = vgt_tmpdir();
	char *run = vgt_path(t, "run"), *link = vgt_path(t, "link"), *file = vgt_path(t, "file");
	char *deep = vgt_path(t, "a/b/run");
	struct stat st;
	uid_t me = geteuid();

	(void)state;
	assert_int_equal(vg_ipc_dir_check(run, me), VG_ENOTFOUND);
	assert_int_equal(vg_ipc_dir_prepare(run, me), 0);
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(vg_ipc_dir_check(run, me), 0);
	assert_int_equal(vg_ipc_dir_prepare(deep, me), 0);
	/* Another owner (simulated: checked against another uid). */
	assert_int_equal(vg_ipc_dir_check(run, me + 1), VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_error_last(), "owned by uid"));
	/* Group or other bits, however few. */
	static const mode_t loose[] = {0710, 0750, 0770, 0701, 0705, 0777, 0702};
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		assert_int_equal(chmod(run, loose[i]), 0);
		assert_int_equal(vg_ipc_dir_check(run, me), VG_EUNSUPPORTED);
		assert_non_null(strstr(vg_error_last(), "group or others"));
		assert_int_equal(vg_ipc_dir_prepare(run, me), VG_EUNSUPPORTED);
	}
	assert_int_equal(chmod(run, 0700), 0);
	/* A symlink to a good directory is still refused. */
	assert_int_equal(symlink(run, link), 0);
	assert_int_equal(vg_ipc_dir_check(link, me), VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_error_last(), "symlink"));
	assert_int_equal(vg_ipc_dir_prepare(link, me), VG_EUNSUPPORTED);
	vgt_write_file(file, "x", 1);
	assert_int_equal(vg_ipc_dir_check(file, me), VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_error_last(), "not a directory"));
	vgt_rmrf(t);
	free(deep);
	free(file);
	free(link);
	free(run);
	free(t);
}

static void test_listen_connect(void **state)
{
	char *t = vgt_tmpdir();
	char *sock = vgt_path(t, "vigild.sock");
	char back[VG_IPC_PATH_MAX + 1];
	struct sockaddr_un sa;
	int l = -1, c = -1, s, a;
	uid_t peer = (uid_t)-1;

	(void)state;
	assert_int_equal(vg_ipc_connect(&c, sock), VG_ENOTFOUND);
	assert_int_equal(vg_ipc_listen(&l, sock), 0);
	assert_int_equal(vg_ipc_listen_check(back, l), 0);
	assert_string_equal(back, sock);
	assert_int_equal(vg_ipc_listen(&s, sock), VG_EEXISTS);
	assert_int_equal(vg_ipc_connect(&c, sock), 0);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	assert_int_equal(vg_ipc_peer_uid(&peer, a), 0);
	assert_int_equal(peer, geteuid());
	assert_int_equal(vg_ipc_peer_uid(&peer, c), 0);
	assert_int_equal(peer, geteuid());
	close(a);
	close(c);
	/* A socket file nobody listens on (a daemon killed -9) is "not running". */
	close(l);
	assert_int_equal(vg_ipc_connect(&c, sock), VG_ENOTFOUND);
	/* Not a socket, a connected socket, an abstract socket: refused for activation. */
	assert_true(vg_ipc_listen_check(back, STDIN_FILENO) < 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, "vigil-test-abstract", 19);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(vg_ipc_listen_check(back, s), VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_error_last(), "abstract"));
	close(s);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(vg_ipc_listen_check(back, s), VG_EUNSUPPORTED);
	close(s);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(vg_ipc_listen_check(back, s), VG_EUNSUPPORTED);
	close(s);
	vgt_rmrf(t);
	free(sock);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reader_lines),     cmocka_unit_test(test_reader_limit),
	    cmocka_unit_test(test_reader_fd),	     cmocka_unit_test(test_parse_commands),
	    cmocka_unit_test(test_passphrase_bytes), cmocka_unit_test(test_parse_refused),
	    cmocka_unit_test(test_parse_limits),     cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_challenge),	     cmocka_unit_test(test_socket_path),
	    cmocka_unit_test(test_dir_check),	     cmocka_unit_test(test_listen_connect),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
