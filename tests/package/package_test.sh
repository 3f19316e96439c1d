#!/usr/bin/env bash
# The Debian package (issue 17, item 3), end to end:
#
#  1. dpkg-buildpackage -b -us -uc in a copy of the source tree (the .debs
#     land in the copy's parent, a scratch directory; the checkout and its
#     build directories are not touched), then lists the compiler and
#     dpkg-gensymbols warnings of the build log;
#  2. lintian on the .changes: no error (warnings and info are listed);
#  3. "installs" the three packages with dpkg-deb -x into a scratch root
#     and runs them from there with LD_LIBRARY_PATH. What that checks and
#     what it does not: the files, paths and links the packages hold, and
#     that their binaries run against the libraries the test machine has.
#     Not dpkg's dependency resolution nor the maintainer scripts, except
#     the one that matters, systemd-sysusers on the package's sysusers.d
#     file (run with --root on the scratch root); not the unit under a
#     running systemd (the test machines have none), but systemd-analyze
#     verify and security on the unit file as shipped, ExecStart pointed
#     at the scratch root. Nothing is written outside the scratch
#     directory, which is removed at the end (KEEP_WORK=1 keeps it);
#  4. the installed dpsim --version, then the installed dpsim on port 0
#     with its own database and the SetDPMaintenanceMode flow with the
#     installed dpctl (on, read back, off, read back), timing "package
#     install to ready": from the first dpkg-deb -x to dpsim's ready line;
#  5. the example program of libdpclient-dev compiled with
#     `pkg-config --cflags --libs dpclient` from the scratch root
#     (PKG_CONFIG_SYSROOT_DIR), linked against the installed library and
#     run against the installed dpsim;
#  6. SIGTERM: the installed dpsim exits 0.
#
# usage: package_test.sh SOURCE_ROOT VERSION
# Exits 77 (skipped) only when a packaging tool is missing; ./dev.sh test
# installs them.

set -u
SRC=$1
VERSION=$2
PASSED=0
FAILED=0
DPSIM_PID=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dpsim-package.XXXXXX")

cleanup() {
	# Only ever the dpsim this script started, by its pid.
	if [ -n "$DPSIM_PID" ] && kill -0 "$DPSIM_PID" 2>/dev/null; then
		kill -KILL "$DPSIM_PID" 2>/dev/null
		wait "$DPSIM_PID" 2>/dev/null
	fi
	if [ -n "${KEEP_WORK:-}" ]; then
		echo "# scratch directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: got '$2', want '$3'"; fi
}
check_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1: /$3/ not in:"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}
finish() {
	echo "# $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit
}
# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

for tool in dpkg-buildpackage dh lintian fakeroot dpkg-deb pkg-config cc systemd-sysusers systemd-analyze; do
	command -v "$tool" >/dev/null ||
		{ echo "SKIP: $tool is not installed (apt-get install debhelper lintian fakeroot dpkg-dev systemd)"; exit 77; }
done

