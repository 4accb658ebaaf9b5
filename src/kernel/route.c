/*
 * route.c - which interface the kernel routes a destination through
 * (fastpath_route_ifindex()): one RTM_GETROUTE request over rtnetlink.
 * The program redirects to that interface; the neighbour lookup there
 * fills the link-layer header, as the socket path's send would.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "kernel/fastpath.h"

struct route_req {
	struct nlmsghdr	 nh;
	struct rtmsg	 rt;
	char		 attrs[64];
};

static void
add_attr(struct route_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static unsigned
parse_oif(const char *buf, ssize_t n, uint32_t seq)
{
	const struct nlmsghdr *nh;
	const struct rtattr *a;
	unsigned len, oif = 0;

	for (nh = (const struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
	    nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_seq != seq || nh->nlmsg_type != RTM_NEWROUTE)
			continue;
		len = (unsigned)RTM_PAYLOAD(nh);
		for (a = RTM_RTA(NLMSG_DATA(nh)); RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == RTA_OIF &&
			    RTA_PAYLOAD(a) >= sizeof(uint32_t))
				memcpy(&oif, RTA_DATA(a), sizeof(oif));
	}
	return oif;
}

unsigned
fastpath_route_ifindex(const struct addr *dst)
{
	static const uint32_t seq = 1;
	struct route_req req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 1 };
	char buf[4096];
	ssize_t n;
	unsigned oif = 0;
	int fd, family = addr_family(dst);

	if (!addr_is_set(dst) || (family != AF_INET && family != AF_INET6))
		return 0;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.rt.rtm_family = (unsigned char)family;
	if (family == AF_INET) {
		req.rt.rtm_dst_len = 32;
		add_attr(&req, RTA_DST, &dst->u.sin.sin_addr, 4);
	} else {
		req.rt.rtm_dst_len = 128;
		add_attr(&req, RTA_DST, &dst->u.sin6.sin6_addr, 16);
	}
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
		return 0;
	/* Bounded: the kernel answers at once, but never wait forever. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) == (ssize_t)req.nh.nlmsg_len &&
	    (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		oif = parse_oif(buf, n, seq);
	close(fd);
	return oif;
}
