/* fixture: load, validate and merge dpsim lab fixtures.
 *
 * A load reads the document once and builds the fixture while libxml2
 * parses it. The parser still builds a tree (SAX2), but each child of
 * <site> (<dp>, <boundary-group>, <class>, <fault-rule>) and <users> is
 * turned into structs from its own small subtree as soon as it has been
 * read, and freed: the tree never holds two of them. Along the way:
 *   - any DTD is refused before it is read (no entity can be declared,
 *     so none can be expanded);
 *   - the compiled-in fixtures/fixture.xsd validates the same events as
 *     they go by (xmlSchemaSAXPlug), unless the document's digest says
 *     this dpsim validated it before;
 *   - the builders do the checks XSD cannot express (case-insensitive
 *     uniqueness of sites, users, DP FQDNs and NAL paths, and <property>
 *     names within a DP; boundary-group members that are DPs of the
 *     site; declared classes that are well-formed WMI classes with unique
 *     instances; a user's password or password-hash (one, and a hash
 *     dpsim accepts), role or <access> elements (one of them), one
 *     <access> per site and security scope lists without repeats). A
 *     site's DPs are indexed, and their <source>s checked, when its first
 *     other child starts or it ends: the schema puts the DPs first.
 * Whether a <property> names a real SMS_DistributionPointInfo property
 * and holds a value of its type is checked by the provider, which owns
 * the class (provider_new reports it as FILE:LINE too); likewise a
 * <class>'s values are converted to their types by simulator/classes.c.
 * Parser, schema and builder errors go through one struct diag and the
 * load stops at the first, so the message is the first problem met
 * reading the file, as "FILE:LINE: text"; an element's own schema errors
 * come before what its builder would find ("reading while parsing").
 */
#include "fixture.h"

#include <nettle/sha2.h>
#include "auth.h"
#include "embedded.h"
#include "faults.h"
#include "cim.h"
#include "xmlcatch.h"
#include "buf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#define FIXTURE_NS "urn:dpsim:fixture:1"
#define FIXTURE_ROOT "dpsim-fixture"
/* A lab of thousands of DPs is a few MiB; anything bigger is a mistake. */
#define FIXTURE_MAX_BYTES (16u << 20)

/* ---- error reporting ---------------------------------------------- */

struct diag {
	const char *name;	/* file name shown in messages */
	char *buf;		/* caller's err buffer, may be NULL */
	size_t size;
	bool failed;		/* first error recorded; ignore the rest */
};

/* One load as it reads (see "reading while parsing"); the parser's
 * _private. */
struct stream {
	xmlParserCtxt *p;
	struct diag *d;
	struct fixture *f;	/* being built */
	int rc;			/* the builders' first error, when they made
				 * the first one: -EINVAL or -ENOMEM */
	bool validating;	/* the schema checks this document */
	xmlNode *root;
	/* What the last event left for the next one, which libxml2's
	 * validator checks after our handler returns: the element that
	 * started, or the one that ended. */
	xmlNode *started;
	xmlNode *ended;
	/* A schema error (or a wrong root) waits for the next event, as a
	 * well-formedness error the parser finds meanwhile on the same line
	 * or before is the first problem: the tag it is in is cut short. */
	bool holding;
	unsigned held_line;
	char held[512];
	bool users_seen;
	size_t sites_cap;	/* f->sites allocated */
	/* The open <site>, f->sites[f->nsites - 1], or NULL. */
	xmlNode *site;
	bool key_repeat;	/* its code repeats an earlier one exactly: the
				 * schema's key says so at its end, and until
				 * then nothing in it is built */
	bool dps_done;		/* its DPs are in and indexed */
	size_t dps_cap, groups_cap, classes_cap, rules_cap;
	/* At most the <dp> start tags not read yet (a comment may hold
	 * more): where a site's DP array starts, so that 100 000 DPs are
	 * not copied by one reallocation after another. What is not used
	 * is given back once the site's DPs are in. */
	size_t dp_tags;
};

static void __attribute__((format(printf, 3, 0))) diag_vset(struct diag *d, unsigned line, const char *fmt,
		      va_list ap)
{
	int n;

	if (d->failed)
		return;
	d->failed = true;
	if (!d->buf || d->size == 0)
		return;
	if (line)
		n = snprintf(d->buf, d->size, "%s:%u: ", d->name, line);
	else
		n = snprintf(d->buf, d->size, "%s: ", d->name);
	if (n < 0 || (size_t)n >= d->size)
		return;
	vsnprintf(d->buf + n, d->size - n, fmt, ap);
}

static void __attribute__((format(printf, 3, 4)))
diag_set(struct diag *d, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vset(d, line, fmt, ap);
	va_end(ap);
}

static int diag_nomem(struct diag *d)
{
	diag_set(d, 0, "out of memory");
	return -ENOMEM;
}

/* The first of the errors met while reading one event, kept back. */
static void hold(struct stream *st, unsigned line, const char *msg)
{
	if (st->holding || st->d->failed)
		return;
	st->holding = true;
	st->held_line = line;
	snprintf(st->held, sizeof(st->held), "%s", msg);
}

static void release_held(struct stream *st)
{
	if (!st->holding)
		return;
	st->holding = false;
	diag_set(st->d, st->held_line, "%s", st->held);
}

static unsigned node_line(const xmlNode *n)
{
	long line;

	if (n && n->type == XML_ATTRIBUTE_NODE)
		n = n->parent;
	if (!n)
		return 0;
	line = xmlGetLineNo(n);
	return line > 0 && line <= (long)UINT_MAX ? (unsigned)line : 0;
}

/* Makes a libxml2 message fit on one line and read as plain text: drops
 * our namespace from "{urn:dpsim:fixture:1}dp", the "[facet 'x'] " tags
 * and the trailing newline. */
