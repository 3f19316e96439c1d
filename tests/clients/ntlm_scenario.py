#!/usr/bin/python3
"""Negotiate (NTLM) with message encryption against a real dpsim over HTTP.

1. pywinrm with transport='ntlm', message_encryption='always': Identify,
   then pywinrm_scenario's whole scenario (WQL Enumerate + Pull, Get,
   SetDPMaintenanceMode read back, faults with their HRESULTs, the
   Read-only Analyst refused, a wrong password's 401), and a fault rule's
   HRESULT through the sealed channel.
2. message_encryption='never': refused as WinRM with AllowUnencrypted=false
   refuses it (401), with a log line; taken with --allow-unencrypted.
3. A GSSAPI client (python3-gssapi, gss-ntlmssp) sending SPNEGO tokens.
4. The Windows exchange, built with python3-ntlm-auth and sent raw: a bare
   NTLM NEGOTIATE with an empty body, then AUTHENTICATE with the first
   sealed body (UTF-16, as Windows sends it) in the same request, then a
   request with no Authorization on the same connection; a tampered body
   and a wrong Length get 400 and execute nothing.
5. Over HTTPS, pywinrm NTLM without sealing: served, roles applied.

usage: ntlm_scenario.sh [DPSIM]   (it sets OPENSSL_CONF for MD4)
"""
import base64
import codecs
import http.client
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pywinrm_scenario as ps  # noqa: E402 - after the path is set

try:
    import gssapi
    import gssapi.raw
    import xmltodict
    from ntlm_auth.ntlm import NtlmContext
    from winrm import exceptions as winrm_exceptions
    from winrm.protocol import Protocol
except ImportError as e:
    print('SKIP: a client library is not installed (%s)' % e)
    sys.exit(77)

SEALED_TYPE = ('multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";'
               'boundary="Encrypted Boundary"')
IDENTIFY = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
            'xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd">'
            '<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>')
WBEM_E_FAILED = 2147749889   # 0x80041001
SPNEGO = gssapi.OID.from_int_seq('1.3.6.1.5.5.2')


def frame(original_type, plain_len, wrapped):
    """MS-WSMV 2.2.9.1: wrapped is the 16-byte signature then the sealed bytes."""
    return (b'--Encrypted Boundary\r\n'
            b'\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n'
            b'\tOriginalContent: type=' + original_type.encode() +
            b';Length=' + str(plain_len).encode() + b'\r\n'
            b'--Encrypted Boundary\r\n'
            b'\tContent-Type: application/octet-stream\r\n' +
            struct.pack('<I', 16) + wrapped + b'--Encrypted Boundary--\r\n')


def unframe(body):
    """(declared Length, original type, signature + sealed bytes)."""
    m = re.search(rb'OriginalContent: type=([^;]*;charset=[^;]*);Length=(\d+)', body)
    start = body.index(b'application/octet-stream\r\n') + len(b'application/octet-stream\r\n')
    siglen = struct.unpack('<I', body[start:start + 4])[0]
    end = body.rindex(b'--Encrypted Boundary--')
    return int(m.group(2)), m.group(1).decode(), body[start + 4:end], siglen


def b64(b):
    return base64.b64encode(b).decode()


def token_of(resp):
    h = resp.getheader('WWW-Authenticate') or ''
    return base64.b64decode(h.split(' ', 1)[1]) if h.startswith('Negotiate ') else None


def envelope(url, action, resource_uri, body, selectors=None):
    p = Protocol(url, transport='basic', username='x', password='x')
    env = {'env:Envelope': p._get_soap_header(action=action, resource_uri=resource_uri,
                                              message_id=uuid.uuid4())}
    if selectors:
        env['env:Envelope']['env:Header']['w:SelectorSet'] = {
            'w:Selector': [{'@Name': k, '#text': v} for k, v in selectors]}
    env['env:Envelope']['env:Body'] = body
    return xmltodict.unparse(env)


def get_dp(url, fqdn):
    return envelope(url, ps.GET, ps.DPINFO, {}, selectors=[
        ('NALPath', ps.nal(fqdn)), ('ResourceType', 'Windows NT Server'), ('SiteCode', 'PS1')])


def set_mode_env(url, fqdn, mode):
    body = {'p:SetDPMaintenanceMode_INPUT': {
        '@xmlns:p': ps.DPINFO, 'p:NALPath': ps.nal(fqdn), 'p:Mode': str(mode)}}
    return envelope(url, ps.DPINFO + '/SetDPMaintenanceMode', ps.DPINFO, body)


