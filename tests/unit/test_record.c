/*
 * test_record.c - call recording, end to end: packets go into the rings as
 * a worker would push them, the writer thread turns them into pcap files,
 * and libpcap reads the files back. Every packet is checked: order, time,
 * the synthesized IPv4/IPv6 and UDP headers (lengths, checksums) and the
 * payload. Then a full ring, a close that finds the ring full, many laps
 * around a small ring, a file size limit and a full file system, the file
 * names and the start-up checks.
 *
 * The test thread is the single producer of every ring it pushes to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "media/proc/record.h"
#include "inet_sum.h"

#define T0		1700000000123456ull	/* 2023-11-14, in microseconds */
#define MAXPAY		3000

struct tdir {
	char	 path[64];
	bool	 mounted;
};

/* What packet i of a test stream carries. */
struct gen {
	unsigned	 seed;
	size_t		 minlen, spread;
	struct addr	 a, b;		/* even i: a -> b, odd i: b -> a */
};

static size_t
gen_len(const struct gen *g, unsigned i)
{
	return g->minlen + (i * 37u + g->seed) % g->spread;
}

static void
gen_payload(const struct gen *g, unsigned i, uint8_t *buf, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++)
		buf[j] = (uint8_t)(i * 7u + j * 13u + g->seed);
	/* An RTP-looking start with the index, for readable failures. */
	if (len >= 8) {
		buf[0] = 0x80;
		buf[4] = (uint8_t)(i >> 24);
		buf[5] = (uint8_t)(i >> 16);
		buf[6] = (uint8_t)(i >> 8);
		buf[7] = (uint8_t)i;
	}
}

static void
addr_of(struct addr *a, const char *s)
{
	assert_int_equal(addr_parse_hostport(a, s, 0, AF_UNSPEC), 0);
}

static bool
push_one(struct record_ring *ring, struct record_file *f, const struct gen *g,
    unsigned i)
{
	uint8_t buf[MAXPAY];
	size_t len = gen_len(g, i);

	assert_true(len <= sizeof(buf));
	gen_payload(g, i, buf, len);
	return record_push(ring, f, i % 2 ? &g->b : &g->a, i % 2 ? &g->a : &g->b,
	    buf, len, T0 + (uint64_t)i * 20000u);
}

static void
tdir_make(struct tdir *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/test_record.XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void
tdir_remove(struct tdir *d)
{
	char p[512];
	struct dirent *de;
	DIR *dp;

	if (d->mounted) {
		assert_int_equal(umount2(d->path, MNT_DETACH), 0);
		d->mounted = false;
	}
	assert_non_null(dp = opendir(d->path));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->path, de->d_name);
		assert_int_equal(unlink(p), 0);
	}
	closedir(dp);
	assert_int_equal(rmdir(d->path), 0);
}

/* The one file whose name ends with `tail`; its full path in out. */
static void
find_file(const struct tdir *d, const char *tail, char *out, size_t outlen)
{
	struct dirent *de;
	size_t n, tl = strlen(tail);
	unsigned found = 0;
	DIR *dp;

	assert_non_null(dp = opendir(d->path));
	while ((de = readdir(dp)) != NULL) {
		n = strlen(de->d_name);
		if (n >= tl && strcmp(de->d_name + n - tl, tail) == 0) {
			snprintf(out, outlen, "%s/%s", d->path, de->d_name);
			found++;
		}
	}
	closedir(dp);
	if (found != 1)
		fail_msg("%u files end with %s in %s", found, tail, d->path);
}

static unsigned
count_files(const struct tdir *d)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *dp;

	assert_non_null(dp = opendir(d->path));
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(dp);
	return n;
}

