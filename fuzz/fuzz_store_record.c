/*
 * fuzz_store_record.c - store_decode_call (and lease_parse) on any record a hostile Redis
 * could hand back: the input is fields "name\n value\n name\n value...".
 *
 * Beyond memory safety: a record that is accepted must name only this
 * relay's ports and interfaces, carry only labels and a recording tag
 * without control characters and mediaproc settings in range, and, encoded again with the commands the
 * store sends, must decode again to a record that encodes to the same
 * bytes (nothing is lost or invented on the way).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "store/cmds.h"
#include "store/lease.h"
#include "store/record.h"

#define OFF	((int64_t)1764000000000)
#define MAXF	64

static struct config cfg;
static struct call_saved a, b;
static struct store_batch ba, bb;

static void
setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 30000;
	cfg.port_max = 30099;
	addr_parse(&cfg.ifaces[0], "127.0.0.1", 0, AF_INET);
	cfg.nifaces = 1;
	addr_parse(&cfg.iface6, "::1", 0, AF_INET6);
	cfg.have_iface6 = true;
}

/* The HSET of a batch (MULTI, UNLINK, HSET, ...) as fields. */
static unsigned
fields_of(const struct store_batch *bt, struct store_field *f)
{
	const struct store_cmd *h = &bt->cmd[2];
	unsigned i, n = 0;

	for (i = 2; i + 1 < h->argc; i += 2, n++) {
		f[n].name = h->argv[i];
		f[n].name_len = h->argvlen[i];
		f[n].val = h->argv[i + 1];
		f[n].val_len = h->argvlen[i + 1];
	}
	return n;
}

/* Labels and the recording tag reach replies and logs as they are. */
static bool
printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct store_keys k = { .node = "n1", .group = "n1", .ttl_ms = 1000, .wall_off = OFF };
	struct store_field f[MAXF], g[MAXF];
	const char *p = (const char *)data, *end = p + size, *nl;
	char err[192];
	unsigned n = 0, m, i, j;

	if (!ready) {
		setup();
		ready = true;
	}
	/* The lease value is parsed from Redis too: round trip or refusal. */
	{
		struct lease l;
		char val[LEASE_VALUE_MAX + 1];

		if (lease_parse(p, size, &l) == 0) {
			FUZZ_CHECK(lease_format(&l, val, sizeof(val)) == (int)size);
			FUZZ_CHECK(memcmp(val, p, size) == 0);
		}
	}
	/* Split into name/value pairs at newlines. */
	while (p < end && n < MAXF) {
		nl = memchr(p, '\n', (size_t)(end - p));
		f[n].name = p;
		f[n].name_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		nl = memchr(p, '\n', (size_t)(end - p));
		f[n].val = p;
		f[n].val_len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		n++;
	}
	if (store_decode_call(f, n, "c1", 2, &cfg, OFF, &a, err, sizeof(err)) != 0)
		return 0;
	FUZZ_CHECK(a.nmedia > 0 && a.nmedia <= SAVED_MEDIA_MAX);
	FUZZ_CHECK(a.recording || a.rec_tag[0] == '\0');
	FUZZ_CHECK(printable(a.rec_tag));
	for (i = 0; i < a.nmedia; i++) {
		for (j = 0; j < 2; j++) {
			FUZZ_CHECK(addr_port(&a.media[i].leg[j].local) >= cfg.port_min &&
			    addr_port(&a.media[i].leg[j].local) < cfg.port_max);
			/* What a restore hands mediaproc_new() and the ng replies. */
			FUZZ_CHECK(a.media[i].leg[j].proc.jitterbuf >= -1 &&
			    a.media[i].leg[j].proc.jitterbuf <= JBUF_ADAPTIVE);
			FUZZ_CHECK(a.media[i].leg[j].proc.zptime_ms <= RESIZE_MAX_MS);
			FUZZ_CHECK(printable(a.media[i].label[j]));
		}
	}
	store_batch_reset(&ba);
	FUZZ_CHECK(store_cmds_call(&ba, &k, &a) == 0);
	m = fields_of(&ba, g);
	FUZZ_CHECK(store_decode_call(g, m, "c1", 2, &cfg, OFF, &b, err,
	    sizeof(err)) == 0);
	store_batch_reset(&bb);
	FUZZ_CHECK(store_cmds_call(&bb, &k, &b) == 0);
	FUZZ_CHECK(ba.used == bb.used && memcmp(ba.arena, bb.arena, ba.used) == 0);
	return 0;
}
