/*
 * record.c - the rings the workers fill and the thread that writes pcap.
 *
 * Ring: a power-of-two byte array with two free-running positions, head
 * (written by the worker) and tail (written by the writer). An entry is a
 * struct rec_entry and its payload, 8-byte aligned, always contiguous: when
 * it does not fit before the end, the worker writes a WRAP marker there and
 * starts again at 0. The worker fills an entry, then publishes it with a
 * release store of head; the writer reads head with acquire, consumes, and
 * gives the space back with a release store of tail. The worker re-reads
 * tail only when its last view of it says the ring is full.
 *
 * The writer sleeps 20 ms when a pass found nothing to do, so a worker
 * never has to wake it. Files reach the writer through two lock-free
 * stacks: new ones (from recorder_open) and, when a ring is too full for a
 * CLOSE entry, ended ones. A pass takes both stacks before it drains the
 * rings, so every packet queued before an end is written before the close.
 *
 * Each packet gets its IPv4 or IPv6 and UDP header built in the entry's
 * room just before the payload, and goes to pcap_dump() from there.
 */
#include "media/proc/record.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/dynlib.h"
#include "lib/log.h"
#include "packet/rtp.h"
#include "lib/clock.h"
#include "media/proc/record_hdr.h"

#define RING_MAX	((size_t)1 << 30)
#define IDLE_SLEEP_MS	20
#define FLUSH_US	1000000u
/* Entries consumed between two tail updates on a long drain. */
#define RELEASE_EVERY	32
#define SNAPLEN		262144
/* A stdio buffer per file: about a second of a G.711 call, both ways. */
#define IOBUF_BYTES	32768
/* callid + tag in a name: 15 (time) + 2 ('-') + 173 + 4 ("-999") + 5 (".pcap"). */
#define IDS_MAX		173
#define TAG_MAX		64
#define SUFFIX_MAX	999
#define SUFFIX_ROOM	sizeof("-999.pcap")

/* libpcap, loaded by recorder_start() (see dynlib.h for why). */
static struct {
	__typeof__(pcap_open_dead)	*open_dead;
	__typeof__(pcap_close)		*close;
	__typeof__(pcap_geterr)		*geterr;
	__typeof__(pcap_dump_fopen)	*dump_fopen;
	__typeof__(pcap_dump)		*dump;
	__typeof__(pcap_dump_flush)	*dump_flush;
	__typeof__(pcap_dump_file)	*dump_file;
	__typeof__(pcap_dump_close)	*dump_close;
} libpcap;

static int
load_libpcap(char *err, size_t errlen)
{
#define PCAP_SYM(f)	{ "pcap_" #f, &libpcap.f }
	static const struct dynlib_sym syms[] = {
		PCAP_SYM(open_dead), PCAP_SYM(close), PCAP_SYM(geterr),
		PCAP_SYM(dump_fopen), PCAP_SYM(dump), PCAP_SYM(dump_flush),
		PCAP_SYM(dump_file), PCAP_SYM(dump_close),
	};
#undef PCAP_SYM

	if (libpcap.open_dead != NULL)
		return 0;
	return dynlib_load(RTPROAM_PCAP_SONAME, syms, sizeof(syms) / sizeof(syms[0]),
	    err, errlen);
}

enum rec_type { REC_PACKET = 1, REC_CLOSE, REC_WRAP };

struct rec_entry {
	uint32_t	 type;
	uint32_t	 len;		/* payload bytes */
	struct record_file *file;
	uint64_t	 wall_us;
	struct addr	 src, dst;
	uint8_t		 room[RECORD_HDR_ROOM];	/* the writer builds the headers here */
	uint8_t		 data[];
};

#define ENTRY_SIZE(len)	((sizeof(struct rec_entry) + (len) + 7) & ~(size_t)7)

/* Every counter has a single writer: relaxed load and store suffice. */
typedef _Atomic uint64_t rcounter;

