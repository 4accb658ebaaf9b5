/*
 * test_fastpath_prog.c - the tc program itself, in the kernel: it must
 * pass the verifier (root, a build with RTPROAM_EBPF; skipped otherwise),
 * and BPF_PROG_TEST_RUN shows, one row per packet, what it forwards and
 * what it leaves to the socket untouched. A forwarded packet must carry
 * the rewritten addresses and ports, TTL 64, checksums a receiver accepts,
 * and the entry's counters and RFC 3550 state must have moved by one.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "kernel/fastpath.h"
#include "media/fastpath_stats.h"

#ifdef RTPROAM_HAVE_EBPF
#include <bpf/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#define RELAY_IP	"198.18.0.1"
#define PHONE_A_IP	"198.18.0.2"
#define PHONE_B_IP	"198.18.1.2"
#define RELAY_PORT_A	30000
#define RELAY_PORT_B	30002
#define PHONE_A_PORT	4000
#define PHONE_B_PORT	5000
#define SSRC		0x11223344u
#define PAYLOAD		160
#define MAX_SEQ		1000

struct frame {
	struct ethhdr	 eth;
	struct iphdr	 ip;
	struct udphdr	 udp;
	uint8_t		 rtp[12 + PAYLOAD];
} __attribute__((packed));

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t
sum16(const void *p, size_t len, uint32_t sum)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/* The UDP checksum over the pseudo-header (host order result). */
static uint16_t
udp_csum(const struct frame *f)
{
	uint32_t sum = 0;
	uint16_t ulen = ntohs(f->udp.len);
	/* A malformed row's length may claim more than the frame holds. */
	size_t have = sizeof(f->udp) + sizeof(f->rtp);

	sum = sum16(&f->ip.saddr, 4, sum);
	sum = sum16(&f->ip.daddr, 4, sum);
	sum += IPPROTO_UDP + ulen;
	sum = sum16(&f->udp, ulen < have ? ulen : have, sum);
	return (uint16_t)~fold(sum);
}

static void
fix_checksums(struct frame *f)
{
	uint16_t c;

	f->ip.check = 0;
	f->ip.check = htons((uint16_t)~fold(sum16(&f->ip, sizeof(f->ip), 0)));
	f->udp.check = 0;
	c = udp_csum(f);
	f->udp.check = htons(c == 0 ? 0xffff : c);
}

/* Phone A's packet seq to the relay's leg A port, checksums right. */
static void
make_frame(struct frame *f, uint16_t seq)
{
	memset(f, 0, sizeof(*f));
	f->eth.h_proto = htons(ETH_P_IP);
	f->ip.version = 4;
	f->ip.ihl = 5;
	f->ip.ttl = 63;
	f->ip.protocol = IPPROTO_UDP;
	f->ip.tot_len = htons(sizeof(*f) - sizeof(f->eth));
	f->ip.saddr = inet_addr(PHONE_A_IP);
	f->ip.daddr = inet_addr(RELAY_IP);
	f->udp.source = htons(PHONE_A_PORT);
	f->udp.dest = htons(RELAY_PORT_A);
	f->udp.len = htons(sizeof(f->udp) + sizeof(f->rtp));
	f->rtp[0] = 0x80;
	f->rtp[1] = 0;		/* PCMU */
	f->rtp[2] = (uint8_t)(seq >> 8);
	f->rtp[3] = (uint8_t)seq;
	f->rtp[4] = 0x00;
	f->rtp[7] = 0xa0;
	f->rtp[8] = (uint8_t)(SSRC >> 24);
	f->rtp[9] = (uint8_t)(SSRC >> 16);
	f->rtp[10] = (uint8_t)(SSRC >> 8);
	f->rtp[11] = (uint8_t)SSRC;
	fix_checksums(f);
}

