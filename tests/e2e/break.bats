#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Hostile and malformed input found by trying to break berth: each case
# here once failed. Errors are one line naming what was wrong, and
# nothing is left behind.
load container-common
bats_require_minimum_version 1.5.0

setup() {
	container_setup
	load_busybox
}

teardown() {
	container_teardown
}

@test "tag: a bad target reference is a format error, not an errno" {
	local t
	for t in UPPER:x x:../../y ../../etc; do
		run B tag $IMG "$t"
		[ "$status" -ne 0 ]
		one_line "invalid reference format"
		[[ "$output" != *"Invalid argument"* ]]
	done
	run B images -q
	[ "${#lines[@]}" -eq 1 ]
}

@test "start: runtime state and rootfs left by a monitor killed mid-start are replaced" {
	local id
	id=$(B create $IMG sleep 100)
	# What a monitor killed between the runtime's create and its start
	# leaves: the rootfs mounted, the runtime's container made, the
	# record still Created.
	mount --bind "$(busybox_rootfs)" "$ROOT/containers/$id/rootfs"
	"$BERTH_RUNTIME" --root "$RUNROOT/runtime" create --bundle "$ROOT/containers/$id" "$id"
	run B start "$id"
	[ "$status" -eq 0 ]
	[ "$(B inspect -f '{{.State.Status}}' "$id")" = running ]
	run B exec "$id" true
	[ "$status" -eq 0 ]
	B rm -f "$id" >/dev/null
	assert_clean
}

@test "run: nothing is mounted inside /proc, even through a symlink in the image" {
	run B run --rm -v brkvol:/proc/sys/kernel $IMG true
	[ "$status" -eq 125 ]
	one_line "\`/proc/sys/kernel\` cannot be mounted because it is inside /proc"
	run B run --rm --tmpfs /proc/sys $IMG true
	[ "$status" -eq 125 ]
	one_line "inside /proc"
	run B run --rm -v "$TEST_TMP:/proc/self/attr" $IMG true
	[ "$status" -eq 125 ]
	one_line "inside /proc"
	run B run --rm -v brkvol:/proc $IMG true
	[ "$status" -eq 125 ]
	one_line "not of type proc"
	B run --name mk $IMG ln -s /proc /vp
	B commit mk brk/proclink:1 >/dev/null
	B rm mk >/dev/null
	run B run --rm -v brkvol:/vp brk/proclink:1 true
	[ "$status" -eq 125 ]
	one_line "\`/vp\` cannot be mounted because it is not of type proc"
	# What lxcfs provides stays allowed.
	run B run --rm -v /proc/meminfo:/proc/meminfo $IMG head -1 /proc/meminfo
	[ "$status" -eq 0 ]
	[[ "$output" == MemTotal:* ]]
	run B ps -aq
	[ -z "$output" ]
	assert_clean
}

@test "cp -: a tar is no layer, its .wh. names are files, not whiteouts" {
	mkdir "$TEST_TMP/t"
	: >"$TEST_TMP/t/.wh.etc"
	: >"$TEST_TMP/t/.wh..wh..opq"
	B create --name cw $IMG true >/dev/null
	tar -C "$TEST_TMP/t" -cf - . | B cp - cw:/
	run B cp cw:/etc/passwd "$TEST_TMP/passwd"
	[ "$status" -eq 0 ]
	run B cp cw:/.wh.etc "$TEST_TMP/wh"
	[ "$status" -eq 0 ]
	B cp cw:/.wh..wh..opq "$TEST_TMP/opq"
	B rm cw >/dev/null
	assert_clean
}

@test "cp into a container: a symlink destination is followed inside the container" {
	B run --name cl $IMG sh -c 'ln -s /etc/motd /abs; ln -s ../../../../etc/issue /rel; ln -s / /root-link'
	echo new >"$TEST_TMP/new"
	local host_motd host_issue
	host_motd=$(cat /etc/motd 2>/dev/null || true)
	host_issue=$(cat /etc/issue 2>/dev/null || true)
	B cp "$TEST_TMP/new" cl:/abs
	B cp "$TEST_TMP/new" cl:/rel
	B cp "$TEST_TMP/new" cl:/root-link/etc/brk-new
	[ "$(B cp cl:/etc/motd - | tar -xO)" = new ]
	[ "$(B cp cl:/etc/issue - | tar -xO)" = new ]
	[ "$(B cp cl:/etc/brk-new - | tar -xO)" = new ]
	# The links themselves are still links.
	B cp cl:/abs - | tar -tv | grep -q '^l.*abs -> /etc/motd'
	[ "$(cat /etc/motd 2>/dev/null || true)" = "$host_motd" ]
	[ "$(cat /etc/issue 2>/dev/null || true)" = "$host_issue" ]
	[ ! -e /etc/brk-new ]
	B rm cl >/dev/null
	assert_clean
}

