#include "utc_time.h"

#include <time.h>

int la_example_utc_time(char *out, size_t size, int64_t seconds)
{
	time_t t = (time_t)seconds;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}
