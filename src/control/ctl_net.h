/*
 * ctl_net.h - the control sockets: udp:/udp6: (cookie, reply cache),
 * unix: (one command per connection, as Kamailio uses it), cunix:/tcp:
 * (persistent, one command per line, as OpenSIPS uses them).
 */
#ifndef RTPROAM_CTL_NET_H
#define RTPROAM_CTL_NET_H

#include <stddef.h>
#include <stdint.h>

#include "control/rtpp/ctl_rtpp.h"

struct ctl_net;

/* Bind every -s socket and add it to epfd (data.ptr = an endpoint). */
struct ctl_net *ctl_net_open(const struct config *cfg, int epfd, char *err, size_t errlen);
/* An epoll event whose data.ptr is not one of main's own. */
void	ctl_net_event(struct ctl_net *n, struct call_ctx *ctx, void *ptr, uint32_t events);
/* Once a second: expire cached replies. */
void	ctl_net_tick(struct ctl_net *n, uint64_t now);
void	ctl_net_close(struct ctl_net *n);

#endif
