/* codec: the process-wide set-up of the XML library under the codecs.
 *
 * libxml2 keeps global tables that must be built before two threads
 * parse at once and released at exit (so valgrind sees no leak). A
 * program calls wsman_codec_init() once before its threads start and
 * wsman_codec_cleanup() once after they are done; the codecs need
 * nothing else. Programs never call libxml2 themselves.
 */
#ifndef WSMAN_CODEC_H
#define WSMAN_CODEC_H

void wsman_codec_init(void);
void wsman_codec_cleanup(void);

#endif