/* Until every file opened so far is closed again (and n were opened). */
static void
wait_closed(struct recorder *r, uint64_t nfiles, struct record_stats *st)
{
	struct timespec ms = { 0, 2000000L };
	unsigned i;

	for (i = 0; i < 5000; i++) {
		recorder_stats(r, st);
		/* Closed, not just failed: the ring is drained up to the close. */
		if (st->files_closed >= nfiles && st->files_open == 0)
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("files: %llu opened, %llu closed, %llu still open",
	    (unsigned long long)st->files_opened,
	    (unsigned long long)st->files_closed,
	    (unsigned long long)st->files_open);
}

/* The IPv6 form of an address as the recorder writes it. */
static void
v6_bytes(const struct addr *a, uint8_t out[16])
{
	memset(out, 0, 16);
	if (addr_family(a) == AF_INET6) {
		memcpy(out, &a->u.sin6.sin6_addr, 16);
	} else {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a->u.sin.sin_addr, 4);
	}
}

/* Check one packet read back against packet i of g. */
static void
check_packet(const struct gen *g, unsigned i, const struct pcap_pkthdr *h,
    const uint8_t *pkt)
{
	const struct addr *src = i % 2 ? &g->b : &g->a, *dst = i % 2 ? &g->a : &g->b;
	uint8_t want[MAXPAY], a6[16];
	size_t len = gen_len(g, i), hl;
	uint64_t us = T0 + (uint64_t)i * 20000u;
	const uint8_t *udp;

	gen_payload(g, i, want, len);
	assert_int_equal(h->caplen, h->len);
	assert_int_equal((uint64_t)h->ts.tv_sec, us / 1000000u);
	assert_int_equal((uint64_t)h->ts.tv_usec, us % 1000000u);
	if (addr_family(src) == AF_INET && addr_family(dst) == AF_INET) {
		hl = 28;
		assert_int_equal(h->caplen, hl + len);
		assert_int_equal(pkt[0], 0x45);
		assert_int_equal(be16(pkt + 2), hl + len);
		assert_int_equal(pkt[8], 64);
		assert_int_equal(pkt[9], 17);
		assert_int_equal(sum16(0, pkt, 20), 0xffff);	/* checksum */
		assert_memory_equal(pkt + 12, &src->u.sin.sin_addr, 4);
		assert_memory_equal(pkt + 16, &dst->u.sin.sin_addr, 4);
		udp = pkt + 20;
		assert_int_equal(be16(udp + 6), 0);
	} else {
		hl = 48;
		assert_int_equal(h->caplen, hl + len);
		assert_int_equal(pkt[0] >> 4, 6);
		assert_int_equal(be16(pkt + 4), 8 + len);
		assert_int_equal(pkt[6], 17);
		v6_bytes(src, a6);
		assert_memory_equal(pkt + 8, a6, 16);
		v6_bytes(dst, a6);
		assert_memory_equal(pkt + 24, a6, 16);
		udp = pkt + 40;
		assert_int_not_equal(be16(udp + 6), 0);
		/* Pseudo-header + UDP header + payload sum to all ones. */
		assert_int_equal(sum16(sum16((uint32_t)(8 + len + 17), pkt + 8, 32),
		    udp, 8 + len), 0xffff);
	}
	assert_int_equal(be16(udp), addr_port(src));
	assert_int_equal(be16(udp + 2), addr_port(dst));
	assert_int_equal(be16(udp + 4), 8 + len);
	assert_memory_equal(pkt + hl, want, len);
}

/*
 * Read a file back: it must hold exactly the packets i of g with
 * present[i] (all of 0..n-1 when present is NULL), in order.
 */
