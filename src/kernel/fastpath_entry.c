/*
 * fastpath_entry.c - the map entry a leg's state gives (fastpath_entry.h).
 */
#include <string.h>

#include "kernel/fastpath_entry.h"

static bool
is_v4(const struct addr *a)
{
	return addr_is_set(a) && addr_family(a) == AF_INET;
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
	if (!is_v4(&rx->local) || !is_v4(&rx->peer) || !is_v4(&tx->local) ||
	    !is_v4(&tx->peer))
		return FP_NO_FAMILY;
	if (!in->seq_valid || in->pt > 127 || in->pt_no_jitter ||
	    (!in->pt_any && !((in->pt_bits[in->pt >> 6] >> (in->pt & 63)) & 1)))
		return FP_NO_STREAM;

	memset(key, 0, sizeof(*key));
	key->addr[0] = rx->local.u.sin.sin_addr.s_addr;
	key->port = rx->local.u.sin.sin_port;
	key->family = AF_INET;

	memset(&e->match, 0, sizeof(e->match));
	e->match.src_addr[0] = rx->peer.u.sin.sin_addr.s_addr;
	e->match.src_port = rx->peer.u.sin.sin_port;
	e->match.ssrc = in->ssrc;
	e->match.pt = in->pt;
	/* The program tests one bit: "any" is every bit. */
	e->match.pt_bits[0] = in->pt_any ? UINT64_MAX : in->pt_bits[0];
	e->match.pt_bits[1] = in->pt_any ? UINT64_MAX : in->pt_bits[1];

	memset(&e->rw, 0, sizeof(e->rw));
	e->rw.src_addr[0] = tx->local.u.sin.sin_addr.s_addr;
	e->rw.src_port = tx->local.u.sin.sin_port;
	e->rw.dst_addr[0] = tx->peer.u.sin.sin_addr.s_addr;
	e->rw.dst_port = tx->peer.u.sin.sin_port;
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
		[FP_NO_FAMILY] = "not IPv4",
		[FP_NO_STREAM] = "no stream or payload type kept up",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
