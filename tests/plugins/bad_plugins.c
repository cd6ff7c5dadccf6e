/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bad_plugins.c - plugins the daemon must refuse, built three times with
 * -DBAD_ABI, -DBAD_NOSYM and -DBAD_INIT (Makefile): a descriptor of
 * another ABI version, no descriptor at all, an init that fails.  Each
 * would leave a file behind if the daemon ran its code when it should
 * not (BAD_INIT_MARK in the environment of the test names it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "hms_plugin.h"

static int bad_init(const struct hms_plugin_api *api,
		    struct hms_plugin_host *host, const char *config_json,
		    void **state)
{
	(void)config_json;
	(void)state;
#ifdef BAD_INIT
	api->log(host, HMS_PLUGIN_LOG_ERROR, "refusing to start, as asked");
	return -ENOTCONN;
#else
	(void)api;
	(void)host;
	abort();	/* never called: the daemon refuses us first */
#endif
}

#ifndef BAD_NOSYM
const struct hms_plugin hms_plugin_v1 = {
#ifdef BAD_ABI
	.abi_version = HMS_PLUGIN_ABI_VERSION + 41,
#else
	.abi_version = HMS_PLUGIN_ABI_VERSION,
#endif
	.size = sizeof(struct hms_plugin),
	.name = "bad",
	.init = bad_init,
};
#else
/* looks like a plugin but exports the wrong name */
const struct hms_plugin hms_plugin_v0 = {
	.abi_version = HMS_PLUGIN_ABI_VERSION,
	.size = sizeof(struct hms_plugin),
	.name = "bad",
	.init = bad_init,
};
#endif