static void
check_file(const char *path, const struct gen *g, unsigned n, const bool *present)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *pkt;
	unsigned i;
	pcap_t *p;

	if ((p = pcap_open_offline(path, errbuf)) == NULL)
		fail_msg("%s: %s", path, errbuf);
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	for (i = 0; i < n; i++) {
		if (present != NULL && !present[i])
			continue;
		if (pcap_next_ex(p, &h, &pkt) != 1)
			fail_msg("%s: packet %u missing", path, i);
		check_packet(g, i, h, pkt);
	}
	assert_int_equal(pcap_next_ex(p, &h, &pkt), PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void
test_roundtrip(void **state)
{
	struct gen g4 = { .seed = 1, .minlen = 12, .spread = 1389 };
	struct gen g6 = { .seed = 5, .minlen = 1, .spread = 400 };
	struct gen gm = { .seed = 9, .minlen = 160, .spread = 1 };
	struct record_file *f1, *f2, *f3;
	struct record_ring *r0, *r1;
	struct record_stats st;
	struct recorder *r;
	struct tdir d;
	char err[256], path[512];
	uint64_t bytes = 0;
	unsigned i, n = 300;

	(void)state;
	tdir_make(&d);
	addr_of(&g4.a, "192.0.2.10:4000");
	addr_of(&g4.b, "198.51.100.20:5000");
	addr_of(&g6.a, "[2001:db8::1]:6000");
	addr_of(&g6.b, "[2001:db8:ffff::2]:7002");
	/* A v4 leg bridged to a v6 leg: written as IPv6, v4 mapped. */
	addr_of(&gm.a, "203.0.113.5:8000");
	addr_of(&gm.b, "[2001:db8::99]:9000");

	r = recorder_start(d.path, 2, 1 << 20, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_non_null(r0 = recorder_ring(r, 0));
	assert_non_null(r1 = recorder_ring(r, 1));
	assert_null(recorder_ring(r, 2));
	assert_non_null(f1 = recorder_open(r, "abc-123@example.org", "tagA"));
	assert_non_null(f2 = recorder_open(r, "x y/z;1", "t:B"));
	assert_non_null(f3 = recorder_open(r, "mixed", "m"));
	for (i = 0; i < n; i++) {
		assert_true(push_one(r0, f1, &g4, i));
		assert_true(push_one(r1, f2, &g6, i));
		bytes += gen_len(&g4, i) + gen_len(&g6, i);
	}
	for (i = 0; i < 10; i++) {
		assert_true(push_one(r0, f3, &gm, i));
		bytes += gen_len(&gm, i);
	}
	record_close(r0, f1);
	record_close(r1, f2);
	record_close(r0, f3);
	wait_closed(r, 3, &st);
	assert_int_equal(st.packets, 2 * n + 10);
	assert_int_equal(st.bytes, bytes);
	assert_int_equal(st.dropped_full, 0);
	assert_int_equal(st.write_errors, 0);
	assert_int_equal(st.files_opened, 3);
	recorder_stop(r);

	assert_int_equal(count_files(&d), 3);
	find_file(&d, "-abc-123@example.org-tagA.pcap", path, sizeof(path));
	check_file(path, &g4, n, NULL);
	find_file(&d, "-x_y_z_1-t_B.pcap", path, sizeof(path));
	check_file(path, &g6, n, NULL);
	find_file(&d, "-mixed-m.pcap", path, sizeof(path));
	check_file(path, &gm, 10, NULL);
	tdir_remove(&d);
}

/*
 * The writer held: the ring fills, pushes fail and count; a close on the
 * full ring takes the fallback path and still comes after the packets.
 */
static void
test_ring_full(void **state)
{
	struct gen g = { .seed = 3, .minlen = 200, .spread = 1000 };
	static bool present[100000];
	struct record_file *f;
	struct record_ring *ring;
	struct record_stats st;
	struct recorder *r;
	struct tdir d;
	char err[256], path[512];
	uint8_t big[16];
	unsigned i, accepted = 0, refused = 0, n = 0;

	(void)state;
	tdir_make(&d);
	addr_of(&g.a, "192.0.2.1:1000");
	addr_of(&g.b, "192.0.2.2:2000");
	r = recorder_start(d.path, 1, 0, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	recorder_hold(r, true);
	ring = recorder_ring(r, 0);
	assert_non_null(f = recorder_open(r, "full", NULL));
	/* Fill (if the writer was mid-pass, it may take a little first). */
	for (i = 0; i < 100000 && refused < 50; i++, n++) {
		present[i] = push_one(ring, f, &g, i);
		if (present[i])
			accepted++;
		else
			refused++;
	}
	assert_int_equal(refused, 50);
	/* 256 KiB of ~830-byte entries. */
	assert_true(accepted >= RECORD_RING_MIN / (136 + 1200));
	/* Too big for any ring: refused and counted the same way. */
	memset(big, 0, sizeof(big));
	assert_false(record_push(ring, f, &g.a, &g.b, big,
	    RECORD_MAX_PAYLOAD + 1, T0));
	recorder_stats(r, &st);
	assert_int_equal(st.dropped_full, 51);
	/* The ring has no room for a CLOSE entry now. */
	record_close(ring, f);
	recorder_hold(r, false);
	wait_closed(r, 1, &st);
	assert_int_equal(st.packets, accepted);
	assert_int_equal(st.dropped_full, 51);
	assert_int_equal(st.write_errors, 0);

	/* The ring works again after it was full. */
	assert_non_null(f = recorder_open(r, "after", NULL));
	for (i = 0; i < 20; i++)
		assert_true(push_one(ring, f, &g, i));
	record_close(ring, f);
	wait_closed(r, 2, &st);
	assert_int_equal(st.packets, accepted + 20);
	recorder_stop(r);

	find_file(&d, "-full.pcap", path, sizeof(path));
	check_file(path, &g, n, present);
	find_file(&d, "-after.pcap", path, sizeof(path));
	check_file(path, &g, 20, NULL);
	tdir_remove(&d);
}

/* Many laps around the smallest ring while the writer drains it. */
static void
test_ring_laps(void **state)
{
	struct gen g = { .seed = 11, .minlen = 1, .spread = MAXPAY };
	struct timespec nap = { 0, 200000L };
	struct record_file *f;
	struct record_ring *ring;
	struct record_stats st;
	struct recorder *r;
	struct tdir d;
	char err[256], path[512];
	unsigned i, n = 6000, retries = 0;

	(void)state;
	tdir_make(&d);
	addr_of(&g.a, "[2001:db8::a]:1");
	addr_of(&g.b, "[2001:db8::b]:65535");
	r = recorder_start(d.path, 3, 1000, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	ring = recorder_ring(r, 2);
	assert_non_null(f = recorder_open(r, "laps", "x"));
	for (i = 0; i < n; i++) {
		while (!push_one(ring, f, &g, i)) {
			retries++;
			nanosleep(&nap, NULL);
		}
	}
	record_close(ring, f);
	wait_closed(r, 1, &st);
	assert_int_equal(st.packets, n);
	assert_int_equal(st.dropped_full, retries);
	recorder_stop(r);
	find_file(&d, "-laps-x.pcap", path, sizeof(path));
	check_file(path, &g, n, NULL);
	tdir_remove(&d);
}

/*
 * Disk trouble: the file fails, the failure is counted per packet, and
 * the recorder carries on with the next file once there is room again.
 * fill(d) sets the trouble up, clear(d) removes it.
 */
static void
disk_trouble(struct tdir *d, void (*clear)(struct tdir *))
{
	struct gen g = { .seed = 2, .minlen = 172, .spread = 1 };
	struct timespec ms = { 0, 1000000L };
	struct record_file *f;
	struct record_ring *ring;
	struct record_stats st;
	struct recorder *r;
	char err[256], path[512];
	unsigned i, n = 2000, refused = 0;

	addr_of(&g.a, "192.0.2.1:1000");
	addr_of(&g.b, "192.0.2.2:2000");
	r = recorder_start(d->path, 1, 4 << 20, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	ring = recorder_ring(r, 0);
	assert_non_null(f = recorder_open(r, "disk", "full"));
	for (i = 0; i < n; i++) {
		if (!push_one(ring, f, &g, i))
			refused++;
		/* Let the writer meet the error while packets still come. */
		if (i % 200 == 199)
			nanosleep(&ms, NULL);
	}
	/* Once the writer has failed the file, the worker stops copying. */
	for (i = 0; push_one(ring, f, &g, n); i++) {
		if (i == 10000)
			fail_msg("the file never failed");
		n++;
		nanosleep(&ms, NULL);
	}
	refused++;
	for (i = n + 1; i < n + 100; i++)
		assert_false(push_one(ring, f, &g, i));
	refused += 99;
	n += 100;
	record_close(ring, f);
	wait_closed(r, 1, &st);
	assert_true(st.write_errors >= refused);
	assert_int_equal(st.dropped_full, 0);
	/* Every packet is either on disk or counted as lost. */
	assert_int_equal(st.packets + st.write_errors, n);
	find_file(d, "-disk-full.pcap", path, sizeof(path));

	clear(d);
	assert_non_null(f = recorder_open(r, "disk", "again"));
	for (i = 0; i < 10; i++)
		assert_true(push_one(ring, f, &g, i));
	record_close(ring, f);
	wait_closed(r, 2, &st);
	recorder_stop(r);
	find_file(d, "-disk-again.pcap", path, sizeof(path));
	check_file(path, &g, 10, NULL);
}

static struct rlimit saved_fsize;
static bool fsize_limited;
static struct tdir trouble;	/* for the teardown when a check fails */

static void
fsize_clear(struct tdir *d)
{
	(void)d;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
	fsize_limited = false;
}

/* A failed check must not leave a limit or a mount behind. */
static int
disk_teardown(void **state)
{
	(void)state;
	if (fsize_limited && setrlimit(RLIMIT_FSIZE, &saved_fsize) != 0)
		return -1;
	fsize_limited = false;
	if (trouble.mounted && umount2(trouble.path, MNT_DETACH) != 0)
		return -1;
	trouble.mounted = false;
	return 0;
}

/* A file size limit: writes fail with EFBIG (SIGXFSZ is ignored). */
static void
test_write_error_fsize(void **state)
{
	struct rlimit lim;

	(void)state;
	tdir_make(&trouble);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
	lim = saved_fsize;
	lim.rlim_cur = 20000;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	fsize_limited = true;
	disk_trouble(&trouble, fsize_clear);
	tdir_remove(&trouble);
}

static void
enospc_clear(struct tdir *d)
{
	char p[512];
	struct dirent *de;
	DIR *dp;

	/* Free the space: delete the failed recording. */
	assert_non_null(dp = opendir(d->path));
	while ((de = readdir(dp)) != NULL) {
		if (strstr(de->d_name, "-disk-full.pcap") == NULL)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d->path, de->d_name);
		assert_int_equal(unlink(p), 0);
	}
	closedir(dp);
}

/* A really full file system: a 64 KiB tmpfs (needs root; skipped else). */
static void
test_write_error_enospc(void **state)
{
	(void)state;
	tdir_make(&trouble);
	if (mount("tmpfs", trouble.path, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=64k") != 0) {
		print_message("no tmpfs (%s): ENOSPC not tested\n", strerror(errno));
		tdir_remove(&trouble);
		skip();
	}
	trouble.mounted = true;
	disk_trouble(&trouble, enospc_clear);
	tdir_remove(&trouble);
}

/* Is name "YYYYmmdd-HHMMSS-<rest>" with rest == tail? */
static bool
name_is(const char *name, const char *tail)
{
	unsigned i;

	for (i = 0; i < 15; i++)
		if (i == 8 ? name[i] != '-' : (name[i] < '0' || name[i] > '9'))
			return false;
	return name[15] == '-' && strcmp(name + 16, tail) == 0;
}

static void
test_names(void **state)
{
	char err[256], path[512], longid[600], want[256], stamp[2][16];
	struct record_file *f[6];
	struct record_stats st;
	struct dirent *de;
	struct recorder *r;
	struct tdir d;
	unsigned i, ndup = 0, nlong = 0;
	size_t n;
	DIR *dp;
	pcap_t *p;

	(void)state;
	tdir_make(&d);
	for (i = 0; i < sizeof(longid) - 1; i++)
		longid[i] = i % 3 ? 'a' + (char)(i % 26) : '/';
	longid[sizeof(longid) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/", d.path);	/* a trailing slash */
	r = recorder_start(path, 1, 0, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	assert_non_null(f[0] = recorder_open(r, "dup", "t"));
	assert_non_null(f[1] = recorder_open(r, "dup", "t"));
	assert_non_null(f[2] = recorder_open(r, longid, "tag/with:bad"));
	assert_non_null(f[3] = recorder_open(r, "", NULL));
	assert_non_null(f[4] = recorder_open(r, "a\xc3\xa9 b", "x"));
	assert_non_null(f[5] = recorder_open(r, "../../etc/passwd", ".."));
	/* Never handed to a worker: ended from the control thread. */
	for (i = 0; i < 6; i++)
		recorder_end(r, f[i]);
	wait_closed(r, 6, &st);
	assert_int_equal(st.packets, 0);
	recorder_stop(r);

	assert_int_equal(count_files(&d), 6);
	assert_non_null(dp = opendir(d.path));
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n = strlen(de->d_name);
		assert_true(n < 200);
		if (name_is(de->d_name, "dup-t.pcap") ||
		    name_is(de->d_name, "dup-t-2.pcap")) {
			memcpy(stamp[ndup], de->d_name, 15);
			stamp[ndup][15] = '\0';
			ndup++;
			continue;
		}
		if (name_is(de->d_name, "nocallid.pcap") ||
		    name_is(de->d_name, "a___b-x.pcap") ||
		    name_is(de->d_name, ".._.._etc_passwd-...pcap"))
			continue;
		/* The long one: cut, sanitized, the tag kept whole. */
		assert_true(strncmp(de->d_name + 16, "_bc_ef_", 7) == 0);
		assert_true(n > 150);
		snprintf(want, sizeof(want), "-tag_with_bad.pcap");
		assert_string_equal(de->d_name + n - strlen(want), want);
		assert_null(strchr(de->d_name, '/'));
		nlong++;
	}
	closedir(dp);
	assert_int_equal(ndup, 2);
	assert_int_equal(nlong, 1);
	/* Same second: the second one got "-2". */
	if (strcmp(stamp[0], stamp[1]) == 0)
		find_file(&d, "-dup-t-2.pcap", path, sizeof(path));
	/* An empty call still leaves a valid pcap file. */
	find_file(&d, "-nocallid.pcap", path, sizeof(path));
	assert_non_null(p = pcap_open_offline(path, err));
	assert_int_equal(pcap_datalink(p), DLT_RAW);
	pcap_close(p);
	tdir_remove(&d);
}

static void
test_start_errors(void **state)
{
	char err[256];
	struct tdir d;
	int fd;

	(void)state;
	tdir_make(&d);
	assert_null(recorder_start("/nonexistent/rec", 1, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	assert_null(recorder_start(d.path, 0, 0, err, sizeof(err)));
	assert_null(recorder_start(d.path, 1, (size_t)1 << 31, err, sizeof(err)));
	assert_non_null(strstr(err, "at most"));
	assert_true((fd = open("/tmp/test_record.notdir", O_CREAT | O_WRONLY, 0600)) >= 0);
	close(fd);
	assert_null(recorder_start("/tmp/test_record.notdir", 1, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "not a directory"));
	assert_int_equal(unlink("/tmp/test_record.notdir"), 0);
	recorder_stop(NULL);
	tdir_remove(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_ring_laps),
		cmocka_unit_test_teardown(test_write_error_fsize, disk_teardown),
		cmocka_unit_test_teardown(test_write_error_enospc, disk_teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_start_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
