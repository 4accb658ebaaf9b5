/*
 * record.h - call recording to pcap files (rtpproxy's R, OpenSIPS's C/N).
 *
 * A worker copies each relayed packet into its own ring; one writer thread
 * per daemon drains every ring and writes the packets, wrapped in an IPv4
 * or IPv6 and a UDP header, to one pcap file (DLT_RAW) per call. The worker
 * never blocks, allocates or makes a system call for this: when its ring is
 * full the packet is not recorded and counted. A disk that fills up or
 * fails loses the affected recordings (logged once per file, counted),
 * and relaying goes on.
 *
 * Files: "<dir>/<YYYYmmdd-HHMMSS>-<callid>-<tag>.pcap", time in UTC at
 * recorder_open(); callid and tag keep [A-Za-z0-9._-@], anything else
 * becomes '_', and they are cut so that the name stays under 200 bytes;
 * "-2", "-3"... is added before ".pcap" when the name is taken.
 *
 * Threads:
 *  - recorder_start/stop: the main thread, once each.
 *  - recorder_open: the control thread (any thread; lock-free).
 *  - record_push/record_close on a ring: only the worker that ring belongs
 *    to, and a file only on the ring of the one worker that has its call.
 *  - recorder_stats: any thread.
 */
#ifndef RTPROAM_RECORD_H
#define RTPROAM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

struct recorder;	/* one per daemon: owns a writer thread */
struct record_ring;	/* one per worker: that worker produces, the writer consumes */
struct record_file;	/* one per recorded call, used by one worker only */

/* Rings are rounded up to a power of two, at least 256 KiB. */
#define RECORD_RING_MIN		(256u * 1024u)
/* The largest payload a UDP/IPv4 datagram can carry. */
#define RECORD_MAX_PAYLOAD	65507u

/*
 * Check that dir is a writable directory, allocate nworkers rings of
 * ring_bytes each (touched now, so that the relay never faults on them),
 * start the writer. Ignores SIGXFSZ for the process: a file size limit
 * must read as a write error, not kill the relay. NULL and a message in
 * err on failure.
 */
struct recorder *recorder_start(const char *dir, unsigned nworkers, size_t ring_bytes,
	    char *err, size_t errlen);
/*
 * Write out everything queued, close every file (those never closed with
 * record_close too), join the writer and free everything: every ring and
 * record_file pointer is dead afterwards. Call it after the workers have
 * stopped; NULL is a no-op.
 */
void	recorder_stop(struct recorder *r);
/* Worker `worker`'s ring, 0 <= worker < nworkers. */
struct record_ring *recorder_ring(struct recorder *r, unsigned worker);

/*
 * Control thread: a new recording. Returns at once: the writer creates the
 * file within a few tens of milliseconds (an empty call still leaves a file
 * with a pcap header). NULL only when out of memory. The handle belongs to
 * the recorder, which frees it some time after record_close or
 * recorder_end: the caller forgets it when it calls either.
 */
struct record_file *recorder_open(struct recorder *r, const char *callid, const char *tag);
/*
 * Any thread: end a recording no worker will push to (never handed to one,
 * or its worker is known to be done with it). Instead of record_close.
 */
void	recorder_end(struct recorder *r, struct record_file *f);

/*
 * Worker: queue a copy of one packet for f. src and dst (never NULL) go into
 * the IP and UDP headers (an IPv4 address meeting an IPv6 one is written as
 * ::ffff:a.b.c.d); wall_us is CLOCK_REALTIME in microseconds (not now_us(),
 * which is monotonic). Never blocks, never allocates, no system call.
 * false: not queued, and counted: the ring is full or len is over
 * RECORD_MAX_PAYLOAD (dropped_full), or the file already failed to write
 * (write_errors).
 */
bool	record_push(struct record_ring *ring, struct record_file *f, const struct addr *src,
	    const struct addr *dst, const uint8_t *payload, size_t len, uint64_t wall_us);
/*
 * Worker: no more packets for f; the writer closes the file after what was
 * queued before. Never fails (a full ring falls back to a lock-free list).
 * f must not be used after this.
 */
void	record_close(struct record_ring *ring, struct record_file *f);

/*
 * packets, bytes: packets (and their RTP/RTCP payload bytes) known to be in
 * a file, counted when it is flushed (about once a second) or closed.
 * dropped_full: refused by a full ring. write_errors: packets lost to a
 * failed create, write or flush. files_opened: created since the start;
 * files_open: open now. files_closed: closed by record_close and done with:
 * every packet queued for them is counted above (a file that failed is no
 * longer open, but what was queued before its close may still be on the
 * way).
 */
struct record_stats {
	uint64_t	packets, bytes, dropped_full, write_errors;
	uint64_t	files_opened, files_open, files_closed;
};
void	recorder_stats(struct recorder *r, struct record_stats *out);

/*
 * Tests: while held, the writer takes nothing from the rings (they fill up).
 * recorder_stop ignores the hold.
 */
void	recorder_hold(struct recorder *r, bool hold);

#endif