static void
make_entry(struct fp_key *k, struct fp_entry *e, uint16_t max_seq)
{
	memset(k, 0, sizeof(*k));
	k->addr[0] = inet_addr(RELAY_IP);
	k->port = htons(RELAY_PORT_A);
	k->family = AF_INET;
	memset(e, 0, sizeof(*e));
	e->match.src_addr[0] = inet_addr(PHONE_A_IP);
	e->match.src_port = htons(PHONE_A_PORT);
	e->match.ssrc = SSRC;
	e->match.pt = 0;
	e->match.pt_bits[0] = 1;
	e->rw.src_addr[0] = inet_addr(RELAY_IP);
	e->rw.src_port = htons(RELAY_PORT_B);
	e->rw.dst_addr[0] = inet_addr(PHONE_B_IP);
	e->rw.dst_port = htons(PHONE_B_PORT);
	e->rw.ifindex = 1;
	e->st.max_seq = max_seq;
	e->st.ext_max = max_seq;
	e->st.received = 10;
	e->st.seen[0] = 1;
	e->st.clock_mul = ((8000ull << 32) + 500000) / 1000000;
	e->st.synced = 1;	/* mid-stream; rows that want a fresh entry clear it */
}

static void set_seq(struct frame *f, uint16_t s) { f->rtp[2] = (uint8_t)(s >> 8); f->rtp[3] = (uint8_t)s; }
static void in_order(struct frame *f) { set_seq(f, MAX_SEQ + 1); }
static void gap(struct frame *f) { set_seq(f, MAX_SEQ + 5); }
static void wrap(struct frame *f) { set_seq(f, 0); }		/* after 65535 */
static void repeated(struct frame *f) { set_seq(f, MAX_SEQ); }
static void late(struct frame *f) { set_seq(f, MAX_SEQ - 3); }
static void jump(struct frame *f) { set_seq(f, MAX_SEQ + 5000); }
static void other_src(struct frame *f) { in_order(f); f->ip.saddr = inet_addr("198.18.0.66"); }
static void other_port(struct frame *f) { in_order(f); f->udp.source = htons(4001); }
static void other_ssrc(struct frame *f) { in_order(f); f->rtp[11] ^= 1; }
static void other_pt(struct frame *f) { in_order(f); f->rtp[1] = 8; }
static void marker(struct frame *f) { in_order(f); f->rtp[1] = 0x80; }
static void rtcp_mux(struct frame *f) { in_order(f); f->rtp[1] = 200; }	/* SR */
static void version1(struct frame *f) { in_order(f); f->rtp[0] = 0x40; }
static void no_entry(struct frame *f) { in_order(f); f->udp.dest = htons(30004); }
static void fragment(struct frame *f) { in_order(f); f->ip.frag_off = htons(0x2000); }
static void ip_options(struct frame *f) { in_order(f); f->ip.ihl = 6; }
static void udp_too_long(struct frame *f) { in_order(f); f->udp.len = htons(400); }
static void csrc_overrun(struct frame *f) { in_order(f); f->rtp[0] = 0x8f; f->udp.len = htons(8 + 12 + 40); }
static void no_udp_csum(struct frame *f) { in_order(f); }
/* Claims 9217 bytes of payload: the frame is short, but so must be the claim. */
static void too_big(struct frame *f) { in_order(f); f->udp.len = htons(8 + 9217); f->ip.tot_len = htons(20 + 8 + 9217); }

struct prog_case {
	const char	*name;
	void		(*change)(struct frame *);
	uint16_t	 entry_max_seq;
	bool		 forwarded;
	bool		 zero_udp_csum;
	bool		 fresh;		/* the entry as just seeded: not synced yet */
};

