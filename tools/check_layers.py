#!/usr/bin/env python3
"""Layer check for dpsim: which module may include what, and which C
library calls nobody may make.  docs/architecture.md (Layering rules)
explains the layers; this script is what keeps them true.

    check_layers.py SOURCE_ROOT     scan SOURCE_ROOT; exit 1 on a violation
    check_layers.py --self-test     build a small tree with one violation of
                                    each rule under a temporary directory
                                    (or the directory given after it) and
                                    fail unless every rule reports it

It reads simulator/, wsman/ and client/ (.c and .h; tests/ and bench/ are
not scanned: a test may reach into any layer).  One line per violation:

    path:line: rule-name: what was found (why the rule exists)

Standard library only, so it runs wherever meson's python3 does.
"""

import os
import re
import shutil
import sys
import tempfile

SCANNED_DIRS = ("simulator", "wsman", "client")

# --- The rules: one row each ----------------------------------------------
#
# kind "only":   an include matching WHAT is allowed in the files of WHO only
#                (a path, or a directory ending in "/"); everyone else breaks it
# kind "not-in": an include matching WHAT is forbidden in the files of WHO
# kind "upward": a file under WHO includes a header that lives in WHAT
# kind "call":   a call of the function WHAT anywhere (WHO unused)
# WHAT of an include rule is a regular expression over the name as written
# between <> or "".  WHO is space-separated.
RULES = [
    # name                         kind      what                                    who                                                                                                   reason
    ("sqlite-only-in-store",        "only",   r"^sqlite3\.h$",                        "simulator/store.c simulator/store_wal.c",                                                            "SQL and the connection's lock stay behind store's API"),
    ("mhd-only-in-http",            "only",   r"^microhttpd\.h$",                     "simulator/http.c",                                                                                   "one HTTP front; protocol modules get bytes, not MHD connections"),
    ("libxml2-only-in-codecs",      "only",   r"^libxml/",                            "wsman/ simulator/fixture.c simulator/xml_log.c client/dpctl_capture.c",                              "XML is parsed by the wsman codecs and the fixture reader; xml_log routes libxml2's errors; dpctl capture writes fixtures with xmlTextWriter (and parses nothing)"),
    ("jansson-only-in-json-fronts", "only",   r"^jansson\.h$",                        "simulator/control.c simulator/dashboard.c simulator/adminservice.c simulator/probe.c simulator/json_answer.c simulator/json_answer.h simulator/fault_json.c simulator/fault_json.h wsman/cim_json.c wsman/cim_json.h client/dpc_sim.c client/dpc_odata.c client/dpctl.h client/dpctl.c client/dpctl_cmd.c client/dpctl_out.c client/dpctl_sim.c", "JSON is a front end's wire format (and --probe's reading of the health answer, and the client's, reading the control API and the AdminService's answers and printing --json; cim_json maps CIM values to OData JSON for both), not a type the provider knows"),
    ("provider-no-codec-headers",   "not-in", r"^(request|response|reply|build|fault)\.h$", "simulator/provider.h simulator/provider.c",                                                        "the provider takes typed calls; WS-Man envelopes are wsman_ops' business"),
    ("query-no-wire-headers",       "not-in", r"^(request|response|reply|build|fault|front|http|json_answer|fault_json|cim_json|wsman_ops|control|dashboard|adminservice)\.h$", "simulator/predicate.h simulator/predicate.c simulator/wql.h simulator/wql.c simulator/odata_query.h simulator/odata_query.c", "the query modules work on CIM instances; requests, answers and their wire formats (WS-Man, JSON, HTTP) belong to the front ends"),
    ("wsman-no-upward-includes",    "upward", "simulator/ client/",                   "wsman/",                                                                                             "wsman/ is a pure codec shared by dpsim and libdpclient"),
    ("banned-call-sprintf",         "call",   "sprintf",                              "",                                                                                                   "unbounded write; use snprintf or the buf API"),
    ("banned-call-vsprintf",        "call",   "vsprintf",                             "",                                                                                                   "unbounded write; use vsnprintf"),
    ("banned-call-strcpy",          "call",   "strcpy",                               "",                                                                                                   "unbounded copy; use snprintf or memcpy with a length"),
    ("banned-call-strcat",          "call",   "strcat",                               "",                                                                                                   "unbounded append; use the buf API"),
    ("banned-call-gets",            "call",   "gets",                                 "",                                                                                                   "unbounded read"),
    ("banned-call-atoi",            "call",   "atoi",                                 "",                                                                                                   "no error report; use strtol/strtoul and check the end"),
]
# -------------------------------------------------------------------------

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]',
                        re.M)


