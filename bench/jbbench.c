/*
 * jbbench.c - what the jitter buffer costs and saves, fixed against
 * adaptive, over a few network jitter profiles. Runs the real jbuf.c in
 * virtual time, so it is exact and repeatable: it prints figures, it
 * judges nothing.
 *
 *   jbbench [--seconds N] [--seed N]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/proc/jbuf.h"
#include "packet/rtp.h"

#define PTIME_US	20000
#define SLOT_BYTES	200

struct profile {
	const char	*name;
	unsigned	 jitter_ms;	/* uniform extra delay 0..jitter */
	unsigned	 spike_every;	/* a spike every N packets, 0 = none */
	unsigned	 spike_ms;
	unsigned	 loss_pct;
};

static const struct profile profiles[] = {
	{ "clean LAN",		 1, 0,   0,   0 },
	{ "Wi-Fi 10 ms",	10, 0,   0,   0 },
	{ "4G 30 ms",		30, 0,   0,   1 },
	{ "4G spikes",		10, 250, 120, 1 },
	{ "bad 60 ms",		60, 0,   0,   3 },
};

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

struct result {
	uint64_t	 sent, released, late, lost;
	uint64_t	 delay_sum_us, delay_max_us;
	uint64_t	 max_depth_us;
};

struct arrival {
	uint64_t	 at;
	uint16_t	 seq;
};

static int
by_time(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

static void
run(const struct profile *p, enum jbuf_mode mode, unsigned seconds, struct result *r)
{
	unsigned n = seconds * 1000000u / PTIME_US, i, k, spike = 0;
	struct jbuf_config cfg;
	struct jbuf jb;
	struct jbuf_slot *slots;
	struct jbuf_stats st;
	struct arrival *arr;
	struct rtp_info info;
	uint8_t *data, pkt[SLOT_BYTES], out[SLOT_BYTES];
	uint64_t t, next, sent_at;
	size_t nslots, len;

	memset(r, 0, sizeof(*r));
	jbuf_config_default(&cfg);
	cfg.mode = mode;
	nslots = jbuf_slots_for(&cfg, PTIME_US / 1000);
	slots = calloc(nslots, sizeof(*slots));
	data = calloc(nslots, SLOT_BYTES);
	arr = calloc(n, sizeof(*arr));
	if (slots == NULL || data == NULL || arr == NULL ||
	    jbuf_init(&jb, &cfg, slots, nslots, data, SLOT_BYTES) != 0) {
		fprintf(stderr, "jbbench: cannot set up the buffer\n");
		exit(1);
	}
	/* The network: each packet's arrival, then sorted (reordering). */
	for (i = k = 0; i < n; i++) {
		if (rnd() % 100 < p->loss_pct) {
			r->lost++;
			continue;
		}
		t = 1000000 + (uint64_t)i * PTIME_US;
		t += p->jitter_ms ? rnd() % (p->jitter_ms * 1000u) : 0;
		if (p->spike_every && ++spike % p->spike_every == 0)
			t += p->spike_ms * 1000u;
		arr[k].at = t;
		arr[k].seq = (uint16_t)i;
		k++;
	}
	qsort(arr, k, sizeof(*arr), by_time);
	r->sent = k;
	/* The buffer: arrivals and releases in time order. */
	for (i = 0, t = 0; i < k || jbuf_next_release_us(&jb) != UINT64_MAX;) {
		next = jbuf_next_release_us(&jb);
		if (i < k && arr[i].at <= next) {
			t = arr[i].at;
			memset(pkt, 0, 12 + 160);
			pkt[0] = 0x80;
			wr_be16(pkt + 2, arr[i].seq);
			wr_be32(pkt + 4, (uint32_t)arr[i].seq * 160u);
			wr_be32(pkt + 8, 0x1234);
			rtp_classify(pkt, 12 + 160, &info);
			(void)jbuf_put(&jb, pkt, 12 + 160, &info, t);
			i++;
		} else
			t = next;
		while (jbuf_get(&jb, t, out, sizeof(out), &len) == 1) {
			sent_at = 1000000 + (uint64_t)rd_be16(out + 2) * PTIME_US;
			r->released++;
			r->delay_sum_us += t - sent_at;
			if (t - sent_at > r->delay_max_us)
				r->delay_max_us = t - sent_at;
		}
	}
	jbuf_stats(&jb, &st);
	r->late = st.late + st.stale;
	r->max_depth_us = st.max_depth_us;
	free(slots);
	free(data);
	free(arr);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const enum jbuf_mode modes[] = { JBUF_FIXED, JBUF_ADAPTIVE };
	unsigned seconds = 60, i, m;
	struct result r;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			seconds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rng = strtoull(optarg, NULL, 10) | 1;
			break;
		default:
			printf("usage: jbbench [--seconds N] [--seed N]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (seconds == 0 || seconds > 3600) {
		fprintf(stderr, "jbbench: --seconds 1..3600\n");
		return 2;
	}
	printf("%-12s %-9s %8s %8s %7s %10s %10s %10s\n", "profile", "mode",
	    "sent", "late", "late%", "delay_ms", "max_ms", "depth_ms");
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		for (m = 0; m < 2; m++) {
			run(&profiles[i], modes[m], seconds, &r);
			printf("%-12s %-9s %8" PRIu64 " %8" PRIu64 " %7.2f %10.1f %10.1f %10.1f\n",
			    profiles[i].name, jbuf_mode_name(modes[m]), r.sent, r.late,
			    r.sent ? 100.0 * (double)r.late / (double)r.sent : 0.0,
			    r.released ? (double)r.delay_sum_us / (double)r.released / 1000.0 : 0.0,
			    (double)r.delay_max_us / 1000.0, (double)r.max_depth_us / 1000.0);
		}
	}
	return 0;
}
