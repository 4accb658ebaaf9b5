/*
 * histogram.c - see histogram.h.
 */
#include "lib/histogram.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/textbuf.h"

void
histogram_init(struct histogram *h, const double *bounds, unsigned n)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = n < HISTOGRAM_MAX_BUCKETS ? n : HISTOGRAM_MAX_BUCKETS - 1;
}

void
histogram_observe(struct histogram *h, double v)
{
	unsigned i;

	for (i = 0; i < h->nbounds && v > h->bounds[i]; i++)
		;
	h->counts[i]++;		/* i == nbounds: the +Inf bucket */
	h->count++;
	h->sum += v;
}

int
histogram_format(const struct histogram *h, const char *name,
    const char *help, char *buf, size_t len, size_t *off)
{
	uint64_t cum = 0;
	unsigned i;

	if (textbuf_printf(buf, len, off, "# HELP %s %s\n# TYPE %s histogram\n",
	    name, help, name) != 0)
		return -1;
	for (i = 0; i < h->nbounds; i++) {
		cum += h->counts[i];
		if (textbuf_printf(buf, len, off, "%s_bucket{le=\"%g\"} %" PRIu64 "\n",
		    name, h->bounds[i], cum) != 0)
			return -1;
	}
	return textbuf_printf(buf, len, off, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n"
	    "%s_sum %.3f\n%s_count %" PRIu64 "\n", name, h->count, name, h->sum,
	    name, h->count);
}