def http_post(host, port, path, body, headers):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request('POST', path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


# ---- 1, 2: pywinrm ---------------------------------------------------------

def pywinrm_part(c, url, host, port):
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'always'}
    lab = ps.Client(url, 'lab', 'lab')
    out = lab.p.send_message(IDENTIFY)
    c.ok('pywinrm NTLM sealed Identify') if b'ProtocolVersion' in out else \
        c.fail('Identify: no ProtocolVersion in %r' % out[:200])
    ps.scenario(c, url)

    # A fault rule's HRESULT, through the sealed channel.
    st, data = http_post(host, port, '/_dpsim/faults', json.dumps({
        'method': 'SetDPMaintenanceMode', 'effect': 'fault', 'hresult': '0x80041001',
        'times': 1}), {'Content-Type': 'application/json'})
    c.eq('fault rule added', st, 201)
    ps.expect_fault(c, 'fault rule 0x80041001 over NTLM',
                    lambda: lab.set_mode(ps.DPINFO, ps.nal('DP03.branch.contoso.com'), 1),
                    'w:InternalError', WBEM_E_FAILED)

    # Unencrypted over HTTP: what AllowUnencrypted=false does.
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'never'}
    try:
        ps.Client(url, 'lab', 'lab').wql('SELECT * FROM SMS_DistributionPointInfo')
        c.fail('message_encryption=never: no exception')
    except winrm_exceptions.InvalidCredentialsError:
        c.ok('message_encryption=never over HTTP: 401 (InvalidCredentialsError)')
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'always'}


def unencrypted_allowed(c, binary, work):
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'never'}
    d = ps.Dpsim(binary, work, extra=['--allow-unencrypted'])
    try:
        items, _ = ps.Client(d.url, 'lab', 'lab').wql(
            "SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP02.contoso.com'")
        c.eq('--allow-unencrypted: NTLM in the clear, DP02 MaintenanceMode',
             ps.modes(items), {'DP02.contoso.com': '1'})
    except Exception as e:  # noqa: BLE001
        c.fail('--allow-unencrypted: %s: %s' % (type(e).__name__, e))
    c.eq('dpsim (--allow-unencrypted) exit status', d.stop(), 0)
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'always'}


# ---- 3: SPNEGO -------------------------------------------------------------

def spnego_part(c, url, host, port):
    name = gssapi.Name('LAB\\infra', gssapi.NameType.user)
    cred = gssapi.raw.acquire_cred_with_password(name, b'infra', usage='initiate',
                                                 mechs=[SPNEGO]).creds
    ctx = gssapi.SecurityContext(
        name=gssapi.Name('HTTP@%s' % host, gssapi.NameType.hostbased_service),
        creds=cred, mech=SPNEGO, usage='initiate',
        flags=gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.integrity)
    conn = http.client.HTTPConnection(host, port, timeout=30)
    tok = ctx.step()
    c.eq('SPNEGO: the first token is GSS-framed (0x60)', tok[0], 0x60)
    headers = {'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': '0'}
    conn.request('POST', '/wsman', body=b'', headers=dict(headers, Authorization='Negotiate ' + b64(tok)))
    r = conn.getresponse()
    r.read()
    c.eq('SPNEGO: NEGOTIATE answered 401', r.status, 401)
    tok = ctx.step(token_of(r))
    conn.request('POST', '/wsman', body=b'', headers=dict(headers, Authorization='Negotiate ' + b64(tok)))
    r = conn.getresponse()
    r.read()
    c.eq('SPNEGO: authenticated empty POST answered 200', r.status, 200)
    last = token_of(r)
    if last:
        ctx.step(last)
    c.eq('SPNEGO: the client context is complete', ctx.complete, True)
    plain = get_dp(url, 'DP01.contoso.com').encode()
    body = frame('application/soap+xml;charset=UTF-8', len(plain),
                 ctx.wrap(plain, True).message)
    conn.request('POST', '/wsman', body=body,
                 headers={'Content-Type': SEALED_TYPE, 'Content-Length': str(len(body))})
    r = conn.getresponse()
    data = r.read()
    c.eq('SPNEGO: sealed Get answered 200', r.status, 200)
    length, _, wrapped, _ = unframe(data)
    answer = ctx.unwrap(wrapped).message
    c.eq('SPNEGO: the answer has its declared Length', len(answer), length)
    inst = ps.body_of(answer).get('SMS_DistributionPointInfo', {})
    c.eq('SPNEGO: Get DP01 Name', ps.text(inst.get('Name')), 'DP01.contoso.com')
    conn.close()


