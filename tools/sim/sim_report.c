/*
 * sim_report.c - print rtproam-sim's results. Pure: writes to a FILE.
 */
#include "sim_report.h"

#include <inttypes.h>
#include <string.h>

/*
 * A JSON writer just big enough for one fixed-shape object: it tracks
 * whether a comma is due at each depth, which is all that can go wrong.
 */
#define JSON_DEPTH	8

struct json {
	FILE	*f;
	int	 depth;
	bool	 first[JSON_DEPTH];
};

static void
j_sep(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	}
	if (key != NULL)
		fprintf(j->f, "\"%s\": ", key);
}

static void
j_open(struct json *j, const char *key, char c)
{
	j_sep(j, key);
	fputc(c, j->f);
	if (j->depth < JSON_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void
j_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	/* "[]" rather than a bracket on a line of its own. */
	if (empty)
		fputc(c, j->f);
	else
		fprintf(j->f, "\n%*s%c", 2 * j->depth, "", c);
}

static void
j_str(struct json *j, const char *key, const char *v)
{
	j_sep(j, key);
	fputc('"', j->f);
	/* Tags and Call-IDs come from the command line: escape them. */
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			fprintf(j->f, "\\%c", *v);
		else if ((unsigned char)*v < 0x20)
			fprintf(j->f, "\\u%04x", (unsigned char)*v);
		else
			fputc(*v, j->f);
	}
	fputc('"', j->f);
}

static void
j_int(struct json *j, const char *key, int64_t v)
{
	j_sep(j, key);
	fprintf(j->f, "%" PRId64, v);
}

