/*
 * bencode.h - the document tree of rtpengine's "ng" control protocol,
 * and its bencode form (ng-protocol.md 1.2).
 *
 * A request or reply is one tree of bnodes: integers, byte strings,
 * lists and dictionaries. Every node of one document lives in a bdoc,
 * an arena freed in one call, so a command handler never frees nodes
 * one by one and an error path cannot leak.
 *
 * Strings are byte ranges (s, len), never NUL-terminated by contract:
 * an SDP body may hold any byte. A decoded document points into the
 * caller's buffer; a built one holds copies inside the bdoc.
 *
 * Dictionaries keep their members in wire order and may repeat a key:
 * rtpengine walks the pairs in order, so for lookups the last one wins.
 */
#ifndef RTPROAM_BENCODE_H
#define RTPROAM_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bn_type { BN_INT, BN_STR, BN_LIST, BN_DICT };

struct bnode {
	enum bn_type	 type;
	int64_t		 i;		/* BN_INT */
	const char	*s;		/* BN_STR: bytes, NOT NUL-terminated, may hold NUL */
	size_t		 len;
	const char	*key;		/* set on a dictionary member: its key (bytes) */
	size_t		 klen;
	struct bnode	*first, *last;	/* BN_LIST, BN_DICT: members in order */
	struct bnode	*next;		/* next member of the parent */
	unsigned	 count;		/* members */
};

struct bdoc_chunk;

/* Every node and copied string of one document; freed at once. */
struct bdoc {
	struct bdoc_chunk	*chunks;	/* newest first; allocation from the head */
};

void	bdoc_init(struct bdoc *d);
/* Frees everything; the doc is empty again, and reusable after bdoc_init. */
void	bdoc_free(struct bdoc *d);

#define BENCODE_MAX_DEPTH	32
#define BENCODE_MAX_NODES	20000	/* per document: a hostile 64 KiB datagram stays bounded */
/* No ng message comes near this; it keeps length arithmetic far from overflow. */
#define BENCODE_MAX_STRLEN	((size_t)1 << 30)

/*
 * Decode one bencode value starting at buf (the top level must be a
 * dictionary). Strings point INTO buf (binary-safe, no copy): buf must
 * outlive the doc's use. *used = bytes consumed: the value ends there,
 * and bytes after it are the caller's business (a datagram transport
 * should reject them, a stream transport starts the next message there).
 *
 * Returns 0; or -1 with a short human reason in err ("bencode: leading
 * zero in integer at offset 3"); or -2 when the input is a proper prefix
 * of some valid document and needs more bytes (a stream transport waits
 * for them). Every prefix of a valid document, empty input and a string
 * whose length runs past the end included, gives -2, and err then says
 * what is missing, since for a datagram -2 is as final as -1. The doc
 * may hold nodes of a failed decode until bdoc_free.
 */
int	bencode_decode(struct bdoc *d, const char *buf, size_t len, struct bnode **root,
	    size_t *used, char *err, size_t errlen);

/*
 * Builders (reply documents). Return NULL / -1 only when memory runs out
 * (or, for the add functions, when given a NULL, so that a failed
 * builder may be passed straight in). Keys and strings given to these
 * are COPIED into the doc; copies carry a NUL after their len bytes.
 */
struct bnode *bn_int(struct bdoc *d, int64_t v);
struct bnode *bn_str(struct bdoc *d, const char *s, size_t len);
struct bnode *bn_cstr(struct bdoc *d, const char *s);
struct bnode *bn_list(struct bdoc *d);
struct bnode *bn_dict(struct bdoc *d);
int	bn_list_add(struct bnode *list, struct bnode *item);
int	bn_dict_add(struct bdoc *d, struct bnode *dict, const char *key, struct bnode *val);
/* bn_dict_add with a key of klen bytes (any bytes). */
int	bn_dict_add_k(struct bdoc *d, struct bnode *dict, const char *key, size_t klen,
	    struct bnode *val);
/* Shorthands: add a string / an integer / a new list / a new dict under key;
 * the add_list/add_dict forms return the new container (NULL on no memory). */
int	bn_dict_add_str(struct bdoc *d, struct bnode *dict, const char *key, const char *s,
	    size_t len);
int	bn_dict_add_cstr(struct bdoc *d, struct bnode *dict, const char *key, const char *s);
int	bn_dict_add_int(struct bdoc *d, struct bnode *dict, const char *key, int64_t v);
struct bnode *bn_dict_add_list(struct bdoc *d, struct bnode *dict, const char *key);
struct bnode *bn_dict_add_dict(struct bdoc *d, struct bnode *dict, const char *key);

/* Lookups. A dictionary may repeat a key: the LAST one wins (rtpengine walks in order).
 * NULL when absent or when dict is not a BN_DICT (or NULL). */
const struct bnode *bn_dict_get(const struct bnode *dict, const char *key);
/* Also accepts the spelling with spaces for hyphens ("received-from"/"received from"):
 * rtpengine accepts both; return whichever appears last. */
const struct bnode *bn_dict_get_key(const struct bnode *dict, const char *key);
bool	bn_is_str(const struct bnode *n, const char *s);	/* a BN_STR equal to s */
/* An integer, or a decimal string holding one ("30", "-5"; no sign '+',
 * no spaces, must fit int64): 0; else -1 (also for NULL). */
int	bn_get_int(const struct bnode *n, int64_t *v);

/* Encoders: append the value at buf + *off (buf holds len bytes). 0, or -1 if it did
 * not fit (then *off is unspecified). bencode dictionaries keep insertion order.
 * Nothing is written past the value (no NUL). */
int	bencode_encode(const struct bnode *n, char *buf, size_t len, size_t *off);

#endif