static const struct prog_case cases[] = {
	{ "next in order", in_order, MAX_SEQ, true, false, false },
	{ "in order after a gap", gap, MAX_SEQ, true, false, false },
	{ "sequence wrap", wrap, 65535, true, false, false },
	{ "no UDP checksum stays none", no_udp_csum, MAX_SEQ, true, true, false },
	{ "marker bit set", marker, MAX_SEQ, true, false, false },
	{ "duplicate goes up", repeated, MAX_SEQ, false, false, false },
	{ "late packet goes up", late, MAX_SEQ, false, false, false },
	{ "sequence jump goes up", jump, MAX_SEQ, false, false, false },
	{ "another source address", other_src, MAX_SEQ, false, false, false },
	{ "another source port", other_port, MAX_SEQ, false, false, false },
	{ "wrong SSRC", other_ssrc, MAX_SEQ, false, false, false },
	{ "another payload type", other_pt, MAX_SEQ, false, false, false },
	{ "muxed RTCP", rtcp_mux, MAX_SEQ, false, false, false },
	{ "RTP version 1", version1, MAX_SEQ, false, false, false },
	{ "no entry for the port", no_entry, MAX_SEQ, false, false, false },
	{ "IP fragment", fragment, MAX_SEQ, false, false, false },
	{ "IP options", ip_options, MAX_SEQ, false, false, false },
	{ "UDP longer than IP", udp_too_long, MAX_SEQ, false, false, false },
	{ "CSRC list past the end", csrc_overrun, MAX_SEQ, false, false, false },
	{ "larger than the socket path takes", too_big, MAX_SEQ, false, false, false },
	/* Until it forwarded one, a new entry takes only the very next packet. */
	{ "fresh entry: the next one", in_order, MAX_SEQ, true, false, true },
	{ "fresh entry: a gap goes up", gap, MAX_SEQ, false, false, true },
};

static struct fastpath *fp;

static int
setup(void **state)
{
	char err[256];
	bool no_privilege;

	(void)state;
	if (geteuid() != 0)
		return 0;
	/*
	 * Root without the capabilities (fakeroot in a package build, a
	 * container) skips; any other refusal is the verifier's and fails.
	 */
	if ((fp = fastpath_load(err, sizeof(err))) == NULL) {
		no_privilege = errno == EPERM;
		fprintf(stderr, "fastpath_load: %s\n", err);
		return no_privilege ? 0 : -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	fastpath_close(fp);
	return 0;
}

static void
test_verifier(void **state)
{
	(void)state;
	if (fp == NULL)
		skip();
	assert_true(fastpath_prog_fd(fp) >= 0);
}

static void
check_forwarded(const struct prog_case *c, const struct frame *in,
    const struct frame *out, const struct fp_entry *before,
    const struct fp_entry *after)
{
	uint16_t sent_seq = (uint16_t)(in->rtp[2] << 8 | in->rtp[3]);
	uint16_t udelta = (uint16_t)(sent_seq - c->entry_max_seq);

	assert_int_equal(out->ip.saddr, inet_addr(RELAY_IP));
	assert_int_equal(out->ip.daddr, inet_addr(PHONE_B_IP));
	assert_int_equal(out->udp.source, htons(RELAY_PORT_B));
	assert_int_equal(out->udp.dest, htons(PHONE_B_PORT));
	assert_int_equal(out->ip.ttl, 64);
	assert_int_equal(fold(sum16(&out->ip, sizeof(out->ip), 0)), 0xffff);
	if (c->zero_udp_csum)
		assert_int_equal(out->udp.check, 0);
	else
		assert_int_equal(udp_csum(out), 0);	/* sums to all ones */
	assert_memory_equal(out->rtp, in->rtp, sizeof(in->rtp));
	assert_int_equal(after->st.packets, before->st.packets + 1);
	assert_int_equal(after->st.bytes, before->st.bytes + sizeof(in->rtp));
	assert_int_equal(after->st.received, before->st.received + 1);
	assert_int_equal(after->st.ext_max, before->st.ext_max + udelta);
	assert_int_equal(after->st.max_seq, sent_seq);
	assert_int_equal(after->st.max_gap, udelta - 1u);
	assert_int_equal(after->st.jit_valid, 1);
	assert_int_equal(after->st.synced, 1);
}

static void
test_packets(void **state)
{
	struct frame in, out;
	struct fp_key key;
	struct fp_entry before, after;
	size_t i;
	int rc;

	(void)state;
	if (fp == NULL)
		skip();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct prog_case *c = &cases[i];
		LIBBPF_OPTS(bpf_test_run_opts, run,
		    .data_in = &in, .data_size_in = sizeof(in),
		    .data_out = &out, .data_size_out = sizeof(out));

		make_entry(&key, &before, c->entry_max_seq);
		before.st.synced = !c->fresh;
		assert_int_equal(fastpath_put(fp, &key, &before), 0);
		make_frame(&in, MAX_SEQ + 1);
		c->change(&in);
		fix_checksums(&in);
		if (c->zero_udp_csum)
			in.udp.check = 0;
		memset(&out, 0, sizeof(out));
		rc = bpf_prog_test_run_opts(fastpath_prog_fd(fp), &run);
		if (rc != 0)
			fail_msg("%s: test run: %d", c->name, rc);
		assert_int_equal(fastpath_take(fp, &key, &after), 0);
		if (c->forwarded) {
			if (run.retval != TC_ACT_REDIRECT)
				fail_msg("%s: returned %u, not a redirect", c->name,
				    run.retval);
			check_forwarded(c, &in, &out, &before, &after);
		} else {
			if (run.retval != TC_ACT_OK)
				fail_msg("%s: returned %u, not TC_ACT_OK", c->name,
				    run.retval);
			if (memcmp(&in, &out, sizeof(in)) != 0)
				fail_msg("%s: the packet went up changed", c->name);
			if (memcmp(&before, &after, sizeof(before)) != 0)
				fail_msg("%s: the entry changed", c->name);
		}
	}
}