static void
j_uint(struct json *j, const char *key, uint64_t v)
{
	j_sep(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

/* -1 is null: "not applicable", as for a reinvite that was not asked. */
static void
j_bool(struct json *j, const char *key, int v)
{
	j_sep(j, key);
	fputs(v < 0 ? "null" : v ? "true" : "false", j->f);
}

/* Microseconds as milliseconds, or null when there is no sample. */
static void
j_ms(struct json *j, const char *key, bool have, int64_t us)
{
	j_sep(j, key);
	if (have)
		fprintf(j->f, "%.3f", (double)us / 1000.0);
	else
		fputs("null", j->f);
}

static void
json_dir(struct json *j, const char *key, const struct sim_dir_report *d)
{
	j_open(j, key, '{');
	j_uint(j, "sent", d->flow.sent);
	j_uint(j, "received", d->flow.received);
	j_uint(j, "lost", d->flow.lost);
	j_uint(j, "duplicates", d->flow.dups);
	j_ms(j, "latency_p50_ms", d->flow.nlat > 0, d->flow.p50_us);
	j_ms(j, "latency_p99_ms", d->flow.nlat > 0, d->flow.p99_us);
	j_uint(j, "injected", d->injected);
	j_uint(j, "to_old", d->to_old);
	j_uint(j, "echoed", d->echoed);
	j_uint(j, "misrouted", d->misrouted);
	j_uint(j, "rtcp_sent", d->rtcp_sent);
	j_uint(j, "rtcp_received", d->rtcp_received);
	j_uint(j, "rtcp_injected", d->rtcp_injected);
	j_uint(j, "rtcp_to_old", d->rtcp_to_old);
	j_close(j, '}');
}

static void
json_move(struct json *j, const struct sim_move_report *m)
{
	char phone[2] = { m->phone, '\0' };

	j_open(j, NULL, '{');
	j_int(j, "at_ms", m->spec.at_ms);
	j_str(j, "kind", sim_move_kind_name(m->spec.kind));
	j_str(j, "phone", phone);
	j_str(j, "from", m->from);
	j_str(j, "to", m->to);
	j_bool(j, "newssrc", m->spec.newssrc);
	j_int(j, "overlap_ms", m->spec.overlap_ms);
	j_int(j, "silence_ms", m->spec.silence_ms);
	j_bool(j, "reinvite", m->spec.reinvite);
	j_bool(j, "reinvite_ok", m->reinvite_ok);
	j_bool(j, "uplink_switched", m->sw.up);
	j_int(j, "uplink_switch_pkts", m->sw.up_pkts);
	j_ms(j, "uplink_switch_ms", m->sw.up, m->sw.up_us);
	j_bool(j, "downlink_switched", m->sw.down);
	j_ms(j, "downlink_switch_ms", m->sw.down, m->sw.down_us);
	j_int(j, "downlink_switch_pkts", m->sw.down_pkts);
	j_uint(j, "lost_up", m->sw.lost_up);
	j_uint(j, "lost_down", m->sw.lost_down);
	j_uint(j, "to_old_rtp", m->to_old_rtp);
	j_uint(j, "to_old_rtcp", m->to_old_rtcp);
	j_uint(j, "rtcp_to_new", m->rtcp_to_new);
	j_bool(j, "rtcp_to_new_ok", m->rtcp_to_new > 0);
	j_uint(j, "rtcp_from_new", m->rtcp_from_new);
	j_close(j, '}');
}

static void
json_attack(struct json *j, const struct sim_attack_report *a)
{
	char ip[ADDR_STRLEN];

	j_open(j, "attack", '{');
	j_str(j, "kind", sim_attack_kind_name(a->cfg.kind));
	j_str(j, "from", addr_ip_str(&a->cfg.from, ip, sizeof(ip)));
	j_uint(j, "ports", a->cfg.ports);
	j_uint(j, "rate", a->cfg.rate);
	j_int(j, "start_ms", a->cfg.start_ms);
	j_int(j, "stop_ms", a->stop_ms);
	j_uint(j, "sent", a->sent);
	j_uint(j, "send_errors", a->send_errors);
	j_uint(j, "leaked_rtp", a->leaked_rtp);
	j_uint(j, "leaked_rtcp", a->leaked_rtcp);
	j_uint(j, "leaked_from_a", a->leaked_a);
	j_uint(j, "leaked_from_b", a->leaked_b);
	j_uint(j, "leaked_other", a->leaked_other);
	j_uint(j, "injected_rtp", a->injected_rtp);
	j_uint(j, "injected_rtcp", a->injected_rtcp);
	j_close(j, '}');
}

void
sim_report_json(FILE *f, const struct sim_report *r)
{
	struct json j;
	const struct sim_phone_report *p;
	int i;

	memset(&j, 0, sizeof(j));
	j.f = f;
	j_open(&j, NULL, '{');
	j_int(&j, "version", 1);
	j_str(&j, "relay", r->relay);
	j_str(&j, "protocol", sim_proto_name(r->protocol));
	j_str(&j, "callid", r->callid);
	j_str(&j, "from_tag", r->tag[0]);
	j_str(&j, "to_tag", r->tag[1]);
	j_open(&j, "setup", '{');
	j_bool(&j, "done", r->setup_done);
	j_uint(&j, "relay_port_a", r->relay_port_a);
	j_uint(&j, "relay_port_b", r->relay_port_b);
	j_str(&j, "media_addr", r->media_addr);
	j_close(&j, '}');
	j_bool(&j, "teardown_ok", r->teardown);
	j_int(&j, "duration_ms", r->duration_ms);
	j_int(&j, "rtcp_interval_ms", r->rtcp_interval_ms);
	j_int(&j, "window_ms", r->window_ms);

	j_open(&j, "phones", '{');
	for (i = 0; i < 2; i++) {
		p = &r->phone[i];
		j_open(&j, i ? "b" : "a", '{');
		j_str(&j, "addr", p->addr);
		j_uint(&j, "ssrc", p->ssrc);
		j_str(&j, "final_addr", p->final_addr);
		j_uint(&j, "final_ssrc", p->final_ssrc);
		j_str(&j, "relay", p->relay);
		j_uint(&j, "send_errors", p->send_errors);
		j_close(&j, '}');
	}
	j_close(&j, '}');

	j_open(&j, "directions", '{');
	json_dir(&j, "a_to_b", &r->dir[0]);
	json_dir(&j, "b_to_a", &r->dir[1]);
	j_close(&j, '}');

	j_open(&j, "moves", '[');
	for (i = 0; i < r->nmoves; i++)
		json_move(&j, &r->move[i]);
	j_close(&j, ']');

	if (r->attack)
		json_attack(&j, &r->atk);
	else {
		j_sep(&j, "attack");
		fputs("null", f);
	}
	j_close(&j, '}');
	fputc('\n', f);
}

static const char *
fmt_ms(char *buf, size_t len, bool have, int64_t us)
{
	if (have)
		snprintf(buf, len, "%.2f", (double)us / 1000.0);
	else
		snprintf(buf, len, "-");
	return buf;
}

static void
table_move(FILE *f, int n, const struct sim_move_report *m, int64_t window_ms)
{
	char t[32];

	fprintf(f, "\nmove %d at %" PRId64 " ms: phone %c %s %s -> %s", n,
	    m->spec.at_ms, m->phone == 'a' ? 'A' : 'B',
	    sim_move_kind_name(m->spec.kind), m->from, m->to);
	if (m->spec.newssrc)
		fprintf(f, " newssrc");
	if (m->spec.overlap_ms)
		fprintf(f, " overlap=%" PRId64, m->spec.overlap_ms);
	if (m->spec.silence_ms)
		fprintf(f, " silence=%" PRId64, m->spec.silence_ms);
	if (m->spec.reinvite)
		fprintf(f, " reinvite(%s)", m->reinvite_ok == 1 ? "ok" :
		    "FAILED");
	fputc('\n', f);
	fprintf(f, "  uplink switch:   %s after %" PRId64 " pkts (%s ms)\n",
	    m->sw.up ? "yes" : "NEVER", m->sw.up_pkts,
	    fmt_ms(t, sizeof(t), m->sw.up, m->sw.up_us));
	fprintf(f, "  downlink switch: %s after %s ms, %" PRId64
	    " pkts of the other phone\n", m->sw.down ? "yes" : "NEVER",
	    fmt_ms(t, sizeof(t), m->sw.down, m->sw.down_us), m->sw.down_pkts);
	fprintf(f, "  lost within +-%" PRId64 " ms: up %" PRIu32 ", down %"
	    PRIu32 "; to old address: rtp %" PRIu64 ", rtcp %" PRIu64 "\n",
	    window_ms, m->sw.lost_up, m->sw.lost_down, m->to_old_rtp,
	    m->to_old_rtcp);
	fprintf(f, "  rtcp: %" PRIu64 " reached the new address, %" PRIu64
	    " came from it\n", m->rtcp_to_new, m->rtcp_from_new);
}

void
sim_report_table(FILE *f, const struct sim_report *r)
{
	const struct sim_attack_report *a = &r->atk;
	const struct sim_dir_report *d;
	char p50[32], p99[32], ip[ADDR_STRLEN];
	int i;

	fprintf(f, "relay %s (%s)  call %s  %" PRId64 " ms of media\n",
	    r->relay, sim_proto_name(r->protocol),
	    r->callid[0] ? r->callid : "(no setup)", r->duration_ms);
	for (i = 0; i < 2; i++)
		fprintf(f, "phone %c %s -> relay %s%s", i ? 'B' : 'A',
		    r->phone[i].addr, r->phone[i].relay, i ? "\n" : "   ");
	fprintf(f, "\n%-6s %6s %6s %6s %5s %8s %8s %8s %6s %9s %9s %9s\n",
	    "dir", "sent", "recv", "lost", "dup", "p50ms", "p99ms", "injected",
	    "to_old", "rtcp_sent", "rtcp_recv", "rtcp_inj");
	for (i = 0; i < 2; i++) {
		d = &r->dir[i];
		fprintf(f, "%-6s %6" PRIu32 " %6" PRIu32 " %6" PRIu32 " %5"
		    PRIu64 " %8s %8s %8" PRIu64 " %6" PRIu64 " %9" PRIu64
		    " %9" PRIu64 " %9" PRIu64 "\n", i ? "B->A" : "A->B",
		    d->flow.sent, d->flow.received, d->flow.lost, d->flow.dups,
		    fmt_ms(p50, sizeof(p50), d->flow.nlat > 0, d->flow.p50_us),
		    fmt_ms(p99, sizeof(p99), d->flow.nlat > 0, d->flow.p99_us),
		    d->injected, d->to_old, d->rtcp_sent, d->rtcp_received,
		    d->rtcp_injected);
	}
	for (i = 0; i < r->nmoves; i++)
		table_move(f, i + 1, &r->move[i], r->window_ms);
	if (r->attack) {
		fprintf(f, "\nattack %s from %s (%u ports, %u pps, %" PRId64
		    "..%" PRId64 " ms): sent %" PRIu64 "\n",
		    sim_attack_kind_name(a->cfg.kind),
		    addr_ip_str(&a->cfg.from, ip, sizeof(ip)), a->cfg.ports,
		    a->cfg.rate, a->cfg.start_ms, a->stop_ms, a->sent);
		fprintf(f, "  LEAKED to attacker: rtp %" PRIu64 ", rtcp %"
		    PRIu64 " (A's %" PRIu64 ", B's %" PRIu64 ", its own or unknown %"
		    PRIu64 ")\n", a->leaked_rtp, a->leaked_rtcp, a->leaked_a,
		    a->leaked_b, a->leaked_other);
		fprintf(f, "  INJECTED into phones: rtp %" PRIu64 ", rtcp %"
		    PRIu64 "\n", a->injected_rtp, a->injected_rtcp);
	}
	if (r->setup)
		fprintf(f, "\nteardown: %s\n", r->teardown == 1 ? "ok" :
		    "no answer to D");
}
