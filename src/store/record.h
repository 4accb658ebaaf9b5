/*
 * record.h - one call in Redis: the fields of its hash, encoded, decoded
 * and validated. Pure: no I/O, no clock (callers pass the offset between
 * the wall clock and the monotonic one).
 *
 * Key rtproam:<node-id>:call:<call-id>, a hash:
 *
 *   v        "1"                    schema version
 *   cid      the Call-ID            must equal the key's suffix
 *   own      the node id            must equal ours
 *   created  wall-clock ms
 *   nt       (optional) "1 to=<target> tag=<tag>": where a timeout is
 *            reported (rtpproxy U's notify arguments; ids percent-encoded)
 *   rec      (optional) "1 tag=<tag|->": the call is being recorded
 *            (rtpproxy R, ng start recording), under that tag
 *   m<S>     one media (S = media->slot):
 *            "1 num=1 t0=<tag> t1=<tag|-> br=<branch|-> ans=0|1
 *             type=<..|-> proto=<..|-> mo0=0|1 mo1=0|1 lb0=<label|->
 *             lb1=<label|-> del=MS"   (ids percent-encoded)
 *            mo<i>: the SDP sent to party i offered a=rtcp-mux; lb<i>:
 *            its ng label; del: wall-clock ms of a delayed ng delete, 0
 *            none
 *   m<S>.a   its leg 0, m<S>.b its leg 1, one compact line each:
 *            "1 laddr=IP:PORT adv=IP pol=off|ssrc|probation
 *             st=none|signalled|weak|strong asym=0|1 ver=0|1 root=0|1
 *             sig=IP:PORT|- peer=IP:PORT|- rpeer=IP:PORT|- rconf=0|1
 *             ssrc=HEX8|- seq=N seqt=MS nsw=N swt=MS wst=MS wsw=N
 *             mux=0|1|2 blk=0|1 hold=0|1 jb=-|off|fixed|adaptive zp=MS
 *             pt=any|-|PT,PT,..."
 *            jb: its jitter buffer (J<n>; "-" the daemon's), zp: its
 *            resizer (Z<ms>; 0 none), pt: the payload types its party
 *            may send (rtpproxy c; ascending, "-" none)
 *
 * Keys added after the first release of version 1 (rec, mo*, lb*, del, jb,
 * zp, pt) are optional when decoding: an older record gets their defaults
 * (not recording, no mux offered, no labels, no delete pending, the
 * daemon's jitter buffer, no resizer, any payload type).
 *
 * One field per leg, so that a handover is one HSET of one small field.
 * A record is untrusted input (anyone with write access to Redis could
 * have put it there): decoding checks every field, and the limits check
 * that it names this relay's own addresses and ports.
 */
#ifndef RTPROAM_STORE_RECORD_H
#define RTPROAM_STORE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "call/saved.h"
#include "config/config.h"

#define STORE_RECORD_VERSION	1
#define STORE_VALUE_MAX		1024	/* longest field value we write or accept */
#define STORE_FIELD_NAME_MAX	16

/* One field of the hash, as HGETALL gives it (not NUL-terminated). */
struct store_field {
	const char	*name;
	size_t		 name_len;
	const char	*val;
	size_t		 val_len;
};

/* Field names: "m<slot>", "m<slot>.a", "m<slot>.b". */
int	store_media_field(unsigned slot, int leg, char *buf, size_t len);

/*
 * Encode one media or one leg into buf (NUL-terminated). wall_off is
 * wall-clock ms minus monotonic ms. Return the length, or -1 if it did not
 * fit in len.
 */
int	store_encode_media(const struct media_saved *m, int64_t wall_off, char *buf,
	    size_t len);
/* The nt field; only for a call with a notify target. */
int	store_encode_notify(const struct call_saved *c, char *buf, size_t len);
/* The rec field; only for a call being recorded. */
int	store_encode_recording(const struct call_saved *c, char *buf, size_t len);
int	store_encode_leg(const struct leg_saved *l, int64_t wall_off, char *buf,
	    size_t len);

/*
 * Decode and validate one media value (m<S>) or one leg value (m<S>.a/.b);
 * cfg as for store_decode_call. Returns 0, or -1 with a reason in err.
 */
int	store_decode_media(const char *v, size_t len, int64_t wall_off,
	    struct media_saved *m, char *err, size_t errlen);
int	store_decode_leg(const char *v, size_t len, const struct config *cfg,
	    int64_t wall_off, struct leg_saved *l, char *err, size_t errlen);

/*
 * Decode and validate a whole record: every field HGETALL returned for the
 * key of Call-ID `cid` (cid_len bytes). cfg gives the port range and
 * interfaces a leg must use; `own` may name any node of the group (a
 * standby takes over what the active one wrote). Returns 0, or -1
 * with a reason in err.
 */
int	store_decode_call(const struct store_field *f, unsigned n,
	    const char *cid, size_t cid_len, const struct config *cfg, int64_t wall_off, struct call_saved *out,
	    char *err, size_t errlen);

#endif