static inline void
rc_add(rcounter *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

static inline uint64_t
rc_get(rcounter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct record_ring {
	/* The worker's line. */
	_Atomic size_t	 head;
	size_t		 tail_seen;	/* the worker's last view of tail */
	rcounter	 dropped_full;
	rcounter	 dropped_failed;
	/* The writer's line. */
	_Alignas(64) _Atomic size_t tail;
	/* Read-only after the start. */
	_Alignas(64) uint8_t *buf;
	size_t		 mask;
	struct recorder	*rec;
};

enum file_state { F_NEW, F_OPEN, F_FAILED };

struct record_file {
	/* Set once before the handle is shared. */
	struct record_file *next_new;	/* recorder's stack of new files */
	struct record_file *next_end;	/* recorder's stack of ended files */
	/* Read by the worker on every packet; written rarely. */
	_Alignas(64) atomic_bool failed;	/* [writer] the worker stops copying */
	rcounter	 dropped;	/* [worker] ring full */
	/* The writer's. */
	_Alignas(64) struct record_file *prev, *next;	/* recorder's files */
	bool		 adopted;
	enum file_state	 state;
	pcap_dumper_t	*pd;
	char		*iobuf;
	uint64_t	 unflushed_pkts, unflushed_bytes;
	uint64_t	 written_pkts, lost_pkts;
	uint16_t	 ip_id;
	size_t		 stem_len;	/* "<dir>/<time>-<callid>-<tag>" */
	char		 path[];
};

struct recorder {
	char		*dir;
	unsigned	 nrings;
	struct record_ring **rings;
	pcap_t		*pcap;		/* dead handle: link type and snaplen */
	pthread_t	 thread;
	atomic_bool	 stop;
	atomic_bool	 hold;
	_Atomic(struct record_file *) incoming;
	_Atomic(struct record_file *) ended;
	/* The writer's. */
	struct record_file *files;	/* adopted and not finished */
	uint64_t	 last_flush_us;
	rcounter	 packets, bytes, write_errors, files_opened, files_open, files_closed;
};

static void *
zalloc64(size_t size)
{
	void *p;

	size = (size + 63) & ~(size_t)63;
	if ((p = aligned_alloc(64, size)) != NULL)
		memset(p, 0, size);
	return p;
}

/* ---- The worker's side ---- */

/*
 * Room for `need` bytes, wrapping to 0 first when they do not fit before
 * the end. *next is the head to publish once the entry is written.
 */
static struct rec_entry *
ring_reserve(struct record_ring *ring, size_t need, size_t *next)
{
	const uint32_t wrap = REC_WRAP;
	size_t head, idx, pad, cap = ring->mask + 1;

	head = atomic_load_explicit(&ring->head, memory_order_relaxed);
	idx = head & ring->mask;
	pad = cap - idx < need ? cap - idx : 0;
	if (head + pad + need - ring->tail_seen > cap) {
		/* Acquire: the writer is done with what it gave back. */
		ring->tail_seen = atomic_load_explicit(&ring->tail,
		    memory_order_acquire);
		if (head + pad + need - ring->tail_seen > cap)
			return NULL;
	}
	if (pad > 0) {
		/* Entries are 8-aligned, so at least 8 bytes are left here. */
		memcpy(ring->buf + idx, &wrap, sizeof(wrap));
		head += pad;
		idx = 0;
	}
	*next = head + need;
	return (struct rec_entry *)(void *)(ring->buf + idx);
}

bool
record_push(struct record_ring *ring, struct record_file *f, const struct addr *src,
    const struct addr *dst, const uint8_t *payload, size_t len, uint64_t wall_us)
{
	struct rec_entry *e;
	size_t next;

	if (atomic_load_explicit(&f->failed, memory_order_relaxed)) {
		rc_add(&ring->dropped_failed, 1);
		return false;
	}
	if (len > RECORD_MAX_PAYLOAD ||
	    (e = ring_reserve(ring, ENTRY_SIZE(len), &next)) == NULL) {
		rc_add(&ring->dropped_full, 1);
		rc_add(&f->dropped, 1);
		return false;
	}
	e->type = REC_PACKET;
	e->len = (uint32_t)len;
	e->file = f;
	e->wall_us = wall_us;
	e->src = *src;
	e->dst = *dst;
	memcpy(e->data, payload, len);
	atomic_store_explicit(&ring->head, next, memory_order_release);
	return true;
}

void
recorder_end(struct recorder *r, struct record_file *f)
{
	struct record_file *old;

	old = atomic_load_explicit(&r->ended, memory_order_relaxed);
	do {
		f->next_end = old;
	} while (!atomic_compare_exchange_weak_explicit(&r->ended, &old, f,
	    memory_order_release, memory_order_relaxed));
}

void
record_close(struct record_ring *ring, struct record_file *f)
{
	struct rec_entry *e;
	size_t next;

	if ((e = ring_reserve(ring, ENTRY_SIZE(0), &next)) == NULL) {
		/* Full: the writer drains the rings before it ends these. */
		recorder_end(ring->rec, f);
		return;
	}
	e->type = REC_CLOSE;
	e->len = 0;
	e->file = f;
	atomic_store_explicit(&ring->head, next, memory_order_release);
}

/* ---- The control thread's side ---- */

/* Copy n bytes of s, each outside [A-Za-z0-9._-@] as '_'. */
static char *
sanitize(char *p, const char *s, size_t n)
{
	size_t i;
	char c;

	for (i = 0; i < n; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
		    c == '@')
			*p++ = c;
		else
			*p++ = '_';
	}
	return p;
}

struct record_file *
recorder_open(struct recorder *r, const char *callid, const char *tag)
{
	struct record_file *f, *old;
	char stamp[32];
	struct tm tm;
	time_t now;
	size_t dlen, clen, tlen, slen;
	char *p;

	if (callid == NULL || *callid == '\0')
		callid = "nocallid";
	if (tag == NULL)
		tag = "";
	tlen = strnlen(tag, TAG_MAX);
	clen = strnlen(callid, IDS_MAX - tlen);
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if ((slen = strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm)) == 0)
		slen = strlen(strcpy(stamp, "00000000-000000"));
	dlen = strlen(r->dir);
	f = zalloc64(sizeof(*f) + dlen + 1 + slen + 1 + clen + 1 + tlen +
	    SUFFIX_ROOM);
	if (f == NULL)
		return NULL;
	p = f->path;
	memcpy(p, r->dir, dlen);
	p += dlen;
	*p++ = '/';
	memcpy(p, stamp, slen);
	p += slen;
	*p++ = '-';
	p = sanitize(p, callid, clen);
	if (tlen > 0) {
		*p++ = '-';
		p = sanitize(p, tag, tlen);
	}
	*p = '\0';
	f->stem_len = (size_t)(p - f->path);
	atomic_init(&f->failed, false);
	f->state = F_NEW;

	old = atomic_load_explicit(&r->incoming, memory_order_relaxed);
	do {
		f->next_new = old;
	} while (!atomic_compare_exchange_weak_explicit(&r->incoming, &old, f,
	    memory_order_release, memory_order_relaxed));
	return f;
}

