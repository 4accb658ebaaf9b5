/*
 * bench_report.h - one measurement as a row of named numbers: printed as
 * a table row, as JSON, or appended to a record file (one line of
 * key=value pairs); and the summary that reads such a file back, takes
 * medians over the repetitions and prints the ratios between relays.
 */
#ifndef RTPBENCH_REPORT_H
#define RTPBENCH_REPORT_H

#include <math.h>
#include <stddef.h>

#include "bench.h"
#include "bench_record.h"

struct result {
	char	 label[32];
	char	 mode[8];		/* "fixed", "step" (saturation step), "sat" */
	double	 run;
	double	 calls;
	double	 offered_pps;		/* the schedule: 2 x calls x rate */
	double	 sent_pps;		/* what the generator achieved */
	double	 delivered_pps;
	double	 loss_pct;
	double	 p50_us, p99_us, p999_us, max_us;
	double	 cpu_s;			/* relay utime+stime in the window */
	double	 cpu_us_pkt;		/* ... per delivered packet */
	double	 cpu_pct;		/* ... per wall-clock second */
	double	 core_us_pkt;		/* relay core busy (all tasks) per packet */
	double	 core_busy_s;		/* ... in the window (--whole-machine: all cores) */
	double	 softirqd_ms;		/* ksoftirqd of the relay core */
	double	 relay_wait_ms;		/* relay runnable, waiting for its core */
	double	 gen_wait_ms;		/* the same for the generator */
	double	 other_user_ms;		/* user time of every other process */
	double	 rss_idle_kb, rss_setup_kb, rss_run_kb, rss_end_kb;
	double	 rss_call_kb;		/* (run - idle) / calls */
	double	 setup_cps, teardown_cps;	/* control commands per second */
	double	 setup_cold_cps;	/* the first setup on a fresh relay */
	double	 setup_us_cmd;		/* relay CPU per setup command */
	double	 setup_cpu_pct;		/* relay CPU per wall second in setup */
	double	 ctl_fail;
	double	 gen_pct;		/* generator CPU per wall-clock second */
	double	 gen_late_pct;		/* packets sent > 1 ms after their time */
	double	 sat_calls, sat_pps;	/* saturation: last good level */
};

struct field {
	const char	*name;
	size_t		 off;
	const char	*head;		/* table heading, NULL: not in the table */
	int		 width, prec;
};

#define F(n, h, w, p) { #n, offsetof(struct result, n), h, w, p }
static const struct field fields[] = {
	F(run, "run", 3, 0),
	F(calls, "calls", 5, 0),
	F(offered_pps, "offer/s", 8, 0),
	F(sent_pps, NULL, 0, 0),
	F(delivered_pps, "deliv/s", 8, 0),
	F(loss_pct, "loss%", 7, 3),
	F(p50_us, "p50us", 7, 1),
	F(p99_us, "p99us", 7, 1),
	F(p999_us, "p99.9us", 8, 1),
	F(max_us, NULL, 0, 0),
	F(cpu_s, NULL, 0, 0),
	F(cpu_us_pkt, "cpu_us/pkt", 10, 2),
	F(cpu_pct, "relay%", 6, 1),
	F(core_us_pkt, NULL, 0, 0),
	F(core_busy_s, NULL, 0, 0),
	F(softirqd_ms, NULL, 0, 0),
	F(relay_wait_ms, "wait_ms", 7, 1),
	F(rss_idle_kb, NULL, 0, 0),
	F(rss_setup_kb, NULL, 0, 0),
	F(rss_run_kb, "rss_MB", 6, -1),
	F(rss_end_kb, NULL, 0, 0),
	F(rss_call_kb, "kB/call", 7, 2),
	F(setup_cps, "setup/s", 8, 0),
	F(setup_cold_cps, "cold/s", 7, 0),
	F(teardown_cps, "teardn/s", 8, 0),
	F(setup_us_cmd, "us/cmd", 6, 1),
	F(setup_cpu_pct, NULL, 0, 0),
	F(ctl_fail, NULL, 0, 0),
	F(gen_pct, "gen%", 5, 1),
	F(gen_late_pct, NULL, 0, 0),
	F(gen_wait_ms, "gwait_ms", 8, 1),
	F(other_user_ms, NULL, 0, 0),
	F(sat_calls, NULL, 0, 0),
	F(sat_pps, NULL, 0, 0),
};
#undef F
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static double *
fval(struct result *r, size_t i)
{
	return (double *)(void *)((char *)r + fields[i].off);
}

static void
result_init(struct result *r, const char *label, const char *mode)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	snprintf(r->label, sizeof(r->label), "%s", label);
	snprintf(r->mode, sizeof(r->mode), "%s", mode);
	for (i = 0; i < NFIELDS; i++)
		*fval(r, i) = NAN;
}

