/*
 * metrics.c - /metrics in the Prometheus text format.
 */
#include "daemon/metrics.h"

#include <inttypes.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dynlib.h"
#include "media/latch.h"
#include "lib/log.h"
#include "lib/textbuf.h"

#define METRICS_BUF	(64 * 1024)

/* libmicrohttpd, loaded by metrics_start() (see dynlib.h for why). */
static struct {
	__typeof__(MHD_start_daemon)			*start_daemon;
	__typeof__(MHD_stop_daemon)			*stop_daemon;
	__typeof__(MHD_run)				*run;
	__typeof__(MHD_get_daemon_info)			*get_daemon_info;
	__typeof__(MHD_create_response_from_buffer)	*create_response_from_buffer;
	__typeof__(MHD_add_response_header)		*add_response_header;
	__typeof__(MHD_queue_response)			*queue_response;
	__typeof__(MHD_destroy_response)		*destroy_response;
} mhd;

static int
load_mhd(char *err, size_t errlen)
{
#define MHD_SYM(f)	{ "MHD_" #f, &mhd.f }
	static const struct dynlib_sym syms[] = {
		MHD_SYM(start_daemon), MHD_SYM(stop_daemon), MHD_SYM(run),
		MHD_SYM(get_daemon_info), MHD_SYM(create_response_from_buffer),
		MHD_SYM(add_response_header), MHD_SYM(queue_response),
		MHD_SYM(destroy_response),
	};
#undef MHD_SYM

	if (mhd.start_daemon != NULL)
		return 0;
	return dynlib_load(RTPROAM_MHD_SONAME, syms, sizeof(syms) / sizeof(syms[0]),
	    err, errlen);
}

struct metrics {
	struct MHD_Daemon	*mhd;
	struct call_ctx		*ctx;
	char			*buf;
};

/* A counter family with a `reason` label: its heading, then one sample per call. */
static int
put_family(char *buf, size_t len, size_t *off, const char *name, const char *help)
{
	return textbuf_printf(buf, len, off, "# HELP %s %s\n# TYPE %s counter\n",
	    name, help, name);
}

static int
put_reason(char *buf, size_t len, size_t *off, const char *name, const char *reason,
    uint64_t v)
{
	return textbuf_printf(buf, len, off, "%s{reason=\"%s\"} %" PRIu64 "\n",
	    name, reason, v);
}

size_t
metrics_render(struct call_ctx *ctx, char *buf, size_t len)
{
	static const enum latch_drop_reason reasons[] = { DROP_PT, DROP_UNVERIFIED,
	    DROP_FLOOD, DROP_RATE_LIMIT, DROP_ASYMMETRIC };
	struct relay_totals t;
	struct histogram jitter, loss;
	uint64_t fast_streams, fast_pkts;
	size_t off = 0, i;
	int rc = 0;

	call_totals(ctx, &t);
	ended_read(&ctx->ended, NULL, &jitter, &loss);
	rc |= textbuf_metric(buf, len, &off, "rtproam_calls_created_total", "counter",
	    "Calls created (rtpproxy U, ng offer).", ctx->calls.created_total);
	rc |= textbuf_metric(buf, len, &off, "rtproam_calls_active", "gauge",
	    "Calls in the table.", ctx->calls.ncalls);
	rc |= textbuf_metric(buf, len, &off, "rtproam_streams_active", "gauge",
	    "Sockets relaying media (4 per media line).", (uint64_t)ctx->calls.nmedia * 4);
	rc |= textbuf_metric(buf, len, &off, "rtproam_calls_timed_out_total", "counter",
	    "Calls ended because their media stopped.", ctx->calls_timed_out);
	rc |= textbuf_metric(buf, len, &off, "rtproam_port_pairs_free", "gauge",
	    "RTP/RTCP port pairs left in the range.", ports_free_pairs(&ctx->ports));
	rc |= textbuf_metric(buf, len, &off, "rtproam_control_commands_total", "counter",
	    "Control commands executed.", ctx->cmds);
	rc |= textbuf_metric(buf, len, &off, "rtproam_control_errors_total", "counter",
	    "Control commands answered with an error.", ctx->cmd_errors);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ng_errors_total", "counter",
	    "ng commands answered with an error (or load limit).", ctx->ng_errors);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ng_malformed_total", "counter",
	    "ng datagrams or documents that could not be read.", ctx->ng_malformed);
	rc |= textbuf_metric(buf, len, &off, "rtproam_control_refused_total", "counter",
	    "Control commands refused with E98 over --max-cmd-rate.", ctx->cmds_refused);
	rc |= put_family(buf, len, &off, "rtproam_calls_refused_total",
	    "Offers refused: the port range full (E7), sockets not opened, e.g. "
	    "out of descriptors (E7), or --max-calls (E98).");
	for (i = 0; i < REFUSED_MAX; i++)
		rc |= put_reason(buf, len, &off, "rtproam_calls_refused_total",
		    refused_reason_name((enum refused_reason)i), ctx->refused[i]);
	rc |= textbuf_metric(buf, len, &off, "rtproam_packets_received_total", "counter",
	    "Datagrams received on media ports.", t.rx);
	rc |= textbuf_metric(buf, len, &off, "rtproam_packets_relayed_total", "counter",
	    "Datagrams sent on to the other party.", t.relayed);
	rc |= textbuf_metric(buf, len, &off, "rtproam_bytes_relayed_total", "counter",
	    "UDP payload bytes sent on to the other party.", t.relayed_bytes);
	rc |= textbuf_metric(buf, len, &off, "rtproam_packets_dropped_total", "counter",
	    "Datagrams received and not sent on.", t.dropped);
