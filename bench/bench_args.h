/*
 * bench_args.h - the command line of the load generators (rtpbench,
 * ngbench), read with one table-driven parser into the shared struct
 * opts. The options both tools take, with the same meaning and limits,
 * are listed once here; each tool adds a table of its own and its usage
 * text. One row per option: its names, how its value is read, where it
 * goes and the range it must be in.
 */
#ifndef RTPBENCH_ARGS_H
#define RTPBENCH_ARGS_H

#include <getopt.h>
#include <math.h>
#include <stddef.h>

#include "bench.h"

enum arg_kind {
	ARG_STR,	/* const char *, as given */
	ARG_UINT,	/* unsigned, lo..hi */
	ARG_INT,	/* int (also pid_t), lo..hi */
	ARG_USEC,	/* uint64_t ns, given in microseconds lo..hi */
	ARG_DOUBLE,	/* double, lo..hi (hi INFINITY: no upper bound) */
	ARG_SET,	/* bool set to true; no value */
	ARG_CLEAR,	/* bool set to false; no value */
};

struct arg {
	const char	*name;		/* --name */
	int		 ch;		/* -c, or 0 for a long option only */
	enum arg_kind	 kind;
	size_t		 off;		/* offsetof(struct opts, ...) */
	double		 lo, hi;
};

/* A tool's own options and the usage it prints for a bad command line. */
struct argset {
	const struct arg *own;
	size_t		 nown;
	void		 (*usage)(void);
};

#define ARGS_MAX	48
#define ARG_LONG_ONLY	256	/* getopt value of row i without a letter */

static const struct arg common_args[] = {
	{ "ctl", 'c', ARG_STR, offsetof(struct opts, ctl), 0, 0 },
	{ "pid", 'p', ARG_INT, offsetof(struct opts, pid), 1, 1u << 30 },
	{ "label", 'l', ARG_STR, offsetof(struct opts, label), 0, 0 },
	{ "run", 0, ARG_UINT, offsetof(struct opts, run), 0, 1000000 },
	{ "record", 0, ARG_STR, offsetof(struct opts, record), 0, 0 },
	{ "summary", 0, ARG_STR, offsetof(struct opts, summary), 0, 0 },
	{ "subject", 0, ARG_STR, offsetof(struct opts, subject), 0, 0 },
};
#define NCOMMON_ARGS	(sizeof(common_args) / sizeof(common_args[0]))

/* The defaults both tools share; each then sets its own. */
static inline void
opts_defaults(struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ctl = "127.0.0.1:22222";
	o->label = "relay";
	o->run = 1;
	o->rate = 50;
	o->size = 172;
	o->duration = 5;
	o->cold_round = true;
	o->subject = "rtproam";
}

static inline const struct arg *
arg_at(const struct argset *set, size_t i)
{
	return i < NCOMMON_ARGS ? &common_args[i] : &set->own[i - NCOMMON_ARGS];
}

/* Store value s of option a into o, or exit(2) saying what was expected. */
static inline void
arg_store(const struct arg *a, const char *s, struct opts *o)
{
	char *p = (char *)o + a->off, *end;
	unsigned long u;
	double d;

	switch (a->kind) {
	case ARG_STR:
		memcpy(p, &s, sizeof(s));
		return;
	case ARG_SET:
	case ARG_CLEAR:
		*(bool *)(void *)p = a->kind == ARG_SET;
		return;
	case ARG_DOUBLE:
		d = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || !(d >= a->lo && d <= a->hi)) {
			if (isinf(a->hi))
				fprintf(stderr, "%s: %s: expected a number >= %g\n",
				    program_invocation_short_name, s, a->lo);
			else
				fprintf(stderr, "%s: %s: expected a number from %g "
				    "to %g\n", program_invocation_short_name, s,
				    a->lo, a->hi);
			exit(2);
		}
		*(double *)(void *)p = d;
		return;
	case ARG_UINT:
	case ARG_INT:
	case ARG_USEC:
		break;
	}
	errno = 0;
	u = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || (double)u < a->lo ||
	    (double)u > a->hi) {
		fprintf(stderr, "%s: %s: expected %.0f..%.0f\n",
		    program_invocation_short_name, s, a->lo, a->hi);
		exit(2);
	}
	if (a->kind == ARG_UINT)
		*(unsigned *)(void *)p = (unsigned)u;
	else if (a->kind == ARG_INT)
		*(int *)(void *)p = (int)u;
	else
		*(uint64_t *)(void *)p = 1000ull * u;
}

/*
 * Read the command line into o (defaults already there). --help, an
 * unknown option or a word left over calls the tool's usage().
 */
static inline void
args_parse(const struct argset *set, struct opts *o, int argc, char *argv[])
{
	struct option lo[ARGS_MAX + 2];
	char shorts[2 * ARGS_MAX + 2];
	const struct arg *a;
	size_t i, n = NCOMMON_ARGS + set->nown, ns = 0;
	int ch;

	if (n > ARGS_MAX)
		abort();	/* a table grew past the arrays above */
	for (i = 0; i < n; i++) {
		a = arg_at(set, i);
		lo[i].name = a->name;
		lo[i].has_arg = a->kind == ARG_SET || a->kind == ARG_CLEAR ?
		    no_argument : required_argument;
		lo[i].flag = NULL;
		lo[i].val = a->ch != 0 ? a->ch : ARG_LONG_ONLY + (int)i;
		if (a->ch != 0) {
			shorts[ns++] = (char)a->ch;
			if (lo[i].has_arg == required_argument)
				shorts[ns++] = ':';
		}
	}
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	lo[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	shorts[ns++] = 'h';
	shorts[ns] = '\0';
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		for (i = 0; i < n; i++)
			if (lo[i].val == ch)
				break;
		if (i < n)
			arg_store(arg_at(set, i), optarg, o);
		else
			set->usage();	/* -h, or getopt said what was wrong */
	}
	if (optind != argc)
		set->usage();
}

#endif
