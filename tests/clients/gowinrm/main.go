// Command gowinrm talks to dpsim with github.com/masterzen/winrm (Debian
// golang-github-masterzen-winrm-dev), the way a Go program reaches WMI
// through WinRM with that library: it has no WMI API, so requests are
// built with its soap package and sent with its HTTP transport, which adds
// Basic auth and the SOAP content type. Answers come back as text; this
// program parses them and prints one line per result for
// gowinrm_scenario.sh to check:
//
//	instance name=N mode=M             every DP, from Enumerate + Pulls
//	enumerate count=N pulls=P
//	invoke target=N rv=R               SetDPMaintenanceMode's ReturnValue
//	readback name=N mode=M             WQL by Name after the Invoke
//	get name=.. sitecode=.. resourcetype=.. mode=.. nalpath_ok=true|false
//	fault seen_as=.. status=.. code=.. subcode=.. wsmanfault=.. error_code=..
//	error STEP: TEXT                   anything that went wrong
//
// usage: gowinrm -port PORT [-host 127.0.0.1] [-user lab] [-pass lab]
package main

import (
	"encoding/xml"
	"flag"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/masterzen/simplexml/dom"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

const (
	siteURI   = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/"
	dpInfoURI = siteURI + "SMS_DistributionPointInfo"
	wqlURI    = "http://schemas.microsoft.com/wbem/wsman/1/WQL"
	anonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	actEnum   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
	actPull   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	actGet    = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
)

// nalPath is the canonical NAL path of a DP of site PS1.
func nalPath(fqdn string) string {
	return `["Display=\\` + fqdn + `\"]MSWNET:["SMS_SITE=PS1"]\\` + fqdn + `\`
}

// node is any XML element, kept whole so answers can be searched by
// local name the way a WMI client would read them.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []node     `xml:",any"`
}

func parse(s string) (*node, error) {
	var n node
	if err := xml.Unmarshal([]byte(s), &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// find returns the first element, depth first, whose local name is name.
func (n *node) find(name string) *node {
	if n == nil {
		return nil
	}
	if n.XMLName.Local == name {
		return n
	}
	for i := range n.Kids {
		if f := n.Kids[i].find(name); f != nil {
			return f
		}
	}
	return nil
}

// child returns the direct child called name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	for i := range n.Kids {
		if n.Kids[i].XMLName.Local == name {
			return &n.Kids[i]
		}
	}
	return nil
}

func (n *node) text(name string) string {
	if c := n.child(name); c != nil {
		return c.Text
	}
	return ""
}

func (n *node) attr(name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

type session struct {
	client *winrm.Client
	ep     *winrm.Endpoint
	msgNo  int
}

// message starts an envelope with the headers the library's builder
// knows; everything but a ShellId selector can be expressed that way.
func (s *session) message(action, resourceURI string) *soap.SoapMessage {
	s.msgNo++
	m := soap.NewMessage()
	m.Header().
		To(fmt.Sprintf("http://%s:%d/wsman", s.ep.Host, s.ep.Port)).
		ReplyTo(anonymous).
		MaxEnvelopeSize(153600).
		Id(fmt.Sprintf("uuid:6f0c2a10-0000-4000-8000-%012d", s.msgNo)).
		Locale("en-US").
		Timeout("PT60S").
		Action(action).
		ResourceURI(resourceURI).
		Build()
	return m
}

// faultError is a SOAP fault the server answered with.
type faultError struct {
	seenAs string // "body": Post returned it as a success; "http-error"
	status string // HTTP status when the library reported it
	fault  *node
}

func (e *faultError) Error() string {
	code := e.fault.child("Code")
	return fmt.Sprintf("seen_as=%s status=%s code=%s subcode=%s wsmanfault=%s error_code=%s",
		e.seenAs, e.status, code.text("Value"), code.child("Subcode").text("Value"),
		e.fault.find("WSManFault").attr("Code"), e.fault.find("MSFT_WmiError").text("error_Code"))
}

var httpError = regexp.MustCompile(`(?s)^http error (\d+): (.*)$`)

// post sends m and parses the answer. The library means to turn a non-200
// answer into an error "http error N: <body>", but its deferred rewrite
// cannot reach Post's unnamed results, so a fault arrives as an ordinary
// body with a nil error: look for s:Fault either way, as callers must.
func (s *session) post(m *soap.SoapMessage) (*node, error) {
	tr := winrm.NewClientWithDial(net.Dial)
	if err := tr.Transport(s.ep); err != nil {
		return nil, err
	}
	body, err := tr.Post(s.client, m)
	seenAs, status := "body", "unknown"
	if err != nil {
		mm := httpError.FindStringSubmatch(err.Error())
		if mm == nil {
			return nil, err
		}
		seenAs, status, body = "http-error", mm[1], mm[2]
	}
	doc, perr := parse(body)
	if perr != nil {
		return nil, fmt.Errorf("unparsable answer (%v): %.300s", perr, body)
	}
	if f := doc.find("Body").child("Fault"); f != nil {
		return nil, &faultError{seenAs: seenAs, status: status, fault: f}
	}
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// wql runs an optimized WQL enumeration, two instances per message, and
// pulls until EndOfSequence. Returns the instances and the Pull count.
func (s *session) wql(query string) ([]*node, int, error) {
	m := s.message(actEnum, siteURI+"*")
	en := m.CreateBodyElement("Enumerate", soap.DOM_NS_ENUM)
	m.CreateElement(en, "OptimizeEnumeration", soap.DOM_NS_WSMAN_DMTF)
	m.CreateElement(en, "MaxElements", soap.DOM_NS_WSMAN_DMTF).SetContent("2")
	f := m.CreateElement(en, "Filter", soap.DOM_NS_WSMAN_DMTF)
	f.SetAttr("Dialect", wqlURI)
	f.SetContent(query)
	resp, err := s.post(m)
	if err != nil {
		return nil, 0, err
	}
	var out []*node
	batch := resp.find("EnumerateResponse")
	pulls := 0
	for {
		if items := batch.child("Items"); items != nil {
			for i := range items.Kids {
				out = append(out, &items.Kids[i])
			}
		}
		ctx := batch.text("EnumerationContext")
		if batch.child("EndOfSequence") != nil || ctx == "" {
			return out, pulls, nil
		}
		if pulls++; pulls > 20 {
			return out, pulls, fmt.Errorf("enumeration does not end")
		}
		m = s.message(actPull, siteURI+"*")
		p := m.CreateBodyElement("Pull", soap.DOM_NS_ENUM)
		m.CreateElement(p, "EnumerationContext", soap.DOM_NS_ENUM).SetContent(ctx)
		m.CreateElement(p, "MaxElements", soap.DOM_NS_ENUM).SetContent("2")
		if resp, err = s.post(m); err != nil {
			return out, pulls, err
		}
		batch = resp.find("PullResponse")
	}
}

// setMode invokes the static SetDPMaintenanceMode on the class URI.
func (s *session) setMode(nal string, mode int) (string, error) {
	m := s.message(dpInfoURI+"/SetDPMaintenanceMode", dpInfoURI)
	ns := dom.Namespace{Prefix: "m", Uri: dpInfoURI}
	in := m.CreateBodyElement("SetDPMaintenanceMode_INPUT", ns)
	m.CreateElement(in, "NALPath", ns).SetContent(nal)
	m.CreateElement(in, "Mode", ns).SetContent(strconv.Itoa(mode))
	resp, err := s.post(m)
	if err != nil {
		return "", err
	}
	return resp.find("SetDPMaintenanceMode_OUTPUT").text("ReturnValue"), nil
}

// get fetches one instance by its keys. The header builder cannot write
// a SelectorSet with these names, so the envelope is assembled element by
// element and swapped in as the message's document root.
func (s *session) get(resourceURI string, keys [][2]string) (*node, error) {
	m := soap.NewMessage()
	env := dom.CreateElement("Envelope")
	soap.AddUsualNamespaces(env)
	soap.DOM_NS_SOAP_ENV.SetTo(env)
	add := func(parent *dom.Element, name string, ns dom.Namespace, content string) *dom.Element {
		e := dom.CreateElement(name)
		parent.AddChild(e)
		ns.SetTo(e)
		if content != "" {
			e.SetContent(content)
		}
		return e
	}
	hdr := add(env, "Header", soap.DOM_NS_SOAP_ENV, "")
	add(hdr, "To", soap.DOM_NS_ADDRESSING, fmt.Sprintf("http://%s:%d/wsman", s.ep.Host, s.ep.Port))
	add(hdr, "ResourceURI", soap.DOM_NS_WSMAN_DMTF, resourceURI).SetAttr("env:mustUnderstand", "true")
	reply := add(hdr, "ReplyTo", soap.DOM_NS_ADDRESSING, "")
	add(reply, "Address", soap.DOM_NS_ADDRESSING, anonymous).SetAttr("env:mustUnderstand", "true")
	add(hdr, "Action", soap.DOM_NS_ADDRESSING, actGet).SetAttr("env:mustUnderstand", "true")
	add(hdr, "MaxEnvelopeSize", soap.DOM_NS_WSMAN_DMTF, "153600").SetAttr("env:mustUnderstand", "true")
	s.msgNo++
	add(hdr, "MessageID", soap.DOM_NS_ADDRESSING, fmt.Sprintf("uuid:6f0c2a10-0000-4000-8000-%012d", s.msgNo))
	add(hdr, "OperationTimeout", soap.DOM_NS_WSMAN_DMTF, "PT60S")
	set := add(hdr, "SelectorSet", soap.DOM_NS_WSMAN_DMTF, "")
	for _, k := range keys {
		add(set, "Selector", soap.DOM_NS_WSMAN_DMTF, k[1]).SetAttr("Name", k[0])
	}
	add(env, "Body", soap.DOM_NS_SOAP_ENV, "")
	m.Doc().SetRoot(env)
	resp, err := s.post(m)
	if err != nil {
		return nil, err
	}
	return resp.find("Body").child("SMS_DistributionPointInfo"), nil
}

func main() {
	host := flag.String("host", "127.0.0.1", "dpsim address")
	port := flag.Int("port", 5985, "dpsim port")
	user := flag.String("user", "lab", "user name")
	pass := flag.String("pass", "lab", "password")
	flag.Parse()

	ep := winrm.NewEndpoint(*host, *port, false, false, nil, nil, nil, 0)
	client, err := winrm.NewClient(ep, *user, *pass)
	if err != nil {
		fmt.Println("error client:", err)
		os.Exit(1)
	}
	s := &session{client: client, ep: ep}

	// Every DP, and the NAL path of DP01 as the provider spells it.
	all, pulls, err := s.wql("SELECT * FROM SMS_DistributionPointInfo")
	if err != nil {
		fmt.Println("error enumerate:", err)
	}
	dp01 := ""
	for _, inst := range all {
		fmt.Printf("instance name=%s mode=%s\n", inst.text("Name"), inst.text("MaintenanceMode"))
		if inst.text("Name") == "DP01.contoso.com" {
			dp01 = inst.text("NALPath")
		}
	}
	fmt.Printf("enumerate count=%d pulls=%d\n", len(all), pulls)
	if dp01 != nalPath("DP01.contoso.com") {
		fmt.Printf("error enumerate: DP01 NALPath %q\n", dp01)
	}

	rv, err := s.setMode(dp01, 1)
	if err != nil {
		fmt.Println("error invoke:", strings.ReplaceAll(err.Error(), "\n", " "))
	}
	fmt.Printf("invoke target=DP01.contoso.com rv=%s\n", rv)

	back, _, err := s.wql("SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'dp01.contoso.com'")
	if err != nil {
		fmt.Println("error readback:", err)
	}
	for _, inst := range back {
		fmt.Printf("readback name=%s mode=%s\n", inst.text("Name"), inst.text("MaintenanceMode"))
	}

	inst, err := s.get(dpInfoURI, [][2]string{
		{"NALPath", nalPath("DP01.contoso.com")},
		{"ResourceType", "Windows NT Server"},
		{"SiteCode", "PS1"},
	})
	if err != nil {
		fmt.Println("error get:", strings.ReplaceAll(err.Error(), "\n", " "))
	} else {
		fmt.Printf("get name=%s sitecode=%s resourcetype=%s mode=%s nalpath_ok=%t\n",
			inst.text("Name"), inst.text("SiteCode"), inst.text("ResourceType"),
			inst.text("MaintenanceMode"), inst.text("NALPath") == nalPath("DP01.contoso.com"))
	}

	_, err = s.setMode(nalPath("NOPE.contoso.com"), 1)
	if fe, ok := err.(*faultError); ok {
		fmt.Println("fault", fe.Error())
	} else {
		fmt.Printf("error fault: unknown NAL path gave %v, not a fault\n", err)
	}
}
