// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * fastpath.bpf.c - tc ingress: forward the RTP of verified streams.
 *
 * A datagram is forwarded only when fp_streams (fastpath_abi.h) has an
 * entry for its destination address:port and it matches that entry in
 * every respect the latch checked: source address and port, RTP version
 * 2, not muxed RTCP, the call's payload type, the SSRC, and a sequence
 * number that continues the stream in order. Everything else returns
 * TC_ACT_OK untouched, so the socket, and the latch behind it, see it
 * exactly as without this program. The program never learns anything:
 * the worker alone writes entries.
 *
 * IPv4 without options or fragments, IPv6 without extension headers;
 * anything else goes up to the socket.
 *
 * Dual licence: bpf_redirect_neigh and bpf_ktime_get_ns are GPL-only
 * helpers, so the kernel must see a GPL-compatible licence string.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "kernel/fastpath_abi.h"

#define FP_AF_INET	2
#define FP_AF_INET6	10
#define RTP_HDR		12
#define IP_OFF		ETH_HLEN
#define UDP_OFF		(ETH_HLEN + (int)sizeof(struct iphdr))
#define IP_CSUM_OFF	(IP_OFF + (int)offsetof(struct iphdr, check))
#define IP_TTL_OFF	(IP_OFF + (int)offsetof(struct iphdr, ttl))
#define IP_SADDR_OFF	(IP_OFF + (int)offsetof(struct iphdr, saddr))
#define IP_DADDR_OFF	(IP_OFF + (int)offsetof(struct iphdr, daddr))
#define UDP_CSUM_OFF	(UDP_OFF + (int)offsetof(struct udphdr, check))
#define UDP_SPORT_OFF	(UDP_OFF + (int)offsetof(struct udphdr, source))
#define UDP_DPORT_OFF	(UDP_OFF + (int)offsetof(struct udphdr, dest))
#define UDP6_OFF	(ETH_HLEN + (int)sizeof(struct ipv6hdr))
#define IP6_SADDR_OFF	(IP_OFF + (int)offsetof(struct ipv6hdr, saddr))
#define IP6_DADDR_OFF	(IP_OFF + (int)offsetof(struct ipv6hdr, daddr))
#define IP6_HOPS_OFF	(IP_OFF + (int)offsetof(struct ipv6hdr, hop_limit))
#define UDP6_CSUM_OFF	(UDP6_OFF + (int)offsetof(struct udphdr, check))
#define UDP6_SPORT_OFF	(UDP6_OFF + (int)offsetof(struct udphdr, source))
#define UDP6_DPORT_OFF	(UDP6_OFF + (int)offsetof(struct udphdr, dest))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FP_MAX_STREAMS);
	__type(key, struct fp_key);
	__type(value, struct fp_entry);
} fp_streams SEC(".maps");

/* The seen[] window of media/stats.c moved n packets ahead. */
static __always_inline void
seen_advance(struct fp_state *st, __u32 n)
{
	if (n >= 128) {
		st->seen[1] = 0;
		st->seen[0] = 0;
	} else if (n >= 64) {
		st->seen[1] = n == 64 ? st->seen[0] : st->seen[0] << (n - 64);
		st->seen[0] = 0;
	} else {
		st->seen[1] = st->seen[1] << n | st->seen[0] >> (64 - n);
		st->seen[0] <<= n;
	}
	st->seen[0] |= 1;
}

/* media/stats.c jitter_update(), same fixed point, same caps. */
static __always_inline void
jitter_update(struct fp_state *st, __u32 ts, __u64 now_us)
{
	__u64 gap, arr_q4, ad;
	__s64 d_q4;

	if (st->jit_valid && now_us >= st->last_arrival_us &&
	    (gap = now_us - st->last_arrival_us) < FP_JIT_GAP_MAX_US) {
		arr_q4 = (gap * st->clock_mul + ((__u64)1 << 27)) >> 28;
		d_q4 = (__s64)arr_q4 - (__s64)(__s32)(ts - st->last_ts) * 16;
		ad = d_q4 < 0 ? (__u64)-d_q4 : (__u64)d_q4;
		if (ad > FP_JIT_D_CAP_Q4)
			ad = FP_JIT_D_CAP_Q4;
		st->jitter_q8 = st->jitter_q8 - ((st->jitter_q8 + 8) >> 4) +
		    (__u32)ad;
		if (st->jitter_q8 > st->max_jitter_q8)
			st->max_jitter_q8 = st->jitter_q8;
	}
	st->last_arrival_us = now_us;
	st->last_ts = ts;
	st->jit_valid = 1;
}

