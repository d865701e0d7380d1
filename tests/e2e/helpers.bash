# SPDX-License-Identifier: Apache-2.0
# Shared setup for the bats suite.  Every test gets its own temp dir holding
# --root and --runroot, so tests never see each other's state, and every
# name it creates starts with $BERTH_TEST_PREFIX so the final leak check can
# find anything left behind.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${BERTH_BUILD:-$TOP/build}
FIXTURES=$(cd "$TOP/../shared/fixtures" 2>/dev/null && pwd || true)
export BERTH_TEST_PREFIX=berth-test
BERTH="$BUILD/src/cli/berth"
BERTH_RUNTIME="$BUILD/src/cli/berth-runtime"

setup_tmp() {
	TEST_TMP=$(mktemp -d /tmp/berth-e2e.XXXXXX)
	ROOT=$TEST_TMP/root
	RUNROOT=$TEST_TMP/run
	mkdir -p "$ROOT" "$RUNROOT"
}

teardown_tmp() {
	[ -n "${TEST_TMP:-}" ] || return 0
	# Anything still mounted below the temp dir is a bug in the code under
	# test, but the machine must be left clean either way.
	grep -F " $TEST_TMP" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$TEST_TMP"
}

# Fails when the command succeeds.  A bare `! cmd` can't do that in bats:
# errexit ignores a negated command, so it fails a test only as its last line.
refute() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

# The strict switch (CI) turns skips into failures in tests/run.
require_cmd() {
	command -v "$1" >/dev/null || skip "$1 is not installed"
}

# A cached busybox rootfs (tests/helpers/busybox-rootfs).
busybox_rootfs() {
	"$TOP/tests/helpers/busybox-rootfs"
}

# A name unique to this test.
unique_name() {
	echo "$BERTH_TEST_PREFIX-$1-$$-$RANDOM"
}
