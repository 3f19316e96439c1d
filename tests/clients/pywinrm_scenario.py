#!/usr/bin/python3
"""pywinrm against a real dpsim.

pywinrm 0.3.0 (Debian python3-winrm) has no WMI API: like the scripts
people write with it, this builds envelopes from Protocol._get_soap_header()
with xmltodict and sends them with Protocol.send_message(), then reads the
answers with xmltodict. It asserts what pywinrm handed back: the
ReturnValue, the DP instances and their MaintenanceMode, a Get by keys, and
the fault data pywinrm parsed out of each error.

usage: /usr/bin/python3 pywinrm_scenario.py [DPSIM]   (or DPSIM_BIN=...)
Run it with Debian's /usr/bin/python3: that is where python3-winrm lives.
"""
import ast
import os
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid

try:
    import xmltodict
    from winrm import exceptions as winrm_exceptions
    from winrm.protocol import Protocol
except ImportError as e:
    print('SKIP: pywinrm or xmltodict is not installed (%s)' % e)
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NS = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/'
DPINFO = NS + 'SMS_DistributionPointInfo'
DP = NS + 'SMS_DistributionPoint'
WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL'
ENUMERATE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate'
PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull'
GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
WBEM_E_NOT_FOUND = 2147749890        # 0x80041002
WBEM_E_ACCESS_DENIED = 2147749891    # 0x80041003
INVALID_SELECTORS = 2150858843       # 0x8033805B


def nal(fqdn, site='PS1'):
    return '["Display=\\\\%s\\"]MSWNET:["SMS_SITE=%s"]\\\\%s\\' % (fqdn, site, fqdn)


# The bundled lab (fixtures/lab.xml) as it starts.
LAB = {
    'DP01.contoso.com': 0,
    'DP02.contoso.com': 1,
    'PULLDP01.contoso.com': 0,
    'PXE01.contoso.com': 0,
    'DP03.branch.contoso.com': 0,
    'CLOUDDP01.cloudapp.net': 0,
}


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


class Dpsim:
    """A dpsim on a free loopback port, ready when it says so."""

    def __init__(self, binary, work, extra=()):
        wrapper = shlex.split(os.environ.get('DPSIM_WRAPPER', ''))
        self.stderr = open(os.path.join(work, 'dpsim.stderr'), 'w+')
        self.port_file = os.path.join(work, 'port')
        self.proc = subprocess.Popen(
            wrapper + [binary, '--listen', '127.0.0.1:0', '--port-file', self.port_file,
                       '--db', ':memory:', '--log-level', 'warn'] + list(extra),
            stdout=subprocess.PIPE, stderr=self.stderr,
            # OPENSSL_CONF is the Python NTLM client's (ntlm_scenario.sh),
            # not dpsim's.
            env={k: v for k, v in os.environ.items() if k != 'OPENSSL_CONF'})
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
            st = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            st = self.proc.wait()
        self.proc.stdout.close()
        if st != 0:
            self.stderr.seek(0)
            sys.stderr.write(self.stderr.read())
        self.stderr.close()
        return st


