#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth build: instructions, history, config, context forms.
load build-common

setup() { build_setup; }
teardown() { build_teardown; }

@test "build: COPY, RUN, WORKDIR, USER and the config instructions" {
	import_bb
	echo hello >"$CTX/hello.txt"
	mkdir -p "$CTX/sub/dir"
	echo deep >"$CTX/sub/dir/f"
	ln -s hello.txt "$CTX/sub/link"
	cat >"$CTX/Dockerfile" <<'DF'
FROM bb
ARG GREETING=hi
ENV A=1 B="two words"
WORKDIR /app
COPY hello.txt .
COPY sub ./sub/
RUN echo "$GREETING $A $B" > out && id -u > uid
USER user:extra
WORKDIR work
RUN id > /tmp/id-as-user && touch mine
LABEL org.example.k="v 1"
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD wget -q -O- localhost || exit 1
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/out"]
MAINTAINER someone
DF
	run B build -t built:1 --label extra=yes "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"naming to docker.io/library/built:1 done"* ]]
	run B image inspect built:1
	[ "$status" -eq 0 ]
	local cfg
	cfg=$(jq -c '.[0].Config' <<<"$output")
	[ "$(jq -r .User <<<"$cfg")" = "user:extra" ]
	[ "$(jq -r .WorkingDir <<<"$cfg")" = "/app/work" ]
	[ "$(jq -c .Env <<<"$cfg")" = '["A=1","B=two words"]' ] ||
		[ "$(jq -r '.Env | index("A=1")' <<<"$cfg")" != null ]
	[ "$(jq -r '.Labels["org.example.k"]' <<<"$cfg")" = "v 1" ]
	[ "$(jq -r '.Labels.extra' <<<"$cfg")" = "yes" ]
	[ "$(jq -c '.ExposedPorts | keys' <<<"$cfg")" = '["53/udp","80/tcp"]' ]
	[ "$(jq -c '.Volumes | keys' <<<"$cfg")" = '["/data"]' ]
	[ "$(jq -r .StopSignal <<<"$cfg")" = SIGINT ]
	[ "$(jq -c .Healthcheck <<<"$cfg")" = '{"Interval":5000000000,"Retries":4,"Test":["CMD-SHELL","wget -q -O- localhost || exit 1"],"Timeout":2000000000}' ]
	[ "$(jq -c .Entrypoint <<<"$cfg")" = '["/bin/sh","-c"]' ]
	[ "$(jq -c .Cmd <<<"$cfg")" = '["cat /app/out"]' ]
	run B image inspect --format '{{.Author}}' built:1
	[ "$output" = someone ]

	# history: one entry per step, layers only for the steps that made one
	run B history --no-trunc built:1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"MAINTAINER someone"* ]]
	[[ "$output" == *'RUN |1 GREETING=hi /bin/sh -c echo "$GREETING $A $B" > out && id -u > uid # buildkit'* ]]
	# the config's history: one entry per step, a layer only where one was made
	local id
	id=$(B image inspect --format '{{.Id}}' built:1)
	run jq -r '.history[] | "\(.created_by)|\(.empty_layer // false)"' "$ROOT/blobs/sha256/${id#sha256:}"
	echo "$output"
	[ "${#lines[@]}" -eq 18 ] # the base's one, then 17 steps (FROM records none)
	[ "${lines[1]}" = "ARG GREETING=hi|true" ]
	[ "${lines[2]}" = 'ENV A=1 B="two words"|true' ]
	[ "${lines[3]}" = "WORKDIR /app|false" ]
	[ "${lines[4]}" = "COPY hello.txt .|false" ]
	[ "${lines[7]}" = "USER user:extra|true" ]
	[ "${lines[8]}" = "WORKDIR work|false" ]
	[ "${lines[17]}" = "MAINTAINER someone|true" ]
	run jq '.rootfs.diff_ids | length' "$ROOT/blobs/sha256/${id#sha256:}"
	[ "$output" -eq 7 ]

	# The result, in a container: files, owners, the user and workdir.
	run_in built:1 'cat /app/out /app/uid /tmp/id-as-user; pwd; ls -ln /app/work/mine /app/hello.txt; readlink /app/sub/link; cat /app/sub/dir/f'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hi 1 two words"* ]]
	[[ "$output" == *"uid=1000(user) gid=1001(extra)"* ]]
	[[ "$output" == *"/app/work"* ]]
	[[ "$output" == *" 1000 "*" 1001 "*"/app/work/mine"* ]]
	[[ "$output" == *" 0 "*" 0 "*"/app/hello.txt"* ]]
	[[ "$output" == *"deep"* ]]
	grep -qx "hello.txt" <<<"$output"
	assert_nothing_left
}

@test "build: FROM scratch with the alpine fixture's own Dockerfile" {
	cp "$FIXTURES/images/rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz" "$CTX/"
	cp "$FIXTURES/images/rootfs/alpine-3.20.3-x86_64.Dockerfile" "$TEST_TMP/alpine.Dockerfile"
	run B build -t alpine:built -f "$TEST_TMP/alpine.Dockerfile" "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run B image inspect alpine:built
	[ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh"]' ]
	[ "$(jq '.[0].RootFS.Layers | length' <<<"$output")" = 1 ]
	run_in alpine:built 'cat /etc/alpine-release; apk --version'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"3.20.3"* ]]
	[[ "$output" == *"apk-tools"* ]]
}

