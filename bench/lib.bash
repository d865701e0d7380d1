# SPDX-License-Identifier: Apache-2.0
# Shared by the bench/ scripts (sourced): timings go to $W/NAME.times, one
# number of seconds a line.

now() { date +%s.%N; }

# time_it NAME CMD...: append the wall time of CMD to $W/NAME.times;
# $TIME_IT_BEFORE, when set, runs first, outside the timed region.
time_it() {
	local name=$1 t0 t1
	shift
	${TIME_IT_BEFORE:-}
	t0=$(now)
	"$@" >/dev/null 2>&1
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}' >>"$W/$name.times"
}

# median NAME: the median of $W/NAME.times.
median() { sort -g "$W/$1.times" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# A private dockerd (Debian's) for one bench run: data root, exec root, pid
# file and socket under $W (keep $W short: containerd's sockets live below
# the exec root), no bridge, no iptables; stopped by its PID.
DOCKERD_PID=
DOCKER_CG_EXISTED=$(find /sys/fs/cgroup -maxdepth 2 -type d -name docker | head -n 1)
docker_() { docker -H "unix://$W/d.sock" "$@"; }

# docker_start: 0 when dockerd answers (else the reason is printed).
docker_start() {
	if ! [ -x /usr/sbin/dockerd ] || ! command -v docker >/dev/null; then
		echo "docker: not installed, skipped"
		return 1
	fi
	/usr/sbin/dockerd --data-root "$W/d" --exec-root "$W/x" --pidfile "$W/dockerd.pid" \
		-H "unix://$W/d.sock" --bridge=none --iptables=false --ip6tables=false \
		--ip-masq=false >"$W/dockerd.log" 2>&1 &
	DOCKERD_PID=$!
	local _
	for _ in $(seq 120); do docker_ version >/dev/null 2>&1 && return 0; sleep 0.25; done
	echo "docker: dockerd does not start here, skipped: $(tail -n 1 "$W/dockerd.log")"
	return 1
}

# docker_stop: its containers, the daemon, and the cgroup parent it made.
docker_stop() {
	[ -n "$DOCKERD_PID" ] || return 0
	local ids
	ids=$(docker_ ps -aq 2>/dev/null) && [ -z "$ids" ] || docker_ rm -f $ids >/dev/null 2>&1 || true
	kill "$DOCKERD_PID" 2>/dev/null || true
	wait "$DOCKERD_PID" 2>/dev/null || true
	DOCKERD_PID=
	[ -n "$DOCKER_CG_EXISTED" ] || rmdir /sys/fs/cgroup/*/docker 2>/dev/null || true
}

# docker_load_from_podman NAME: dockerd 20.10 loads docker archives only,
# which podman (holding NAME as localhost/NAME) writes.
docker_load_from_podman() {
	podman_ save -q --format docker-archive -o "$W/image.tar" "localhost/$1"
	docker_ load -q -i "$W/image.tar" >/dev/null
	docker_ tag "localhost/$1" "$1"
}

# crun 1.8 refuses a hybrid cgroup layout while the cgroup2 tree holds a
# controller (hugetlb here).  crun_hybrid_fix takes hugetlb out of
# cgroup2's subtree_control and mounts it as a v1 hierarchy; that changes
# the machine's layout until crun_hybrid_restore gives it back, so run such
# a benchmark when no tests are running.
HUGETLB_V2=/sys/fs/cgroup/unified
HUGETLB_MOUNTED=0
HUGETLB_ROOT_HAD=0
crun_hybrid_fix() {
	command -v crun >/dev/null && [ -d $HUGETLB_V2 ] && grep -q . $HUGETLB_V2/cgroup.controllers &&
		[ ! -d /sys/fs/cgroup/hugetlb ] || return 0
	grep -qw hugetlb $HUGETLB_V2/cgroup.subtree_control 2>/dev/null && HUGETLB_ROOT_HAD=1
	find $HUGETLB_V2 -mindepth 1 -type d | sort -r | while read -r d; do
		grep -qw hugetlb "$d/cgroup.subtree_control" 2>/dev/null &&
			echo -hugetlb >"$d/cgroup.subtree_control" || true
	done
	echo -hugetlb >$HUGETLB_V2/cgroup.subtree_control 2>/dev/null || true
	mkdir /sys/fs/cgroup/hugetlb
	# The controller leaves cgroup2 once its css are gone: retry a while.
	local _
	for _ in $(seq 50); do
		mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null &&
			HUGETLB_MOUNTED=1 && return 0
		sleep 0.1
	done
	rmdir /sys/fs/cgroup/hugetlb
}
crun_hybrid_restore() {
	[ "$HUGETLB_MOUNTED" = 1 ] || return 0
	# A v1 hierarchy that still has (even dying) cgroups when it is
	# unmounted lives on unmounted and keeps hugetlb from cgroup2: empty
	# it, and unmount again until the controller is back.
	local i mounted=1
	for i in $(seq 10); do
		find /sys/fs/cgroup/hugetlb -mindepth 1 -type d | sort -r | xargs -r rmdir 2>/dev/null
		sleep 0.5
		umount /sys/fs/cgroup/hugetlb && mounted=0
		sleep 0.5
		grep -qw hugetlb $HUGETLB_V2/cgroup.controllers && break
		mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && mounted=1 || break
	done
	[ "$mounted" = 0 ] || umount /sys/fs/cgroup/hugetlb || true
	rmdir /sys/fs/cgroup/hugetlb 2>/dev/null || true
	grep -qw hugetlb $HUGETLB_V2/cgroup.controllers ||
		echo "bench: warning: hugetlb did not return to cgroup2" >&2
	[ "$HUGETLB_ROOT_HAD" = 1 ] && echo +hugetlb >$HUGETLB_V2/cgroup.subtree_control 2>/dev/null || true
	HUGETLB_MOUNTED=0
}
