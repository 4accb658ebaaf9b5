/*
 * bencode.c - the ng document tree: arena, bencode decoder and encoder,
 * builders and lookups.
 *
 * The decoder is strict where Kamailio and OpenSIPS never need leniency
 * (one spelling per integer and per length, so a decoded document
 * re-encodes to exactly the bytes it came from), and bounded: depth and
 * node count are capped, so a hostile 64 KiB datagram costs little.
 */
#include "control/ng/bencode.h"
#include "lib/textbuf.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE	4096	/* a ping reply fits one; an offer a few */

struct bdoc_chunk {
	struct bdoc_chunk	*next;
	size_t			 used, cap;
	alignas(max_align_t) char data[];
};

void
bdoc_init(struct bdoc *d)
{
	d->chunks = NULL;
}

void
bdoc_free(struct bdoc *d)
{
	struct bdoc_chunk *c, *next;

	for (c = d->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	d->chunks = NULL;
}

static void *
bdoc_alloc(struct bdoc *d, size_t size)
{
	struct bdoc_chunk *c = d->chunks;
	size_t cap;
	void *p;

	size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (c == NULL || c->cap - c->used < size) {
		cap = size > CHUNK_SIZE / 2 ? size : CHUNK_SIZE;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/*
		 * A big string gets a chunk of its own behind the head,
		 * so the head's free space stays usable for small nodes.
		 */
		if (cap > CHUNK_SIZE && d->chunks != NULL) {
			c->next = d->chunks->next;
			d->chunks->next = c;
		} else {
			c->next = d->chunks;
			d->chunks = c;
		}
	}
	p = c->data + c->used;
	c->used += size;
	return p;
}

static struct bnode *
new_node(struct bdoc *d, enum bn_type type)
{
	struct bnode *n;

	if ((n = bdoc_alloc(d, sizeof(*n))) == NULL)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->type = type;
	return n;
}

static char *
copy_bytes(struct bdoc *d, const char *s, size_t len)
{
	char *p;

	if (len >= BENCODE_MAX_STRLEN || (p = bdoc_alloc(d, len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static void
append(struct bnode *parent, struct bnode *n)
{
	n->next = NULL;
	if (parent->last != NULL)
		parent->last->next = n;
	else
		parent->first = n;
	parent->last = n;
	parent->count++;
}

/* Decoder */

struct dec {
	struct bdoc	*d;
	const char	*buf;
	size_t		 len, pos;
	unsigned	 nodes;
	char		*err;
	size_t		 errlen;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct dec *x, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (x->errlen == 0)
		return rc;
	n = snprintf(x->err, x->errlen, "bencode: ");
	if (n < 0 || (size_t)n >= x->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static int
more(struct dec *x, const char *what)
{
	return fail(x, -2, "%s at offset %zu runs past the end", what, x->pos);
}

static struct bnode *
dec_node(struct dec *x, enum bn_type type)
{
	if (++x->nodes > BENCODE_MAX_NODES) {
		fail(x, -1, "more than %d values", BENCODE_MAX_NODES);
		return NULL;
	}
	return new_node(x->d, type);
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "i" [-] digits "e", at x->pos (on the 'i'). */
static int
dec_int(struct dec *x, int64_t *v)
{
	size_t start = x->pos;
	uint64_t mag = 0, lim = INT64_MAX;
	bool neg = false;
	unsigned nd = 0;

	x->pos++;
	if (x->pos < x->len && x->buf[x->pos] == '-') {
		neg = true;
		lim = (uint64_t)INT64_MAX + 1;
		x->pos++;
	}
	for (;; x->pos++, nd++) {
		if (x->pos >= x->len)
			return more(x, "integer");
		if (!is_digit(x->buf[x->pos]))
			break;
		if (nd == 1 && mag == 0)
			return fail(x, -1, "leading zero in integer at offset %zu",
			    start);
		if (nd == 0 && neg && x->buf[x->pos] == '0')
			return fail(x, -1, "negative zero at offset %zu", start);
		if (mag > (lim - (unsigned)(x->buf[x->pos] - '0')) / 10)
			return fail(x, -1, "integer overflows 64 bits at offset %zu",
			    start);
		mag = mag * 10 + (unsigned)(x->buf[x->pos] - '0');
	}
	if (x->buf[x->pos] != 'e')
		return fail(x, -1, "bad byte 0x%02x in integer at offset %zu",
		    (unsigned char)x->buf[x->pos], x->pos);
	if (nd == 0)
		return fail(x, -1, "integer without digits at offset %zu", start);
	x->pos++;
	/* -2^63 has no positive twin: negate in unsigned arithmetic. */
	*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* length ":" bytes, at x->pos (on the first digit). */
static int
dec_str(struct dec *x, const char **s, size_t *len)
{
	size_t start = x->pos, n = 0;

	for (; x->pos < x->len && is_digit(x->buf[x->pos]); x->pos++) {
		if (x->pos > start && n == 0)
			return fail(x, -1, "leading zero in string length at "
			    "offset %zu", start);
		n = n * 10 + (size_t)(x->buf[x->pos] - '0');
		if (n > BENCODE_MAX_STRLEN)
			return fail(x, -1, "string length too large at offset %zu",
			    start);
	}
	if (x->pos >= x->len)
		return more(x, "string length");
	if (x->buf[x->pos] != ':')
		return fail(x, -1, "bad byte 0x%02x in string length at offset %zu",
		    (unsigned char)x->buf[x->pos], x->pos);
	x->pos++;
	if (n > x->len - x->pos)
		return fail(x, -2, "string length runs past the end (%zu bytes "
		    "at offset %zu, %zu left)", n, start, x->len - x->pos);
	*s = x->buf + x->pos;
	*len = n;
	x->pos += n;
	return 0;
}

static int dec_value(struct dec *, unsigned, struct bnode **);

/* "l" value* "e" or "d" (string value)* "e", at x->pos (on the l or d). */
static int
dec_container(struct dec *x, unsigned depth, struct bnode *c)
{
	const char *what = c->type == BN_DICT ? "dictionary" : "list";
	size_t start = x->pos;
	struct bnode *v;
	const char *key = NULL;
	size_t klen = 0;
	int rc;

	if (depth > BENCODE_MAX_DEPTH)
		return fail(x, -1, "nesting deeper than %d at offset %zu",
		    BENCODE_MAX_DEPTH, start);
	x->pos++;
	for (;;) {
		if (x->pos >= x->len)
			return fail(x, -2, "unterminated %s at offset %zu", what,
			    start);
		if (x->buf[x->pos] == 'e') {
			x->pos++;
			return 0;
		}
		if (c->type == BN_DICT) {
			if (x->buf[x->pos] == '-')
				return fail(x, -1, "negative string length at "
				    "offset %zu", x->pos);
			if (!is_digit(x->buf[x->pos]))
				return fail(x, -1, "dictionary key is not a string "
				    "at offset %zu", x->pos);
			if ((rc = dec_str(x, &key, &klen)) != 0)
				return rc;
			if (x->pos >= x->len)
				return fail(x, -2, "unterminated dictionary at "
				    "offset %zu", start);
			if (x->buf[x->pos] == 'e')
				return fail(x, -1, "dictionary key without a value "
				    "at offset %zu", x->pos);
		}
		if ((rc = dec_value(x, depth, &v)) != 0)
			return rc;
		v->key = key;
		v->klen = klen;
		append(c, v);
	}
}

static int
dec_value(struct dec *x, unsigned depth, struct bnode **out)
{
	char c = x->buf[x->pos];
	struct bnode *n;
	int rc;

	if (c == 'i') {
		if ((n = dec_node(x, BN_INT)) == NULL)
			return -1;
		rc = dec_int(x, &n->i);
	} else if (is_digit(c)) {
		if ((n = dec_node(x, BN_STR)) == NULL)
			return -1;
		rc = dec_str(x, &n->s, &n->len);
	} else if (c == 'l' || c == 'd') {
		if ((n = dec_node(x, c == 'l' ? BN_LIST : BN_DICT)) == NULL)
			return -1;
		rc = dec_container(x, depth + 1, n);
	} else if (c == '-') {
		return fail(x, -1, "negative string length at offset %zu", x->pos);
	} else if (c == 'e') {
		return fail(x, -1, "'e' with no open container at offset %zu",
		    x->pos);
	} else {
		return fail(x, -1, "unexpected byte 0x%02x at offset %zu",
		    (unsigned char)c, x->pos);
	}
	*out = n;
	return rc;
}

int
bencode_decode(struct bdoc *d, const char *buf, size_t len, struct bnode **root,
    size_t *used, char *err, size_t errlen)
{
	struct dec x = { .d = d, .buf = buf, .len = len, .err = err,
	    .errlen = errlen };
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	*root = NULL;
	*used = 0;
	if (len == 0)
		return fail(&x, -2, "no data");
	if (buf[0] == 'e')
		return fail(&x, -1, "'e' with no open container at offset 0");
	if (buf[0] != 'd')
		return fail(&x, -1, "top level is not a dictionary");
	if ((rc = dec_value(&x, 0, root)) != 0) {
		/* dec_node's NULL without a reason: malloc failed. */
		if (rc == -1 && errlen > 0 && err[0] == '\0')
			fail(&x, -1, "out of memory");
		*root = NULL;
		return rc;
	}
	*used = x.pos;
	return 0;
}

/* Builders */

struct bnode *
bn_int(struct bdoc *d, int64_t v)
{
	struct bnode *n;

	if ((n = new_node(d, BN_INT)) != NULL)
		n->i = v;
	return n;
}

struct bnode *
bn_str(struct bdoc *d, const char *s, size_t len)
{
	struct bnode *n;

	if ((n = new_node(d, BN_STR)) == NULL)
		return NULL;
	if ((n->s = copy_bytes(d, s, len)) == NULL)
		return NULL;
	n->len = len;
	return n;
}

struct bnode *
bn_cstr(struct bdoc *d, const char *s)
{
	return bn_str(d, s, strlen(s));
}

struct bnode *
bn_list(struct bdoc *d)
{
	return new_node(d, BN_LIST);
}

struct bnode *
bn_dict(struct bdoc *d)
{
	return new_node(d, BN_DICT);
}

int
bn_list_add(struct bnode *list, struct bnode *item)
{
	if (list == NULL || item == NULL || list->type != BN_LIST)
		return -1;
	item->key = NULL;
	item->klen = 0;
	append(list, item);
	return 0;
}

int
bn_dict_add_k(struct bdoc *d, struct bnode *dict, const char *key, size_t klen,
    struct bnode *val)
{
	if (dict == NULL || val == NULL || dict->type != BN_DICT)
		return -1;
	if ((val->key = copy_bytes(d, key, klen)) == NULL)
		return -1;
	val->klen = klen;
	append(dict, val);
	return 0;
}

int
bn_dict_add(struct bdoc *d, struct bnode *dict, const char *key, struct bnode *val)
{
	return bn_dict_add_k(d, dict, key, strlen(key), val);
}

int
bn_dict_add_str(struct bdoc *d, struct bnode *dict, const char *key, const char *s,
    size_t len)
{
	return bn_dict_add(d, dict, key, bn_str(d, s, len));
}

int
bn_dict_add_cstr(struct bdoc *d, struct bnode *dict, const char *key, const char *s)
{
	return bn_dict_add(d, dict, key, bn_cstr(d, s));
}

int
bn_dict_add_int(struct bdoc *d, struct bnode *dict, const char *key, int64_t v)
{
	return bn_dict_add(d, dict, key, bn_int(d, v));
}

struct bnode *
bn_dict_add_list(struct bdoc *d, struct bnode *dict, const char *key)
{
	struct bnode *n = bn_list(d);

	return bn_dict_add(d, dict, key, n) == 0 ? n : NULL;
}

struct bnode *
bn_dict_add_dict(struct bdoc *d, struct bnode *dict, const char *key)
{
	struct bnode *n = bn_dict(d);

	return bn_dict_add(d, dict, key, n) == 0 ? n : NULL;
}

/* Lookups */

static bool
key_eq(const struct bnode *n, const char *key, size_t klen, bool spaces)
{
	size_t i;

	if (n->klen != klen)
		return false;
	if (!spaces)
		return memcmp(n->key, key, klen) == 0;
	for (i = 0; i < klen; i++) {
		if (n->key[i] == key[i])
			continue;
		if ((n->key[i] == '-' || n->key[i] == ' ') &&
		    (key[i] == '-' || key[i] == ' '))
			continue;
		return false;
	}
	return true;
}

static const struct bnode *
dict_find(const struct bnode *dict, const char *key, bool spaces)
{
	const struct bnode *n, *found = NULL;
	size_t klen = strlen(key);

	if (dict == NULL || dict->type != BN_DICT)
		return NULL;
	for (n = dict->first; n != NULL; n = n->next)
		if (key_eq(n, key, klen, spaces))
			found = n;
	return found;
}

const struct bnode *
bn_dict_get(const struct bnode *dict, const char *key)
{
	return dict_find(dict, key, false);
}

const struct bnode *
bn_dict_get_key(const struct bnode *dict, const char *key)
{
	return dict_find(dict, key, true);
}

bool
bn_is_str(const struct bnode *n, const char *s)
{
	size_t len = strlen(s);

	return n != NULL && n->type == BN_STR && n->len == len &&
	    (len == 0 || memcmp(n->s, s, len) == 0);
}

int
bn_get_int(const struct bnode *n, int64_t *v)
{
	uint64_t mag = 0, lim = INT64_MAX;
	bool neg = false;
	size_t i = 0;
	unsigned dig;

	if (n == NULL)
		return -1;
	if (n->type == BN_INT) {
		*v = n->i;
		return 0;
	}
	if (n->type != BN_STR || n->len == 0)
		return -1;
	if (n->s[0] == '-') {
		neg = true;
		lim = (uint64_t)INT64_MAX + 1;
		i = 1;
	}
	if (i == n->len)
		return -1;
	for (; i < n->len; i++) {
		if (!is_digit(n->s[i]))
			return -1;
		dig = (unsigned)(n->s[i] - '0');
		if (mag > (lim - dig) / 10)
			return -1;
		mag = mag * 10 + dig;
	}
	*v = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* Encoder */


/* Decimal digits of v, written at the end of tmp[24]; returns the start. */
static char *
fmt_dec(char *end, uint64_t mag, bool neg)
{
	char *p = end;

	do {
		*--p = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag > 0);
	if (neg)
		*--p = '-';
	return p;
}

static int
put_len(char *buf, size_t len, size_t *off, const char *s, size_t n)
{
	char tmp[24], *p;

	p = fmt_dec(tmp + sizeof(tmp) - 1, n, false);
	*(tmp + sizeof(tmp) - 1) = ':';
	if (textbuf_put(buf, len, off, p, (size_t)(tmp + sizeof(tmp) - p)) != 0)
		return -1;
	return textbuf_put(buf, len, off, s, n);
}

int
bencode_encode(const struct bnode *n, char *buf, size_t len, size_t *off)
{
	const struct bnode *m;
	char tmp[24], *p;
	uint64_t mag;

	switch (n->type) {
	case BN_INT:
		mag = n->i < 0 ? 0 - (uint64_t)n->i : (uint64_t)n->i;
		p = fmt_dec(tmp + sizeof(tmp) - 1, mag, n->i < 0);
		*--p = 'i';
		tmp[sizeof(tmp) - 1] = 'e';
		return textbuf_put(buf, len, off, p, (size_t)(tmp + sizeof(tmp) - p));
	case BN_STR:
		return put_len(buf, len, off, n->s, n->len);
	case BN_LIST:
	case BN_DICT:
		if (textbuf_put(buf, len, off, n->type == BN_LIST ? "l" : "d", 1) != 0)
			return -1;
		for (m = n->first; m != NULL; m = m->next) {
			if (n->type == BN_DICT &&
			    put_len(buf, len, off, m->key, m->klen) != 0)
				return -1;
			if (bencode_encode(m, buf, len, off) != 0)
				return -1;
		}
		return textbuf_put(buf, len, off, "e", 1);
	}
	return -1;
}
