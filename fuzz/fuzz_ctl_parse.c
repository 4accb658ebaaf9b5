/*
 * fuzz_ctl_parse.c - the rtpproxy control protocol parser on any bytes.
 *
 * One input is one control datagram. It goes the UDP listener's way
 * (ctl_split_cookie, then ctl_parse on what follows the cookie) and the
 * stream sockets' way (ctl_parse on all of it). Beyond memory safety the
 * target checks that every string the parser returns lies inside the
 * input, that a successful parse has the fields its command needs, and
 * that ctl_url_decode of each string stays inside buffers of the
 * daemon's size and of exactly the decoded size.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/rtpp/ctl_parse.h"
#include "fuzz.h"

#define DAEMON_BUF	256	/* what ctl_rtpp.c decodes a notify tag into */

/* The input, so that returned strings can be checked against it. */
static const char *in_lo, *in_hi;

static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
check_inside(const struct ctl_str *s)
{
	if (s->len == 0)
		return;
	FUZZ_CHECK(s->p != NULL);
	FUZZ_CHECK(s->p >= in_lo && s->p < in_hi);
	FUZZ_CHECK(s->len <= (size_t)(in_hi - s->p));
}

/* Decode into exactly `size` bytes of heap, so ASan sees any overrun. */
static int
decode_exact(const struct ctl_str *s, size_t size, char **out)
{
	char *dst;
	int n;

	if ((dst = malloc(size)) == NULL)
		abort();
	n = ctl_url_decode(s, dst, size);
	if (out != NULL && n >= 0)
		*out = dst;
	else
		free(dst);
	return n;
}

/*
 * Decode s three ways: into the daemon's buffer, into one big enough for
 * any result (a decoded string is never longer than its encoding), and
 * into one a byte too small for what that produced. Returns the decoded
 * length or -1.
 */
static int
check_decode(const struct ctl_str *s)
{
	char big[DAEMON_BUF], *full = NULL;
	size_t i;
	int n, m;

	check_inside(s);
	FUZZ_CHECK(ctl_url_decode(s, big, 0) == -1);
	n = ctl_url_decode(s, big, sizeof(big));
	FUZZ_CHECK(n >= -1 && n < (int)sizeof(big));
	m = decode_exact(s, s->len + 1, &full);
	if (m < 0) {
		/* Bad encoding fails whatever the room. */
		FUZZ_CHECK(n == -1);
		return -1;
	}
	FUZZ_CHECK((size_t)m <= s->len);
	FUZZ_CHECK(full[m] == '\0');
	for (i = 0; i < (size_t)m; i++)
		FUZZ_CHECK(full[i] != '\r' && full[i] != '\n');
	if (s->len == 0 || memchr(s->p, '\0', s->len) == NULL)
		FUZZ_CHECK(strlen(full) == (size_t)m);
	if (n >= 0)
		FUZZ_CHECK(n == m && memcmp(big, full, (size_t)m + 1) == 0);
	else
		FUZZ_CHECK((size_t)m + 1 > sizeof(big));
	free(full);
	/* m + 1 bytes are enough, m are not (the NUL must fit). */
	FUZZ_CHECK(decode_exact(s, (size_t)m + 1, NULL) == m);
	if (m > 0)
		FUZZ_CHECK(decode_exact(s, (size_t)m, NULL) == -1);
	return m;
}

static void
check_tag(const struct ctl_tag *t)
{
	check_decode(&t->tag);
	FUZZ_CHECK(t->media <= 65535);
	/* The split is at the first ';', so none is left in the tag. */
	if (t->tag.len > 0)
		FUZZ_CHECK(memchr(t->tag.p, ';', t->tag.len) == NULL);
	else
		FUZZ_CHECK(t->media == 0);
}

