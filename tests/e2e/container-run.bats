#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth run / create on real images: output, exit codes, and every flag
# that container/options.h supports, checked inside the container or on
# the host's cgroups.
load container-common

setup() {
	container_setup
	load_busybox
}

teardown() {
	container_teardown
}

@test "run: foreground output, exit codes, --rm leaves nothing" {
	run B run --rm $IMG echo hello world
	[ "$status" -eq 0 ]
	[ "$output" = "hello world" ]
	run B run --rm $IMG sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == *out* ]] && [[ "$output" == *err* ]]
	# Killed by signal N: 128+N, from run and in the record.
	B run --name victim $IMG sleep 60 &
	cli=$!
	wait_status victim running
	B kill victim
	wait $cli || rc=$?
	[ "${rc:-0}" -eq 137 ]
	[ "$(B inspect -f '{{.State.ExitCode}}' victim)" = 137 ]
	B rm victim
	assert_clean
}

@test "run: 127 for a missing command, 126 for one that can't be run" {
	run -127 B run --rm $IMG nosuchcmd
	[ "$status" -eq 127 ]
	[[ "$output" == *"nosuchcmd"*"not found"* ]]
	[ "${#lines[@]}" -eq 1 ]
	run B run --rm $IMG /etc/passwd
	[ "$status" -eq 126 ]
	run B run --rm $IMG /etc
	[ "$status" -eq 126 ]
	run -127 B run -d $IMG nosuchcmd
	[ "$status" -eq 127 ]
	# Docker keeps the failed container as Created with the error.
	run B ps -a --format '{{.Status}}'
	[ "$output" = "Created" ]
	run B inspect -f '{{.State.ExitCode}}' "$(B ps -aq)"
	[ "$output" = "127" ]
	B rm "$(B ps -aq)"
	assert_clean
}

@test "run: hello-world, busybox glibc and an imported image run" {
	load_hello
	load_glibc
	run B run --rm $HELLO
	[ "$status" -eq 0 ]
	[[ "$output" == *"Hello from Docker!"* ]]
	run B run --rm busybox:1.38.0-glibc sh -c 'echo glibc'
	[ "$output" = "glibc" ]
	import_busybox local/bb:1
	run B run --rm local/bb:1 /bin/sh -c 'echo imported'
	[ "$output" = "imported" ]
	assert_clean
}

@test "run -d: ID, generated name, json-file log, overlay rootfs and writable layer" {
	run B run -d $IMG sh -c 'echo to-log; echo to-err >&2; echo x > /newfile; sleep 60'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	run B inspect -f '{{.Name}} {{.Driver}} {{.State.Status}} {{.Image}}' $id
	[[ "$output" =~ ^/[a-z]+_[a-z]+\ overlay\ running\ sha256:654fc8fd ]]
	wait_log() { for i in $(seq 50); do grep -q to-err "$ROOT/containers/$id/$id-json.log" && return 0; sleep 0.1; done; return 1; }
	wait_log
	run jq -r '.stream + " " + .log' "$ROOT/containers/$id/$id-json.log"
	[[ "$output" == *"stdout to-log"* ]] && [[ "$output" == *"stderr to-err"* ]]
	run jq -r .time "$ROOT/containers/$id/$id-json.log"
	[[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z$ ]]
	[ "$(cat "$ROOT/containers/$id/upper/newfile")" = x ]
	B rm -f $id
	[ ! -e "$ROOT/containers/$id" ]
	assert_clean
}

@test "run: the copy driver where overlay is not wanted" {
	BERTH_STORAGE_DRIVER=copy run B run -d $IMG sleep 60
	id=$output
	[ "$(B inspect -f '{{.Driver}}' $id)" = copy ]
	run B exec $id sh -c 'ls /bin/busybox && echo hi > /f && cat /f'
	[ "$status" -eq 0 ]
	[[ "$output" == *hi* ]]
	[ -e "$ROOT/containers/$id/upper/bin/busybox" ]
	B rm -f $id
	assert_clean
}

