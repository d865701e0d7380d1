#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# The lifecycle verbs after run: start, ps, logs, stop, kill, restart, rm,
# wait, exec, attach, inspect, top, pause, rename, stats, prune, each
# checked on what really happened (processes, the log, the cgroup).
load container-common
bats_require_minimum_version 1.5.0

setup() {
	container_setup
	load_busybox
}

teardown() {
	[ -z "${TMUX_SOCK:-}" ] || tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
	container_teardown
}

# A terminal for the interactive verbs: tmux running $1.
term_start() {
	require_cmd tmux
	TMUX_SOCK=berth-test-verbs-$$
	tmux -L "$TMUX_SOCK" new-session -d -s t -x 100 -y 20 "$1; echo RC=\$?; sleep 30"
}

# Wait (up to ~5 s) until the terminal shows $1.
term_wait() {
	local i
	for i in $(seq 50); do
		tmux -L "$TMUX_SOCK" capture-pane -t t -p | grep -q -- "$1" && return 0
		sleep 0.1
	done
	echo "the terminal never showed '$1':"
	tmux -L "$TMUX_SOCK" capture-pane -t t -p
	return 1
}

# No cgroup of this container left in any hierarchy.
assert_no_cgroup() {
	run sh -c "ls -d /sys/fs/cgroup/*/berth/$1 2>/dev/null"
	[ -z "$output" ]
}

# Wait (up to ~5 s) for background job $1, then kill it: a test fails
# rather than hangs.  Returns the job's status.
wait_job() {
	local i
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null || true
	wait "$1"
}

# Wait (up to ~5 s) until the container's log has a line matching $2.
wait_log() {
	local i
	for i in $(seq 50); do
		B logs "$1" 2>&1 | grep -q -- "$2" && return 0
		sleep 0.1
	done
	echo "no '$2' in the log of $1"
	return 1
}

@test "start: a created container runs; -a streams and returns its code; -ai feeds stdin" {
	id=$(B create --name c1 $IMG sh -c 'echo started; exit 4')
	[ "$(B inspect -f '{{.State.Status}}' c1)" = created ]
	run B start -a c1
	[ "$status" -eq 4 ]
	[ "$output" = started ]
	[ "$(B inspect -f '{{.State.Status}} {{.State.ExitCode}}' $id)" = "exited 4" ]
	# Plain start prints the name it was given and returns at once.
	run B start c1
	[ "$status" -eq 0 ]
	[ "$output" = c1 ]
	B wait c1
	B create -i --name c2 $IMG sh -c 'read x; echo got $x' >/dev/null
	run sh -c "echo hello | $BERTH --root $ROOT --runroot $RUNROOT start -ai c2"
	[ "$status" -eq 0 ]
	[ "$output" = "got hello" ]
	# Starting a running container is a no-op.
	B run -d --name up $IMG sleep 60 >/dev/null
	pid=$(B inspect -f '{{.State.Pid}}' up)
	run B start up
	[ "$status" -eq 0 ]
	[ "$(B inspect -f '{{.State.Pid}}' up)" = "$pid" ]
	# start -a of a running one attaches to it.
	B run -d --name up2 $IMG sh -c 'sleep 1; echo from-up2; exit 5' >/dev/null
	run B start -a up2
	[ "$status" -eq 5 ]
	[ "$output" = from-up2 ]
	B rm -f c1 c2 up up2 >/dev/null
	assert_clean
}

