#!/bin/sh
# Install, build and run rtproam in the foreground with a default setup:
# media on 127.0.0.1 ports 35000-65000, the rtpproxy protocol on
# udp:127.0.0.1:22222 (Kamailio's usual rtpproxy_sock) and rtpengine's ng
# protocol on udp:127.0.0.1:2223 (rtpengine's own example listen-ng).
# Extra arguments go to rtproam.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/src/rtproam -f -F -l 127.0.0.1 -s udp:127.0.0.1:22222 \
	--ng udp:127.0.0.1:2223 "$@"
