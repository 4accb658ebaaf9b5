/*
 * addr.h - one type for an IPv4 or IPv6 UDP endpoint, and the few
 * operations the relay needs on it (compare, parse, print).
 */
#ifndef RTPROAM_ADDR_H
#define RTPROAM_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/*
 * Sized for IPv4 and IPv6 only (not sockaddr_storage's 128 bytes): a call
 * holds about a dozen of these, and memory per call is a product figure.
 */
struct addr {
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;	/* the largest we need: 28 bytes */
	} u;
	socklen_t len;		/* 0 means "no address" */
};

/* Long enough for "[v6]:port" with a scope. */
#define ADDR_STRLEN 64

void	 addr_clear(struct addr *a);
bool	 addr_is_set(const struct addr *a);
int	 addr_family(const struct addr *a);
/* Set from a sockaddr the kernel gave us (recvmsg, getsockname). */
void	 addr_from_sockaddr(struct addr *a, const struct sockaddr *sa, socklen_t len);
/*
 * Parse a numeric host ("192.0.2.1", "2001:db8::1", "[::1]") and a port.
 * family is AF_INET, AF_INET6 or AF_UNSPEC (either). Returns 0 or -1.
 * No DNS: the relay never blocks on a resolver.
 */
int	 addr_parse(struct addr *a, const char *host, uint16_t port, int family);
/* "host:port", "[v6]:port", "host" (port = defport). Returns 0 or -1. */
int	 addr_parse_hostport(struct addr *a, const char *s, uint16_t defport, int family);
uint16_t addr_port(const struct addr *a);
void	 addr_set_port(struct addr *a, uint16_t port);
/* Same IP and port. */
bool	 addr_equal(const struct addr *a, const struct addr *b);
/* Same IP, any port. */
bool	 addr_same_ip(const struct addr *a, const struct addr *b);
/* 0.0.0.0 or :: (the rtpproxy protocol's "on hold"). */
bool	 addr_is_any(const struct addr *a);
/*
 * An address no packet from the Internet can come from: RFC 1918, CGNAT
 * 100.64/10, link-local, ULA. A signalled address like that was read out
 * of a NATed phone's SDP and says nothing about where its media arrives from.
 */
bool	 addr_is_private(const struct addr *a);
/* Host only, no port. */
const char *addr_ip_str(const struct addr *a, char *buf, size_t len);
/* "192.0.2.1:4000" or "[2001:db8::1]:4000". */
const char *addr_str(const struct addr *a, char *buf, size_t len);

#endif