# ---- 4: the Windows exchange -----------------------------------------------

def windows_sign_in(c, url, host, port, first_plain, what):
    """NEGOTIATE with no body, then AUTHENTICATE with the first sealed body:
    (connection, context, status, answer body)."""
    ctx = NtlmContext('lab', 'lab', domain='WORKGROUP', workstation='WIN11')
    conn = http.client.HTTPConnection(host, port, timeout=30)
    common = {'User-Agent': 'Microsoft WinRM Client', 'Connection': 'Keep-Alive'}
    conn.request('POST', '/wsman', body=b'', headers=dict(
        common, **{'Content-Type': 'application/soap+xml;charset=UTF-16', 'Content-Length': '0',
                   'Authorization': 'Negotiate ' + b64(ctx.step())}))
    r = conn.getresponse()
    r.read()
    c.eq('%s: bare NTLM NEGOTIATE answered 401' % what, r.status, 401)
    challenge = token_of(r)
    c.eq('%s: the challenge is a bare NTLM CHALLENGE' % what, (challenge or b'')[:9],
         b'NTLMSSP\x00\x02')
    auth = ctx.step(challenge)
    body = first_plain(ctx)
    conn.request('POST', '/wsman', body=body, headers=dict(
        common, **{'Content-Type': SEALED_TYPE, 'Content-Length': str(len(body)),
                   'Authorization': 'Negotiate ' + b64(auth)}))
    r = conn.getresponse()
    return conn, ctx, r.status, r.read(), r


def utf16(xml):
    return codecs.BOM_UTF16_LE + xml.encode('utf-16-le')


def windows_part(c, url, host, port):
    def identify(ctx):
        plain = utf16(IDENTIFY)
        return frame('application/soap+xml;charset=UTF-16', len(plain), ctx.wrap(plain))

    conn, ctx, st, data, r = windows_sign_in(c, url, host, port, identify, 'Windows')
    c.eq('Windows: AUTHENTICATE + sealed Identify answered 200', st, 200)
    c.eq('Windows: the answer is sealed', (r.getheader('Content-Type') or '').split(';')[0],
         'multipart/encrypted')
    length, otype, wrapped, siglen = unframe(data)
    c.eq('Windows: signature length', siglen, 16)
    c.eq('Windows: the answer in the request\'s charset', otype.lower(),
         'application/soap+xml;charset=utf-16')
    answer = ctx.unwrap(wrapped)
    c.eq('Windows: the answer has its declared Length', len(answer), length)
    c.ok('Windows: Identify answer has ProtocolVersion') \
        if 'ProtocolVersion' in answer.decode('utf-16') else c.fail('Windows: no ProtocolVersion')

    # The same connection, no Authorization: the context is the connection's.
    plain = utf16(get_dp(url, 'DP03.branch.contoso.com'))
    body = frame('application/soap+xml;charset=UTF-16', len(plain), ctx.wrap(plain))
    conn.request('POST', '/wsman', body=body,
                 headers={'Content-Type': SEALED_TYPE, 'Content-Length': str(len(body))})
    r = conn.getresponse()
    data = r.read()
    c.eq('Windows: next request, no Authorization, answered 200', r.status, 200)
    length, _, wrapped, _ = unframe(data)
    inst = ps.body_of(ctx.unwrap(wrapped).decode('utf-16')).get('SMS_DistributionPointInfo', {})
    c.eq('Windows: Get DP03 MaintenanceMode', ps.text(inst.get('MaintenanceMode')), '0')

    # Tampered: one byte of the sealed envelope changed. 400, closed,
    # nothing executed.
    plain = set_mode_env(url, 'DP03.branch.contoso.com', 1).encode()
    wrapped = bytearray(ctx.wrap(plain))
    wrapped[30] ^= 1
    body = frame('application/soap+xml;charset=UTF-8', len(plain), bytes(wrapped))
    conn.request('POST', '/wsman', body=body,
                 headers={'Content-Type': SEALED_TYPE, 'Content-Length': str(len(body))})
    r = conn.getresponse()
    r.read()
    c.eq('Windows: tampered body answered 400', r.status, 400)
    c.eq('Windows: tampered body closes the connection',
         (r.getheader('Connection') or '').lower(), 'close')
    conn.close()

    # A wrong Length, on a new connection (as a client would retry).
    def wrong_length(ctx):
        p = set_mode_env(url, 'DP03.branch.contoso.com', 1).encode()
        return frame('application/soap+xml;charset=UTF-8', len(p) + 1, ctx.wrap(p))
    conn, ctx, st, data, r = windows_sign_in(c, url, host, port, wrong_length, 'Length')
    c.eq('Windows: wrong Length answered 400', st, 400)
    conn.close()

    items, _ = ps.Client(url, 'lab', 'lab').wql(
        "SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP03.branch.contoso.com'")
    c.eq('tampered and wrong-Length Invokes executed nothing', ps.modes(items),
         {'DP03.branch.contoso.com': '0'})


