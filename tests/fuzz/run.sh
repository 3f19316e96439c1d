#!/usr/bin/env bash
# Runs the libFuzzer targets of a -Dfuzz=true build for a bounded time each.
#
#   tests/fuzz/run.sh BUILD_DIR [SECONDS [TARGET...]]
#
# SECONDS per target: the argument, else $FUZZ_SECONDS, else 60. SECONDS 0
# fuzzes nothing: it replays the seed corpus and tests/fuzz/regressions/
# once through each target (what `meson test --suite fuzz` does).
# TARGETs default to every tests/fuzz/fuzz_* program in BUILD_DIR.
#
# The seeds are copied to a temporary directory: the repo is never written.
# Exit 0 when every target ran clean; 1 on any crash, leak, timeout, OOM,
# sanitizer report or broken contract, after naming the target and saving
# the reproducer under BUILD_DIR/fuzz-artifacts/TARGET/; 2 on bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$(cd "$1" 2>/dev/null && pwd) || { echo "run.sh: no build dir $1" >&2; exit 2; }
shift
secs=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
case "$secs" in
'' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number, not '$secs'" >&2; exit 2 ;;
esac

bindir=$build/tests/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$bindir"/fuzz_*; do
		[ -f "$f" ] && [ -x "$f" ] && targets+=("$(basename "$f")")
	done
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "run.sh: no fuzz targets in $bindir; configure the build with" \
		"CC=clang meson setup BUILD_DIR -Dfuzz=true and run ninja" >&2
	exit 2
fi

