/*
 * bench_opts.h - rtpbench's command line.
 */
#ifndef RTPBENCH_OPTS_H
#define RTPBENCH_OPTS_H

#include <getopt.h>

#include "bench.h"
#include "bench_report.h"

#define PAYLOAD_MIN	(12 + 16)	/* RTP header + time, stream, sequence */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
"usage: rtpbench [options]        measure one relay\n"
"       rtpbench --summary FILE   medians and ratios over recorded runs\n"
"  -c, --ctl HOST:PORT     relay control socket (udp) [127.0.0.1:22222]\n"
"  -p, --pid PID           relay process, for CPU and RSS\n"
"      --relay-cpu N       core the relay is pinned to (core busy time)\n"
"  -n, --calls N           calls [200]\n"
"  -t, --duration S        measured window [5]\n"
"  -w, --warmup S          media before the window [1]\n"
"  -r, --rate PPS          packets per second per stream [50]\n"
"  -z, --size BYTES        RTP packet size [172]\n"
"  -i, --ips N             phone addresses 127.0.0.10... [16]\n"
"      --window N          outstanding control commands [64]\n"
"      --no-cold-round     time the very first setup on the relay (by\n"
"                          default all calls are set up and torn down\n"
"                          once before; that rate is the cold/s column)\n"
"      --tick US           sender wakes at most every US microseconds;\n"
"                          packets due meanwhile leave together [100]\n"
"  -l, --label NAME        relay name in the report [relay]\n"
"      --run N             repetition number in the report [1]\n"
"      --record FILE       append the result to FILE\n"
"      --json              print JSON instead of a table row\n"
"      --no-header         no table heading\n"
"      --print-header      print the table heading and exit\n"
"      --saturate          raise the load until loss or p99 crosses:\n"
"      --step N            calls added per step [= --calls]\n"
"      --max-calls N       upper bound [20000]\n"
"      --max-loss PCT      [0.1]\n"
"      --max-p99 US        [5000]\n"
"      --summary FILE      print medians per relay and the ratios\n"
"      --subject NAME      relay the ratios are about [rtproam]\n"
"      --refs A,B          relays it is compared with [bare,rtpengine]\n");
	exit(2);
}

static unsigned
num(const char *s, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "rtpbench: %s: expected %u..%u\n", s, lo, hi);
		exit(2);
	}
	return (unsigned)v;
}

static double
fnum(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= 0)) {
		fprintf(stderr, "rtpbench: %s: expected a number >= 0\n", s);
		exit(2);
	}
	return v;
}

static void
parse_opts(struct opts *o, int argc, char *argv[])
{
	enum { O_WINDOW = 256, O_RUN, O_RECORD, O_JSON, O_NOHDR, O_SAT, O_STEP,
	    O_MAXC, O_MAXL, O_MAXP, O_SUM, O_SUBJ, O_REFS, O_RCPU, O_TICK, O_PHDR, O_NOCOLD };
	static const struct option lo[] = {
		{ "ctl", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "relay-cpu", required_argument, NULL, O_RCPU },
		{ "calls", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "rate", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 'z' },
		{ "ips", required_argument, NULL, 'i' },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "tick", required_argument, NULL, O_TICK },
		{ "no-cold-round", no_argument, NULL, O_NOCOLD },
		{ "label", required_argument, NULL, 'l' },
		{ "run", required_argument, NULL, O_RUN },
		{ "record", required_argument, NULL, O_RECORD },
		{ "json", no_argument, NULL, O_JSON },
		{ "no-header", no_argument, NULL, O_NOHDR },
		{ "print-header", no_argument, NULL, O_PHDR },
		{ "saturate", no_argument, NULL, O_SAT },
		{ "step", required_argument, NULL, O_STEP },
		{ "max-calls", required_argument, NULL, O_MAXC },
		{ "max-loss", required_argument, NULL, O_MAXL },
		{ "max-p99", required_argument, NULL, O_MAXP },
		{ "summary", required_argument, NULL, O_SUM },
		{ "subject", required_argument, NULL, O_SUBJ },
		{ "refs", required_argument, NULL, O_REFS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->ctl = "127.0.0.1:22222";
	o->relay_cpu = -1;
	o->label = "relay";
	o->run = 1;
	o->calls = 200;
	o->duration = 5;
	o->warmup = 1;
	o->rate = 50;
	o->size = 172;
	o->nips = 16;
	o->window = 64;
	o->cold_round = true;
	o->tick_ns = 100000;
	o->header = true;
	o->max_calls = 20000;
	o->max_loss = 0.1;
	o->max_p99_us = 5000;
	o->subject = "rtproam";
	o->refs = "bare,rtpengine";
	while ((ch = getopt_long(argc, argv, "c:p:n:t:w:r:z:i:l:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->ctl = optarg;
			break;
		case 'p':
			o->pid = (pid_t)num(optarg, 1, 1u << 30);
			break;
		case O_RCPU:
			o->relay_cpu = (int)num(optarg, 0, 4095);
			break;
		case 'n':
			o->calls = num(optarg, 1, 100000);
			break;
		case 't':
			o->duration = fnum(optarg);
			break;
		case 'w':
			o->warmup = fnum(optarg);
			break;
		case 'r':
			o->rate = num(optarg, 1, 100000);
			break;
		case 'z':
			o->size = num(optarg, PAYLOAD_MIN, 1400);
			break;
		case 'i':
			o->nips = num(optarg, 1, 200);
			break;
		case O_WINDOW:
			o->window = num(optarg, 1, 4096);
			break;
		case O_NOCOLD:
			o->cold_round = false;
			break;
		case O_TICK:
			o->tick_ns = 1000ull * num(optarg, 0, 20000);
			break;
		case 'l':
			o->label = optarg;
			break;
		case O_RUN:
			o->run = num(optarg, 0, 1000000);
			break;
		case O_RECORD:
			o->record = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_NOHDR:
			o->header = false;
			break;
		case O_PHDR:
			table_header(stdout, "relay");
			exit(0);
		case O_SAT:
			o->saturate = true;
			break;
		case O_STEP:
			o->step = num(optarg, 1, 100000);
			break;
		case O_MAXC:
			o->max_calls = num(optarg, 1, 100000);
			break;
		case O_MAXL:
			o->max_loss = fnum(optarg);
			break;
		case O_MAXP:
			o->max_p99_us = fnum(optarg);
			break;
		case O_SUM:
			o->summary = optarg;
			break;
		case O_SUBJ:
			o->subject = optarg;
			break;
		case O_REFS:
			o->refs = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o->duration <= 0)
		usage();
	if (o->step == 0)
		o->step = o->calls;
}

#endif
