/* embedded: files compiled into dpsim by tools/embed.py (the embedded
 * custom target in simulator/meson.build generates embedded.c).
 *
 * Each array holds the file's bytes plus a terminating NUL, so it can be
 * used as a C string; the _len excludes that NUL. Read-only, static
 * storage: never free.
 */
#ifndef DPSIM_EMBEDDED_H
#define DPSIM_EMBEDDED_H

/* fixtures/lab.xml: the bundled lab fixture. */
extern const char embedded_lab_xml[];
extern const unsigned long embedded_lab_xml_len;

/* fixtures/fixture.xsd: the schema every fixture is validated against. */
extern const char embedded_fixture_xsd[];
extern const unsigned long embedded_fixture_xsd_len;

#endif
