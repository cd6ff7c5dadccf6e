// SPDX-License-Identifier: BSD-2-Clause
/* hms_proto.c - names of the socket protocol's topics and verbs (see
 * hms_proto.h). */
#include <errno.h>
#include <string.h>
#include "hms_proto.h"

static const char *const topic_names[HMS_TOPIC_MAX] = {
	[HMS_TOPIC_EVENTS] = "events",
	[HMS_TOPIC_PROCS] = "procs",
	[HMS_TOPIC_COMPONENTS] = "components",
	[HMS_TOPIC_STRATEGIES] = "strategies",
	[HMS_TOPIC_METRICS] = "metrics",
};

static const char *const verbs[] = {
	HMS_VERB_HEAL, HMS_VERB_PAUSE, HMS_VERB_RESUME, HMS_VERB_ACK,
	HMS_VERB_RESET, HMS_VERB_START, HMS_VERB_STOP, HMS_VERB_PIN,
	HMS_VERB_UNPIN,
};

const char *hms_topic_name(unsigned int topic)
{
	return topic < HMS_TOPIC_MAX ? topic_names[topic] : NULL;
}

int hms_topic_from_name(const char *name)
{
	for (int i = 0; name && i < HMS_TOPIC_MAX; i++)
		if (!strcmp(name, topic_names[i]))
			return i;
	return -ENOENT;
}

bool hms_proto_is_verb(const char *cmd)
{
	for (size_t i = 0; cmd && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(cmd, verbs[i]))
			return true;
	return false;
}