static void
print_cell(FILE *fp, const struct field *f, double v)
{
	if (isnan(v))
		fprintf(fp, " %*s", f->width, "-");
	else if (f->prec < 0)	/* kB shown as MB */
		fprintf(fp, " %*.1f", f->width, v / 1024.0);
	else
		fprintf(fp, " %*.*f", f->width, f->prec, v);
}

static void
table_header(FILE *fp, const char *first)
{
	size_t i;

	fprintf(fp, "%-12s", first);
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].head != NULL)
			fprintf(fp, " %*s", fields[i].width, fields[i].head);
	fputc('\n', fp);
}

static void
table_row(FILE *fp, struct result *r)
{
	size_t i;

	fprintf(fp, "%-12s", r->label);
	for (i = 0; i < NFIELDS; i++)
		if (fields[i].head != NULL)
			print_cell(fp, &fields[i], *fval(r, i));
	fputc('\n', fp);
}

static void
json_fields(FILE *fp, struct result *r)
{
	size_t i;

	fprintf(fp, "\"label\": \"%s\", \"mode\": \"%s\"", r->label, r->mode);
	for (i = 0; i < NFIELDS; i++) {
		if (isnan(*fval(r, i)))
			fprintf(fp, ", \"%s\": null", fields[i].name);
		else
			fprintf(fp, ", \"%s\": %.6g", fields[i].name, *fval(r, i));
	}
}

static void
json_result(FILE *fp, struct result *r)
{
	fputc('{', fp);
	json_fields(fp, r);
	fputs("}\n", fp);
}

/* Append one line "label=.. mode=.. name=value ..." to path. */
static int
record_append(const char *path, struct result *r)
{
	FILE *fp;
	size_t i;

	if ((fp = record_open(path)) == NULL)
		return -1;
	fprintf(fp, "label=%s mode=%s", r->label, r->mode);
	for (i = 0; i < NFIELDS; i++)
		fprintf(fp, " %s=%.9g", fields[i].name, *fval(r, i));
	fputc('\n', fp);
	return record_close(fp, path);
}

static void
record_pair(void *arg, const char *key, const char *val)
{
	struct result *r = arg;
	size_t i;

	if (strcmp(key, "label") == 0)
		snprintf(r->label, sizeof(r->label), "%s", val);
	else if (strcmp(key, "mode") == 0)
		snprintf(r->mode, sizeof(r->mode), "%s", val);
	for (i = 0; i < NFIELDS; i++)
		if (strcmp(key, fields[i].name) == 0)
			*fval(r, i) = strtod(val, NULL);
}

static int
record_parse(char *line, void *arg)
{
	struct result *r = arg;

	result_init(r, "", "");
	if (record_pairs(line, record_pair, r) != 0)
		return -1;
	return r->label[0] != '\0' ? 0 : -1;
}

/* Median over the results of one label and mode (and calls, for "fixed"). */
static int
group_median(struct result *all, size_t n, const char *label, const char *mode,
    double calls, struct result *out)
{
	double *v;
	size_t i, k, m;

	result_init(out, label, mode);
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return 0;
	m = 0;
	for (k = 0; k < NFIELDS; k++) {
		m = 0;
		for (i = 0; i < n; i++) {
			if (strcmp(all[i].label, label) != 0 ||
			    strcmp(all[i].mode, mode) != 0 ||
			    (!isnan(calls) && all[i].calls != calls) ||
			    isnan(*fval(&all[i], k)))
				continue;
			v[m++] = *fval(&all[i], k);
		}
		if (m > 0)
			*fval(out, k) = median(v, m);
	}
	free(v);
	/* Runs: how many there were, not a median of their numbers. */
	for (m = 0, i = 0; i < n; i++)
		if (strcmp(all[i].label, label) == 0 && strcmp(all[i].mode, mode) == 0 &&
		    (isnan(calls) || all[i].calls == calls))
			m++;
	out->run = (double)m;
	return (int)m;
}

/* Distinct labels in order of appearance. */
static size_t
labels_of(struct result *all, size_t n, const char **lab, size_t max)
{
	size_t i, j, nl = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nl && strcmp(lab[j], all[i].label) != 0; j++)
			;
		if (j == nl && nl < max)
			lab[nl++] = all[i].label;
	}
	return nl;
}

struct ratio_field {
	const char	*name;
	size_t		 off;
	const char	*what;
};

static const struct ratio_field ratio_fields[] = {
	{ "cpu_us_pkt", offsetof(struct result, cpu_us_pkt), "CPU per packet" },
	{ "p50_us", offsetof(struct result, p50_us), "latency p50" },
	{ "p99_us", offsetof(struct result, p99_us), "latency p99" },
	{ "rss_call_kb", offsetof(struct result, rss_call_kb), "RSS per call" },
	{ "setup_cps", offsetof(struct result, setup_cps), "setup commands/s" },
	{ "setup_us_cmd", offsetof(struct result, setup_us_cmd), "CPU per setup command" },
	{ "teardown_cps", offsetof(struct result, teardown_cps), "teardown commands/s" },
	{ "sat_pps", offsetof(struct result, sat_pps), "saturation pps" },
};