# Seed files or directories of a target, one a line. A new target gets
# tests/fuzz/corpus/NAME/ (NAME without "fuzz_") without editing this.
seeds() {
	case "$1" in
	fuzz_request) printf '%s\n' "$src"/fixtures/requests/*.xml ;;
	fuzz_response) printf '%s\n' "$src"/tests/unit/data/response_*.xml ;;
	fuzz_fixture) printf '%s\n' "$src/fixtures/lab.xml" "$src/tests/unit/fixtures" ;;
	esac
	[ -d "$here/corpus/${1#fuzz_}" ] && echo "$here/corpus/${1#fuzz_}"
	[ -d "$here/regressions/$1" ] && echo "$here/regressions/$1"
	return 0
}

# The dictionary of a target: dict/NAME.dict, else the XML one for the
# XML parsers.
dict() {
	if [ -f "$here/dict/${1#fuzz_}.dict" ]; then
		echo "$here/dict/${1#fuzz_}.dict"
	else
		case "$1" in
		fuzz_request | fuzz_response | fuzz_fixture) echo "$here/dict/xml.dict" ;;
		esac
	fi
}

# ASan/UBSan/LSan settings: every report is fatal, stacks are symbolized.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:handle_abort=1:allocator_may_return_null=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:symbolize=1}
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null; then
	for s in /usr/lib/llvm-14/bin/llvm-symbolizer /usr/bin/llvm-symbolizer-14; do
		[ -x "$s" ] && export ASAN_SYMBOLIZER_PATH=$s && break
	done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dpsim-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Any of these in the output is a failure even if the exit code is 0.
bad='ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:|contract broken|SUMMARY: [A-Za-z]*Sanitizer'

failed=()
summary=()

# Saves what libFuzzer wrote and says how to reproduce it.
report_failure() {
	local t=$1 work=$2 log=$3 rc=$4 keep=$build/fuzz-artifacts/$1 f first
	failed+=("$t")
	mkdir -p "$keep"
	echo
	echo "!!! $t FAILED (exit $rc); the report:"
	# From the first line of the sanitizer/libFuzzer report, else the tail.
	first=$(grep -n -E -m1 "$bad|^==[0-9]+==|ALARM: working on|out-of-memory|deadly signal" "$log" | cut -d: -f1 || true)
	if [ -n "$first" ]; then
		sed -n "${first},\$p" "$log" | head -n 80
	else
		tail -n 40 "$log"
	fi
	for f in "$work"/artifacts/*; do
		[ -f "$f" ] || continue
		cp -- "$f" "$keep/"
		echo "!!! reproducer: $keep/$(basename "$f")"
		echo "!!!   replay:   $bindir/$t $keep/$(basename "$f")"
		if [ "$(stat -c %s "$f")" -le 4096 ]; then
			echo "!!!   base64 (decode with base64 -d):"
			base64 -w 76 "$f" | sed 's/^/      /'
		fi
	done
	# A failing replay input is a file the repo already has.
	grep -E '^Running: ' "$log" | tail -n 1 | sed "s/^Running: /!!! failing input: /" || true
	cp -- "$log" "$keep/$t.log"
	echo "!!! full log: $keep/$t.log"
}

# final_stat NAME LOG: the value -print_final_stats gave NAME.
final_stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

run_target() {
	local t=$1 bin=$bindir/$1 work=$tmp/$1 log d s rc=0 n=0 cov kinds
	local -a args seed_paths files=()
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin is not built" >&2
		failed+=("$t")
		return
	fi
	mkdir -p "$work/corpus" "$work/artifacts"
	log=$work/log
	# Replay runs the repo's files in place (libFuzzer only reads a file
	# argument); fuzzing gets copies, as it writes into its corpus dir.
	mapfile -t seed_paths < <(seeds "$t")
	for s in "${seed_paths[@]}"; do
		if [ -d "$s" ]; then
			for f in "$s"/*; do
				[ -f "$f" ] && files+=("$f")
			done
		elif [ -f "$s" ]; then
			files+=("$s")
		fi
	done
	n=${#files[@]}
	for i in "${!files[@]}"; do
		cp -- "${files[$i]}" "$work/corpus/seed$i-$(basename "${files[$i]}")"
	done
	args=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
		-detect_leaks=1 -artifact_prefix="$work/artifacts/")
	d=$(dict "$t")
	[ -n "$d" ] && args+=(-dict="$d")

	if [ "$secs" -eq 0 ]; then
		echo "==> $t: replaying $n inputs"
		if [ "$n" -gt 0 ]; then
			(cd "$work" && "$bin" "${args[@]}" "${files[@]}") >"$log" 2>&1 || rc=$?
		fi
	else
		echo "==> $t: fuzzing for ${secs}s from $n seeds"
		(cd "$work" && timeout -k 10 $((secs + 300)) "$bin" "${args[@]}" \
			-max_total_time="$secs" -print_final_stats=1 corpus) \
			>"$log" 2>&1 || rc=$?
	fi
	if [ "$rc" -ne 0 ] || grep -q -E "$bad" "$log"; then
		[ "$rc" -eq 124 ] && echo "!!! $t did not stop in time (killed)"
		report_failure "$t" "$work" "$log" "$rc"
		# crash-, leak-, timeout-, oom- or slow-unit-: what went wrong.
		if [ "$secs" -eq 0 ]; then
			kinds=$(sed -n 's/^Running: //p' "$log" | tail -n 1)
		else
			kinds=$(cd "$work/artifacts" && ls | sed 's/-[^-]*$//' | sort -u | tr '\n' ' ')
		fi
		summary+=("$(printf '%-16s FAIL %s' "$t" "${kinds:-(see above)}")")
		return
	fi
	if [ "$secs" -eq 0 ]; then
		summary+=("$(printf '%-16s ok   %d inputs replayed' "$t" "$n")")
		return
	fi
	# The last status line ("#123 DONE cov: 456 ft: 789 corp: 12/3456b")
	# has the final coverage.
	cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
	summary+=("$(printf '%-16s ok   %10s execs %8s exec/s  cov %-6s ft %-6s corpus %-12s +%s new  peak %s MB' \
		"$t" "$(final_stat number_of_executed_units "$log")" \
		"$(final_stat average_exec_per_sec "$log")" \
		"$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$cov")" \
		"$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$cov")" \
		"$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$cov")" \
		"$(final_stat new_units_added "$log")" "$(final_stat peak_rss_mb "$log")")")
}

for t in "${targets[@]}"; do
	run_target "$t"
done

echo
if [ "$secs" -eq 0 ]; then
	echo "==> fuzz replay summary"
else
	echo "==> fuzz summary (${secs}s per target; cov = instrumented edges" \
		"reached, ft = libFuzzer features)"
fi
printf '    %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzzing FAILED: ${failed[*]} (reproducers under $build/fuzz-artifacts/)"
	exit 1
fi
echo "fuzzing: ${#targets[@]} targets clean"
