/*
 * The configuration file: defaults, accepted forms, and every refusal with its line number
 * ([agent] autolock, [agent] log_level, [sync] interval).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vigil/config.h"
#include "vigil/error.h"
#include "vigil/vigil.h"

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

static int parse(struct vg_config *c, const char *text)
{
	return vg_config_parse(c, text, strlen(text), "vigil.conf");
}

static void test_accepted(void **state)
{
	static const struct {
		const char *text;
		unsigned autolock;
	} ok[] = {
	    {"", VG_CONFIG_AUTOLOCK_DEFAULT},
	    {"; nothing but a comment\n# and another\n\n", VG_CONFIG_AUTOLOCK_DEFAULT},
	    {"[agent]\n", VG_CONFIG_AUTOLOCK_DEFAULT},
	    {"[agent]\nautolock = 1\n", 1},
	    {"[agent]\nautolock=0\n", 0},
	    {"[agent]\r\nautolock = 30\r\n", 30},
	    {"\xef\xbb\xbf[agent]\nautolock = 30", 30}, /* BOM, no final newline */
	    {"[agent]\n  autolock   =   45   ; inline comment\n", 45},
	    {"[agent]\nautolock = 31536000\n", 31536000},
	};
	static const struct {
		const char *text;
		unsigned interval, autolock;
	} sync[] = {
	    {"[sync]\ninterval = 0\n", 0, VG_CONFIG_AUTOLOCK_DEFAULT},
	    {"[sync]\ninterval = 1\n", 1, VG_CONFIG_AUTOLOCK_DEFAULT},
	    {"[sync]\ninterval=604800\n", 604800, VG_CONFIG_AUTOLOCK_DEFAULT},
	    {"[agent]\nautolock = 5\n[sync]\ninterval = 60 ; a minute\n", 60, 5},
	    {"[sync]\ninterval = 30\n[agent]\nautolock = 0\n", 30, 0},
	};
	struct vg_config c;

	(void)state;
	vg_config_init(&c);
	assert_int_equal(c.autolock, 600);
	assert_int_equal(c.sync_interval, 900);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(&c, ok[i].text) != 0)
			fail_msg("refused '%s': %s", ok[i].text, vg_error_last());
		assert_int_equal(c.autolock, ok[i].autolock);
		assert_int_equal(c.sync_interval, VG_CONFIG_SYNC_INTERVAL_DEFAULT);
	}
	for (size_t i = 0; i < sizeof(sync) / sizeof(sync[0]); i++) {
		if (parse(&c, sync[i].text) != 0)
			fail_msg("refused '%s': %s", sync[i].text, vg_error_last());
		assert_int_equal(c.sync_interval, sync[i].interval);
		assert_int_equal(c.autolock, sync[i].autolock);
	}
}

static void test_log_level(void **state)
{
	static const struct {
		const char *text;
		unsigned level;
	} ok[] = {
	    {"", VG_LOG_INFO},
	    {"[agent]\nlog_level = error\n", VG_LOG_ERROR},
	    {"[agent]\nlog_level = warn\n", VG_LOG_WARN},
	    {"[agent]\nlog_level=info\n", VG_LOG_INFO},
	    {"[agent]\nlog_level = debug ; everything\n", VG_LOG_DEBUG},
	    {"[agent]\nautolock = 5\nlog_level = debug\n", VG_LOG_DEBUG},
	};
	static const char *const bad[] = {
	    "[agent]\nlog_level = verbose\n", "[agent]\nlog_level = DEBUG\n",
	    "[agent]\nlog_level = 3\n",	      "[agent]\nlog_level =\n",
	    "[agent]\nlog_level = warning\n", "[agent]\nlog_level = info debug\n",
	};
	struct vg_config c;
	struct vg_config_item it;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(&c, ok[i].text) != 0)
			fail_msg("refused '%s': %s", ok[i].text, vg_error_last());
		assert_int_equal(c.log_level, ok[i].level);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&c, bad[i]), VG_EFORMAT);
		if (strstr(vg_error_last(), "line 2: bad value for 'log_level'") == NULL)
			fail_msg("'%s': %s", bad[i], vg_error_last());
		assert_int_equal(c.log_level, VG_LOG_INFO); /* left at the defaults */
	}
	assert_int_equal(parse(&c, "[agent]\nlog_level = warn\nlog_level = warn\n"), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "line 3: key 'log_level' given twice"));
	/* As config show sees it: a word, its default info, the line that set it. */
	assert_int_equal(parse(&c, "[agent]\nlog_level = debug\n"), 0);
	for (size_t i = 0; i < VG_CONFIG_KEYS; i++) {
		vg_config_item(&it, &c, i);
		if (strcmp(it.key, "proxy") == 0) { /* the other word setting: a URL, none here */
			assert_string_equal(it.unit, "url");
			assert_string_equal(it.word, "");
			continue;
		}
		if (strcmp(it.key, "log_level") != 0) {
			assert_null(it.word);
			continue;
		}
		assert_string_equal(it.section, "agent");
		assert_string_equal(it.unit, "level");
		assert_string_equal(it.word, "debug");
		assert_string_equal(it.fallback_word, "info");
		assert_int_equal(it.line, 2);
	}
	assert_null(vg_log_level_name(4));
}

