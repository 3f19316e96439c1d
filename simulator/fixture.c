/* fixture: load, validate and merge dpsim lab fixtures.
 *
 * A load runs in three passes, each stopping at its first error:
 *   1. parse with libxml2, refusing any DTD before it is read (no entity
 *      can be declared, so none can be expanded);
 *   2. validate against the compiled-in fixtures/fixture.xsd;
 *   3. walk the tree in document order, building the structs and doing
 *      the checks XSD cannot express (case-insensitive uniqueness of
 *      sites, users, DP FQDNs and NAL paths, and <property> names within
 *      a DP).
 * Whether a <property> names a real SMS_DistributionPointInfo property
 * and holds a value of its type is checked by the provider, which owns
 * the class (provider_new reports it as FILE:LINE too).
 * Errors from all three passes go through one struct diag, so the message
 * is always the first problem in the file, as "FILE:LINE: text".
 */
#include "fixture.h"
#include "embedded.h"

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

static void diag_vset(struct diag *d, unsigned line, const char *fmt,
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
	char msg[512];

	if (e->level < XML_ERR_ERROR || !p || !p->_private)
		return;
	clean_message(e->message, msg, sizeof(msg));
	diag_set(p->_private, e->line > 0 ? (unsigned)e->line : 0,
		 "not well-formed XML: %s", msg);
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
	clean_message(e->message, msg, sizeof(msg));
	explain_pattern(msg, sizeof(msg));
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

	diag_set(p->_private, p->input ? (unsigned)p->input->line : 0,
		 "a DOCTYPE (DTD) is not allowed in a fixture: "
		 "no DTDs, no entity declarations");
	xmlStopParser(p);
}

/* ---- parse and validate ------------------------------------------- */

