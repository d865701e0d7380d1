#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Bad input to the container verbs: each is one line naming what was
# wrong, Docker's exit code, and nothing left behind (no monitor, mount,
# cgroup, runtime state or record).
load container-common
bats_require_minimum_version 1.5.0

setup() {
	container_setup
	load_busybox
}

teardown() {
	container_teardown
}

# No container of this root, and the machine as it was.
assert_none() {
	run B ps -aq
	[ -z "$output" ]
	assert_clean
}

@test "run: unknown image, unknown flag, bad values: 125, one line, nothing made" {
	run B run --rm busybox:no-such-tag true
	[ "$status" -eq 125 ]
	one_line "Unable to find image 'busybox:no-such-tag' locally"
	run B run --bogus $IMG true
	[ "$status" -eq 125 ]
	one_line "--bogus"
	run B create --bogus $IMG true
	[ "$status" -eq 125 ]
	one_line "--bogus"
	run B run --memory abc $IMG true
	[ "$status" -eq 125 ]
	one_line 'invalid argument "abc" for "--memory" flag'
	run B run -v relative/path:/x $IMG true
	[ "$status" -eq 125 ]
	one_line "relative/path"
	run B run --mount type=bind,source=/missing-$$,target=/x $IMG true
	[ "$status" -eq 125 ]
	one_line "bind source path does not exist: /missing-$$"
	run B run -d --mount type=bind,source=/missing-$$,target=/x $IMG true
	[ "$status" -eq 125 ]
	one_line "/missing-$$"
	run B run --name 'bad name' $IMG true
	[ "$status" -eq 125 ]
	one_line "Invalid container name"
	assert_none
}

@test "a name in use: a clear one-line conflict, 125, the first container untouched" {
	id=$(B run -d --name taken $IMG sleep 60)
	run B run -d --name taken $IMG true
	[ "$status" -eq 125 ]
	one_line "Conflict. The container name \"/taken\" is already in use by container \"$id\""
	run B create --name taken $IMG true
	[ "$status" -eq 125 ]
	[ "$(B ps -aq --no-trunc)" = "$id" ]
	[ "$(B inspect -f '{{.State.Status}}' taken)" = running ]
	B rm -f taken >/dev/null
	assert_none
}

@test "exec into a stopped or created container: an error, no process" {
	B run --name stopped $IMG true
	run B exec stopped true
	[ "$status" -eq 125 ]
	one_line "is not running"
	B create --name created $IMG true >/dev/null
	run B exec created true
	[ "$status" -eq 125 ]
	one_line "is not running"
	run B exec nosuch true
	[ "$status" -eq 125 ]
	one_line "No such container: nosuch"
	B run -d --name up $IMG sleep 60 >/dev/null
	run B exec up
	[ "$status" -eq 125 ]
	one_line "requires at least 2 arguments"
	run B exec --bogus up true
	[ "$status" -eq 125 ]
	one_line "--bogus"
	run B exec -w relative up true
	[ "$status" -eq 125 ]
	one_line "the working directory 'relative' is invalid, it needs to be an absolute path"
	B rm -f stopped created up >/dev/null
	assert_none
}

@test "rm of a running container without -f: refused, the container runs on" {
	id=$(B run -d --name busy $IMG sleep 60)
	pid=$(B inspect -f '{{.State.Pid}}' busy)
	run B rm busy
	[ "$status" -eq 1 ]
	one_line 'cannot remove container "/busy": container is running: stop the container before removing or force remove'
	[ "$(B inspect -f '{{.State.Status}} {{.State.Pid}}' busy)" = "running $pid" ]
	[ -d /proc/$pid ]
	B pause busy >/dev/null
	run B rm busy
	[ "$status" -eq 1 ]
	one_line "container is paused"
	B rm -f busy >/dev/null
	run sh -c "ls -d /sys/fs/cgroup/*/berth/$id 2>/dev/null"
	[ -z "$output" ]
	assert_none
}

