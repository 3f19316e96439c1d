/* reply: WS-Management response envelopes, written from templates.
 *
 * Writing text with escaping was measured ~40% cheaper than building a
 * libxml2 tree and dumping it (docs/architecture.md, Measured choices). A
 * response is
 * composed as:
 *
 *   wsman_reply_begin(b, action, message_id, relates_to);
 *   ... one or more body writers ...
 *   wsman_reply_end(b);
 *
 * and checked once with buf_error(b). Every envelope declares the prefixes
 * s a w n x p b wsmid cim xsi on the root so body writers can use them.
 * Strings are borrowed; nothing is kept after a call returns.
 */
#ifndef DPSIM_WSMAN_REPLY_H
#define DPSIM_WSMAN_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cim.h"
#include "fault.h"
#include "request.h"
#include "vocab.h"

/* Envelope start through <s:Body>. action NULL writes no a:Action and no
 * addressing headers at all (the Identify response has an empty header).
 * message_id is the response's own ("uuid:..."); relates_to the request's
 * MessageID verbatim, or NULL to omit a:RelatesTo. */
void wsman_reply_begin(struct buf *b, const char *action,
		       const char *message_id, const char *relates_to);
/* wsman_reply_begin() for a Get of a fragment: the header also echoes
 * <w:FragmentTransfer s:mustUnderstand="true">expression</...>, as the
 * DSP0226 answers to a fragment request show it. */
void wsman_reply_begin_fragment(struct buf *b, const char *action,
				const char *message_id, const char *relates_to,
				const char *expression);
/* </s:Body></s:Envelope> */
void wsman_reply_end(struct buf *b);

/* IdentifyResponse body. product_version NULL omits ProductVersion (as
 * WinRM does for an unauthenticated Identify). */
void wsman_reply_identify(struct buf *b, const char *product_version);

/* One instance element: <p:Class xmlns:p="class_uri" xsi:type="p:Class_Type">
 * with a child per property in class order (xsi:nil for nulls, repeated
 * elements for arrays, cim:Datetime wrappers for datetimes). select, if
 * not NULL, lists the nselect property names (case-insensitive) to write;
 * keys are written too (WMI returns them with any property list). */
void wsman_reply_instance(struct buf *b, const char *class_uri,
			  const struct cim_instance *inst,
			  const char *const *select, size_t nselect);

/* <w:XmlFragment> holding the property of index prop of inst, written
 * as in an instance (each element, in the class_uri namespace; xsi:nil
 * for null), or only element number item (from 1) when item is not 0.
 * With text, the value's text alone (nothing for null; a datetime's
 * value without its cim:Datetime wrapper). The caller has checked that
 * item is within the values. */
void wsman_reply_fragment(struct buf *b, const char *class_uri,
			  const struct cim_instance *inst, size_t prop,
			  uint32_t item, bool text);

/* An a:EndpointReference to inst: anonymous Address, ResourceURI
 * class_uri and a SelectorSet with the instance's keys (plus
 * __cimnamespace = ns when ns is not NULL, as for DMTF URIs). */
void wsman_reply_epr(struct buf *b, const char *class_uri, const char *ns,
		     const struct cim_instance *inst);

/* One enumeration item in the given mode: the instance, its EPR, or
 * <w:Item> holding both. */
void wsman_reply_item(struct buf *b, enum wsman_enum_mode mode,
		      const char *class_uri, const char *ns,
		      const struct cim_instance *inst,
		      const char *const *select, size_t nselect);

/* EnumerateResponse / PullResponse bodies, written around the items:
 *
 *   wsman_reply_enumerate_open(b, context, optimized);
 *   ... wsman_reply_item() per item ...
 *   wsman_reply_enumerate_close(b, context, optimized);
 *
 * context NULL means the sequence ended: the response carries
 * EndOfSequence and never a context together with it (wsl keeps pulling
 * while it sees one). Items and EndOfSequence go in the w: namespace for
 * EnumerateResponse (only written when optimized) and in n: for Pull. */
void wsman_reply_enumerate_open(struct buf *b, const char *context,
				bool optimized);
void wsman_reply_enumerate_close(struct buf *b, const char *context,
				 bool optimized);
void wsman_reply_pull_open(struct buf *b, const char *context);
void wsman_reply_pull_close(struct buf *b, const char *context);

/* Empty body for ReleaseResponse: nothing to write; provided for symmetry
 * so callers need not know. */
void wsman_reply_release(struct buf *b);

/* <p:Method_OUTPUT xmlns:p="resource_uri"> with the out parameters (name,
 * canonical value; NULL value = xsi:nil) in order, then ReturnValue. */
void wsman_reply_invoke(struct buf *b, const char *resource_uri,
			const char *method, uint32_t return_value,
			const struct wsman_kv *outs, size_t nouts);

/* <p:Method_OUTPUT xmlns:p="resource_uri"> holding out, an instance of
 * the method's output class (cim_method_output_class): each property
 * as in an instance, so the out parameters in declaration order (an
 * array as one element per item, an empty array absent, null as
 * xsi:nil), then ReturnValue, as WinRM writes a method's output
 * (docs/wsman-protocol.md, Invoke). */
void wsman_reply_invoke_output(struct buf *b, const char *resource_uri,
			       const char *method,
			       const struct cim_instance *out);

/* A whole fault envelope: begin (with the fault action that fits the
 * subcode), s:Fault with Code/Subcode/Reason, s:Detail with
 * w:FaultDetail (if any), f:WSManFault Code= Machine=, the MSFT_WmiError
 * instance when f->wmi_error, and SMS_ExtendedStatus when f->sms; end.
 * For s:MustUnderstand an s:NotUnderstood header names the qname. */
void wsman_reply_fault(struct buf *b, const struct wsman_fault *f,
		       const char *message_id, const char *relates_to,
		       const char *machine);

#endif
