// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_config.c - libFuzzer target for the configuration loader
 * (userspace/config*.c through config_load_string, the path of
 * --check-config, a reload and the first load): any bytes are either a
 * configuration or a config error with FILE:LINE:COL, never a crash, a
 * hang (libfyaml looped on invalid UTF-8 after '%') or a leak (a
 * rejected exec action leaked its argv). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(HMS_LOG_ERROR - 1);	/* quiet */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hms_config *cfg = NULL;
	char *msgs = NULL;
	size_t msgs_len = 0;
	FILE *errs = open_memstream(&msgs, &msgs_len);
	int err;

	if (!errs)
		abort();
	err = config_load_string("fuzz.yaml", (const char *)data, size, &cfg,
				 errs);
	fclose(errs);
	if (!err != !!cfg) {
		fprintf(stderr, "config_load_string: %d with config %p\n", err,
			(void *)cfg);
		abort();
	}
	/* a refused file says why, naming the file (FILE:LINE:COL: ...) */
	if (err && (!msgs_len || strncmp(msgs, "fuzz.yaml:", 10))) {
		fprintf(stderr, "config_load_string: %d without a message "
			"naming the file: \"%s\"\n", err, msgs);
		abort();
	}
	if (cfg) {
		for (size_t i = 0; i < cfg->n_components; i++)
			config_component(cfg, cfg->components[i].name);
		for (size_t i = 0; i < cfg->n_strategies; i++)
			config_strategy_index(cfg, cfg->strategies[i].name);
	}
	config_free(cfg);
	free(msgs);
	return 0;
}
