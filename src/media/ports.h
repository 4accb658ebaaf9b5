/*
 * ports.h - RTP/RTCP port pairs: RTP on an even port P, RTCP on P+1,
 * chosen at random from the configured range so that a call's ports
 * cannot be predicted from the previous call's.
 */
#ifndef RTPROAM_PORTS_H
#define RTPROAM_PORTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"

/*
 * The control thread allocates; the worker that closes a media's sockets
 * releases, so that a port is never handed out while its old socket is
 * still bound. The lock is taken once per call set-up and tear-down.
 */
struct ports {
	pthread_mutex_t	 lock;
	uint16_t	 min, max;	/* inclusive; min rounded up to even */
	unsigned	 npairs;
	unsigned	 used;
	uint8_t		*busy;		/* one byte per pair */
	uint64_t	 rng;		/* xorshift state */
	bool		 freebind;	/* --freebind: the address may not be here yet */
};

int	ports_init(struct ports *p, uint16_t min, uint16_t max);
void	ports_free(struct ports *p);

/*
 * Bind a UDP socket pair on `local` (its port ignored): RTP on an even
 * port, RTCP on the next. Fills fds[0] (RTP), fds[1] (RTCP), both
 * non-blocking. Returns the RTP port, or 0 with errno set: EADDRINUSE
 * when no pair is free (pairs held by other processes are skipped), or
 * what socket() or bind() said when it would say it for every port
 * (EMFILE: out of descriptors).
 */
uint16_t ports_open_pair(struct ports *p, const struct addr *local, int fds[2]);
/* Give the pair back, from any thread, once its sockets are closed. */
/* Exactly this pair (a restored call): 0 with errno when taken or outside. */
uint16_t ports_open_at(struct ports *p, const struct addr *local, uint16_t port,
	    int fds[2]);
void	ports_release(struct ports *p, uint16_t rtp_port);
unsigned ports_free_pairs(struct ports *p);

#endif
