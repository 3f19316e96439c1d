#!/usr/bin/env python3
"""dpsim start-up: exec to the "dpsim ready" line, on the bundled lab.

    startup.py DPSIM [RUNS]      (default 20 runs of each)

Rows (median, min and max over RUNS, each run a new process):
  --version       exec to exit of `dpsim --version`: the dynamic loader,
                  libraries' constructors and option parsing, nothing else
  first start     exec to ready with a database file that does not exist
  restart         exec to ready on the database the previous run left
  ready at debug  the restart again at --log-level debug, whose start-up
                  line says where the time went (printed once, below)

The clock starts just before fork and stops when the ready line is read,
so each figure includes spawning from Python (about a millisecond): an
upper bound.  A benchmark, not a test: it fails only when dpsim does.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time


def ready_time(argv):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    t = time.perf_counter() - t0
    p.terminate()
    _, err = p.communicate(timeout=30)
    if not line.startswith("dpsim ready ") or p.returncode != 0:
        raise RuntimeError("dpsim did not start cleanly (exit %s): %s" % (p.returncode, err[-600:]))
    return t, err


def version_time(dpsim):
    t0 = time.perf_counter()
    subprocess.run([dpsim, "--version"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def row(label, times):
    ms = sorted(t * 1000 for t in times)
    print("%-16s | %7.2f ms | %7.2f ms | %7.2f ms" % (label, statistics.median(ms), ms[0], ms[-1]))


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: startup.py DPSIM [RUNS]\n")
        return 2
    dpsim, runs = argv[1], int(argv[2]) if len(argv) == 3 else 20
    print("%-16s | %10s | %10s | %10s" % ("start-up", "median", "min", "max"))
    print("-" * 56)
    row("--version", [version_time(dpsim) for _ in range(runs)])
    with tempfile.TemporaryDirectory(prefix="dpsim-startup.") as tmp:
        base = [dpsim, "--listen", "127.0.0.1:0", "--log-level", "warn"]
        first = []
        for i in range(runs):
            first.append(ready_time(base + ["--db", os.path.join(tmp, "first%d.db" % i)])[0])
        row("first start", first)
        db = os.path.join(tmp, "first0.db")
        row("restart", [ready_time(base + ["--db", db])[0] for _ in range(runs)])
        debug = base[:-2] + ["--log-level", "debug", "--db", db]
        times, err = [], ""
        for _ in range(runs):
            t, err = ready_time(debug)
            times.append(t)
        row("ready at debug", times)
        parts = [l for l in err.splitlines() if "start-up" in l]
        for l in parts:
            print("  " + l)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (RuntimeError, subprocess.SubprocessError) as e:
        print("startup: %s" % e)
        sys.exit(1)
