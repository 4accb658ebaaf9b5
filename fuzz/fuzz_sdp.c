/*
 * fuzz_sdp.c - the SDP parser and rewriter on any bytes.
 *
 * One input is one SDP body. When it parses, the facts must be sane and
 * point into the input; then it is rewritten with a relay answer drawn
 * from its first bytes (ports, mux, keep, reject, direction per media)
 * into a 128 KiB buffer, and the output must parse again with the same
 * number of media and the ports we wrote.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp/sdp.h"
#include "sdp/sdp_rewrite.h"
#include "fuzz.h"

#define OUTMAX	(128 * 1024)

static const struct sdp_addr relay4 = { AF_INET, "203.0.113.1", false };
static const struct sdp_addr relay6 = { AF_INET6, "2001:db8::1", false };

static const uint8_t *in_lo, *in_hi;

static void
check_str(struct sdp_str s)
{
	if (s.len == 0)
		return;
	FUZZ_CHECK((const uint8_t *)s.p >= in_lo &&
	    (const uint8_t *)s.p < in_hi);
	FUZZ_CHECK(s.len <= (size_t)(in_hi - (const uint8_t *)s.p));
}

static void
check_addr(const struct sdp_addr *a)
{
	FUZZ_CHECK(a->family == 0 || a->family == AF_INET ||
	    a->family == AF_INET6);
	FUZZ_CHECK(memchr(a->ip, '\0', sizeof(a->ip)) != NULL);
	if (a->family == 0)
		FUZZ_CHECK(a->ip[0] == '\0' && !a->zero);
}

static void
check_facts(const struct sdp *s)
{
	const struct sdp_media *m;
	size_t prev_end;
	unsigned i;

	FUZZ_CHECK(s->nmedia <= SDP_MAX_MEDIA);
	FUZZ_CHECK(s->nlines > 0);
	check_addr(&s->origin);
	check_addr(&s->conn);
	prev_end = s->nmedia > 0 ? s->media[0].line_first : s->nlines;
	for (i = 0; i < s->nmedia; i++) {
		m = &s->media[i];
		/* Sections tile the lines after the session part. */
		FUZZ_CHECK(m->line_first == prev_end);
		FUZZ_CHECK(m->line_end > m->line_first);
		prev_end = m->line_end;
		FUZZ_CHECK(s->lines[m->line_first].kind == SDP_L_MEDIA);
		FUZZ_CHECK(m->nports >= 1);
		FUZZ_CHECK(m->rtcp_port >= -1 && m->rtcp_port <= 65535);
		FUZZ_CHECK(m->dir <= SDP_INACTIVE);
		FUZZ_CHECK(sdp_media_dir(s, i) != SDP_DIR_UNSET);
		check_addr(&m->conn);
		check_addr(&m->rtcp_addr);
		check_str(m->type);
		check_str(m->proto);
		check_str(m->fmts);
		check_str(m->ice_ufrag);
		check_str(m->ice_pwd);
		check_str(m->fingerprint);
		check_str(m->setup);
		FUZZ_CHECK(m->type.len > 0 && m->proto.len > 0 &&
		    m->fmts.len > 0);
		if (sdp_media_addr(s, i) == NULL)
			FUZZ_CHECK(m->conn.family == 0 && s->conn.family == 0);
	}
	FUZZ_CHECK(prev_end == s->nlines);
}

static uint8_t
next_byte(const uint8_t *data, size_t size, size_t *k)
{
	uint8_t b = size > 0 ? data[*k % size] : 0;

	(*k)++;
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out_buf[OUTMAX];
	struct sdp s, s2;
	struct sdp_out out;
	struct sdp_media_out *mo;
	char err[160];
	size_t outlen, k = 0;
	unsigned i;
	uint8_t b;
	int rc;

	in_lo = data;
	in_hi = data + size;
	rc = sdp_parse(&s, (const char *)data, size, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(strncmp(err, "Failed to parse SDP: ", 21) == 0);
		FUZZ_CHECK(s.lines == NULL);
		return 0;
	}
	check_facts(&s);

	memset(&out, 0, sizeof(out));
	b = next_byte(data, size, &k);
	out.addr = b & 1 ? &relay6 : &relay4;
	out.replace_origin = b & 2;
	out.replace_session_conn = b & 4;
	out.strip_ice = b & 8;
	out.nmedia = s.nmedia;
	for (i = 0; i < s.nmedia; i++) {
		mo = &out.media[i];
		b = next_byte(data, size, &k);
		mo->keep = (b & 7) == 0;
		mo->rtcp_mux = b & 8;
		mo->dir = (enum sdp_dir)((b >> 4) % 5);
		mo->addr = b & 0x80 ? &relay6 : NULL;
		if ((b & 7) != 1) {
			mo->port = (uint16_t)(1 + next_byte(data, size, &k) * 2);
			mo->rtcp_port = mo->rtcp_mux ? mo->port : mo->port + 1;
		}
		if (b & 0x40)
			mo->extra = "a=x-extra:1\r\n";
	}
	if (sdp_rewrite(&s, &out, out_buf, sizeof(out_buf), &outlen, err,
	    sizeof(err)) != 0) {
		/* Only an output too big for the buffer can fail. */
		FUZZ_CHECK(strncmp(err, "SDP rewrite: more than", 22) == 0);
		sdp_free(&s);
		return 0;
	}
	FUZZ_CHECK(outlen > 0 && outlen <= sizeof(out_buf));

	in_lo = (const uint8_t *)out_buf;
	in_hi = in_lo + outlen;
	if (sdp_parse(&s2, out_buf, outlen, err, sizeof(err)) != 0) {
		fprintf(stderr, "output does not parse: %s\n%.*s\n", err,
		    (int)outlen, out_buf);
		abort();
	}
	check_facts(&s2);
	FUZZ_CHECK(s2.nmedia == s.nmedia);
	for (i = 0; i < s.nmedia; i++) {
		if (out.media[i].keep)
			FUZZ_CHECK(s2.media[i].port == s.media[i].port);
		else
			FUZZ_CHECK(s2.media[i].port == out.media[i].port);
	}
	sdp_free(&s2);
	sdp_free(&s);
	return 0;
}
