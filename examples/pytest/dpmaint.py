"""The code under test: turns a distribution point's maintenance mode on or
off with SMS_DistributionPoint.SetDPMaintenanceMode over WS-Management, as a
deployment script would against a real SMS Provider. Standard library
only."""
import base64
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

WMI = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_%s/SMS_DistributionPoint"

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
  xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
 <s:Header>
  <a:To>{to}</a:To>
  <a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>
  <w:MaxEnvelopeSize s:mustUnderstand="true">153600</w:MaxEnvelopeSize>
  <a:MessageID>uuid:{id}</a:MessageID>
  <w:OperationTimeout>PT20S</w:OperationTimeout>
  <w:ResourceURI s:mustUnderstand="true">{uri}</w:ResourceURI>
  <a:Action s:mustUnderstand="true">{uri}/SetDPMaintenanceMode</a:Action>
 </s:Header>
 <s:Body>
  <p:SetDPMaintenanceMode_INPUT xmlns:p="{uri}">
   <p:NALPath>{nal}</p:NALPath><p:Mode>{mode}</p:Mode>
  </p:SetDPMaintenanceMode_INPUT>
 </s:Body>
</s:Envelope>"""


class MaintenanceError(Exception):
    pass


def set_maintenance(endpoint, user, password, site, nalpath, mode, timeout=30):
    """Calls SetDPMaintenanceMode; raises MaintenanceError on a SOAP fault
    or a non-zero ReturnValue."""
    uri = WMI % site
    body = ENVELOPE.format(to=escape(endpoint), id=uuid.uuid4(), uri=uri,
                           nal=escape(nalpath), mode=int(mode)).encode()
    auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    req = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Content-Type": "application/soap+xml;charset=UTF-8",
        "Authorization": "Basic " + auth})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            answer = r.read()
    except urllib.error.HTTPError as e:
        # A WS-Man fault comes with HTTP 500 and a Reason to show.
        text = e.read().decode("utf-8", "replace")
        reason = ET.fromstring(text).findtext(".//{*}Reason/{*}Text") if text else None
        raise MaintenanceError("HTTP %d: %s" % (e.code, reason or e.reason)) from None
    rv = ET.fromstring(answer).findtext(".//{*}ReturnValue")
    if rv != "0":
        raise MaintenanceError("ReturnValue %s" % rv)