@test "run: -e, --env-file, -w, --entrypoint, -h, -l, -u" {
	printf 'FROM_FILE=1\n# comment\nBOTH=file\n' >"$TEST_TMP/env"
	run B run --rm -e A=b --env-file "$TEST_TMP/env" -e BOTH=flag $IMG env
	[[ "$output" == *"A=b"* ]] && [[ "$output" == *"FROM_FILE=1"* ]] && [[ "$output" == *"BOTH=flag"* ]]
	run B run --rm -w /tmp/deep/dir $IMG pwd
	[ "$output" = /tmp/deep/dir ]
	run B run --rm --entrypoint echo $IMG from entrypoint
	[ "$output" = "from entrypoint" ]
	run B run --rm -h myhost $IMG hostname
	[ "$output" = myhost ]
	run B run -d --name lab -l a=1 --label b=2 $IMG sleep 60
	run B inspect -f '{{json .Config.Labels}}' lab
	[ "$output" = '{"a":"1","b":"2"}' ]
	run B run --rm -u 1000:1000 $IMG id
	[[ "$output" == "uid=1000 gid=1000"* ]]
	import_busybox local/bb:1
	run B run --rm -u user local/bb:1 /bin/id
	[[ "$output" == "uid=1000(user) gid=1000(user)"* ]]
}

@test "run: -v, --mount, --tmpfs, --read-only" {
	mkdir "$TEST_TMP/data"
	echo page >"$TEST_TMP/data/index.html"
	run B run --rm -v "$TEST_TMP/data:/data:ro" $IMG sh -c 'cat /data/index.html; touch /data/x'
	[[ "$output" == *page* ]]
	[ "$status" -ne 0 ]
	run B run --rm --mount "type=bind,source=$TEST_TMP/data,target=/m" $IMG sh -c 'echo w > /m/w'
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/data/w")" = w ]
	# -v creates a missing host directory (Docker does).
	run B run --rm -v "$TEST_TMP/made/here:/x" $IMG true
	[ "$status" -eq 0 ]
	[ -d "$TEST_TMP/made/here" ]
	run B run --rm --tmpfs /scratch:size=1m $IMG sh -c 'grep " /scratch " /proc/mounts'
	[[ "$output" == *tmpfs* ]]
	run B run --rm --read-only $IMG touch /file
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	assert_clean
}

cg() { cat "/sys/fs/cgroup/$1/berth/$2/$3"; }

@test "run: --memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit" {
	id=$(B run -d --memory 64m --memory-swap 128m --cpus 0.5 --cpu-shares 512 \
		--cpuset-cpus 0 --pids-limit 50 $IMG sleep 60)
	[ "$(cg memory $id memory.limit_in_bytes)" = 67108864 ]
	[ "$(cg memory $id memory.memsw.limit_in_bytes 2>/dev/null || echo 134217728)" = 134217728 ]
	[ "$(cg cpu $id cpu.cfs_quota_us)" = 50000 ]
	[ "$(cg cpu $id cpu.shares)" = 512 ]
	[ "$(cg cpuset $id cpuset.cpus)" = 0 ]
	[ "$(cg pids $id pids.max)" = 50 ]
	run B inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}' $id
	[ "$output" = "67108864 500000000 50" ]
	B rm -f $id
	[ ! -d /sys/fs/cgroup/memory/berth/$id ]
}

@test "run: --cap-add, --cap-drop, --privileged, --security-opt, --ulimit" {
	run B run --rm $IMG grep CapEff /proc/self/status
	[ "$output" = "CapEff:	00000000a80425fb" ]
	run B run --rm --cap-drop chown --cap-add NET_ADMIN $IMG grep CapEff /proc/self/status
	[ "$output" = "CapEff:	00000000a80435fa" ]
	run B run --rm --privileged $IMG grep CapEff /proc/self/status
	[[ "$output" != *"a80425fb"* ]]
	run B run --rm $IMG grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
	[[ "$output" == *"NoNewPrivs:	0"* ]] && [[ "$output" == *"Seccomp:	2"* ]]
	run B run --rm --security-opt seccomp=unconfined --security-opt no-new-privileges $IMG grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
	[[ "$output" == *"NoNewPrivs:	1"* ]] && [[ "$output" == *"Seccomp:	0"* ]]
	run B run --rm --ulimit nofile=100:200 $IMG sh -c 'ulimit -n; ulimit -Hn'
	[ "${lines[0]}" = 100 ] && [ "${lines[1]}" = 200 ]
}

