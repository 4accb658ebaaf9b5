/*
 * addr.c - endpoint helpers. Pure: no sockets are opened here.
 */
#include "lib/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
addr_clear(struct addr *a)
{
	memset(a, 0, sizeof(*a));
}

bool
addr_is_set(const struct addr *a)
{
	return a->len != 0;
}

int
addr_family(const struct addr *a)
{
	return a->len ? a->u.sa.sa_family : AF_UNSPEC;
}

void
addr_from_sockaddr(struct addr *a, const struct sockaddr *sa, socklen_t len)
{
	addr_clear(a);
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(&a->u.sin, sa, sizeof(struct sockaddr_in));
		a->len = sizeof(struct sockaddr_in);
	} else if (sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		memcpy(&a->u.sin6, sa, sizeof(struct sockaddr_in6));
		a->len = sizeof(struct sockaddr_in6);
	}
}

int
addr_parse(struct addr *a, const char *host, uint16_t port, int family)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	addr_clear(a);
	/* Accept "[v6]" as well as bare v6. */
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (family != AF_INET6 &&
	    inet_pton(AF_INET, host, &a->u.sin.sin_addr) == 1) {
		a->u.sin.sin_family = AF_INET;
		a->u.sin.sin_port = htons(port);
		a->len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (family != AF_INET &&
	    inet_pton(AF_INET6, host, &a->u.sin6.sin6_addr) == 1) {
		a->u.sin6.sin6_family = AF_INET6;
		a->u.sin6.sin6_port = htons(port);
		a->len = sizeof(struct sockaddr_in6);
		return 0;
	}
	addr_clear(a);
	return -1;
}

int
addr_parse_hostport(struct addr *a, const char *s, uint16_t defport, int family)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *end;
	unsigned long port = defport;
	char *ep;
	size_t hl;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return -1;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		hl = (size_t)(end + 1 - s);
	} else {
		colon = strrchr(s, ':');
		/* More than one colon and no brackets: a bare IPv6 address. */
		if (colon != NULL && strchr(s, ':') != colon)
			colon = NULL;
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (colon != NULL) {
		port = strtoul(colon + 1, &ep, 10);
		if (colon[1] == '\0' || *ep != '\0' || port > 65535)
			return -1;
	}
	return addr_parse(a, host, (uint16_t)port, family);
}

uint16_t
addr_port(const struct addr *a)
{
	switch (addr_family(a)) {
	case AF_INET:
		return ntohs(a->u.sin.sin_port);
	case AF_INET6:
		return ntohs(a->u.sin6.sin6_port);
	}
	return 0;
}

void
addr_set_port(struct addr *a, uint16_t port)
{
	switch (addr_family(a)) {
	case AF_INET:
		a->u.sin.sin_port = htons(port);
		break;
	case AF_INET6:
		a->u.sin6.sin6_port = htons(port);
		break;
	}
}

bool
addr_same_ip(const struct addr *a, const struct addr *b)
{
	if (addr_family(a) != addr_family(b))
		return false;
	switch (addr_family(a)) {
	case AF_INET:
		return a->u.sin.sin_addr.s_addr == b->u.sin.sin_addr.s_addr;
	case AF_INET6:
		return memcmp(&a->u.sin6.sin6_addr, &b->u.sin6.sin6_addr,
		    sizeof(struct in6_addr)) == 0;
	}
	return false;
}

bool
addr_equal(const struct addr *a, const struct addr *b)
{
	return addr_same_ip(a, b) && addr_port(a) == addr_port(b);
}

bool
addr_is_any(const struct addr *a)
{
	switch (addr_family(a)) {
	case AF_INET:
		return a->u.sin.sin_addr.s_addr == htonl(INADDR_ANY);
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.sin6.sin6_addr);
	}
	return false;
}

bool
addr_is_private(const struct addr *a)
{
	uint32_t ip;
	const uint8_t *b;

	switch (addr_family(a)) {
	case AF_INET:
		ip = ntohl(a->u.sin.sin_addr.s_addr);
		return (ip >> 24) == 10 ||		/* 10/8 */
		    (ip >> 20) == 0xac1 ||		/* 172.16/12 */
		    (ip >> 16) == 0xc0a8 ||		/* 192.168/16 */
		    (ip >> 22) == (100u << 2 | 1) ||	/* 100.64/10 */
		    (ip >> 16) == 0xa9fe;		/* 169.254/16 */
	case AF_INET6:
		b = a->u.sin6.sin6_addr.s6_addr;
		return (b[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
		    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);	/* fe80::/10 */
	}
	return false;
}

const char *
addr_ip_str(const struct addr *a, char *buf, size_t len)
{
	const void *src = NULL;

	if (addr_family(a) == AF_INET)
		src = &a->u.sin.sin_addr;
	else if (addr_family(a) == AF_INET6)
		src = &a->u.sin6.sin6_addr;
	if (src == NULL || inet_ntop(addr_family(a), src, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

const char *
addr_str(const struct addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!addr_is_set(a)) {
		snprintf(buf, len, "-");
		return buf;
	}
	addr_ip_str(a, ip, sizeof(ip));
	if (addr_family(a) == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, addr_port(a));
	else
		snprintf(buf, len, "%s:%u", ip, addr_port(a));
	return buf;
}
