#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Interoperation: Debian's containerd, through its runc shim
# (containerd-shim-runc-v2), drives berth-runtime as its runc binary.  The
# containerd here is private to the test: its own config, root, state and
# socket under the test's temp dir.
load runtime-common

setup() {
	rt_setup
	command -v containerd-shim-runc-v2 >/dev/null || skip "containerd is not installed (make deps)"
	cat >"$TEST_TMP/containerd.toml" <<-TOML
		version = 2
		root = "$TEST_TMP/croot"
		state = "$TEST_TMP/cstate"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$TEST_TMP/c.sock"
		[ttrpc]
		  address = "$TEST_TMP/c.sock.ttrpc"
	TOML
	containerd --config "$TEST_TMP/containerd.toml" >"$TEST_TMP/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 100); do ctr --address "$TEST_TMP/c.sock" version >/dev/null 2>&1 && break; sleep 0.05; done
	ctr --address "$TEST_TMP/c.sock" version >/dev/null 2>&1 || skip "containerd does not start here"
	ROOTFS=$BUNDLE/rootfs
}

teardown() {
	local c="ctr --address $TEST_TMP/c.sock"
	if [ -n "${CONTAINERD_PID:-}" ]; then
		$c task kill -s KILL "$CID" >/dev/null 2>&1 || true
		for _ in $(seq 40); do $c task delete "$CID" >/dev/null 2>&1 && break; sleep 0.05; done
		$c container delete "$CID" >/dev/null 2>&1 || true
		kill "$CONTAINERD_PID" 2>/dev/null || true
		wait "$CONTAINERD_PID" 2>/dev/null || true
	fi
	rt_teardown
}

ctr_() {
	ctr --address "$TEST_TMP/c.sock" "$@"
}

@test "containerd: ctr run --rm with berth-runtime, output and exit code" {
	run timeout 60 ctr --address "$TEST_TMP/c.sock" run --rm --runc-binary "$BERTH_RUNTIME" \
		--runc-root "$TEST_TMP/runc" --fifo-dir "$TEST_TMP/fifo" \
		--rootfs "$ROOTFS" "$CID" sh -c 'echo "hello from pid $$"; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = "hello from pid 1" ]
	# the shim drove berth-runtime with this root
	[ -d "$TEST_TMP/runc" ]
	assert_no_leftovers "$CID"
}

@test "containerd: a detached task with exec, ps, pause, resume, kill and delete" {
	timeout 60 ctr --address "$TEST_TMP/c.sock" run -d --runc-binary "$BERTH_RUNTIME" \
		--runc-root "$TEST_TMP/runc" --fifo-dir "$TEST_TMP/fifo" \
		--rootfs "$ROOTFS" "$CID" sh -c 'sleep 1000'
	run ctr_ task ls
	[[ "$output" == *"$CID"*RUNNING* ]]
	run timeout 30 ctr --address "$TEST_TMP/c.sock" task exec --fifo-dir "$TEST_TMP/fifo" --exec-id e1 "$CID" sh -c 'cat /proc/1/cmdline; echo; exit 4'
	[ "$status" -eq 4 ]
	[[ "$output" == "sleep"*"1000"* ]]
	run ctr_ task ps "$CID"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 2 ]
	ctr_ task pause "$CID"
	run ctr_ task ls
	[[ "$output" == *"$CID"*PAUSED* ]]
	ctr_ task resume "$CID"
	ctr_ task kill -s KILL "$CID"
	for _ in $(seq 100); do ctr_ task ls | grep -q "$CID.*STOPPED" && break; sleep 0.05; done
	ctr_ task delete "$CID"
	ctr_ container delete "$CID"
	assert_no_leftovers "$CID"
}

@test "containerd: ctr run -t gets a tty through --console-socket" {
	require_cmd script
	# script(1) gives ctr the terminal it insists on for -t.
	run timeout 60 script -qec "ctr --address $TEST_TMP/c.sock run --rm -t \
		--runc-binary $BERTH_RUNTIME --runc-root $TEST_TMP/runc --fifo-dir $TEST_TMP/fifo \
		--rootfs $ROOTFS $CID sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; exit 5'" /dev/null
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"stdin-is-a-tty"* ]]
	assert_no_leftovers "$CID"
}