static double
rval(struct result *r, size_t i)
{
	return *(double *)(void *)((char *)r + ratio_fields[i].off);
}

static void
print_ratios(FILE *fp, bool json, bool *first, struct result *s, struct result *ref,
    const char *mode)
{
	size_t i;
	double a, b;

	if (json) {
		fprintf(fp, "%s\n  {\"kind\": \"ratio\", \"mode\": \"%s\", "
		    "\"calls\": %.0f, \"subject\": "
		    "\"%s\", \"ref\": \"%s\"", *first ? "" : ",", mode,
		    isnan(s->calls) ? 0 : s->calls, s->label, ref->label);
		*first = false;
	} else {
		fprintf(fp, "%s/%s", s->label, ref->label);
		if (strcmp(mode, "fixed") == 0)
			fprintf(fp, " @%.0f calls:", s->calls);
		else
			fprintf(fp, " saturation:");
	}
	for (i = 0; i < sizeof(ratio_fields) / sizeof(ratio_fields[0]); i++) {
		a = rval(s, i);
		b = rval(ref, i);
		if (isnan(a) || isnan(b) || b == 0)
			continue;
		if (json)
			fprintf(fp, ", \"%s\": %.4g", ratio_fields[i].name, a / b);
		else
			fprintf(fp, "  %s %.2fx", ratio_fields[i].what, a / b);
	}
	fputs(json ? "}" : "\n", fp);
}

#define MAX_RESULTS	4096
#define MAX_LABELS	16
#define MAX_LEVELS	64

/* Read the record file; print medians per relay and level, then ratios. */
static int
summary(const struct opts *o)
{
	static struct result all[MAX_RESULTS];
	struct result med[MAX_LABELS], *subj;
	const char *lab[MAX_LABELS], *ref;
	double levels[MAX_LEVELS];
	char refs[256], *save;
	size_t n, nl, nlev = 0, i, j, k;
	bool first = true, any;
	long got;

	if ((got = record_load(o->summary, all, sizeof(all[0]), MAX_RESULTS,
	    record_parse)) < 0)
		return 1;
	n = (size_t)got;
	nl = labels_of(all, n, lab, MAX_LABELS);
	for (i = 0; i < n; i++) {
		if (strcmp(all[i].mode, "fixed") != 0)
			continue;
		for (j = 0; j < nlev && levels[j] != all[i].calls; j++)
			;
		if (j == nlev && nlev < MAX_LEVELS)
			levels[nlev++] = all[i].calls;
	}
	qsort(levels, nlev, sizeof(levels[0]), cmp_double);
	if (o->json)
		fputs("{\"summary\": [", stdout);
	else
		printf("\nSummary: medians over the repetitions (run = how many)\n");
	for (k = 0; k <= nlev; k++) {
		/* k == nlev: the saturation results. */
		const char *mode = k < nlev ? "fixed" : "sat";
		double calls = k < nlev ? levels[k] : NAN;

		any = false;
		for (j = 0; j < nl; j++) {
			if (group_median(all, n, lab[j], mode, calls, &med[j]) == 0)
				continue;
			if (o->json) {
				printf("%s\n  {\"kind\": \"median\", ",
				    first ? "" : ",");
				json_fields(stdout, &med[j]);
				putchar('}');
				first = false;
			} else {
				if (!any && k < nlev)
					table_header(stdout, "relay");
				if (!any && k == nlev)
					printf("\n%-12s %5s %9s  (last level with loss and "
					    "p99 under the thresholds)\n", "saturation",
					    "calls", "pps");
				if (k < nlev)
					table_row(stdout, &med[j]);
				else
					printf("%-12s %5.0f %9.0f\n", med[j].label,
					    med[j].sat_calls, med[j].sat_pps);
			}
			any = true;
		}
		if (!any)
			continue;
		/* Ratios of the subject to each reference at this level. */
		for (subj = NULL, j = 0; j < nl; j++)
			if (strcmp(lab[j], o->subject) == 0 && med[j].run > 0)
				subj = &med[j];
		if (subj == NULL)
			continue;
		snprintf(refs, sizeof(refs), "%s", o->refs);
		for (ref = strtok_r(refs, ",", &save); ref != NULL;
		    ref = strtok_r(NULL, ",", &save)) {
			for (j = 0; j < nl; j++)
				if (strcmp(lab[j], ref) == 0 && med[j].run > 0)
					break;
			if (j == nl)
				continue;
			print_ratios(stdout, o->json, &first, subj, &med[j], mode);
		}
	}
	if (o->json)
		puts("\n]}");
	return 0;
}

#endif
