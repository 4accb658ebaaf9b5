/*
 * tcfwd_abi.h - the map of the minimal tc forwarder (tcfwd.bpf.c), shared
 * with its loader (fwd_tc.c): uapi types only, addresses and ports in
 * network byte order as on the wire.
 */
#ifndef RTPBENCH_TCFWD_ABI_H
#define RTPBENCH_TCFWD_ABI_H

#include <linux/types.h>

#define TCFWD_MAX_STREAMS	65536

/* The datagram's destination: the relay socket it was sent to. */
struct tcfwd_key {
	__u32	addr;
	__u16	port;
	__u16	pad;
};

/* What it leaves as: from the other leg's socket to that leg's peer. */
struct tcfwd_rewrite {
	__u32	src_addr;
	__u32	dst_addr;
	__u16	src_port;
	__u16	dst_port;
	__u32	ifindex;	/* egress towards dst_addr */
};

#endif