static __always_inline int
rewrite4(struct __sk_buff *skb, const struct fp_rewrite *rw, __u32 saddr,
    __u32 daddr, __u16 sport, __u16 dport, __u8 ttl)
{
	__u16 old_ttl = bpf_htons((__u16)ttl << 8);
	__u16 new_ttl = bpf_htons((__u16)FP_TTL << 8);
	__u8 ttl_byte = FP_TTL;
	/* A UDP checksum of 0 means none (IPv4): leave it so. */
	const __u64 l4 = BPF_F_MARK_MANGLED_0;

	if (bpf_l4_csum_replace(skb, UDP_CSUM_OFF, saddr, rw->src_addr[0],
	    l4 | BPF_F_PSEUDO_HDR | 4) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, daddr, rw->dst_addr[0],
	    l4 | BPF_F_PSEUDO_HDR | 4) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, sport, rw->src_port, l4 | 2) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, dport, rw->dst_port, l4 | 2) ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, saddr, rw->src_addr[0], 4) ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, daddr, rw->dst_addr[0], 4) ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_ttl, new_ttl, 2))
		return -1;
	if (bpf_skb_store_bytes(skb, IP_SADDR_OFF, &rw->src_addr[0], 4, 0) ||
	    bpf_skb_store_bytes(skb, IP_DADDR_OFF, &rw->dst_addr[0], 4, 0) ||
	    bpf_skb_store_bytes(skb, IP_TTL_OFF, &ttl_byte, 1, 0) ||
	    bpf_skb_store_bytes(skb, UDP_SPORT_OFF, &rw->src_port, 2, 0) ||
	    bpf_skb_store_bytes(skb, UDP_DPORT_OFF, &rw->dst_port, 2, 0))
		return -1;
	return 0;
}

/*
 * What both families check and do once the entry is found and the source
 * matches: RTP version 2, not muxed RTCP (72-76 without the M bit), the
 * entry's payload type, a CSRC list that fits, the SSRC, a sequence number
 * in order; then the RFC 3550 state and the counters. 0: forward.
 */
static __always_inline int
rtp_accept(struct fp_entry *e, const __u8 *rtp, __u32 ulen)
{
	__u32 ssrc, ts, hdr;
	__u16 seq, udelta;
	__u8 pt;

	if ((rtp[0] & 0xc0) != 0x80)
		return -1;
	pt = rtp[1] & 0x7f;
	if ((pt >= 72 && pt <= 76) || pt != e->match.pt ||
	    !((e->match.pt_bits[pt >> 6] >> (pt & 63)) & 1))
		return -1;
	/* The CSRC list must fit, as rtp_classify() requires. */
	hdr = RTP_HDR + 4u * (rtp[0] & 0x0f);
	if (hdr > ulen - sizeof(struct udphdr) ||
	    ulen - sizeof(struct udphdr) > FP_MAX_PAYLOAD)
		return -1;
	ssrc = (__u32)rtp[8] << 24 | (__u32)rtp[9] << 16 | (__u32)rtp[10] << 8 | rtp[11];
	if (ssrc != e->match.ssrc)
		return -1;
	seq = (__u16)(rtp[2] << 8 | rtp[3]);
	udelta = (__u16)(seq - e->st.max_seq);
	if (udelta == 0 || udelta >= FP_MAX_DROPOUT)
		return -1;	/* late, repeated or a jump: the worker's */
	if (!e->st.synced && udelta != 1)
		return -1;	/* older ones may wait on the socket */
	ts = (__u32)rtp[4] << 24 | (__u32)rtp[5] << 16 | (__u32)rtp[6] << 8 | rtp[7];

	e->st.ext_max += udelta;
	e->st.max_seq = seq;
	seen_advance(&e->st, udelta);
	if ((__u32)udelta - 1 > e->st.max_gap)
		e->st.max_gap = (__u32)udelta - 1;
	e->st.received++;
	jitter_update(&e->st, ts, bpf_ktime_get_ns() / 1000);
	e->st.synced = 1;
	__sync_fetch_and_add(&e->st.packets, 1);
	__sync_fetch_and_add(&e->st.bytes, ulen - sizeof(struct udphdr));
	return 0;
}

