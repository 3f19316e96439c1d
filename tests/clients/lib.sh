# Shared by the client scenarios (sourced, not run): start and stop a real
# dpsim, record checks, print the summary.
#
# A scenario sets SCENARIO, sources this file, calls dpsim_start, runs its
# checks with check_eq / check_match / pass / fail, and ends with finish.

set -u

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLIENTS_DIR/../.." && pwd)
PASSED=0
FAILED=0
DPSIM_PID=
DPSIM_URL=
DPSIM_PORT=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dpsim-clients.XXXXXX")

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

# Exit 77 (meson's "skipped") when a client the scenario needs is absent.
skip() {
	echo "SKIP: $*"
	exit 77
}

pass() {
	PASSED=$((PASSED + 1))
	echo "ok - $*"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL - $*"
}

# check_eq WHAT GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1: $2"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# check_match WHAT TEXT EXTENDED-REGEX
check_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1: /$3/ not found in: $(printf '%s' "$2" | head -c 600)"
	fi
}

# The dpsim binary: $DPSIM_BIN, else the first argument, else the default
# build directory.
dpsim_bin() {
	local b=${DPSIM_BIN:-${1:-$REPO_ROOT/build/simulator/dpsim}}
	[ -x "$b" ] || { echo "dpsim not found at $b (set DPSIM_BIN)" >&2; exit 1; }
	printf '%s' "$b"
}

# dpsim_start BIN [OPTION]...: runs dpsim on a free loopback port with an
# in-memory database and waits for its ready line (no fixed sleep: read
# blocks until dpsim writes it, bounded by a timeout). DPSIM_WRAPPER (the
# valgrind test setup sets it) runs dpsim under that command.
dpsim_start() {
	local bin=$1 line wait_s=15
	shift
	local fifo=$WORK/dpsim.stdout
	local -a wrapper=()
	if [ -n "${DPSIM_WRAPPER:-}" ]; then
		read -r -a wrapper <<<"$DPSIM_WRAPPER"
		wait_s=90
	fi
	mkfifo "$fifo"
	"${wrapper[@]}" "$bin" --listen 127.0.0.1:0 --port-file "$WORK/port" \
		--db :memory: --log-level warn "$@" >"$fifo" 2>"$WORK/dpsim.stderr" &
	DPSIM_PID=$!
	exec {DPSIM_OUT}<"$fifo"
	while :; do
		if ! IFS= read -r -t "$wait_s" -u "$DPSIM_OUT" line; then
			echo "dpsim did not become ready within ${wait_s}s" >&2
			cat "$WORK/dpsim.stderr" >&2
			exit 1
		fi
		case $line in
		# "dpsim ready HTTP-URL [HTTPS-URL]": plain HTTP comes first.
		"dpsim ready "*) DPSIM_URL=${line#dpsim ready }; DPSIM_URL=${DPSIM_URL%% *}; break ;;
		esac
	done
	DPSIM_PORT=${DPSIM_URL##*:}
	DPSIM_PORT=${DPSIM_PORT%%/*}
	echo "# dpsim (pid $DPSIM_PID) ready at $DPSIM_URL"
	# The port file is written before the ready line.
	check_eq "--port-file names the port of the ready line" \
		"$(tr -d '[:space:]' <"$WORK/port" 2>/dev/null)" "$DPSIM_PORT"
}

# SIGTERM lets requests in flight finish; dpsim must then exit 0.
dpsim_stop() {
	[ -n "$DPSIM_PID" ] || return 0
	kill -TERM "$DPSIM_PID"
	local st=0
	wait "$DPSIM_PID" || st=$?
	DPSIM_PID=
	exec {DPSIM_OUT}<&-
	check_eq "dpsim exit status after SIGTERM" "$st" 0
	if [ "$st" -ne 0 ]; then
		cat "$WORK/dpsim.stderr" >&2
	fi
}

# Prints the closing line test runners look for and exits 1 on any failure.
finish() {
	echo "${SCENARIO:-clients}: $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
	exit $?
}

# xpath FILE EXPR: the string value of an XPath 1.0 expression
# (xmllint, so local-name() tests stand in for prefixes).
xpath() {
	xmllint --xpath "$2" "$1" 2>/dev/null
}