@test "run --name '': no name, one is made up (Docker's)" {
	run B run --rm --name "" $IMG echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	id=$(B create --name "" $IMG true)
	[[ "$(B inspect -f '{{.Name}}' "$id")" =~ ^/[a-z]+_[a-z]+ ]]
	B rm "$id" >/dev/null
	assert_clean
}

@test "a killed monitor: the first look (ps) ends what it left, so Exited is true" {
	id=$(B run -d $IMG sleep 300)
	pid=$(B inspect -f '{{.State.Pid}}' "$id")
	kill -9 "$(jq -r .Berth.MonitorPid "$ROOT/containers/$id/container.json")"
	run B ps -a --format '{{.Status}}'
	[[ "$output" == "Exited (255) "*" ago" ]]
	local i
	for i in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
	[ ! -e "/proc/$pid" ]
	[ ! -e "$RUNROOT/runtime/$id" ]
	run grep -F "$id" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	[ -z "$(find /sys/fs/cgroup -name "$id*" 2>/dev/null)" ]
	run B exec "$id" true
	[ "$status" -ne 0 ]
	B start "$id" >/dev/null
	[ "$(B inspect -f '{{.State.Status}}' "$id")" = running ]
	B rm -f "$id" >/dev/null
	assert_clean
}

@test "export and cp out: a file name that is not UTF-8 goes out as its bytes" {
	B run --name wn $IMG sh -c 'mkdir /w; touch "/w/bad$(printf "\377\376")" "/w/$(printf "nl\nname")"'
	B export wn >"$TEST_TMP/wn.tar"
	B import "$TEST_TMP/wn.tar" brk/wn:1 >/dev/null
	run B run --rm brk/wn:1 sh -c 'ls /w | od -An -c | tr -s " " | tr -d "\n"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"b a d 377 376"*"n l \\n n a m e"* ]]
	run B cp wn:/w "$TEST_TMP/out"
	[ "$status" -eq 0 ]
	[ -e "$TEST_TMP/out/bad"$'\377\376' ]
	B rm wn >/dev/null
	assert_clean
}

@test "exec -e with no name: the run error, 125, nothing run" {
	B run -d --name ex $IMG sleep 100 >/dev/null
	local v
	for v in =x ''; do
		run B exec -e "$v" ex touch /ran
		[ "$status" -eq 125 ]
		one_line "invalid argument \"$v\" for \"--env\" flag: invalid environment variable: $v"
	done
	run B exec ex test -e /ran
	[ "$status" -eq 1 ]
	B rm -f ex >/dev/null
	assert_clean
}

@test "build: a STOPSIGNAL that is no signal fails the build, not every run of the image" {
	mkdir "$TEST_TMP/ctx"
	printf 'FROM %s\nSTOPSIGNAL BOGUS\n' "$IMG" >"$TEST_TMP/ctx/Dockerfile"
	run B build -q -t brk/sig:1 "$TEST_TMP/ctx"
	[ "$status" -eq 1 ]
	[[ "$output" == *"STOPSIGNAL BOGUS: Invalid signal: BOGUS"* ]]
	run B image inspect brk/sig:1
	[ "$status" -ne 0 ]
	printf 'FROM %s\nSTOPSIGNAL SIGUSR1\n' "$IMG" >"$TEST_TMP/ctx/Dockerfile"
	B build -q -t brk/sig:2 "$TEST_TMP/ctx" >/dev/null
	[ "$(B image inspect -f '{{.Config.StopSignal}}' brk/sig:2)" = SIGUSR1 ]
	assert_clean
}

@test "run --network NAME: no such network is Docker's 'not found', not a silent default" {
	run B run --rm --network brk-nosuch $IMG true
	[ "$status" -eq 125 ]
	one_line "network brk-nosuch not found"
	run B create --net brk-nosuch $IMG true
	[ "$status" -eq 125 ]
	one_line "network brk-nosuch not found"
	run B ps -aq
	[ -z "$output" ]
	assert_clean
}