@test "ps: -a, -q, --no-trunc, filters, json and Go templates" {
	run_id=$(B run -d --name web -l tier=front -l app=x $IMG sleep 60)
	B run --name done3 -l tier=back $IMG sh -c 'exit 3' || true
	B create --name fresh $IMG true >/dev/null
	run B ps --format '{{.Names}}'
	[ "$output" = web ]
	run B ps -a --format '{{.Names}}'
	[ "${lines[*]}" = "fresh done3 web" ]
	run B ps -q
	[ "$output" = "${run_id:0:12}" ]
	run B ps -q --no-trunc
	[ "$output" = "$run_id" ]
	# The table: header, the truncated ID, quoted command, status.
	run B ps
	[[ "${lines[0]}" == "CONTAINER ID"*IMAGE*COMMAND*CREATED*STATUS*PORTS*NAMES ]]
	[[ "${lines[1]}" == "${run_id:0:12}   $IMG   \"sleep 60\""*"Up "*web ]]
	run B ps -a --filter status=exited --format '{{.Names}} {{.Status}}'
	[[ "$output" == "done3 Exited (3) "*" ago" ]]
	run B ps -a --filter status=created -q
	[ "$output" = "$(B inspect -f '{{.Id}}' fresh | cut -c1-12)" ]
	run B ps -a --filter exited=3 --format '{{.Names}}'
	[ "$output" = done3 ]
	run B ps -a --filter exited=0 --format '{{.Names}}'
	[ -z "$output" ]
	run B ps -a --filter name=don --format '{{.Names}}'
	[ "$output" = done3 ]
	# A regular expression, with or without the "/".
	run B ps -a --filter 'name=^(web|fresh)$' --format '{{.Names}}'
	[ "${lines[*]}" = "fresh web" ]
	run B ps -a --filter 'name=^/we' --format '{{.Names}}'
	[ "$output" = web ]
	run B ps -a --filter 'name=^eb$' -q
	[ -z "$output" ]
	run B ps -a --filter label=tier --format '{{.Names}}'
	[ "${lines[*]}" = "done3 web" ]
	run B ps -a --filter label=tier=front --format '{{.Names}}'
	[ "$output" = web ]
	# Values of one key OR, different keys AND.
	run B ps -a --filter name=web --filter name=fresh --format '{{.Names}}'
	[ "${lines[*]}" = "fresh web" ]
	run B ps -a --filter name=web --filter status=exited -q
	[ -z "$output" ]
	run B ps -a --filter id=${run_id:0:8} --format '{{.Names}}'
	[ "$output" = web ]
	# Created before / after another, from an image.
	run B ps -a --filter before=done3 --format '{{.Names}}'
	[ "$output" = web ]
	run B ps -a --filter since=done3 --format '{{.Names}}'
	[ "$output" = fresh ]
	run B ps -a --filter ancestor=$IMG -q
	[ "${#lines[@]}" -eq 3 ]
	run B ps -a --filter ancestor=no-such-image -q
	[ -z "$output" ]
	# -n N and -l: the last created, stopped ones included.
	run B ps -n 2 --format '{{.Names}}'
	[ "${lines[*]}" = "fresh done3" ]
	run B ps -l --format '{{.Names}}'
	[ "$output" = fresh ]
	# json: one object per line, Docker's keys.
	run B ps --format json
	[ "$(echo "$output" | jq -r .Names)" = web ]
	[ "$(echo "$output" | jq -r .ID)" = "${run_id:0:12}" ]
	[ "$(echo "$output" | jq -r .State)" = running ]
	[ "$(echo "$output" | jq -r .Command)" = '"sleep 60"' ]
	[ "$(echo "$output" | jq -r .Labels)" = "tier=front,app=x" ]
	[[ "$(echo "$output" | jq -r .RunningFor)" == *" ago" ]]
	run B ps --format '{{.ID}}|{{.Image}}|{{.State}}|{{.Names}}' --no-trunc
	[ "$output" = "$run_id|$IMG|running|web" ]
	run B ps --format '{{json .Names}}'
	[ "$output" = '"web"' ]
	run B ps -a --format '{{.Names}}:{{.Label "tier"}}:{{.Label "app"}}'
	[ "${lines[*]}" = "fresh:: done3:back: web:front:x" ]
	# table: Docker's titles, aligned columns, empty cells kept.
	run B ps -a --format 'table {{.Names}}\t{{.Ports}}\t{{.State}}'
	[ "${lines[0]}" = "NAMES     PORTS     STATE" ]
	[ "${lines[3]}" = "web                 running" ]
	[ "${#lines[@]}" -eq 4 ]
	B rm -f web done3 fresh >/dev/null
	assert_clean
}

@test "logs: stdout and stderr, --tail, --since, -t, -f follows until the exit" {
	B run -d --name lg $IMG sh -c 'for i in 1 2 3 4 5; do echo out$i; done; echo err1 >&2; sleep 2; echo late; exit 0' >/dev/null
	wait_log lg err1
	run --separate-stderr B logs lg
	[ "$output" = "$(printf 'out1\nout2\nout3\nout4\nout5')" ]
	[ "$stderr" = err1 ]
	run B logs --tail 2 lg
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = out5 ] && [ "${lines[1]}" = err1 ]
	run B logs -n 1 lg
	[ "$output" = err1 ]
	run B logs --tail 0 lg
	[ -z "$output" ]
	run B logs --tail all lg
	[ "${#lines[@]}" -eq 6 ]
	run B logs -t --tail 1 lg
	[[ "$output" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ err1$ ]]
	run B logs --since 1h lg
	[ "${#lines[@]}" -eq 6 ]
	run B logs --since 2099-01-01T00:00:00Z lg
	[ -z "$output" ]
	# -f prints what is there, then what comes, and ends with the container.
	run timeout 10 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" logs -f --tail 1 lg
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "err1 late" ]
	run B logs --tail x lg
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	B rm lg >/dev/null
	assert_clean
}