static void test_refused(void **state)
{
	static const struct {
		const char *text;
		const char *msg; /* what the message must say, line number included */
	} bad[] = {
	    {"[agent]\nautolock = 1\nfoo = 2\n", "line 3: unknown key 'foo' in [agent]"},
	    {"[agnet]\nautolock = 1\n", "line 2: unknown key 'autolock' in [agnet]"},
	    {"autolock = 1\n", "line 1: key 'autolock' outside a section"},
	    {"[agent]\nautolock = ten\n", "line 2: bad value for 'autolock'"},
	    {"[agent]\nautolock = -1\n", "line 2: bad value"},
	    {"[agent]\nautolock = +5\n", "line 2: bad value"},
	    {"[agent]\nautolock = 010\n", "line 2: bad value"},
	    {"[agent]\nautolock = 1.5\n", "line 2: bad value"},
	    {"[agent]\nautolock = 31536001\n", "line 2: bad value"},
	    {"[agent]\nautolock = 99999999999999999999999\n", "line 2: bad value"},
	    {"[agent]\nautolock =\n", "line 2: bad value"},
	    {"[agent]\nautolock = 1\nautolock = 2\n", "line 3: key 'autolock' given twice"},
	    {"[agent\nautolock = 1\n", "line 1: syntax error"},
	    {"[agent]\n\njunk\n", "line 3: syntax error"},
	    /* The first error wins, whichever kind. */
	    {"[agent]\njunk\nfoo = 1\n", "line 2: syntax error"},
	    {"[agent]\nfoo = 1\njunk\n", "line 2: unknown key 'foo'"},
	    /* [sync] */
	    {"[sync]\ninterval = 604801\n", "line 2: bad value for 'interval'"},
	    {"[sync]\ninterval = 15m\n", "line 2: bad value for 'interval'"},
	    {"[sync]\ninterval = -1\n", "line 2: bad value for 'interval'"},
	    {"[sync]\ninterval = 090\n", "line 2: bad value for 'interval'"},
	    {"[sync]\ninterval =\n", "line 2: bad value for 'interval'"},
	    {"[agent]\ninterval = 60\n", "line 2: unknown key 'interval' in [agent]"},
	    {"[sync]\nautolock = 60\n", "line 2: unknown key 'autolock' in [sync]"},
	    {"[sync]\nintervall = 60\n", "line 2: unknown key 'intervall' in [sync]"},
	    {"[sync]\ninterval = 60\n\n[sync]\ninterval = 30\n",
	     "line 5: key 'interval' given twice"},
	};
	struct vg_config c;
	char big[400];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c.autolock = 12345;
		c.sync_interval = 12345;
		if (parse(&c, bad[i].text) != VG_EFORMAT)
			fail_msg("accepted '%s'", bad[i].text);
		if (strstr(vg_error_last(), bad[i].msg) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, vg_error_last(),
				 bad[i].msg);
		assert_non_null(strstr(vg_error_last(), "'vigil.conf' line"));
		assert_int_equal(c.autolock, VG_CONFIG_AUTOLOCK_DEFAULT); /* defaults on error */
		assert_int_equal(c.sync_interval, VG_CONFIG_SYNC_INTERVAL_DEFAULT);
	}
	/* A line too long for inih's buffer is refused, not split into two. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "[agent]\nautolock = 5", 20);
	memcpy(big + sizeof(big) - 7, "; x\n", 5);
	assert_int_equal(parse(&c, big), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "line 2: line longer than"));
	/* NUL bytes. */
	assert_int_equal(vg_config_parse(&c, "[agent]\n\0autolock=1\n", 20, "x"), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "line 2: NUL"));
}

static void test_load(void **state)
{
	char *t = vgt_tmpdir();
	char *path = vgt_path(t, "vigil.conf");
	struct vg_config c;

	(void)state;
	/* A missing file is the defaults. */
	assert_int_equal(vg_config_load(&c, path), 0);
	assert_int_equal(c.autolock, VG_CONFIG_AUTOLOCK_DEFAULT);
	vgt_write_file(path, "[agent]\nautolock = 7\n", 21);
	assert_int_equal(vg_config_load(&c, path), 0);
	assert_int_equal(c.autolock, 7);
	vgt_write_file(path, "[agent]\nautolock = x\n", 21);
	assert_int_equal(vg_config_load(&c, path), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), path));
	assert_non_null(strstr(vg_error_last(), "line 2"));
	vgt_rmrf(t);
	free(path);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_log_level),
	    cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