def strip_ns(node):
    """xmltodict's namespace-expanded keys ('uri:Local') down to 'Local'."""
    if isinstance(node, list):
        return [strip_ns(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k.startswith('@'):
            key = '@' + k[1:].rsplit(':', 1)[-1]
        elif k == '#text':
            key = k
        else:
            key = k.rsplit(':', 1)[-1]
        out[key] = strip_ns(v)
    return out


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def text(v):
    """An element's text whether xmltodict gave a string or a dict."""
    if isinstance(v, dict):
        return v.get('#text')
    return v


def body_of(xml):
    d = strip_ns(xmltodict.parse(xml, process_namespaces=True))
    return d['Envelope']['Body']


# How Client signs in: Basic here; ntlm_scenario.py sets NTLM with
# message encryption and runs the same scenario.
CLIENT_KW = {'transport': 'basic'}


class Client:
    def __init__(self, url, user, password):
        self.p = Protocol(url, username=user, password=password,
                          operation_timeout_sec=20, read_timeout_sec=30, **CLIENT_KW)

    def send(self, action, resource_uri, body, selectors=None):
        env = {'env:Envelope': self.p._get_soap_header(
            action=action, resource_uri=resource_uri, message_id=uuid.uuid4())}
        if selectors:
            env['env:Envelope']['env:Header']['w:SelectorSet'] = {
                'w:Selector': [{'@Name': k, '#text': v} for k, v in selectors]}
        env['env:Envelope']['env:Body'] = body
        return self.p.send_message(xmltodict.unparse(env))

    def set_mode(self, uri, nalpath, mode):
        # The envelope binds p to MS wsman.xsd, so the method body
        # declares it again for the class URI, as pywinrm users do.
        body = {'p:SetDPMaintenanceMode_INPUT': {
            '@xmlns:p': uri, 'p:NALPath': nalpath, 'p:Mode': str(mode)}}
        out = body_of(self.send(uri + '/SetDPMaintenanceMode', uri, body))
        return text(out['SetDPMaintenanceMode_OUTPUT']['ReturnValue'])

    def wql(self, query, optimize=True, max_elements=32000, pull_max=None):
        """Enumerate + Pull loop; returns (instances, number of Pulls)."""
        enum = {'w:Filter': {'@Dialect': WQL, '#text': query}}
        if optimize:
            enum = {'w:OptimizeEnumeration': None, 'w:MaxElements': str(max_elements),
                    **enum}
        resp = body_of(self.send(ENUMERATE, NS + '*', {'n:Enumerate': enum}))
        resp = resp['EnumerateResponse']
        items = as_list((resp.get('Items') or {}).get('SMS_DistributionPointInfo'))
        ctx = text(resp.get('EnumerationContext'))
        pulls = 0
        while ctx and 'EndOfSequence' not in resp:
            pull = {'n:EnumerationContext': ctx}
            if pull_max:
                pull['n:MaxElements'] = str(pull_max)
            resp = body_of(self.send(PULL, NS + '*', {'n:Pull': pull}))['PullResponse']
            pulls += 1
            items += as_list((resp.get('Items') or {}).get('SMS_DistributionPointInfo'))
            ctx = text(resp.get('EnumerationContext'))
            if pulls > 50:
                raise RuntimeError('enumeration never ended')
        return items, pulls


def fault_data(err):
    """The dict pywinrm 0.3.0 formats into WinRMError's message."""
    msg = str(err)
    marker = '(extended fault data: '
    if marker not in msg:
        return {}
    return ast.literal_eval(msg[msg.index(marker) + len(marker):].rstrip(')'))


def expect_fault(c, what, call, subcode, code, fault_code='s:Receiver'):
    try:
        call()
    except winrm_exceptions.WinRMError as e:
        # 0.3.0 exposes the fault only as text; newer pywinrm raises
        # WSManFaultError with attributes, also a WinRMError.
        if hasattr(e, 'wsman_fault_code'):
            data = {'fault_code': e.code, 'fault_subcode': e.subcode,
                    'wsmanfault_code': str(e.wsman_fault_code),
                    'http_status_code': 500}
        else:
            data = fault_data(e)
        c.ok('%s: pywinrm raised %s' % (what, type(e).__name__))
        c.eq(what + ': http_status_code', data.get('http_status_code'), 500)
        c.eq(what + ': fault_code', data.get('fault_code'), fault_code)
        c.eq(what + ': fault_subcode', data.get('fault_subcode'), subcode)
        c.eq(what + ': wsmanfault_code', data.get('wsmanfault_code'), str(code))
        return str(e)
    except Exception as e:  # noqa: BLE001 - any other type is the failure
        c.fail('%s: raised %s (%s), not WinRMError' % (what, type(e).__name__, e))
        return ''
    c.fail('%s: no exception' % what)
    return ''


def modes(items):
    return {text(i['Name']): text(i['MaintenanceMode']) for i in items}


def scenario(c, url):
    lab = Client(url, 'lab', 'lab')

    # 1. Every DP through a plain enumeration: a context, then Pulls of
    #    two until EndOfSequence.
    items, pulls = lab.wql('SELECT * FROM SMS_DistributionPointInfo', optimize=False,
                           pull_max=2)
    c.eq('WQL enumerate + Pull: DPs and MaintenanceMode as the lab starts',
         modes(items), {k: str(v) for k, v in LAB.items()})
    c.eq('WQL enumerate + Pull: number of Pulls (2 per Pull, 6 DPs)', pulls, 3)

    # 2. The DP looked up by Name, its NALPath taken from the instance
    #    and handed to SetDPMaintenanceMode, as the community scripts do.
    items, _ = lab.wql("SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP01.contoso.com'")
    c.eq("Name = 'DP01.contoso.com': instances", len(items), 1)
    dp01 = items[0] if items else {}
    c.eq('DP01 NALPath', text(dp01.get('NALPath')), nal('DP01.contoso.com'))
    rv = lab.set_mode(DPINFO, text(dp01.get('NALPath')) or nal('DP01.contoso.com'), 1)
    c.eq('SMS_DistributionPointInfo.SetDPMaintenanceMode(DP01, 1) ReturnValue', rv, '0')
    rv = lab.set_mode(DP, nal('dp02.contoso.com'), 0)
    c.eq('SMS_DistributionPoint.SetDPMaintenanceMode(dp02 lower case, 0) ReturnValue', rv, '0')

    # 3. Read back, in one optimized batch this time.
    items, pulls = lab.wql('SELECT * FROM SMS_DistributionPointInfo')
    want = {k: str(v) for k, v in LAB.items()}
    want['DP01.contoso.com'] = '1'
    want['DP02.contoso.com'] = '0'
    c.eq('read back: MaintenanceMode after the two Invokes', modes(items), want)
    c.eq('read back: all in the EnumerateResponse (Pulls)', pulls, 0)
    items, _ = lab.wql('SELECT Name, MaintenanceMode FROM SMS_DistributionPointInfo '
                       'WHERE MaintenanceMode = 1')
    c.eq('WHERE MaintenanceMode = 1', sorted(modes(items)), ['DP01.contoso.com'])
    # The selected properties and, as WMI does, the keys: nothing else.
    c.eq('SELECT Name, MaintenanceMode: properties returned',
         sorted(k for k in (items[0] if items else {}) if not k.startswith('@')),
         ['MaintenanceMode', 'NALPath', 'Name', 'ResourceType', 'SiteCode'])

    # 4. Get by the three keys.
    resp = body_of(lab.send(GET, DPINFO, {}, selectors=[
        ('NALPath', nal('DP01.contoso.com')), ('ResourceType', 'Windows NT Server'),
        ('SiteCode', 'PS1')]))
    inst = resp.get('SMS_DistributionPointInfo', {})
    c.eq('Get: Name', text(inst.get('Name')), 'DP01.contoso.com')
    c.eq('Get: ServerName', text(inst.get('ServerName')), 'DP01.contoso.com')
    c.eq('Get: SiteCode', text(inst.get('SiteCode')), 'PS1')
    c.eq('Get: ResourceType', text(inst.get('ResourceType')), 'Windows NT Server')
    c.eq('Get: NALPath', text(inst.get('NALPath')), nal('DP01.contoso.com'))
    c.eq('Get: MaintenanceMode', text(inst.get('MaintenanceMode')), '1')
    c.eq('Get: Description', text(inst.get('Description')),
         'Main datacenter distribution point')
    c.eq('Get: BitsEnabled', text(inst.get('BitsEnabled')), 'true')
    c.eq('Get: xsi:type', inst.get('@type'), 'p:SMS_DistributionPointInfo_Type')

    # 5. Errors, as pywinrm parses them.
    msg = expect_fault(c, 'unknown NAL path',
                       lambda: lab.set_mode(DPINFO, nal('NOPE.contoso.com'), 1),
                       'w:InternalError', WBEM_E_NOT_FOUND)
    if 'NOPE.contoso.com' in msg:
        c.ok('unknown NAL path: the reason names the NAL path')
    else:
        c.fail('unknown NAL path: reason does not name the NAL path: %s' % msg)
    expect_fault(c, 'Get without selectors (the captured probe)',
                 lambda: lab.send(GET, DPINFO, {}), 'w:InvalidSelectors',
                 INVALID_SELECTORS, fault_code='s:Sender')
    analyst = Client(url, 'analyst', 'analyst')
    expect_fault(c, 'Read-only Analyst invokes',
                 lambda: analyst.set_mode(DPINFO, nal('DP03.branch.contoso.com'), 1),
                 'w:AccessDenied', WBEM_E_ACCESS_DENIED, fault_code='s:Sender')
    try:
        Client(url, 'lab', 'wrong').wql('SELECT * FROM SMS_DistributionPointInfo')
        c.fail('wrong password: no exception')
    except winrm_exceptions.InvalidCredentialsError:
        c.ok('wrong password: pywinrm raised InvalidCredentialsError (HTTP 401)')

    # None of the failures changed anything.
    items, _ = lab.wql('SELECT * FROM SMS_DistributionPointInfo')
    c.eq('state after the failed calls', modes(items), want)


def main():
    binary = os.environ.get('DPSIM_BIN') or (sys.argv[1] if len(sys.argv) > 1 else
                                             os.path.join(ROOT, 'build', 'simulator', 'dpsim'))
    c = Checks()
    with tempfile.TemporaryDirectory(prefix='dpsim-pywinrm.') as work:
        d = Dpsim(binary, work)
        print('# dpsim (pid %d) ready at %s' % (d.proc.pid, d.url))
        try:
            with open(d.port_file) as f:
                c.eq('--port-file names the port of the ready line', f.read().strip(),
                     d.url.rsplit(':', 1)[1].split('/')[0])
            scenario(c, d.url)
        except Exception as e:  # noqa: BLE001 - report, then stop dpsim
            c.fail('scenario stopped: %s: %s' % (type(e).__name__, e))
        c.eq('dpsim exit status after SIGTERM', d.stop(), 0)
    print('pywinrm: %d passed, %d failed' % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
