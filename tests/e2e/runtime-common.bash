# SPDX-License-Identifier: Apache-2.0
# Shared by tests/e2e/runtime-*.bats: a bundle per test (a private copy of
# the busybox rootfs plus `berth-runtime spec`), a --root per test, and a
# teardown that force-deletes whatever the test created.

load helpers

rt_setup() {
	setup_tmp
	STATE=$TEST_TMP/state
	BUNDLE=$TEST_TMP/bundle
	mkdir -p "$BUNDLE"
	cp -a "$(busybox_rootfs)" "$BUNDLE/rootfs"
	chmod 755 "$BUNDLE/rootfs"
	"$BERTH_RUNTIME" spec --bundle "$BUNDLE"
	# Non-interactive by default; the tests that want a tty say so.
	cfg '.process.terminal = false'
	CID=$(unique_name rt)
	CREATED_IDS=("$CID")
}

rt_teardown() {
	local id
	for id in "${CREATED_IDS[@]}"; do
		"$BERTH_RUNTIME" --root "$STATE" delete --force "$id" >/dev/null 2>&1 || true
	done
	teardown_tmp
}

# Edit config.json with a jq filter (extra jq arguments first).
cfg() {
	local filter=${*: -1}
	local args=("${@:1:$#-1}")
	jq "${args[@]}" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# The process runs `sh -c SCRIPT`.
cfg_sh() {
	cfg --arg s "$1" '.process.args = ["sh", "-c", $s]'
}

rt() {
	"$BERTH_RUNTIME" --root "$STATE" "$@"
}

# runc-style run in the foreground: output and the process's exit status.
rt_run() {
	run "$BERTH_RUNTIME" --root "$STATE" run --bundle "$BUNDLE" "$CID"
}

rt_status() {
	rt state "$1" | jq -r .status
}

# Nothing of container $1 may remain: state dir, cgroup, mounts.
assert_no_leftovers() {
	local id=$1
	[ ! -e "$STATE/$id" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null)" ]
	! grep -q -F "$TEST_TMP" /proc/self/mountinfo
}
