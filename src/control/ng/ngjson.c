/*
 * ngjson.c - the ng document tree from and to JSON.
 *
 * Parsing uses json-c (Debian's libjson-c-dev): json_tokener_new_ex()
 * bounds the nesting before any tree is built, json_object_get_string_len()
 * gives strings as byte ranges that may hold NUL (SDP bodies must come
 * through whole), and the library is already on base Debian systems, so
 * the daemon gains no new runtime dependency. The json-c tree lives only
 * for the conversion; the bnode tree is what commands see.
 *
 * Writing is done here, straight into the caller's buffer, as bencode.c
 * does: no intermediate json-c objects for a reply.
 */
#include "control/ng/ngjson.h"
#include "lib/textbuf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <json-c/linkhash.h>

struct conv {
	struct bdoc	*d;
	unsigned	 nodes;
	char		*err;
	size_t		 errlen;
};

static int64_t
double_to_int(double v)
{
	/* Casting an out-of-range double is undefined: clamp first. */
	if (isnan(v))
		return 0;
	if (v >= 9223372036854775807.0)
		return INT64_MAX;
	if (v <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)v;
}

static struct bnode *
convert(struct conv *c, struct json_object *o)
{
	struct bnode *n, *m;
	struct lh_entry *e;
	const char *key;
	size_t i, cnt;

	if (++c->nodes > BENCODE_MAX_NODES) {
		snprintf(c->err, c->errlen, "JSON: more than %d values",
		    BENCODE_MAX_NODES);
		return NULL;
	}
	switch (json_object_get_type(o)) {
	case json_type_null:
		return bn_str(c->d, "", 0);
	case json_type_boolean:
		return bn_int(c->d, json_object_get_boolean(o) ? 1 : 0);
	case json_type_double:
		return bn_int(c->d, double_to_int(json_object_get_double(o)));
	case json_type_int:
		return bn_int(c->d, json_object_get_int64(o));
	case json_type_string:
		return bn_str(c->d, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
	case json_type_array:
		if ((n = bn_list(c->d)) == NULL)
			return NULL;
		cnt = json_object_array_length(o);
		for (i = 0; i < cnt; i++) {
			m = convert(c, json_object_array_get_idx(o, i));
			if (bn_list_add(n, m) != 0)
				return NULL;
		}
		return n;
	case json_type_object:
		if ((n = bn_dict(c->d)) == NULL)
			return NULL;
		for (e = lh_table_head(json_object_get_object(o)); e != NULL;
		    e = lh_entry_next(e)) {
			key = lh_entry_k(e);
			m = convert(c, (struct json_object *)lh_entry_v(e));
			if (bn_dict_add(c->d, n, key, m) != 0)
				return NULL;
		}
		return n;
	}
	snprintf(c->err, c->errlen, "JSON: unknown value type");
	return NULL;
}

int
ngjson_decode(struct bdoc *d, const char *buf, size_t len, struct bnode **root,
    char *err, size_t errlen)
{
	struct conv c = { .d = d, .err = err, .errlen = errlen };
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end;

	if (errlen > 0)
		err[0] = '\0';
	*root = NULL;
	if (len > INT32_MAX) {
		snprintf(err, errlen, "JSON: document too large");
		return -1;
	}
	/*
	 * json-c refuses a container at depth max - 1 (the top level being
	 * depth 0), so this lets through exactly BENCODE_MAX_DEPTH levels.
	 */
	if ((tok = json_tokener_new_ex(BENCODE_MAX_DEPTH + 1)) == NULL) {
		snprintf(err, errlen, "JSON: out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/*
		 * Without a NUL json-c cannot tell "42" from the start of
		 * "420": one NUL byte ends the input for it.
		 */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		snprintf(err, errlen, "JSON: Failed to parse JSON document "
		    "(%s at offset %zu)", json_tokener_error_desc(jerr),
		    end < len ? end : len);
		json_object_put(o);
		return -1;
	}
	for (; end < len; end++) {
		if (strchr(" \t\r\n", buf[end]) == NULL || buf[end] == '\0') {
			snprintf(err, errlen, "JSON: Failed to parse JSON document "
			    "(trailing data at offset %zu)", end);
			json_object_put(o);
			return -1;
		}
	}
	/* A top-level null parses to o == NULL. */
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "JSON: top level is not an object");
		json_object_put(o);
		return -1;
	}
	*root = convert(&c, o);
	json_object_put(o);
	if (*root == NULL) {
		if (errlen > 0 && err[0] == '\0')
			snprintf(err, errlen, "JSON: out of memory");
		return -1;
	}
	return 0;
}

