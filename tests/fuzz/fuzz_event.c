// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_event.c - libFuzzer target for the event decoder and the bus
 * subscribers that read every record: bytes as a ring record go through
 * event_check (as sensors_rings.c does), and a record it accepts is
 * published on a bus with the process table subscribed, then rendered to
 * JSON as --json and the panes do.  The input is also "repaired" into a
 * record of a known type (valid version and size, the rest fuzzed) so
 * that the payload decoders are reached, not only the header checks.
 * Each record lives in a buffer of exactly its size: reading past it is
 * an ASan error.  The JSON must parse and be safe to print (no control,
 * C1 or bidi code point raw). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "event.h"
#include "fuzz_util.h"
#include "hms_event.h"
#include "log.h"
#include "proctable.h"

static const uint16_t fz_types[] = {
	HMS_EV_EXEC, HMS_EV_FORK, HMS_EV_EXIT, HMS_EV_SIGNAL, HMS_EV_OOM,
	HMS_EV_HANG, HMS_EV_CONNECT_FAIL, HMS_EV_SOCK_ERROR,
	HMS_EV_TCP_RESET_RECV, HMS_EV_TCP_RESET_SEND, HMS_EV_TCP_RETRANSMIT,
	HMS_EV_RUNQ_LATENCY, HMS_EV_STATS, HMS_EV_COMPONENT_STATE,
	HMS_EV_ACTION, HMS_EV_STRATEGY, HMS_EV_OUTCOME, HMS_EV_ALERT,
	HMS_EV_FAILURE,
};

static struct hms_bus *fz_bus;
static struct hms_proctable *fz_pt;
static unsigned long fz_n;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(HMS_LOG_ERROR - 1);
	if (bus_new(&fz_bus) || proctable_new(fz_bus, &fz_pt))
		abort();
	return 0;
}

static void fz_render(const struct hms_event_hdr *ev)
{
	char *s = event_to_json_str(ev);
	json_t *back;

	if (!s)
		return;
	fz_check_safe(s, "event JSON");
	back = json_loads(s, 0, NULL);
	if (!back)
		fz_fail("event JSON does not parse", s);
	json_decref(back);
	free(s);
}

/* A copy in a buffer of exactly len bytes, published and rendered. */
static void fz_record(const void *data, size_t len)
{
	struct hms_event_hdr *ev;

	if (event_check(data, len))
		return;
	ev = malloc(len);
	if (!ev)
		abort();
	memcpy(ev, data, len);
	bus_publish(fz_bus, ev);
	fz_render(ev);
	free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hms_event_hdr *h;
	uint8_t *rec;
	size_t want, len;

	/* the raw bytes, as a ring would hand them over */
	fz_record(data, size);
	if (size < 2)
		return 0;
	/* a record of a known type, its payload from the input */
	want = event_size(fz_types[data[0] % (sizeof(fz_types) /
					      sizeof(fz_types[0]))]);
	len = want + (data[1] & 0x80 ? data[1] & 0x3f : 0);	/* newer producer */
	rec = calloc(1, len);
	if (!rec)
		abort();
	memcpy(rec, data + 2, size - 2 < len ? size - 2 : len);
	h = (struct hms_event_hdr *)rec;
	h->version = HMS_EVENT_VERSION;
	h->type = fz_types[data[0] % (sizeof(fz_types) / sizeof(fz_types[0]))];
	h->size = len;
	fz_record(rec, len);
	free(rec);
	/* the table is bounded by its own caps and by the 60 s expiry the
	 * daemon runs; start afresh now and then so that rows of live
	 * processes made of random pids do not pile up over millions of
	 * inputs */
	if (++fz_n % 4096 == 0) {
		proctable_expire(fz_pt, UINT64_MAX, 0);
		proctable_free(fz_pt);
		if (proctable_new(fz_bus, &fz_pt))
			abort();
	}
	return 0;
}