@test "stop: the stop signal, then SIGKILL after -t; kill -s; wait prints the codes" {
	id=$(B run -d --name trap $IMG sh -c 'trap "echo got-term; exit 5" TERM; while true; do sleep 0.1; done')
	B run -d --name deaf $IMG sleep 60 >/dev/null
	wait_status trap running
	# The trap runs once the shell's sleep returns.
	run B stop -t 5 trap
	[ "$status" -eq 0 ]
	[ "$output" = trap ]
	run B inspect -f '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.State.Pid}}' $id
	[ "$output" = "exited false 5 0" ]
	[ "$(B logs trap)" = got-term ]
	# A stopped container keeps its record and nothing else.
	assert_no_cgroup $id
	run grep -F "$id" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	[ ! -e "$RUNROOT/runtime/$id" ]
	# sleep as pid 1 ignores SIGTERM: SIGKILL after 1 s.
	start=$(date +%s%N)
	B stop -t 1 deaf
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ]
	[ "$(B inspect -f '{{.State.ExitCode}}' deaf)" = 137 ]
	run B wait trap deaf
	[ "${lines[*]}" = "5 137" ]
	# Stopping a stopped container is fine.
	B stop trap
	# kill: SIGKILL by default, -s by name or number; a trapped signal
	# only runs the handler.
	B run -d --name kk $IMG sh -c 'trap "echo usr1" USR1; while true; do sleep 0.1; done' >/dev/null
	wait_status kk running
	B kill -s USR1 kk
	wait_log kk usr1
	[ "$(B inspect -f '{{.State.Status}}' kk)" = running ]
	B kill -s SIGUSR1 kk
	B kill -s 15 kk
	# TERM is not trapped: pid 1 ignores it.
	sleep 0.3
	[ "$(B inspect -f '{{.State.Status}}' kk)" = running ]
	B kill kk
	run B wait kk
	[ "$output" = 137 ]
	run B kill kk
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
	[ "${#lines[@]}" -eq 1 ]
	B rm trap deaf kk >/dev/null
	assert_no_cgroup $id
	assert_clean
}

@test "wait: blocks until the exit, prints the code; restart: a new process" {
	B run -d --name ww $IMG sh -c 'sleep 1; exit 9' >/dev/null
	start=$(date +%s%N)
	run B wait ww
	[ "$output" = 9 ]
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 500 ]
	B run -d --name rr0 $IMG sh -c 'echo run; sleep 60' >/dev/null
	pid1=$(B inspect -f '{{.State.Pid}}' rr0)
	started1=$(B inspect -f '{{.State.StartedAt}}' rr0)
	run B restart -t 0 rr0
	[ "$status" -eq 0 ]
	[ "$output" = rr0 ]
	[ "$(B inspect -f '{{.State.Status}}' rr0)" = running ]
	pid2=$(B inspect -f '{{.State.Pid}}' rr0)
	[ "$pid1" != "$pid2" ]
	[ ! -d /proc/$pid1 ] || [ "$(cat /proc/$pid1/comm)" != sleep ]
	[ "$(B inspect -f '{{.State.StartedAt}}' rr0)" != "$started1" ]
	# A manual restart is not a policy restart.
	[ "$(B inspect -f '{{.RestartCount}}' rr0)" = 0 ]
	# Both runs' output in its one log.
	for i in $(seq 50); do [ "$(B logs rr0 | grep -c run)" -eq 2 ] && break; sleep 0.1; done
	[ "$(B logs rr0 | grep -c run)" -eq 2 ]
	# restart of an exited container starts it.
	B restart ww
	run B wait ww
	[ "$output" = 9 ]
	# --rm removes a container when it stops, not when it restarts.
	B run -d --rm --name rmd $IMG sleep 60 >/dev/null
	B restart -t 0 rmd
	[ "$(B inspect -f '{{.State.Status}}' rmd)" = running ]
	B stop -t 0 rmd
	run B inspect rmd
	[ "$status" -eq 1 ]
	B rm -f ww rr0 >/dev/null
	assert_clean
}