def strip_c(text):
    """Blank out comments, string and character literals, keeping every
    newline so that line numbers stay right.  #include lines are kept as
    they are: their "file" is a name, not a literal."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start:
            m = INCLUDE_RE.match(text, i)
            if m:
                out.append(m.group(0))
                i = m.end()
                line_start = False
                continue
        if c == "\n":
            out.append(c)
            i += 1
            line_start = True
            continue
        if c in " \t" and line_start:
            out.append(c)
            i += 1
            continue
        line_start = False
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join(ch if ch == "\n" else " "
                               for ch in text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + "".join(ch if ch == "\n" else " "
                                   for ch in text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def in_scope(rel, who):
    """Is the file rel one of WHO (paths, or directories ending in "/")?"""
    for w in who.split():
        if rel == w or (w.endswith("/") and rel.startswith(w)):
            return True
    return False


def upward_include(root, rel, quote, target, dirs):
    """The simulator/ or client/ header a wsman/ include names, or None.
    A quoted include resolves next to the including file first, as the
    compiler does; a bare name found there is the codec's own header."""
    here = os.path.dirname(rel)
    norm = os.path.normpath(os.path.join(here, target)).replace(os.sep, "/")
    for d in dirs.split():
        if norm.startswith(d):
            return norm
    if quote == '"' and os.path.exists(os.path.join(root, norm)):
        return None
    if "/" in target:
        return None
    for d in dirs.split():
        if os.path.exists(os.path.join(root, d, target)):
            return d + target
    return None


def source_files(root):
    for d in SCANNED_DIRS:
        top = os.path.join(root, d)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith((".c", ".h")):
                    full = os.path.join(dirpath, f)
                    yield os.path.relpath(full, root).replace(os.sep, "/")


def check_file(root, rel):
    with open(os.path.join(root, rel), encoding="utf-8",
              errors="replace") as fh:
        text = strip_c(fh.read())
    found = []
    for m in INCLUDE_RE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        quote, target = m.group(1), m.group(2).strip()
        shown = quote + target + (">" if quote == "<" else '"')
        for name, kind, what, who, why in RULES:
            if kind in ("only", "not-in") and re.search(what, target):
                if in_scope(rel, who) == (kind == "not-in"):
                    found.append((rel, line, name,
                                  "includes %s (%s)" % (shown, why)))
            elif kind == "upward" and in_scope(rel, who):
                up = upward_include(root, rel, quote, target, what)
                if up:
                    found.append((rel, line, name,
                                  "includes %s (%s)" % (up, why)))
    for name, kind, what, who, why in RULES:
        if kind != "call":
            continue
        # A call: the name not preceded by an identifier character or a
        # member access (s.gets(), p->strcat()), followed by "(".
        for m in re.finditer(r"(?<![\w.>])%s\s*\(" % re.escape(what), text):
            line = text.count("\n", 0, m.start()) + 1
            found.append((rel, line, name, "calls %s() (%s)" % (what, why)))
    return found


def check_tree(root):
    found = []
    for rel in source_files(root):
        found.extend(check_file(root, rel))
    found.sort(key=lambda v: (v[0], v[1], v[2]))
    return found


def rule_names():
    return [r[0] for r in RULES]


