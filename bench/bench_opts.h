/*
 * bench_opts.h - rtpbench's command line.
 */
#ifndef RTPBENCH_OPTS_H
#define RTPBENCH_OPTS_H

#include "bench.h"
#include "bench_args.h"
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
"      --whole-machine     core busy time of every core instead (user,\n"
"                          system, irq, softirq): for in-kernel relays\n"
"      --phone-net PREFIX  phones' addresses PREFIX10... [127.0.0.]\n"
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

/* rtpbench's options beyond those in bench_args.h. */
static const struct arg rtpbench_args[] = {
	{ "relay-cpu", 0, ARG_INT, offsetof(struct opts, relay_cpu), 0, 4095 },
	{ "whole-machine", 0, ARG_SET, offsetof(struct opts, whole_machine), 0, 0 },
	{ "phone-net", 0, ARG_STR, offsetof(struct opts, phone_net), 0, 0 },
	{ "calls", 'n', ARG_UINT, offsetof(struct opts, calls), 1, 100000 },
	{ "duration", 't', ARG_DOUBLE, offsetof(struct opts, duration), 0, INFINITY },
	{ "warmup", 'w', ARG_DOUBLE, offsetof(struct opts, warmup), 0, INFINITY },
	{ "rate", 'r', ARG_UINT, offsetof(struct opts, rate), 1, 100000 },
	{ "size", 'z', ARG_UINT, offsetof(struct opts, size), PAYLOAD_MIN, 1400 },
	{ "ips", 'i', ARG_UINT, offsetof(struct opts, nips), 1, 200 },
	{ "window", 0, ARG_UINT, offsetof(struct opts, window), 1, 4096 },
	{ "tick", 0, ARG_USEC, offsetof(struct opts, tick_ns), 0, 20000 },
	{ "no-cold-round", 0, ARG_CLEAR, offsetof(struct opts, cold_round), 0, 0 },
	{ "json", 0, ARG_SET, offsetof(struct opts, json), 0, 0 },
	{ "no-header", 0, ARG_CLEAR, offsetof(struct opts, header), 0, 0 },
	{ "print-header", 0, ARG_SET, offsetof(struct opts, print_header), 0, 0 },
	{ "saturate", 0, ARG_SET, offsetof(struct opts, saturate), 0, 0 },
	{ "step", 0, ARG_UINT, offsetof(struct opts, step), 1, 100000 },
	{ "max-calls", 0, ARG_UINT, offsetof(struct opts, max_calls), 1, 100000 },
	{ "max-loss", 0, ARG_DOUBLE, offsetof(struct opts, max_loss), 0, INFINITY },
	{ "max-p99", 0, ARG_DOUBLE, offsetof(struct opts, max_p99_us), 0, INFINITY },
	{ "refs", 0, ARG_STR, offsetof(struct opts, refs), 0, 0 },
};

static void
parse_opts(struct opts *o, int argc, char *argv[])
{
	static const struct argset set = { rtpbench_args,
	    sizeof(rtpbench_args) / sizeof(rtpbench_args[0]), usage };

	opts_defaults(o);
	o->relay_cpu = -1;
	o->calls = 200;
	o->warmup = 1;
	o->nips = 16;
	o->window = 64;
	o->tick_ns = 100000;
	o->header = true;
	o->max_calls = 20000;
	o->max_loss = 0.1;
	o->max_p99_us = 5000;
	o->refs = "bare,rtpengine";
	o->phone_net = PHONE_NET;
	args_parse(&set, o, argc, argv);
	if (o->whole_machine)
		o->relay_cpu = CORE_ALL;
	phone_net = o->phone_net;
	if (o->print_header) {
		table_header(stdout, "relay");
		exit(0);
	}
	if (o->duration <= 0)
		usage();
	if (o->step == 0)
		o->step = o->calls;
}

#endif