#define DROPPED "rtproam_packets_dropped_by_reason_total"
	rc |= put_family(buf, len, &off, DROPPED, "Datagrams dropped, by reason.");
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		rc |= put_reason(buf, len, &off, DROPPED,
		    latch_drop_reason_name(reasons[i]), t.drops[reasons[i]]);
	rc |= put_reason(buf, len, &off, DROPPED, "invalid", t.invalid);
	rc |= put_reason(buf, len, &off, DROPPED, "no-destination", t.nodest);
#undef DROPPED
	call_fastpath_totals(ctx, &fast_streams, &fast_pkts);
	rc |= textbuf_metric(buf, len, &off, "rtproam_fastpath_streams", "gauge",
	    "Streams forwarded by the kernel fast path now (--fast-path ebpf).",
	    fast_streams);
	rc |= textbuf_metric(buf, len, &off, "rtproam_fastpath_packets_total", "counter",
	    "Datagrams the kernel fast path forwarded (also in received and relayed).",
	    fast_pkts);
	rc |= textbuf_metric(buf, len, &off, "rtproam_rtp_expected_total", "counter",
	    "RTP packets the senders sent, by sequence numbers.", t.expected);
	rc |= textbuf_metric(buf, len, &off, "rtproam_rtp_lost_total", "counter",
	    "RTP packets lost before reaching the relay.", t.lost);
	rc |= textbuf_metric(buf, len, &off, "rtproam_rtp_wire_bytes_total", "counter",
	    "RTP bytes received incl. UDP, IP and Ethernet overhead.", t.wire_bytes);
	rc |= textbuf_metric(buf, len, &off, "rtproam_handovers_total", "counter",
	    "Legs moved to a new address on packet evidence or signalling.", t.switches);
	rc |= histogram_format(&jitter, "rtproam_stream_jitter_ms",
	    "RFC 3550 interarrival jitter of ended streams.", buf, len, &off);
	rc |= histogram_format(&loss, "rtproam_stream_loss_percent",
	    "Packet loss of ended streams.", buf, len, &off);
	/* --redis: the rtproam_ha_* family. */
	if (rc == 0 && ctx->hooks && ctx->hooks->report) {
		i = ctx->hooks->report(ctx->hooks->arg, 1, buf + off, len - off);
		if (i == 0)
			rc = -1;
		off += i;
	}
	return rc == 0 ? off : 0;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		len = (size_t)snprintf(m->buf, METRICS_BUF, "GET only\n");
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		len = (size_t)snprintf(m->buf, METRICS_BUF, "try /metrics\n");
	} else if ((len = metrics_render(m->ctx, m->buf, METRICS_BUF)) == 0) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		len = (size_t)snprintf(m->buf, METRICS_BUF, "metrics too large\n");
	}
	resp = mhd.create_response_from_buffer(len, m->buf, MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	mhd.add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
	ret = mhd.queue_response(conn, status, resp);
	mhd.destroy_response(resp);
	return ret;
}

struct metrics *
metrics_start(const char *hostport, struct call_ctx *ctx, char *err, size_t errlen)
{
	struct metrics *m;
	struct addr a;
	char lib_err[256];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	if (addr_parse_hostport(&a, hostport, 0, AF_UNSPEC) != 0 || addr_port(&a) == 0) {
		snprintf(err, errlen, "--metrics: want HOST:PORT, got %s", hostport);
		return NULL;
	}
	if (load_mhd(lib_err, sizeof(lib_err)) != 0) {
		snprintf(err, errlen, "--metrics: %s", lib_err);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->buf = malloc(METRICS_BUF)) == NULL) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (addr_family(&a) == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->ctx = ctx;
	/* No thread of its own: MHD runs when the control loop says so. */
	m->mhd = mhd.start_daemon(flags, addr_port(&a), NULL, NULL, answer, m,
	    MHD_OPTION_SOCK_ADDR, &a.u.sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_END);
	if (m->mhd == NULL) {
		snprintf(err, errlen, "--metrics %s: cannot listen", hostport);
		free(m->buf);
		free(m);
		return NULL;
	}
	log_info("metrics on http://%s/metrics", hostport);
	return m;
}

int
metrics_fd(const struct metrics *m)
{
	const union MHD_DaemonInfo *info;

	info = mhd.get_daemon_info(m->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	return info ? info->epoll_fd : -1;
}

void
metrics_run(struct metrics *m)
{
	(void)mhd.run(m->mhd);
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	mhd.stop_daemon(m->mhd);
	free(m->buf);
	free(m);
}
