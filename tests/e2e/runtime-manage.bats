#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth-runtime: cgroups (limits, OOM, pause/resume, update, ps), exec,
# hooks and the console socket.
load runtime-common

setup() { rt_setup; }
teardown() { rt_teardown; }

wait_status() {
	for _ in $(seq 200); do [ "$(rt_status "$CID")" = "$1" ] && return 0; sleep 0.05; done
	return 1
}

@test "cgroup: a pids limit stops a fork loop" {
	cfg '.linux.resources.pids = {limit: 10}'
	cfg_sh 'for i in $(seq 30); do sleep 5 & done; echo all-forked'
	rt_run
	[ "$status" -ne 0 ]
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *all-forked* ]]
	assert_no_leftovers "$CID"
}

@test "cgroup: a memory limit ends in an OOM kill that the exit status reports" {
	cfg '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
	# tail buffers a "line" of /dev/zero that never ends.
	cfg '.process.args = ["tail", "/dev/zero"]'
	rt_run
	[ "$status" -eq 137 ]
	assert_no_leftovers "$CID"
	# detached, `state` says so once it stopped
	rt run -d --bundle "$BUNDLE" "$CID"
	wait_status stopped
	rt state "$CID" | jq -e '.status == "stopped" and .oomKilled == true'
}

@test "cgroup: pause, resume, ps and update" {
	cfg_sh 'sleep 1000 & sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	local pid
	pid=$(rt state "$CID" | jq -r .pid)
	run rt ps --format json "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson p "$pid" 'length == 2 and index($p) != null'
	rt pause "$CID"
	[ "$(rt_status "$CID")" = paused ]
	grep -q "State:.*T\|State:.*D\|State:.*S" "/proc/$pid/status"
	rt resume "$CID"
	[ "$(rt_status "$CID")" = running ]
	echo '{"pids": {"limit": 77}}' | rt update --resources - "$CID"
	local dir
	dir=$(find /sys/fs/cgroup/pids /sys/fs/cgroup -maxdepth 3 -type d -name "$CID" | head -n 1)
	[ "$(cat "$dir/pids.max")" = 77 ]
	run rt resume "$CID"
	[ "$status" -ne 0 ]
}

@test "exec: joins every namespace of the container and propagates the exit code" {
	cfg '.hostname = "exec-host"'
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	local pid ns
	pid=$(rt state "$CID" | jq -r .pid)
	run rt exec "$CID" sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "; echo; for n in mnt net ipc uts pid cgroup; do readlink /proc/self/ns/$n; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-host ]
	[ "${lines[1]}" = "sleep 1000 " ]
	local i=2
	for ns in mnt net ipc uts pid cgroup; do
		[ "${lines[$i]}" = "$(readlink "/proc/$pid/ns/$ns")" ]
		i=$((i + 1))
	done
	run rt exec "$CID" sh -c 'exit 9'
	[ "$status" -eq 9 ]
	run rt exec --env FOO=bar --cwd /tmp --user 1000:1000 "$CID" sh -c 'echo $FOO; pwd; id -u; grep CapEff /proc/self/status'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = bar ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	run rt exec "$CID" nosuchbinary
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found"* ]]
}

@test "exec: --process FILE, --detach and --pid-file as containerd uses them" {
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	jq '.process | .args = ["sh", "-c", "echo from-process-file >/dev/shm/out; sleep 1000"]' "$BUNDLE/config.json" >"$TEST_TMP/process.json"
	rt exec --process "$TEST_TMP/process.json" --detach --pid-file "$TEST_TMP/exec.pid" "$CID"
	local epid
	epid=$(cat "$TEST_TMP/exec.pid")
	[ "$(wc -l <"$TEST_TMP/exec.pid")" -eq 0 ]
	[ -d "/proc/$epid" ]
	for _ in $(seq 50); do rt exec "$CID" cat /dev/shm/out 2>/dev/null && break; sleep 0.05; done
	run rt exec "$CID" cat /dev/shm/out
	[ "$output" = from-process-file ]
	# The exec'd process is in the container's cgroup.
	run rt ps --format json "$CID"
	echo "$output" | jq -e --argjson p "$epid" 'index($p) != null'
}

