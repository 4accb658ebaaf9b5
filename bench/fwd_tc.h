/*
 * fwd_tc.h - fwd --tc IFNAME: the bare forwarder with the minimal tc
 * program (tcfwd.bpf.c) attached at ingress of IFNAME. fwd still sets
 * calls up and latches each leg on its first packet through its sockets;
 * once both RTP legs of a call are latched it hands the two RTP streams
 * to the kernel here, and takes them back on re-latch and delete.
 *
 * The program is attached with a tcx bpf_link held only by this process,
 * as rtproam's (src/kernel/fastpath.h): any exit, SIGKILL included,
 * detaches it and frees the map. Built without libbpf (RTPROAM_EBPF=OFF),
 * fwd_tc_open() fails with a sentence that says so.
 */
#ifndef RTPBENCH_FWD_TC_H
#define RTPBENCH_FWD_TC_H

#include <stddef.h>
#include <stdio.h>

#include "lib/addr.h"

struct fwd_tc;

#ifdef RTPROAM_HAVE_EBPF

/*
 * Load the program and attach it to ifname for media on local (one IPv4
 * address, not the wildcard: the map is keyed by it). NULL with a
 * sentence in err when anything fails; nothing stays attached then.
 */
struct fwd_tc	*fwd_tc_open(const char *ifname, const struct addr *local,
		    char *err, size_t errlen);
void		 fwd_tc_close(struct fwd_tc *tc);
/*
 * Datagrams to dst (a local socket) leave from src (the other leg's
 * socket) to peer. 0, or -1 with errno.
 */
int		 fwd_tc_put(struct fwd_tc *tc, const struct addr *dst,
		    const struct addr *src, const struct addr *peer);
/* Datagrams to dst go up to the socket again; 0 also when none was set. */
int		 fwd_tc_del(struct fwd_tc *tc, const struct addr *dst);

#else

static inline struct fwd_tc *
fwd_tc_open(const char *ifname, const struct addr *local, char *err,
    size_t errlen)
{
	(void)ifname;
	(void)local;
	snprintf(err, errlen, "built without the eBPF fast path "
	    "(-DRTPROAM_EBPF=OFF, or no clang, libbpf or bpftool)");
	return NULL;
}

static inline void
fwd_tc_close(struct fwd_tc *tc)
{
	(void)tc;
}

static inline int
fwd_tc_put(struct fwd_tc *tc, const struct addr *dst, const struct addr *src,
    const struct addr *peer)
{
	(void)tc;
	(void)dst;
	(void)src;
	(void)peer;
	return -1;
}

static inline int
fwd_tc_del(struct fwd_tc *tc, const struct addr *dst)
{
	(void)tc;
	(void)dst;
	return 0;
}

#endif

#endif