static void clean_message(const char *msg, char *out, size_t size)
{
	static const char ns[] = "{" FIXTURE_NS "}";
	size_t o = 0;
	const char *end;

	if (!msg)
		msg = "unknown error";
	while (*msg && o + 1 < size) {
		if (strncmp(msg, ns, sizeof(ns) - 1) == 0) {
			msg += sizeof(ns) - 1;
			continue;
		}
		if (strncmp(msg, "[facet '", 8) == 0 &&
		    (end = strstr(msg, "'] ")) != NULL) {
			msg = end + 3;
			continue;
		}
		out[o++] = (*msg == '\n' || *msg == '\r') ? ' ' : *msg;
		msg++;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Parser errors reach us with the parser context in e->ctxt; the data
 * argument is unreliable across libxml2 versions. */
static void on_parse_error(void *data, xmlError *e)
{
	xmlParserCtxt *p = e->ctxt;
	struct stream *st;
	unsigned line;
	char msg[512];

	if (e->level < XML_ERR_ERROR || !p || !(st = p->_private))
		return;
	line = e->line > 0 ? (unsigned)e->line : 0;
	/* A schema error held from an earlier line came first; on the same
	 * line, this is why the tag there went wrong. */
	if (line > st->held_line)
		release_held(st);
	clean_message(e->message, msg, sizeof(msg));
	diag_set(st->d, line, "not well-formed XML: %s", msg);
}

/* libxml2's errors without a parser or schema context (invalid UTF-16,
 * an encoder error, a schema regex), which would otherwise be raw lines
 * on stderr: into the same FILE:LINE message as the rest. */
struct stray {
	struct diag *d;
	const char *lead;	/* "not well-formed XML: " while parsing */
};

static void on_stray_error(void *data, xmlError *e)
{
	struct stray *s = data;
	unsigned line = 0;
	char msg[512];

	if (e->level < XML_ERR_ERROR)
		return;
	if (e->node)
		line = node_line(e->node);
	if (!line && e->line > 0)
		line = (unsigned)e->line;
	/* No line rather than a wrong one: libxml2 decodes ahead of the
	 * parser, so the parser's line is not where the bad bytes are. */
	clean_message(e->message, msg, sizeof(msg));
	diag_set(s->d, line, "%s%s", s->lead, msg);
}

/* The schema's patterns, as libxml2 quotes them, and what they mean: a
 * host name regex helps nobody. Unknown patterns keep libxml2's text. */
static const struct {
	const char *pattern;
	const char *meaning;
} pattern_meanings[] = {
	{ "[A-Za-z0-9]{3}", "a site code (3 letters or digits)" },
	{ "[A-Za-z0-9]([A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]"
	  "([A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?)*",
	  "a host name (letters, digits and hyphens, labels separated by "
	  "dots)" },
	{ "[A-Za-z0-9._\\-\\\\@]{1,64}",
	  "a user name (up to 64 letters, digits and ._-\\@)" },
	{ "[A-Za-z_][A-Za-z0-9_]{0,127}", "a property name" },
	{ "[A-Za-z_][A-Za-z0-9_]{0,255}",
	  "a class name (a letter or _, then letters, digits and _)" },
	{ "[A-Za-z0-9_]+([/\\\\][A-Za-z0-9_]+)*",
	  "a namespace such as root/sms or root\\cimv2" },
	{ "[A-Za-z0-9_.\\-]{1,64}( [A-Za-z0-9_.\\-]{1,64})*",
	  "a list of security scope names (letters, digits and ._-, "
	  "separated by single spaces)" },
	{ "[!-~]{1,383}",
	  "a crypt(3) hash (printable characters, no spaces)" },
};

static void explain_pattern(char *msg, size_t size)
{
	static const char tag[] = "is not accepted by the pattern '";
	char *at = strstr(msg, tag);
	const char *pat;
	size_t i, len;

	if (!at)
		return;
	pat = at + sizeof(tag) - 1;
	for (i = 0; i < sizeof(pattern_meanings) /
		    sizeof(pattern_meanings[0]); i++) {
		len = strlen(pattern_meanings[i].pattern);
		if (strncmp(pat, pattern_meanings[i].pattern, len) == 0 &&
		    strcmp(pat + len, "'.") == 0) {
			snprintf(at, size - (size_t)(at - msg), "is not %s.",
				 pattern_meanings[i].meaning);
			return;
		}
	}
}

static void schema_message(const xmlError *e, char *msg, size_t size)
{
	clean_message(e->message, msg, size);
	explain_pattern(msg, size);
}

/* Errors in compiling the schema. */
static void on_schema_error(void *data, xmlError *e)
{
	struct diag *d = data;
	unsigned line;
	char msg[512];

	if (e->level < XML_ERR_ERROR)
		return;
	line = e->node ? node_line(e->node) : 0;
	if (!line && e->line > 0)
		line = (unsigned)e->line;
	schema_message(e, msg, sizeof(msg));
	diag_set(d, line, "%s", msg);
}

/* libxml2 stamps an element with the line its start tag *ends* on;
 * people expect the line it starts on. At this point the tag is still in
 * the input buffer and cannot contain '<' (not even in attribute values),
 * so the last '<' before the cursor is where it starts. */
static void start_element(void *ctx, const xmlChar *localname,
			  const xmlChar *prefix, const xmlChar *uri,
			  int nb_namespaces, const xmlChar **namespaces,
			  int nb_attributes, int nb_defaulted,
			  const xmlChar **attributes)
{
	xmlParserCtxt *p = ctx;
	const xmlChar *c;
	unsigned short lines = 0;

	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces,
			      namespaces, nb_attributes, nb_defaulted,
			      attributes);
	if (!p->node || !p->input || !p->input->cur || !p->input->base ||
	    p->node->line == USHRT_MAX)
		return;
	for (c = p->input->cur; c > p->input->base && *c != '<'; c--)
		if (*c == '\n' && lines < USHRT_MAX)
			lines++;
	if (*c == '<' && lines < p->node->line)
		p->node->line -= lines;
}

/* Called at "<!DOCTYPE", before any internal subset is read: stopping
 * here means no entity is ever declared, let alone expanded. */
static void refuse_dtd(void *ctx, const xmlChar *name,
		       const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxt *p = ctx;
	struct stream *st = p->_private;

	diag_set(st->d, p->input ? (unsigned)p->input->line : 0,
		 "a DOCTYPE (DTD) is not allowed in a fixture: "
		 "no DTDs, no entity declarations");
	xmlStopParser(p);
}

/* ---- the root and the schema ------------------------------------- */

static bool is_elem(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       xmlStrEqual(n->ns->href, BAD_CAST FIXTURE_NS) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/* Without a matching root, libxml2 only says "no matching global
 * declaration"; say what the root should be instead (into why). */
static bool root_ok(const xmlNode *root, char *why, size_t size)
{
	if (is_elem(root, FIXTURE_ROOT))
		return true;
	if (xmlStrEqual(root->name, BAD_CAST FIXTURE_ROOT))
		snprintf(why, size, "root element <" FIXTURE_ROOT "> must be "
			 "in namespace " FIXTURE_NS ", not '%s' (add xmlns=\""
			 FIXTURE_NS "\")",
			 root->ns ? (const char *)root->ns->href : "");
	else
		snprintf(why, size, "root element must be <" FIXTURE_ROOT
			 " xmlns=\"" FIXTURE_NS "\">, not <%s>",
			 (const char *)root->name);
	return false;
}

/* The compiled-in schema, and a context to validate one document with. */
static int schema_open(struct diag *d, xmlSchema **schema,
		       xmlSchemaValidCtxt **vc)
{
	/* Errors in our own schema name the schema, not the fixture. */
	struct diag sd = { .name = "fixture.xsd (built in)",
			   .buf = d->buf, .size = d->size };
	struct stray schema_stray = { &sd, "" };
	struct xml_catch catch;
	xmlSchemaParserCtxt *sp;

	*schema = NULL;
	*vc = NULL;
	sp = xmlSchemaNewMemParserCtxt(embedded_fixture_xsd,
				       (int)embedded_fixture_xsd_len);
	if (!sp)
		return diag_nomem(d);
	xmlSchemaSetParserStructuredErrors(sp, on_schema_error, &sd);
	xml_catch_begin(&catch, on_stray_error, &schema_stray);
	*schema = xmlSchemaParse(sp);
	xml_catch_end(&catch);
	xmlSchemaFreeParserCtxt(sp);
	if (!*schema) {
		if (!sd.failed)
			diag_set(&sd, 0, "cannot compile the schema");
		d->failed = true;
		return -EINVAL;
	}
	*vc = xmlSchemaNewValidCtxt(*schema);
	return *vc ? 0 : diag_nomem(d);
}

/* ---- tree helpers --------------------------------------------------- */

static xmlNode *next_elem(xmlNode *n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

#define for_each_elem(pos, parent, name) \
	for (pos = next_elem((parent)->children); pos; \
	     pos = next_elem(pos->next)) \
		if (is_elem(pos, name))

static size_t count_elems(xmlNode *parent, const char *name)
{
	xmlNode *n;
	size_t count = 0;

	for_each_elem(n, parent, name)
		count++;
	return count;
}

/* *out = malloc'd copy of attribute name, or NULL if it is absent. */
static int attr_dup(xmlNode *n, const char *name, char **out)
{
	xmlAttr *a = xmlHasNsProp(n, BAD_CAST name, NULL);
	xmlChar *v;

	*out = NULL;
	if (!a)
		return 0;
	/* Nearly always one text node (SAX2 makes more only around a
	 * character or entity reference): its text, without the copy
	 * xmlNodeListGetString would make first. */
	if (a->children && !a->children->next &&
	    a->children->type == XML_TEXT_NODE && a->children->content) {
		*out = strdup((const char *)a->children->content);
		return *out ? 0 : -ENOMEM;
	}
	v = xmlNodeListGetString(n->doc, a->children, 1);
	*out = strdup(v ? (const char *)v : "");
	xmlFree(v);
	if (!*out || (!v && a->children))
		return -ENOMEM;
	return 0;
}

/* attr_dup of an attribute the schema requires. It is there unless the
 * schema check was skipped for a document validated before (and changed
 * since, or paired with a wrong digest): then its absence is an error,
 * not a NULL for the checks to trip on. */
static int attr_need(struct diag *d, xmlNode *n, const char *name,
		     char **out)
{
	if (attr_dup(n, name, out))
		return diag_nomem(d);
	if (*out)
		return 0;
	diag_set(d, node_line(n), "<%s> has no %s attribute",
		 (const char *)n->name, name);
	return -EINVAL;
}

/* ---- building the structs ------------------------------------------ */

/* The text is kept as written, name and value: what a property may be
 * and what its value means is the provider's business (it owns the
 * class). Only a repeat is caught here, as it needs no class: WMI
 * property names ignore case, so "IsPXE" and "ispxe" are one property. */
static int build_prop(struct diag *d, xmlNode *n, struct fixture_dp *dp,
		      struct fixture_prop *p)
{
	const struct fixture_prop *o;
	xmlChar *text;
	int rc;

	p->line = node_line(n);
	if ((rc = attr_need(d, n, "name", &p->name)))
		return rc;
	for (o = dp->props; o < p; o++) {
		if (strcasecmp(o->name, p->name) != 0)
			continue;
		if (strcmp(o->name, p->name) == 0)
			diag_set(d, p->line, "property '%s' is already set "
				 "at line %u", p->name, o->line);
		else
			diag_set(d, p->line, "property '%s' is already set "
				 "at line %u (as '%s'; property names ignore "
				 "case)", p->name, o->line, o->name);
		return -EINVAL;
	}
	text = xmlNodeGetContent(n);
	if (!text)
		return diag_nomem(d);
	p->value = strdup((const char *)text);
	xmlFree(text);
	return p->value ? 0 : diag_nomem(d);
}

/* ---- uniqueness and lookups by name ------------------------------------ */

static int cmp_fqdn(const void *a, const void *b)
{
	const struct fixture_dp *x = *(struct fixture_dp *const *)a;
	const struct fixture_dp *y = *(struct fixture_dp *const *)b;
	int c = strcasecmp(x->fqdn, y->fqdn);

	/* Ties in document order, so a run of equal names starts with the
	 * first one written. */
	return c ? c : (x < y ? -1 : x > y);
}

static int cmp_nalpath(const void *a, const void *b)
{
	const struct fixture_dp *x = *(struct fixture_dp *const *)a;
	const struct fixture_dp *y = *(struct fixture_dp *const *)b;
	int c = strcasecmp(x->nalpath, y->nalpath);

	return c ? c : (x < y ? -1 : x > y);
}

/* In a sorted view, each DP that repeats an earlier one's key gets that
 * earlier DP in first[] (indexed by position in s->dps). */
static void mark_repeats(const struct fixture_site *s, struct fixture_dp **v,
			 const char *(*key)(const struct fixture_dp *),
			 const struct fixture_dp **first)
{
	for (size_t i = 1, run = 0; i < s->ndps; i++) {
		if (strcasecmp(key(v[i]), key(v[run])) != 0) {
			run = i;
			continue;
		}
		first[v[i] - s->dps] = v[run];
	}
}

static const char *fqdn_of(const struct fixture_dp *dp) { return dp->fqdn; }
static const char *nalpath_of(const struct fixture_dp *dp) { return dp->nalpath; }

/* The pieces of ["Display=\\FQDN\"]MSWNET:["SMS_SITE=CODE"]\\FQDN\,
 * the NAL path fixture_nalpath makes: copied rather than printed, as
 * this runs for every DP of a fixture (asprintf took a third of building
 * a DP). */
#define NALPATH_PARTS 7

static void nalpath_parts(const char *part[NALPATH_PARTS], const char *fqdn,
			  const char *code)
{
	part[0] = "[\"Display=\\\\";
	part[1] = fqdn;
	part[2] = "\\\"]MSWNET:[\"SMS_SITE=";
	part[3] = code;
	part[4] = "\"]\\\\";
	part[5] = fqdn;
	part[6] = "\\";
}

/* Whether nal is the NAL path fixture_nalpath makes of fqdn and code. */
static bool nalpath_made(const char *nal, const char *fqdn, const char *code)
{
	const char *part[NALPATH_PARTS];

	nalpath_parts(part, fqdn, code);
	for (size_t i = 0; i < NALPATH_PARTS; i++) {
		size_t len = strlen(part[i]);

		if (strncmp(nal, part[i], len) != 0)
			return false;
		nal += len;
	}
	return *nal == '\0';
}

/* Real DP lookups match FQDN and NAL path ignoring case, so two DPs
 * differing only in case would be one DP to every client. Sorting makes
 * the check O(n log n): a generated site of 100 000 DPs must not cost
 * n^2/2 comparisons. The DP reported is the first one, in document
 * order, that repeats an earlier one; its FQDN is checked before its NAL
 * path. Leaves s->dps_by_fqdn sorted for find_dp. */
static int index_dps(struct diag *d, struct fixture_site *s)
{
	struct fixture_dp **by_nal = NULL;
	const struct fixture_dp **same_fqdn = NULL, **same_nal = NULL;
	bool nal_made = true;
	int rc = 0;

	if (!s->ndps)
		return 0;
	/* When no DP was given a NAL path, each is made of its FQDN, and
	 * two are the same (ignoring case) exactly when their FQDNs are,
	 * which is reported first: no need to sort them. */
	for (size_t i = 0; i < s->ndps && nal_made; i++)
		nal_made = nalpath_made(s->dps[i].nalpath, s->dps[i].fqdn,
					s->code);
	s->dps_by_fqdn = malloc(s->ndps * sizeof(*s->dps_by_fqdn));
	same_fqdn = calloc(s->ndps, sizeof(*same_fqdn));
	if (!nal_made) {
		by_nal = malloc(s->ndps * sizeof(*by_nal));
		same_nal = calloc(s->ndps, sizeof(*same_nal));
	}
	if (!s->dps_by_fqdn || !same_fqdn || (!nal_made &&
					      (!by_nal || !same_nal))) {
		rc = diag_nomem(d);
		goto out;
	}
	for (size_t i = 0; i < s->ndps; i++)
		s->dps_by_fqdn[i] = &s->dps[i];
	qsort(s->dps_by_fqdn, s->ndps, sizeof(*s->dps_by_fqdn), cmp_fqdn);
	mark_repeats(s, s->dps_by_fqdn, fqdn_of, same_fqdn);
	if (!nal_made) {
		for (size_t i = 0; i < s->ndps; i++)
			by_nal[i] = &s->dps[i];
		qsort(by_nal, s->ndps, sizeof(*by_nal), cmp_nalpath);
		mark_repeats(s, by_nal, nalpath_of, same_nal);
	}
	for (size_t i = 0; i < s->ndps; i++) {
		const struct fixture_dp *dp = &s->dps[i];

		if (same_fqdn[i]) {
			diag_set(d, dp->line, "DP '%s' duplicates the one at "
				 "line %u (same FQDN, ignoring case)",
				 dp->fqdn, same_fqdn[i]->line);
			rc = -EINVAL;
			break;
		}
		if (!nal_made && same_nal[i]) {
			diag_set(d, dp->line, "DP '%s' duplicates the one at "
				 "line %u (same NAL path, ignoring case)",
				 dp->fqdn, same_nal[i]->line);
			rc = -EINVAL;
			break;
		}
	}
out:
	free(by_nal);
	free(same_fqdn);
	free(same_nal);
	return rc;
}

/* ---- security scopes --------------------------------------------- */

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Splits the scopes attribute of n (the schema allows names separated by
 * single spaces) into *out, or def when it is absent. Scope names ignore
 * case, as ConfigMgr's do; a repeat is an error. The format what_fmt
 * names the element in messages: made only for one, as this runs for
 * every DP. */
static int __attribute__((format(printf, 6, 7)))
build_scopes(struct diag *d, xmlNode *n, const char *def, char ***out,
	     size_t *nout, const char *what_fmt, ...)
{
	char *text = NULL, *tok, *save = NULL, what[300];
	const char *twice = NULL;
	size_t cap;
	va_list ap;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (attr_dup(n, "scopes", &text))
		return diag_nomem(d);
	if (!text && !(text = strdup(def)))
		return diag_nomem(d);
	cap = 1;
	for (const char *c = text; *c; c++)
		cap += *c == ' ';
	if (!(*out = calloc(cap, sizeof(**out)))) {
		free(text);
		return diag_nomem(d);
	}
	for (tok = strtok_r(text, " ", &save); tok && !rc && !twice;
	     tok = strtok_r(NULL, " ", &save)) {
		for (size_t i = 0; i < *nout && !twice; i++)
			if (strcasecmp((*out)[i], tok) == 0)
				twice = tok;
		if (!twice && !((*out)[(*nout)++] = strdup(tok)))
			rc = diag_nomem(d);
	}
	if (!rc && (twice || *nout == 0)) {
		va_start(ap, what_fmt);
		vsnprintf(what, sizeof(what), what_fmt, ap);
		va_end(ap);
		if (twice)
			diag_set(d, node_line(n), "%s: security scope '%s' is "
				 "listed twice (scope names ignore case)",
				 what, twice);
		else
			diag_set(d, node_line(n), "%s: scopes names no "
				 "security scope", what);
		rc = -EINVAL;
	}
	free(text);
	return rc;
}

static int build_dp_scopes(struct diag *d, xmlNode *n, struct fixture_dp *dp)
{
	int rc;

	rc = build_scopes(d, n, "Default", &dp->scopes, &dp->nscopes,
			  "DP '%s'", dp->fqdn);
	if (rc)
		return rc;
	/* All is what an administrative user is given to see everything;
	 * no object is in it, as in ConfigMgr. */
	for (size_t i = 0; i < dp->nscopes; i++) {
		if (strcasecmp(dp->scopes[i], "All") == 0) {
			diag_set(d, dp->line, "DP '%s': an object cannot be "
				 "in security scope 'All' (All is given to "
				 "users to cover every object; use Default "
				 "or a scope of your own)", dp->fqdn);
			return -EINVAL;
		}
	}
	return 0;
}

static int build_dp(struct diag *d, xmlNode *n, struct fixture_site *s,
		    struct fixture_dp *dp)
{
	xmlNode *c;
	char *maint = NULL;
	size_t count;
	int rc;

	dp->line = node_line(n);
	if ((rc = attr_need(d, n, "fqdn", &dp->fqdn)))
		return rc;
	if (attr_dup(n, "kind", &dp->kind) ||
	    attr_dup(n, "maintenance", &maint) ||
	    attr_dup(n, "description", &dp->description) ||
	    attr_dup(n, "nalpath", &dp->nalpath)) {
		free(maint);
		return diag_nomem(d);
	}
	dp->maintenance = maint && strcmp(maint, "1") == 0;
	free(maint);
	if (!dp->kind && !(dp->kind = strdup("standard")))
		return diag_nomem(d);
	if (!dp->nalpath && !(dp->nalpath = fixture_nalpath(dp->fqdn,
							     s->code)))
		return diag_nomem(d);
	rc = build_dp_scopes(d, n, dp);
	if (rc)
		return rc;

	count = count_elems(n, "property");
	if (count && !(dp->props = calloc(count, sizeof(*dp->props))))
		return diag_nomem(d);
	for_each_elem(c, n, "property") {
		/* nprops counts entries as they are started, so that
		 * fixture_free frees a half-built one too */
		rc = build_prop(d, c, dp, &dp->props[dp->nprops++]);
		if (rc)
			return rc;
	}

	/* Sources name DPs that may come later in the site: kept as
	 * written here, checked by check_sources() once every DP is in. */
	count = count_elems(n, "source");
	if (count && !(dp->sources = calloc(count, sizeof(*dp->sources))))
		return diag_nomem(d);
	for_each_elem(c, n, "source") {
		struct fixture_source *src = &dp->sources[dp->nsources++];

		src->line = node_line(c);
		if ((rc = attr_need(d, c, "dp", &src->fqdn)))
			return rc;
	}
	return 0;
}

/* ---- pull DP sources ------------------------------------------------ */

static const struct fixture_dp *find_dp(const struct fixture_site *s,
					const char *fqdn);

/* One source of pull DP dp: a DP of the site other than dp, named once.
 * Its fqdn becomes the DP's own spelling, as a boundary group member's
 * does. */
static int resolve_source(struct diag *d, const struct fixture_site *s,
			  const struct fixture_dp *dp,
			  struct fixture_source *src)
{
	const struct fixture_dp *to = find_dp(s, src->fqdn);
	char *own;

	if (strcmp(dp->kind, "pull") != 0) {
		diag_set(d, src->line, "DP '%s' is a %s DP: only a pull DP "
			 "(kind=\"pull\") copies content from source DPs",
			 dp->fqdn, dp->kind);
		return -EINVAL;
	}
	if (!to) {
		diag_set(d, src->line, "DP '%s': source '%s' is not a DP of "
			 "site %s (a source is a <dp> of the pull DP's own "
			 "site)", dp->fqdn, src->fqdn, s->code);
		return -EINVAL;
	}
	if (to == dp) {
		diag_set(d, src->line, "DP '%s': a pull DP cannot be its own "
			 "source", dp->fqdn);
		return -EINVAL;
	}
	for (const struct fixture_source *o = dp->sources; o < src; o++) {
		if (o->dp == (size_t)(to - s->dps)) {
			diag_set(d, src->line, "DP '%s': source '%s' is "
				 "already listed at line %u", dp->fqdn,
				 to->fqdn, o->line);
			return -EINVAL;
		}
	}
	if (!(own = strdup(to->fqdn)))
		return diag_nomem(d);
	free(src->fqdn);
	src->fqdn = own;
	src->dp = (size_t)(to - s->dps);
	return 0;
}

enum { WHITE, ON_PATH, DONE };

/* The loop that source k of path[depth - 1] closes, as "A copies from
 * B, B copies from C, C copies from A", from the path's DP it returns
 * to. */
static void loop_text(const struct fixture_site *s, const size_t *path,
		      size_t depth, size_t to, char *out, size_t size)
{
	size_t from = 0, used = 0;

	while (path[from] != to)
		from++;
	out[0] = '\0';
	for (size_t j = from; j < depth && used < size; j++) {
		size_t next = j + 1 < depth ? path[j + 1] : to;
		int w = snprintf(out + used, size - used, "%s%s copies from %s",
				 j > from ? ", " : "", s->dps[path[j]].fqdn,
				 s->dps[next].fqdn);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Depth-first from DP root along sources, without recursion (a fixture
 * may chain thousands of DPs): path holds the DPs being followed and
 * next[] the source each is at. A source already on the path closes a
 * loop: refused at that <source>, naming every DP on the loop. */
static int walk_sources(struct diag *d, const struct fixture_site *s,
			size_t root, unsigned char *color, size_t *path,
			size_t *next)
{
	size_t depth = 0;

	color[root] = ON_PATH;
	next[root] = 0;
	path[depth++] = root;
	while (depth) {
		size_t i = path[depth - 1];
		const struct fixture_dp *dp = &s->dps[i];

		if (next[i] == dp->nsources) {
			color[i] = DONE;
			depth--;
			continue;
		}
		const struct fixture_source *src = &dp->sources[next[i]++];

		if (color[src->dp] == WHITE) {
			color[src->dp] = ON_PATH;
			next[src->dp] = 0;
			path[depth++] = src->dp;
		} else if (color[src->dp] == ON_PATH) {
			char loop[768];

			loop_text(s, path, depth, src->dp, loop, sizeof(loop));
			diag_set(d, src->line, "DP '%s': source '%s' makes a "
				 "loop of pull DPs (%s)", dp->fqdn, src->fqdn,
				 loop);
			return -EINVAL;
		}
	}
	return 0;
}

/* Each DP's copied_by: counted, then filled walking the pull DPs in
 * document order, so each list comes out ascending. */
static int index_copied_by(struct diag *d, struct fixture_site *s)
{
	for (size_t i = 0; i < s->ndps; i++)
		for (size_t k = 0; k < s->dps[i].nsources; k++)
			s->dps[s->dps[i].sources[k].dp].ncopied_by++;
	for (size_t i = 0; i < s->ndps; i++) {
		struct fixture_dp *dp = &s->dps[i];

		if (dp->ncopied_by &&
		    !(dp->copied_by = calloc(dp->ncopied_by, sizeof(size_t))))
			return diag_nomem(d);
		dp->ncopied_by = 0;
	}
	for (size_t i = 0; i < s->ndps; i++)
		for (size_t k = 0; k < s->dps[i].nsources; k++) {
			struct fixture_dp *to = &s->dps[s->dps[i].sources[k].dp];

			to->copied_by[to->ncopied_by++] = i;
		}
	return 0;
}

/* The sources of every DP of s, once all of its DPs are read. */
static int check_sources(struct diag *d, struct fixture_site *s)
{
	unsigned char *color;
	size_t *path, *next;
	int rc = 0;

	for (size_t i = 0; i < s->ndps; i++)
		for (size_t k = 0; k < s->dps[i].nsources; k++) {
			rc = resolve_source(d, s, &s->dps[i],
					    &s->dps[i].sources[k]);
			if (rc)
				return rc;
		}
	if (!s->ndps)
		return 0;
	color = calloc(s->ndps, sizeof(*color));
	path = calloc(s->ndps, sizeof(*path));
	next = calloc(s->ndps, sizeof(*next));
	if (!color || !path || !next)
		rc = diag_nomem(d);
	for (size_t i = 0; !rc && i < s->ndps; i++)
		if (color[i] == WHITE)
			rc = walk_sources(d, s, i, color, path, next);
	free(color);
	free(path);
	free(next);
	return rc ? rc : index_copied_by(d, s);
}

/* ---- boundary groups ------------------------------------------------ */

static const struct fixture_dp *find_dp(const struct fixture_site *s,
					const char *fqdn)
{
	size_t lo = 0, hi = s->ndps;

	/* Lower bound: the first of equal names is the one written first. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(s->dps_by_fqdn[mid]->fqdn, fqdn) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->ndps && strcasecmp(s->dps_by_fqdn[lo]->fqdn, fqdn) == 0)
		return s->dps_by_fqdn[lo];
	return NULL;
}

/* A member is stored as its DP's own fqdn, so consumers can match it
 * against fixture_dp.fqdn exactly. */
static int build_member(struct diag *d, xmlNode *n,
			const struct fixture_site *s,
			struct fixture_boundary_group *g)
{
	const struct fixture_dp *dp;
	char *name = NULL;
	size_t i;
	int rc;

	if ((rc = attr_need(d, n, "dp", &name)))
		return rc;
	dp = find_dp(s, name);
	if (!dp) {
		diag_set(d, node_line(n), "boundary group '%s': member '%s' "
			 "is not a DP of site %s", g->name, name, s->code);
		free(name);
		return -EINVAL;
	}
	free(name);
	for (i = 0; i < g->ndps; i++) {
		if (strcmp(g->dp_fqdns[i], dp->fqdn) == 0) {
			diag_set(d, node_line(n), "boundary group '%s': DP "
				 "'%s' is already a member", g->name,
				 dp->fqdn);
			return -EINVAL;
		}
	}
	g->dp_fqdns[g->ndps] = strdup(dp->fqdn);
	if (!g->dp_fqdns[g->ndps])
		return diag_nomem(d);
	g->ndps++;
	return 0;
}

static int build_group(struct diag *d, xmlNode *n, struct fixture_site *s,
		       struct fixture_boundary_group *g)
{
	const struct fixture_boundary_group *o;
	xmlNode *c;
	size_t count;
	int rc;

	g->line = node_line(n);
	if ((rc = attr_need(d, n, "name", &g->name)))
		return rc;
	if (attr_dup(n, "description", &g->description))
		return diag_nomem(d);
	for (o = s->groups; o < g; o++) {
		if (strcasecmp(o->name, g->name) == 0) {
			diag_set(d, g->line, "boundary group '%s' duplicates "
				 "the one at line %u (group names ignore "
				 "case)", g->name, o->line);
			return -EINVAL;
		}
	}
	count = count_elems(n, "member");
	if (count && !(g->dp_fqdns = calloc(count, sizeof(*g->dp_fqdns))))
		return diag_nomem(d);
	for_each_elem(c, n, "member") {
		rc = build_member(d, c, s, g);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- declared classes ----------------------------------------------- */

static bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Classes dpsim serves from its own code: a fixture must not shadow
 * them, whatever the namespace, or the two would disagree. */
static const char *const builtin_classes[] = {
	"SMS_DistributionPointInfo", "SMS_DistributionPoint",
	"SMS_ProviderLocation", "__Namespace",
};

static bool is_builtin_class(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_classes) / sizeof(builtin_classes[0]);
	     i++)
		if (strcasecmp(name, builtin_classes[i]) == 0)
			return true;
	return false;
}

/* The namespace a class is served in, '\' as '/': namespaces ignore
 * case and either separator, so compare the results with strcasecmp. */
static void class_ns(const struct fixture_class *c, const char *code,
		     char *buf, size_t size)
{
	char *p;

	if (c->ns)
		snprintf(buf, size, "%s", c->ns);
	else
		snprintf(buf, size, "root/sms/site_%s", code);
	for (p = buf; *p; p++)
		if (*p == '\\')
			*p = '/';
}

static bool same_class(const struct fixture_class *a, const char *acode,
		       const struct fixture_class *b, const char *bcode)
{
	char na[300], nb[300];

	if (strcasecmp(a->name, b->name) != 0)
		return false;
	class_ns(a, acode, na, sizeof(na));
	class_ns(b, bcode, nb, sizeof(nb));
	return strcasecmp(na, nb) == 0;
}

/* The same class declared earlier in this fixture, in any site. */
static const struct fixture_class *
find_class_twin(const struct fixture *f, const struct fixture_site *s,
		const struct fixture_class *c, const struct fixture_site **in)
{
	const struct fixture_site *os;
	size_t i;

	for (os = f->sites; os <= s; os++) {
		for (i = 0; i < os->nclasses; i++) {
			const struct fixture_class *o = &os->classes[i];

			if (o == c)
				return NULL;
			if (same_class(o, os->code, c, s->code)) {
				*in = os;
				return o;
			}
		}
	}
	return NULL;
}

/* xs:boolean, which the schema has checked: "true", "1", "false", "0"
 * with any layout around them (the tree keeps the attribute raw). */
static bool xs_true(const char *v)
{
	if (!v)
		return false;
	while (is_xml_space(*v))
		v++;
	return *v == '1' || strncmp(v, "true", 4) == 0;
}

static int build_class_prop(struct diag *d, xmlNode *n,
			    struct fixture_class *c,
			    struct fixture_class_prop *p)
{
	const struct fixture_class_prop *o;
	char *key = NULL, *array = NULL, *type = NULL;
	enum cim_type t;
	int rc = 0;

	p->line = node_line(n);
	if ((rc = attr_need(d, n, "name", &p->name)) ||
	    (rc = attr_need(d, n, "type", &type)))
		goto out;
	if (attr_dup(n, "key", &key) || attr_dup(n, "array", &array)) {
		rc = diag_nomem(d);
		goto out;
	}
	p->key = xs_true(key);
	p->array = xs_true(array);
	for (o = c->props; o < p; o++) {
		if (strcasecmp(o->name, p->name) == 0) {
			diag_set(d, p->line, "class %s: property '%s' is "
				 "already declared at line %u (property "
				 "names ignore case)", c->name, p->name,
				 o->line);
			rc = -EINVAL;
			goto out;
		}
	}
	if (cim_type_parse(type, &t)) {
		diag_set(d, p->line, "class %s, property %s: unknown type "
			 "'%s' (use string, boolean, uint8, sint8, uint16, "
			 "sint16, uint32, sint32, uint64, sint64, real32, "
			 "real64, datetime or char16)", c->name, p->name,
			 type);
		rc = -EINVAL;
		goto out;
	}
	if (p->key && p->array) {
		diag_set(d, p->line, "class %s, property %s: a key cannot "
			 "be an array", c->name, p->name);
		rc = -EINVAL;
		goto out;
	}
	/* One spelling for every consumer, whatever the case written. */
	p->type = strdup(cim_type_name(t));
	if (!p->type)
		rc = diag_nomem(d);
out:
	free(key);
	free(array);
	free(type);
	return rc;
}

static const struct fixture_class_prop *
find_class_prop(const struct fixture_class *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nprops; i++)
		if (strcasecmp(c->props[i].name, name) == 0)
			return &c->props[i];
	return NULL;
}

static const struct fixture_prop *
find_value(const struct fixture_instance *in, const char *name)
{
	size_t i;

	for (i = 0; i < in->nprops; i++)
		if (strcasecmp(in->props[i].name, name) == 0)
			return &in->props[i];
	return NULL;
}

/* A typed value as classes_build will see it: layout trimmed, then in
 * canonical form (*out malloc'd). Nonzero if it does not convert. */
static int canonical_key(enum cim_type t, const char *text, char **out)
{
	size_t len;
	char *trimmed;
	int rc;

	*out = NULL;
	while (is_xml_space(*text))
		text++;
	len = strlen(text);
	while (len > 0 && is_xml_space(text[len - 1]))
		len--;
	trimmed = strndup(text, len);
	if (!trimmed)
		return -ENOMEM;
	rc = cim_value_canonical(t, trimmed, out, NULL);
	free(trimmed);
	return rc;
}

/* Key values compare as WMI compares them: strings ignoring case,
 * other types by value ("007" is 7). A value that does not convert
 * matches nothing here; classes_build reports it. */
static bool same_key_value(const struct fixture_class_prop *k,
			   const char *a, const char *b)
{
	enum cim_type t;
	char *ca = NULL, *cb = NULL;
	bool same;

	if (cim_type_parse(k->type, &t) || t == CIM_STRING ||
	    t == CIM_CHAR16)
		return strcasecmp(a, b) == 0;
	if (canonical_key(t, a, &ca) || canonical_key(t, b, &cb))
		same = strcmp(a, b) == 0;
	else
		same = strcmp(ca, cb) == 0;
	free(ca);
	free(cb);
	return same;
}

static bool same_keys(const struct fixture_class *c,
		      const struct fixture_instance *a,
		      const struct fixture_instance *b)
{
	size_t i;

	for (i = 0; i < c->nprops; i++) {
		const struct fixture_class_prop *k = &c->props[i];

		if (k->key && !same_key_value(k, find_value(a, k->name)->value,
					      find_value(b, k->name)->value))
			return false;
	}
	return true;
}

static int build_value(struct diag *d, xmlNode *n,
		       const struct fixture_class *c,
		       struct fixture_instance *in, struct fixture_prop *v)
{
	const struct fixture_class_prop *decl;
	const struct fixture_prop *o;
	xmlChar *text;
	int rc;

	v->line = node_line(n);
	if ((rc = attr_need(d, n, "name", &v->name)))
		return rc;
	decl = find_class_prop(c, v->name);
	if (!decl) {
		diag_set(d, v->line, "class %s has no property '%s' (declare "
			 "it with <property>)", c->name, v->name);
		return -EINVAL;
	}
	o = find_value(in, v->name);
	if (!decl->array && o && o != v) {
		diag_set(d, v->line, "class %s: property '%s' already has a "
			 "value at line %u (it is not an array)", c->name,
			 decl->name, o->line);
		return -EINVAL;
	}
	text = xmlNodeGetContent(n);
	if (!text)
		return diag_nomem(d);
	v->value = strdup((const char *)text);
	xmlFree(text);
	return v->value ? 0 : diag_nomem(d);
}

static int build_instance(struct diag *d, xmlNode *n,
			  struct fixture_class *c, struct fixture_instance *in)
{
	const struct fixture_instance *o;
	xmlNode *v;
	size_t i, count;
	int rc;

	in->line = node_line(n);
	count = count_elems(n, "value");
	if (count && !(in->props = calloc(count, sizeof(*in->props))))
		return diag_nomem(d);
	for_each_elem(v, n, "value") {
		rc = build_value(d, v, c, in, &in->props[in->nprops++]);
		if (rc)
			return rc;
	}
	for (i = 0; i < c->nprops; i++) {
		if (c->props[i].key && !find_value(in, c->props[i].name)) {
			diag_set(d, in->line, "class %s: instance has no "
				 "value for key property '%s'", c->name,
				 c->props[i].name);
			return -EINVAL;
		}
	}
	for (o = c->instances; o < in; o++) {
		if (same_keys(c, o, in)) {
			diag_set(d, in->line, "class %s: instance duplicates "
				 "the one at line %u (same key values, "
				 "ignoring case)", c->name, o->line);
			return -EINVAL;
		}
	}
	return 0;
}

static int build_class(struct diag *d, xmlNode *n, const struct fixture *f,
		       struct fixture_site *s, struct fixture_class *c)
{
	const struct fixture_class *twin;
	const struct fixture_site *in = NULL;
	xmlNode *e;
	size_t i, count;
	bool key = false;
	int rc;

	c->line = node_line(n);
	if ((rc = attr_need(d, n, "name", &c->name)))
		return rc;
	if (attr_dup(n, "namespace", &c->ns))
		return diag_nomem(d);
	if (is_builtin_class(c->name)) {
		diag_set(d, c->line, "class %s is served by dpsim itself and "
			 "cannot be declared in a fixture", c->name);
		return -EINVAL;
	}
	twin = find_class_twin(f, s, c, &in);
	if (twin) {
		diag_set(d, c->line, "class %s is already declared at line %u "
			 "(same namespace; names ignore case)", c->name,
			 twin->line);
		return -EINVAL;
	}

	count = count_elems(n, "property");
	if (count && !(c->props = calloc(count, sizeof(*c->props))))
		return diag_nomem(d);
	for_each_elem(e, n, "property") {
		rc = build_class_prop(d, e, c, &c->props[c->nprops++]);
		if (rc)
			return rc;
	}
	for (i = 0; i < c->nprops; i++)
		key = key || c->props[i].key;
	if (!key) {
		diag_set(d, c->line, "class %s has no key property (mark at "
			 "least one <property> key=\"true\")", c->name);
		return -EINVAL;
	}

	count = count_elems(n, "instance");
	if (count && !(c->instances = calloc(count, sizeof(*c->instances))))
		return diag_nomem(d);
	for_each_elem(e, n, "instance") {
		rc = build_instance(d, e, c, &c->instances[c->ninstances++]);
		if (rc)
			return rc;
	}
	return 0;
}

int fixture_fault_rule_build(const struct fixture_fault_rule *fr,
			     const char *site, struct fault_rule *out,
			     char *err, size_t errsize)
{
	bool hresult_given = false;
	int rc = 0;

	fault_rule_init(out);
	for (size_t i = 0; !rc && i < fr->nfields; i++) {
		rc = fault_rule_set(out, fr->fields[i].name, fr->fields[i].value,
				    err, errsize);
		hresult_given |= !strcmp(fr->fields[i].name, "hresult");
	}
	if (!rc)
		rc = fault_rule_set(out, "site", site, err, errsize);
	if (!rc)
		rc = fault_rule_finish(out, hresult_given, err, errsize);
	if (rc == -ENOENT)
		rc = -EINVAL;	/* the schema lets no unknown attribute by */
	if (rc == -ENOMEM)
		snprintf(err, errsize, "out of memory");
	if (rc)
		fault_rule_clear(out);
	return rc;
}

/* The attributes are kept as text and converted by faults.c, the one
 * place that knows a rule field; building the rule once here is the
 * check, so a bad value is reported with its line. */
static int build_fault_rule(struct diag *d, xmlNode *n, const char *code,
			    struct fixture_fault_rule *fr)
{
	struct fault_rule r;
	char msg[256];
	size_t count = 0;
	int rc;

	fr->line = node_line(n);
	for (xmlAttr *a = n->properties; a; a = a->next)
		count++;
	if (count && !(fr->fields = calloc(count, sizeof(*fr->fields))))
		return diag_nomem(d);
	for (xmlAttr *a = n->properties; a; a = a->next) {
		struct fixture_prop *p = &fr->fields[fr->nfields++];

		p->line = fr->line;
		p->name = strdup((const char *)a->name);
		if (!p->name || attr_dup(n, p->name, &p->value))
			return diag_nomem(d);
	}
	rc = fixture_fault_rule_build(fr, code, &r, msg, sizeof(msg));
	if (rc == -ENOMEM)
		return diag_nomem(d);
	if (rc) {
		diag_set(d, fr->line, "fault-rule: %s", msg);
		return rc;
	}
	fault_rule_clear(&r);
	return 0;
}

/* One <access site role scopes/> of u. */
static int build_access(struct diag *d, xmlNode *n, struct fixture_user *u,
			struct fixture_access *a)
{
	int rc;

	a->line = node_line(n);
	if ((rc = attr_need(d, n, "site", &a->site)) ||
	    (rc = attr_need(d, n, "role", &a->role)))
		return rc;
	/* The schema's unique catches exact repeats; site codes ignore
	 * case (namespaces do). */
	for (const struct fixture_access *o = u->access; o < a; o++) {
		if (strcasecmp(o->site, a->site) == 0) {
			diag_set(d, a->line, "user %s: site '%s' already has "
				 "an <access> at line %u (site codes ignore "
				 "case)", u->name, a->site, o->line);
			return -EINVAL;
		}
	}
	return build_scopes(d, n, "All", &a->scopes, &a->nscopes,
			    "user %s: <access> to site %s", u->name, a->site);
}

/* The password: clear text or a crypt(3) hash, exactly one; beside a
 * crypt hash, optionally the NT hash NTLM needs (docs/wsman-protocol.md,
 * Authentication). */
static int build_password(struct diag *d, xmlNode *n, struct fixture_user *u)
{
	char why[160];

	if (attr_dup(n, "password", &u->password) ||
	    attr_dup(n, "password-hash", &u->password_hash) ||
	    attr_dup(n, "nt-hash", &u->nt_hash))
		return diag_nomem(d);
	if (u->nt_hash) {
		size_t len = strlen(u->nt_hash);

		if (len != 32 || strspn(u->nt_hash, "0123456789abcdefABCDEF") != 32) {
			diag_set(d, u->line, "user %s: nt-hash must be 32 hexadecimal "
				 "digits (the MD4 of the UTF-16LE password, as dpsim "
				 "--hash-password prints it), not %zu characters%s",
				 u->name, len, len == 32 ? " with a non-hex one" : "");
			return -EINVAL;
		}
		if (!u->password_hash) {
			diag_set(d, u->line, "user %s: nt-hash goes with password-hash "
				 "(a clear password already serves NTLM)", u->name);
			return -EINVAL;
		}
		for (char *c = u->nt_hash; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	}
	if (!u->password == !u->password_hash) {
		diag_set(d, u->line, "user %s: give exactly one of password "
			 "(clear text) and password-hash (from dpsim "
			 "--hash-password)%s", u->name,
			 u->password ? ", not both" : "");
		return -EINVAL;
	}
	if (u->password_hash &&
	    auth_hash_check(u->password_hash, why, sizeof(why))) {
		diag_set(d, u->line, "user %s: password-hash is not a crypt(3) "
			 "hash dpsim accepts (%s)", u->name, why);
		return -EINVAL;
	}
	/* Every user has a memo, so checking any password costs the same
	 * work (auth.h); a clear-text user's holds the password. */
	u->memo = auth_memo_new();
	if (!u->memo || (u->password &&
			 !auth_memo_remember(u->memo, u->password)))
		return diag_nomem(d);
	return 0;
}

static int build_user(struct diag *d, xmlNode *n, struct fixture *f,
		      struct fixture_user *u)
{
	const struct fixture_user *o;
	xmlNode *c;
	size_t count;
	int rc;

	u->line = node_line(n);
	if ((rc = attr_need(d, n, "name", &u->name)))
		return rc;
	if (attr_dup(n, "role", &u->role))
		return diag_nomem(d);
	/* Windows account names ignore case. */
	for (o = f->users; o < u; o++) {
		if (strcasecmp(o->name, u->name) == 0) {
			diag_set(d, u->line, "user '%s' duplicates the one at "
				 "line %u (user names ignore case)", u->name,
				 o->line);
			return -EINVAL;
		}
	}
	count = count_elems(n, "access");
	if (!u->role == !count) {
		diag_set(d, u->line, "user %s: give either a role attribute "
			 "(that role at every site) or <access> elements (a "
			 "role per site)%s", u->name,
			 u->role ? ", not both" : "");
		return -EINVAL;
	}
	if (count && !(u->access = calloc(count, sizeof(*u->access))))
		return diag_nomem(d);
	for_each_elem(c, n, "access") {
		rc = build_access(d, c, u, &u->access[u->naccess++]);
		if (rc)
			return rc;
	}
	/* Last: a hash costs a hash to check. */
	return build_password(d, n, u);
}

static int build_users(struct diag *d, xmlNode *users, struct fixture *f)
{
	xmlNode *c;
	size_t count = count_elems(users, "user");
	int rc;

	if (count && !(f->users = calloc(count, sizeof(*f->users))))
		return diag_nomem(d);
	for_each_elem(c, users, "user") {
		rc = build_user(d, c, f, &f->users[f->nusers++]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- reading while parsing ------------------------------------------- */

/* The SAX handlers below wrap libxml2's tree builders (xmlSAX2*), so the
 * builders above still read a subtree, but the tree holds only what is
 * being read: a child of <site> or <users> is built once it has ended,
 * and then freed with whatever text lies before it.
 *
 * With the schema plugged in (xmlSchemaSAXPlug), libxml2 calls our
 * handler for an event before it validates that event (endElementNsSplit
 * and its siblings in xmlschemas.c). So an element is built at the event
 * after its end, when its own schema errors are already in the diag: a
 * schema error inside DP #5 is reported before what build_dp would say
 * about DP #5. Each handler therefore starts with stream_flush. */

/* arr with room for element n, zeroed (so that fixture_free may free a
 * half-built entry): first elements at first, then *cap doubling as
 * needed; NULL when out of memory, arr then unchanged. */
static void *grow(void *arr, size_t n, size_t *cap, size_t first,
		  size_t size)
{
	char *a = arr;

	if (n == *cap) {
		size_t c = *cap ? 2 * *cap : first;

		if (!(a = reallocarray(arr, c, size)))
			return NULL;
		*cap = c;
	}
	memset(a + n * size, 0, size);
	return a;
}

static void stream_fail(struct stream *st, int rc)
{
	if (rc && !st->rc)
		st->rc = rc;
}

/* The elements already built and the text and comments around them. All
 * of them: xmlSAX2Characters appends to a last child that is text using
 * the length of the text node it made last, so an older text node must
 * never become the last child. */
static void free_children(xmlNode *parent)
{
	xmlFreeNodeList(parent->children);
	parent->children = parent->last = NULL;
}

static struct fixture_site *open_site(struct stream *st)
{
	return &st->f->sites[st->f->nsites - 1];
}

/* An earlier site of f with s's code, ignoring case, or NULL. */
static const struct fixture_site *earlier_site(const struct fixture *f,
					       const struct fixture_site *s)
{
	for (const struct fixture_site *o = f->sites; o < s; o++)
		if (strcasecmp(o->code, s->code) == 0)
			return o;
	return NULL;
}

static int site_repeats(struct diag *d, const struct fixture_site *s,
			const struct fixture_site *o)
{
	diag_set(d, s->line, "site '%s' duplicates the one at line %u (site "
		 "codes ignore case)", s->code, o->line);
	return -EINVAL;
}

/* A <site>'s attributes, once the schema has checked its start tag. */
static int site_begin(struct stream *st, xmlNode *n)
{
	struct fixture *f = st->f;
	struct fixture_site *sites, *s;
	const struct fixture_site *o;
	int rc;

	if (!(sites = grow(f->sites, f->nsites, &st->sites_cap, 4,
			   sizeof(*sites))))
		return diag_nomem(st->d);
	f->sites = sites;
	s = &sites[f->nsites++];
	st->site = n;
	st->key_repeat = st->dps_done = false;
	st->dps_cap = st->groups_cap = st->classes_cap = st->rules_cap = 0;
	s->line = node_line(n);
	if ((rc = attr_need(st->d, n, "code", &s->code)) ||
	    (rc = attr_need(st->d, n, "name", &s->name)) ||
	    (rc = attr_need(st->d, n, "provider", &s->provider)))
		return rc;
	/* The schema's key catches exact repeats, at the site's end;
	 * namespaces ignore case, so root\sms\site_ps1 and site_PS1 would
	 * be the same site. */
	o = earlier_site(f, s);
	if (!o)
		return 0;
	/* That one is the key's to report. Nothing of the site is built
	 * until then, so nothing the builders find in it comes first. */
	if (st->validating && strcmp(o->code, s->code) == 0) {
		st->key_repeat = true;
		return 0;
	}
	return site_repeats(st->d, s, o);
}

/* Once the open site's last <dp> is in: the index that sources and
 * boundary-group members are looked up in. It points into s->dps, which
 * is never reallocated after this. */
static int site_dps_done(struct stream *st)
{
	struct fixture_site *s = open_site(st);
	int rc;

	if (st->dps_done || st->key_repeat)
		return 0;
	st->dps_done = true;
	st->dp_tags -= s->ndps < st->dp_tags ? s->ndps : st->dp_tags;
	if (s->ndps && s->ndps < st->dps_cap) {
		struct fixture_dp *fit = realloc(s->dps,
						 s->ndps * sizeof(*fit));

		if (fit)
			s->dps = fit;
	}
	rc = index_dps(st->d, s);
	/* Sources are looked up by name, with the index. */
	return rc ? rc : check_sources(st->d, s);
}

/* A child of the open site that has been read and validated. */
static int site_child(struct stream *st, xmlNode *n)
{
	struct fixture_site *s = open_site(st);
	struct diag *d = st->d;

	if (st->key_repeat)
		return 0;
	if (is_elem(n, "dp")) {
		struct fixture_dp *dps;

		/* The schema refuses this; a document it did not check
		 * gets here. */
		if (st->dps_done) {
			diag_set(d, node_line(n), "<dp> after the site's "
				 "other elements (a site's DPs come first)");
			return -EINVAL;
		}
		if (!(dps = grow(s->dps, s->ndps, &st->dps_cap,
				 st->dp_tags > 8 ? st->dp_tags : 8,
				 sizeof(*dps))))
			return diag_nomem(d);
		s->dps = dps;
		return build_dp(d, n, s, &dps[s->ndps++]);
	}
	if (is_elem(n, "boundary-group")) {
		struct fixture_boundary_group *groups;

		if (!(groups = grow(s->groups, s->ngroups, &st->groups_cap, 8,
				    sizeof(*groups))))
			return diag_nomem(d);
		s->groups = groups;
		return build_group(d, n, s, &groups[s->ngroups++]);
	}
	if (is_elem(n, "class")) {
		struct fixture_class *classes;

		if (!(classes = grow(s->classes, s->nclasses,
				     &st->classes_cap, 8, sizeof(*classes))))
			return diag_nomem(d);
		s->classes = classes;
		return build_class(d, n, st->f, s, &classes[s->nclasses++]);
	}
	if (is_elem(n, "fault-rule")) {
		struct fixture_fault_rule *rules;

		if (!(rules = grow(s->rules, s->nrules, &st->rules_cap, 8,
				   sizeof(*rules))))
			return diag_nomem(d);
		s->rules = rules;
		return build_fault_rule(d, n, s->code, &rules[s->nrules++]);
	}
	return 0;
}

static int site_end(struct stream *st)
{
	struct fixture_site *s = open_site(st);

	st->site = NULL;
	/* The schema's key should have reported it by now. */
	if (st->key_repeat)
		return site_repeats(st->d, s, earlier_site(st->f, s));
	return site_dps_done(st);
}

static int users_end(struct stream *st, xmlNode *n)
{
	/* The schema refuses this; a document it did not check gets
	 * here. */
	if (st->users_seen) {
		diag_set(st->d, node_line(n), "a second <users> (a fixture "
			 "has one, before its sites)");
		return -EINVAL;
	}
	st->users_seen = true;
	return build_users(st->d, n, st->f);
}

/* n ended at the previous event. A child of <site> or of the root is
 * built, then freed with its siblings; anything deeper is part of a
 * subtree still being read. */
static int element_end(struct stream *st, xmlNode *n)
{
	xmlNode *parent = n->parent;
	int rc = 0;

	if (n == st->site)
		rc = site_end(st);
	else if (st->site && parent == st->site)
		rc = site_child(st, n);
	else if (parent == st->root)
		rc = is_elem(n, "users") ? users_end(st, n) : 0;
	else
		return 0;
	free_children(parent);
	return rc;
}

/* Finishes what the previous event left, now that libxml2's validator
 * has seen that event; false once the load has failed. Before anything
 * else in a handler: an element built here is freed with its siblings,
 * which a new element or text must not have joined yet. */
static bool stream_flush(struct stream *st)
{
	xmlNode *n;

	release_held(st);
	if (st->d->failed)
		return false;
	if ((n = st->started)) {
		st->started = NULL;
		if (n->parent == st->root && is_elem(n, "site"))
			stream_fail(st, site_begin(st, n));
	}
	if ((n = st->ended)) {
		st->ended = NULL;
		stream_fail(st, element_end(st, n));
	}
	return !st->d->failed;
}

static void stream_start(void *ctx, const xmlChar *localname,
			 const xmlChar *prefix, const xmlChar *uri,
			 int nb_namespaces, const xmlChar **namespaces,
			 int nb_attributes, int nb_defaulted,
			 const xmlChar **attributes)
{
	xmlParserCtxt *p = ctx;
	struct stream *st = p->_private;
	xmlNode *n;

	if (!stream_flush(st))
		return;
	start_element(ctx, localname, prefix, uri, nb_namespaces,
		      namespaces, nb_attributes, nb_defaulted, attributes);
	if (st->d->failed || !(n = p->node))
		return;
	st->started = n;
	if (!st->root) {
		char why[256];

		/* Before the schema sees it, which would only say it has no
		 * declaration for it. */
		st->root = n;
		if (!root_ok(n, why, sizeof(why)))
			hold(st, node_line(n), why);
	} else if (st->site && n->parent == st->site &&
		   (is_elem(n, "boundary-group") || is_elem(n, "class") ||
		    is_elem(n, "fault-rule"))) {
		/* The site's DPs are all in (the schema puts them first).
		 * What is wrong with them is on earlier lines than anything
		 * the schema may find in this start tag. */
		stream_fail(st, site_dps_done(st));
	}
}

static void stream_end(void *ctx, const xmlChar *localname,
		       const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxt *p = ctx;
	struct stream *st = p->_private;

	if (!stream_flush(st)) {
		/* Nothing more to read. Stopping frees the input, which the
		 * validator still reads after a start tag or text (attribute
		 * values, characters) but not after an end tag: names come
		 * from the parser's dictionary. */
		xmlStopParser(p);
		return;
	}
	st->ended = p->node;
	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static void stream_text(void *ctx, const xmlChar *ch, int len)
{
	xmlParserCtxt *p = ctx;

	if (stream_flush(p->_private))
		xmlSAX2Characters(ctx, ch, len);
}

static void stream_cdata(void *ctx, const xmlChar *value, int len)
{
	xmlParserCtxt *p = ctx;

	if (stream_flush(p->_private))
		xmlSAX2CDataBlock(ctx, value, len);
}

static void stream_end_document(void *ctx)
{
	xmlParserCtxt *p = ctx;

	stream_flush(p->_private);
	xmlSAX2EndDocument(ctx);
}

/* The codes of "Element content is not allowed" and its kin, which
 * libxml2 reports, as a child element starts, against the parent
 * (ACTIVATE_PARENT_ELEM in xmlSchemaValidateChildElem). */
static bool parent_content_error(int code)
{
	return code == XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1 ||
	       code == XML_SCHEMAV_CVC_COMPLEX_TYPE_2_2 ||
	       code == XML_SCHEMAV_CVC_TYPE_3_1_2 ||
	       code == XML_SCHEMAV_CVC_ELT_3_2_1;
}

/* Validating events, libxml2's validator has no node and would take the
 * parser's line, which is past the element (the end of its start tag,
 * or its end tag). The element whose end it checks, else the one open:
 * the lines that validating a tree gave, where the element starts. */
static void on_stream_schema_error(void *data, xmlError *e)
{
	struct stream *st = data;
	xmlNode *n = st->ended ? st->ended : st->p->node;
	char msg[512];

	if (e->level < XML_ERR_ERROR)
		return;
	if (n && n == st->started && parent_content_error(e->code))
		n = n->parent;
	schema_message(e, msg, sizeof(msg));
	hold(st, node_line(n), msg);
}

/* The "<dp" start tags in data, unprefixed as people and fixture_write
 * write them: the size a site's DP array starts at (stream.dp_tags). */
static size_t count_dp_tags(const char *data, size_t len)
{
	const char *at = data, *end = data + len;
	size_t n = 0;

	while ((at = memmem(at, (size_t)(end - at), "<dp", 3))) {
		at += 3;
		if (at < end && (is_xml_space(*at) || *at == '/' || *at == '>'))
			n++;
	}
	return n;
}

/* Parses data into f, validating it unless known. */
static int read_fixture(struct diag *d, const char *data, size_t len,
			bool known, struct fixture *f)
{
	struct stream st = { .d = d, .f = f, .validating = !known,
			     .dp_tags = count_dp_tags(data, len) };
	struct stray stray = { d, "not well-formed XML: " };
	xmlSchema *schema = NULL;
	xmlSchemaValidCtxt *vc = NULL;
	xmlSchemaSAXPlugPtr plug = NULL;
	struct xml_catch catch;
	xmlParserCtxt *p = NULL;
	xmlDoc *doc;
	int rc = 0;

	if (!known && (rc = schema_open(d, &schema, &vc)))
		goto out;
	p = xmlCreateMemoryParserCtxt(data, (int)len);
	if (!p) {
		rc = diag_nomem(d);
		goto out;
	}
	/* No XML_PARSE_NOENT / DTDLOAD / DTDATTR: nothing external, ever. */
	xmlCtxtUseOptions(p, XML_PARSE_NONET | XML_PARSE_BIG_LINES |
			  XML_PARSE_COMPACT);
	st.p = p;
	p->_private = &st;
	p->sax->serror = on_parse_error;
	p->sax->internalSubset = refuse_dtd;
	p->sax->startElementNs = stream_start;
	p->sax->endElementNs = stream_end;
	p->sax->characters = p->sax->ignorableWhitespace = stream_text;
	p->sax->cdataBlock = stream_cdata;
	p->sax->endDocument = stream_end_document;
	if (vc) {
		xmlSchemaSetValidStructuredErrors(vc, on_stream_schema_error,
						  &st);
		plug = xmlSchemaSAXPlug(vc, &p->sax, &p->userData);
		if (!plug) {
			rc = diag_nomem(d);
			goto out;
		}
		/* The plug's handlers call ours, but it has no serror: parser
		 * errors would go to the thread's handler. */
		p->sax->serror = on_parse_error;
	}

	xml_catch_begin(&catch, on_stray_error, &stray);
	xmlParseDocument(p);
	xml_catch_end(&catch);
	release_held(&st);
	if (vc && !d->failed && xmlSchemaIsValid(vc) != 1)
		diag_set(d, 0, "does not match the fixture schema");
	doc = p->myDoc;
	p->myDoc = NULL;
	if (!d->failed && doc && (doc->intSubset || doc->extSubset))
		diag_set(d, 1, "a DOCTYPE (DTD) is not allowed in a fixture");
	if (!d->failed && (!p->wellFormed || !doc))
		diag_set(d, 0, "not well-formed XML");
	if (d->failed)
		rc = st.rc ? st.rc :
		     p->errNo == XML_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
	xmlFreeDoc(doc);
out:
	/* Before the parser: the plug holds its handler block. */
	if (plug) {
		xmlSchemaSAXUnplug(plug);
		/* Unplugging clears the validation context. libxml2 before
		 * 2.10 (Debian 12 has 2.9.14; GNOME/libxml2 issue 390) frees
		 * its cache of identity-constraint matchers there, then
		 * clears the elements still open -- the root, when the load
		 * stopped early -- putting theirs into the cache, which
		 * nothing frees. Clearing once more does. */
		if (d->failed &&
		    (plug = xmlSchemaSAXPlug(vc, &p->sax, &p->userData)))
			xmlSchemaSAXUnplug(plug);
	}
	xmlFreeParserCtxt(p);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	return rc;
}

/* SHA-256 of n pieces, as hex into out (65 bytes). */
static void sha256_hex(const void *const *data, const size_t *len, size_t n,
		       char out[65])
{
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];
	static const char hex[] = "0123456789abcdef";

	sha256_init(&ctx);
	for (size_t i = 0; i < n; i++)
		sha256_update(&ctx, len[i], data[i]);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

/* ---- public API ----------------------------------------------------- */

/* Whether digest is one of the space-separated words of list. */
static bool digest_listed(const char *list, const char *digest)
{
	size_t n = strlen(digest);

	for (const char *at = list; at && (at = strstr(at, digest)); at += n)
		if ((at == list || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0'))
			return true;
	return false;
}

int fixture_load_memory(const char *name, const char *data, size_t len,
			struct fixture **out, char *err, size_t errsize)
{
	return fixture_load_memory_known(name, data, len, NULL, out, err, errsize);
}

/* fixture_load_memory_known, or with vouched the schema check skipped
 * whatever the digest (the bundled lab). */
static int load_memory(const char *name, const char *data, size_t len,
		       const char *validated, bool vouched,
		       struct fixture **out, char *err, size_t errsize)
{
	char digest[65];
	bool known = false;
	struct diag d = { .name = name ? name : "<memory>",
			  .buf = err, .size = errsize };
	struct fixture *f = NULL;
	int rc;

	*out = NULL;
	if (err && errsize)
		err[0] = '\0';
	if (!data || len == 0) {
		/* xmlCreateMemoryParserCtxt refuses an empty buffer */
		diag_set(&d, 1, "not well-formed XML: the document is empty");
		return -EINVAL;
	}
	if (len > FIXTURE_MAX_BYTES) {
		diag_set(&d, 0, "fixture is larger than %u MiB",
			 FIXTURE_MAX_BYTES >> 20);
		return -EINVAL;
	}
	sha256_hex((const void *const[]){ data }, (const size_t[]){ len }, 1, digest);
	known = vouched || (validated && digest_listed(validated, digest));
	f = calloc(1, sizeof(*f));
	if (!f || !(f->source = strdup(d.name)))
		rc = diag_nomem(&d);
	else
		rc = read_fixture(&d, data, len, known, f);
	if (rc) {
		fixture_free(f);
		return rc;
	}
	memcpy(f->digest, digest, sizeof(digest));
	f->schema_skipped = known;
	*out = f;
	return 0;
}

int fixture_load_memory_known(const char *name, const char *data, size_t len,
			      const char *validated, struct fixture **out,
			      char *err, size_t errsize)
{
	return load_memory(name, data, len, validated, false, out, err, errsize);
}

int fixture_load_bundled_lab(struct fixture **out, char *err, size_t errsize)
{
	return load_memory(FIXTURE_BUNDLED_LAB, embedded_lab_xml,
			   embedded_lab_xml_len, NULL, true, out, err, errsize);
}

/* Reads until EOF rather than trusting st_size, so pipes and
 * /dev/stdin work as fixture files; a regular file's size is only where
 * the buffer starts (one read, no copies of a large fixture). */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	struct stat sb;
	char *buf, *nb;
	ssize_t r;

	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
		cap = (size_t)sb.st_size < FIXTURE_MAX_BYTES ?
		      (size_t)sb.st_size + 1 : FIXTURE_MAX_BYTES + 1;
	if (!(buf = malloc(cap + 1)))
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > FIXTURE_MAX_BYTES) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int fixture_load_file(const char *path, struct fixture **out,
		      char *err, size_t errsize)
{
	return fixture_load_file_known(path, NULL, out, err, errsize);
}

int fixture_load_file_known(const char *path, const char *validated,
			    struct fixture **out, char *err, size_t errsize)
{
	char *data = NULL;
	size_t len = 0;
	char ebuf[128];
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
	} else {
		rc = read_all(fd, &data, &len);
		close(fd);
	}
	if (rc == -EFBIG) {
		if (err && errsize)
			snprintf(err, errsize, "%s: fixture is larger than "
				 "%u MiB", path, FIXTURE_MAX_BYTES >> 20);
		return -EINVAL;
	}
	if (rc) {
		if (err && errsize)
			snprintf(err, errsize, "cannot read fixture %s: %s",
				 path, strerror_r(-rc, ebuf, sizeof(ebuf)));
		return rc;
	}
	rc = fixture_load_memory_known(path, data, len, validated, out, err, errsize);
	free(data);
	return rc;
}

static const struct fixture_site *find_site(const struct fixture *f,
					    const char *code)
{
	size_t i;

	for (i = 0; i < f->nsites; i++)
		if (strcasecmp(f->sites[i].code, code) == 0)
			return &f->sites[i];
	return NULL;
}

static const struct fixture_user *find_user(const struct fixture *f,
					    const char *name)
{
	size_t i;

	for (i = 0; i < f->nusers; i++)
		if (strcasecmp(f->users[i].name, name) == 0)
			return &f->users[i];
	return NULL;
}

/* Sites never share a code, so only classes given an explicit namespace
 * can meet across fixtures. */
static int merge_class_conflict(const struct fixture *into,
				const struct fixture_site *fs,
				const char *source, char *err, size_t errsize)
{
	size_t i, j, k;

	for (k = 0; k < fs->nclasses; k++) {
		const struct fixture_class *c = &fs->classes[k];

		for (i = 0; i < into->nsites; i++) {
			const struct fixture_site *s = &into->sites[i];

			for (j = 0; j < s->nclasses; j++) {
				if (!same_class(&s->classes[j], s->code, c,
						fs->code))
					continue;
				if (err && errsize)
					snprintf(err, errsize, "%s:%u: class "
						 "%s is already declared in "
						 "%s (line %u)", source,
						 c->line, c->name,
						 into->source,
						 s->classes[j].line);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* into->source names the element's file only while into holds one file;
 * after a merge it lists them all, hence "in SOURCE (line N)". */
static int merge_conflicts(const struct fixture *into,
			   const struct fixture *from, char *err,
			   size_t errsize)
{
	const struct fixture_site *s;
	const struct fixture_user *u;
	size_t i;

	for (i = 0; i < from->nsites; i++) {
		s = find_site(into, from->sites[i].code);
		if (s) {
			if (err && errsize)
				snprintf(err, errsize, "%s:%u: site '%s' is "
					 "already defined in %s (line %u)",
					 from->source, from->sites[i].line,
					 from->sites[i].code, into->source,
					 s->line);
			return -EINVAL;
		}
	}
	for (i = 0; i < from->nsites; i++) {
		if (merge_class_conflict(into, &from->sites[i], from->source,
					 err, errsize))
			return -EINVAL;
	}
	for (i = 0; i < from->nusers; i++) {
		u = find_user(into, from->users[i].name);
		if (u) {
			if (err && errsize)
				snprintf(err, errsize, "%s:%u: user '%s' is "
					 "already defined in %s (line %u)",
					 from->source, from->users[i].line,
					 from->users[i].name, into->source,
					 u->line);
			return -EINVAL;
		}
	}
	return 0;
}

int fixture_merge(struct fixture *into, struct fixture **from,
		  char *err, size_t errsize)
{
	struct fixture *f = from ? *from : NULL;
	struct fixture_site *sites;
	struct fixture_user *users;
	char *source;
	int rc;

	if (err && errsize)
		err[0] = '\0';
	if (!f)
		return 0;
	rc = merge_conflicts(into, f, err, errsize);
	if (rc)
		return rc;
	if (asprintf(&source, "%s, %s", into->source, f->source) < 0)
		goto nomem;
	/* Grow both arrays before moving anything so that a failure leaves
	 * into as it was (a larger allocation with the same count is);
	 * + 1 because realloc to 0 bytes may free. */
	sites = reallocarray(into->sites, into->nsites + f->nsites + 1,
			     sizeof(*sites));
	if (!sites)
		goto nomem_source;
	into->sites = sites;
	users = reallocarray(into->users, into->nusers + f->nusers + 1,
			     sizeof(*users));
	if (!users)
		goto nomem_source;
	into->users = users;

	/* memcpy from NULL is undefined even for 0 bytes: a fixture
	 * without <users> has users == NULL. */
	if (f->nsites)
		memcpy(into->sites + into->nsites, f->sites,
		       f->nsites * sizeof(*sites));
	into->nsites += f->nsites;
	if (f->nusers)
		memcpy(into->users + into->nusers, f->users,
		       f->nusers * sizeof(*users));
	into->nusers += f->nusers;
	free(into->source);
	into->source = source;
	sha256_hex((const void *const[]){ into->digest, f->digest },
		   (const size_t[]){ 64, 64 }, 2, into->digest);
	into->schema_skipped = into->schema_skipped && f->schema_skipped;

	/* The elements' strings now belong to into. */
	free(f->sites);
	free(f->users);
	free(f->source);
	free(f);
	*from = NULL;
	return 0;

nomem_source:
	free(source);
nomem:
	if (err && errsize)
		snprintf(err, errsize, "%s: out of memory", f->source);
	return -ENOMEM;
}

static void free_props(struct fixture_prop *props, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(props[i].name);
		free(props[i].value);
	}
	free(props);
}

static void free_dp(struct fixture_dp *dp)
{
	for (size_t i = 0; i < dp->nsources; i++)
		free(dp->sources[i].fqdn);
	free(dp->sources);
	free(dp->copied_by);
	free_props(dp->props, dp->nprops);
	free_strv(dp->scopes, dp->nscopes);
	free(dp->fqdn);
	free(dp->nalpath);
	free(dp->kind);
	free(dp->description);
}

static void free_group(struct fixture_boundary_group *g)
{
	size_t i;

	for (i = 0; i < g->ndps; i++)
		free(g->dp_fqdns[i]);
	free(g->dp_fqdns);
	free(g->name);
	free(g->description);
}

static void free_class(struct fixture_class *c)
{
	size_t i;

	for (i = 0; i < c->nprops; i++) {
		free(c->props[i].name);
		free(c->props[i].type);
	}
	free(c->props);
	for (i = 0; i < c->ninstances; i++)
		free_props(c->instances[i].props, c->instances[i].nprops);
	free(c->instances);
	free(c->name);
	free(c->ns);
}

void fixture_free(struct fixture *f)
{
	size_t i, j;

	if (!f)
		return;
	for (i = 0; i < f->nsites; i++) {
		for (j = 0; j < f->sites[i].ndps; j++)
			free_dp(&f->sites[i].dps[j]);
		free(f->sites[i].dps);
		free(f->sites[i].dps_by_fqdn);
		for (j = 0; j < f->sites[i].ngroups; j++)
			free_group(&f->sites[i].groups[j]);
		free(f->sites[i].groups);
		for (j = 0; j < f->sites[i].nclasses; j++)
			free_class(&f->sites[i].classes[j]);
		free(f->sites[i].classes);
		for (j = 0; j < f->sites[i].nrules; j++)
			free_props(f->sites[i].rules[j].fields,
				   f->sites[i].rules[j].nfields);
		free(f->sites[i].rules);
		free(f->sites[i].code);
		free(f->sites[i].name);
		free(f->sites[i].provider);
	}
	free(f->sites);
	for (i = 0; i < f->nusers; i++) {
		struct fixture_user *u = &f->users[i];

		free(u->name);
		if (u->password)
			explicit_bzero(u->password, strlen(u->password));
		free(u->password);
		free(u->password_hash);
		free(u->nt_hash);
		free(u->role);
		for (j = 0; j < u->naccess; j++) {
			free(u->access[j].site);
			free(u->access[j].role);
			free_strv(u->access[j].scopes, u->access[j].nscopes);
		}
		free(u->access);
		auth_memo_free(u->memo);
	}
	free(f->users);
	free(f->source);
	free(f);
}

const char *fixture_bundled_lab(size_t *len)
{
	if (len)
		*len = embedded_lab_xml_len;
	return embedded_lab_xml;
}

char *fixture_nalpath(const char *fqdn, const char *site_code)
{
	const char *part[NALPATH_PARTS];
	size_t len = 1;
	char *s, *at;

	if (!fqdn || !site_code)
		return NULL;
	nalpath_parts(part, fqdn, site_code);
	for (size_t i = 0; i < NALPATH_PARTS; i++)
		len += strlen(part[i]);
	if (!(s = at = malloc(len)))
		return NULL;
	for (size_t i = 0; i < NALPATH_PARTS; i++)
		at = stpcpy(at, part[i]);
	return s;
}

/* ---- writing ----------------------------------------------------------- */

/* Text escaped so that parsing gives back exactly s: attribute values
 * would otherwise have their tabs and line breaks turned into spaces. */
static void add_exact(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\t': buf_adds(b, "&#9;"); break;
		case '\n': buf_adds(b, "&#10;"); break;
		case '\r': buf_adds(b, "&#13;"); break;
		default: buf_add_xmln(b, s, 1);
		}
	}
}

static void add_attr(struct buf *b, const char *name, const char *v)
{
	if (!v)
		return;
	buf_addf(b, " %s=\"", name);
	add_exact(b, v);
	buf_adds(b, "\"");
}

/* A fixture-declared class with its instances. */
static void class_xml(struct buf *b, const struct fixture_class *fc)
{
	buf_adds(b, "    <class");
	add_attr(b, "name", fc->name);
	add_attr(b, "namespace", fc->ns);
	buf_adds(b, ">\n");
	for (size_t i = 0; i < fc->nprops; i++) {
		const struct fixture_class_prop *cp = &fc->props[i];

		buf_adds(b, "      <property");
		add_attr(b, "name", cp->name);
		add_attr(b, "type", cp->type);
		add_attr(b, "key", cp->key ? "true" : "false");
		add_attr(b, "array", cp->array ? "true" : "false");
		buf_adds(b, "/>\n");
	}
	for (size_t i = 0; i < fc->ninstances; i++) {
		const struct fixture_instance *in = &fc->instances[i];

		buf_adds(b, "      <instance>\n");
		for (size_t v = 0; v < in->nprops; v++) {
			buf_adds(b, "        <value");
			add_attr(b, "name", in->props[v].name);
			buf_adds(b, ">");
			add_exact(b, in->props[v].value);
			buf_adds(b, "</value>\n");
		}
		buf_adds(b, "      </instance>\n");
	}
	buf_adds(b, "    </class>\n");
}

/* A fixture site as the XML that loads back into the same site. */
static void site_xml(struct buf *b, const struct fixture_site *fs)
{
	buf_adds(b, "  <site");
	add_attr(b, "code", fs->code);
	add_attr(b, "name", fs->name);
	add_attr(b, "provider", fs->provider);
	buf_adds(b, ">\n");
	for (size_t k = 0; k < fs->ndps; k++) {
		const struct fixture_dp *d = &fs->dps[k];

		buf_adds(b, "    <dp");
		add_attr(b, "fqdn", d->fqdn);
		add_attr(b, "kind", d->kind);
		add_attr(b, "maintenance", d->maintenance ? "1" : "0");
		add_attr(b, "description", d->description);
		add_attr(b, "nalpath", d->nalpath);
		if (d->nscopes) {
			buf_adds(b, " scopes=\"");
			for (size_t i = 0; i < d->nscopes; i++) {
				if (i)
					buf_adds(b, " ");
				add_exact(b, d->scopes[i]);
			}
			buf_adds(b, "\"");
		}
		if (!d->nprops && !d->nsources) {
			buf_adds(b, "/>\n");
			continue;
		}
		buf_adds(b, ">\n");
		for (size_t i = 0; i < d->nprops; i++) {
			buf_adds(b, "      <property");
			add_attr(b, "name", d->props[i].name);
			buf_adds(b, ">");
			add_exact(b, d->props[i].value);
			buf_adds(b, "</property>\n");
		}
		for (size_t i = 0; i < d->nsources; i++) {
			buf_adds(b, "      <source");
			add_attr(b, "dp", d->sources[i].fqdn);
			buf_adds(b, "/>\n");
		}
		buf_adds(b, "    </dp>\n");
	}
	for (size_t g = 0; g < fs->ngroups; g++) {
		const struct fixture_boundary_group *bg = &fs->groups[g];

		buf_adds(b, "    <boundary-group");
		add_attr(b, "name", bg->name);
		add_attr(b, "description", bg->description);
		buf_adds(b, ">\n");
		for (size_t m = 0; m < bg->ndps; m++) {
			buf_adds(b, "      <member");
			add_attr(b, "dp", bg->dp_fqdns[m]);
			buf_adds(b, "/>\n");
		}
		buf_adds(b, "    </boundary-group>\n");
	}
	for (size_t c = 0; c < fs->nclasses; c++)
		class_xml(b, &fs->classes[c]);
	for (size_t k = 0; k < fs->nrules; k++) {
		buf_adds(b, "    <fault-rule");
		for (size_t i = 0; i < fs->rules[k].nfields; i++)
			add_attr(b, fs->rules[k].fields[i].name,
				 fs->rules[k].fields[i].value);
		buf_adds(b, "/>\n");
	}
	buf_adds(b, "  </site>\n");
}

/* The users, in the <users> element the schema puts before the sites. */
static void users_xml(struct buf *b, const struct fixture_user *users,
		      size_t n)
{
	if (!n)
		return;
	buf_adds(b, "  <users>\n");
	for (size_t i = 0; i < n; i++) {
		const struct fixture_user *u = &users[i];

		buf_adds(b, "    <user");
		add_attr(b, "name", u->name);
		add_attr(b, "password", u->password);
		add_attr(b, "password-hash", u->password_hash);
		add_attr(b, "nt-hash", u->nt_hash);
		add_attr(b, "role", u->role);
		if (!u->naccess) {
			buf_adds(b, "/>\n");
			continue;
		}
		buf_adds(b, ">\n");
		for (size_t k = 0; k < u->naccess; k++) {
			const struct fixture_access *a = &u->access[k];

			buf_adds(b, "      <access");
			add_attr(b, "site", a->site);
			add_attr(b, "role", a->role);
			buf_adds(b, " scopes=\"");
			for (size_t j = 0; j < a->nscopes; j++) {
				if (j)
					buf_adds(b, " ");
				add_exact(b, a->scopes[j]);
			}
			buf_adds(b, "\"/>\n");
		}
		buf_adds(b, "    </user>\n");
	}
	buf_adds(b, "  </users>\n");
}

/* One document of users and sites; "" when there is neither. */
static char *write_doc(const struct fixture_user *users, size_t nusers,
		       const struct fixture_site *const *sites, size_t nsites)
{
	struct buf b;
	char *text;

	if (!nusers && !nsites)
		return strdup("");
	buf_init(&b, 0);
	buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n");
	users_xml(&b, users, nusers);
	for (size_t i = 0; i < nsites; i++)
		site_xml(&b, sites[i]);
	buf_adds(&b, "</dpsim-fixture>\n");
	text = buf_error(&b) ? NULL : buf_take(&b, NULL);
	buf_free(&b);
	return text;
}

char *fixture_write_sites(const struct fixture_site *const *sites, size_t n)
{
	return write_doc(NULL, 0, sites, n);
}

char *fixture_write(const struct fixture *f)
{
	const struct fixture_site **sites = calloc(f->nsites + 1,
						   sizeof(*sites));
	char *text;

	if (!sites)
		return NULL;
	for (size_t i = 0; i < f->nsites; i++)
		sites[i] = &f->sites[i];
	text = write_doc(f->users, f->nusers, sites, f->nsites);
	free(sites);
	return text;
}
