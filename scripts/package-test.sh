#!/bin/sh
# Build the Debian packages (debian/) from a copy of this tree, install them
# with apt as an operator would, check what they installed, purge them and
# check that nothing is left: the machine ends as it started. Run by
# scripts/test.sh; as root, on a machine where rtproam is not installed
# from a package already (it is never touched then: the script skips).
#
# The unit is never started here: without systemd as PID 1 the maintainer
# scripts do not start it, and a policy-rc.d that forbids it is in place
# where systemd runs (as in scripts/deps.sh). The daemon itself is started
# once, with the shipped /etc/rtproam/rtproam.conf, as the rtproam user and
# without any capability, in a network namespace of its own so that it
# cannot collide with the ports of other tests.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
PKGS="rtproam rtproam-tools"
UNIT=/lib/systemd/system/rtproam.service
CONF=/etc/rtproam/rtproam.conf
WANTS=/etc/systemd/system/multi-user.target.wants/rtproam.service
export DEBIAN_FRONTEND=noninteractive
# A transcript without dpkg's progress meter.
APT="apt-get -o Dpkg::Use-Pty=0"

say() { echo "package-test.sh: $*"; }
fail() { echo "package-test.sh: FAIL: $*" >&2; exit 1; }
# Installed packages (half-installed and config-files count), one a line.
pkgset() {
	dpkg-query -W -f='${Package}:${Architecture} ${db:Status-Status}\n' |
	    awk '$2 != "not-installed" { print $1 }' | sort
}

if [ "$(id -u)" -ne 0 ]; then
	fail "run as root (apt-get)"
fi
for p in $PKGS; do
	if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
	    grep -qv '^not-installed$'; then
		say "SKIPPED: $p is installed on this machine; not touching it"
		exit 0
	fi
done
# Purge deletes the rtproam user: one that was here before is not ours.
if getent passwd rtproam >/dev/null || getent group rtproam >/dev/null; then
	say "SKIPPED: a user or group rtproam exists already; not touching it"
	exit 0
fi

