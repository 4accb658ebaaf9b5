/*
 * value.c - the syntax of one value of a call's Redis hash (value.h): its
 * tokens, ids, numbers and names. What each field means is record.c's and
 * record_media.c's.
 */
#include "store/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ascii.h"
#include "lib/textbuf.h"

#define ERR(...)	do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

/* Bytes an id may carry as they are; the rest is %XX. */
static bool
id_safe(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("-._~!*+,;:@/()'$&", ch) != NULL;
}

/* An id for a value: "-" when empty, "%2D" for an id that is "-". */
int
value_put_id(char *buf, size_t len, size_t *off, const char *s)
{
	const unsigned char *p;

	if (*s == '\0')
		return textbuf_put(buf, len, off, "-", 1);
	if (strcmp(s, "-") == 0)
		return textbuf_put(buf, len, off, "%2D", 3);
	for (p = (const unsigned char *)s; *p; p++) {
		if (id_safe(*p)) {
			if (textbuf_put(buf, len, off, p, 1) != 0)
				return -1;
		} else if (textbuf_printf(buf, len, off, "%%%02X", *p) != 0)
			return -1;
	}
	return 0;
}

int
value_finish(char *buf, size_t len, size_t off, int rc)
{
	if (rc != 0 || off >= len)
		return -1;
	buf[off] = '\0';
	return (int)off;
}

/* Monotonic ms to wall-clock ms; 0 stays "never". */
uint64_t
value_to_wall(uint64_t mono, int64_t off)
{
	return mono == 0 ? 0 : (uint64_t)((int64_t)mono + off);
}

/* "1 k=v k=v ...": the version, then unique keys. */
int
value_tokenize(const char *v, size_t len, struct value_tokens *t, char *err,
    size_t errlen)
{
	char *p, *save = NULL, *eq;
	unsigned i;

	if (len > STORE_VALUE_MAX)
		ERR("value of %zu bytes", len);
	if (memchr(v, '\0', len) != NULL)
		ERR("NUL byte in a value");
	memcpy(t->buf, v, len);
	t->buf[len] = '\0';
	t->n = 0;
	if ((p = strtok_r(t->buf, " ", &save)) == NULL || strcmp(p, "1") != 0)
		ERR("unknown value version");
	while ((p = strtok_r(NULL, " ", &save)) != NULL) {
		if (t->n == VALUE_MAX_TOKENS ||
		    (eq = strchr(p, '=')) == NULL || eq == p)
			ERR("malformed value");
		*eq = '\0';
		for (i = 0; i < t->n; i++)
			if (strcmp(t->key[i], p) == 0)
				ERR("%s twice", p);
		t->key[t->n] = p;
		t->val[t->n] = eq + 1;
		t->used[t->n++] = false;
	}
	return 0;
}

const char *
value_tok(struct value_tokens *t, const char *key)
{
	unsigned i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->key[i], key) == 0) {
			t->used[i] = true;
			return t->val[i];
		}
	}
	return NULL;
}

/* Keys added after version 1 was first written may be absent (defaults). */
bool
value_present(const struct value_tokens *t, const char *key)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->key[i], key) == 0)
			return true;
	return false;
}

int
value_all_used(const struct value_tokens *t, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (!t->used[i])
			ERR("unknown key %s", t->key[i]);
	return 0;
}

int
value_get_id(struct value_tokens *t, const char *key, char *out, size_t outlen,
    bool required, char *err, size_t errlen)
{
	const char *s = value_tok(t, key);
	size_t n = 0;
	int hi, lo;

	if (s == NULL)
		ERR("no %s", key);
	/* Written "-" when empty; a bare "key=" is empty too (found by fuzzing). */
	if (*s == '\0' || strcmp(s, "-") == 0) {
		if (required)
			ERR("empty %s", key);
		out[0] = '\0';
		return 0;
	}
	for (; *s; s++) {
		if (n + 1 >= outlen)
			ERR("%s too long", key);
		if (*s == '%') {
			if ((hi = hex_digit(s[1])) < 0 || (lo = hex_digit(s[2])) < 0 ||
			    (hi == 0 && lo == 0))
				ERR("bad escape in %s", key);
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else if (id_safe((unsigned char)*s)) {
			out[n++] = *s;
		} else
			ERR("bad byte in %s", key);
	}
	out[n] = '\0';
	return 0;
}

int
value_get_u64(struct value_tokens *t, const char *key, uint64_t max,
    uint64_t *out, char *err, size_t errlen)
{
	const char *s = value_tok(t, key);
	char *ep;
	unsigned long long v;

	if (s == NULL)
		ERR("no %s", key);
	if (*s < '0' || *s > '9' || strlen(s) > 20)
		ERR("bad %s", key);
	v = strtoull(s, &ep, 10);
	if (*ep != '\0' || v > max)
		ERR("%s out of range", key);
	*out = v;
	return 0;
}

int
value_get_bool(struct value_tokens *t, const char *key, bool *out, char *err,
    size_t errlen)
{
	uint64_t v;

	if (value_get_u64(t, key, 1, &v, err, errlen) != 0)
		return -1;
	*out = v != 0;
	return 0;
}

/* A number that older records lack: dflt then. */
int
value_get_u64_or(struct value_tokens *t, const char *key, uint64_t max,
    uint64_t dflt, uint64_t *out, char *err, size_t errlen)
{
	*out = dflt;
	if (!value_present(t, key))
		return 0;
	return value_get_u64(t, key, max, out, err, errlen);
}

int
value_get_name(struct value_tokens *t, const char *key,
    const char *const *names, unsigned n, unsigned *out, char *err,
    size_t errlen)
{
	const char *s = value_tok(t, key);
	unsigned i;

	if (s != NULL)
		for (i = 0; i < n; i++)
			if (names[i] && strcmp(s, names[i]) == 0) {
				*out = i;
				return 0;
			}
	ERR("bad %s", key);
}

/* Wall-clock ms from the record to monotonic ms; 0 stays "never". */
uint64_t
value_to_mono(uint64_t wall, int64_t off)
{
	int64_t m;

	if (wall == 0)
		return 0;
	m = (int64_t)wall - off;
	return m > 0 ? (uint64_t)m : 1;
}

/* Written to the proxy or a log as one line: no control characters. */
bool
value_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}
