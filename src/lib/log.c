/*
 * log.c - logging. One mutex serialises lines from the control thread and
 * the workers; workers log only on rare events (switches, call ends).
 */
#include "lib/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level	 log_level = LOG_LVL_INFO;
static FILE		*log_file;	/* NULL: stderr */
static char		*log_path;	/* set when logging to a file */
static bool		 log_syslog;

static const char *const level_names[] = { "err", "warn", "notice", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	/* rtpproxy's -d takes syslog-style names too. */
	if (strcmp(s, "DBUG") == 0 || strcmp(s, "DEBUG") == 0)
		return LOG_LVL_DEBUG;
	if (strcmp(s, "INFO") == 0)
		return LOG_LVL_INFO;
	if (strcmp(s, "WARN") == 0)
		return LOG_LVL_WARN;
	if (strcmp(s, "ERR") == 0 || strcmp(s, "CRIT") == 0)
		return LOG_LVL_ERR;
	if (s[0] >= '0' && s[0] <= '4' && s[1] == '\0')
		return s[0] - '0';
	return -1;
}

int
log_open(const char *target, enum log_level level)
{
	FILE *f;

	log_level = level;
	if (target == NULL || strcmp(target, "stderr") == 0)
		return 0;
	if (strcmp(target, "syslog") == 0) {
		openlog("rtproam", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = true;
		return 0;
	}
	if ((f = fopen(target, "a")) == NULL)
		return -1;
	setvbuf(f, NULL, _IOLBF, 0);
	free(log_path);
	if ((log_path = strdup(target)) == NULL) {
		fclose(f);
		return -1;
	}
	log_file = f;
	return 0;
}

void
log_reopen(void)
{
	FILE *f;

	if (log_path == NULL)
		return;
	pthread_mutex_lock(&log_lock);
	if ((f = fopen(log_path, "a")) != NULL) {
		setvbuf(f, NULL, _IOLBF, 0);
		fclose(log_file);
		log_file = f;
	}
	pthread_mutex_unlock(&log_lock);
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void	log_vmsg(enum log_level level, const char *fmt, va_list ap)
		    __attribute__((format(printf, 2, 0)));

static void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	FILE *out;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_syslog) {
		syslog(syslog_prio[level], "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	out = log_file ? log_file : stderr;
	fprintf(out, "%s.%03ld %-6s %s\n", stamp, ts.tv_nsec / 1000000,
	    level_names[level], line);
	pthread_mutex_unlock(&log_lock);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void
log_ratelimited(struct log_limit *lim, unsigned burst, enum log_level level,
    const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((uint64_t)ts.tv_sec != lim->window_s) {
		if (lim->suppressed > 0)
			log_msg(level, "(%u similar messages suppressed)", lim->suppressed);
		lim->window_s = (uint64_t)ts.tv_sec;
		lim->used = 0;
		lim->suppressed = 0;
	}
	if (lim->used >= burst) {
		lim->suppressed++;
		return;
	}
	lim->used++;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
