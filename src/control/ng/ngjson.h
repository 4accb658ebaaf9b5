/*
 * ngjson.h - the ng document tree (bencode.h) from and to JSON.
 *
 * rtpengine takes the same dictionary as a JSON object and answers a
 * JSON request in JSON (ng-protocol.md 1.3). Only UDP, HTTP and
 * WebSocket carry it; Kamailio and OpenSIPS never send it.
 */
#ifndef RTPROAM_NGJSON_H
#define RTPROAM_NGJSON_H

#include "control/ng/bencode.h"

/*
 * A JSON object (top level must be an object; nothing but white space
 * may follow it). Strings are copied into the doc.
 * Integers -> BN_INT, strings -> BN_STR, arrays -> BN_LIST, objects -> BN_DICT,
 * true/false -> BN_INT 1/0, null -> BN_STR "" ; doubles -> BN_INT truncated
 * (clamped to the int64 range). Nesting and node count have the bencode
 * limits. A repeated key keeps its first position and its last value
 * (json-c's object semantics); a key is cut at a "\u0000" in it.
 * Returns 0 or -1 with err: "JSON: Failed to parse JSON document (...)"
 * for bad syntax (the part before the parenthesis is rtpengine's reply
 * text), "JSON: top level is not an object", ...
 */
int	ngjson_decode(struct bdoc *d, const char *buf, size_t len, struct bnode **root,
	    char *err, size_t errlen);

/*
 * Append n as compact JSON at buf + *off (buf holds len bytes). 0, or -1
 * if it did not fit (then *off is unspecified). No NUL is written.
 * Valid UTF-8 passes through; every other byte >= 0x80 becomes \u00XX,
 * so the output is always valid JSON but such a byte reads back as the
 * character U+00XX (two bytes of UTF-8), not as itself.
 */
int	ngjson_encode(const struct bnode *n, char *buf, size_t len, size_t *off);

#endif
