// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * tcfwd.bpf.c - the minimal tc forwarder, the benchmark's lower bound
 * for rtproam's fast path (src/kernel/bpf/fastpath.bpf.c).
 *
 * tc ingress, IPv4 UDP: look the destination address:port up in one hash
 * map; on a hit rewrite source and destination address and port, fix the
 * checksums and redirect, with the same helpers and flags as rtproam's
 * program. Nothing else: no RTP parsing, no source check, no counters, no
 * TTL rewrite, no length checks beyond what the verifier needs. So the
 * difference between the two in fastpath-veth.sh is what rtproam's checks
 * and statistics cost.
 *
 * Dual licence as rtproam's program: bpf_redirect_neigh is GPL-only.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "tcfwd_abi.h"

#define IP_OFF		ETH_HLEN
#define UDP_OFF		(ETH_HLEN + (int)sizeof(struct iphdr))
#define IP_CSUM_OFF	(IP_OFF + (int)offsetof(struct iphdr, check))
#define IP_SADDR_OFF	(IP_OFF + (int)offsetof(struct iphdr, saddr))
#define IP_DADDR_OFF	(IP_OFF + (int)offsetof(struct iphdr, daddr))
#define UDP_CSUM_OFF	(UDP_OFF + (int)offsetof(struct udphdr, check))
#define UDP_SPORT_OFF	(UDP_OFF + (int)offsetof(struct udphdr, source))
#define UDP_DPORT_OFF	(UDP_OFF + (int)offsetof(struct udphdr, dest))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCFWD_MAX_STREAMS);
	__type(key, struct tcfwd_key);
	__type(value, struct tcfwd_rewrite);
} tcfwd_streams SEC(".maps");

SEC("tc")
int
tcfwd(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct tcfwd_rewrite *rw;
	struct tcfwd_key key;
	__u32 saddr, daddr;
	__u16 sport, dport;
	/* A UDP checksum of 0 means none (IPv4): leave it so. */
	const __u64 l4 = BPF_F_MARK_MANGLED_0;

	/* The fixed offsets above need a UDP header right after 20 bytes. */
	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	__builtin_memset(&key, 0, sizeof(key));
	key.addr = ip->daddr;
	key.port = udp->dest;
	if ((rw = bpf_map_lookup_elem(&tcfwd_streams, &key)) == NULL)
		return TC_ACT_OK;
	/* Read before the helpers below invalidate the packet pointers. */
	saddr = ip->saddr;
	daddr = ip->daddr;
	sport = udp->source;
	dport = udp->dest;
	if (bpf_l4_csum_replace(skb, UDP_CSUM_OFF, saddr, rw->src_addr,
	    l4 | BPF_F_PSEUDO_HDR | 4) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, daddr, rw->dst_addr,
	    l4 | BPF_F_PSEUDO_HDR | 4) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, sport, rw->src_port, l4 | 2) ||
	    bpf_l4_csum_replace(skb, UDP_CSUM_OFF, dport, rw->dst_port, l4 | 2) ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, saddr, rw->src_addr, 4) ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, daddr, rw->dst_addr, 4) ||
	    bpf_skb_store_bytes(skb, IP_SADDR_OFF, &rw->src_addr, 4, 0) ||
	    bpf_skb_store_bytes(skb, IP_DADDR_OFF, &rw->dst_addr, 4, 0) ||
	    bpf_skb_store_bytes(skb, UDP_SPORT_OFF, &rw->src_port, 2, 0) ||
	    bpf_skb_store_bytes(skb, UDP_DPORT_OFF, &rw->dst_port, 2, 0))
		return TC_ACT_SHOT;	/* half rewritten: must not go up */
	return bpf_redirect_neigh(rw->ifindex, NULL, 0, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