# 1. Build from a copy: the files git knows (tracked or new, not ignored,
# as they are on disk), or without git everything but build directories.
t0=$(now_ms)
mkdir "$WORK/src"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$SRC" ls-files -z --cached --others --exclude-standard |
		(cd "$SRC" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
		tar -C "$SRC" --null -T - -cf - | tar -C "$WORK/src" -xf -
else
	tar -C "$SRC" --exclude='./build*' --exclude='./obj-*' --exclude=node_modules \
		--exclude='./debian/tmp' -cf - . | tar -C "$WORK/src" -xf -
fi
[ -f "$WORK/src/debian/control" ] || { fail "copy of the tree has debian/control"; finish; }
(cd "$WORK/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -us -uc) > "$WORK/build.log" 2>&1
rc=$?
t1=$(now_ms)
if [ $rc -ne 0 ]; then
	fail "dpkg-buildpackage -b -us -uc exited $rc; the end of its log:"
	tail -60 "$WORK/build.log" | sed 's/^/#   /'
	finish
fi
pass "dpkg-buildpackage -b -us -uc ($(( (t1 - t0) / 1000 )) s, the unit suite included)"
warnings=$(grep -E 'warning:|dpkg-gensymbols: warning' "$WORK/build.log" | sort -u)
if [ -n "$warnings" ]; then
	echo "# warnings of the package build (not errors: debian/rules builds without -Werror):"
	printf '%s\n' "$warnings" | sed 's/^/#   /'
fi

changes="$WORK/dpsim_${VERSION}_$(dpkg --print-architecture).changes"
[ -f "$changes" ] || { fail "no $(basename "$changes")"; finish; }
debs=$(sed -n '/^Files:/,$p' "$changes" | awk 'NF == 5 && $5 ~ /\.deb$/ { print $5 }')
check_eq "packages in the .changes" "$(printf '%s\n' "$debs" | sed 's/_.*//' | LC_ALL=C sort | tr '\n' ' ')" \
	"dpsim dpsim-dbgsym libdpclient-dev libdpclient0 libdpclient0-dbgsym "

# 2. lintian: errors fail the test, the rest is listed.
root_flag=()
[ "$(id -u)" -ne 0 ] || root_flag=(--allow-root)
t0=$(now_ms)
lint=$(lintian "${root_flag[@]}" --display-info "$changes" 2>&1)
t1=$(now_ms)
echo "# lintian ($(( (t1 - t0) / 1000 )) s):"
printf '%s\n' "${lint:-(nothing to say)}" | sed 's/^/#   /'
check_eq "lintian errors" "$(printf '%s\n' "$lint" | grep -c '^E:')" 0

# 3. Install into a scratch root. The clock of "install to ready" starts.
ROOT="$WORK/root"
mkdir "$ROOT"
arch_triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
t_install=$(now_ms)
for p in dpsim libdpclient0 libdpclient-dev; do
	dpkg-deb -x "$WORK/${p}_${VERSION}_$(dpkg --print-architecture).deb" "$ROOT" ||
		fail "dpkg-deb -x $p"
done
export LD_LIBRARY_PATH="$ROOT/usr/lib/$arch_triplet"

for f in usr/bin/dpsim usr/bin/dpctl usr/share/dpsim/lab.xml usr/share/dpsim/fixture.xsd \
	usr/share/man/man1/dpsim.1.gz usr/share/man/man1/dpctl.1.gz etc/default/dpsim \
	lib/systemd/system/dpsim.service usr/lib/sysusers.d/dpsim.conf \
	usr/include/dpclient/dpclient.h usr/include/dpclient/dpc_version.h \
	"usr/lib/$arch_triplet/pkgconfig/dpclient.pc" "usr/lib/$arch_triplet/libdpclient.so" \
	"usr/lib/$arch_triplet/libdpclient.so.0"; do
	if [ -e "$ROOT/$f" ]; then pass "installed /$f"; else fail "not installed: /$f"; fi
done
if cmp -s "$ROOT/usr/share/dpsim/lab.xml" "$SRC/fixtures/lab.xml"; then
	pass "/usr/share/dpsim/lab.xml is the bundled lab"
else
	fail "/usr/share/dpsim/lab.xml differs from fixtures/lab.xml"
fi
check_eq "SONAME of libdpclient" \
	"$(objdump -p "$ROOT/usr/lib/$arch_triplet/libdpclient.so.0" | awk '$1 == "SONAME" { print $2 }')" \
	libdpclient.so.0
stray=$(cd "$ROOT" && find . -path '*test*' -o -path '*bench*' -o -path '*fuzz*' -o -name refserver)
check_eq "nothing of tests, bench or fuzz installed" "$stray" ""

# 4. The installed dpsim and dpctl.
check_eq "installed dpsim --version" "$("$ROOT/usr/bin/dpsim" --version)" "dpsim $VERSION"
check_eq "installed dpctl --version" "$("$ROOT/usr/bin/dpctl" --version | head -1)" "dpctl $VERSION"
ldd_dpctl=$(ldd "$ROOT/usr/bin/dpctl")
check_match "installed dpctl loads the installed libdpclient" "$ldd_dpctl" \
	"libdpclient\.so\.0 => $ROOT/usr/lib/$arch_triplet/libdpclient\.so\.0"

mkfifo -m 600 "$WORK/ready"
"$ROOT/usr/bin/dpsim" --listen 127.0.0.1:0 --db "$WORK/dpsim.db" >"$WORK/ready" 2>"$WORK/dpsim.err" &
DPSIM_PID=$!
exec 3<"$WORK/ready"
if ! IFS= read -r -t 30 -u 3 ready; then
	fail "the installed dpsim printed no ready line in 30 s; its stderr:"
	sed 's/^/#   /' "$WORK/dpsim.err"
	finish
fi
t_ready=$(now_ms)
check_match "installed dpsim's ready line" "$ready" '^dpsim ready http://127\.0\.0\.1:[0-9]+/wsman$'
echo "# package install to ready: $((t_ready - t_install)) ms (dpkg-deb -x of the three packages, exec, ready line)"
set -- $ready
URL=$3

dpctl() { "$ROOT/usr/bin/dpctl" -e "$URL" -u lab -p lab "$@"; }
mode() { dpctl status DP01 --json | sed -n 's/^ *"maintenance_mode": \([0-9]*\).*/\1/p'; }
check_eq "DP01 before" "$(mode)" 0
check_eq "dpctl maintenance on DP01" "$(dpctl maintenance on DP01)" \
	"DP01.contoso.com: maintenance on (was off)"
check_eq "DP01 read back" "$(mode)" 1
check_eq "dpctl sim journal names the call" \
	"$(dpctl sim journal --json | grep -c '"method": *"SetDPMaintenanceMode"' )" 1
check_eq "dpctl maintenance off DP01" "$(dpctl maintenance off DP01)" \
	"DP01.contoso.com: maintenance off (was on)"
check_eq "DP01 read back again" "$(mode)" 0
out=$("$ROOT/usr/bin/dpctl" -e "$URL" -u analyst -p analyst maintenance on DP01 2>&1)
check_match "a Read-only Analyst is refused (exit 1 with the HRESULT)" "$?:$out" \
	'^1:.*WBEM_E_ACCESS_DENIED \(0x80041003\)'
check_eq "DP01 unchanged by the refusal" "$(mode)" 0

# 5. A program against libdpclient-dev, through its pkg-config file.
export PKG_CONFIG_SYSROOT_DIR="$ROOT"
export PKG_CONFIG_LIBDIR="$ROOT/usr/lib/$arch_triplet/pkgconfig:/usr/lib/$arch_triplet/pkgconfig:/usr/share/pkgconfig"
flags=$(pkg-config --cflags --libs dpclient)
check_match "pkg-config --cflags --libs dpclient" "$flags" \
	"-I$ROOT/usr/include/dpclient .*-L$ROOT/usr/lib/$arch_triplet -ldpclient"
check_eq "pkg-config --modversion dpclient" "$(pkg-config --modversion dpclient)" "$VERSION"
example="$ROOT/usr/share/doc/libdpclient-dev/examples/status.c"
# shellcheck disable=SC2086 # the flags are words
if cc -Wall -Wextra -Werror -o "$WORK/status" "$example" $flags 2>"$WORK/cc.err"; then
	pass "the example compiles against libdpclient-dev"
	check_match "the example loads the installed libdpclient" "$(ldd "$WORK/status")" \
		"libdpclient\.so\.0 => $ROOT/usr/lib/$arch_triplet/"
	dpctl maintenance on DP02 >/dev/null 2>&1   # DP02 starts in maintenance; stays on
	check_eq "the example against the installed dpsim" \
		"$(DPCTL_USER=lab DPCTL_PASSWORD=lab "$WORK/status" "$URL" DP02)" \
		"DP02.contoso.com: maintenance mode on"
else
	fail "the example does not compile:"
	sed 's/^/#   /' "$WORK/cc.err"
fi

# 6. SIGTERM ends it cleanly.
kill -TERM "$DPSIM_PID"
wait "$DPSIM_PID"
check_eq "the installed dpsim's exit status after SIGTERM" $? 0
DPSIM_PID=
exec 3<&-

# The system user and the unit, as shipped.
systemd-sysusers --root="$ROOT" dpsim.conf >/dev/null 2>&1
check_eq "systemd-sysusers makes the user dpsim" \
	"$(awk -F: '$1 == "dpsim" { print $6, $7 }' "$ROOT/etc/passwd" 2>/dev/null)" \
	"/var/lib/dpsim /usr/sbin/nologin"
sed "s|/usr/bin/dpsim|$ROOT/usr/bin/dpsim|" "$ROOT/lib/systemd/system/dpsim.service" \
	>"$WORK/dpsim.service"
out=$(systemd-analyze verify --man=no "$WORK/dpsim.service" 2>&1)
check_eq "systemd-analyze verify dpsim.service" "$?:$out" "0:"
out=$(systemd-analyze security --offline=yes --threshold=20 "$WORK/dpsim.service" 2>&1)
rc=$?
check_eq "systemd-analyze security: exposure at most 2.0 ($(printf '%s\n' "$out" |
	sed -n 's/.*Overall exposure level for dpsim.service: \([0-9.]*\).*/\1/p'))" $rc 0
check_match "the unit reads /etc/default/dpsim" "$(cat "$ROOT/lib/systemd/system/dpsim.service")" \
	'^EnvironmentFile=-/etc/default/dpsim$'

finish
