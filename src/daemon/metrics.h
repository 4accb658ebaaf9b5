/*
 * metrics.h - Prometheus metrics over HTTP (libmicrohttpd).
 *
 * The HTTP server runs inside the control thread's event loop (MHD's
 * epoll fd is one more source there), so rendering reads the call table
 * with no lock, exactly like the I command does.
 */
#ifndef RTPROAM_METRICS_H
#define RTPROAM_METRICS_H

#include <stddef.h>

#include "control/rtpp/ctl_rtpp.h"

struct metrics;

/* Listen on "HOST:PORT" ("[v6]:PORT"). NULL with err filled on failure. */
struct metrics *metrics_start(const char *hostport, struct call_ctx *ctx,
	    char *err, size_t errlen);
/* The fd to watch for readability; call metrics_run() when it is. */
int	metrics_fd(const struct metrics *m);
void	metrics_run(struct metrics *m);
void	metrics_stop(struct metrics *m);

/*
 * The exposition text. Pure apart from reading ctx; returns the length, or
 * 0 when buf is too small.
 */
size_t	metrics_render(struct call_ctx *ctx, char *buf, size_t len);

#endif