tmp=$(mktemp -d /tmp/rtproam-package.XXXXXX)
installed=no
policy=no
cleanup() {
	if [ "$installed" = yes ]; then
		# A failed check must not leave the packages behind either.
		$APT purge -y -qq $PKGS >/dev/null 2>&1 || true
	fi
	if [ "$policy" = yes ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	policy=yes
fi
pkgset > "$tmp/before.pkgs"

# --- build, in a copy: the checkout stays clean ---------------------------
# The files git knows plus new ones not ignored (the tree under test, built
# directories left out); a tarball without .git is copied as it is.
mkdir "$tmp/src"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z --cached --others --exclude-standard |
	    (cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$tmp/src"
else
	(cd "$src" && tar --exclude='./build*' --exclude='./obj-*' -cf - .) |
	    tar -xf - -C "$tmp/src"
fi
say "building the packages (dpkg-buildpackage -us -uc -b) in $tmp/src"
if ! (cd "$tmp/src" && DEB_BUILD_OPTIONS="parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b) > "$tmp/build.log" 2>&1; then
	tail -n 60 "$tmp/build.log" >&2
	fail "dpkg-buildpackage failed (last lines above)"
fi
grep -E '^dpkg-deb: building|tests passed' "$tmp/build.log" || true
nwarn=$(grep -c 'warning:' "$tmp/build.log" || true)
say "compiler warnings in the package build: $nwarn"
version=$(cd "$tmp/src" && dpkg-parsechangelog -SVersion)
upstream=${version%%-*}

# --- install --------------------------------------------------------------
say "apt-get install ./rtproam_${version}_*.deb ./rtproam-tools_${version}_*.deb"
installed=yes
(cd "$tmp" && $APT install -y ./rtproam_"$version"_*.deb \
    ./rtproam-tools_"$version"_*.deb)

for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$p")
	[ "$st" = "ii $version" ] || fail "$p: dpkg status '$st', want 'ii $version'"
done
dpkg -L $PKGS | sort -u > "$tmp/files"

out=$(rtproam --version)
[ "$out" = "rtproam $upstream" ] ||
    fail "rtproam --version says '$out', debian/changelog '$upstream'"
say "rtproam --version: $out"
[ "$(command -v rtproam)" = /usr/sbin/rtproam ] || fail "rtproam is not /usr/sbin/rtproam"
# The fast path is built in (debian/rules): the binary links libbpf and
# its package depends on it.
ldd /usr/sbin/rtproam | grep -q 'libbpf\.so' || fail "rtproam is built without the eBPF fast path"
dpkg -s rtproam | grep -q '^Depends:.*libbpf' || fail "rtproam does not depend on libbpf"
say "eBPF fast path built in: $(ldd /usr/sbin/rtproam | grep -o 'libbpf\.so[.0-9]*')"
voipcalc --codec g711 --ptime 20 | grep -q '87\.2' || fail "voipcalc does not run"
for t in rtproam-ctl rtproam-sim; do
	"$t" --help >/dev/null || fail "$t --help failed"
done
man -w rtproam >/dev/null || fail "man rtproam finds no page"
# The tools' pages ship in rtproam-tools, compressed by dh_compress.
for t in rtproam-ctl rtproam-sim voipcalc; do
	page=/usr/share/man/man1/$t.1.gz
	[ -f "$page" ] || fail "$page not installed"
	[ "$(man -w "$t")" = "$page" ] || fail "man $t finds '$(man -w "$t" 2>&1)', not $page"
done
say "man pages: rtproam(8), rtproam-ctl(1), rtproam-sim(1), voipcalc(1)"

# Without --man=no: verify also checks that man:rtproam(8) resolves.
out=$(systemd-analyze verify "$UNIT" 2>&1) || fail "systemd-analyze verify: $out"
if echo "$out" | grep -q rtproam; then
	fail "systemd-analyze verify warns: $out"
fi
say "systemd-analyze verify $UNIT: clean"
[ -L "$WANTS" ] || fail "the unit is not enabled ($WANTS missing)"
for exe in /proc/[0-9]*/exe; do
	if [ "$(readlink "$exe" 2>/dev/null)" = /usr/sbin/rtproam ]; then
		fail "rtproam was started during install (${exe%/exe})"
	fi
done

ent=$(getent passwd rtproam) || fail "no rtproam user"
say "user: $ent"
uid=$(echo "$ent" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "rtproam is not a system user (uid $uid)"
case "$ent" in
*:/nonexistent:/usr/sbin/nologin) ;;
*) fail "rtproam user has a home or a shell: $ent" ;;
esac
getent group rtproam >/dev/null || fail "no rtproam group"
[ -f "$CONF" ] || fail "$CONF not installed"
dpkg-query -W -f='${Conffiles}\n' rtproam | grep -q " $CONF " ||
    fail "$CONF is not a conffile of rtproam"
say "conffile: $CONF"

# The shipped configuration starts a working relay as the service would run
# it: user rtproam, no capability, no new privileges.
# shellcheck disable=SC2016 # the inner script expands its own variables
unshare -n sh -eu -c '
	ip link set lo up
	setpriv --reuid=rtproam --regid=rtproam --clear-groups --no-new-privs \
	    --inh-caps=-all --bounding-set=-all \
	    /usr/sbin/rtproam -f -c "$2" 2>"$1" &
	pid=$!
	ok=no
	for i in 1 2 3 4 5 6 7 8 9 10; do
		if reply=$(rtproam-ctl -s udp:127.0.0.1:22222 raw V 2>/dev/null); then
			ok=yes
			break
		fi
		sleep 0.5
	done
	info=$(rtproam-ctl -s udp:127.0.0.1:22222 info 2>&1) || ok=no
	kill "$pid"
	wait "$pid" || true
	[ "$ok" = yes ] && [ "$reply" = 20040107 ] || { cat "$1" >&2; exit 1; }
	sed "s/^/  rtproam: /" "$1"
	echo "package-test.sh: relay on the shipped config answers V: $reply"
	echo "$info" | head -n 3 | sed "s/^/  rtproam-ctl info: /"
' sh "$tmp/daemon.log" "$CONF" || fail "rtproam does not start with $CONF"

# --- purge ----------------------------------------------------------------
say "apt-get purge $PKGS"
$APT purge -y $PKGS
installed=no

for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || echo not-installed)
	[ "$st" = not-installed ] || fail "$p is still known to dpkg: $st"
done
while read -r f; do
	if [ -e "$f" ] && [ ! -d "$f" ]; then
		fail "$f is left after purge"
	fi
done < "$tmp/files"
for f in /etc/rtproam "$WANTS" /var/lib/rtproam /var/lib/private/rtproam \
    /var/lib/systemd/deb-systemd-helper-enabled/rtproam.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/rtproam.service; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		fail "$f is left after purge"
	fi
done
if getent passwd rtproam >/dev/null || getent group rtproam >/dev/null; then
	fail "the rtproam user or group is left after purge"
fi

# Dependencies apt had to pull in for the packages go too.
pkgset > "$tmp/after.pkgs"
extra=$(comm -13 "$tmp/before.pkgs" "$tmp/after.pkgs")
if [ -n "$extra" ]; then
	say "purging what the install pulled in: $extra"
	$APT purge -y -qq $extra >/dev/null
fi
pkgset > "$tmp/after.pkgs"
if ! cmp -s "$tmp/before.pkgs" "$tmp/after.pkgs"; then
	diff "$tmp/before.pkgs" "$tmp/after.pkgs" >&2 || true
	fail "the installed package set differs from before"
fi
say "purged: no file, unit link, user or package left; package set as before"
say "OK"