/* ---- IPv6 ---------------------------------------------------------------- */

#define RELAY6		"2001:db8::1"
#define PHONE_A6	"2001:db8::a"
#define PHONE_B6	"2001:db8::b"

struct frame6 {
	struct ethhdr	 eth;
	struct ipv6hdr	 ip6;
	struct udphdr	 udp;
	uint8_t		 rtp[12 + PAYLOAD];
} __attribute__((packed));

static void
pton6(const char *s, void *out)
{
	assert_int_equal(inet_pton(AF_INET6, s, out), 1);
}

/* The UDP checksum over the IPv6 pseudo-header (0 when it verifies). */
static uint16_t
udp6_csum(const struct frame6 *f)
{
	uint32_t sum = 0;
	uint16_t ulen = ntohs(f->udp.len);

	sum = sum16(&f->ip6.saddr, 16, sum);
	sum = sum16(&f->ip6.daddr, 16, sum);
	sum += ulen + IPPROTO_UDP;
	sum = sum16(&f->udp, sizeof(f->udp) + sizeof(f->rtp), sum);
	return (uint16_t)~fold(sum);
}

static void
make_frame6(struct frame6 *f, uint16_t seq, uint32_t ssrc)
{
	uint16_t c;

	memset(f, 0, sizeof(*f));
	f->eth.h_proto = htons(ETH_P_IPV6);
	f->ip6.version = 6;
	f->ip6.payload_len = htons(sizeof(f->udp) + sizeof(f->rtp));
	f->ip6.nexthdr = IPPROTO_UDP;
	f->ip6.hop_limit = 63;
	pton6(PHONE_A6, &f->ip6.saddr);
	pton6(RELAY6, &f->ip6.daddr);
	f->udp.source = htons(PHONE_A_PORT);
	f->udp.dest = htons(RELAY_PORT_A);
	f->udp.len = f->ip6.payload_len;
	f->rtp[0] = 0x80;
	f->rtp[2] = (uint8_t)(seq >> 8);
	f->rtp[3] = (uint8_t)seq;
	f->rtp[8] = (uint8_t)(ssrc >> 24);
	f->rtp[9] = (uint8_t)(ssrc >> 16);
	f->rtp[10] = (uint8_t)(ssrc >> 8);
	f->rtp[11] = (uint8_t)ssrc;
	c = udp6_csum(f);
	f->udp.check = htons(c == 0 ? 0xffff : c);
}

static void
make_entry6(struct fp_key *k, struct fp_entry *e)
{
	make_entry(k, e, MAX_SEQ);
	memset(k->addr, 0, sizeof(k->addr));
	pton6(RELAY6, k->addr);
	k->family = AF_INET6;
	memset(e->match.src_addr, 0, sizeof(e->match.src_addr));
	pton6(PHONE_A6, e->match.src_addr);
	pton6(RELAY6, e->rw.src_addr);
	pton6(PHONE_B6, e->rw.dst_addr);
}

