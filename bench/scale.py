#!/usr/bin/env python3
"""dpsim at scale: start-up, memory and query latency for generated sites.

    scale.py DPSIM [N ...]          (default N: 1000 10000 100000)

For each N it writes a site of N DPs (bench/gen_fixture.py) and measures:

  first start   exec to the "dpsim ready" line with an empty database file,
                and the CPU time dpsim had used by then (user + system, from
                /proc: on a busy machine the wall clock mostly measures the
                neighbours)
  restart       the same, on the database the first start left (same fixture)
  RSS           resident set after the first start, and its peak (VmHWM)
  Name lookup   WQL SELECT * ... WHERE Name = '<a random DP>' over one
                kept-alive connection: p50 and p99 of 200 requests
  mode = 1      WQL ... WHERE MaintenanceMode = 1 (one in seven DPs),
                Enumerate and every Pull until EndOfSequence
  full enum     every SMS_DistributionPointInfo, Enumerate + Pulls of 500
                items, and dpsim's RSS afterwards (flat RSS means the
                enumeration streams instead of holding every instance)

It prints one table row per N.  A benchmark, not a test: nothing here
fails on a slow figure; it exits 1 only when dpsim misbehaves (does not
start, answers a fault, returns the wrong number of instances).  Standard
library only.
"""

import base64
import http.client
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_fixture  # noqa: E402

