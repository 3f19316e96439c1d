#!/usr/bin/env bash
# dpsim developer entry point. On a fresh Debian 12 machine each command
# installs what is missing (apt-get), builds, then does its job.
#
#   ./dev.sh lab [DPSIM-OPTION]...  build and run dpsim on the bundled lab
#                                   (http://127.0.0.1:5985/wsman, lab/lab)
#   ./dev.sh test                   build and run every test: unit,
#                                   integration, third-party clients and
#                                   the dashboard in Chromium; unit and
#                                   integration again under ASan+UBSan and
#                                   under valgrind; then each fuzzer for
#                                   FUZZ_SECONDS (60) seconds
#   ./dev.sh bench                  build and run the benchmark (bench/)
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PKGS=(gcc meson ninja-build pkg-config libmicrohttpd-dev libgnutls28-dev
	libcrypt-dev nettle-dev libkrb5-dev gss-ntlmssp gss-ntlmssp-dev libxml2-dev libsqlite3-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev)
TEST_PKGS=(valgrind curl openssl libxml2-utils python3-winrm python3-xmltodict python3-requests python3-ntlm-auth python3-gssapi wsl
	golang-go golang-github-masterzen-winrm-dev)
BROWSER_PKGS=(chromium)
FUZZ_PKGS=(clang-14 libclang-rt-14-dev llvm-14)
BENCH_PKGS=(wrk)

say() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages that are not installed yet.
need() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build DIR [MESON-OPTION]...: configure once, then compile.
build() {
	local dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$@" >/dev/null
	ninja -C "$dir"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
lab)
	need "${BUILD_PKGS[@]}"
	build build
	say "dpsim on the bundled lab; state in ./dpsim.db; Ctrl-C stops it"
	exec build/simulator/dpsim --listen 127.0.0.1:5985 --db dpsim.db "$@"
	;;
test)
	need "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${BROWSER_PKGS[@]}" "${FUZZ_PKGS[@]}"
	command -v npm >/dev/null || need nodejs npm
	say "installing the browser test driver (playwright-core, from the lock file)"
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
	build build
	say "unit, integration, third-party client and browser tests"
	meson test -C build --print-errorlogs
	say "unit and integration under AddressSanitizer + UndefinedBehaviorSanitizer"
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --suite unit --suite integration --print-errorlogs
	say "unit and integration under valgrind (dpsim included)"
	meson test -C build --setup valgrind --suite unit --suite integration --print-errorlogs
	say "fuzzing each target for ${FUZZ_SECONDS:-60} s"
	[ -f build-fuzz/build.ninja ] || CC=clang-14 meson setup build-fuzz -Dfuzz=true >/dev/null
	ninja -C build-fuzz
	tests/fuzz/run.sh build-fuzz "${FUZZ_SECONDS:-60}"
	;;
bench)
	need "${BUILD_PKGS[@]}" "${BENCH_PKGS[@]}"
	build build
	exec bench/run.sh build
	;;
*)
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
