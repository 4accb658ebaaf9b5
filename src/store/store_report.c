/*
 * store_report.c - the store's state for people and monitoring: the lines
 * the I command appends (rtproam-ctl ha shows them) and the rtproam_ha_*
 * metrics.
 */
#include "store/store_int.h"

#include <inttypes.h>
#include <stdio.h>

#include "lib/textbuf.h"

size_t
store_report(struct store *s, int format, char *buf, size_t len)
{
	struct store_status st;
	size_t off = 0;
	int rc = 0;

	store_status(s, &st);
	if (format == 0) {
		rc = textbuf_printf(buf, len, &off,
		    "ha redis: %s\nha redis state: %s\nha since: %" PRIu64 "\n"
		    "ha node: %s\nha writes: %" PRIu64 "\nha write errors: %" PRIu64 "\n"
		    "ha unsent: %" PRIu64 "\nha inflight: %u\nha dirty: %s\n"
		    "ha tombstones: %u\nha resyncs: %" PRIu64 "\nha reconnects: %" PRIu64 "\n"
		    "ha restored: %" PRIu64 "\nha rejected: %" PRIu64 "\nha busy: %" PRIu64 "\n",
		    st.target, st.up ? "up" : "down", st.since_ms, s->cfg->node_id,
		    st.writes, st.write_errors, st.unsent, st.inflight,
		    st.dirty ? "yes" : "no", st.tombstones, st.resyncs,
		    st.reconnects, st.restored, st.rejected, st.busy);
		if (rc == 0 && !st.up && st.why[0])
			rc = textbuf_printf(buf, len, &off, "ha down reason: %s\n", st.why);
		if (rc == 0)
			rc = textbuf_printf(buf, len, &off, "ha group: %s\nha role: %s\n"
			    "ha lease: %s\nha takeovers: %" PRIu64 "\n"
			    "ha last restore ms: %" PRIu64 "\n", s->cfg->ha_group, st.role,
			    st.lease[0] ? st.lease : "-", st.takeovers, st.last_restore_ms);
		return rc == 0 ? off : 0;
	}
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_redis_up", "gauge",
	    "1 while the Redis connection is up", st.up);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_active", "gauge",
	    "1 while this relay owns its HA group's calls (holds the lease)",
	    s->role == HA_ACTIVE && st.lease[0]);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_takeovers_total", "counter",
	    "times this standby took over its group's calls", st.takeovers);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_dirty_calls", "gauge",
	    "calls waiting for a rewrite (all of them while one is pending)",
	    st.dirty ? s->ctx->calls.ncalls : 0);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_writes_total", "counter",
	    "Redis commands answered", st.writes);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_write_errors_total", "counter",
	    "Redis commands not stored (error reply or connection lost)",
	    st.write_errors);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_unsent_total", "counter",
	    "writes skipped while Redis was down or too slow", st.unsent);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_inflight", "gauge",
	    "Redis commands sent and not answered", st.inflight);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_tombstones", "gauge",
	    "deleted calls whose record waits for Redis", st.tombstones);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_reconnects_total", "counter",
	    "Redis connection attempts", st.reconnects);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_resyncs_total", "counter",
	    "rewrites of every call", st.resyncs);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_restored_calls", "gauge",
	    "calls restored from Redis at start-up and takeovers", st.restored);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_rejected_records", "gauge",
	    "records refused at start-up (invalid; left in Redis)", st.rejected);
	rc |= textbuf_metric(buf, len, &off, "rtproam_ha_busy_records", "gauge",
	    "records not restored at start-up: their ports were taken", st.busy);
	return rc == 0 ? off : 0;
}