static __always_inline int
forward4(struct __sk_buff *skb, void *end, struct iphdr *ip)
{
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *rtp = (void *)(udp + 1);
	struct fp_entry *e;
	struct fp_key key;
	__u32 saddr, daddr, ulen;
	__u16 sport, dport;
	__u8 ttl;

	if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP ||
	    (ip->frag_off & bpf_htons(0x3fff)) != 0)	/* MF or an offset */
		return TC_ACT_OK;
	if ((void *)(rtp + RTP_HDR) > end)
		return TC_ACT_OK;
	/* Well-formed: the UDP length fits the IP length and the frame. */
	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) + RTP_HDR ||
	    ulen > (__u32)bpf_ntohs(ip->tot_len) - sizeof(*ip) ||
	    ETH_HLEN + sizeof(*ip) + ulen > skb->len)
		return TC_ACT_OK;

	__builtin_memset(&key, 0, sizeof(key));
	key.addr[0] = ip->daddr;
	key.port = udp->dest;
	key.family = FP_AF_INET;
	if ((e = bpf_map_lookup_elem(&fp_streams, &key)) == NULL)
		return TC_ACT_OK;
	if (ip->saddr != e->match.src_addr[0] || udp->source != e->match.src_port)
		return TC_ACT_OK;
	/* Everything read from the packet before the helpers move it. */
	saddr = ip->saddr;
	daddr = ip->daddr;
	sport = udp->source;
	dport = udp->dest;
	ttl = ip->ttl;
	if (rtp_accept(e, rtp, ulen) != 0)
		return TC_ACT_OK;
	if (rewrite4(skb, &e->rw, saddr, daddr, sport, dport, ttl) != 0)
		return TC_ACT_SHOT;	/* half rewritten: must not go up */
	return bpf_redirect_neigh(e->rw.ifindex, NULL, 0, 0);
}

static __always_inline int
rewrite6(struct __sk_buff *skb, const struct fp_rewrite *rw,
    const struct fp_key *old_dst, const __u32 *old_src, __u16 sport, __u16 dport)
{
	/* IPv6 has no header checksum, and the hop limit is not in the UDP one. */
	const __u64 l4 = BPF_F_MARK_MANGLED_0 | BPF_F_PSEUDO_HDR | 4;
	__u8 hops = FP_TTL;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++)
		if (bpf_l4_csum_replace(skb, UDP6_CSUM_OFF, old_src[i],
		    rw->src_addr[i], l4) ||
		    bpf_l4_csum_replace(skb, UDP6_CSUM_OFF, old_dst->addr[i],
		    rw->dst_addr[i], l4))
			return -1;
	if (bpf_l4_csum_replace(skb, UDP6_CSUM_OFF, sport, rw->src_port,
	    BPF_F_MARK_MANGLED_0 | 2) ||
	    bpf_l4_csum_replace(skb, UDP6_CSUM_OFF, dport, rw->dst_port,
	    BPF_F_MARK_MANGLED_0 | 2) ||
	    bpf_skb_store_bytes(skb, IP6_SADDR_OFF, rw->src_addr, 16, 0) ||
	    bpf_skb_store_bytes(skb, IP6_DADDR_OFF, rw->dst_addr, 16, 0) ||
	    bpf_skb_store_bytes(skb, IP6_HOPS_OFF, &hops, 1, 0) ||
	    bpf_skb_store_bytes(skb, UDP6_SPORT_OFF, &rw->src_port, 2, 0) ||
	    bpf_skb_store_bytes(skb, UDP6_DPORT_OFF, &rw->dst_port, 2, 0))
		return -1;
	return 0;
}

/* IPv6 without extension headers: UDP right after the fixed header. */
static __always_inline int
forward6(struct __sk_buff *skb, void *end, struct ipv6hdr *ip6)
{
	struct udphdr *udp = (void *)(ip6 + 1);
	__u8 *rtp = (void *)(udp + 1);
	struct fp_entry *e;
	struct fp_key key;
	__u32 src[4], ulen;
	__u16 sport, dport;

	if ((void *)(ip6 + 1) > end || ip6->version != 6 ||
	    ip6->nexthdr != IPPROTO_UDP || (void *)(rtp + RTP_HDR) > end)
		return TC_ACT_OK;
	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) + RTP_HDR || ulen > bpf_ntohs(ip6->payload_len) ||
	    ETH_HLEN + sizeof(*ip6) + ulen > skb->len)
		return TC_ACT_OK;

	__builtin_memset(&key, 0, sizeof(key));
	__builtin_memcpy(key.addr, &ip6->daddr, 16);
	key.port = udp->dest;
	key.family = FP_AF_INET6;
	if ((e = bpf_map_lookup_elem(&fp_streams, &key)) == NULL)
		return TC_ACT_OK;
	__builtin_memcpy(src, &ip6->saddr, 16);
	if (src[0] != e->match.src_addr[0] || src[1] != e->match.src_addr[1] ||
	    src[2] != e->match.src_addr[2] || src[3] != e->match.src_addr[3] ||
	    udp->source != e->match.src_port)
		return TC_ACT_OK;
	sport = udp->source;
	dport = udp->dest;
	if (rtp_accept(e, rtp, ulen) != 0)
		return TC_ACT_OK;
	if (rewrite6(skb, &e->rw, &key, src, sport, dport) != 0)
		return TC_ACT_SHOT;
	return bpf_redirect_neigh(e->rw.ifindex, NULL, 0, 0);
}

SEC("tc")
int
rtproam_fastpath(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return forward4(skb, end, (void *)(eth + 1));
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return forward6(skb, end, (void *)(eth + 1));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
