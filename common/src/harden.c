#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "vigil/error.h"
#include "vigil/harden.h"

int vg_harden_process(void)
{
	struct rlimit none = {0, 0};

	umask(077);
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return vg_error_sys("cannot disable core dumps");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return vg_error_sys("cannot make the process non-dumpable");
	return 0;
}

int vg_harden_memlock(struct vg_memlock *out)
{
	struct rlimit lim;
	char line[256];
	FILE *f;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (getrlimit(RLIMIT_MEMLOCK, &lim) < 0)
		return vg_error_sys("cannot read the memory-lock limit");
	out->limit_kib = lim.rlim_cur == RLIM_INFINITY ? -1 : (long)(lim.rlim_cur / 1024);
	f = fopen("/proc/self/status", "re");
	if (f == NULL)
		return vg_error_sys("cannot open /proc/self/status");
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmLck: %ld kB", &out->locked_kib) == 1) {
			found = 1;
			break;
		}
	}
	fclose(f);
	if (!found)
		return vg_error_set(VG_EIO, "no VmLck in /proc/self/status");
	return 0;
}
