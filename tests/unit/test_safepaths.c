// SPDX-License-Identifier: BSD-2-Clause
/* test_safepaths.c - the dashboard socket is created as root only in a
 * directory nobody else can write, never through a planted symlink
 * (userspace/safedir.c, publisher.c): a world- or group-writable
 * directory is refused and nothing is created in it, a symlink planted
 * under the socket's name is refused and its target not created, a
 * private directory under sticky /tmp works.  (The daemon's lock file:
 * test_daemon_cli, test_lock_symlink_refused.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bus.h"
#include "harness.h"
#include "loop.h"
#include "proctable.h"
#include "publisher.h"
#include "safedir.h"

struct fix {
	char dir[64], pub[96], sock[128], victim[128];
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hms-safe-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->pub, sizeof(f->pub), "%s/pub", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/hms.sock", f->pub);
	snprintf(f->victim, sizeof(f->victim), "%s/victim", f->dir);
	if (mkdir(f->pub, 0755) || loop_new(&f->loop) || bus_new(&f->bus) ||
	    proctable_new(f->bus, &f->pt))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	proctable_free(f->pt);
	bus_free(f->bus);
	loop_free(f->loop);
	harness_rmtree(f->dir);
	free(f);
	return 0;
}

static int pub_start(struct fix *f, struct hms_publisher **pub)
{
	struct publisher_opts o = { .path = f->sock,
				    .socket_group = (gid_t)-1,
				    .viewer_group = (gid_t)-1 };

	*pub = NULL;
	return publisher_new(&o, f->loop, f->bus, f->pt, NULL, pub);
}

static void test_writable_dir_refused(void **state)
{
	struct fix *f = *state;
	struct hms_publisher *pub;
	struct stat st;

	/* others may write: refused, nothing created */
	assert_int_equal(chmod(f->pub, 0777), 0);
	assert_int_equal(pub_start(f, &pub), -EPERM);
	assert_null(pub);
	assert_int_equal(lstat(f->sock, &st), -1);
	/* the group may write: refused too */
	assert_int_equal(chmod(f->pub, 0775), 0);
	assert_int_equal(pub_start(f, &pub), -EPERM);
	assert_int_equal(lstat(f->sock, &st), -1);
	/* a directory above that others may write (not sticky) */
	assert_int_equal(chmod(f->pub, 0755), 0);
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(pub_start(f, &pub), -EPERM);
	assert_int_equal(lstat(f->sock, &st), -1);
	/* sticky above (as /tmp) and a private directory: works */
	assert_int_equal(chmod(f->dir, 01777), 0);
	assert_int_equal(pub_start(f, &pub), 0);
	assert_int_equal(lstat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	publisher_free(pub);
	assert_int_equal(chmod(f->dir, 0700), 0);
}

static void test_planted_symlink_refused(void **state)
{
	struct fix *f = *state;
	struct hms_publisher *pub;
	struct stat st;

	/* a symlink under the socket's name, to a file that does not exist
	 * (root would have created it) */
	assert_int_equal(symlink(f->victim, f->sock), 0);
	assert_int_not_equal(pub_start(f, &pub), 0);
	assert_null(pub);
	assert_int_equal(lstat(f->victim, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* the link is left alone, not followed, not removed */
	assert_int_equal(lstat(f->sock, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_safedir_names_the_file(void **state)
{
	struct fix *f = *state;
	char path[160];
	const char *base;
	int dirfd;

	/* missing directories are made (0755), the name is the last part */
	snprintf(path, sizeof(path), "%s/a/b/x.lock", f->pub);
	assert_int_equal(safedir_open(path, "lock", &dirfd, &base), 0);
	assert_true(dirfd >= 0);
	assert_string_equal(base, "x.lock");
	close(dirfd);
	assert_int_equal(safedir_open("nodir", "lock", &dirfd, &base),
			 -EINVAL);
	assert_int_equal(dirfd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writable_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_planted_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_safedir_names_the_file, setup, teardown),
	};

	return cmocka_run_group_tests_name("safepaths", tests, NULL, NULL);
}
