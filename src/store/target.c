/*
 * target.c - the --redis URL.
 */
#include "store/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"

#define ERR(...)	do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int
parse_num(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	char buf[16], *ep;

	if (len == 0 || len >= sizeof(buf) || strspn(s, "0123456789") < len)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*out = strtoul(buf, &ep, 10);
	return *out > max ? -1 : 0;
}

static int
parse_unix(const char *s, struct store_target *t, char *err, size_t errlen)
{
	const char *q = strchr(s, '?');
	size_t len = q ? (size_t)(q - s) : strlen(s);
	unsigned long db = 0;

	if (len == 0 || s[0] != '/' || len >= sizeof(t->path))
		ERR("--redis unix: needs an absolute path shorter than %zu bytes",
		    sizeof(t->path));
	memcpy(t->path, s, len);
	t->path[len] = '\0';
	if (q != NULL && (strncmp(q, "?db=", 4) != 0 ||
	    parse_num(q + 4, strlen(q + 4), 15, &db) != 0))
		ERR("--redis: after the path only ?db=0..15: %s", q);
	t->db = (unsigned)db;
	return 0;
}

int
store_target_parse(const char *url, struct store_target *t, char *err, size_t errlen)
{
	const char *s, *at, *colon, *slash;
	unsigned long v;
	struct addr a;
	size_t hlen;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, "unix:", 5) == 0)
		return parse_unix(url + 5, t, err, errlen);
	if (strncmp(url, "redis://", 8) != 0)
		ERR("--redis: redis://[USER@]HOST:PORT[/DB] or unix:/PATH: %s", url);
	s = url + 8;
	if ((at = strchr(s, '@')) != NULL) {
		if (at == s || (size_t)(at - s) >= sizeof(t->user) ||
		    memchr(s, ':', (size_t)(at - s)) != NULL)
			ERR("--redis: a user name, and never a password, before @");
		memcpy(t->user, s, (size_t)(at - s));
		s = at + 1;
	}
	slash = strchr(s, '/');
	if ((colon = strrchr(s, ':')) == NULL || (slash && colon > slash))
		ERR("--redis: HOST:PORT needed: %s", url);
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		s++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(t->host))
		ERR("--redis: bad host: %s", url);
	memcpy(t->host, s, hlen);
	t->host[hlen] = '\0';
	if (strcmp(t->host, "localhost") == 0)
		strcpy(t->host, "127.0.0.1");
	if (addr_parse(&a, t->host, 0, AF_UNSPEC) != 0)
		ERR("--redis: the host must be a numeric address: %s", t->host);
	if (parse_num(colon + 1, slash ? (size_t)(slash - colon - 1) :
	    strlen(colon + 1), 65535, &v) != 0 || v == 0)
		ERR("--redis: bad port: %s", url);
	t->port = (uint16_t)v;
	if (slash != NULL && parse_num(slash + 1, strlen(slash + 1), 15, &v) != 0)
		ERR("--redis: database 0..15 after the port: %s", url);
	t->db = slash ? (unsigned)v : 0;
	return 0;
}

void
store_target_str(const struct store_target *t, char *buf, size_t len)
{
	if (t->path[0])
		snprintf(buf, len, "unix:%s/%u", t->path, t->db);
	else if (strchr(t->host, ':'))
		snprintf(buf, len, "[%s]:%u/%u", t->host, t->port, t->db);
	else
		snprintf(buf, len, "%s:%u/%u", t->host, t->port, t->db);
}
