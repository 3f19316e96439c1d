/* fixture: the lab a dpsim serves, read from XML validated against
 * fixtures/fixture.xsd (compiled into the binary).
 *
 * A loaded fixture is a read-only tree of plain structs: the provider and
 * the store seed themselves from it at start-up and on reset. Every
 * element keeps the line it came from so later checks can still name
 * file:line.
 */
#ifndef DPSIM_FIXTURE_H
#define DPSIM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An extra property value for a DP's SMS_DistributionPointInfo instance. */
struct fixture_prop {
	char *name;
	char *value;
	unsigned line;
};

/* <source dp="FQDN"/> inside a pull DP: a DP of the same site it copies
 * content from. Checked at load: it names a DP of the site other than
 * the pull DP, once, and following sources never comes back to a DP
 * (no loops), so a chain of pull DPs always ends. */
struct fixture_source {
	char *fqdn;		/* the source DP's fqdn as its <dp> spells it */
	size_t dp;		/* its index in the site's dps */
	unsigned line;
};

struct fixture_dp {
	char *fqdn;		/* "DP01.contoso.com": Name and ServerName */
	char *nalpath;		/* given, or built from fqdn and the site code */
	char *kind;		/* "standard", "pull", "pxe", "cloud" */
	uint32_t maintenance;	/* initial MaintenanceMode, 0 or 1 */
	char *description;	/* may be NULL */
	struct fixture_prop *props;
	size_t nprops;
	char **scopes;		/* its security scopes, at least one; the
				 * scopes attribute, default "Default" */
	size_t nscopes;
	struct fixture_source *sources;	/* a pull DP's, in document
					 * order; none for other kinds */
	size_t nsources;
	/* The other way round, made at load: the pull DPs that name this
	 * one as a source, as indexes in the site's dps, ascending (that
	 * is, in document order). */
	size_t *copied_by;
	size_t ncopied_by;
	unsigned line;
};

/* A boundary group: the DPs a client in it is offered for content (a DP
 * in maintenance is withheld, as a management point would). */
struct fixture_boundary_group {
	char *name;		/* "HQ clients" */
	char *description;	/* may be NULL */
	char **dp_fqdns;	/* members, each the fqdn of a DP of the site */
	size_t ndps;
	unsigned line;
};

/* A property declaration of a fixture-declared WMI class. */
struct fixture_class_prop {
	char *name;
	char *type;		/* MOF type name: "string", "uint32", ... */
	bool key;
	bool array;
	unsigned line;
};

/* One instance: property values as written (arrays: one fixture_prop per
 * item, same name, in order; a property not given is null). */
struct fixture_instance {
	struct fixture_prop *props;
	size_t nprops;
	unsigned line;
};

/* A WMI class dpsim has no code for, declared with its instances so Get,
 * Enumerate and WQL serve it (issue: general mock provider). */
struct fixture_class {
	char *name;		/* "SMS_SystemResourceList" */
	char *ns;		/* NULL = the site's namespace root/sms/site_CODE */
	struct fixture_class_prop *props;
	size_t nprops;
	struct fixture_instance *instances;
	size_t ninstances;
	unsigned line;
};

/* <fault-rule .../>: a fault rule of the site, its attributes as written
 * (name = the rule field, value = its text), checked at load. */
struct fixture_fault_rule {
	struct fixture_prop *fields;
	size_t nfields;
	unsigned line;
};

struct fixture_site {
	char *code;		/* "PS1" */
	char *name;		/* "Contoso Lab" */
	char *provider;		/* SMS Provider machine, "CM01.contoso.com" */
	struct fixture_dp *dps;
	size_t ndps;
	/* The same DPs sorted by fqdn ignoring case, for lookups by name
	 * while the document is read; owned (the DPs are not). */
	struct fixture_dp **dps_by_fqdn;
	struct fixture_boundary_group *groups;
	size_t ngroups;
	struct fixture_class *classes;
	size_t nclasses;
	unsigned line;
	struct fixture_fault_rule *rules;	/* in document order */
	size_t nrules;
};

/* <access site="PS1" role="..." scopes="Branch"/>: a user's security
 * role at one site, limited to the objects in the given security scopes
 * ("All" covers every object). The site need not be in the same fixture,
 * nor served at all: access to a site that is not served grants nothing
 * until a site of that code is (fixtures add up, and the control API
 * adds sites at run time), so an unknown code is not an error. */
struct fixture_access {
	char *site;		/* site code as written */
	char *role;
	char **scopes;		/* at least one; default "All" */
	size_t nscopes;
	unsigned line;
};

struct auth_memo;		/* auth.c: the last password accepted */