@test "rename and commit --change: input errors carry no errno text" {
	B create --name rn $IMG true >/dev/null
	run B rename rn "a/b"
	[ "$status" -ne 0 ]
	one_line "Invalid container name (a/b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
	[[ "$output" != *"Invalid argument"* ]]
	run B commit -c "BOGUS x" rn
	[ "$status" -ne 0 ]
	one_line "\`BOGUS\` is not one of CMD"
	[[ "$output" != *"Invalid argument"* ]]
	B rm rn >/dev/null
	assert_clean
}

@test "create: directories that a killed create or rm left without a record are swept" {
	local a b
	a=$(printf 'a%.0s' {1..64})
	b=$(printf 'b%.0s' {1..64})
	keep=$(B create $IMG true)
	# What a create killed between its mkdir and its rename leaves.
	mkdir -p "$ROOT/containers/$a"
	echo '{"half":' >"$ROOT/containers/$a/container.json.tmp-12345"
	# What an rm killed after unlinking the record leaves.
	gone=$(B create $IMG true)
	rm "$ROOT/containers/$gone/container.json"
	mkdir -p "$ROOT/containers/$b/upper/x"
	id=$(B create $IMG true)
	[ ! -e "$ROOT/containers/$a" ]
	[ ! -e "$ROOT/containers/$b" ]
	[ ! -e "$ROOT/containers/$gone" ]
	[ -e "$ROOT/containers/$keep/container.json" ]
	B rm "$id" "$keep" >/dev/null
	assert_clean
}

@test "commit/import --change: a blank ENV or LABEL name is refused, not an image that can't run" {
	B create --name cb $IMG true >/dev/null
	local c
	for c in "ENV =x" "ENV A=1 =x" "LABEL =x"; do
		run B commit -c "$c" cb
		[ "$status" -eq 125 ]
		one_line "names can not be blank"
	done
	run B import -c "ENV =x" "$FIXTURES/images/layers/regclient-layer.tar"
	[ "$status" -eq 125 ]
	one_line "ENV names can not be blank"
	[ "$(B images -q | wc -l)" -eq 1 ]
	B rm cb >/dev/null
	assert_clean
}

@test "a killed monitor of a --rm container: the first look removes it, as the monitor would have" {
	id=$(B run -d --rm -v /anon $IMG sleep 300)
	pid=$(B inspect -f '{{.State.Pid}}' "$id")
	[ "$(B volume ls -q | wc -l)" -eq 1 ]
	kill -9 "$(jq -r .Berth.MonitorPid "$ROOT/containers/$id/container.json")"
	run B ps -aq
	[ -z "$output" ]
	local i
	for i in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
	[ ! -e "/proc/$pid" ]
	[ -z "$(B volume ls -q)" ]
	[ -z "$(find /sys/fs/cgroup -name "$id*" 2>/dev/null)" ]
	assert_clean
}

@test "inspect/ps --format: an unknown function is an error, not '<no value>' and exit 0" {
	B create --name tf $IMG true >/dev/null
	run B inspect -f '{{bogus .Id}}' tf
	[ "$status" -ne 0 ]
	one_line 'function "bogus" not defined'
	run B ps -a --format '{{.ID | nosuch}}'
	[ "$status" -ne 0 ]
	one_line 'function "nosuch" not defined'
	run B inspect -f '{{printf "%s" .Id}}' tf
	[ "$status" -ne 0 ]
	one_line 'function "printf" is not supported'
	[ "$(B inspect -f '{{if eq .State.Status "created"}}{{.Name | upper}}{{end}}' tf)" = /TF ]
	run B image inspect -f '{{bogus .Id}}' $IMG
	[ "$status" -eq 125 ]
	one_line 'function "bogus" not defined'
	run B images --format '{{.Repository | nope}}'
	[ "$status" -eq 125 ]
	run B volume ls --format '{{x .Name}}'
	[ "$status" -eq 125 ]
	B rm tf >/dev/null
	assert_clean
}

@test "start: concurrent starts of one container run it once, and all succeed" {
	id=$(B create $IMG sleep 100)
	local i pids=()
	for i in 1 2 3 4; do
		B start "$id" >"$TEST_TMP/start$i" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2 3; do wait "${pids[$i]}"; done
	[ "$(B inspect -f '{{.State.Status}} {{.State.Error}}' "$id")" = "running " ]
	[ "$(pgrep -fc -- "--root $ROOT --runroot .*container-monitor")" -eq 1 ]
	B exec "$id" true
	B rm -f "$id" >/dev/null
	assert_clean
}