@test "rm: refuses a running container, -f kills it, -v removes anonymous volumes" {
	id=$(B run -d --name rr -v /data -v "$TEST_TMP:/host" $IMG sleep 60)
	vol=$(B inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{end}}{{end}}' rr)
	[ "${#vol}" -eq 64 ]
	# ps shows each: a volume by name, a bind by source.
	run B ps --no-trunc --format '{{.Mounts}} {{.LocalVolumes}}'
	[ "$output" = "$vol,$TEST_TMP 1" ] || [ "$output" = "$TEST_TMP,$vol 1" ]
	run B ps --format '{{.Mounts}}'
	[[ "$output" == *"${vol:0:14}…"* ]]
	run B rm rr
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot remove container \"/rr\": container is running"* ]]
	[ "$(B inspect -f '{{.State.Status}}' rr)" = running ]
	pid=$(B inspect -f '{{.State.Pid}}' rr)
	run B rm -f -v rr
	[ "$status" -eq 0 ]
	[ "$output" = rr ]
	[ ! -d /proc/$pid ] || [ "$(cat /proc/$pid/comm)" != sleep ]
	run B volume ls -q
	[ -z "$output" ]
	assert_no_cgroup $id
	# Without -v the anonymous volume stays.
	B run --name keep -v /data $IMG true
	vol=$(B inspect -f '{{(index .Mounts 0).Name}}' keep)
	B rm keep
	run B volume ls -q
	[ "$output" = "$vol" ]
	B volume rm "$vol" >/dev/null
	# Several at once: each done, the unknown one reported, exit 1.
	B create --name a1 $IMG true >/dev/null
	B create --name a2 $IMG true >/dev/null
	run B rm a1 nosuch a2
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such container: nosuch"* ]]
	run B ps -aq
	[ -z "$output" ]
	assert_clean
}

