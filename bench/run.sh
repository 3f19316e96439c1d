#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR]
#
# Measures dpsim's WS-Man Invoke (SetDPMaintenanceMode) and WQL Enumerate
# with wrk at 1 and 16 connections, next to refserver (bench/refserver.c),
# a libmicrohttpd server that answers every POST with a fixed envelope.
# Both run on this machine, with wrk sharing its cores, so read the dpsim
# rows against the refserver rows rather than as absolute numbers.
#
# Environment:
#   BENCH_SECONDS  length of each measured run (default 10)
#   BENCH_WARMUP   length of each warm-up run (default 2); responses are
#                  checked for content during warm-up only
#   DPSIM          dpsim binary (default BUILD_DIR/simulator/dpsim)
#   BENCH_RAW=1    also print wrk's own output for every measured run
#
# Exit status: 0 when every row ran without errors, 1 otherwise.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

usage() {
	echo "usage: bench/run.sh [BUILD_DIR]   (default: build)" >&2
	exit 2
}

[[ $# -le 1 ]] || usage
[[ ${1:-} != -h && ${1:-} != --help ]] || usage
build=${1:-build}
# Relative to the working directory, else to the source root.
if [[ ! -d $build && $build != /* && -d $root/$build ]]; then
	build=$root/$build
fi

seconds=${BENCH_SECONDS:-10}
warmup=${BENCH_WARMUP:-2}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SECONDS must be a positive integer" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] || { echo "bench: BENCH_WARMUP must be an integer" >&2; exit 2; }

if ! command -v wrk >/dev/null 2>&1; then
	echo "bench: wrk not found; install it with: apt-get install wrk" >&2
	exit 1
fi

refserver=$build/bench/refserver
dpsim=${DPSIM:-$build/simulator/dpsim}
if [[ ! -x $refserver ]]; then
	echo "bench: $refserver not found; build it with: ninja -C $build bench/refserver" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dpsim-bench.XXXXXX")
declare -A pid=()
failed=0

loud() {
	printf '\n!!! %s\n' "$*" >&2
}

# SIGTERM, then wait a bounded time: a server that ignores SIGTERM is a bug
# worth reporting, not a reason to hang.
stop_server() {
	local name=$1 p=${pid[$1]:-} i rc=0

	[[ -n $p ]] || return 0
	unset "pid[$name]"
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < 250; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$p" 2>/dev/null; then
		loud "$name did not exit within 5 s of SIGTERM; killing it"
		kill -KILL "$p" 2>/dev/null || true
		failed=1
	fi
	wait "$p" 2>/dev/null || rc=$?
	if ((rc != 0)); then
		loud "$name exited with status $rc after SIGTERM"
		failed=1
	fi
}

cleanup() {
	local name

	for name in "${!pid[@]}"; do
		stop_server "$name"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME CMD...: run CMD with stdout in $tmp/NAME.out and poll
# (bounded, 10 s) for its "NAME ready http://HOST:PORT/wsman" line.  Sets
# $url.  Returns 1, with the server's stderr shown, if it dies or never
# gets ready.
start_server() {
	local name=$1 line i
	shift

	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid[$name]=$!
	for ((i = 0; i < 500; i++)); do
		# dpsim adds " https://HOST:PORT/wsman" when it serves TLS.
		if line=$(grep -m1 -E "^$name ready http://[^ ]+/wsman( https://[^ ]+/wsman)?\$" \
				"$tmp/$name.out"); then
			url=${line#"$name ready "}
			url=${url%% *}
			return 0
		fi
		kill -0 "${pid[$name]}" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "${pid[$name]}" 2>/dev/null; then
		loud "$name printed no ready line within 10 s"
		stop_server "$name"
	else
		wait "${pid[$name]}" 2>/dev/null || true
		unset "pid[$name]"
		loud "$name exited before it was ready"
	fi
	sed 's/^/    /' "$tmp/$name.err" | tail -n 20 >&2
	return 1
}

# run_wrk OUTFILE CONNS SECONDS SCRIPT URL [env...]: one wrk run; the
# script's done() writes the "BENCH key=value..." line parsed below.
run_wrk() {
	local out=$1 conns=$2 secs=$3 script=$4 target=$5 threads=1
	shift 5

	((conns > 1)) && threads=2
	env "$@" wrk -t"$threads" -c"$conns" -d"${secs}s" --latency \
		-s "$here/$script" "$target" -- "$threads" >"$out" 2>&1 || {
		loud "wrk failed ($script, $conns conns):"
		sed 's/^/    /' "$out" >&2
		return 1
	}
}

# parse OUTFILE: the BENCH line into the associative array r.
declare -A r
parse() {
	local line kv

	r=()
	line=$(grep -m1 '^BENCH requests=' "$1") || {
		loud "no BENCH summary line in wrk output:"
		sed 's/^/    /' "$1" >&2
		return 1
	}
	for kv in ${line#BENCH }; do
		r[${kv%%=*}]=${kv#*=}
	done
}

# "0", or what went wrong, e.g. "12 non-2xx, 3 timeout".
describe_errors() {
	local k label s=""

	for k in non2xx:non-2xx connect_err:connect read_err:read \
		 write_err:write timeouts:timeout bad:wrong-body; do
		label=${k#*:}
		k=${k%%:*}
		if [[ ${r[$k]:-0} != 0 ]]; then
			s+="${s:+, }${r[$k]} $label"
		fi
	done
	if [[ ${r[requests]:-0} == 0 ]]; then
		s+="${s:+, }no responses"
	fi
	echo "${s:-0}"
}

# check_alive NAME WHEN: a server that died under load is the finding, so
# say how it died, and mark it so its remaining rows say NOT RUN instead of
# piling up connection errors.
declare -A dead=()
check_alive() {
	local name=$1 when=$2 p=${pid[$1]:-} rc=0 how

	[[ -n $p ]] || return 1
	kill -0 "$p" 2>/dev/null && return 0
	wait "$p" 2>/dev/null || rc=$?
	unset "pid[$name]"
	if ((rc > 128)); then
		how="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
	else
		how="exited with status $rc"
	fi
	dead[$name]="$name $how"
	loud "$name $how during $when"
	sed 's/^/    /' "$tmp/$name.err" | tail -n 20 >&2
	failed=1
	return 1
}

# Warm-up, also the correctness check: every response must be the expected
# answer, or the figures that follow measure error paths.
warm() {
	local name=$1 label=$2 script=$3 target=$4 errs

	((warmup > 0)) || return 0
	[[ -z ${dead[$name]:-} ]] || return 0
	if ! run_wrk "$tmp/warm.out" 16 "$warmup" "$script" "$target" BENCH_CHECK=1 ||
	   ! parse "$tmp/warm.out"; then
		failed=1
	else
		errs=$(describe_errors)
		if [[ $errs != 0 ]]; then
			loud "$label: ERRORS in warm-up: $errs (${r[requests]} responses)"
			grep '^BENCH first_bad' "$tmp/warm.out" | cut -c1-400 >&2 || true
			failed=1
		fi
	fi
	check_alive "$name" "the $label warm-up" || true
}

rows=()
add_row() {
	rows+=("$(printf '%-26s | %5s | %9s | %9s | %s' "$@")")
}

measure() {
	local name=$1 label=$2 script=$3 target=$4 conns errs out

	for conns in 1 16; do
		if [[ -n ${dead[$name]:-} ]]; then
			add_row "$label" "$conns" "-" "-" "NOT RUN: ${dead[$name]}"
			continue
		fi
		out=$tmp/$script.$conns.out
		if ! run_wrk "$out" "$conns" "$seconds" "$script" "$target" ||
		   ! parse "$out"; then
			add_row "$label" "$conns" "-" "-" "!! WRK FAILED"
			failed=1
			check_alive "$name" "$label at $conns connections" || true
			continue
		fi
		[[ ${BENCH_RAW:-0} == 1 ]] && sed 's/^/    /' "$out"
		errs=$(describe_errors)
		check_alive "$name" "$label at $conns connections" ||
			errs="${dead[$name]}; $errs"
		if [[ $errs != 0 ]]; then
			loud "$label at $conns connections: ERRORS: $errs (${r[requests]} responses)"
			failed=1
			errs="!! $errs"
		fi
		add_row "$label" "$conns" "$(printf '%.0f' "${r[rps]}")" \
			"${r[p99_ms]} ms" "$errs"
		[[ $label == "dpsim Invoke" && $conns == 16 ]] &&
			invoke16=("${r[rps]}" "${r[p99_ms]}" "$errs")
	done
	return 0
}

skip_rows() {
	add_row "$1" 1 "-" "-" "NOT RUN: $2"
	add_row "$1" 16 "-" "-" "NOT RUN: $2"
	failed=1
}

# --- what was measured, on what -------------------------------------------

build_opts() {
	meson introspect "$build" --buildoptions 2>/dev/null | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("%s, b_sanitize=%s" % (o.get("buildtype", "?"), o.get("b_sanitize", "?")))
' 2>/dev/null || echo unknown
}

commit=$(git -C "$root" --no-optional-locks describe --always --dirty 2>/dev/null || echo unknown)
cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: *//' || true)
opts=$(build_opts)
echo "dpsim benchmark"
echo "  machine:  $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
echo "  load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
built=$(date -r "$dpsim" '+%F %T' 2>/dev/null || echo "not built")
echo "  dpsim:    source tree at commit $commit; binary $dpsim ($built)"
echo "  build:    $build ($opts)"
echo "  client:   $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2), -t1 for 1 conn, -t2 for 16; ${seconds}s per run, ${warmup}s warm-up"
case $opts in
*b_sanitize=none*) ;;
unknown) ;;
*) loud "this build is not a plain one ($opts): the figures measure the instrumentation" ;;
esac

# --- servers -----------------------------------------------------------------

ref_url="" dpsim_url="" dpsim_why=""
if start_server refserver "$refserver" 0; then
	ref_url=$url
fi
if [[ ! -x $dpsim ]]; then
	dpsim_why="no $dpsim (ninja -C $build simulator/dpsim)"
	loud "dpsim not found: $dpsim"
elif start_server dpsim "$dpsim" --listen 127.0.0.1:0 \
		--port-file "$tmp/dpsim.port" --db "$tmp/dpsim.db" \
		--log-level warn; then
	dpsim_url=$url
	if [[ ${url##*:} != "$(cat "$tmp/dpsim.port" 2>/dev/null)/wsman" ]]; then
		loud "dpsim: port file ($(cat "$tmp/dpsim.port" 2>/dev/null || echo missing)) disagrees with the ready line ($url)"
		failed=1
	fi
else
	dpsim_why="dpsim did not start"
fi

# --- runs --------------------------------------------------------------------

invoke16=()
if [[ -n $ref_url ]]; then
	warm refserver "refserver" invoke.lua "$ref_url"
	measure refserver "refserver fixed response" invoke.lua "$ref_url"
else
	skip_rows "refserver fixed response" "refserver did not start"
fi
if [[ -n $dpsim_url ]]; then
	warm dpsim "dpsim Invoke" invoke.lua "$dpsim_url"
	warm dpsim "dpsim WQL Enumerate" enumerate.lua "$dpsim_url"
	measure dpsim "dpsim Invoke" invoke.lua "$dpsim_url"
	measure dpsim "dpsim WQL Enumerate" enumerate.lua "$dpsim_url"
else
	skip_rows "dpsim Invoke" "$dpsim_why"
	skip_rows "dpsim WQL Enumerate" "$dpsim_why"
fi

for name in dpsim refserver; do
	stop_server "$name"
done
if [[ -s $tmp/dpsim.err ]]; then
	echo
	echo "dpsim stderr (last 10 lines):"
	tail -n 10 "$tmp/dpsim.err" | sed 's/^/    /'
fi

# --- report ------------------------------------------------------------------

echo
printf '%-26s | %5s | %9s | %9s | %s\n' scenario conns req/s p99 errors
printf '%s\n' "---------------------------+-------+-----------+-----------+-------"
printf '%s\n' "${rows[@]}"
echo
echo "  load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at end"
if ((${#invoke16[@]})); then
	# The issue's bar for dpsim on a 2-core machine; informative only.
	verdict=$(awk -v rps="${invoke16[0]}" -v p99="${invoke16[1]}" \
		'BEGIN { print (rps >= 14000 && p99 < 5) ? "met" : "NOT met" }')
	[[ ${invoke16[2]} == 0 ]] || verdict="NOT met (errors)"
	echo "  target:   dpsim Invoke at 16 conns >= 14000 req/s with p99 < 5 ms" \
		"(2-core machine): $verdict"
fi
if ((failed)); then
	loud "the benchmark is INCOMPLETE or had ERRORS; see the messages above"
	exit 1
fi
