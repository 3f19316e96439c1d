#!/usr/bin/env python3
"""Writes dpsim(1): the hand-written page TEMPLATE with its @OPTIONS@ line
replaced by the options `DPSIM --help` prints, so the man page lists
exactly the options dpsim parses (config.c's table is the only source of
both) and says the same defaults. @VERSION@ becomes the version.

usage: manpage.py DPSIM TEMPLATE OUTPUT VERSION

An option line of --help is two spaces, --NAME, an optional argument
placeholder, two or more spaces, the description and an optional
"[default]" at its end. A line that starts like an option but does not
read so is an error: a format change must not silently drop options.
"""
import re
import subprocess
import sys

OPTION = re.compile(r'^  (--[a-z0-9-]+)(?: (\S+))?  +(\S.*?)(?: \[([^\]]*)\])?$')


def roff(text):
    """Escapes text for a roff body line: backslashes, hyphens (so that
    options copy and paste as ASCII) and a leading period or quote."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    if text[:1] in ('.', "'"):
        text = '\\&' + text
    return text


def options_roff(help_text):
    out = []
    for line in help_text.splitlines():
        if not line.startswith('  --'):
            continue
        m = OPTION.match(line)
        if not m:
            sys.exit('manpage.py: cannot read this --help line as an option: %r' % line)
        name, arg, desc, deflt = m.groups()
        out.append('.TP')
        if arg:
            out.append('.BI "%s " "%s"' % (roff(name), roff(arg)))
        else:
            out.append('.B %s' % roff(name))
        # As --help words it (it may start with a literal value such as
        # "normal:" or "text"), made a sentence.
        if not desc.endswith('.'):
            desc += '.'
        out.append(roff(desc))
        if deflt is not None:
            out.append('Default: %s.' % roff(deflt))
    if not out:
        sys.exit('manpage.py: --help listed no options')
    return '\n'.join(out)


def main():
    if len(sys.argv) != 5:
        sys.exit('usage: manpage.py DPSIM TEMPLATE OUTPUT VERSION')
    dpsim, template, output, version = sys.argv[1:]
    help_text = subprocess.run([dpsim, '--help'], check=True,
                               capture_output=True, text=True).stdout
    with open(template, encoding='utf-8') as f:
        page = f.read()
    if page.count('@OPTIONS@\n') != 1:
        sys.exit('manpage.py: %s needs exactly one @OPTIONS@ line' % template)
    page = page.replace('@OPTIONS@\n', options_roff(help_text) + '\n')
    page = page.replace('@VERSION@', version)
    with open(output, 'w', encoding='utf-8') as f:
        f.write(page)


if __name__ == '__main__':
    main()
