/*
 * worker.c - a relay thread: its event loop and its message queue.
 * What happens to a packet is in relay.c.
 */
#include "media/worker.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "media/fastpath_sync.h"
#include "media/proc/record.h"
#include "media/relay.h"
#include "media/wqueue.h"

#define MAX_EVENTS 64
/* How often statistics are published for the control thread. */
#define PUBLISH_MS 1000

int
worker_post(struct worker *w, struct wmsg *m)
{
	uint64_t one = 1;

	bool ring;

	m->next = NULL;
	pthread_mutex_lock(&w->lock);
	/*
	 * Ring only for the first message of a batch: the worker reads the
	 * doorbell before it takes the whole queue, so a non-empty queue
	 * always has a ring pending. Set-up bursts then cost one wake-up.
	 */
	ring = w->qhead == NULL;
	if (w->qtail)
		w->qtail->next = m;
	else
		w->qhead = m;
	w->qtail = m;
	pthread_mutex_unlock(&w->lock);
	/*
	 * The message is queued and now belongs to the worker. An eventfd
	 * write only fails with EAGAIN (counter full), and then the doorbell
	 * is already rung.
	 */
	if (ring && write(w->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_err("worker %u: doorbell: %s", w->id, strerror(errno));
	return 0;
}

static struct wmsg *
msg_new(enum wmsg_type type, struct media *media)
{
	struct wmsg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->type = type;
	m->media = media;
	m->asymmetric = -1;
	return m;
}

/* NULL (out of memory) fails; a message once queued belongs to the worker. */
static int
post_msg(struct worker *w, struct wmsg *m)
{
	return m == NULL ? -1 : worker_post(w, m);
}

int
worker_attach(struct worker *w, struct media *m)
{
	return post_msg(w, msg_new(WMSG_ATTACH, m));
}

int
worker_fold(struct worker *w, struct media *m)
{
	return post_msg(w, msg_new(WMSG_FOLD, m));
}

int
worker_signal(struct worker *w, struct media *m, unsigned leg,
    const struct addr *a, const struct pt_set *pts, int asymmetric)
{
	struct wmsg *msg;

	if ((msg = msg_new(WMSG_SIGNAL, m)) == NULL)
		return -1;
	msg->leg = leg;
	msg->asymmetric = asymmetric;
	if (a)
		msg->addr = *a;
	if (pts) {
		msg->pts = *pts;
		msg->set_pts = true;
	}
	return post_msg(w, msg);
}

int
worker_record(struct worker *w, struct media *m, struct record_file *f)
{
	struct wmsg *msg;

	if ((msg = msg_new(WMSG_RECORD, m)) == NULL)
		return -1;
	msg->rec = f;
	return post_msg(w, msg);
}

int
worker_record_close(struct worker *w, struct record_file *f)
{
	struct wmsg *msg;

	if ((msg = msg_new(WMSG_RECORD_CLOSE, NULL)) == NULL)
		return -1;
	msg->rec = f;
	return post_msg(w, msg);
}

int
worker_mediaproc(struct worker *w, struct media *m, unsigned leg, struct mediaproc *mp)
{
	struct wmsg *msg;

	if ((msg = msg_new(WMSG_MEDIAPROC, m)) == NULL)
		return -1;
	msg->leg = leg;
	msg->mp = mp;
	return post_msg(w, msg);
}

int
worker_leg_mode(struct worker *w, struct media *m, unsigned leg,
    const struct leg_mode *mode)
{
	struct wmsg *msg;

	if ((msg = msg_new(WMSG_LEG_MODE, m)) == NULL)
		return -1;
	msg->leg = leg;
	msg->mode = *mode;
	return post_msg(w, msg);
}

int
worker_detach(struct worker *w, struct media *m, const char *reason)
{
	struct wmsg *msg;

	if ((msg = msg_new(WMSG_DETACH, m)) == NULL)
		return -1;
	msg->reason = reason;
	return post_msg(w, msg);
}

static void
poll_stream(struct worker *w, struct stream *s, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(w->epfd, op, s->fd, op == EPOLL_CTL_DEL ? NULL : &ev) != 0)
		log_err("worker %u: epoll_ctl fd %d: %s", w->id, s->fd, strerror(errno));
}

static void
own_media(struct worker *w, struct media *m)
{
	unsigned i;

	m->wprev = NULL;
	m->wnext = w->owned;
	if (w->owned)
		w->owned->wprev = m;
	w->owned = m;
	for (i = 0; i < 2; i++) {
		poll_stream(w, &m->leg[i].rtp, EPOLL_CTL_ADD);
		poll_stream(w, &m->leg[i].rtcp, EPOLL_CTL_ADD);
	}
}

static void
publish_all(struct worker *w)
{
	struct media *m;
	uint64_t us = now_us();

	for (m = w->owned; m; m = m->wnext) {
		fastpath_sync_media(w, m, true, us / 1000u);
		relay_publish(m, us);
	}
}

/*
 * Stop polling m and take it off the owned list. Its memory and sockets
 * stay until finish_batch(): the epoll batch being handled may still hold
 * events that point at its streams (a D and packets for the same call can
 * arrive in one wake-up), and a closed descriptor number could meanwhile
 * be reused by a new call's socket.
 */
static void
retire_media(struct worker *w, struct media *m)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		poll_stream(w, &m->leg[i].rtp, EPOLL_CTL_DEL);
		poll_stream(w, &m->leg[i].rtcp, EPOLL_CTL_DEL);
		timer_cancel(&w->timers, &m->leg[i].timer);
	}
	if (m->wprev)
		m->wprev->wnext = m->wnext;
	else
		w->owned = m->wnext;
	if (m->wnext)
		m->wnext->wprev = m->wprev;
	m->retired = true;
	m->wprev = NULL;
	m->wnext = w->retired;
	w->retired = m;
}