@test "hooks: every hook runs at its point with the state on stdin" {
	local h=$TEST_TMP/hooks
	mkdir -p "$h"
	for kind in prestart createRuntime createContainer poststart poststop; do
		printf '#!/bin/sh\ncat >%s/%s.json\n' "$h" "$kind" >"$h/$kind.sh"
		chmod +x "$h/$kind.sh"
	done
	# startContainer runs inside the container, so its path is in the rootfs.
	printf '#!/bin/sh\ncat >/dev/shm/startContainer.json\n' >"$BUNDLE/rootfs/bin/start-hook"
	chmod +x "$BUNDLE/rootfs/bin/start-hook"
	cfg --arg h "$h" '.hooks = {
		prestart: [{path: ($h + "/prestart.sh")}],
		createRuntime: [{path: ($h + "/createRuntime.sh")}],
		createContainer: [{path: ($h + "/createContainer.sh")}],
		startContainer: [{path: "/bin/start-hook"}],
		poststart: [{path: ($h + "/poststart.sh")}],
		poststop: [{path: ($h + "/poststop.sh")}]}'
	cfg_sh 'sleep 1000'
	rt create --bundle "$BUNDLE" "$CID"
	for kind in prestart createRuntime createContainer; do
		jq -e --arg id "$CID" '.id == $id and .status == "creating" and .pid > 0' "$h/$kind.json"
	done
	[ ! -e "$h/poststart.json" ]
	rt start "$CID"
	jq -e --arg id "$CID" '.id == $id and .status == "running"' "$h/poststart.json"
	run rt exec "$CID" cat /dev/shm/startContainer.json
	echo "$output" | jq -e --arg id "$CID" '.id == $id'
	rt delete --force "$CID"
	jq -e --arg id "$CID" '.id == $id and .status == "stopped"' "$h/poststop.json"
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	printf '#!/bin/sh\nexit 3\n' >"$TEST_TMP/fail.sh"
	chmod +x "$TEST_TMP/fail.sh"
	cfg --arg p "$TEST_TMP/fail.sh" '.hooks = {createRuntime: [{path: $p}]}'
	run rt create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *createRuntime* ]]
	assert_no_leftovers "$CID"
}

@test "terminal: --console-socket hands over a working tty" {
	local recv=$BUILD/tests/helpers/console-recv sock=$TEST_TMP/console.sock
	cfg '.process.terminal = true'
	cfg_sh 'tty; [ -t 0 ] && [ -t 1 ] && echo is-a-tty; read line; echo "got:$line"'
	"$recv" "$sock" $'typed-in\n' >"$TEST_TMP/console.out" &
	local rpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
	rt run -d --console-socket "$sock" --bundle "$BUNDLE" "$CID"
	local rc=0
	timeout 10 tail --pid="$rpid" -f /dev/null || rc=$?
	[ "$rc" -eq 0 ]
	cat "$TEST_TMP/console.out"
	grep -q "^/dev/pts/0" "$TEST_TMP/console.out"
	grep -q "is-a-tty" "$TEST_TMP/console.out"
	grep -q "got:typed-in" "$TEST_TMP/console.out"
}

@test "terminal: exec --tty through a console socket" {
	local recv=$BUILD/tests/helpers/console-recv sock=$TEST_TMP/exec.sock
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	"$recv" "$sock" >"$TEST_TMP/exec.out" &
	local rpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
	rt exec --tty --console-socket "$sock" "$CID" sh -c '[ -t 1 ] && echo exec-tty'
	timeout 10 tail --pid="$rpid" -f /dev/null
	grep -q exec-tty "$TEST_TMP/exec.out"
}

@test "cli: features, spec, list and ps output" {
	run rt features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ociVersionMin and .ociVersionMax and (.linux.namespaces | index("user"))'
	# spec refuses to overwrite a config.json
	run rt spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	run rt list --format json
	echo "$output" | jq -e --arg id "$CID" '.[] | select(.id == $id) | .status == "running"'
	run rt list -q
	[ "$output" = "$CID" ]
	run rt ps "$CID"
	[ "${lines[0]}" = PID ]
	[ "${lines[1]}" = "$(rt state "$CID" | jq .pid)" ]
	rt kill "$CID" KILL
	wait_status stopped
	run rt exec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"it is stopped"* ]]
	run rt pause "$CID"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "namespaces: a second container joins the first one's pid, ipc and uts namespaces by path" {
	cfg '.hostname = "first"'
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	local pid second=$CID-2
	CREATED_IDS+=("$second")
	pid=$(rt state "$CID" | jq -r .pid)
	cfg --arg p "/proc/$pid/ns" '.hostname = null | .linux.namespaces |= map(
		if .type == "pid" then .path = ($p + "/pid")
		elif .type == "ipc" then .path = ($p + "/ipc")
		elif .type == "uts" then .path = ($p + "/uts") else . end)'
	cfg_sh 'hostname; ps -o comm= | grep -c sleep; readlink /proc/self/ns/pid'
	run "$BERTH_RUNTIME" --root "$STATE" run --bundle "$BUNDLE" "$second"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = first ]
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/pid")" ]
}

@test "terminal: run and exec -t in the foreground relay the user's terminal" {
	require_cmd script
	cfg '.process.terminal = true'
	cfg_sh 'tty; [ -t 0 ] && echo is-a-tty; stty size; exit 3'
	# script(1) is the user's terminal here.
	run timeout 30 script -qec "stty rows 33 cols 101; $BERTH_RUNTIME --root $STATE run --bundle $BUNDLE $CID" /dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"is-a-tty"* ]]
	[[ "$output" == *"33 101"* ]]
	assert_no_leftovers "$CID"
	cfg '.process.terminal = false'
	cfg_sh 'sleep 1000'
	rt run -d --bundle "$BUNDLE" "$CID"
	run timeout 30 script -qec "$BERTH_RUNTIME --root $STATE exec -t $CID sh -c '[ -t 1 ] && echo exec-tty; exit 4'" /dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"exec-tty"* ]]
}
