/*
 * ngbench_report.h - one ngbench run as a row of named numbers, appended
 * to a record file as "label=.. key=value ..."; and the summary that
 * reads the file back and prints each relay's medians in a column, with
 * the subject/reference ratio where a ratio means something.
 */
#ifndef NGBENCH_REPORT_H
#define NGBENCH_REPORT_H

#include <math.h>

#include "bench.h"
#include "bench_record.h"

enum {
	R_RUN, R_CALLS, R_COLD_CPS, R_SETUP_CPS, R_SETUP_US_CMD, R_SETUP_P50,
	R_SETUP_P99, R_QUERY_CPS, R_DELETE_CPS, R_RSS_IDLE, R_RSS_SETUP,
	R_RSS_CALL, R_SENT, R_RELAYED, R_LOST, R_LOSS_PCT, R_MEDIA_US_PKT,
	R_CTL_FAIL, R_NFIELDS
};

/* One run, as numbers; NAN = not measured. */
struct row {
	char	 label[32];
	double	 v[R_NFIELDS];
};

struct field {
	const char	*key;		/* in the record file */
	const char	*what;		/* in the summary */
	int		 prec;
	bool		 ratio;		/* print subject/ref */
};

static const struct field fields[R_NFIELDS] = {
	[R_RUN] =		{ "run", "rounds", 0, false },
	[R_CALLS] =		{ "calls", "calls set up", 0, false },
	[R_COLD_CPS] =		{ "cold_cps", "offer+answer/s, fresh relay", 0, true },
	[R_SETUP_CPS] =		{ "setup_cps", "offer+answer/s", 0, true },
	[R_SETUP_US_CMD] =	{ "setup_us_cmd", "relay CPU us per offer/answer", 1, true },
	[R_SETUP_P50] =		{ "setup_p50_us", "offer/answer reply p50 us", 0, true },
	[R_SETUP_P99] =		{ "setup_p99_us", "offer/answer reply p99 us", 0, true },
	[R_QUERY_CPS] =		{ "query_cps", "query/s", 0, true },
	[R_DELETE_CPS] =	{ "delete_cps", "delete/s", 0, true },
	[R_RSS_IDLE] =		{ "rss_idle_kb", "RSS before setup, kB", 0, true },
	[R_RSS_SETUP] =		{ "rss_setup_kb", "RSS after setup, kB", 0, true },
	[R_RSS_CALL] =		{ "rss_call_kb", "RSS per call, kB", 2, true },
	[R_SENT] =		{ "rtp_sent", "RTP packets sent", 0, false },
	[R_RELAYED] =		{ "rtp_relayed", "RTP packets relayed", 0, false },
	[R_LOST] =		{ "rtp_lost", "RTP packets lost", 0, false },
	[R_LOSS_PCT] =		{ "loss_pct", "RTP loss %", 3, false },
	[R_MEDIA_US_PKT] =	{ "media_us_pkt", "relay CPU us per relayed packet", 2, true },
	[R_CTL_FAIL] =		{ "ctl_fail", "failed commands", 0, false },
};

static void
row_init(struct row *r, const char *label)
{
	size_t i;

	snprintf(r->label, sizeof(r->label), "%.31s", label);
	for (i = 0; i < R_NFIELDS; i++)
		r->v[i] = NAN;
}

static void
row_print(FILE *fp, const struct row *r, bool record)
{
	size_t i;

	fprintf(fp, "label=%s", r->label);
	for (i = 0; i < R_NFIELDS; i++) {
		if (record)
			fprintf(fp, " %s=%.9g", fields[i].key, r->v[i]);
		else if (!isnan(r->v[i]))
			fprintf(fp, " %s=%.*f", fields[i].key, fields[i].prec, r->v[i]);
	}
	fputc('\n', fp);
}

static int
record_append(const char *path, const struct row *r)
{
	FILE *fp;

	if ((fp = record_open(path)) == NULL)
		return -1;
	row_print(fp, r, true);
	return record_close(fp, path);
}

static void
record_pair(void *arg, const char *key, const char *val)
{
	struct row *r = arg;
	size_t i;

	if (strcmp(key, "label") == 0)
		snprintf(r->label, sizeof(r->label), "%s", val);
	for (i = 0; i < R_NFIELDS; i++)
		if (strcmp(key, fields[i].key) == 0)
			r->v[i] = strtod(val, NULL);
}

static int
record_parse(char *line, void *arg)
{
	struct row *r = arg;

	row_init(r, "");
	if (record_pairs(line, record_pair, r) != 0)
		return -1;
	return r->label[0] != '\0' ? 0 : -1;
}

#define MAX_ROWS	1024
#define MAX_LABELS	8

/* Medians of one label's rows; the run field counts them. */
static void
row_median(const struct row *all, size_t n, const char *label, struct row *out)
{
	double v[MAX_ROWS];
	size_t i, k, m;

	row_init(out, label);
	for (k = 0; k < R_NFIELDS; k++) {
		for (m = 0, i = 0; i < n; i++)
			if (strcmp(all[i].label, label) == 0 && !isnan(all[i].v[k]))
				v[m++] = all[i].v[k];
		if (m > 0)
			out->v[k] = median(v, m);
	}
	for (m = 0, i = 0; i < n; i++)
		m += strcmp(all[i].label, label) == 0;
	out->v[R_RUN] = (double)m;
}

/* Every relay's medians in a column, and subject/ref in the last one. */
static int
summary(const char *path, const char *subject, const char *refl)
{
	static struct row all[MAX_ROWS];
	struct row med[MAX_LABELS];
	const struct row *subj = NULL, *ref = NULL;
	size_t n, nl = 0, i, j;
	long got;

	if ((got = record_load(path, all, sizeof(all[0]), MAX_ROWS,
	    record_parse)) < 0)
		return 1;
	n = (size_t)got;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nl && strcmp(med[j].label, all[i].label) != 0; j++)
			;
		if (j == nl && nl < MAX_LABELS)
			row_median(all, n, all[i].label, &med[nl++]);
	}
	for (j = 0; j < nl; j++) {
		if (strcmp(med[j].label, subject) == 0)
			subj = &med[j];
		if (strcmp(med[j].label, refl) == 0)
			ref = &med[j];
	}
	printf("\nng control protocol: medians over the rounds\n%-32s", "");
	for (j = 0; j < nl; j++)
		printf(" %12s", med[j].label);
	if (subj != NULL && ref != NULL)
		printf("  %s/%s", subj->label, ref->label);
	putchar('\n');
	for (i = 0; i < R_NFIELDS; i++) {
		printf("%-32s", fields[i].what);
		for (j = 0; j < nl; j++) {
			if (isnan(med[j].v[i]))
				printf(" %12s", "-");
			else
				printf(" %12.*f", fields[i].prec, med[j].v[i]);
		}
		if (fields[i].ratio && subj != NULL && ref != NULL &&
		    !isnan(subj->v[i]) && !isnan(ref->v[i]) && ref->v[i] != 0)
			printf("  %.2fx", subj->v[i] / ref->v[i]);
		putchar('\n');
	}
	return 0;
}

#endif
