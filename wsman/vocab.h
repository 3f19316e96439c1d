/* vocab: the WS-Management vocabulary, written once.
 *
 * Namespace URIs, actions, filter dialects, the anonymous address, the
 * MessageID form and the SOAP content type are the same strings on both
 * sides of the wire: the codec writes and reads them, the simulator
 * answers with them, the client sends them. A misspelt copy is a protocol
 * bug only a real client would notice, so every part of dpsim takes them
 * from here. Values are as WinRM writes them (docs/wsman-protocol.md).
 */
#ifndef DPSIM_WSMAN_VOCAB_H
#define DPSIM_WSMAN_VOCAB_H

/* ---- namespaces ------------------------------------------------------- */

#define WSMAN_NS_SOAP		"http://www.w3.org/2003/05/soap-envelope"
/* SOAP 1.1: recognised only to refuse it. */
#define WSMAN_NS_SOAP11		"http://schemas.xmlsoap.org/soap/envelope/"
#define WSMAN_NS_ADDR		"http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define WSMAN_NS_ENUM		"http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define WSMAN_NS_XFER		"http://schemas.xmlsoap.org/ws/2004/09/transfer"
#define WSMAN_NS_EVENT		"http://schemas.xmlsoap.org/ws/2004/08/eventing"
#define WSMAN_NS_WSMAN		"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_MSWSMAN	"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
#define WSMAN_NS_IDENT \
	"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
#define WSMAN_NS_CIMBIND	"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
#define WSMAN_NS_CIM		"http://schemas.dmtf.org/wbem/wscim/1/common"
#define WSMAN_NS_XSI		"http://www.w3.org/2001/XMLSchema-instance"
#define WSMAN_NS_WSMANFAULT	"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"

/* ---- addressing ------------------------------------------------------- */

/* a:ReplyTo and the a:Address of an EndpointReference. */
#define WSMAN_ADDR_ANONYMOUS \
	"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

/* A MessageID: "uuid:" and 36 characters, upper-case hex as WinRM writes
 * it; WSMAN_UUID_SIZE holds one with its NUL. The format takes the 16
 * bytes in order (build.h's wsman_format_uuid sets the version bits). */
#define WSMAN_UUID_SIZE 42
#define WSMAN_UUID_FORMAT \
	"uuid:%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-" \
	"%02X%02X%02X%02X%02X%02X"

/* ---- actions ---------------------------------------------------------- */

#define WSMAN_ACTION_GET \
	"http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define WSMAN_ACTION_ENUMERATE \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define WSMAN_ACTION_PULL \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
#define WSMAN_ACTION_RELEASE \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
#define WSMAN_ACTION_GET_RESPONSE \
	"http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"
#define WSMAN_ACTION_ENUMERATE_RESPONSE \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse"
#define WSMAN_ACTION_PULL_RESPONSE \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse"
#define WSMAN_ACTION_RELEASE_RESPONSE \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse"
#define WSMAN_ACTION_WSMAN_FAULT \
	"http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
#define WSMAN_ACTION_ADDRESSING_FAULT \
	"http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"

/* w:FaultDetail values are this plus a name (InvalidValue, ...). */
#define WSMAN_FAULT_DETAIL_PREFIX \
	"http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"

/* ---- filters and resources -------------------------------------------- */

#define WSMAN_DIALECT_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
#define WSMAN_DIALECT_SELECTOR \
	"http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
/* DSP0226: a w:Filter without Dialect is XPath 1.0. */
#define WSMAN_DIALECT_XPATH "http://www.w3.org/TR/1999/REC-xpath-19991116"

#define WSMAN_URI_WMI_PREFIX  "http://schemas.microsoft.com/wbem/wsman/1/wmi/"
#define WSMAN_URI_DMTF_PREFIX "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"

/* ---- HTTP ------------------------------------------------------------- */

/* The media type of a SOAP 1.2 envelope, and the Content-Type header
 * value WinRM sends and answers with. */
#define WSMAN_SOAP_MEDIA_TYPE	"application/soap+xml"
#define WSMAN_SOAP_CONTENT_TYPE	WSMAN_SOAP_MEDIA_TYPE ";charset=UTF-8"
/* The answer to a UTF-16 request is UTF-16 too, with a byte-order mark
 * (MS-WSMV's own example pairs them). */
#define WSMAN_SOAP_CONTENT_TYPE_UTF16 WSMAN_SOAP_MEDIA_TYPE ";charset=UTF-16"

#endif
