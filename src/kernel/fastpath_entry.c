/*
 * fastpath_entry.c - the map entry a leg's state gives (fastpath_entry.h).
 */
#include <string.h>

#include "kernel/fastpath_entry.h"

/* Both legs' sockets and peers of one family (no v4/v6 bridging). */
static bool
one_family(const struct fp_side *rx, const struct fp_side *tx)
{
	int f = addr_family(&rx->local);

	return (f == AF_INET || f == AF_INET6) && addr_family(&rx->peer) == f &&
	    addr_family(&tx->local) == f && addr_family(&tx->peer) == f;
}

/* The address as the program sees it on the wire. */
static void
wire_addr(uint32_t out[4], const struct addr *a)
{
	memset(out, 0, 4 * sizeof(uint32_t));
	if (addr_family(a) == AF_INET)
		out[0] = a->u.sin.sin_addr.s_addr;
	else
		memcpy(out, &a->u.sin6.sin6_addr, 16);
}

/* Port in network order; sin_port and sin6_port sit at the same offset. */
static uint16_t
wire_port(const struct addr *a)
{
	return a->u.sin.sin_port;
}

enum fp_verdict
fastpath_entry_build(const struct fp_leg_input *in, struct fp_key *key,
    struct fp_entry *e)
{
	const struct fp_side *rx = &in->rx, *tx = &in->tx;

	if (!rx->verified || !addr_is_set(&rx->peer))
		return FP_NO_SOURCE;
	if (rx->candidate)
		return FP_NO_CANDIDATE;
	if (rx->held || tx->held || rx->blocked)
		return FP_NO_HOLD;
	if (in->processed)
		return FP_NO_PROCESSED;
	if (!addr_is_set(&tx->peer) || addr_is_any(&tx->peer) || tx->ifindex == 0)
		return FP_NO_DEST;
	if (!one_family(rx, tx))
		return FP_NO_FAMILY;
	if (!in->seq_valid || in->pt > 127 || in->pt_no_jitter ||
	    (!in->pt_any && !((in->pt_bits[in->pt >> 6] >> (in->pt & 63)) & 1)))
		return FP_NO_STREAM;

	memset(key, 0, sizeof(*key));
	wire_addr(key->addr, &rx->local);
	key->port = wire_port(&rx->local);
	key->family = (uint16_t)addr_family(&rx->local);

	memset(&e->match, 0, sizeof(e->match));
	wire_addr(e->match.src_addr, &rx->peer);
	e->match.src_port = wire_port(&rx->peer);
	e->match.ssrc = in->ssrc;
	e->match.pt = in->pt;
	/* The program tests one bit: "any" is every bit. */
	e->match.pt_bits[0] = in->pt_any ? UINT64_MAX : in->pt_bits[0];
	e->match.pt_bits[1] = in->pt_any ? UINT64_MAX : in->pt_bits[1];

	memset(&e->rw, 0, sizeof(e->rw));
	wire_addr(e->rw.src_addr, &tx->local);
	e->rw.src_port = wire_port(&tx->local);
	wire_addr(e->rw.dst_addr, &tx->peer);
	e->rw.dst_port = wire_port(&tx->peer);
	e->rw.ifindex = tx->ifindex;
	return FP_ENTRY;
}

bool
fastpath_entry_differs(const struct fp_entry *a, const struct fp_entry *b)
{
	return memcmp(&a->match, &b->match, sizeof(a->match)) != 0 ||
	    memcmp(&a->rw, &b->rw, sizeof(a->rw)) != 0;
}

const char *
fastpath_verdict_name(enum fp_verdict v)
{
	static const char *const names[] = {
		[FP_ENTRY] = "entry",
		[FP_NO_SOURCE] = "no verified source",
		[FP_NO_CANDIDATE] = "candidate in probation",
		[FP_NO_HOLD] = "hold or blocked",
		[FP_NO_PROCESSED] = "processed in userspace",
		[FP_NO_DEST] = "no destination",
		[FP_NO_FAMILY] = "legs of two families",
		[FP_NO_STREAM] = "no stream or payload type kept up",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
