/*
 * record.c - a call's Redis hash as a whole (record.h says what each field
 * holds): the call's own fields, and which fields make a complete record.
 * The values of its media are record_media.c's. Decoding is strict: a
 * record is untrusted input, and a field we do not understand, a number
 * out of range or an address that is not ours rejects the whole record
 * rather than restore half a call.
 */
#include "store/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ascii.h"
#include "lib/textbuf.h"
#include "store/value.h"

#define ERR(...)	do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int
store_media_field(unsigned slot, int leg, char *buf, size_t len)
{
	int n;

	if (leg < 0)
		n = snprintf(buf, len, "m%u", slot);
	else
		n = snprintf(buf, len, "m%u.%c", slot, leg ? 'b' : 'a');
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
store_encode_notify(const struct call_saved *c, char *buf, size_t len)
{
	size_t off = 0;
	int rc;

	rc = textbuf_printf(buf, len, &off, "%d to=", STORE_RECORD_VERSION);
	rc |= value_put_id(buf, len, &off, c->notify_target);
	rc |= textbuf_printf(buf, len, &off, " tag=");
	rc |= value_put_id(buf, len, &off, c->notify_tag);
	return value_finish(buf, len, off, rc);
}

int
store_encode_recording(const struct call_saved *c, char *buf, size_t len)
{
	size_t off = 0;
	int rc;

	rc = textbuf_printf(buf, len, &off, "%d tag=", STORE_RECORD_VERSION);
	rc |= value_put_id(buf, len, &off, c->rec_tag);
	return value_finish(buf, len, off, rc);
}

static int
decode_notify(const char *v, size_t len, struct call_saved *c, char *err,
    size_t errlen)
{
	struct value_tokens t;

	if (value_tokenize(v, len, &t, err, errlen) != 0 ||
	    value_get_id(&t, "to", c->notify_target, sizeof(c->notify_target),
	    true, err, errlen) != 0 ||
	    value_get_id(&t, "tag", c->notify_tag, sizeof(c->notify_tag), true,
	    err, errlen) != 0)
		return -1;
	if (!value_printable(c->notify_target) || !value_printable(c->notify_tag))
		ERR("control character in nt");
	if (strncmp(c->notify_target, "unix:", 5) != 0 &&
	    strncmp(c->notify_target, "tcp:", 4) != 0 &&
	    c->notify_target[0] != '/')
		ERR("nt target is neither unix: nor tcp:");
	return value_all_used(&t, err, errlen);
}

static int
decode_recording(const char *v, size_t len, struct call_saved *c, char *err,
    size_t errlen)
{
	struct value_tokens t;

	if (value_tokenize(v, len, &t, err, errlen) != 0 ||
	    value_get_id(&t, "tag", c->rec_tag, sizeof(c->rec_tag), false, err,
	    errlen) != 0)
		return -1;
	if (!value_printable(c->rec_tag))
		ERR("control character in rec");
	c->recording = true;
	return value_all_used(&t, err, errlen);
}

static bool
field_is(const struct store_field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	    memcmp(f->name, name, f->name_len) == 0;
}

static bool
field_value_is(const struct store_field *f, const char *s, size_t len)
{
	return f->val_len == len && memcmp(f->val, s, len) == 0;
}

/* "m<slot>" (leg -1), "m<slot>.a" (0) or "m<slot>.b" (1). */
static int
parse_media_name(const struct store_field *f, unsigned *slot, int *leg)
{
	char name[STORE_FIELD_NAME_MAX + 1], *ep;
	unsigned long v;

	if (f->name_len < 2 || f->name_len > STORE_FIELD_NAME_MAX ||
	    f->name[0] != 'm' || f->name[1] < '0' || f->name[1] > '9')
		return -1;
	memcpy(name, f->name, f->name_len);
	name[f->name_len] = '\0';
	v = strtoul(name + 1, &ep, 10);
	if (v > 65535 || (name[1] == '0' && ep != name + 2))
		return -1;
	*slot = (unsigned)v;
	if (*ep == '\0')
		*leg = -1;
	else if (strcmp(ep, ".a") == 0)
		*leg = 0;
	else if (strcmp(ep, ".b") == 0)
		*leg = 1;
	else
		return -1;
	return 0;
}

static struct media_saved *
media_slot(struct call_saved *out, unsigned slot, uint8_t *seen)
{
	unsigned i;

	for (i = 0; i < out->nmedia; i++)
		if (out->media[i].slot == slot)
			return &out->media[i];
	if (out->nmedia == SAVED_MEDIA_MAX)
		return NULL;
	seen[out->nmedia] = 0;
	memset(&out->media[out->nmedia], 0, sizeof(out->media[0]));
	out->media[out->nmedia].slot = slot;
	return &out->media[out->nmedia++];
}

/* No two legs of the record on one port. */
static int
check_ports(const struct call_saved *out, char *err, size_t errlen)
{
	const struct addr *a, *b;
	unsigned i, j;

	for (i = 0; i < out->nmedia * 2; i++) {
		a = &out->media[i / 2].leg[i % 2].local;
		for (j = i + 1; j < out->nmedia * 2; j++) {
			b = &out->media[j / 2].leg[j % 2].local;
			if (addr_port(a) == addr_port(b))
				ERR("port %u used twice", addr_port(a));
		}
	}
	return 0;
}

int
store_decode_call(const struct store_field *f, unsigned n, const char *cid,
    size_t cid_len, const struct config *cfg, int64_t wall_off,
    struct call_saved *out, char *err, size_t errlen)
{
	struct store_field_seen {
		bool v, cid, own, created, nt, rec;
	} hs = { 0 };
	uint8_t seen[SAVED_MEDIA_MAX];	/* bit 0: m, 1: .a, 2: .b */
	struct media_saved *m;
	unsigned i, slot, bit;
	uint64_t u;
	int leg;
	char num[24];

	memset(out, 0, sizeof(*out));
	if (cid_len == 0 || cid_len > SAVED_ID_MAX ||
	    memchr(cid, '\0', cid_len) != NULL)
		ERR("bad call-id in the key");
	memcpy(out->callid, cid, cid_len);
	out->callid[cid_len] = '\0';
	for (i = 0; i < n; i++) {
		if (f[i].val_len > STORE_VALUE_MAX)
			ERR("field of %zu bytes", f[i].val_len);
		if (field_is(&f[i], "v")) {
			if (hs.v || !field_value_is(&f[i], "1", 1))
				ERR("unknown record version");
			hs.v = true;
		} else if (field_is(&f[i], "cid")) {
			if (hs.cid || !field_value_is(&f[i], cid, cid_len))
				ERR("cid does not match the key");
			hs.cid = true;
		} else if (field_is(&f[i], "own")) {
			/* Any node of the group: a standby restores the active's. */
			if (hs.own || !ascii_name_ok(f[i].val, f[i].val_len))
				ERR("bad own");
			hs.own = true;
		} else if (field_is(&f[i], "created")) {
			if (hs.created || f[i].val_len == 0 || f[i].val_len >= sizeof(num))
				ERR("bad created");
			memcpy(num, f[i].val, f[i].val_len);
			num[f[i].val_len] = '\0';
			if (strspn(num, "0123456789") != f[i].val_len)
				ERR("bad created");
			u = strtoull(num, NULL, 10);
			out->created_ms = value_to_mono(u, wall_off);
			hs.created = true;
		} else if (field_is(&f[i], "nt")) {
			if (hs.nt)
				ERR("nt twice");
			if (decode_notify(f[i].val, f[i].val_len, out,
			    err, errlen) != 0)
				return -1;
			hs.nt = true;
		} else if (field_is(&f[i], "rec")) {
			if (hs.rec)
				ERR("rec twice");
			if (decode_recording(f[i].val, f[i].val_len, out, err,
			    errlen) != 0)
				return -1;
			hs.rec = true;
		} else if (parse_media_name(&f[i], &slot, &leg) == 0) {
			if ((m = media_slot(out, slot, seen)) == NULL)
				ERR("more than %d media", SAVED_MEDIA_MAX);
			bit = 1u << (leg + 1);
			if (seen[m - out->media] & bit)
				ERR("field m%u twice", slot);
			seen[m - out->media] |= (uint8_t)bit;
			if (leg < 0) {
				if (store_decode_media(f[i].val, f[i].val_len,
				    wall_off, m, err, errlen) != 0)
					return -1;
				m->slot = slot;
			} else if (store_decode_leg(f[i].val, f[i].val_len, cfg,
			    wall_off, &m->leg[leg], err, errlen) != 0)
				return -1;
		} else
			ERR("unknown field %.*s", (int)(f[i].name_len > 16 ? 16 :
			    f[i].name_len), f[i].name);
	}
	if (!hs.v || !hs.cid || !hs.own || !hs.created)
		ERR("a required field is missing");
	if (out->nmedia == 0)
		ERR("no media");
	for (i = 0; i < out->nmedia; i++) {
		if (seen[i] != 7)
			ERR("media m%u incomplete", out->media[i].slot);
		if (addr_family(&out->media[i].leg[0].local) !=
		    addr_family(&out->media[i].leg[0].latch.peer) &&
		    addr_is_set(&out->media[i].leg[0].latch.peer))
			ERR("m%u: peer of another family", out->media[i].slot);
	}
	return check_ports(out, err, errlen);
}
