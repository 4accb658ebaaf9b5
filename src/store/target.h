/*
 * target.h - where Redis is: the --redis URL, parsed. Pure.
 *
 *   redis://[USER@]HOST:PORT[/DB]   HOST numeric (no resolver call may
 *                                   block the loop), or "localhost"
 *   unix:/PATH[?db=N]
 *
 * A password is never part of the URL (argv is world-readable): it comes
 * from --redis-password-file or RTPROAM_REDIS_PASSWORD.
 */
#ifndef RTPROAM_STORE_TARGET_H
#define RTPROAM_STORE_TARGET_H

#include <stddef.h>
#include <stdint.h>

struct store_target {
	char		 host[64];	/* numeric IP; "" for a unix socket */
	uint16_t	 port;
	char		 path[108];	/* unix socket, or "" */
	char		 user[64];	/* ACL user, or "" (AUTH with the password alone) */
	unsigned	 db;
};

int	store_target_parse(const char *url, struct store_target *t, char *err,
	    size_t errlen);
/* "127.0.0.1:6379/0" or "unix:/run/redis.sock/0", for logs and `ha`. */
void	store_target_str(const struct store_target *t, char *buf, size_t len);

#endif