static void
check_mods(const struct ctl_mods *m)
{
	unsigned i;

	FUZZ_CHECK(m->npts <= sizeof(m->pt_list));
	FUZZ_CHECK(m->zptime <= 999);
	FUZZ_CHECK(m->handover >= -1 && m->handover <= 2);
	for (i = 0; i < 2; i++)
		FUZZ_CHECK(m->iface[i] == '\0' || m->iface[i] == 'I' ||
		    m->iface[i] == 'E');
	if (m->pts.any) {
		FUZZ_CHECK(m->npts == 0);
		return;
	}
	FUZZ_CHECK(m->npts > 0);
	for (i = 0; i < m->npts; i++) {
		FUZZ_CHECK(m->pt_list[i] < 128);
		FUZZ_CHECK(pt_set_has(&m->pts, m->pt_list[i]));
	}
}

static void
check_parse(const char *buf, size_t len)
{
	struct ctl_cmd c;
	unsigned i;
	int rc;

	rc = ctl_parse(buf, len, &c);
	if (len > CTL_MAX_CMD)
		FUZZ_CHECK(rc == E_TOO_BIG);
	if (rc != CTL_OK) {
		FUZZ_CHECK(rc >= 0);
		FUZZ_CHECK(ctl_err_code(rc) == rc);
		return;
	}
	FUZZ_CHECK(c.op != CTL_NONE);
	FUZZ_CHECK(len > 0 && memchr(buf, '\0', len) == NULL);
	check_decode(&c.modifiers);
	check_mods(&c.mods);
	check_decode(&c.callid);
	check_decode(&c.addr);
	check_tag(&c.from);
	check_tag(&c.to);
	check_decode(&c.notify_socket);
	check_decode(&c.vf_date);
	check_decode(&c.copy_target);
	check_decode(&c.play_prompt);
	check_decode(&c.play_codecs);
	FUZZ_CHECK(c.nqnames <= CTL_MAX_QNAMES);
	for (i = 0; i < c.nqnames; i++)
		check_decode(&c.qnames[i]);

	switch (c.op) {
	case CTL_U:
	case CTL_L:
		FUZZ_CHECK(c.callid.len > 0 && c.addr.len > 0);
		FUZZ_CHECK(c.from.tag.len > 0);
		if (c.op == CTL_L)
			FUZZ_CHECK(c.to.tag.len > 0);
		/* A socket comes with a tag, and the tag was validated. */
		FUZZ_CHECK((c.notify_socket.len > 0) ==
		    (c.notify_tag.len > 0));
		if (c.notify_tag.len > 0)
			FUZZ_CHECK(check_decode(&c.notify_tag) > 0);
		break;
	case CTL_D:
	case CTL_Q:
	case CTL_R:
	case CTL_N:
	case CTL_S:
	case CTL_C:
	case CTL_P:
		FUZZ_CHECK(c.callid.len > 0 && c.from.tag.len > 0);
		FUZZ_CHECK(c.notify_tag.len == 0);
		break;
	case CTL_VF:
		FUZZ_CHECK(c.vf_date.len > 0);
		break;
	default:
		FUZZ_CHECK(c.notify_tag.len == 0);
		break;
	}
	if (c.has_subcmd)
		FUZZ_CHECK(c.op == CTL_U || c.op == CTL_L);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *cmd = NULL;
	struct ctl_str cookie;
	size_t cmdlen = 0, i;

	in_lo = buf;
	in_hi = buf + size;

	/* UDP: cookie, then the command. */
	if (ctl_split_cookie(buf, size, &cookie, &cmd, &cmdlen) == 0) {
		check_inside(&cookie);
		FUZZ_CHECK(cookie.len > 0);
		for (i = 0; i < cookie.len; i++)
			FUZZ_CHECK(!is_sep(cookie.p[i]));
		/* The command may be empty (answered E1): then it ends the input. */
		FUZZ_CHECK(cmd > cookie.p && cmd <= in_hi);
		FUZZ_CHECK(cmdlen == (size_t)(in_hi - cmd));
		FUZZ_CHECK(cmdlen == 0 || !is_sep(cmd[0]));
		check_decode(&cookie);
		check_parse(cmd, cmdlen);
	}
	/* Stream sockets: no cookie. */
	check_parse(buf, size);
	return 0;
}
