/*
 * fastpath_abi.h - the map layout shared by the tc program (bpf/) and the
 * relay: one header, included by both, of uapi types only, so that the
 * two sides can never disagree on an offset.
 *
 * One hash map, fp_streams, keyed by the relay's local address and port
 * (network byte order, as on the wire). An entry exists only while the
 * latch has verified the leg's peer; it holds
 *
 *   match     what a datagram to that socket must carry to be forwarded:
 *             its source address and port, its SSRC, a payload type
 *             allowed by the call and equal to the one the jitter clock
 *             runs on, and a sequence number in order;
 *   rewrite   the other leg's local address:port (new source) and its
 *             latched peer (new destination), and the interface that
 *             reaches that peer;
 *   state     the RFC 3550 sequence and jitter state of the stream,
 *             seeded by the worker from its own (media/stats.h) when it
 *             writes the entry and copied back when it reads it, so that
 *             the two paths keep one set of figures.
 *
 * The program only ever advances the state for in-order packets; every
 * other packet (late, duplicate, a jump, another SSRC or payload type,
 * RTCP) goes up to the socket, where the worker takes the state back
 * first (fastpath.h). All fields are in host order except the addresses
 * and ports.
 */
#ifndef RTPROAM_KERNEL_FASTPATH_ABI_H
#define RTPROAM_KERNEL_FASTPATH_ABI_H

#include <linux/types.h>

#define FP_MAX_STREAMS		65536
/* RFC 3550 A.1: a forward jump at or above this is not "in order". */
#define FP_MAX_DROPOUT		3000
/* Arrival gaps from this on give no jitter sample (media/stats.c). */
#define FP_JIT_GAP_MAX_US	((__u64)1 << 31)
#define FP_JIT_D_CAP_Q4		((__u64)1 << 26)
#define FP_TTL			64	/* what a fresh datagram of the socket path gets */
/* The socket path's receive buffer (media/relay.c): larger is dropped there. */
#define FP_MAX_PAYLOAD		9216

struct fp_key {
	__u32	addr[4];	/* IPv4: addr[0] only, the rest 0 */
	__u16	port;
	__u16	family;		/* AF_INET or AF_INET6, host order */
};

struct fp_match {
	__u32	src_addr[4];
	__u16	src_port;
	__u16	pad0;
	__u32	ssrc;		/* host order */
	__u64	pt_bits[2];	/* payload types the call allows */
	__u8	pt;		/* the jitter clock's payload type */
	__u8	pad1[7];
};

struct fp_rewrite {
	__u32	src_addr[4];	/* the other leg's local address */
	__u32	dst_addr[4];	/* its latched peer */
	__u16	src_port;
	__u16	dst_port;
	__u32	ifindex;	/* egress towards dst */
};

struct fp_state {
	/* Counters since the entry was written (the worker adds them). */
	__u64	packets;
	__u64	bytes;		/* UDP payload */
	/* RFC 3550 A.1, the in-order branch of media/stats.c. */
	__u64	ext_max;	/* int64 as two's complement */
	__u64	seen[2];
	__u64	received;
	__u32	max_gap;
	__u16	max_seq;
	__u16	pad0;
	/* RFC 3550 A.8, same fixed point as media/stats.c. */
	__u64	clock_mul;	/* Q32 ticks per microsecond */
	__u64	last_arrival_us;	/* CLOCK_MONOTONIC */
	__u32	last_ts;
	__u32	jitter_q8;
	__u32	max_jitter_q8;
	__u32	jit_valid;
	/*
	 * 0 from the seed until the program forwarded a packet: until then
	 * only the very next sequence number may pass, so that a packet
	 * still queued on the socket (read by the worker later) is never
	 * overtaken by a newer one forwarded here.
	 */
	__u32	synced;
	__u32	pad1;
};

struct fp_entry {
	struct fp_match	 match;
	struct fp_rewrite rw;
	struct fp_state	 st;
};

#endif