/* ---- The writer ---- */

static void
file_fail(struct recorder *r, struct record_file *f, const char *what, int err)
{
	log_warn("recording %s: %s: %s; the rest of this call is not recorded",
	    f->path, what, strerror(err));
	atomic_store_explicit(&f->failed, true, memory_order_relaxed);
	/* What stdio still held is lost, or at best partly on disk. */
	rc_add(&r->write_errors, f->unflushed_pkts);
	f->lost_pkts += f->unflushed_pkts;
	f->unflushed_pkts = f->unflushed_bytes = 0;
	if (f->pd != NULL) {
		libpcap.dump_close(f->pd);
		f->pd = NULL;
		atomic_fetch_sub_explicit(&r->files_open, 1, memory_order_relaxed);
	}
	free(f->iobuf);
	f->iobuf = NULL;
	f->state = F_FAILED;
}

/* Find a free name (O_EXCL), write the pcap header. */
static void
file_create(struct recorder *r, struct record_file *f)
{
	char *suffix = f->path + f->stem_len;
	FILE *fp;
	int fd = -1, n, err;

	for (n = 1; n <= SUFFIX_MAX; n++) {
		if (n == 1)
			snprintf(suffix, SUFFIX_ROOM, ".pcap");
		else
			snprintf(suffix, SUFFIX_ROOM, "-%d.pcap", n);
		fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = errno;
		snprintf(suffix, SUFFIX_ROOM, ".pcap");
		file_fail(r, f, "create", err);
		return;
	}
	if ((f->iobuf = malloc(IOBUF_BYTES)) == NULL ||
	    (fp = fdopen(fd, "wb")) == NULL) {
		err = errno;
		close(fd);
		file_fail(r, f, "create", err);
		return;
	}
	if (setvbuf(fp, f->iobuf, _IOFBF, IOBUF_BYTES) != 0) {
		/* stdio's own buffer does too, with more write calls. */
		free(f->iobuf);
		f->iobuf = NULL;
	}
	errno = 0;
	if ((f->pd = libpcap.dump_fopen(r->pcap, fp)) == NULL) {
		/*
		 * With DLT_RAW only the header write can fail, and libpcap
		 * closes fp then.
		 */
		err = errno != 0 ? errno : EIO;
		log_debug("recording %s: %s", f->path, libpcap.geterr(r->pcap));
		file_fail(r, f, "create", err);
		return;
	}
	f->state = F_OPEN;
	rc_add(&r->files_opened, 1);
	atomic_fetch_add_explicit(&r->files_open, 1, memory_order_relaxed);
	log_info("recording %s", f->path);
}