LOOKUPS = 200
PULL_ITEMS = 500
AUTH = "Basic " + base64.b64encode(b"lab:lab").decode()
URI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/*"
ENUM_NS = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"


def envelope(action, body, msgid):
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"'
        ' xmlns:n="%s"><s:Header>'
        "<a:To>http://127.0.0.1/wsman</a:To>"
        '<a:ReplyTo><a:Address s:mustUnderstand="true">'
        "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
        "</a:Address></a:ReplyTo>"
        '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>'
        "<w:OperationTimeout>PT60S</w:OperationTimeout>"
        "<a:MessageID>uuid:00000000-0000-0000-0000-%012d</a:MessageID>"
        '<a:Action s:mustUnderstand="true">%s/%s</a:Action>'
        '<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>'
        "</s:Header><s:Body>%s</s:Body></s:Envelope>"
        % (ENUM_NS, msgid, ENUM_NS, action, URI, body)
    ).encode()


def wql_body(query, optimize):
    opt = "<w:OptimizeEnumeration/><w:MaxElements>%d</w:MaxElements>" % PULL_ITEMS if optimize else ""
    return (
        "<n:Enumerate>%s<w:Filter Dialect="
        '"http://schemas.microsoft.com/wbem/wsman/1/WQL">%s</w:Filter>'
        "</n:Enumerate>" % (opt, query)
    )


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.msgid = 0

    def post(self, action, body):
        self.msgid += 1
        self.conn.request("POST", "/wsman", envelope(action, body, self.msgid), {
            "Content-Type": "application/soap+xml;charset=UTF-8",
            "Authorization": AUTH,
        })
        r = self.conn.getresponse()
        data = r.read().decode("utf-8", "replace")
        if r.status != 200:
            raise RuntimeError("HTTP %d: %s" % (r.status, data[:400]))
        return data

    def enumerate_all(self, query):
        """Enumerate + Pulls to the end; returns the number of instances."""
        data = self.post("Enumerate", wql_body(query, True))
        count = len(re.findall(r"<\w+:SMS_DistributionPointInfo[ >]", data))
        while "EndOfSequence" not in data:
            m = re.search(r"<\w+:EnumerationContext>([^<]+)<", data)
            if not m:
                raise RuntimeError("no EnumerationContext and no EndOfSequence: " + data[:400])
            data = self.post("Pull", "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
                             "<n:MaxElements>%d</n:MaxElements></n:Pull>" % (m.group(1), PULL_ITEMS))
            count += len(re.findall(r"<\w+:SMS_DistributionPointInfo[ >]", data))
        return count


def cpu_s(pid):
    """User + system CPU time of pid so far, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start(dpsim, fixture, db, tmp):
    portfile = os.path.join(tmp, "port")
    if os.path.exists(portfile):
        os.unlink(portfile)
    t0 = time.perf_counter()
    p = subprocess.Popen([dpsim, "--listen", "127.0.0.1:0", "--port-file", portfile,
                          "--db", db, "--fixture", fixture, "--log-level", "warn"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    t = time.perf_counter() - t0
    if not line.startswith("dpsim ready http://"):
        p.kill()
        raise RuntimeError("dpsim did not start: " + p.stderr.read()[-800:])
    port = int(line.split(":")[2].split("/")[0])
    return p, port, (t, cpu_s(p.pid))


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        raise RuntimeError("dpsim did not stop within 60 s of SIGTERM")
    if p.returncode != 0:
        raise RuntimeError("dpsim exited %d: %s" % (p.returncode, p.stderr.read()[-800:]))


def pct(sorted_ms, q):
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def run(dpsim, n, tmp):
    fixture = os.path.join(tmp, "site%d.xml" % n)
    gen_fixture.main(["gen_fixture.py", str(n), fixture])
    db = os.path.join(tmp, "site%d.db" % n)
    row = {"n": n}
    p, port, (row["start_s"], row["start_cpu"]) = start(dpsim, fixture, db, tmp)
    try:
        row["rss_mib"] = rss_kib(p.pid) / 1024
        c = Client(port)
        rnd = random.Random(n)
        lat = []
        for _ in range(LOOKUPS):
            name = gen_fixture.dp_name(rnd.randrange(n))
            t0 = time.perf_counter()
            data = c.post("Enumerate", wql_body(
                "SELECT * FROM SMS_DistributionPointInfo WHERE Name = '%s'" % name, True))
            lat.append((time.perf_counter() - t0) * 1000)
            if name not in data or "Fault" in data:
                raise RuntimeError("lookup of %s did not return it: %s" % (name, data[:400]))
        lat.sort()
        row["p50_ms"], row["p99_ms"] = pct(lat, 0.50), pct(lat, 0.99)
        t0 = time.perf_counter()
        got = c.enumerate_all("SELECT * FROM SMS_DistributionPointInfo WHERE MaintenanceMode = 1")
        row["mode_s"] = time.perf_counter() - t0
        want = (n + 6) // 7
        if got != want:
            raise RuntimeError("MaintenanceMode = 1 gave %d instances, expected %d" % (got, want))
        t0 = time.perf_counter()
        got = c.enumerate_all("SELECT * FROM SMS_DistributionPointInfo")
        row["enum_s"] = time.perf_counter() - t0
        if got != n:
            raise RuntimeError("full enumeration gave %d instances, expected %d" % (got, n))
        row["enum_rss_mib"] = rss_kib(p.pid) / 1024
        row["hwm_mib"] = rss_kib(p.pid, "VmHWM") / 1024
    finally:
        stop(p)
    p, port, (row["restart_s"], row["restart_cpu"]) = start(dpsim, fixture, db, tmp)
    stop(p)
    return row


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: scale.py DPSIM [N ...]\n")
        return 2
    dpsim = argv[1]
    sizes = [int(a) for a in argv[2:]] or [1000, 10000, 100000]
    hdr = ("%8s | %15s | %15s | %8s | %9s | %8s | %8s | %9s | %9s | %9s"
           % ("DPs", "start (CPU)", "restart (CPU)", "RSS", "peak RSS", "Name p50",
              "Name p99", "mode=1", "full enum", "RSS after"))
    print(hdr)
    print("-" * len(hdr))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="dpsim-scale.") as tmp:
        for n in sizes:
            try:
                r = run(dpsim, n, tmp)
            except Exception as e:  # a misbehaving dpsim is the finding
                print("%8d | FAILED: %s" % (n, e))
                failed = 1
                continue
            print("%8d | %5.2f s (%4.2f) | %5.2f s (%4.2f) | %4.0f MiB | %5.0f MiB | %5.2f ms | "
                  "%5.2f ms | %7.2f s | %7.2f s | %5.0f MiB"
                  % (n, r["start_s"], r["start_cpu"], r["restart_s"], r["restart_cpu"],
                     r["rss_mib"], r["hwm_mib"], r["p50_ms"], r["p99_ms"], r["mode_s"],
                     r["enum_s"], r["enum_rss_mib"]))
            sys.stdout.flush()
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv))