@test "build: the context from stdin and as a tarball, -f - and -q, --iidfile" {
	echo data >"$CTX/f"
	printf 'FROM busybox:1.38.0-musl\nCOPY f /f\n' >"$CTX/Dockerfile"
	run bash -c "tar -C '$CTX' -c . | '$BERTH' --root '$ROOT' --runroot '$RUNROOT' build -q -t s:1 -"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	tar -C "$CTX" -czf "$TEST_TMP/ctx.tgz" .
	run B build -q --iidfile "$TEST_TMP/iid" "$TEST_TMP/ctx.tgz"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/iid")" = "$output" ]
	run bash -c "printf 'FROM busybox:1.38.0-musl\nCOPY f /g\n' | '$BERTH' --root '$ROOT' --runroot '$RUNROOT' build -q -f - '$CTX'"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256: ]]
	run_in "$output" 'cat /g'
	[[ "$output" == *data* ]]
	# `build - < Dockerfile`: no context at all
	printf 'FROM busybox:1.38.0-musl\nRUN echo no-context > /nc\n' >"$TEST_TMP/Dockerfile.nc"
	run bash -c "'$BERTH' --root '$ROOT' --runroot '$RUNROOT' build -t nc - <'$TEST_TMP/Dockerfile.nc'"
	[ "$status" -eq 0 ]
	run_in nc 'cat /nc'
	[ "$output" = no-context ]
}

@test "build: symlinks in the context are copied as links, never followed out" {
	mkdir -p "$CTX/d"
	ln -s /etc/shadow "$CTX/d/abs"
	ln -s ../../../../etc/passwd "$CTX/d/rel"
	printf 'FROM busybox:1.38.0-musl\nCOPY d /d/\n' >"$CTX/Dockerfile"
	run B build -t links "$CTX"
	[ "$status" -eq 0 ]
	run_in links 'readlink /d/abs; readlink /d/rel; test -L /d/abs && echo islink'
	echo "$output"
	[[ "$output" == *"/etc/shadow"* ]]
	[[ "$output" == *"../../../../etc/passwd"* ]]
	[[ "$output" == *islink* ]]
	# A source that is such a link resolves inside the context only.
	ln -s /etc/hostname "$CTX/out"
	printf 'FROM busybox:1.38.0-musl\nCOPY out /x\n' >"$CTX/Dockerfile"
	run B build "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not found in the build context"* ]]
}

@test "build: build args, global ARG in FROM, predefined ARGs and the unused warning" {
	cat >"$CTX/Dockerfile" <<'DF'
ARG BASE=busybox:1.38.0-musl
FROM --platform=$BUILDPLATFORM $BASE
ARG BASE
ARG V=default
ARG TARGETPLATFORM
RUN echo "base=$BASE v=$V platform=$TARGETPLATFORM" > /args
DF
	run B build -t a1 -t other/name:tag --build-arg V=given --build-arg NOPE=1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"[Warning] One or more build-args [NOPE] were not consumed"* ]]
	[ "$(B image inspect --format '{{.Id}}' a1)" = "$(B image inspect --format '{{.Id}}' other/name:tag)" ]
	run_in a1 'cat /args'
	[[ "$output" == *"base=busybox:1.38.0-musl v=given platform=linux/amd64"* ]]
	# ARGs are not in the image's config
	run B image inspect --format '{{json .Config.Env}}' a1
	[[ "$output" != *"V=given"* ]]
}

@test "build: --platform other than linux/amd64 is a clear error" {
	printf 'FROM busybox:1.38.0-musl\n' >"$CTX/Dockerfile"
	run B build --platform linux/arm64 "$CTX"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "berth: --platform linux/arm64: berth builds linux/amd64 images only" ]
	run B build --platform linux/amd64 -q "$CTX"
	[ "$status" -eq 0 ]
	printf 'FROM --platform=linux/arm64 busybox:1.38.0-musl\n' >"$CTX/Dockerfile"
	run B build -t plat "$CTX"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${lines[-1]}" = "berth: step 1/1 FROM --platform=linux/arm64 busybox:1.38.0-musl: FROM --platform=linux/arm64: berth builds linux/amd64 only" ]
	printf 'FROM --platform=linux/amd64 busybox:1.38.0-musl\n' >"$CTX/Dockerfile"
	run B build -q "$CTX"
	[ "$status" -eq 0 ]
	assert_nothing_left
}