/* Push stdio's buffer to the kernel; packets count once they are there. */
static void
file_flush(struct recorder *r, struct record_file *f)
{
	if (f->state != F_OPEN)
		return;
	errno = 0;
	if (libpcap.dump_flush(f->pd) != 0 || ferror(libpcap.dump_file(f->pd))) {
		file_fail(r, f, "write", errno != 0 ? errno : EIO);
		return;
	}
	rc_add(&r->packets, f->unflushed_pkts);
	rc_add(&r->bytes, f->unflushed_bytes);
	f->written_pkts += f->unflushed_pkts;
	f->unflushed_pkts = f->unflushed_bytes = 0;
}

/* Take the files recorder_open has made since the last look. */
static bool
adopt_new(struct recorder *r)
{
	struct record_file *list, *rev = NULL, *f;

	list = atomic_exchange_explicit(&r->incoming, NULL, memory_order_acquire);
	if (list == NULL)
		return false;
	/* Newest first: reverse, so that the first asked gets the plain name. */
	while ((f = list) != NULL) {
		list = f->next_new;
		f->next_new = rev;
		rev = f;
	}
	while ((f = rev) != NULL) {
		rev = f->next_new;
		f->prev = NULL;
		f->next = r->files;
		if (r->files != NULL)
			r->files->prev = f;
		r->files = f;
		f->adopted = true;
		file_create(r, f);
	}
	return true;
}

static void
file_finish(struct recorder *r, struct record_file *f)
{
	/*
	 * A file seen in a ring or the ended stack was pushed on the new
	 * stack before: one more look finds it.
	 */
	if (!f->adopted)
		adopt_new(r);
	if (f->state == F_OPEN) {
		file_flush(r, f);
		if (f->state == F_OPEN) {
			libpcap.dump_close(f->pd);
			f->pd = NULL;
			atomic_fetch_sub_explicit(&r->files_open, 1,
			    memory_order_relaxed);
		}
	}
	log_info("recording %s closed: %llu packets, %llu lost to disk errors, "
	    "%llu dropped (ring full)", f->path,
	    (unsigned long long)f->written_pkts,
	    (unsigned long long)f->lost_pkts,
	    (unsigned long long)rc_get(&f->dropped));
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		r->files = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	free(f->iobuf);
	free(f);
	rc_add(&r->files_closed, 1);
}