@test "exec: joins the container's namespaces, -e -w -u -i -t -d, exit code propagates" {
	B run -d --name ex -e FROMRUN=1 $IMG sh -c 'echo hi > /marker; sleep 60' >/dev/null
	wait_status ex running
	pid=$(B inspect -f '{{.State.Pid}}' ex)
	for ns in pid mnt net uts ipc; do
		[ "$(B exec ex readlink /proc/self/ns/$ns)" = "$(readlink /proc/$pid/ns/$ns)" ]
	done
	# Its cgroup, capabilities and seccomp are the container's.
	id=$(B inspect -f '{{.Id}}' ex)
	B exec ex cat /proc/self/cgroup | grep -q "memory:/berth/$id\$"
	for f in CapEff CapBnd Seccomp NoNewPrivs; do
		[ "$(B exec ex grep "^$f:" /proc/self/status)" = "$(grep "^$f:" /proc/$pid/status)" ]
	done
	# --privileged: every capability this host has.
	[ "$(B exec --privileged ex grep ^CapEff: /proc/self/status | cut -f2)" = "$(grep ^CapBnd: /proc/self/status | cut -f2)" ]
	# Its pid 1 is the container's init; its rootfs the container's.
	[ "$(B exec ex cat /proc/1/cmdline | tr '\0' ' ')" = "$(tr '\0' ' ' </proc/$pid/cmdline)" ]
	for i in $(seq 20); do B exec ex test -f /marker && break; sleep 0.1; done
	[ "$(B exec ex cat /marker)" = hi ]
	run B exec ex sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[[ "$output" == *out* ]] && [[ "$output" == *err* ]]
	run B exec -e FOO=bar -e FROMRUN=2 -w /tmp -u nobody ex sh -c 'echo $FOO $FROMRUN $PATH; pwd; id -u'
	[ "${lines[0]}" = "bar 2 /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 65534 ]
	[ "$(B exec ex sh -c 'echo $FROMRUN')" = 1 ]
	# stdin only with -i.
	run sh -c "echo piped | $BERTH --root $ROOT --runroot $RUNROOT exec -i ex cat"
	[ "$output" = piped ]
	run sh -c "echo piped | $BERTH --root $ROOT --runroot $RUNROOT exec ex cat"
	[ -z "$output" ]
	run B exec -t ex sh -c 'tty; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == /dev/pts/* ]]
	# -d returns at once; the process runs on in the container.
	run B exec -d ex sh -c 'sleep 0.5; touch /detached'
	[ "$status" -eq 0 ] && [ -z "$output" ]
	for i in $(seq 30); do B exec ex test -f /detached && break; sleep 0.1; done
	B exec ex test -f /detached
	run -127 B exec ex nosuchcmd
	[ "$status" -eq 127 ]
	[ "${#lines[@]}" -eq 1 ]
	run B exec ex /etc
	[ "$status" -eq 126 ]
	run B exec -u nosuchuser ex true
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	B rm -f ex >/dev/null
	assert_clean
}

@test "attach: the output until the exit, and the exit code" {
	B run -d --name at $IMG sh -c 'sleep 1; echo late; echo e >&2; exit 6' >/dev/null
	run B attach at
	[ "$status" -eq 6 ]
	[[ "$output" == *late* ]] && [[ "$output" == *e* ]]
	run B attach at
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot attach to a stopped container"* ]]
	# Signals to attach reach the container, unless --sig-proxy=false.
	# (SIGTERM there: a background job starts with SIGINT ignored.)
	B run -d --name sig $IMG sh -c 'trap "echo got-int; exit 7" INT; trap "echo got-term" TERM; while true; do sleep 0.1; done' >/dev/null
	wait_status sig running
	"$BERTH" --root "$ROOT" --runroot "$RUNROOT" attach --sig-proxy=false sig &
	ap=$!
	sleep 0.5
	kill -TERM $ap
	wait_job $ap || true
	[ "$(B inspect -f '{{.State.Status}}' sig)" = running ]
	[ -z "$(B logs sig)" ]
	"$BERTH" --root "$ROOT" --runroot "$RUNROOT" attach sig >"$TEST_TMP/att" &
	ap=$!
	sleep 0.5
	kill -INT $ap
	rc=0
	wait_job $ap || rc=$?
	[ "$rc" -eq 7 ]
	[ "$(cat "$TEST_TMP/att")" = got-int ]
	B create -i --name ai $IMG sh -c 'read l; echo "<$l>"' >/dev/null
	B start ai >/dev/null
	run sh -c "echo typed | $BERTH --root $ROOT --runroot $RUNROOT attach ai"
	[ "$output" = "<typed>" ]
	B rm at ai sig >/dev/null
	assert_clean
}

@test "attach and run -it: typing reaches the shell; the detach keys leave it running" {
	B run -dit --name tty1 $IMG sh >/dev/null
	term_start "$BERTH --root $ROOT --runroot $RUNROOT attach tty1"
	sleep 0.3
	tmux -L "$TMUX_SOCK" send-keys -t t 'echo hello-$((40+2))' Enter
	term_wait hello-42
	# ctrl-p alone, then another key, goes through (busybox sh: history).
	tmux -L "$TMUX_SOCK" send-keys -t t C-p
	sleep 0.2
	tmux -L "$TMUX_SOCK" send-keys -t t C-q
	term_wait RC=0
	[ "$(B inspect -f '{{.State.Status}}' tty1)" = running ]
	tmux -L "$TMUX_SOCK" kill-server
	# run -it detaches the same way; --detach-keys on attach chooses others.
	term_start "$BERTH --root $ROOT --runroot $RUNROOT run -it --name tty2 $IMG sh"
	term_wait '/ #'
	tmux -L "$TMUX_SOCK" send-keys -t t C-p C-q
	term_wait RC=0
	[ "$(B inspect -f '{{.State.Status}}' tty2)" = running ]
	tmux -L "$TMUX_SOCK" kill-server
	term_start "$BERTH --root $ROOT --runroot $RUNROOT attach --detach-keys ctrl-x,x tty2"
	sleep 0.3
	tmux -L "$TMUX_SOCK" send-keys -t t C-p C-q 'echo still-$((1+1))' Enter
	term_wait still-2
	tmux -L "$TMUX_SOCK" send-keys -t t C-x x
	term_wait RC=0
	# exit in the shell ends the container and attach with its code.
	tmux -L "$TMUX_SOCK" kill-server
	term_start "$BERTH --root $ROOT --runroot $RUNROOT attach tty2"
	sleep 0.3
	tmux -L "$TMUX_SOCK" send-keys -t t 'exit 3' Enter
	term_wait RC=3
	[ "$(B inspect -f '{{.State.Status}} {{.State.ExitCode}}' tty2)" = "exited 3" ]
	# exec -it: a shell of its own on a pty, its exit code back.
	tmux -L "$TMUX_SOCK" kill-server
	term_start "$BERTH --root $ROOT --runroot $RUNROOT exec -it tty1 sh"
	term_wait '/ #'
	tmux -L "$TMUX_SOCK" send-keys -t t 'tty; exit 4' Enter
	term_wait RC=4
	tmux -L "$TMUX_SOCK" capture-pane -t t -p | grep -q '^/dev/pts/'
	run B attach --detach-keys ctrl-bogus tty1
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid detach keys "ctrl-bogus"'* ]]
	# Its shell names the root: gone before assert_clean looks.
	tmux -L "$TMUX_SOCK" kill-server
	B rm -f tty1 tty2 >/dev/null
	assert_clean
}

@test "inspect: Docker's document, -f templates, several at once" {
	id=$(B run -d --name insp -e A=1 -l k=v --memory 64m -w /tmp $IMG sleep 60)
	run B inspect insp
	[ "$status" -eq 0 ]
	doc=$output
	j() { echo "$doc" | jq -r ".[0]$1"; }
	[ "$(echo "$doc" | jq length)" = 1 ]
	[ "$(j .Id)" = "$id" ]
	[ "$(j .Name)" = /insp ]
	[ "$(j .State.Status)" = running ]
	[ "$(j .State.Running)" = true ]
	[ "$(j .State.Paused)" = false ]
	[ "$(j .State.OOMKilled)" = false ]
	[ "$(j .State.Pid)" -gt 1 ]
	[ -d /proc/$(j .State.Pid) ]
	[ "$(j .State.ExitCode)" = 0 ]
	[[ "$(j .State.StartedAt)" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
	[ "$(j .State.FinishedAt)" = "0001-01-01T00:00:00Z" ]
	[[ "$(j .Created)" =~ ^20[0-9-]+T[0-9:.]+Z$ ]]
	[ "$(j .Path)" = sleep ]
	[ "$(j '.Args[0]')" = 60 ]
	[[ "$(j .Image)" == sha256:* ]]
	[ "$(j .Config.Image)" = $IMG ]
	[ "$(j .Config.Hostname)" = "${id:0:12}" ]
	[ "$(j .Config.WorkingDir)" = /tmp ]
	[ "$(j .Config.Labels.k)" = v ]
	# Config is the merged one, Docker's order: the -e, then the image's PATH.
	[ "$(j '.Config.Env | join(",")')" = "A=1,PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
	[ "$(j '.Config.Cmd | join(" ")')" = "sleep 60" ]
	[ "$(j .HostConfig.Memory)" = 67108864 ]
	[ "$(j .HostConfig.RestartPolicy.Name)" = no ]
	[ "$(j '.Mounts | length')" = 0 ]
	[ -f "$(j .LogPath)" ]
	# The files behind its /etc/hosts, /etc/hostname, /etc/resolv.conf.
	[ "$(cat "$(j .HostnamePath)")" = "${id:0:12}" ]
	[ "$(B exec insp cat /etc/hosts)" = "$(cat "$(j .HostsPath)")" ]
	[ -f "$(j .ResolvConfPath)" ]
	# Its layers: what it writes lands in UpperDir, over the image's.
	[ "$(j .GraphDriver.Name)" = "$(j .Driver)" ]
	B exec insp sh -c 'echo w > /written'
	[ "$(cat "$(j .GraphDriver.Data.UpperDir)/written")" = w ]
	[ -x "$(j .GraphDriver.Data.LowerDir | cut -d: -f1)/bin/busybox" ]
	[ "$(readlink "$(j .NetworkSettings.SandboxKey)")" = "$(B exec insp readlink /proc/self/ns/net)" ]
	# Nothing of berth's own bookkeeping.
	[ "$(j .Berth)" = null ]
	run B inspect -f '{{.State.Status}} {{.State.Running}} {{.Config.Labels.k}}' insp
	[ "$output" = "running true v" ]
	run B inspect -f '{{json .State.Running}}' insp
	[ "$output" = true ]
	run B inspect --format '{{.Name}}' insp $id
	[ "${lines[*]}" = "/insp /insp" ]
	B stop -t 0 insp >/dev/null
	run B inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}' insp
	[ "$output" = "exited 137 0" ]
	[[ "$(B inspect -f '{{.State.FinishedAt}}' insp)" =~ ^20[0-9-]+T ]]
	# The image's Cmd when none is given.
	B create --name dflt $IMG >/dev/null
	[ "$(B inspect -f '{{json .Config.Cmd}}' dflt)" = '["sh"]' ]
	# An image when no container has the name; --type picks one.
	[ "$(B inspect -f '{{index .RepoTags 0}}' $IMG)" = $IMG ]
	run B inspect --type container $IMG
	[ "$status" -eq 1 ]
	run B container inspect $IMG
	[ "$status" -eq 1 ]
	[ "$(B inspect --type container -f '{{.Name}}' insp)" = /insp ]
	run B inspect insp nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such object: nosuch"* ]]
	B rm insp dflt >/dev/null
	assert_clean
}

@test "top: the container's processes; pause freezes them, unpause thaws" {
	id=$(B run -d --name pz $IMG sh -c 'i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.1; done')
	wait_status pz running
	run B top pz
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == UID*PID*CMD ]]
	[[ "$output" == *"sh -c i=0"* ]]
	run B top pz -o pid,comm
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	[[ "$output" == *" sh"* ]]
	run B pause pz
	[ "$output" = pz ]
	[ "$(B inspect -f '{{.State.Status}} {{.State.Paused}} {{.State.Running}}' pz)" = "paused true true" ]
	run B ps --filter status=paused --format '{{.Names}} {{.Status}}'
	[[ "$output" == "pz Up "*" (Paused)" ]]
	[ "$(cat /sys/fs/cgroup/freezer/berth/$id/freezer.state)" = FROZEN ]
	pid=$(B inspect -f '{{.State.Pid}}' pz)
	a=$(cat /proc/$pid/root/count)
	sleep 0.5
	[ "$(cat /proc/$pid/root/count)" = "$a" ]
	run B exec pz true
	[ "$status" -ne 0 ]
	[[ "$output" == *paused* ]]
	run B pause pz
	[ "$status" -eq 1 ]
	run B start pz
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start a paused container, try unpause instead"* ]]
	B unpause pz
	[ "$(B inspect -f '{{.State.Status}}' pz)" = running ]
	sleep 0.5
	[ "$(cat /proc/$pid/root/count)" != "$a" ]
	run B unpause pz
	[ "$status" -eq 1 ]
	# A paused container stops all the same.
	B pause pz
	B stop -t 1 pz
	[ "$(B inspect -f '{{.State.Status}}' pz)" = exited ]
	run B top pz
	[ "$status" -ne 0 ]
	B rm pz >/dev/null
	assert_no_cgroup $id
	assert_clean
}

@test "rename: the new name finds it, the old is free, a taken one conflicts" {
	id=$(B run -d --name old $IMG sleep 60)
	B create --name other $IMG true >/dev/null
	B rename old new
	[ "$(B inspect -f '{{.Name}}' new)" = /new ]
	run B inspect old
	[ "$status" -ne 0 ]
	run B ps --format '{{.Names}}'
	[ "$output" = new ]
	run B rename new other
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'"/other" is already in use'* ]]
	run B rename new 'bad name'
	[ "$status" -ne 0 ]
	[ "$(B inspect -f '{{.Name}}' $id)" = /new ]
	# The old name is free again.
	B create --name old $IMG true >/dev/null
	B rm -f new other old >/dev/null
	assert_clean
}

