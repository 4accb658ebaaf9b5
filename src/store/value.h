/*
 * value.h - the syntax of one value of a call's Redis hash (record.h):
 *
 *   "1 key=value key=value ..."
 *
 * the value's version, then keys, each at most once, in any order. An id
 * (Call-ID, tag, label...) is written percent-encoded, "-" when empty.
 * Pure functions; the getters report into err like the rest of store/,
 * and mark the keys they read, so that a key nobody reads is an error
 * (value_all_used).
 */
#ifndef RTPROAM_STORE_VALUE_H
#define RTPROAM_STORE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/record.h"

#define VALUE_MAX_TOKENS	32

struct value_tokens {
	char	 buf[STORE_VALUE_MAX + 1];
	char	*key[VALUE_MAX_TOKENS], *val[VALUE_MAX_TOKENS];
	bool	 used[VALUE_MAX_TOKENS];
	unsigned n;
};

/* ---- writing: each appends at *off, -1 when it does not fit ---- */

/* An id: "-" when empty, "%2D" for an id that is "-", unsafe bytes as %XX. */
int	value_put_id(char *buf, size_t len, size_t *off, const char *s);
/* NUL-terminate what was written: its length, or -1 if rc != 0 or full. */
int	value_finish(char *buf, size_t len, size_t off, int rc);

/* ---- reading ---- */

/* Split a value of len bytes (version 1 only) into t. */
int	value_tokenize(const char *v, size_t len, struct value_tokens *t,
	    char *err, size_t errlen);
/* The value of key (marked as read), NULL if absent. */
const char *value_tok(struct value_tokens *t, const char *key);
/* Keys added after version 1 was first written may be absent (defaults). */
bool	value_present(const struct value_tokens *t, const char *key);
/* -1 if a key was never read: a key we do not know. */
int	value_all_used(const struct value_tokens *t, char *err, size_t errlen);

/* An id into out (outlen bytes with the NUL); required: not empty. */
int	value_get_id(struct value_tokens *t, const char *key, char *out,
	    size_t outlen, bool required, char *err, size_t errlen);
/* A decimal number 0..max. */
int	value_get_u64(struct value_tokens *t, const char *key, uint64_t max,
	    uint64_t *out, char *err, size_t errlen);
/* The same, dflt when the key is absent (an older record). */
int	value_get_u64_or(struct value_tokens *t, const char *key, uint64_t max,
	    uint64_t dflt, uint64_t *out, char *err, size_t errlen);
int	value_get_bool(struct value_tokens *t, const char *key, bool *out,
	    char *err, size_t errlen);
/* One of names[0..n-1] (NULL entries never match): its index. */
int	value_get_name(struct value_tokens *t, const char *key,
	    const char *const *names, unsigned n, unsigned *out, char *err,
	    size_t errlen);

/* No control characters: safe in one line to a proxy or a log. */
bool	value_printable(const char *s);

/* Monotonic ms <-> the record's wall-clock ms (off: wall minus monotonic); 0 stays "never". */
uint64_t value_to_wall(uint64_t mono, int64_t off);
uint64_t value_to_mono(uint64_t wall, int64_t off);

#endif
