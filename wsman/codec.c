/* codec: process-wide XML library set-up (codec.h). */
#include "codec.h"

#include <libxml/parser.h>

void wsman_codec_init(void)
{
	xmlInitParser();
}

void wsman_codec_cleanup(void)
{
	xmlCleanupParser();
}