@test "build: --progress tty is a live view on a terminal; auto is plain when piped" {
	require_cmd script
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ENV A=1
RUN for i in 1 2 3 4 5 6 7 8; do echo "line $i"; sleep 0.1; done
DF
	# a terminal (script's pty), 80 columns
	run script -qec "stty cols 80; $BERTH --root $ROOT --runroot $RUNROOT build --progress tty -t p:1 $CTX" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	local clean
	clean=$(tr -d '\r' <<<"$output")
	# the running step with the last lines of its output, redrawn in place
	[[ "$clean" == *"  | line 1"* ]]
	grep -q $'\e\\[[0-9]A\e\\[J#3 \\[stage-0 3/3\\] RUN for i' <<<"$clean"
	# each finished step is one line, no row of the view wider than the
	# terminal (the image's plain lines after it may be)
	grep -q $'\e\\[J#1 \\[stage-0 1/3\\] FROM busybox:1.38.0-musl  DONE [0-9.]*s$' <<<"$clean"
	grep -q $'\e\\[J#3 \\[stage-0 3/3\\] RUN for i in.*  DONE [0-9.]*s$' <<<"$clean"
	[ -z "$(sed 's/\x1b\[[0-9]*[AJ]//g' <<<"$clean" | grep -E '^(#[0-9]+ \[|  \| )' | awk 'length > 79')" ]
	# the default on a terminal is the same view, CACHED on the step's line
	run script -qec "$BERTH --root $ROOT --runroot $RUNROOT build -t p:1 $CTX" /dev/null
	[ "$status" -eq 0 ]
	[ "$(tr -d '\r' <<<"$output" | grep -c '  CACHED$')" -eq 3 ]
	# a failed step stays, marked ERROR, with its output's last lines
	printf 'FROM busybox:1.38.0-musl\nRUN echo out; echo err >&2; exit 3\n' >"$CTX/Dockerfile"
	run script -qec "$BERTH --root $ROOT --runroot $RUNROOT build --progress tty -t p:2 $CTX" /dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	clean=$(tr -d '\r' <<<"$output")
	[[ "$clean" == *"RUN echo out; echo err >&2; exit 3  ERROR"$'\n'"  | out"$'\n'"  | err"$'\n'"berth: step 2/2 RUN echo out; echo err >&2; exit 3: exited with status 3" ]]
	assert_nothing_left
	# piped: auto is plain; tty asked for is an error
	run B build --progress auto "$CTX"
	[ "${lines[2]}" = "#2 [stage-0 2/2] RUN echo out; echo err >&2; exit 3" ]
	[ "${lines[3]}" = "out" ]
	[ "${lines[4]}" = "err" ]
	[[ "$output" != *$'\e'* ]]
	run B build --progress tty "$CTX"
	[ "$status" -ne 0 ]
	[ "$output" = "berth: build: --progress tty: stderr is not a terminal (see 'berth build --help')" ]
	run B build --progress fancy "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--progress fancy: auto, plain or tty"* ]]
}

@test "build: RUN's deletions become whiteouts; an unchanged RUN adds no layer" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
RUN mkdir -p /d/sub && echo x > /d/sub/f && echo y > /d/keep
RUN rm -rf /d/sub /bin/ls
RUN true
DF
	run B build -t wh "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in wh 'for p in /d/sub /bin/ls /bin/cat; do test -e $p && echo "has $p" || echo "no $p"; done; cat /d/keep'
	echo "$output"
	[ "$output" = "$(printf 'no /d/sub\nno /bin/ls\nhas /bin/cat\ny')" ]
	# base layer + 2: `RUN true` changed nothing, so it has no layer
	run B image inspect wh
	[ "$(jq '.[0].RootFS.Layers | length' <<<"$output")" -eq 3 ]
	local id
	id=$(B image inspect --format '{{.Id}}' wh)
	run jq -r '.history[-1] | "\(.created_by)|\(.empty_layer)"' "$ROOT/blobs/sha256/${id#sha256:}"
	[ "$output" = "RUN /bin/sh -c true # buildkit|true" ]
	# the image has no /proc or /sys: the mount points the runtime made
	# for the RUNs are no part of their layers
	local l
	for l in $(B image inspect wh | jq -r '.[0].RootFS.Layers[1:][]'); do
		run tar -tf "$ROOT/blobs/sha256/${l#sha256:}"
		echo "$output"
		[[ "$output" != *"proc/"* ]]
		[[ "$output" != *"sys/"* ]]
	done
}

@test "build: RUN on a scratch image gets /etc/hosts and leaves no mount stubs behind" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM scratch
COPY --from=busybox:1.38.0-musl /bin/busybox /busybox
RUN ["/busybox", "sh", "-c", "/busybox cat /etc/hosts /etc/hostname > /seen"]
DF
	run B build -t scr "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	local l
	l=$(B image inspect scr | jq -r '.[0].RootFS.Layers[-1]')
	run tar -tf "$ROOT/blobs/sha256/${l#sha256:}"
	echo "$output"
	[ "$output" = seen ]
	l=$(B image inspect scr | jq -r '.[0].RootFS.Layers | length')
	[ "$l" -eq 2 ]
	run bash -c "tar -xOf '$ROOT/blobs/sha256/$(B image inspect scr | jq -r '.[0].RootFS.Layers[-1]' | cut -d: -f2)' seen"
	[[ "$output" == *"127.0.0.1"*"localhost"* ]] || [[ "$output" == *"localhost"* ]]
	[[ "$output" == *buildkitsandbox* ]]
}