@test "stats: memory, limit, pids, CPU from the cgroup; --no-stream, streaming, formats" {
	# 20 MB in its tmpfs /dev/shm is charged to its memory cgroup.
	B run -d --name st --memory 64m $IMG sh -c 'head -c 20000000 /dev/zero > /dev/shm/f; sleep 60 & sleep 60 & wait' >/dev/null
	B run -d --name tt $IMG sleep 60 >/dev/null
	for i in $(seq 20); do [ "$(B top st -o pid= | wc -l)" -ge 3 ] && break; sleep 0.1; done
	run B stats --no-stream st
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "CONTAINER ID"*NAME*"CPU %"*"MEM USAGE / LIMIT"*"MEM %"*PIDS ]]
	[[ "${lines[1]}" == *" st "*"/ 64MiB"*" 3" ]]
	run B stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}'
	[ "${#lines[@]}" -eq 2 ]
	[[ "$output" == *"st 3 "*"iB / 64MiB"* ]]
	[[ "$output" == *"tt 1 "* ]]
	run B stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}' st
	[ "${lines[0]}" = "NAME      PIDS" ]
	[ "${lines[1]}" = "st        3" ]
	id=$(B inspect -f '{{.Id}}' st)
	[ "$(B stats --no-stream --format '{{.ID}}' st)" = "${id:0:12}" ]
	[ "$(B stats --no-stream --no-trunc --format '{{.ID}}' st)" = "$id" ]
	run B stats --no-stream --format json st
	[ "$(echo "$output" | jq -r .Name)" = st ]
	[ "$(echo "$output" | jq -r .PIDs)" = 3 ]
	[[ "$(echo "$output" | jq -r .CPUPerc)" =~ ^[0-9.]+%$ ]]
	[[ "$(echo "$output" | jq -r .MemPerc)" =~ ^[0-9.]+%$ ]]
	mib=$(echo "$output" | jq -r .MemUsage | sed -n 's|^\([0-9.]*\)MiB / 64MiB$|\1|p')
	[ -n "$mib" ] && [ "${mib%.*}" -ge 19 ] && [ "${mib%.*}" -lt 40 ]
	# CPU % is measured: a busy loop shows, an idle sleep doesn't.
	B run -d --name busy $IMG sh -c 'while :; do :; done' >/dev/null
	cpu=$(B stats --no-stream --format '{{.CPUPerc}}' busy)
	[ "${cpu%%.*}" -ge 10 ]
	[ "$(B stats --no-stream --format '{{.CPUPerc}}' tt)" = "0.00%" ]
	B rm -f busy >/dev/null
	# Without --no-stream: a row a second until interrupted.
	run timeout 2.5 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" stats --format '{{.Name}} {{.PIDs}}' st
	[ "$status" -eq 124 ]
	[ "${#lines[@]}" -ge 2 ] && [ "${lines[0]}" = "st 3" ] && [ "${lines[1]}" = "st 3" ]
	# Only running ones, unless -a.
	B stop -t 0 tt >/dev/null
	run B stats --no-stream --format '{{.Name}}'
	[ "$output" = st ]
	run B stats --no-stream -a --format '{{.Name}}'
	[ "${#lines[@]}" -eq 2 ]
	B rm -f st tt >/dev/null
	assert_clean
}

