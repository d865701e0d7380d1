#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The per-container monitor (berth-monitor): the process that owns a
# detached container's init, its stdio and log, and records its exit.
load container-common

setup() {
	container_setup
	load_busybox
}

teardown() {
	container_teardown
}

# Field n of /proc/PID/stat (after the command, which may hold spaces).
stat_field() {
	sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f"$(($2 - 2))"
}

# Process $1 has exited (init may not have reaped it yet).
gone() {
	[ ! -d "/proc/$1" ] || grep -q '^State:.*zombie' "/proc/$1/status"
}

# The monitor of container $1, found by its command line.
monitor_of() {
	pgrep -f -- "--root $ROOT --runroot $RUNROOT container-monitor .*$1"
}

@test "monitor: berth-monitor owns a detached container: its session, init, log and socket" {
	id=$(B run -d $IMG sh -c 'echo up; exec sleep 60')
	mon=$(monitor_of $id)
	pid=$(B inspect -f '{{.State.Pid}}' $id)
	[ "$mon" -gt 0 ] && [ "$pid" -gt 0 ]
	kill -0 "$mon"
	[ "$(readlink "/proc/$mon/exe")" = "$BUILD/src/cli/berth-monitor" ]
	tr '\0' '\n' <"/proc/$mon/cmdline" | grep -qx "$id"
	# Static, so that it maps no shared library (ASan builds can't be).
	if ! ldd "$BERTH" | grep -q libasan; then
		run grep '\.so' "/proc/$mon/maps"
		[ "$status" -eq 1 ]
	fi
	# A session of its own, with no terminal (none of the CLI's
	# signals), and the init's parent.
	[ "$(stat_field "$mon" 6)" != "$(stat_field $$ 6)" ]
	[ "$(stat_field "$mon" 7)" = 0 ]
	[ "$(stat_field "$pid" 4)" = "$mon" ]
	# It writes the json-file log and listens on the attach socket.
	ls -l "/proc/$mon/fd" | grep -qF "$ROOT/containers/$id/$id-json.log"
	[ -S "$RUNROOT/attach/$id" ]
	inode=$(awk -v id="$id" '$NF ~ "/" id "$" {print $7}' /proc/net/unix)
	[ -n "$inode" ]
	ls -l "/proc/$mon/fd" | grep -qF "socket:[$inode]"
	for i in $(seq 50); do grep -q '"up' "$ROOT/containers/$id/$id-json.log" && break; sleep 0.1; done
	grep -q '"log":"up\\n","stream":"stdout"' "$ROOT/containers/$id/$id-json.log"
	# The init dying outside berth's hands: the monitor records the exit
	# and goes away, leaving the container exited.
	kill -9 "$pid"
	wait_status $id exited
	[ "$(B inspect -f '{{.State.ExitCode}}' $id)" = 137 ]
	for i in $(seq 50); do gone "$mon" && break; sleep 0.1; done
	gone "$mon"
	B rm $id
	assert_clean
}

@test "monitor: a restart keeps the monitor; rm -f ends it" {
	id=$(B run -d --restart always $IMG sleep 60)
	mon=$(monitor_of $id)
	pid=$(B inspect -f '{{.State.Pid}}' $id)
	kill -9 "$pid"
	for i in $(seq 50); do
		new=$(B inspect -f '{{.State.Status}} {{.State.Pid}} {{.RestartCount}}' $id)
		[[ "$new" =~ ^running\ [0-9]+\ 1$ ]] && break
		sleep 0.1
	done
	[[ "$new" =~ ^running\ [0-9]+\ 1$ ]]
	[ "$(monitor_of $id)" = "$mon" ]
	[ "$(stat_field "$(B inspect -f '{{.State.Pid}}' $id)" 4)" = "$mon" ]
	B rm -f $id
	gone "$mon"
	assert_clean
}

@test "monitor: without berth-monitor beside berth, run fails clearly and --rm leaves nothing" {
	mkdir "$TEST_TMP/bin"
	cp "$BERTH" "$TEST_TMP/bin/berth"
	run "$TEST_TMP/bin/berth" --root "$ROOT" --runroot "$RUNROOT" run --rm $IMG true
	[ "$status" -eq 125 ]
	[[ "$output" == *"running the monitor \`$TEST_TMP/bin/berth-monitor\`: No such file or directory"* ]]
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	[ -z "$(B ps -aq)" ]
	assert_clean
}