struct fixture_user {
	char *name;
	char *password;		/* clear text, or NULL: password_hash */
	char *password_hash;	/* a crypt(3) string, or NULL: password */
	char *nt_hash;		/* the NT hash NTLM checks (32 upper-case
				 * hex digits, from the nt-hash attribute,
				 * beside password_hash), or NULL; a
				 * clear-text user's is computed when
				 * needed (negotiate.h) */
	char *role;		/* the role attribute: that role at every
				 * site, security scope All ("Full
				 * Administrator", "Infrastructure
				 * Administrator", "Read-only Analyst",
				 * "Operations Administrator"); NULL when
				 * the user has <access> elements instead */
	struct fixture_access *access;	/* per site; naccess == 0 when
					 * role is set */
	size_t naccess;
	struct auth_memo *memo;	/* every user: made at load, owned by the
				 * user (fixture_free); a hashed user's
				 * password last accepted (auth_basic()
				 * skips re-hashing it), a clear-text user's
				 * password; NULL is fine (no memo) */
	unsigned line;
};

struct fixture {
	char *source;		/* file path, or "<bundled lab>" */
	/* SHA-256 (hex) of the document's bytes; of the documents' digests
	 * in order after fixture_merge. A database seeded from this fixture
	 * remembers it, so a restart with the same fixture can skip the
	 * work already done (provider.h). */
	char digest[65];
	bool schema_skipped;	/* fixture_load_*_known found it validated */
	struct fixture_site *sites;
	size_t nsites;
	struct fixture_user *users;
	size_t nusers;
};

/* Loads and validates path. On success returns 0 and *out (fixture_free).
 * On failure returns -EINVAL (invalid), -ENOENT/-EACCES (unreadable) or
 * -ENOMEM and writes one line "FILE:LINE: what is wrong" into err. */
int fixture_load_file(const char *path, struct fixture **out,
		      char *err, size_t errsize);
/* Same for a document in memory; name stands in for the file name. */
int fixture_load_memory(const char *name, const char *data, size_t len,
			struct fixture **out, char *err, size_t errsize);

/* fixture_load_file and fixture_load_memory for a caller that knows
 * documents validated before: when the document's digest (see digest
 * above) is one of the space-separated digests in validated (NULL:
 * none), the schema check is not run again (schema_skipped is set);
 * every other check is. For a restart with the same fixture: main.c
 * keeps in the database the digests this dpsim version validated. */
int fixture_load_file_known(const char *path, const char *validated,
			    struct fixture **out, char *err, size_t errsize);
int fixture_load_memory_known(const char *name, const char *data, size_t len,
			      const char *validated, struct fixture **out,
			      char *err, size_t errsize);

/* Moves the sites and users of *from into into and frees *from (set to
 * NULL), for several --fixture files. A site code or user name both
 * define is an error naming both places; into is unchanged then. */
int fixture_merge(struct fixture *into, struct fixture **from,
		  char *err, size_t errsize);

void fixture_free(struct fixture *f);

struct fault_rule;
/* Converts fr into *out (fault_rule_clear it) with site set to site, by
 * the control API's own conversion. 0, -EINVAL (err: "what is wrong",
 * no file:line) or -ENOMEM. */
int fixture_fault_rule_build(const struct fixture_fault_rule *fr,
			     const char *site, struct fault_rule *out,
			     char *err, size_t errsize);

/* Writing a fixture back: a document fixture_load_memory() reads into
 * the same model (every field but source and the line numbers; a DP's
 * nalpath is written as it was built, DP scopes and access scopes
 * explicitly). Attribute values are escaped so that tabs and line breaks
 * survive, and <value>/<property> text is kept as written, layout
 * included. A user's auth_memo is made again by the loader.
 *
 * fixture_write: users and sites. fixture_write_sites: the n sites only
 * (snapshots: users are global, the start-up fixture's), borrowed. Both
 * return a malloc'd document the caller frees, "" when there is nothing
 * to write, NULL when out of memory. */
char *fixture_write(const struct fixture *f);
char *fixture_write_sites(const struct fixture_site *const *sites, size_t n);

/* The bundled lab fixture (fixtures/lab.xml), compiled in. */
const char *fixture_bundled_lab(size_t *len);

/* What messages name the bundled lab by, in place of a file name. */
#define FIXTURE_BUNDLED_LAB "<bundled lab>"

/* Loads the bundled lab without the schema check (schema_skipped is set):
 * the document is compiled in, and test_fixture checks it against the
 * schema compiled in beside it (load_bundled), so the check could only
 * repeat a result known when dpsim was built; every other check runs. It
 * saves about a millisecond of each first start, the one a CI job makes
 * on a new database. */
int fixture_load_bundled_lab(struct fixture **out, char *err, size_t errsize);

/* Builds the canonical NAL path of a DP:
 * ["Display=\\FQDN\"]MSWNET:["SMS_SITE=CODE"]\\FQDN\   (malloc'd). */
char *fixture_nalpath(const char *fqdn, const char *site_code);

#endif
