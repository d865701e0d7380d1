#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The runtime's cgroup code on this host's real hierarchies, driven step by
# step through tests/helpers/cgroup-probe and checked in /sys/fs/cgroup.
load helpers

PROBE="$BUILD/tests/helpers/cgroup-probe"

setup() {
	setup_tmp
	NAME=$(unique_name cg)
	STATE=$TEST_TMP/cgroup.json
	if [ -d /sys/fs/cgroup/memory ]; then V1=1; else V1=0; fi
}

# Whatever a test did or failed to do, no cgroup of its name survives: the
# probe's destroy first, then by hand (kill what is inside, rmdir deepest
# first) in case the code under test is what failed.
teardown() {
	[ -f "$STATE" ] && "$PROBE" destroy "$STATE" >/dev/null 2>&1
	local d pid
	for d in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$NAME*" 2>/dev/null | sort -r); do
		[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
		[ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
		for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	done
	for d in $(find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$NAME*" 2>/dev/null | sort -r); do
		for _ in $(seq 50); do rmdir "$d" 2>/dev/null && break; [ -d "$d" ] || break; sleep 0.1; done
	done
	[ -z "${UNDO_HUGETLB:-}" ] || echo -hugetlb >"$UNDO_HUGETLB" 2>/dev/null || true
	teardown_tmp
}

# Process $1 has exited (a zombie waiting for init to reap it counts).
gone() {
	local _
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || return 0
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Every directory of the cgroup $NAME anywhere below /sys/fs/cgroup.
cgroup_dirs() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "$NAME" 2>/dev/null
}

# The file of a controller for the cgroup /$NAME (v1 or v2 layout).
cgfile() {
	if [ "$V1" = 1 ]; then echo "/sys/fs/cgroup/$1/$NAME/$2"; else echo "/sys/fs/cgroup/$NAME/$2"; fi
}

@test "cgroup: create writes the limits in every hierarchy" {
	run "$PROBE" create "/$NAME" '{"memory":{"limit":67108864,"reservation":33554432,"swap":134217728,"swappiness":20},"cpu":{"shares":512,"quota":50000,"period":100000,"burst":10000,"cpus":"0","mems":"0"},"pids":{"limit":42}}' "$STATE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# One directory per mounted hierarchy.
	[ "$(cgroup_dirs | wc -l)" -eq "$("$PROBE" dirs "$STATE" | wc -l)" ]
	for d in $("$PROBE" dirs "$STATE"); do [ -d "$d" ]; done
	if [ "$V1" = 1 ]; then
		[ "$(cat "$(cgfile memory memory.limit_in_bytes)")" = 67108864 ]
		[ "$(cat "$(cgfile memory memory.soft_limit_in_bytes)")" = 33554432 ]
		if [ -f "$(cgfile memory memory.memsw.limit_in_bytes)" ]; then
			[ "$(cat "$(cgfile memory memory.memsw.limit_in_bytes)")" = 134217728 ]
		fi
		[ "$(cat "$(cgfile memory memory.swappiness)")" = 20 ]
		[ "$(cat "$(cgfile cpu cpu.shares)")" = 512 ]
		[ "$(cat "$(cgfile cpu cpu.cfs_quota_us)")" = 50000 ]
		[ "$(cat "$(cgfile cpu cpu.cfs_period_us)")" = 100000 ]
		[ "$(cat "$(cgfile cpu cpu.cfs_burst_us)")" = 10000 ]
		[ "$(cat "$(cgfile cpuset cpuset.cpus)")" = 0 ]
		[ "$(cat "$(cgfile cpuset cpuset.mems)")" = 0 ]
		[ "$(cat "$(cgfile pids pids.max)")" = 42 ]
	else
		[ "$(cat "$(cgfile memory memory.max)")" = 67108864 ]
		[ "$(cat "$(cgfile memory memory.low)")" = 33554432 ]
		[ "$(cat "$(cgfile memory memory.swap.max)")" = 67108864 ]
		[ "$(cat "$(cgfile cpu cpu.weight)")" = 20 ]
		[ "$(cat "$(cgfile cpu cpu.max)")" = "50000 100000" ]
		[ "$(cat "$(cgfile cpu cpu.max.burst)")" = 10000 ]
		[ "$(cat "$(cgfile pids pids.max)")" = 42 ]
	fi
	run "$PROBE" stats "$STATE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"memory_limit=67108864"* ]]
	[[ "$output" == *"pids_limit=42"* ]]
	[[ "$output" == *"pids_current=0"* ]]
	run "$PROBE" destroy "$STATE"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs)" ]
}

@test "cgroup: a child enters every hierarchy and is listed in pids" {
	"$PROBE" create "/$NAME" '{}' "$STATE"
	pid=$("$PROBE" spawn "$STATE")
	pid2=$("$PROBE" spawn "$STATE")
	# In cgroup.procs of each hierarchy, and in /proc/PID/cgroup.
	for d in $("$PROBE" dirs "$STATE"); do
		grep -qx "$pid" "$d/cgroup.procs"
		grep -qx "$pid2" "$d/cgroup.procs"
	done
	[ "$(grep -c ":/$NAME\$" "/proc/$pid/cgroup")" -eq "$(cgroup_dirs | wc -l)" ]
	run "$PROBE" pids "$STATE"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' "$pid" "$pid2" | sort -n)" ]
	run "$PROBE" stats "$STATE"
	[[ "$output" == *"pids_current=2"* ]]
	# The mounts for a cgroup namespace: one per hierarchy, existing dirs.
	run "$PROBE" mounts "$STATE"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq "$(cgroup_dirs | wc -l)" ]
	if [ "$V1" = 1 ]; then
		[[ "$output" == *"memory /sys/fs/cgroup/memory/$NAME"* ]]
	fi
	run "$PROBE" destroy "$STATE"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs)" ]
	gone "$pid"
	gone "$pid2"
}