@test "run: --init is pid 1, reaps, forwards signals, exits with the child's status" {
	run B run --rm --init $IMG ps -o pid,args
	[[ "${lines[1]}" == *"1 /dev/init -- ps"* ]]
	# The record has the command as given, as Docker's: init is the spec's.
	id=$(B create --init $IMG sleep 5)
	[ "$(B inspect -f '{{.Path}} {{.Args}}' $id)" = "sleep [5]" ]
	B ps -a --format '{{.Command}}' | grep -qx '"sleep 5"'
	B rm $id
	run B run --rm --init $IMG sh -c 'exit 7'
	[ "$status" -eq 7 ]
	id=$(B run -d --init $IMG sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done')
	B stop -t 5 $id
	[ "$(B inspect -f '{{.State.ExitCode}}' $id)" = 42 ]
}

@test "run: --network none and default have only loopback, up; host and container: share" {
	run B run --rm $IMG ip -o link
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"lo:"*"UP"* ]]
	run B run --rm $IMG ping -c1 -W1 127.0.0.1
	[ "$status" -eq 0 ]
	run B run --rm --network none $IMG ip -o link
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"lo:"*"UP"* ]]
	host_links=$(ip -o link | wc -l)
	run B run --rm --network host $IMG ip -o link
	[ "${#lines[@]}" -eq "$host_links" ]
	B run -d --name netowner $IMG sleep 60
	ino=$(B exec netowner readlink /proc/self/ns/net)
	run B run --rm --network container:netowner $IMG readlink /proc/self/ns/net
	[ "$output" = "$ino" ]
}

@test "run: --stop-signal and --stop-timeout" {
	id=$(B run -d --stop-signal USR1 $IMG sh -c 'trap "exit 11" USR1; while :; do sleep 0.1; done')
	B stop $id
	[ "$(B inspect -f '{{.State.ExitCode}}' $id)" = 11 ]
	id=$(B run -d --stop-timeout 1 $IMG sh -c 'trap "" TERM; while :; do sleep 0.1; done')
	start=$(date +%s)
	B stop $id
	[ $(($(date +%s) - start)) -lt 5 ]
	[ "$(B inspect -f '{{.State.ExitCode}}' $id)" = 137 ]
}

@test "run: --restart on-failure:N, always (stop ends it), no" {
	id=$(B run -d --restart on-failure:2 $IMG sh -c 'echo try; exit 1')
	for i in $(seq 100); do
		[ "$(B inspect -f '{{.State.Status}} {{.RestartCount}}' $id)" = "exited 2" ] && break
		sleep 0.1
	done
	[ "$(B inspect -f '{{.State.Status}} {{.RestartCount}}' $id)" = "exited 2" ]
	[ "$(B logs $id | grep -c try)" -eq 3 ]
	id=$(B run -d --restart always $IMG sh -c 'sleep 0.2')
	for i in $(seq 100); do
		[ "$(B inspect -f '{{.RestartCount}}' $id)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(B inspect -f '{{.RestartCount}}' $id)" -ge 2 ]
	B stop -t 1 $id
	[ "$(B inspect -f '{{.State.Status}}' $id)" = exited ]
	n=$(B inspect -f '{{.RestartCount}}' $id)
	sleep 1
	[ "$(B inspect -f '{{.RestartCount}} {{.State.Status}}' $id)" = "$n exited" ]
	run B run --rm --restart always $IMG true
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot specify both --restart and --rm"* ]]
}

@test "run: -i passes stdin, -t gives a tty, --sig-proxy forwards signals" {
	run bash -c "echo piped | '$BERTH' --root '$ROOT' --runroot '$RUNROOT' run --rm -i $IMG cat"
	[ "$output" = piped ]
	run bash -c "echo piped | '$BERTH' --root '$ROOT' --runroot '$RUNROOT' run --rm $IMG cat"
	[ "$output" = "" ]
	run B run --rm -t $IMG sh -c 'tty; echo $TERM'
	[[ "${lines[0]}" == /dev/pts/* ]]
	[[ "$output" == *xterm* ]]
	"$BERTH" --root "$ROOT" --runroot "$RUNROOT" run --rm $IMG sh -c 'trap "echo got-int; exit 5" INT; while :; do sleep 0.1; done' >"$TEST_TMP/out" &
	cli=$!
	sleep 1
	kill -INT $cli
	wait $cli || rc=$?
	[ "${rc:-0}" -eq 5 ]
	grep -q got-int "$TEST_TMP/out"
}

@test "create + start -a; start of a created container" {
	id=$(B create --name c1 $IMG echo created-then-started)
	[ "$(B inspect -f '{{.State.Status}}' c1)" = created ]
	run grep -F " $ROOT/" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	run B start -a c1
	[ "$status" -eq 0 ]
	[ "$output" = created-then-started ]
	run B start c1
	[ "$output" = c1 ]
	B wait c1
	[ "$(B logs c1 | grep -c created-then-started)" -eq 2 ]
}