static int parse(struct diag *d, const char *data, size_t len,
		 xmlDoc **out)
{
	xmlParserCtxt *p;
	xmlDoc *doc;
	int rc = 0;

	*out = NULL;
	p = xmlCreateMemoryParserCtxt(data, (int)len);
	if (!p)
		return diag_nomem(d);
	/* No XML_PARSE_NOENT / DTDLOAD / DTDATTR: nothing external, ever. */
	xmlCtxtUseOptions(p, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	p->_private = d;
	p->sax->serror = on_parse_error;
	p->sax->internalSubset = refuse_dtd;
	p->sax->startElementNs = start_element;

	xmlParseDocument(p);
	doc = p->myDoc;
	p->myDoc = NULL;
	if (!d->failed && doc && (doc->intSubset || doc->extSubset))
		diag_set(d, 1, "a DOCTYPE (DTD) is not allowed in a fixture");
	if (!d->failed && (!p->wellFormed || !doc))
		diag_set(d, 0, "not well-formed XML");
	if (d->failed) {
		rc = p->errNo == XML_ERR_NO_MEMORY ? -ENOMEM : -EINVAL;
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(p);
	*out = doc;
	return rc;
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       xmlStrEqual(n->ns->href, BAD_CAST FIXTURE_NS) &&
	       xmlStrEqual(n->name, BAD_CAST name);
}

/* Without a matching root, libxml2 only says "no matching global
 * declaration"; say what the root should be instead. */
static int check_root(struct diag *d, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);

	if (is_elem(root, FIXTURE_ROOT))
		return 0;
	if (root && xmlStrEqual(root->name, BAD_CAST FIXTURE_ROOT))
		diag_set(d, node_line(root),
			 "root element <" FIXTURE_ROOT "> must be in "
			 "namespace " FIXTURE_NS ", not '%s' "
			 "(add xmlns=\"" FIXTURE_NS "\")",
			 root->ns ? (const char *)root->ns->href : "");
	else
		diag_set(d, root ? node_line(root) : 0,
			 "root element must be <" FIXTURE_ROOT " xmlns=\""
			 FIXTURE_NS "\">, not <%s>",
			 root ? (const char *)root->name : "");
	return -EINVAL;
}

static int validate(struct diag *d, xmlDoc *doc)
{
	/* Errors in our own schema name the schema, not the fixture. */
	struct diag sd = { .name = "fixture.xsd (built in)",
			   .buf = d->buf, .size = d->size };
	xmlSchemaParserCtxt *sp;
	xmlSchema *schema = NULL;
	xmlSchemaValidCtxt *vc = NULL;
	int rc = -ENOMEM;

	sp = xmlSchemaNewMemParserCtxt(embedded_fixture_xsd,
				       (int)embedded_fixture_xsd_len);
	if (!sp)
		return diag_nomem(d);
	xmlSchemaSetParserStructuredErrors(sp, on_schema_error, &sd);
	schema = xmlSchemaParse(sp);
	if (!schema) {
		if (!sd.failed)
			diag_set(&sd, 0, "cannot compile the schema");
		d->failed = true;
		rc = -EINVAL;
		goto out;
	}
	vc = xmlSchemaNewValidCtxt(schema);
	if (!vc) {
		diag_nomem(d);
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vc, on_schema_error, d);
	/* > 0: invalid; < 0: libxml2 internal error, still not loadable */
	rc = xmlSchemaValidateDoc(vc, doc);
	if (rc != 0) {
		if (!d->failed)
			diag_set(d, 0, "does not match the fixture schema");
		rc = -EINVAL;
	}
out:
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(sp);
	return rc;
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
	v = xmlNodeListGetString(n->doc, a->children, 1);
	*out = strdup(v ? (const char *)v : "");
	xmlFree(v);
	if (!*out || (!v && a->children))
		return -ENOMEM;
	return 0;
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

	p->line = node_line(n);
	if (attr_dup(n, "name", &p->name))
		return diag_nomem(d);
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

/* Real DP lookups match FQDN and NAL path ignoring case, so two DPs
 * differing only in case would be one DP to every client. */
static int check_dp_unique(struct diag *d, const struct fixture_site *s,
			   const struct fixture_dp *dp)
{
	const struct fixture_dp *o;

	for (o = s->dps; o < dp; o++) {
		if (strcasecmp(o->fqdn, dp->fqdn) == 0) {
			diag_set(d, dp->line, "DP '%s' duplicates the one at "
				 "line %u (same FQDN, ignoring case)",
				 dp->fqdn, o->line);
			return -EINVAL;
		}
		if (strcasecmp(o->nalpath, dp->nalpath) == 0) {
			diag_set(d, dp->line, "DP '%s' duplicates the one at "
				 "line %u (same NAL path, ignoring case)",
				 dp->fqdn, o->line);
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
	if (attr_dup(n, "fqdn", &dp->fqdn) ||
	    attr_dup(n, "kind", &dp->kind) ||
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
	rc = check_dp_unique(d, s, dp);
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
	return 0;
}

static int build_site(struct diag *d, xmlNode *n, struct fixture *f,
		      struct fixture_site *s)
{
	const struct fixture_site *o;
	xmlNode *c;
	size_t count;
	int rc;

	s->line = node_line(n);
	if (attr_dup(n, "code", &s->code) || attr_dup(n, "name", &s->name) ||
	    attr_dup(n, "provider", &s->provider))
		return diag_nomem(d);
	/* The schema's key catches exact repeats; namespaces ignore case,
	 * so root\sms\site_ps1 and site_PS1 would be the same site. */
	for (o = f->sites; o < s; o++) {
		if (strcasecmp(o->code, s->code) == 0) {
			diag_set(d, s->line, "site '%s' duplicates the one at "
				 "line %u (site codes ignore case)",
				 s->code, o->line);
			return -EINVAL;
		}
	}

	count = count_elems(n, "dp");
	if (count && !(s->dps = calloc(count, sizeof(*s->dps))))
		return diag_nomem(d);
	for_each_elem(c, n, "dp") {
		rc = build_dp(d, c, s, &s->dps[s->ndps++]);
		if (rc)
			return rc;
	}
	return 0;
}

static int build_users(struct diag *d, xmlNode *users, struct fixture *f)
{
	struct fixture_user *u;
	const struct fixture_user *o;
	xmlNode *c;
	size_t count = count_elems(users, "user");

	if (count && !(f->users = calloc(count, sizeof(*f->users))))
		return diag_nomem(d);
	for_each_elem(c, users, "user") {
		u = &f->users[f->nusers++];
		u->line = node_line(c);
		if (attr_dup(c, "name", &u->name) ||
		    attr_dup(c, "password", &u->password) ||
		    attr_dup(c, "role", &u->role))
			return diag_nomem(d);
		/* Windows account names ignore case. */
		for (o = f->users; o < u; o++) {
			if (strcasecmp(o->name, u->name) == 0) {
				diag_set(d, u->line, "user '%s' duplicates "
					 "the one at line %u (user names "
					 "ignore case)", u->name, o->line);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int build(struct diag *d, xmlDoc *doc, struct fixture *f)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *c;
	size_t count;
	int rc;

	for_each_elem(c, root, "users") {
		rc = build_users(d, c, f);
		if (rc)
			return rc;
	}
	count = count_elems(root, "site");
	if (count && !(f->sites = calloc(count, sizeof(*f->sites))))
		return diag_nomem(d);
	for_each_elem(c, root, "site") {
		rc = build_site(d, c, f, &f->sites[f->nsites++]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- public API ----------------------------------------------------- */

int fixture_load_memory(const char *name, const char *data, size_t len,
			struct fixture **out, char *err, size_t errsize)
{
	struct diag d = { .name = name ? name : "<memory>",
			  .buf = err, .size = errsize };
	struct fixture *f = NULL;
	xmlDoc *doc = NULL;
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
	rc = parse(&d, data, len, &doc);
	if (rc == 0)
		rc = check_root(&d, doc);
	if (rc == 0)
		rc = validate(&d, doc);
	if (rc == 0) {
		f = calloc(1, sizeof(*f));
		if (!f || !(f->source = strdup(d.name)))
			rc = diag_nomem(&d);
	}
	if (rc == 0)
		rc = build(&d, doc, f);

	xmlFreeDoc(doc);
	if (rc) {
		fixture_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* Reads until EOF rather than trusting st_size, so pipes and
 * /dev/stdin work as fixture files. */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;

	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16384;
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
	rc = fixture_load_memory(path, data, len, out, err, errsize);
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

	memcpy(into->sites + into->nsites, f->sites,
	       f->nsites * sizeof(*sites));
	into->nsites += f->nsites;
	memcpy(into->users + into->nusers, f->users,
	       f->nusers * sizeof(*users));
	into->nusers += f->nusers;
	free(into->source);
	into->source = source;

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

static void free_dp(struct fixture_dp *dp)
{
	size_t i;

	for (i = 0; i < dp->nprops; i++) {
		free(dp->props[i].name);
		free(dp->props[i].value);
	}
	free(dp->props);
	free(dp->fqdn);
	free(dp->nalpath);
	free(dp->kind);
	free(dp->description);
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
		free(f->sites[i].code);
		free(f->sites[i].name);
		free(f->sites[i].provider);
	}
	free(f->sites);
	for (i = 0; i < f->nusers; i++) {
		free(f->users[i].name);
		free(f->users[i].password);
		free(f->users[i].role);
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
	char *s;

	if (!fqdn || !site_code)
		return NULL;
	/* ["Display=\\FQDN\"]MSWNET:["SMS_SITE=CODE"]\\FQDN\ */
	if (asprintf(&s, "[\"Display=\\\\%s\\\"]MSWNET:[\"SMS_SITE=%s\"]"
		     "\\\\%s\\", fqdn, site_code, fqdn) < 0)
		return NULL;
	return s;
}