@test "cgroup: a pids limit stops a fork loop with EAGAIN" {
	"$PROBE" create "/$NAME" '{"pids":{"limit":5}}' "$STATE"
	run "$PROBE" run "$STATE" fork-loop 50
	[ "$status" -eq 0 ]
	# The child itself and 4 more fill the limit of 5.
	[ "${lines[0]}" = "forked 4 EAGAIN" ]
	[ "${lines[1]}" = "exited 0" ]
	# Without the limit the same loop goes through.
	"$PROBE" destroy "$STATE"
	"$PROBE" create "/$NAME" '{}' "$STATE"
	run "$PROBE" run "$STATE" fork-loop 50
	[ "${lines[0]}" = "forked 50 ok" ]
}

@test "cgroup: a memory limit OOM-kills, and oom_killed reports it" {
	"$PROBE" create "/$NAME" '{"memory":{"limit":33554432,"swap":33554432}}' "$STATE"
	run "$PROBE" oom "$STATE"
	[ "$output" = 0 ]
	# Within the limit: fine, and no OOM.
	run "$PROBE" run "$STATE" alloc 8
	[ "$output" = "exited 0" ]
	run "$PROBE" oom "$STATE"
	[ "$output" = 0 ]
	run "$PROBE" run "$STATE" alloc 256
	[ "$output" = "signaled 9" ]
	run "$PROBE" oom "$STATE"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "cgroup: freeze and thaw" {
	"$PROBE" create "/$NAME" '{}' "$STATE"
	pid=$("$PROBE" spawn "$STATE")
	[ "$("$PROBE" frozen "$STATE")" = 0 ]
	"$PROBE" freeze "$STATE"
	[ "$("$PROBE" frozen "$STATE")" = 1 ]
	if [ "$V1" = 1 ]; then
		[ "$(cat "$(cgfile freezer freezer.state)")" = FROZEN ]
	else
		grep -qx "frozen 1" "$(cgfile - cgroup.events)"
	fi
	# A frozen process does not act on SIGTERM until thawed.
	kill -TERM "$pid"
	sleep 0.2
	kill -0 "$pid"
	"$PROBE" thaw "$STATE"
	[ "$("$PROBE" frozen "$STATE")" = 0 ]
	if [ "$V1" = 1 ]; then
		[ "$(cat "$(cgfile freezer freezer.state)")" = THAWED ]
	fi
	gone "$pid"
}

@test "cgroup: kill_all with SIGTERM (freeze, signal, thaw) and SIGKILL" {
	"$PROBE" create "/$NAME" '{}' "$STATE"
	a=$("$PROBE" spawn "$STATE")
	b=$("$PROBE" spawn "$STATE")
	"$PROBE" kill "$STATE" 15
	for _ in $(seq 50); do [ -z "$("$PROBE" pids "$STATE")" ] && break; sleep 0.1; done
	[ -z "$("$PROBE" pids "$STATE")" ]
	gone "$a"
	gone "$b"
	# Not left frozen by the SIGTERM path.
	[ "$("$PROBE" frozen "$STATE")" = 0 ]
	c=$("$PROBE" spawn "$STATE")
	"$PROBE" kill "$STATE" 9
	for _ in $(seq 50); do [ -z "$("$PROBE" pids "$STATE")" ] && break; sleep 0.1; done
	[ -z "$("$PROBE" pids "$STATE")" ]
	gone "$c"
}

@test "cgroup: kill_all keeps a paused container paused, except for SIGKILL" {
	"$PROBE" create "/$NAME" '{}' "$STATE"
	pid=$("$PROBE" spawn "$STATE")
	"$PROBE" freeze "$STATE"
	"$PROBE" kill "$STATE" 15
	sleep 0.2
	[ "$("$PROBE" frozen "$STATE")" = 1 ]
	kill -0 "$pid"
	grep -q '^State:.*[^Z]' "/proc/$pid/status"
	refute grep -q '^State:.*Z' "/proc/$pid/status"
	# SIGKILL while paused: dead, and the cgroup thawed so it can go.
	"$PROBE" kill "$STATE" 9
	gone "$pid"
	[ "$("$PROBE" frozen "$STATE")" = 0 ]
	run "$PROBE" destroy "$STATE"
	[ "$status" -eq 0 ]
	[ -z "$(cgroup_dirs)" ]
}

@test "cgroup: destroy removes nested cgroups and leaves no directory" {
	"$PROBE" create "/$NAME/inner" '{"pids":{"limit":20}}' "$STATE"
	"$PROBE" spawn "$STATE" >/dev/null
	# A sub-cgroup made by the container itself.
	for d in $("$PROBE" dirs "$STATE"); do mkdir "$d/sub"; done
	run "$PROBE" destroy "$STATE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -path "*/$NAME/inner*")" ]
	# The parent (not ours to remove: it may hold other containers) stays.
	for d in $(cgroup_dirs); do rmdir "$d"; done
}

