#!/usr/bin/env python3
"""Instructions dpsim executes per request, counted by callgrind.

    instructions.py DPSIM [N]      (default N = 1000)

Runs dpsim (file database, bundled lab) under `valgrind --tool=callgrind`
twice: once answering 100 requests of a kind, once 100 + N, and reports
(difference) / N, so start-up and shutdown cancel out.  Kinds: Invoke of
SetDPMaintenanceMode (flipping DP01..PXE01), WQL Enumerate by Name, Get by
NALPath.  Instruction counts do not depend on the machine's load, which
makes this the figure to compare from one commit to the next; the
minimal pipeline (bench/refserver --pipeline) is counted the same way
for Invoke.  Needs valgrind; prints a line saying so without it.
"""

import base64
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
AUTH = "Basic " + base64.b64encode(b"lab:lab").decode()
CLASS = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/SMS_DistributionPointInfo"
DPS = ["DP01.contoso.com", "PULLDP01.contoso.com", "PXE01.contoso.com", "DP03.branch.contoso.com"]


def nal(fqdn):
    return '["Display=\\\\%s\\"]MSWNET:["SMS_SITE=PS1"]\\\\%s\\' % (fqdn, fqdn)


def envelope(action, uri, body, n, selectors=""):
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>'
        "<a:To>http://127.0.0.1/wsman</a:To>"
        '<a:ReplyTo><a:Address s:mustUnderstand="true">'
        "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
        '<w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>'
        "<w:OperationTimeout>PT60S</w:OperationTimeout>"
        "<a:MessageID>uuid:00000000-0000-0000-0000-%012d</a:MessageID>"
        '<a:Action s:mustUnderstand="true">%s</a:Action>'
        '<w:ResourceURI s:mustUnderstand="true">%s</w:ResourceURI>%s'
        "</s:Header><s:Body>%s</s:Body></s:Envelope>" % (n, action, uri, selectors, body)
    ).encode()


def invoke(n):
    fqdn = DPS[n % len(DPS)]
    mode = (n // len(DPS)) % 2 ^ 1
    body = ('<p:SetDPMaintenanceMode_INPUT xmlns:p="%s"><p:NALPath>%s</p:NALPath>'
            "<p:Mode>%d</p:Mode></p:SetDPMaintenanceMode_INPUT>" % (CLASS, nal(fqdn), mode))
    return envelope(CLASS + "/SetDPMaintenanceMode", CLASS, body, n), "ReturnValue>0<"


def wql(n):
    body = ('<n:Enumerate xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">'
            "<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>"
            '<w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">'
            "SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP01.contoso.com'"
            "</w:Filter></n:Enumerate>")
    return envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
                    CLASS.rsplit("/", 1)[0] + "/*", body, n), "DP01.contoso.com"


def get(n):
    sel = ('<w:SelectorSet><w:Selector Name="NALPath">%s</w:Selector>'
           '<w:Selector Name="ResourceType">Windows NT Server</w:Selector>'
           '<w:Selector Name="SiteCode">PS1</w:Selector></w:SelectorSet>' % nal("DP01.contoso.com"))
    return envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Get", CLASS, "", n, sel), "MaintenanceMode>"


def count(argv, kind, n, tmp):
    out = os.path.join(tmp, "cg.out")
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill()
        raise RuntimeError("server did not start: " + p.stderr.read()[-600:])
    c = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=120)
    for i in range(n):
        body, want = kind(i)
        c.request("POST", "/wsman", body, {"Content-Type": "application/soap+xml;charset=UTF-8",
                                            "Authorization": AUTH})
        r = c.getresponse()
        data = r.read().decode("utf-8", "replace")
        if r.status != 200 or want not in data:
            p.kill()
            raise RuntimeError("request %d: HTTP %d %s" % (i, r.status, data[-300:]))
    c.close()
    p.terminate()
    p.communicate(timeout=120)
    with open(out) as f:
        for l in f:
            if l.startswith("totals:") or l.startswith("summary:"):
                return int(l.split()[1])
    raise RuntimeError("no totals in callgrind output")


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: instructions.py DPSIM [N]\n")
        return 2
    if not shutil.which("valgrind"):
        print("instructions: valgrind not found; apt-get install valgrind")
        return 0
    dpsim, n = argv[1], int(argv[2]) if len(argv) == 3 else 1000
    refserver = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(dpsim))),
                             "bench", "refserver")
    print("%-28s | %12s" % ("instructions per request", "callgrind Ir"))
    print("-" * 43)
    with tempfile.TemporaryDirectory(prefix="dpsim-instr.") as tmp:
        rows = [("dpsim Invoke", invoke), ("dpsim WQL Enumerate by Name", wql), ("dpsim Get", get)]
        for label, kind in rows:
            def argv_for(tag):
                return [dpsim, "--listen", "127.0.0.1:0", "--log-level", "warn",
                        "--db", os.path.join(tmp, "%s-%s.db" % (kind.__name__, tag))]
            a = count(argv_for("a"), kind, 100, tmp)
            b = count(argv_for("b"), kind, 100 + n, tmp)
            print("%-28s | %12.0f" % (label, (b - a) / n))
        if os.path.exists(refserver):
            a = count([refserver, "0", "--pipeline", os.path.join(tmp, "ref-a.db")], invoke, 100, tmp)
            b = count([refserver, "0", "--pipeline", os.path.join(tmp, "ref-b.db")], invoke, 100 + n, tmp)
            print("%-28s | %12.0f" % ("minimal pipeline Invoke", (b - a) / n))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RuntimeError as e:
        print("instructions: %s" % e)
        sys.exit(1)
