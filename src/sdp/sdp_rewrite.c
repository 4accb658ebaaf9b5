/*
 * sdp_rewrite.c - write a parsed SDP back through the relay. Pure; the
 * rules are in sdp_rewrite.h, which lines are owned in sdp.c.
 */
#include "sdp/sdp_rewrite.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

struct writer {
	char	*buf;
	size_t	 len, off;
	bool	 full;		/* something did not fit; off stops growing */
};

static void
put(struct writer *w, const char *p, size_t n)
{
	if (w->full || n > w->len - w->off) {
		w->full = true;
		return;
	}
	memcpy(w->buf + w->off, p, n);
	w->off += n;
}

static void
put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_crlf(struct writer *w)
{
	put(w, "\r\n", 2);
}

static void
put_line(struct writer *w, const struct sdp_line *l)
{
	put(w, l->p, l->len);
	put_crlf(w);
}

static void
put_num(struct writer *w, unsigned v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	put_str(w, num);
}

/* "IN IP4 192.0.2.1" */
static void
put_addr(struct writer *w, const struct sdp_addr *a)
{
	put_str(w, a->family == AF_INET6 ? "IN IP6 " : "IN IP4 ");
	put_str(w, a->ip);
}

static void
put_conn(struct writer *w, const struct sdp_addr *a)
{
	put_str(w, "c=");
	put_addr(w, a);
	put_crlf(w);
}

/* Copy l, or drop it when the relay owns it. */
static void
copy_unowned(struct writer *w, const struct sdp_out *out,
    const struct sdp_line *l)
{
	if (l->kind == SDP_L_OWNED || (l->kind == SDP_L_ICE && out->strip_ice))
		return;
	put_line(w, l);
}

/* Returns the session c= line when it was rewritten, else NULL. */
static const struct sdp_line *
write_session(struct writer *w, const struct sdp *in,
    const struct sdp_out *out, bool conn)
{
	const struct sdp_line *rewritten = NULL;
	const struct sdp_line *l;
	size_t i, end;

	end = in->nmedia > 0 ? in->media[0].line_first : in->nlines;
	for (i = 0; i < end; i++) {
		l = &in->lines[i];
		if (l->kind == SDP_L_ORIGIN && out->replace_origin &&
		    l->aux != 0 && out->addr != NULL) {
			put(w, l->p, l->aux);
			put_addr(w, out->addr);
			put_crlf(w);
		} else if (l->kind == SDP_L_CONN && conn && !l->zero &&
		    out->addr != NULL) {
			put_conn(w, out->addr);
			rewritten = l;
		} else
			copy_unowned(w, out, l);
	}
	return rewritten;
}

/*
 * A keep section that takes its address from the session c= would follow
 * that line to the relay when it is rewritten: it gets the original line.
 */
static void
write_keep(struct writer *w, const struct sdp *in, const struct sdp_media *m,
    const struct sdp_line *sess_conn)
{
	size_t i;

	for (i = m->line_first; i < m->line_end; i++) {
		if (sess_conn != NULL && i > m->line_first &&
		    in->lines[i].kind != SDP_L_INFO) {
			put_line(w, sess_conn);
			sess_conn = NULL;
		}
		put_line(w, &in->lines[i]);
	}
	if (sess_conn != NULL)
		put_line(w, sess_conn);
}

static void
write_media(struct writer *w, const struct sdp *in, const struct sdp_out *out,
    unsigned mi, const struct sdp_line *sess_conn)
{
	const struct sdp_media *m = &in->media[mi];
	const struct sdp_media_out *mo = &out->media[mi];
	const struct sdp_addr *addr = mo->addr != NULL ? mo->addr : out->addr;
	const struct sdp_line *ml = &in->lines[m->line_first], *l;
	const char *dir;
	/* No c= anywhere: one goes in after the m= and i= lines. */
	bool need_conn = m->conn.family == 0 && in->conn.family == 0 &&
	    addr != NULL;
	size_t i;

	if (mo->keep) {
		write_keep(w, in, m, m->conn.family == 0 ? sess_conn : NULL);
		return;
	}

	put_str(w, "m=");
	put(w, m->type.p, m->type.len);
	put_str(w, " ");
	put_num(w, mo->port);
	put(w, ml->p + ml->aux, ml->len - ml->aux);
	put_crlf(w);
	if (mo->port == 0)
		return;

	for (i = m->line_first + 1; i < m->line_end; i++) {
		l = &in->lines[i];
		if (need_conn && l->kind != SDP_L_INFO) {
			put_conn(w, addr);
			need_conn = false;
		}
		if (l->kind == SDP_L_CONN && !l->zero && addr != NULL)
			put_conn(w, addr);
		else
			copy_unowned(w, out, l);
	}
	if (need_conn)
		put_conn(w, addr);

	if ((dir = sdp_dir_name(mo->dir)) == NULL)
		dir = "sendrecv";
	put_str(w, "a=");
	put_str(w, dir);
	put_crlf(w);
	put_str(w, "a=rtcp:");
	put_num(w, mo->rtcp_port);
	put_crlf(w);
	if (mo->rtcp_mux)
		put_str(w, "a=rtcp-mux\r\n");
	if (mo->extra != NULL)
		put_str(w, mo->extra);
}

int
sdp_rewrite(const struct sdp *in, const struct sdp_out *out, char *buf,
    size_t len, size_t *outlen, char *err, size_t errlen)
{
	struct writer w = { buf, len, 0, false };
	const struct sdp_media_out *mo;
	const struct sdp_line *sess_conn;
	bool conn = out->replace_session_conn;
	unsigned i;

	*outlen = 0;
	if (errlen > 0)
		err[0] = '\0';
	if (in->lines == NULL || out->nmedia != in->nmedia) {
		snprintf(err, errlen,
		    "SDP rewrite: %u media given for an SDP with %u",
		    out->nmedia, in->nmedia);
		return -1;
	}
	for (i = 0; i < in->nmedia; i++) {
		mo = &out->media[i];
		if (!mo->keep && mo->port != 0 &&
		    in->media[i].conn.family == 0)
			conn = true;
	}

	sess_conn = write_session(&w, in, out, conn);
	for (i = 0; i < in->nmedia; i++)
		write_media(&w, in, out, i, sess_conn);
	if (w.full) {
		snprintf(err, errlen, "SDP rewrite: more than %zu bytes", len);
		return -1;
	}
	*outlen = w.off;
	return 0;
}
