#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Regression tests for berth-runtime bugs found by attacking it: a config
# that changed host settings, IDs that made directories before being
# checked, and an edited state.json that made `kill` signal host processes.
load runtime-common

setup() {
	rt_setup
	HOST_PIDS=()
}

teardown() {
	local p
	for p in "${HOST_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rt_teardown
}

@test "harden: a sysctl outside the container's namespaces is refused, the host's is untouched" {
	before=$(cat /proc/sys/kernel/shm_rmid_forced)
	want=$((1 - before))
	cfg --arg v "$want" '.linux.sysctl = {"kernel.shm_rmid_forced": $v}
		| .linux.namespaces = [.linux.namespaces[] | select(.type != "ipc")]'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"linux.sysctl: \`kernel.shm_rmid_forced\` needs its own ipc namespace"* ]]
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" = "$before" ]
	assert_no_leftovers "$CID"

	swap=$(cat /proc/sys/vm/swappiness)
	cfg '.linux.sysctl = {"vm.swappiness": "7"}'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"\`vm.swappiness\` is not namespaced"* ]]
	[ "$(cat /proc/sys/vm/swappiness)" = "$swap" ]
	assert_no_leftovers "$CID"

	# With its own namespaces the same keys work, and stay the container's.
	cfg --arg v "$want" '.linux.namespaces += [{"type": "ipc"}] | .linux.namespaces |= unique_by(.type)
		| .linux.sysctl = {"kernel.shm_rmid_forced": $v, "net/ipv4/ip_forward": "1"}'
	cfg_sh 'cat /proc/sys/kernel/shm_rmid_forced'
	rt_run
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" = "$before" ]
	rt delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "harden: an invalid container ID is refused before anything is made" {
	cfg_sh 'sleep 100'
	rt create --bundle "$BUNDLE" "$CID"
	for id in "$CID/sub" "a b" ".." "." ""; do
		run rt create --bundle "$BUNDLE" "$id"
		echo "$id: $output"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"invalid container ID"* ]]
	done
	# Nothing in another container's state dir, nothing new in the root.
	[ ! -e "$STATE/$CID/sub" ]
	[ "$(ls -A "$STATE")" = "$CID" ]
	rt delete --force "$CID"
	assert_no_leftovers "$CID"
}

# Point the container's state.json at pid $1 with its real start time.
forge_state() {
	local pid=$1 start
	start=$(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $20}')
	jq -c --argjson p "$pid" --argjson s "$start" '.pid = $p | .startTime = $s' \
		"$STATE/$CID/state.json.good" >"$STATE/$CID/state.json"
}

@test "harden: an edited state.json cannot make kill or delete signal a host process" {
	cfg_sh 'sleep 100'
	rt create --bundle "$BUNDLE" "$CID"
	rt start "$CID"
	cp "$STATE/$CID/state.json" "$STATE/$CID/state.json.good"

	# a host process of ours, outside the container, with its start time
	sleep 1000 &
	victim=$!
	HOST_PIDS+=("$victim")
	forge_state "$victim"
	[ "$(rt_status "$CID")" = stopped ]
	run rt kill "$CID" KILL
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	kill -0 "$victim"

	# the host's pid 1 and its start time: never a container's init
	forge_state 1
	[ "$(rt_status "$CID")" = stopped ]
	run rt kill "$CID" CONT
	[ "$status" -ne 0 ]

	# a "cgroup" that is a plain directory listing the victim
	mkdir -p "$TEST_TMP/fakecg/berth/$CID"
	echo "$victim" >"$TEST_TMP/fakecg/berth/$CID/cgroup.procs"
	jq -c --argjson p "$victim" --arg m "$TEST_TMP/fakecg" \
		'.pid = $p | .cgroup.hierarchies |= map(.mount = $m)' \
		"$STATE/$CID/state.json.good" >"$STATE/$CID/state.json"
	run rt kill --all "$CID" KILL
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not a cgroup file system"* ]]
	kill -0 "$victim"

	# the real state still works, and delete cleans up
	cp "$STATE/$CID/state.json.good" "$STATE/$CID/state.json"
	[ "$(rt_status "$CID")" = running ]
	rt delete --force "$CID"
	kill -0 "$victim"
	assert_no_leftovers "$CID"
}

@test "harden: a create killed half-way can be deleted, and its ID used again" {
	# The createRuntime hook holds create after the cgroup and the init
	# exist: a kill -9 then leaves both.  Before the fix there was no
	# state.json yet: the ID could be neither deleted nor created again.
	cfg_sh 'sleep 100'
	cfg '.hooks = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 2"]}]}'
	rt create --bundle "$BUNDLE" "$CID" &
	pid=$!
	for _ in $(seq 100); do
		[ "$(jq -r .status "$STATE/$CID/state.json" 2>/dev/null)" = creating ] &&
			[ -n "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$CID" 2>/dev/null)" ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(rt_status "$CID")" = stopped ]
	run rt list
	[[ "$output" == *"$CID"* ]]
	rt delete --force "$CID"
	assert_no_leftovers "$CID"

	cfg 'del(.hooks)'
	rt create --bundle "$BUNDLE" "$CID"
	[ "$(rt_status "$CID")" = created ]
	rt delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "harden: a state dir without state.json is removed by delete" {
	mkdir -p "$STATE/$CID"
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$STATE/$CID" ]
	rt create --bundle "$BUNDLE" "$CID"
	rt delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "harden: a rootfs that is not a directory is named as such" {
	cfg '.root.path = "config.json"'
	run rt create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"rootfs \`$BUNDLE/config.json\`: Not a directory" ]]
	assert_no_leftovers "$CID"
}
