"""pytest fixtures for testing against dpsim.

One dpsim for the whole session: started here on a free port (port 0, read
from its "dpsim ready" line) with a database of its own, or, when DPSIM_URL
is set (http://HOST:PORT, e.g. a CI service container), that one, with
DPSIM_ADMIN_TOKEN as its control API token. Each test gets a site of its
own made from the lab fixture (so tests may run in parallel and never see
each other's state), and reads that site's journal.

    DPSIM_BIN=/path/to/dpsim /usr/bin/python3 -m pytest examples/pytest
"""
import json
import os
import select
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The lab fixture each test's site is made from: the repository's copy, or
# the one an installed dpsim (and the container image) ships.
LAB = next((p for p in (os.environ.get("DPSIM_LAB"), HERE / "../../fixtures/lab.xml",
                        "/usr/share/dpsim/lab.xml") if p and Path(p).is_file()), None)


class Dpsim:
    """A dpsim's base URL and its control API (/_dpsim/)."""

    def __init__(self, base, token=None):
        self.base = base.rstrip("/")
        self.wsman = self.base + "/wsman"
        self.token = token

    def control(self, method, path, body=None, content_type="application/json"):
        """One control API call; the answer's JSON. Every POST says its
        type, body or not: dpsim refuses what a web page could send."""
        headers = {"Content-Type": content_type}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/_dpsim/" + path, data=body,
                                     method=method, headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None


def _start(tmp):
    binary = os.environ.get("DPSIM_BIN") or shutil.which("dpsim")
    if not binary:
        pytest.exit("no dpsim: set DPSIM_BIN or DPSIM_URL, or put dpsim on PATH", 2)
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--db", str(tmp / "dpsim.db"),
         "--log-level", "warn"], stdout=subprocess.PIPE, text=True)
    # Wait for the ready line, bounded, instead of sleeping.
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    line = proc.stdout.readline() if ready else ""
    if not line.startswith("dpsim ready "):
        proc.kill()
        proc.wait()
        pytest.exit("dpsim did not become ready (%r)" % line, 2)
    # "dpsim ready http://127.0.0.1:PORT/wsman"
    return proc, line.split()[2].rsplit("/wsman", 1)[0]


def _wait_healthy(d, seconds=60):
    """A dpsim started elsewhere (a CI service) may still be loading: poll
    its health route, bounded, until it says ready."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if d.control("GET", "health")["status"] == "ready":
                return
        except (OSError, ValueError):
            pass    # not listening yet, or 503 starting
        if time.monotonic() > deadline:
            pytest.exit("dpsim at %s is not ready after %d s" % (d.base, seconds), 2)
        time.sleep(0.2)


@pytest.fixture(scope="session")
def dpsim(tmp_path_factory):
    url = os.environ.get("DPSIM_URL")
    if url:
        d = Dpsim(url, os.environ.get("DPSIM_ADMIN_TOKEN"))
        _wait_healthy(d)
        yield d
        return
    proc, base = _start(tmp_path_factory.mktemp("dpsim"))
    yield Dpsim(base)
    proc.terminate()
    # SIGTERM: dpsim answers what is under way and exits 0.
    assert proc.wait(timeout=30) == 0


_codes = iter("T%02d" % i for i in range(1, 100))


@pytest.fixture
def site(dpsim):
    """A site of this test's own, made from the lab fixture (DPs DP01 to
    DP06.contoso.com, users lab/lab...), removed afterwards."""
    code = next(_codes)
    try:
        dpsim.control("DELETE", "sites/" + code)
    except urllib.error.HTTPError:
        pass    # not there: the usual case
    dpsim.control("POST", "sites?code=" + code, Path(LAB).read_bytes(),
                  content_type="application/xml")
    yield code
    dpsim.control("DELETE", "sites/" + code)


def nalpath(site, fqdn):
    """The NAL path dpsim gives a DP of the lab fixture in site."""
    return '["Display=\\\\%s\\"]MSWNET:["SMS_SITE=%s"]\\\\%s\\' % (fqdn, site, fqdn)


def journal(dpsim, site, **filters):
    """The site's journal rows matching filters (method=..., result=...)."""
    q = "&".join("%s=%s" % kv for kv in {"site": site, **filters}.items())
    return dpsim.control("GET", "journal?" + q)["entries"]


def mode(dpsim, site, fqdn):
    state = dpsim.control("GET", "state?site=" + site)
    return next(d["maintenance_mode"] for d in state["sites"][0]["dps"]
                if d["name"] == fqdn)