# Files for the self-test: one violation of each rule, plus look-alikes that
# must not be reported (allowed includes, snprintf, names in comments and
# string literals).
SELF_TEST_TREE = {
    "simulator/store.c": '#include <sqlite3.h>\n',
    "simulator/http.c": '#include <microhttpd.h>\n',
    "simulator/fixture.c": '#include <libxml/tree.h>\n',
    "simulator/control.c": '#include <jansson.h>\n',
    "simulator/fault_json.h": '#include <jansson.h>\n',
    "simulator/wsman_ops.c": '#include "request.h"\n#include "reply.h"\n',
    "simulator/log.h": '/* nothing */\n',
    "simulator/predicate.c": '#include "predicate.h"\n#include "cim.h"\n',
    "wsman/request.h": '#include "fault.h"\n',
    "wsman/fault.h": '/* strcpy(a, b) in a comment is fine */\n',
    "wsman/request.c": ('#include <libxml/parser.h>\n#include "request.h"\n'
                        'static const char *s = "sprintf(x)";\n'
                        'int f(char *b) { return snprintf(b, 1, "%d", 1); }'
                        '\nint g(struct io *p) { return p->gets(p) + '
                        "matoi('(') + ';'; }\n"),
    # violations, one per rule
    "simulator/journal.c": '#include <sqlite3.h>\n',
    "simulator/main.c": '#  include <microhttpd.h>\n',
    "simulator/provider.h": '#include "request.h"\n',
    "simulator/provider.c": '#include "fault.h"\n',
    "client/dpclient.c": '#include <libxml/parser.h>\n',
    "simulator/wsman_ops.h": '#include <jansson.h>\n',
    "simulator/odata_query.c": '#include "odata_query.h"\n#include "front.h"\n',
    "wsman/cim.c": '#include "log.h"\n',
    "wsman/resource.c": '#include "../client/dpclient.h"\n',
    "client/dpclient.h": '/* public header */\n',
    "wsman/buf.c": ('void f(char *d, const char *s, char *l)\n{\n'
                    '\tsprintf(d, "%s", s);\n\tvsprintf(d, s, 0);\n'
                    '\tstrcpy(d, s);\n\tstrcat (d, s);\n\tgets(l);\n'
                    '\t(void)atoi(s);\n}\n'),
}


def self_test(workdir=None):
    if workdir:
        os.makedirs(workdir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="check_layers.", dir=workdir)
    for rel, body in SELF_TEST_TREE.items():
        path = os.path.join(tmp, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(body)
    found = check_tree(tmp)
    got = {(v[0], v[2]) for v in found}
    want = {
        ("simulator/journal.c", "sqlite-only-in-store"),
        ("simulator/main.c", "mhd-only-in-http"),
        ("client/dpclient.c", "libxml2-only-in-codecs"),
        ("simulator/wsman_ops.h", "jansson-only-in-json-fronts"),
        ("simulator/provider.h", "provider-no-codec-headers"),
        ("simulator/provider.c", "provider-no-codec-headers"),
        ("simulator/odata_query.c", "query-no-wire-headers"),
        ("wsman/cim.c", "wsman-no-upward-includes"),
        ("wsman/resource.c", "wsman-no-upward-includes"),
    }
    want |= {("wsman/buf.c", r[0]) for r in RULES if r[1] == "call"}
    ok = True
    for name in rule_names():
        if not any(w[1] == name for w in want):
            print("self-test: rule %s has no planted violation" % name)
            ok = False
    for w in sorted(want - got):
        print("self-test: MISSED %s: %s" % w)
        ok = False
    for g in sorted(got - want):
        print("self-test: FALSE ALARM %s: %s" % g)
        ok = False
    lines = {v[2]: v[1] for v in found if v[0] == "wsman/buf.c"}
    if lines.get("banned-call-sprintf") != 3 or \
            lines.get("banned-call-atoi") != 8:
        print("self-test: wrong line numbers %r" % sorted(lines.items()))
        ok = False
    print("self-test: %s, %d violations planted, %d reported in %s" %
          ("ok" if ok else "FAILED", len(want), len(found), tmp))
    if ok:
        shutil.rmtree(tmp)
    return ok


def main(argv):
    if len(argv) >= 2 and argv[1] == "--self-test":
        return 0 if self_test(argv[2] if len(argv) > 2 else None) else 1
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = argv[1]
    if not all(os.path.isdir(os.path.join(root, d)) for d in SCANNED_DIRS):
        print("check_layers: %s has no %s" % (root, ", ".join(SCANNED_DIRS)),
              file=sys.stderr)
        return 2
    found = check_tree(root)
    for rel, line, name, what in found:
        print("%s:%d: %s: %s" % (rel, line, name, what))
    print("check_layers: %d violation(s)" % len(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
