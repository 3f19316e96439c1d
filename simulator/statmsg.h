/* statmsg: the status messages dpsim's SMS Provider writes, and how a
 * kept message reads as WMI instances.
 *
 * A real site records each maintenance mode change as a status message
 * that names the administrator and the DP: 40411 when maintenance was
 * enabled, 40412 when it was disabled. Auditing scripts and the
 * console's status message viewer read them from SMS_StatusMessage, the
 * insertion strings from SMS_StatMsgInsStrings (docs/configmgr-domain.md,
 * Status messages, says what dpsim writes and why).
 *
 * This module owns the content: which message a change writes and every
 * value in it, the instances of the two classes a kept message becomes,
 * and the sentence the dashboard shows for it. The store keeps the
 * messages (store.h, struct status_message); the provider has one
 * written with each change, in the change's own transaction.
 * Stateless; thread-safe.
 */
#ifndef DPSIM_STATMSG_H
#define DPSIM_STATMSG_H

#include <stddef.h>
#include <stdint.h>

#include "cim.h"
#include "store.h"

/* MessageID of the SMS Provider's messages about maintenance mode. */
#define STATMSG_DP_MAINTENANCE_ENABLED 40411u
#define STATMSG_DP_MAINTENANCE_DISABLED 40412u

/* Severity, as SMS_StatusMessage documents it. */
#define STATMSG_SEVERITY_INFORMATIONAL 0x40000000u
#define STATMSG_SEVERITY_WARNING 0x80000000u
#define STATMSG_SEVERITY_ERROR 0xC0000000u

/* MessageType: an audit message is the trail of an administrator's
 * action that the provider writes itself. */
#define STATMSG_TYPE_MILESTONE 256u
#define STATMSG_TYPE_DETAIL 512u
#define STATMSG_TYPE_AUDIT 768u

/* The component that writes them, and the ModuleName of its message
 * texts. */
#define STATMSG_SMS_PROVIDER "SMS Provider"

/* Insertion strings of 40411 and 40412, by InsStrIndex. */
enum {
	STATMSG_INS_USER = 0,	/* %1: who changed the mode */
	STATMSG_INS_DP = 1,	/* %2: the DP's name */
	STATMSG_INS_COUNT = 2,
};

/* A maintenance mode change that was made. Strings borrowed. */
struct statmsg_change {
	const char *site;	/* site code */
	const char *machine;	/* the site's SMS Provider (FQDN) */
	const char *user;	/* the caller that made the change */
	const char *dp;		/* the DP's name (its FQDN) */
	const char *nalpath;	/* the DP's NAL path */
	uint32_t mode;		/* the mode set: 1 enabled, 0 disabled */
};

/* The message change c writes, into *m (strings borrowed from c; time
 * and record_id left 0 for the store to fill). ProcessID and ThreadID
 * are the calling process's and thread's. */
void statmsg_for_mode_change(const struct statmsg_change *c,
			     struct status_message *m);

/* The SMS_StatusMessage instance of m, for c (made by
 * catalog_class_new(CATALOG_STATUS_MESSAGE, ...)); NULL when out of
 * memory. The caller frees it. */
struct cim_instance *statmsg_instance(const struct cim_class *c,
				      const struct status_message *m);

/* The SMS_StatMsgInsStrings instance of m's insertion string i (i <
 * m->nins, not NULL), for c (CATALOG_STATMSG_INSSTRINGS); NULL when out
 * of memory. The caller frees it. */
struct cim_instance *statmsg_insstr_instance(const struct cim_class *c,
					     const struct status_message *m,
					     size_t i);

/* ms (Unix time in ms) as the CIM datetime Time is served in, UTC with
 * microseconds as a DMTF datetime carries them:
 * "2024-05-01T10:00:00.123000Z". */
void statmsg_time_text(int64_t ms, char *out, size_t size);

/* What m says, in one sentence of dpsim's own ("lab enabled maintenance
 * mode on distribution point DP01.contoso.com."), into out. A message
 * dpsim does not know is described by its ID and insertion strings. */
void statmsg_text(const struct status_message *m, char *out, size_t size);

#endif