# Wait (up to ~5 s) for process $1 to be gone (or a zombie).
wait_gone() {
	local i
	for i in $(seq 50); do
		[ -e /proc/$1 ] && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ] || return 0
		sleep 0.1
	done
	echo "process $1 is still there"
	return 1
}

@test "a killed monitor: exited (255), and start, stop, kill and rm clear what it left" {
	id=$(B run -d --name orphan $IMG sleep 300)
	pid=$(B inspect -f '{{.State.Pid}}' orphan)
	kill -9 "$(jq -r .Berth.MonitorPid "$ROOT/containers/$id/container.json")"
	run B inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}' orphan
	[ "$output" = "exited 255 the container's monitor is gone" ]
	# start kills the leftover process and runs a new one.
	B start orphan
	wait_gone $pid
	[ "$(B inspect -f '{{.State.Status}}' orphan)" = running ]
	pid=$(B inspect -f '{{.State.Pid}}' orphan)
	[ "$pid" -gt 0 ]
	kill -9 "$(jq -r .Berth.MonitorPid "$ROOT/containers/$id/container.json")"
	# stop kills it too, and unmounts; the record stays.
	B stop orphan
	wait_gone $pid
	[ "$(B inspect -f '{{.State.Status}} {{.State.ExitCode}}' orphan)" = "exited 255" ]
	run grep -F "$id" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	[ ! -e "$RUNROOT/runtime/$id" ]
	# kill, too.
	B start orphan
	pid=$(B inspect -f '{{.State.Pid}}' orphan)
	kill -9 "$(jq -r .Berth.MonitorPid "$ROOT/containers/$id/container.json")"
	B kill orphan
	wait_gone $pid
	[ ! -e "$RUNROOT/runtime/$id" ]
	B rm orphan >/dev/null
	assert_no_cgroup $id
	assert_clean
}

