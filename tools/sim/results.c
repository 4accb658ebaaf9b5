/*
 * results.c - rtproam-sim's run state as a struct sim_report, printed as
 * a table, JSON or both, and drawn as SVG with its timeline.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "sim_report.h"
#include "sim_svg.h"

static void
fill_dir(struct sim_dir_report *d, const struct phone *tx,
    const struct phone *rx)
{
	if (sim_flow_summary(&tx->tx, &d->flow) == -1)
		err(1, "sim_flow_summary");
	d->injected = rx->injected;
	d->to_old = rx->to_old;
	d->echoed = rx->echoed;
	d->misrouted = rx->misrouted;
	d->rtcp_sent = tx->rtcp_sent;
	d->rtcp_received = rx->rtcp_rx;
	d->rtcp_injected = rx->rtcp_injected;
	d->rtcp_to_old = rx->rtcp_to_old;
}

static void
fill_report(const struct sim *s, struct sim_report *r)
{
	const struct phone *mover = &s->ph[s->mover];
	const struct attacker *a = &s->atk;
	const struct move *m;
	struct sim_move_report *mr;
	int i, k;

	memset(r, 0, sizeof(*r));
	addr_str(&s->relay, r->relay, sizeof(r->relay));
	r->protocol = s->proto->id;
	memcpy(r->callid, s->callid, sizeof(r->callid));
	memcpy(r->tag, s->tag, sizeof(r->tag));
	r->setup = s->setup;
	r->setup_done = s->setup_done;
	r->teardown = s->teardown;
	r->relay_port_a = addr_port(&s->ph[0].dst);
	r->relay_port_b = addr_port(&s->ph[1].dst);
	addr_ip_str(&s->ph[0].dst, r->media_addr, sizeof(r->media_addr));
	r->duration_ms = s->duration_us / 1000;
	r->rtcp_interval_ms = s->rtcp_us / 1000;
	r->window_ms = s->window_us / 1000;
	for (i = 0; i < 2; i++) {
		const struct phone *p = &s->ph[i];

		addr_str(&p->ep[0].addr, r->phone[i].addr, ADDR_STRLEN);
		addr_str(&p->ep[p->cur].addr, r->phone[i].final_addr,
		    ADDR_STRLEN);
		addr_str(&p->dst, r->phone[i].relay, ADDR_STRLEN);
		r->phone[i].ssrc = p->first_ssrc;
		r->phone[i].final_ssrc = p->ssrc;
		r->phone[i].send_errors = p->send_errors;
	}
	fill_dir(&r->dir[0], &s->ph[0], &s->ph[1]);
	fill_dir(&r->dir[1], &s->ph[1], &s->ph[0]);

	for (k = 0; k < s->nmv; k++) {
		m = &s->mv[k];
		if (!m->done)
			continue;
		mr = &r->move[r->nmoves++];
		mr->spec = m->spec;
		mr->phone = s->mover ? 'b' : 'a';
		addr_str(&mover->ep[m->ep_from].addr, mr->from, ADDR_STRLEN);
		addr_str(&mover->ep[m->ep_to].addr, mr->to, ADDR_STRLEN);
		mr->reinvite_ok = -1;
		if (m->spec.reinvite)
			mr->reinvite_ok = m->txn_u >= 0 && m->txn_l >= 0 &&
			    s->txn[m->txn_u].state == TXN_OK &&
			    s->txn[m->txn_l].state == TXN_OK;
		sim_switch_measure(&mover->tx, &s->ph[!s->mover].tx, &m->obs,
		    s->window_us, &mr->sw);
		mr->to_old_rtp = m->to_old_rtp;
		mr->to_old_rtcp = m->to_old_rtcp;
		mr->rtcp_to_new = m->rtcp_to_new;
		mr->rtcp_from_new = m->rtcp_from_new;
	}

	if ((r->attack = a->cfg.kind != SIM_ATK_NONE)) {
		r->atk.cfg = a->cfg;
		r->atk.stop_ms = atk_stop(s) / 1000;
		r->atk.sent = a->sent;
		r->atk.send_errors = a->send_errors;
		r->atk.leaked_rtp = a->leaked_rtp;
		r->atk.leaked_rtcp = a->leaked_rtcp;
		r->atk.leaked_a = a->leaked_a;
		r->atk.leaked_b = a->leaked_b;
		r->atk.leaked_other = a->leaked_other;
		r->atk.injected_rtp = s->ph[0].atk_rtp + s->ph[1].atk_rtp;
		r->atk.injected_rtcp = s->ph[0].atk_rtcp + s->ph[1].atk_rtcp;
	}
}

/*
 * What the timeline learns only at the end: the mover's addresses, the
 * moves and switches as marks, when the attacker was active.
 */
static void
fill_timeline(struct sim *s)
{
	const struct phone *mover = &s->ph[s->mover];
	const struct move *m;
	char buf[ADDR_STRLEN];
	int i, k;

	s->tl.mover = mover->who;
	for (i = 0; i < mover->nep; i++)
		sim_tl_source(&s->tl, (unsigned)i, addr_str(&mover->ep[i].addr,
		    buf, sizeof(buf)));
	for (k = 0; k < s->nmv; k++) {
		m = &s->mv[k];
		if (!m->done)
			continue;
		sim_tl_mark(&s->tl, SIM_TL_MOVE, k + 1, m->obs.at_us);
		if (m->obs.first_rx_idx >= 0)
			sim_tl_mark(&s->tl, SIM_TL_UP, k + 1, m->obs.first_rx_us);
		if (m->obs.first_dl_idx >= 0)
			sim_tl_mark(&s->tl, SIM_TL_DOWN, k + 1,
			    m->obs.first_dl_us);
	}
	if (s->atk.cfg.kind != SIM_ATK_NONE) {
		s->tl.atk_start_us = s->atk.cfg.start_ms * 1000;
		s->tl.atk_stop_us = atk_stop(s);
	}
}

static void
draw(struct sim *s, const struct sim_report *r)
{
	FILE *f;

	fill_timeline(s);
	if ((f = fopen(s->svg, "w")) == NULL)
		err(1, "%s", s->svg);
	sim_svg_write(f, &s->tl, r, s->svg_label);
	if (fclose(f) == EOF)
		err(1, "%s", s->svg);
}

void
report(struct sim *s)
{
	static struct sim_report r;
	FILE *f;

	fill_report(s, &r);
	if (s->json == NULL || strcmp(s->json, "-") != 0)
		sim_report_table(stdout, &r);
	if (s->json != NULL && strcmp(s->json, "-") == 0)
		sim_report_json(stdout, &r);
	else if (s->json != NULL) {
		if ((f = fopen(s->json, "w")) == NULL)
			err(1, "%s", s->json);
		sim_report_json(f, &r);
		if (fclose(f) == EOF)
			err(1, "%s", s->json);
	}
	/* Last: a picture that cannot be written costs no figures. */
	if (s->svg != NULL)
		draw(s, &r);
}
