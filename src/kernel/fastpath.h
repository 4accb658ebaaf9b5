/*
 * fastpath.h - load the tc program (bpf/fastpath.bpf.c), attach it to the
 * media interfaces, and read and write its map.
 *
 * The program is attached with a tcx bpf_link (kernel 6.6+) whose only
 * reference is a descriptor of this process: when the process ends, by
 * exit or SIGKILL, the kernel detaches the program and frees its map, so
 * no stale entry can forward anything and a new instance starts clean.
 * Nothing is pinned. Attaching needs CAP_BPF and CAP_NET_ADMIN (or root)
 * at start only; the map is then used through a descriptor, which keeps
 * working after the privilege drop.
 *
 * Built without libbpf (cmake -DRTPROAM_EBPF=OFF), fastpath_open() fails
 * with a sentence that says so.
 */
#ifndef RTPROAM_KERNEL_FASTPATH_H
#define RTPROAM_KERNEL_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel/fastpath_abi.h"
#include "lib/addr.h"

struct fastpath;

/* The program is in this binary. */
bool	 fastpath_built_in(void);

/*
 * Load the program and attach it at ingress of every interface that holds
 * one of the n addresses (an unspecified address: every interface with an
 * address of its family, loopback excluded). NULL with a sentence in err
 * when anything fails; nothing stays attached then.
 */
struct fastpath *fastpath_open(const struct addr *addrs, unsigned n, char *err,
	    size_t errlen);
/* Load only, attach nowhere: the verifier test. errno says why it failed. */
struct fastpath *fastpath_load(char *err, size_t errlen);
void	 fastpath_close(struct fastpath *fp);
unsigned fastpath_attached(const struct fastpath *fp);
/* The program's descriptor (BPF_PROG_TEST_RUN in tests). */
int	 fastpath_prog_fd(const struct fastpath *fp);

/* Map operations; 0 or -1 with errno. Safe from any thread. */
int	 fastpath_put(struct fastpath *fp, const struct fp_key *key,
	    const struct fp_entry *e);
int	 fastpath_get(struct fastpath *fp, const struct fp_key *key,
	    struct fp_entry *e);
/* Read and delete at once: no packet counted in between is lost. */
int	 fastpath_take(struct fastpath *fp, const struct fp_key *key,
	    struct fp_entry *e);

/*
 * Shared with the benchmark's minimal tc forwarder (bench/fwd_tc.c), so
 * both programs are loaded and attached the same way. quiet: libbpf's own
 * messages would go to stderr unasked (the callers log theirs). attach: a
 * loaded tc program at ingress of ifindex through a tcx link, which the
 * kernel drops with the process; the link's descriptor, or -1 with a
 * sentence in err.
 */
void	 fastpath_libbpf_quiet(void);
int	 fastpath_tcx_attach(int prog_fd, unsigned ifindex, const char *ifname,
	    char *err, size_t errlen);

/*
 * The interface the kernel routes to dst through (rtnetlink), 0 when
 * unknown. Not per packet: once per destination change.
 */
unsigned fastpath_route_ifindex(const struct addr *dst);

#endif
