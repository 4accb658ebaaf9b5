/*
 * notify.h - timeout notifications to the SIP proxy: when a call ends
 * because its media stopped, write its tag and '\n' to a stream socket
 * (unix:PATH or tcp:HOST:PORT). Only targets the operator listed with -n
 * are ever contacted, whatever a controller asks for.
 */
#ifndef RTPROAM_NOTIFY_H
#define RTPROAM_NOTIFY_H

#include <stdbool.h>

#include "config/config.h"

struct notify;

struct notify *notify_new(const struct config *cfg);
void	notify_free(struct notify *n);
bool	notify_permitted(const struct notify *n, const char *target);
/* Best effort: connection errors are logged, retried once, never fatal. */
void	notify_send(struct notify *n, const char *target, const char *tag);

#endif
