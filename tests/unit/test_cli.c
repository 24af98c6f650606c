/*
 * Common options, home directories, passphrase input and terminal sanitising.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "vigil/cli.h"
#include "vigil/error.h"
#include "vigil/home.h"
#include "vigil/term.h"
#include "vigil/vigil.h"

static void test_options_anywhere(void **state)
{
	char *argv[] = {"vigil",     "case",   "--json",
			"list",	     "--home", "/x",
			"--country", "KZ",     "--passphrase-fd=3",
			NULL};
	struct vg_cli c;

	(void)state;
	unsetenv("VIGIL_HOME");
	assert_int_equal(vg_cli_parse(&c, 9, argv), 0);
	assert_true(c.json);
	assert_string_equal(c.home, "/x");
	assert_int_equal(c.passphrase_fd, 3);
	assert_int_equal(c.argc, 4);
	assert_string_equal(c.argv[0], "case");
	assert_string_equal(c.argv[1], "list");
	assert_string_equal(c.argv[2], "--country");
	assert_string_equal(c.argv[3], "KZ");
	assert_null(c.argv[4]);
}

static void test_options_refused(void **state)
{
	char *a1[] = {"vigil", "status", "--home", NULL};
	char *a2[] = {"vigil", "--passphrase-fd", "x", NULL};
	char *a3[] = {"vigil", "--passphrase-fd", "-1", NULL};
	char *a4[] = {"vigil", "--", "--json", NULL};
	struct vg_cli c;

	(void)state;
	assert_int_equal(vg_cli_parse(&c, 3, a1), VG_EINVAL);
	assert_int_equal(vg_cli_status(VG_EINVAL), 2);
	assert_int_equal(vg_cli_parse(&c, 3, a2), VG_EINVAL);
	assert_int_equal(vg_cli_parse(&c, 3, a3), VG_EINVAL);
	assert_int_equal(vg_cli_parse(&c, 3, a4), 0);
	assert_false(c.json);
	assert_int_equal(c.argc, 1);
	assert_string_equal(c.argv[0], "--json");
	assert_int_equal(vg_cli_status(VG_EAUTH), 1);
}

static void test_home(void **state)
{
	struct vg_home h;
	char cwd[PATH_MAX], want[PATH_MAX + 32];

	(void)state;
	unsetenv("VIGIL_HOME");
	assert_int_equal(vg_home_resolve(&h, "/srv/alice/"), 0);
	assert_string_equal(h.data, "/srv/alice/data");
	assert_string_equal(h.config, "/srv/alice/config");
	assert_string_equal(h.run, "/srv/alice/run");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(vg_home_resolve(&h, "rel"), 0);
	snprintf(want, sizeof(want), "%s/rel/data", cwd);
	assert_string_equal(h.data, want);
	setenv("VIGIL_HOME", "/env/home", 1);
	assert_int_equal(vg_home_resolve(&h, NULL), 0);
	assert_string_equal(h.data, "/env/home/data");
	unsetenv("VIGIL_HOME");
	setenv("HOME", "/home/u", 1);
	setenv("XDG_DATA_HOME", "relative/ignored", 1);
	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	assert_int_equal(vg_home_resolve(&h, NULL), 0);
	assert_string_equal(h.data, "/home/u/.local/share/vigil");
	assert_string_equal(h.config, "/cfg/vigil");
	assert_string_equal(h.run, "/run/user/1000/vigil");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(vg_home_resolve(&h, NULL), 0);
	assert_string_equal(h.run, "/home/u/.local/share/vigil/run");
	unsetenv("HOME");
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(vg_home_resolve(&h, NULL), VG_EINVAL);
}

static void test_passphrase_fd(void **state)
{
	struct vg_buf p = VG_BUF_INIT_SECURE;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "first one\nsecond\n\n", 18), 18);
	close(fds[1]);
	assert_int_equal(vg_term_passphrase(&p, fds[0], "x"), 0);
	assert_string_equal((char *)p.ptr, "first one");
	assert_int_equal(vg_term_passphrase(&p, fds[0], "x"), 0);
	assert_string_equal((char *)p.ptr, "second");
	assert_int_equal(vg_term_passphrase(&p, fds[0], "x"), VG_EINVAL); /* empty line */
	assert_int_equal(p.len, 0);
	assert_int_equal(vg_term_passphrase(&p, fds[0], "x"), VG_ENOTFOUND); /* end of file */
	close(fds[0]);
	/* Longer than the cap. */
	assert_int_equal(pipe(fds), 0);
	{
		char big[VG_PASSPHRASE_MAX + 10];
		memset(big, 'a', sizeof(big));
		assert_int_equal(write(fds[1], big, sizeof(big)), (ssize_t)sizeof(big));
	}
	close(fds[1]);
	assert_int_equal(vg_term_passphrase(&p, fds[0], "x"), VG_ELIMIT);
	close(fds[0]);
	vg_buf_release(&p);
}

static void test_sanitize(void **state)
{
	struct vg_buf b = VG_BUF_INIT;
	/* ESC [2J, a bidi override, a C1 CSI, DEL, an isolate, invalid UTF-8, overlong '/' */
	const char in[] = "a\x1b[2Jb\xe2\x80\xae"
			  "c\xc2\x9b"
			  "d\x7f"
			  "e\xe2\x81\xa6"
			  "f\xff"
			  "g\xc0\xaf"
			  "h\tЁров\n";

	(void)state;
	assert_int_equal(vg_term_sanitize(&b, in, sizeof(in) - 1, false), 0);
	assert_string_equal((char *)b.ptr, "a[2Jbcdef\xef\xbf\xbdg\xef\xbf\xbd\xef\xbf\xbdh\tЁров");
	vg_buf_clear(&b);
	assert_int_equal(vg_term_sanitize(&b, "x\ny", 3, true), 0);
	assert_string_equal((char *)b.ptr, "x\ny");
	vg_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options_anywhere),
	    cmocka_unit_test(test_options_refused),
	    cmocka_unit_test(test_home),
	    cmocka_unit_test(test_passphrase_fd),
	    cmocka_unit_test(test_sanitize),
	};
	assert_int_equal(vg_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
