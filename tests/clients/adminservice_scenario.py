#!/usr/bin/python3
"""python3-requests against dpsim's AdminService route, as a field script.

The scripts people run against a real site's AdminService read the list
of DPs from "value", pick theirs by Name on the client side, call
SetDPMaintenanceMode with a JSON body, read "ReturnValue", and on an
error print ['error']['message']. This does the same with Debian's
python3-requests and checks what requests handed back at each step.

usage: /usr/bin/python3 adminservice_scenario.py [DPSIM]   (or DPSIM_BIN=...)
"""
import os
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

try:
    import requests
except ImportError as e:
    print('SKIP: python3-requests is not installed (%s)' % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SET_MODE = 'SMS_DistributionPointInfo.SetDPMaintenanceMode'


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, what):
        self.passed += 1
        print('ok - %s' % what)

    def fail(self, what):
        self.failed += 1
        print('FAIL - %s' % what)

    def eq(self, what, got, want):
        if got == want:
            self.ok('%s: %r' % (what, got))
        else:
            self.fail('%s: got %r, want %r' % (what, got, want))

    def true(self, what, cond, detail=''):
        if cond:
            self.ok(what)
        else:
            self.fail('%s %s' % (what, detail))


class Dpsim:
    """A dpsim on a free loopback port, ready when it says so."""

    def __init__(self, binary, work):
        wrapper = shlex.split(os.environ.get('DPSIM_WRAPPER', ''))
        self.stderr = open(os.path.join(work, 'dpsim.stderr'), 'w+')
        self.proc = subprocess.Popen(
            wrapper + [binary, '--listen', '127.0.0.1:0', '--db', ':memory:',
                       '--log-level', 'warn'],
            stdout=subprocess.PIPE, stderr=self.stderr)
        self.url = self._wait_ready(90 if wrapper else 15)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        line = b''
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                       deadline - time.monotonic())
            if not ready:
                break
            c = os.read(self.proc.stdout.fileno(), 1)
            if not c:
                break
            if c != b'\n':
                line += c
                continue
            if line.startswith(b'dpsim ready '):
                return line.split()[2].decode()
            line = b''
        self.proc.kill()
        self.proc.wait()
        self.stderr.seek(0)
        sys.exit('dpsim did not become ready:\n' + self.stderr.read())

    def stop(self):
        """SIGTERM, then dpsim's exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def session(user):
    s = requests.Session()
    s.auth = (user, user)
    s.headers['Accept'] = 'application/json'
    return s


def find_dp(base, s, name):
    """The field script's lookup: every DP, filtered by Name here."""
    r = s.get(base + '/SMS_DistributionPointInfo', timeout=30)
    r.raise_for_status()
    matches = [dp for dp in r.json()['value'] if dp['Name'] == name]
    return matches[0] if matches else None


def set_mode(base, s, nalpath, mode):
    """POST the method; (status, ReturnValue or None, error message or None)."""
    r = s.post(base + '/' + SET_MODE, json={'NALPath': nalpath, 'Mode': mode},
               timeout=30)
    body = r.json()
    if r.ok:
        return r.status_code, body['ReturnValue'], None
    return r.status_code, None, body['error']['message']


