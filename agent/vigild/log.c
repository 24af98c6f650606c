#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

uint64_t vg_agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static unsigned log_level = VG_LOG_INFO;

void vg_agent_log_level(unsigned level)
{
	log_level = level;
}

void vg_agent_log_at(unsigned level, const char *fmt, ...)
{
	char line[1024];
	struct tm tm;
	time_t t = time(NULL);
	size_t n;
	int m;
	va_list ap;

	if (level > log_level)
		return;
	gmtime_r(&t, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	m = snprintf(line + n, sizeof(line) - n, " vigild[%ld]: ", (long)getpid());
	if (m > 0)
		n += (size_t)m;
	if (level != VG_LOG_INFO &&
	    (m = snprintf(line + n, sizeof(line) - n, "%s: ", vg_log_level_name(level))) > 0)
		n += (size_t)m;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n = n + (size_t)m < sizeof(line) - 1 ? n + (size_t)m : sizeof(line) - 2;
	line[n++] = '\n';
	/* One write, so lines of concurrent writers never interleave. */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}
