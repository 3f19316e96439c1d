#!/usr/bin/env python3
"""dpsim start-up: exec to the "dpsim ready" line, on the bundled lab.

    startup.py DPSIM [RUNS] [REFSERVER]    (default 20 runs of each)

Rows (median, min and max over RUNS, each run a new process):
  --version       exec to exit of `dpsim --version`: the dynamic loader,
                  libraries' constructors and option parsing, nothing else
  first start     exec to ready with a database file that does not exist
  restart         exec to ready on the database the previous run left
  ready at debug  the restart again at --log-level debug, whose start-up
                  line says where the time went (printed once, below)
With REFSERVER (bench/refserver), the same two starts of the minimal
pipeline (`refserver 0 --pipeline DB`: libmicrohttpd, libxml2 and SQLite
loaded, one table made or opened, a listener), each run right after
dpsim's, and dpsim's median as a multiple of its: a figure that drifts
less with the machine than milliseconds do.

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


def ready_time(argv, ready="dpsim ready "):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    t = time.perf_counter() - t0
    p.terminate()
    _, err = p.communicate(timeout=30)
    if not line.startswith(ready) or p.returncode != 0:
        raise RuntimeError("%s did not start cleanly (exit %s): %s" %
                           (os.path.basename(argv[0]), p.returncode, err[-600:]))
    return t, err


def version_time(dpsim):
    t0 = time.perf_counter()
    subprocess.run([dpsim, "--version"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def row(label, times, ref=None):
    ms = sorted(t * 1000 for t in times)
    line = "%-16s | %7.2f ms | %7.2f ms | %7.2f ms" % (label, statistics.median(ms), ms[0], ms[-1])
    if ref:
        line += " | %5.2fx" % (statistics.median(times) / statistics.median(ref))
    print(line)


def main(argv):
    if len(argv) not in (2, 3, 4) or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: startup.py DPSIM [RUNS] [REFSERVER]\n")
        return 2
    dpsim = argv[1]
    runs = int(argv[2]) if len(argv) > 2 else 20
    ref = argv[3] if len(argv) > 3 else None
    print("%-16s | %10s | %10s | %10s%s" % ("start-up", "median", "min", "max",
                                            " | vs pipeline" if ref else ""))
    print("-" * (70 if ref else 56))
    row("--version", [version_time(dpsim) for _ in range(runs)])
    with tempfile.TemporaryDirectory(prefix="dpsim-startup.") as tmp:
        base = [dpsim, "--listen", "127.0.0.1:0", "--log-level", "warn"]
        pipe = lambda db: [ref, "0", "--pipeline", os.path.join(tmp, db)]
        first, rfirst = [], []
        for i in range(runs):
            first.append(ready_time(base + ["--db", os.path.join(tmp, "first%d.db" % i)])[0])
            if ref:
                rfirst.append(ready_time(pipe("ref%d.db" % i), "refserver ready ")[0])
        db = os.path.join(tmp, "first0.db")
        again, ragain = [], []
        for _ in range(runs):
            again.append(ready_time(base + ["--db", db])[0])
            if ref:
                ragain.append(ready_time(pipe("ref0.db"), "refserver ready ")[0])
        row("first start", first, rfirst)
        row("restart", again, ragain)
        if ref:
            row("pipeline first", rfirst)
            row("pipeline again", ragain)
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