# ---- 5: HTTPS: Negotiate without sealing is normal --------------------------

def https_part(c, binary, work):
    key, cert = os.path.join(work, 'k.pem'), os.path.join(work, 'c.pem')
    r = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                        '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost',
                        '-addext', 'subjectAltName=IP:127.0.0.1'],
                       capture_output=True)
    if r.returncode:
        c.fail('https: openssl could not make a certificate: %s' % r.stderr[-300:])
        return
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'auto',
                    'ca_trust_path': cert}
    d = ps.Dpsim(binary, work, extra=['--listen', 'none', '--tls-listen', '127.0.0.1:0',
                                      '--tls-cert', cert, '--tls-key', key])
    try:
        c.eq('https: the ready line names an https URL', d.url.split(':')[0], 'https')
        lab = ps.Client(d.url, 'lab', 'lab')
        rv = lab.set_mode(ps.DPINFO, ps.nal('PXE01.contoso.com'), 1)
        c.eq('https: NTLM unsealed SetDPMaintenanceMode(PXE01, 1) ReturnValue', rv, '0')
        items, _ = lab.wql("SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'PXE01.contoso.com'")
        c.eq('https: read back', ps.modes(items), {'PXE01.contoso.com': '1'})
        ps.expect_fault(c, 'https: Read-only Analyst over NTLM',
                        lambda: ps.Client(d.url, 'analyst', 'analyst').set_mode(
                            ps.DPINFO, ps.nal('PXE01.contoso.com'), 0),
                        'w:AccessDenied', ps.WBEM_E_ACCESS_DENIED, fault_code='s:Sender')
    except Exception as e:  # noqa: BLE001
        c.fail('https: %s: %s' % (type(e).__name__, e))
    c.eq('dpsim (https) exit status', d.stop(), 0)
    ps.CLIENT_KW = {'transport': 'ntlm', 'message_encryption': 'always'}


def main():
    binary = os.environ.get('DPSIM_BIN') or (sys.argv[1] if len(sys.argv) > 1 else
                                             os.path.join(ps.ROOT, 'build', 'simulator', 'dpsim'))
    c = ps.Checks()
    with tempfile.TemporaryDirectory(prefix='dpsim-ntlm.') as work:
        d = ps.Dpsim(binary, work)
        print('# dpsim (pid %d) ready at %s' % (d.proc.pid, d.url))
        hostport = d.url.split('/')[2]
        host, port = hostport.rsplit(':', 1)
        for part in (pywinrm_part, spnego_part, windows_part):
            try:
                part(c, d.url, host, int(port))
            except Exception as e:  # noqa: BLE001 - report, go on
                c.fail('%s stopped: %s: %s' % (part.__name__, type(e).__name__, e))
        d.stderr.flush()
        with open(os.path.join(work, 'dpsim.stderr')) as f:
            log = f.read()
        c.ok('log: the unsealed request is refused with a reason') \
            if 'AllowUnencrypted=false' in log else c.fail('log: no AllowUnencrypted line')
        c.ok('log: the tampered body is logged') \
            if 'sealed body refused' in log else c.fail('log: no sealed-body line')
        c.eq('dpsim exit status after SIGTERM', d.stop(), 0)
        os.makedirs(os.path.join(work, 'b'))
        unencrypted_allowed(c, binary, os.path.join(work, 'b'))
        os.makedirs(os.path.join(work, 't'))
        https_part(c, binary, os.path.join(work, 't'))
    print('ntlm: %d passed, %d failed' % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