@test "container prune: removes the stopped, keeps the running" {
	B run --name gone1 $IMG sh -c 'head -c 100000 /dev/zero > /f'
	B create --name gone2 $IMG true >/dev/null
	B run -d --name stays $IMG sleep 60 >/dev/null
	id1=$(B inspect -f '{{.Id}}' gone1)
	# ps -s: what it wrote, and that over its image.
	[[ "$(B ps -as --filter name=gone1 --format '{{.Size}}')" == "100kB (virtual 1."*"MB)" ]]
	[[ "$(B ps -as --filter name=gone1 | tail -1)" == *"gone1"*"100kB (virtual 1."*"MB)" ]]
	run B container prune -f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Containers:" ]
	[[ "$output" == *"$id1"* ]]
	# What gone1's writable layer held.
	[ "${lines[-1]}" = "Total reclaimed space: 100kB" ]
	run B ps -a --format '{{.Names}}'
	[ "$output" = stays ]
	B rm -f stays >/dev/null
	assert_clean
}

@test "run -d: 20 at once from different shells, unique IDs and names; a name conflict is 125" {
	for i in $(seq 20); do
		# errexit is on in bats: keep the status, not the subshell's end.
		(
			rc=0
			B run -d $IMG sleep 60 >"$TEST_TMP/out.$i" 2>"$TEST_TMP/err.$i" || rc=$?
			echo $rc >"$TEST_TMP/rc.$i"
		) &
	done
	wait
	[ "$(cat "$TEST_TMP"/rc.* | sort -u)" = 0 ]
	[ -z "$(cat "$TEST_TMP"/err.*)" ]
	[ "$(cat "$TEST_TMP"/out.* | sort -u | wc -l)" -eq 20 ]
	run B ps --format '{{.Names}}'
	[ "${#lines[@]}" -eq 20 ]
	[ "$(B ps --format '{{.Names}}' | sort -u | wc -l)" -eq 20 ]
	[ "$(B ps --format '{{.State}}' | sort -u)" = running ]
	# Stop, start and remove them all at once, too.
	ids=$(B ps -q)
	for id in $ids; do B stop -t 0 $id >/dev/null & done
	wait
	[ "$(B ps -a --format '{{.State}}' | sort -u)" = exited ]
	for id in $ids; do B start $id >/dev/null & done
	wait
	[ "$(B ps --format '{{.State}}' | sort -u | tr '\n' ' ')" = "running " ]
	[ "$(B ps -q | wc -l)" -eq 20 ]
	# Five at once under one name: one wins, four fail cleanly.
	for i in $(seq 5); do
		(
			rc=0
			B run -d --name same $IMG sleep 60 >/dev/null 2>"$TEST_TMP/cerr.$i" || rc=$?
			echo $rc >"$TEST_TMP/crc.$i"
		) &
	done
	wait
	[ "$(cat "$TEST_TMP"/crc.* | sort | tr '\n' ' ')" = "0 125 125 125 125 " ]
	[ "$(cat "$TEST_TMP"/cerr.* | wc -l)" -eq 4 ]
	grep -q 'Conflict. The container name "/same" is already in use' "$TEST_TMP"/cerr.*
	[ "$(B ps -a | wc -l)" -eq 22 ]
	for id in $(B ps -aq); do B rm -f $id >/dev/null & done
	wait
	assert_clean
}
