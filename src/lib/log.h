/*
 * log.h - leveled logging to stderr, a file, or syslog.
 *
 * Never called per packet on the fast path except through
 * log_ratelimited(), which a sprayer cannot turn into a disk filler.
 */
#ifndef RTPROAM_LOG_H
#define RTPROAM_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* target: "stderr", "syslog", or a file path. Returns 0 or -1 (errno set). */
int	 log_open(const char *target, enum log_level level);
/* SIGHUP: reopen a log file after rotation. Safe to call from the main loop. */
void	 log_reopen(void);
void	 log_set_level(enum log_level level);
bool	 log_enabled(enum log_level level);
/* "err", "warn", "notice", "info", "debug" or 0..4; -1 if unknown. */
int	 log_level_parse(const char *s);

void	 log_msg(enum log_level level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * At most `burst` lines per second for one call site (pass a static
 * struct); lines beyond that are counted and summarised once.
 */
struct log_limit {
	uint64_t	window_s;
	unsigned	used;
	unsigned	suppressed;
};
void	 log_ratelimited(struct log_limit *lim, unsigned burst, enum log_level level,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...)	log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	do { if (log_enabled(LOG_LVL_DEBUG)) log_msg(LOG_LVL_DEBUG, __VA_ARGS__); } while (0)

#endif