static void
test_packets_v6(void **state)
{
	static const struct { const char *name; uint32_t ssrc; bool fwd; } rows[] = {
		{ "in order", SSRC, true },
		{ "wrong SSRC", SSRC ^ 1, false },
	};
	struct frame6 in, out;
	struct fp_key key;
	struct fp_entry before, after;
	struct in6_addr a;
	size_t i;

	(void)state;
	if (fp == NULL)
		skip();
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		LIBBPF_OPTS(bpf_test_run_opts, run,
		    .data_in = &in, .data_size_in = sizeof(in),
		    .data_out = &out, .data_size_out = sizeof(out));

		make_entry6(&key, &before);
		assert_int_equal(fastpath_put(fp, &key, &before), 0);
		make_frame6(&in, MAX_SEQ + 1, rows[i].ssrc);
		assert_int_equal(udp6_csum(&in), 0);
		assert_int_equal(bpf_prog_test_run_opts(fastpath_prog_fd(fp), &run), 0);
		assert_int_equal(fastpath_take(fp, &key, &after), 0);
		if (!rows[i].fwd) {
			if (run.retval != TC_ACT_OK || memcmp(&in, &out, sizeof(in)) != 0)
				fail_msg("%s: not passed up untouched", rows[i].name);
			continue;
		}
		if (run.retval != TC_ACT_REDIRECT)
			fail_msg("%s: returned %u", rows[i].name, run.retval);
		pton6(RELAY6, &a);
		assert_memory_equal(&out.ip6.saddr, &a, 16);
		pton6(PHONE_B6, &a);
		assert_memory_equal(&out.ip6.daddr, &a, 16);
		assert_int_equal(out.udp.source, htons(RELAY_PORT_B));
		assert_int_equal(out.udp.dest, htons(PHONE_B_PORT));
		assert_int_equal(out.ip6.hop_limit, 64);
		assert_int_equal(udp6_csum(&out), 0);
		assert_int_equal(after.st.packets, 1);
		assert_int_equal(after.st.max_seq, MAX_SEQ + 1);
	}
}

/* ---- one set of statistics, whichever path carried a packet ---------- */

static struct rtp_info
info_of(uint16_t seq)
{
	struct rtp_info p;

	memset(&p, 0, sizeof(p));
	p.kind = PKT_RTP;
	p.pt = 0;
	p.seq = seq;
	p.ts = 160u * seq;
	p.ssrc = SSRC;
	p.hdr_len = 12;
	p.payload_len = PAYLOAD;
	return p;
}

/*
 * What the worker does around a packet that went up while the leg had an
 * entry: take the entry back, fold it, count the packet, write it again.
 */
static void
socket_path(struct stream_stats *st, struct fp_entry *live, uint16_t seq,
    uint64_t us)
{
	struct fp_key key;
	struct fp_entry taken;
	struct rtp_info p = info_of(seq);

	make_entry(&key, &taken, 0);
	assert_int_equal(fastpath_take(fp, &key, &taken), 0);
	fastpath_stats_fold(st, &live->st, &taken.st);
	stats_on_rtp(st, &p, sizeof(((struct frame *)0)->rtp), us);
	fastpath_stats_seed(st, &live->st);
	assert_int_equal(fastpath_put(fp, &key, live), 0);
}

struct fold_case {
	const char	*name;
	uint16_t	 seqs[12];
	size_t		 n;
};

static const struct fold_case fold_cases[] = {
	{ "in order", { 1, 2, 3, 4, 5, 6, 7, 8 }, 8 },
	{ "gaps", { 1, 2, 5, 6, 20, 21, 22 }, 7 },
	{ "wrap", { 65533, 65534, 65535, 0, 1, 2 }, 6 },
	{ "late and repeated go up", { 1, 2, 4, 3, 5, 5, 6, 9, 7, 10 }, 10 },
	{ "a jump goes up and is believed on the next", { 1, 2, 3, 9000, 9001, 9002, 9003 }, 7 },
};