def scenario(c, url):
    root = url.rsplit('/', 1)[0]
    base = root + '/AdminService/wmi'
    lab = session('lab')

    dp = find_dp(base, lab, 'DP01.contoso.com')
    c.true('DP01 found by Name in value', dp is not None)
    c.eq('DP01 MaintenanceMode is a number', dp['MaintenanceMode'], 0)
    c.eq('IsPXE is a boolean', dp['IsPXE'], False)
    c.eq('the etag starts with the NAL path', dp['@odata.etag'].split(';')[0],
         dp['NALPath'])
    c.eq('__CLASS', dp['__CLASS'], 'SMS_DistributionPointInfo')

    status, rv, err = set_mode(base, lab, dp['NALPath'], 1)
    c.eq('SetDPMaintenanceMode on: HTTP status', status, 200)
    c.eq('SetDPMaintenanceMode on: ReturnValue', rv, 0)
    c.eq('read back in the list', find_dp(base, lab, 'DP01.contoso.com')['MaintenanceMode'], 1)

    # One instance by its keys: the URL quoted as a client quotes it.
    key = "(NALPath='%s',ResourceType='%s',SiteCode='%s')" % (
        dp['NALPath'].replace("'", "''"), dp['ResourceType'], dp['SiteCode'])
    r = lab.get(base + '/SMS_DistributionPointInfo' + quote(key, safe="(),='"),
                timeout=30)
    c.eq('keyed GET: HTTP status', r.status_code, 200)
    c.eq('keyed GET: the instance is value[0]', r.json()['value'][0]['Name'],
         'DP01.contoso.com')
    c.eq('keyed GET: MaintenanceMode', r.json()['value'][0]['MaintenanceMode'], 1)

    # Errors, read as scripts read them.
    status, rv, err = set_mode(base, lab, 'no such NAL path', 1)
    c.eq('unknown NAL path: HTTP status', status, 404)
    c.true('unknown NAL path: message names the HRESULT',
           err and 'WBEM_E_NOT_FOUND (0x80041002)' in err, repr(err))
    status, rv, err = set_mode(base, lab, dp['NALPath'], 2)
    c.eq('Mode 2: HTTP status', status, 400)
    c.true('Mode 2: message', err and 'Mode 2 is not valid' in err, repr(err))
    status, rv, err = set_mode(base, session('analyst'), dp['NALPath'], 0)
    c.eq('analyst: HTTP status (as a real site refuses)', status, 404)
    c.true('analyst: message starts with Access denied',
           err and err.startswith('Access denied'), repr(err))
    r = requests.get(base + '/SMS_DistributionPointInfo', auth=('lab', 'wrong'),
                     timeout=30)
    c.eq('wrong password: HTTP status', r.status_code, 401)
    c.eq('wrong password: challenge', r.headers.get('WWW-Authenticate'),
         'Basic realm="AdminService"')
    try:
        r.raise_for_status()
        c.fail('raise_for_status did not raise on 401')
    except requests.HTTPError:
        c.ok('raise_for_status raises on 401')
    r = lab.post(base + '/' + SET_MODE, data='NALPath=x&Mode=1', timeout=30)
    c.eq('a form body: HTTP status', r.status_code, 415)
    # The same lookup done by the server, as newer scripts do it.
    r = lab.get(base + '/SMS_DistributionPointInfo',
                params={'$filter': "Name eq 'DP01.contoso.com'",
                        '$select': 'Name,NALPath,MaintenanceMode'}, timeout=30)
    c.eq('$filter on Name', [d['Name'] for d in r.json()['value']], ['DP01.contoso.com'])
    c.eq('$select: only the properties asked', sorted(r.json()['value'][0]),
         ['MaintenanceMode', 'NALPath', 'Name'])
    r = lab.get(base + '/SMS_DistributionPointInfo',
                params={'$filter': "Name EQ 'x'"}, timeout=30)
    c.eq('a bad $filter: HTTP status', r.status_code, 400)
    c.true('a bad $filter: the message names option and position',
           '$filter at position 6' in r.json()['error']['message'],
           repr(r.json()['error']['message']))

    # What a script checks before calling a method: it is in $metadata.
    r = lab.get(base + '/$metadata', timeout=30)
    c.true('$metadata lists ' + SET_MODE, SET_MODE in r.text)

    status, rv, err = set_mode(base, lab, dp['NALPath'], 0)
    c.eq('SetDPMaintenanceMode off: ReturnValue', rv, 0)
    c.eq('read back', find_dp(base, lab, 'DP01.contoso.com')['MaintenanceMode'], 0)

    # The journal says which protocol carried the changes.
    r = requests.get(root + '/_dpsim/journal?protocol=adminservice&operation=invoke'
                     '&result=ok', timeout=30)
    rows = r.json()['entries']
    c.eq('journal: two changes over adminservice',
         [(e['nalpath'], e['new_mode']) for e in rows],
         [(dp['NALPath'], 1), (dp['NALPath'], 0)])


def main():
    binary = os.environ.get('DPSIM_BIN') or (sys.argv[1] if len(sys.argv) > 1 else
                                             os.path.join(ROOT, 'build', 'simulator', 'dpsim'))
    c = Checks()
    with tempfile.TemporaryDirectory(prefix='dpsim-adminservice.') as work:
        d = Dpsim(binary, work)
        print('# dpsim (pid %d) ready at %s' % (d.proc.pid, d.url))
        try:
            scenario(c, d.url)
        except Exception as e:  # noqa: BLE001 - report, then stop dpsim
            c.fail('scenario stopped: %s: %s' % (type(e).__name__, e))
        c.eq('dpsim exit status after SIGTERM', d.stop(), 0)
    print('adminservice: %d passed, %d failed' % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
