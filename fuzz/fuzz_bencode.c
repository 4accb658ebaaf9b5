/*
 * fuzz_bencode.c - the ng document decoders (bencode and JSON) on any
 * bytes, and the encoders on whatever they accept.
 *
 * One input is one ng document (what follows the cookie). Beyond memory
 * safety the target checks:
 * - bencode: a decoded document re-encodes to exactly the bytes it was
 *   decoded from (the decoder allows one spelling per value), those
 *   bytes decode again to the same, and one byte fewer needs more (-2);
 * - JSON output of a decoded tree is JSON that ngjson_decode accepts;
 * - a tree decoded from JSON encodes to bencode that decodes again and
 *   re-encodes to the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "control/ng/bencode.h"
#include "control/ng/ngjson.h"
#include "fuzz.h"

#define OUT_SIZE	65536	/* a UDP reply's ceiling */

static char out[OUT_SIZE], out2[OUT_SIZE], json[OUT_SIZE];

/* buf holds bencode that must decode, whole, and re-encode to itself. */
static void
check_stable(const char *buf, size_t len)
{
	struct bnode *root;
	struct bdoc d;
	char err[128];
	size_t used, off = 0;

	bdoc_init(&d);
	FUZZ_CHECK(bencode_decode(&d, buf, len, &root, &used, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(used == len);
	FUZZ_CHECK(bencode_encode(root, out2, sizeof(out2), &off) == 0);
	FUZZ_CHECK(off == len && memcmp(out2, buf, len) == 0);
	bdoc_free(&d);
}

/* The JSON form of root must be JSON we accept ourselves. */
static void
check_json_out(const struct bnode *root)
{
	struct bnode *r2;
	struct bdoc d;
	char err[160];
	size_t jlen = 0, off = 0;

	/* Escapes may make it too big for a datagram: nothing to check. */
	if (ngjson_encode(root, json, sizeof(json), &jlen) != 0)
		return;
	bdoc_init(&d);
	if (ngjson_decode(&d, json, jlen, &r2, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n%.*s\n", err, (int)jlen, json);
		FUZZ_CHECK(!"our JSON output is not accepted");
	}
	if (bencode_encode(r2, out, sizeof(out), &off) == 0)
		check_stable(out, off);
	bdoc_free(&d);
}

static void
fuzz_bencode(const char *buf, size_t size)
{
	struct bnode *root, *r2;
	struct bdoc d;
	char err[128];
	size_t used, off = 0;
	int rc;

	bdoc_init(&d);
	rc = bencode_decode(&d, buf, size, &root, &used, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
	if (rc != 0) {
		FUZZ_CHECK(root == NULL && strncmp(err, "bencode: ", 9) == 0);
		bdoc_free(&d);
		return;
	}
	FUZZ_CHECK(root != NULL && root->type == BN_DICT);
	FUZZ_CHECK(used >= 2 && used <= size);
	FUZZ_CHECK(bencode_encode(root, out, sizeof(out), &off) == 0);
	FUZZ_CHECK(off == used && memcmp(out, buf, used) == 0);
	check_stable(out, off);
	bdoc_free(&d);

	/* The same document one byte short is a prefix: it needs more. */
	bdoc_init(&d);
	FUZZ_CHECK(bencode_decode(&d, buf, used - 1, &r2, &off, err,
	    sizeof(err)) == -2);
	bdoc_free(&d);

	bdoc_init(&d);
	FUZZ_CHECK(bencode_decode(&d, buf, size, &root, &used, err,
	    sizeof(err)) == 0);
	check_json_out(root);
	bdoc_free(&d);
}

static void
fuzz_json(const char *buf, size_t size)
{
	struct bnode *root;
	struct bdoc d;
	char err[160];
	size_t off = 0;

	bdoc_init(&d);
	if (ngjson_decode(&d, buf, size, &root, err, sizeof(err)) != 0) {
		FUZZ_CHECK(root == NULL && strncmp(err, "JSON: ", 6) == 0);
		bdoc_free(&d);
		return;
	}
	FUZZ_CHECK(root != NULL && root->type == BN_DICT);
	/* Short values grow in bencode ("0" is "i0e"): it may not fit. */
	if (bencode_encode(root, out, sizeof(out), &off) == 0)
		check_stable(out, off);
	check_json_out(root);
	bdoc_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_bencode((const char *)data, size);
	fuzz_json((const char *)data, size);
	return 0;
}