/* Encoder */


/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 */
static size_t
utf8_len(const unsigned char *p, size_t left)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (left < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int
put_jstr(char *buf, size_t len, size_t *off, const char *str, size_t slen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	char esc[6] = { '\\', 'u', '0', '0' };
	size_t i, run, n;

	if (textbuf_put(buf, len, off, "\"", 1) != 0)
		return -1;
	for (i = 0; i < slen; i += n) {
		/* Copy the plain ASCII run in one go. */
		for (run = i; run < slen && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			if (textbuf_put(buf, len, off, str + i, run - i) != 0)
				return -1;
			n = run - i;
			continue;
		}
		n = 1;
		if (s[i] == '"' || s[i] == '\\') {
			esc[1] = (char)s[i];
			if (textbuf_put(buf, len, off, esc, 2) != 0)
				return -1;
			esc[1] = 'u';
		} else if (s[i] == '\n') {
			if (textbuf_put(buf, len, off, "\\n", 2) != 0)
				return -1;
		} else if (s[i] == '\r') {
			if (textbuf_put(buf, len, off, "\\r", 2) != 0)
				return -1;
		} else if (s[i] == '\t') {
			if (textbuf_put(buf, len, off, "\\t", 2) != 0)
				return -1;
		} else if (s[i] >= 0x80 && (n = utf8_len(s + i, slen - i)) > 0) {
			if (textbuf_put(buf, len, off, str + i, n) != 0)
				return -1;
		} else {
			/*
			 * A control byte, or a byte >= 0x80 that is not part
			 * of valid UTF-8 (a Latin-1 SDP, say). JSON text must
			 * be UTF-8, so the byte is written as the code point
			 * of the same number: the output stays valid JSON, at
			 * the price that such a byte reads back as U+00XX.
			 */
			n = 1;
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			if (textbuf_put(buf, len, off, esc, 6) != 0)
				return -1;
		}
	}
	return textbuf_put(buf, len, off, "\"", 1);
}

int
ngjson_encode(const struct bnode *n, char *buf, size_t len, size_t *off)
{
	const struct bnode *m;
	char tmp[24];
	int k;

	switch (n->type) {
	case BN_INT:
		k = snprintf(tmp, sizeof(tmp), "%lld", (long long)n->i);
		return textbuf_put(buf, len, off, tmp, (size_t)k);
	case BN_STR:
		return put_jstr(buf, len, off, n->s, n->len);
	case BN_LIST:
	case BN_DICT:
		if (textbuf_put(buf, len, off, n->type == BN_LIST ? "[" : "{", 1) != 0)
			return -1;
		for (m = n->first; m != NULL; m = m->next) {
			if (m != n->first && textbuf_put(buf, len, off, ",", 1) != 0)
				return -1;
			if (n->type == BN_DICT &&
			    (put_jstr(buf, len, off, m->key, m->klen) != 0 ||
			    textbuf_put(buf, len, off, ":", 1) != 0))
				return -1;
			if (ngjson_encode(m, buf, len, off) != 0)
				return -1;
		}
		return textbuf_put(buf, len, off, n->type == BN_LIST ? "]" : "}", 1);
	}
	return -1;
}