static void
take_packet(struct recorder *r, struct rec_entry *e)
{
	struct record_file *f = e->file;
	struct pcap_pkthdr h;
	uint8_t *pkt;
	size_t plen;

	if (!f->adopted)
		adopt_new(r);
	if (f->state != F_OPEN) {
		rc_add(&r->write_errors, 1);
		f->lost_pkts++;
		return;
	}
	pkt = record_headers((uint8_t *)e + offsetof(struct rec_entry, data), e->len,
	    &e->src, &e->dst, f->ip_id++, &plen);
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(e->wall_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(e->wall_us % 1000000u);
	h.caplen = h.len = (bpf_u_int32)plen;
	errno = 0;
	libpcap.dump((u_char *)f->pd, &h, pkt);
	f->unflushed_pkts++;
	f->unflushed_bytes += e->len;
	/* pcap_dump() says nothing: stdio's error flag does. */
	if (ferror(libpcap.dump_file(f->pd)))
		file_fail(r, f, "write", errno != 0 ? errno : EIO);
}

static unsigned
drain_ring(struct recorder *r, struct record_ring *ring)
{
	struct rec_entry *e;
	size_t head, tail, idx, size;
	uint32_t type;
	unsigned n = 0;

	head = atomic_load_explicit(&ring->head, memory_order_acquire);
	tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	while (tail != head) {
		idx = tail & ring->mask;
		memcpy(&type, ring->buf + idx, sizeof(type));
		if (type == REC_WRAP) {
			tail += ring->mask + 1 - idx;
			continue;
		}
		e = (struct rec_entry *)(void *)(ring->buf + idx);
		size = ENTRY_SIZE(e->len);
		if (type == REC_PACKET)
			take_packet(r, e);
		else
			file_finish(r, e->file);
		tail += size;
		if (++n % RELEASE_EVERY == 0)
			atomic_store_explicit(&ring->tail, tail,
			    memory_order_release);
	}
	atomic_store_explicit(&ring->tail, tail, memory_order_release);
	return n;
}

/* One look at everything; true when there was something to do. */
static bool
writer_pass(struct recorder *r, bool stopping)
{
	struct record_file *ended, *f;
	bool busy = false;
	uint64_t now;
	unsigned i;

	if (!stopping && atomic_load_explicit(&r->hold, memory_order_relaxed))
		return false;
	busy = adopt_new(r);
	/* Before the rings: what was queued before an end is in them now. */
	ended = atomic_exchange_explicit(&r->ended, NULL, memory_order_acquire);
	for (i = 0; i < r->nrings; i++)
		if (drain_ring(r, r->rings[i]) > 0)
			busy = true;
	while ((f = ended) != NULL) {
		ended = f->next_end;
		file_finish(r, f);
		busy = true;
	}
	now = now_us();
	if (now - r->last_flush_us >= FLUSH_US) {
		for (f = r->files; f != NULL; f = f->next)
			file_flush(r, f);
		r->last_flush_us = now;
	}
	return busy;
}

static void *
writer_main(void *arg)
{
	struct recorder *r = arg;
	struct timespec idle = { 0, IDLE_SLEEP_MS * 1000000L };
	bool stopping, busy;

	r->last_flush_us = now_us();
	for (;;) {
		/* Read before the pass: an idle pass after it saw everything. */
		stopping = atomic_load_explicit(&r->stop, memory_order_acquire);
		busy = writer_pass(r, stopping);
		if (busy)
			continue;
		if (stopping)
			break;
		/* EINTR only shortens the nap. */
		(void)nanosleep(&idle, NULL);
	}
	adopt_new(r);
	while (r->files != NULL)
		file_finish(r, r->files);
	return NULL;
}

/* ---- Start, stop, statistics ---- */

static struct record_ring *
ring_new(struct recorder *r, size_t cap)
{
	struct record_ring *ring;

	if ((ring = zalloc64(sizeof(*ring))) == NULL)
		return NULL;
	/* zalloc64 touches every page: no fault on the relay path later. */
	if ((ring->buf = zalloc64(cap)) == NULL) {
		free(ring);
		return NULL;
	}
	atomic_init(&ring->head, 0);
	atomic_init(&ring->tail, 0);
	ring->mask = cap - 1;
	ring->rec = r;
	return ring;
}

static void
recorder_free(struct recorder *r)
{
	unsigned i;

	if (r->rings != NULL) {
		for (i = 0; i < r->nrings; i++) {
			if (r->rings[i] != NULL)
				free(r->rings[i]->buf);
			free(r->rings[i]);
		}
		free(r->rings);
	}
	if (r->pcap != NULL)
		libpcap.close(r->pcap);
	free(r->dir);
	free(r);
}

static const char *
dir_problem(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return strerror(errno);
	if (!S_ISDIR(st.st_mode))
		return "not a directory";
	return access(dir, W_OK | X_OK) != 0 ? strerror(errno) : NULL;
}

struct recorder *
recorder_start(const char *dir, unsigned nworkers, size_t ring_bytes, char *err,
    size_t errlen)
{
	struct recorder *r;
	const char *why;
	char lib_err[256];
	sigset_t all, old;
	size_t cap, n;
	unsigned i;
	int rc;

	if (nworkers == 0) {
		snprintf(err, errlen, "recording: no workers");
		return NULL;
	}
	if ((why = dir_problem(dir)) != NULL) {
		snprintf(err, errlen, "recording directory %s: %s", dir, why);
		return NULL;
	}
	if (ring_bytes > RING_MAX) {
		snprintf(err, errlen, "recording ring of %zu bytes: at most %zu",
		    ring_bytes, RING_MAX);
		return NULL;
	}
	if (load_libpcap(lib_err, sizeof(lib_err)) != 0) {
		snprintf(err, errlen, "recording: %s", lib_err);
		return NULL;
	}
	for (cap = RECORD_RING_MIN; cap < ring_bytes; cap <<= 1)
		;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->dir = strdup(dir)) == NULL)
		goto nomem;
	/* "dir/" would give "dir//name". */
	for (n = strlen(r->dir); n > 1 && r->dir[n - 1] == '/'; n--)
		r->dir[n - 1] = '\0';
	r->nrings = nworkers;
	atomic_init(&r->stop, false);
	atomic_init(&r->hold, false);
	atomic_init(&r->incoming, NULL);
	atomic_init(&r->ended, NULL);
	if ((r->rings = calloc(nworkers, sizeof(*r->rings))) == NULL)
		goto nomem;
	for (i = 0; i < nworkers; i++)
		if ((r->rings[i] = ring_new(r, cap)) == NULL)
			goto nomem;
	if ((r->pcap = libpcap.open_dead(DLT_RAW, SNAPLEN)) == NULL)
		goto nomem;
	/* A file size limit must be a write error, not the end of the relay. */
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR) {
		snprintf(err, errlen, "recording: SIGXFSZ: %s", strerror(errno));
		goto fail;
	}
	/* Signals are for the main thread's signalfd, not for the writer. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	/* With a valid `how`, pthread_sigmask cannot fail. */
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->thread, NULL, writer_main, r);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "recording: thread: %s", strerror(rc));
		goto fail;
	}
	/* Only a name for ps and top. */
	(void)pthread_setname_np(r->thread, "rtproam-rec");
	log_info("recording to %s: %u rings of %zu KiB", r->dir, nworkers,
	    cap / 1024);
	return r;
