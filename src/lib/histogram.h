/*
 * histogram.h - a fixed-bucket histogram in the Prometheus shape
 * (cumulative buckets, count, sum). Pure.
 */
#ifndef RTPROAM_HISTOGRAM_H
#define RTPROAM_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BUCKETS 16

struct histogram {
	const double	*bounds;	/* upper bounds, ascending; +Inf implied */
	unsigned	 nbounds;
	uint64_t	 counts[HISTOGRAM_MAX_BUCKETS];	/* per bucket, not cumulative */
	uint64_t	 count;
	double		 sum;
};

void	histogram_init(struct histogram *h, const double *bounds, unsigned n);
void	histogram_observe(struct histogram *h, double v);
/*
 * Append the metric in Prometheus text format to buf at *off (bounded by
 * len). Returns 0, or -1 if it did not fit.
 */
int	histogram_format(const struct histogram *h, const char *name,
	    const char *help, char *buf, size_t len, size_t *off);

#endif
