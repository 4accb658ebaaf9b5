#!/bin/sh
# Install what rtproam needs to build, run and test, from Debian 12 only.
# rtpengine-daemon is a test peer: the ng tests run every scenario against
# rtpengine 10.5 too (side by side), started by the tests, never as a service.
# debhelper, dpkg-dev and fakeroot build the Debian packages (debian/,
# scripts/package-test.sh).
# libhiredis-dev: --redis (src/store/); redis-server: tests/integration/test_redis.py
# starts its own (never the service).
# baresip-core, nftables and conntrack: the NAT test's phones, NAT router and
# its mid-call mapping flush (tests/e2e/test_baresip_nat.py).
# libbpf-dev and bpftool: the eBPF fast path (src/kernel/; clang-14 compiles
# its program for the BPF target, linux-libc-dev gives its uapi headers).
# groff-base: the unit test unit.manpages renders the man pages with groff -ww.
set -eu
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root (apt-get)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not try to start services (kamailio) on a test box.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential cmake pkg-config \
	debhelper dpkg-dev fakeroot \
	libcmocka-dev libpcap-dev libmicrohttpd-dev libinih-dev libjson-c-dev \
	libhiredis-dev redis-server \
	curl \
	python3 python3-pytest \
	kamailio sip-tester baresip-core \
	rtpengine-daemon \
	clang-14 libclang-rt-14-dev llvm-14 \
	libbpf-dev bpftool linux-libc-dev \
	man-db groff-base systemd \
	tcpdump procps iproute2 nftables conntrack >/dev/null
echo "deps.sh: dependencies installed"