static void
test_fold_matches_socket_path(void **state)
{
	struct stream_stats sock, both;
	struct stats_report want, got;
	struct fp_key key;
	struct fp_entry live, taken;
	struct frame in, out;
	size_t c, i;
	uint64_t us = 1000000;
	int rc;

	(void)state;
	if (fp == NULL)
		skip();
	for (c = 0; c < sizeof(fold_cases) / sizeof(fold_cases[0]); c++) {
		const struct fold_case *fc = &fold_cases[c];
		struct rtp_info p = info_of(fc->seqs[0]);

		stats_init(&sock, AF_INET);
		stats_init(&both, AF_INET);
		for (i = 0; i < fc->n; i++) {
			p = info_of(fc->seqs[i]);
			stats_on_rtp(&sock, &p, sizeof(in.rtp), us + i);
		}
		/* The first packet verifies the leg on the socket. */
		p = info_of(fc->seqs[0]);
		stats_on_rtp(&both, &p, sizeof(in.rtp), us);
		make_entry(&key, &live, 0);
		fastpath_stats_seed(&both, &live.st);
		assert_int_equal(fastpath_put(fp, &key, &live), 0);
		for (i = 1; i < fc->n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, run,
			    .data_in = &in, .data_size_in = sizeof(in),
			    .data_out = &out, .data_size_out = sizeof(out));

			make_frame(&in, fc->seqs[i]);
			set_seq(&in, fc->seqs[i]);
			in.rtp[4] = (uint8_t)((160u * fc->seqs[i]) >> 24);
			in.rtp[5] = (uint8_t)((160u * fc->seqs[i]) >> 16);
			in.rtp[6] = (uint8_t)((160u * fc->seqs[i]) >> 8);
			in.rtp[7] = (uint8_t)(160u * fc->seqs[i]);
			fix_checksums(&in);
			rc = bpf_prog_test_run_opts(fastpath_prog_fd(fp), &run);
			assert_int_equal(rc, 0);
			if (run.retval == TC_ACT_OK)
				socket_path(&both, &live, fc->seqs[i], us + i);
		}
		assert_int_equal(fastpath_take(fp, &key, &taken), 0);
		fastpath_stats_fold(&both, &live.st, &taken.st);
		stats_snapshot(&sock, us + fc->n, &want);
		stats_snapshot(&both, us + fc->n, &got);
		if (got.rx_packets != want.rx_packets || got.rx_bytes != want.rx_bytes ||
		    got.rx_wire_bytes != want.rx_wire_bytes ||
		    got.expected != want.expected || got.received != want.received ||
		    got.lost != want.lost || got.duplicates != want.duplicates ||
		    got.reordered != want.reordered || got.max_gap != want.max_gap ||
		    got.ext_max_seq != want.ext_max_seq ||
		    got.seq_restarts != want.seq_restarts)
			fail_msg("%s: kernel+socket rx %" PRIu64 " exp %" PRIu64
			    " recv %" PRIu64 " dup %" PRIu64 " reord %" PRIu64
			    " gap %u ext %u; socket alone rx %" PRIu64 " exp %"
			    PRIu64 " recv %" PRIu64 " dup %" PRIu64 " reord %"
			    PRIu64 " gap %u ext %u", fc->name, got.rx_packets,
			    got.expected, got.received, got.duplicates,
			    got.reordered, got.max_gap, got.ext_max_seq,
			    want.rx_packets, want.expected, want.received,
			    want.duplicates, want.reordered, want.max_gap,
			    want.ext_max_seq);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verifier),
		cmocka_unit_test(test_packets),
		cmocka_unit_test(test_packets_v6),
		cmocka_unit_test(test_fold_matches_socket_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

#else /* !RTPROAM_HAVE_EBPF */

static void
test_not_built_in(void **state)
{
	char err[256];

	(void)state;
	assert_false(fastpath_built_in());
	assert_null(fastpath_load(err, sizeof(err)));
	assert_non_null(strstr(err, "not built in"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_built_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