@test "cgroup: a relative cgroupsPath is below the caller's own cgroup" {
	"$PROBE" create "$NAME" '{}' "$STATE"
	while read -r d; do
		case "$d" in
		/sys/fs/cgroup/memory/*)
			own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
			[ "$d" = "/sys/fs/cgroup/memory${own%/}/$NAME" ] ;;
		esac
		[ -d "$d" ]
	done < <("$PROBE" dirs "$STATE")
	"$PROBE" destroy "$STATE"
	[ -z "$(cgroup_dirs)" ]
}

@test "cgroup: a systemd slice:prefix:name path gives systemd's directories" {
	# The root slice, so that no parent slice is left behind.
	"$PROBE" create "-.slice:berth:${NAME#berth-}" '{"pids":{"limit":3}}' "$STATE"
	run "$PROBE" dirs "$STATE"
	[[ "${lines[0]}" == *"/$NAME.scope" ]]
	for d in "${lines[@]}"; do [ -d "$d" ]; done
	"$PROBE" destroy "$STATE"
	[ -z "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name "$NAME.scope")" ]
	run "$PROBE" create "a.slice:p:../x" '{}' "$TEST_TMP/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a valid systemd unit path"* ]]
}

@test "cgroup: an existing empty cgroup is reused, one in use is refused" {
	"$PROBE" create "/$NAME" '{}' "$STATE"
	run "$PROBE" create "/$NAME" '{"pids":{"limit":7}}' "$TEST_TMP/again.json"
	[ "$status" -eq 0 ]
	pid=$("$PROBE" spawn "$STATE")
	run "$PROBE" create "/$NAME" '{}' "$TEST_TMP/third.json"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"exists and is in use"* ]]
	# The refused create left the cgroup in use alone.
	kill -0 "$pid"
	for d in $("$PROBE" dirs "$STATE"); do grep -qx "$pid" "$d/cgroup.procs"; done
}

@test "cgroup: bad input is a one-line error and creates nothing" {
	run "$PROBE" create "/$NAME" '{"memory":{"limit":-5}}' "$STATE"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"linux.resources.memory.limit: must be >= -1 (got -5)"* ]]
	run "$PROBE" create "/$NAME" '{"unified":{"foo.bar":"1"}}' "$STATE"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"unknown key \`foo.bar\`"* ]]
	run "$PROBE" create "/$NAME/../etc" '{}' "$STATE"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"\"..\" are not allowed"* ]]
	[ -z "$(cgroup_dirs)" ]
	[ ! -e "$STATE" ]
}

@test "cgroup: a limit the kernel refuses rolls back every directory" {
	# Parsed fine, refused by the kernel after the directories exist.
	run "$PROBE" create "/$NAME/deeper" '{"cpu":{"cpus":"4095"}}' "$STATE"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"creating cgroup /$NAME/deeper"*"cpuset.cpus"* ]]
	[ -z "$(cgroup_dirs)" ]
	# A unified key naming no file of this cgroup: same.
	run "$PROBE" create "/$NAME" '{"unified":{"memory.nosuchfile":"1"}}' "$STATE"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"memory.nosuchfile"* ]]
	[ -z "$(cgroup_dirs)" ]
}

@test "cgroup: device rules as eBPF on the v2 tree are enforced" {
	[ -d /sys/fs/cgroup/unified ] || [ "$V1" = 0 ] || skip "no cgroup v2 tree"
	"$PROBE" create "/$NAME" '{}' "$STATE"
	run "$PROBE" run "$STATE" open /dev/kmsg r
	[ "${lines[0]}" = "open ok" ]
	# Deny all, then read of null; runc's defaults (null, zero, ...) follow.
	run "$PROBE" bpf-devices "$STATE" '{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"r"}]}'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$PROBE" run "$STATE" open /dev/kmsg r
	[ "${lines[0]}" = "open EPERM" ]
	run "$PROBE" run "$STATE" open /dev/zero r
	[ "${lines[0]}" = "open ok" ]
	run "$PROBE" run "$STATE" open /dev/null w
	[ "${lines[0]}" = "open ok" ]
	# A new set replaces the old program (two attached programs would
	# both have to allow, and the old one denies /dev/kmsg).
	"$PROBE" bpf-devices "$STATE" '{"devices":[{"allow":true,"access":"rwm"}]}'
	run "$PROBE" run "$STATE" open /dev/kmsg r
	[ "${lines[0]}" = "open ok" ]
}

# The pure v2 code paths (cgroup.freeze, cgroup.events, cgroup.kill,
# cgroup.procs) on the unified tree of a hybrid host, through a saved
# description that says "v2": what a pure v2 host would give, minus the
# controllers (none is delegated to the unified tree here but hugetlb).
@test "cgroup: the v2 freezer, cgroup.kill and pids on the unified tree" {
	[ -d /sys/fs/cgroup/unified ] || skip "not a hybrid host"
	mkdir "/sys/fs/cgroup/unified/$NAME"
	printf '{"layout":"v2","hierarchies":[{"name":"","mount":"/sys/fs/cgroup/unified","path":"/%s","v2":true}]}' "$NAME" >"$STATE"
	a=$("$PROBE" spawn "$STATE")
	b=$("$PROBE" spawn "$STATE")
	[ "$("$PROBE" pids "$STATE")" = "$(printf '%s\n' "$a" "$b" | sort -n)" ]
	"$PROBE" freeze "$STATE"
	grep -qx "frozen 1" "/sys/fs/cgroup/unified/$NAME/cgroup.events"
	[ "$("$PROBE" frozen "$STATE")" = 1 ]
	"$PROBE" thaw "$STATE"
	grep -qx "frozen 0" "/sys/fs/cgroup/unified/$NAME/cgroup.events"
	# SIGTERM: freeze, signal each, thaw.
	"$PROBE" kill "$STATE" 15
	gone "$a"
	gone "$b"
	[ "$(cat "/sys/fs/cgroup/unified/$NAME/cgroup.freeze")" = 0 ]
	# SIGKILL: cgroup.kill, including a sub-cgroup's processes.
	c=$("$PROBE" spawn "$STATE")
	mkdir "/sys/fs/cgroup/unified/$NAME/sub"
	echo "$c" >"/sys/fs/cgroup/unified/$NAME/sub/cgroup.procs"
	[ "$("$PROBE" pids "$STATE")" = "$c" ]
	"$PROBE" kill "$STATE" 9
	gone "$c"
	run "$PROBE" oom "$STATE"
	[ "$output" = 0 ]
	run "$PROBE" destroy "$STATE"
	[ "$status" -eq 0 ]
	[ ! -e "/sys/fs/cgroup/unified/$NAME" ]
}

# The pure v1 code paths: the same saved description without the
# unified tree, so SIGKILL goes through the freezer rather than cgroup.kill.
@test "cgroup: kill_all on a v1-only description uses the freezer" {
	[ "$V1" = 1 ] || skip "no cgroup v1 here"
	"$PROBE" create "/$NAME" '{"pids":{"limit":10}}' "$STATE"
	jq -c '.layout = "v1" | .hierarchies |= map(select(.v2 | not))' "$STATE" >"$STATE.v1"
	mv "$STATE.v1" "$STATE"
	a=$("$PROBE" spawn "$STATE")
	[ "$("$PROBE" pids "$STATE")" = "$a" ]
	"$PROBE" kill "$STATE" 9
	gone "$a"
	[ "$(cat "$(cgfile freezer freezer.state)")" = THAWED ]
	run "$PROBE" stats "$STATE"
	[[ "$output" == *"pids_limit=10"* ]]
	"$PROBE" destroy "$STATE"
	# The unified part is not in the description: teardown removes it.
}

@test "cgroup: blockIO throttles and hugepage limits (hugetlb in the unified tree here)" {
	dev=$(cat /sys/block/*/dev | head -1)
	major=${dev%:*} minor=${dev#*:}
	# Enabling hugetlb at the root of the unified tree is this test's doing:
	# teardown undoes it.
	if [ -f /sys/fs/cgroup/unified/cgroup.subtree_control ] &&
		! grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.subtree_control; then
		UNDO_HUGETLB=/sys/fs/cgroup/unified/cgroup.subtree_control
	fi
	run "$PROBE" create "/$NAME" "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":$major,\"minor\":$minor,\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":$major,\"minor\":$minor,\"rate\":100}]},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}" "$STATE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	if [ "$V1" = 1 ]; then
		[ "$(cat "$(cgfile blkio blkio.throttle.read_bps_device)")" = "$major:$minor 1048576" ]
		[ "$(cat "$(cgfile blkio blkio.throttle.write_iops_device)")" = "$major:$minor 100" ]
	else
		grep -q "^$major:$minor rbps=1048576 wbps=max riops=max wiops=100" "$(cgfile - io.max)"
	fi
	hp=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path "*/$NAME/*" \( -name hugetlb.2MB.max -o -name hugetlb.2MB.limit_in_bytes \))
	[ -n "$hp" ]
	[ "$(cat "$hp")" = 4194304 ]
	run "$PROBE" create "/$NAME-b" '{"hugepageLimits":[{"pageSize":"3MB","limit":1}]}' "$TEST_TMP/b.json"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"hugetlb.3MB"* ]]
	[ -z "$(find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -name "$NAME-b")" ]
}