nomem:
	snprintf(err, errlen, "recording: out of memory");
fail:
	if (r != NULL)
		recorder_free(r);
	return NULL;
}

void
recorder_stop(struct recorder *r)
{
	struct record_stats st;
	int rc;

	if (r == NULL)
		return;
	atomic_store_explicit(&r->stop, true, memory_order_release);
	if ((rc = pthread_join(r->thread, NULL)) != 0) {
		/* The writer may still run: leak rather than pull memory from it. */
		log_err("recording: join: %s", strerror(rc));
		return;
	}
	recorder_stats(r, &st);
	log_info("recording stopped: %llu packets in %llu files, %llu dropped "
	    "(ring full), %llu lost to disk errors",
	    (unsigned long long)st.packets, (unsigned long long)st.files_opened,
	    (unsigned long long)st.dropped_full,
	    (unsigned long long)st.write_errors);
	recorder_free(r);
}

struct record_ring *
recorder_ring(struct recorder *r, unsigned worker)
{
	return worker < r->nrings ? r->rings[worker] : NULL;
}

void
recorder_stats(struct recorder *r, struct record_stats *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->packets = rc_get(&r->packets);
	out->bytes = rc_get(&r->bytes);
	out->write_errors = rc_get(&r->write_errors);
	out->files_opened = rc_get(&r->files_opened);
	out->files_open = rc_get(&r->files_open);
	out->files_closed = rc_get(&r->files_closed);
	for (i = 0; i < r->nrings; i++) {
		out->dropped_full += rc_get(&r->rings[i]->dropped_full);
		out->write_errors += rc_get(&r->rings[i]->dropped_failed);
	}
}

void
recorder_hold(struct recorder *r, bool hold)
{
	atomic_store_explicit(&r->hold, hold, memory_order_relaxed);
}
