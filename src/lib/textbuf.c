/*
 * textbuf.c - see textbuf.h.
 */
#include "lib/textbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
textbuf_put(char *buf, size_t len, size_t *off, const void *s, size_t n)
{
	if (*off > len || n > len - *off)
		return -1;
	if (n > 0)
		memcpy(buf + *off, s, n);
	*off += n;
	return 0;
}

int
textbuf_printf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

int
textbuf_metric(char *buf, size_t len, size_t *off, const char *name,
    const char *type, const char *help, uint64_t v)
{
	return textbuf_printf(buf, len, off, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
	    name, help, name, type, name, v);
}