/*
 * The end of a wake-up: no event of its batch is left, so what was retired
 * can be closed and freed. Then answer the flushes: a poster waiting for
 * one wants the ports of the calls it deleted back.
 */
static void
finish_batch(struct worker *w)
{
	struct media *m;
	struct wmsg *f;

	while ((m = w->retired) != NULL) {
		w->retired = m->wnext;
		relay_media_gone(w, m);
		media_destroy(m);
	}
	while ((f = w->flushes) != NULL) {
		w->flushes = f->next;
		pthread_mutex_lock(&f->flush->lock);
		if (--f->flush->pending == 0)
			pthread_cond_signal(&f->flush->done);
		pthread_mutex_unlock(&f->flush->lock);
		free(f);
	}
}

/*
 * Handle up to max queued messages (0: all). Returns true when some are
 * left: the doorbell is then rung again, so the next epoll_wait() returns
 * at once with them and with whatever packets arrived meanwhile.
 */
static bool
handle_messages(struct worker *w, unsigned max)
{
	struct wmsg *m, *next;
	struct leg *leg;
	uint64_t n, one = 1;
	bool left;

	if (read(w->evfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_err("worker %u: doorbell read: %s", w->id, strerror(errno));
	pthread_mutex_lock(&w->lock);
	m = wqueue_take(&w->qhead, &w->qtail, max, &left);
	pthread_mutex_unlock(&w->lock);
	/* Posters ring only an empty queue: the rest needs our own ring. */
	if (left && write(w->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_err("worker %u: doorbell: %s", w->id, strerror(errno));

	for (; m != NULL; m = next) {
		next = m->next;
		/* The latch changes only with the kernel's share folded in. */
		if (m->type == WMSG_SIGNAL || m->type == WMSG_MEDIAPROC ||
		    m->type == WMSG_RECORD || m->type == WMSG_LEG_MODE)
			fastpath_media_gone(w, m->media);
		switch (m->type) {
		case WMSG_ATTACH:
			own_media(w, m->media);
			break;
		case WMSG_SIGNAL:
			relay_apply_signal(w, &m->media->leg[m->leg], &m->addr,
			    m->set_pts ? &m->pts : NULL, m->asymmetric, now_ms());
			break;
		case WMSG_MEDIAPROC:
			leg = &m->media->leg[m->leg];
			timer_cancel(&w->timers, &leg->timer);
			mediaproc_free(leg->mp);
			leg->mp = m->mp;
			break;
		case WMSG_RECORD:
			m->media->rec = m->rec;
			break;
		case WMSG_LEG_MODE:
			m->media->leg[m->leg].mode = m->mode;
			break;
		case WMSG_FOLD:
			fastpath_sync_media(w, m->media, true, now_ms());
			relay_publish(m->media, now_us());
			break;
		case WMSG_RECORD_CLOSE:
			/* The queue is FIFO: every packet for it was pushed before. */
			record_close(w->rec_ring, m->rec);
			break;
		case WMSG_FLUSH:
			/* Answered by finish_batch(), once retired media are closed. */
			m->next = w->flushes;
			w->flushes = m;
			continue;
		case WMSG_DETACH:
			fastpath_media_gone(w, m->media);
			relay_publish(m->media, now_us());
			if (m->media->ended)
				ended_add_final(m->media->ended, m->media);
			media_log_summary(m->media, m->reason, now_ms());
			retire_media(w, m->media);
			break;
		}
		/* Signalling, hold, processing or recording changed: the map follows. */
		if (m->type == WMSG_SIGNAL || m->type == WMSG_MEDIAPROC ||
		    m->type == WMSG_RECORD || m->type == WMSG_LEG_MODE)
			fastpath_sync_media(w, m->media, false, now_ms());
		free(m);
	}
	return left;
}

/* Sleep until the next publication, or the next jitter-buffer release. */
static int
wait_ms(const struct worker *w, uint64_t next_publish)
{
	uint64_t now = now_us(), until = next_publish * 1000u, t;

	if ((t = timer_next(&w->timers)) < until)
		until = t;
	if (until <= now)
		return 0;
	/* Round up: waking a little late beats spinning on 0 ms waits. */
	return (int)((until - now + 999) / 1000);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[MAX_EVENTS];
	struct relay_buffers *rb;
	struct stream *s;
	cpu_set_t set;
	uint64_t next_publish;
	int n, i;
	bool backlog;

	if (w->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
			log_warn("worker %u: cannot pin to cpu %d", w->id, w->cpu);
	}
	if ((rb = relay_buffers_new()) == NULL ||
	    (w->hold_pool = relay_hold_pool_new()) == NULL) {
		log_err("worker %u: out of memory for packet buffers", w->id);
		relay_buffers_free(rb);
		return NULL;
	}
	next_publish = now_ms() + PUBLISH_MS;
	while (!atomic_load(&w->stop)) {
		n = epoll_wait(w->epfd, ev, MAX_EVENTS, wait_ms(w, next_publish));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("worker %u: epoll_wait: %s", w->id, strerror(errno));
			break;
		}
		backlog = false;
		for (i = 0; i < n; i++) {
			s = ev[i].data.ptr;
			if (s == NULL)
				backlog = handle_messages(w, WMSG_SLICE);
			else if (!s->leg->media->retired)
				relay_stream_ready(w, rb, s);
		}
		finish_batch(w);
		relay_timers(w, now_us());
		if (now_ms() >= next_publish) {
			publish_all(w);
			next_publish = now_ms() + PUBLISH_MS;
		}
		/*
		 * More messages wait, so this thread would run on at once. A
		 * thread sharing the core at the same real-time priority (the
		 * control thread when the relay is pinned to one core under
		 * SCHED_RR) would wait for the whole backlog: let it run first.
		 */
		if (backlog)
			sched_yield();
	}
	relay_buffers_free(rb);
	relay_hold_pool_free(w->hold_pool);
	w->hold_pool = NULL;
	return NULL;
}

int
worker_start(struct worker *w, unsigned id, int cpu, struct record_ring *ring)
{
	struct epoll_event ev;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->cpu = cpu;
	w->rec_ring = ring;
	pthread_mutex_init(&w->lock, NULL);
	if ((w->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	if ((w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		close(w->epfd);
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;	/* NULL marks the doorbell */
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0 ||
	    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		close(w->evfd);
		close(w->epfd);
		return -1;
	}
	return 0;
}

void
worker_stop(struct worker *w)
{
	uint64_t one = 1;

	atomic_store(&w->stop, true);
	if (write(w->evfd, &one, sizeof(one)) < 0)
		log_warn("worker %u: doorbell: %s", w->id, strerror(errno));
	pthread_join(w->thread, NULL);
	/* Messages still queued: apply the ones that free memory. */
	(void)handle_messages(w, 0);
	while (w->owned)
		retire_media(w, w->owned);
	finish_batch(w);
	close(w->evfd);
	close(w->epfd);
	timer_heap_free(&w->timers);
	pthread_mutex_destroy(&w->lock);
}

int
workers_flush(struct worker *w, unsigned n, unsigned timeout_ms)
{
	struct flush_wait fw;
	struct wmsg *m;
	struct timespec until;
	unsigned i;
	int rc = 0;

	pthread_mutex_init(&fw.lock, NULL);
	pthread_cond_init(&fw.done, NULL);
	fw.pending = n;
	for (i = 0; i < n; i++) {
		if ((m = msg_new(WMSG_FLUSH, NULL)) != NULL)
			m->flush = &fw;
		if (post_msg(&w[i], m) != 0) {
			/* Not queued: nobody will count it down. */
			pthread_mutex_lock(&fw.lock);
			fw.pending--;
			pthread_mutex_unlock(&fw.lock);
			rc = -1;
		}
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&fw.lock);
	while (fw.pending > 0 && rc == 0)
		if (pthread_cond_timedwait(&fw.done, &fw.lock, &until) != 0)
			rc = -1;
	/* On timeout the workers still hold &fw: wait them out, they are alive. */
	while (fw.pending > 0)
		pthread_cond_wait(&fw.done, &fw.lock);
	pthread_mutex_unlock(&fw.lock);
	pthread_cond_destroy(&fw.done);
	pthread_mutex_destroy(&fw.lock);
	return rc;
}