@test "verbs on an unknown container: Docker's 'No such container', exit 1" {
	for verb in stop restart start kill rm wait pause unpause logs top attach; do
		run B $verb nosuch
		[ "$status" -eq 1 ] || { echo "$verb: exit $status"; false; }
		one_line "No such container: nosuch"
	done
	# Docker's inspect prints what it found ([]) and the error apart.
	run --separate-stderr B inspect nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "[]" ]
	[ "$stderr" = "berth: No such object: nosuch" ]
	run B rename nosuch other
	[ "$status" -eq 1 ]
	one_line "No such container: nosuch"
	# With a real one beside it, the real one is still stopped.
	B run -d --name real $IMG sleep 60 >/dev/null
	run B stop -t 0 nosuch real
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such container: nosuch"* ]]
	[[ "$output" == *real* ]]
	[ "$(B inspect -f '{{.State.Status}}' real)" = exited ]
	B rm real >/dev/null
	assert_none
}

@test "bad flags and values of the verbs: one line each" {
	B run -d --name cc $IMG sleep 60 >/dev/null
	run B stop -t abc cc
	[ "$status" -eq 125 ]
	one_line '"abc"'
	run B kill -s BOGUS cc
	[ "$status" -eq 125 ]
	one_line 'Invalid signal: BOGUS'
	run B logs --tail abc cc
	[ "$status" -eq 125 ]
	one_line 'invalid tail value "abc"'
	run B logs --since yesterday cc
	[ "$status" -eq 125 ]
	one_line '"yesterday"'
	run B ps --filter bogus=1
	[ "$status" -eq 125 ]
	one_line "invalid filter 'bogus=1'"
	run B ps --filter status=sleeping
	[ "$status" -eq 125 ]
	one_line "invalid filter 'status=sleeping'"
	run B ps --filter before=nosuch
	[ "$status" -eq 125 ]
	one_line "No such container: nosuch"
	run B ps -n x
	[ "$status" -eq 125 ]
	one_line '"x"'
	run B ps --filter exited=x
	[ "$status" -eq 125 ]
	one_line "invalid filter 'exited=x'"
	run B ps --filter
	[ "$status" -eq 125 ]
	one_line "--filter"
	run B ps --bogus
	[ "$status" -eq 125 ]
	one_line "--bogus"
	run B rm -z cc
	[ "$status" -eq 125 ]
	one_line "z"
	run B rename cc 'bad name'
	[ "$status" -eq 1 ]
	one_line "Invalid container name"
	run B rename cc cc
	[ "$status" -eq 1 ]
	one_line "Renaming a container with the same name as its current name"
	run B unpause cc
	[ "$status" -eq 1 ]
	one_line "is not paused"
	run B start -a cc cc
	[ "$status" -eq 125 ]
	one_line "cannot start and attach multiple containers"
	# A template Go's parser would refuse.
	run B inspect -f '{{.Name' cc
	[ "$status" -eq 125 ]
	one_line "template parsing error: unclosed action"
	run B ps --format '{{range .Names}}'
	[ "$status" -eq 125 ]
	one_line "template parsing error"
	run B stats --no-stream --format '{{end}}' cc
	[ "$status" -eq 125 ]
	one_line "template parsing error"
	# Every verb: an unknown flag is one line naming it, 125.
	for verb in start stop kill restart rm wait pause unpause logs exec attach inspect \
		top stats rename ps "container prune" "container ls"; do
		run B $verb --bogus cc x
		[ "$status" -eq 125 ] || { echo "$verb: exit $status"; false; }
		one_line "bogus"
	done
	# None of it touched the container.
	[ "$(B inspect -f '{{.State.Status}} {{.Name}}' cc)" = "running /cc" ]
	B rm -f cc >/dev/null
	run B kill cc
	[ "$status" -eq 1 ]
	assert_none
}

@test "a start that fails: the error, Created with the code, no monitor or mount left" {
	run -127 B run -d --name nocmd $IMG /no/such/cmd
	one_line "/no/such/cmd"
	id=$(B inspect -f '{{.Id}}' nocmd)
	[ "$(B inspect -f '{{.State.Status}} {{.State.ExitCode}}' nocmd)" = "created 127" ]
	# Docker's start says 1 where run says 127.
	run B start nocmd
	[ "$status" -eq 1 ]
	one_line "/no/such/cmd"
	run B ps --format '{{.Names}}'
	[ -z "$output" ]
	run pgrep -f -- "--root $ROOT --runroot"
	[ "$status" -ne 0 ]
	run grep -F " $ROOT/" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	run sh -c "ls -d /sys/fs/cgroup/*/berth/$id 2>/dev/null"
	[ -z "$output" ]
	B rm nocmd >/dev/null
	assert_none
}
