#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# COPY's rules (wildcards, file or directory, the trailing slash, --chown,
# --chmod), SHELL and the exec form of RUN, checked in the built image
# with `berth run`.
load build-common

setup() { build_setup; }
teardown() { build_teardown; }

@test "COPY: wildcards, file or directory, the trailing slash, relative to WORKDIR" {
	echo a >"$CTX/a.txt"
	echo b >"$CTX/b.txt"
	echo c >"$CTX/c.md"
	mkdir -p "$CTX/dir/sub"
	echo x >"$CTX/dir/x"
	echo y >"$CTX/dir/sub/y"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
COPY a.txt /f1
COPY a.txt /d1/
RUN mkdir /exist
COPY a.txt /exist
COPY *.txt /w/
COPY ?.md /w2/
COPY [ab].txt /w3/
COPY dir /dd
COPY dir/ /dd2/
COPY a.txt c.md /m/
WORKDIR /app
COPY a.txt rel/
COPY dir/sub/y ./
DF
	run B build -t cp:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in cp:1 'cd /; for p in f1 d1 exist w w2 w3 dd dd2 m app app/rel; do
		if [ -d $p ]; then echo "$p/: $(ls $p | tr "\n" " ")"; else echo "$p: $(cat $p)"; fi
	done; ls dd/sub'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "f1: a" ]
	[ "${lines[1]}" = "d1/: a.txt " ]
	[ "${lines[2]}" = "exist/: a.txt " ]
	[ "${lines[3]}" = "w/: a.txt b.txt " ]
	[ "${lines[4]}" = "w2/: c.md " ]
	[ "${lines[5]}" = "w3/: a.txt b.txt " ]
	# a directory's contents, not the directory itself
	[ "${lines[6]}" = "dd/: sub x " ]
	[ "${lines[7]}" = "dd2/: sub x " ]
	[ "${lines[8]}" = "m/: a.txt c.md " ]
	[ "${lines[9]}" = "app/: rel y " ]
	[ "${lines[10]}" = "app/rel/: a.txt " ]
	[ "${lines[11]}" = "y" ]
	assert_nothing_left
}

@test "COPY: --chown by id and by name, --chmod on files and directories" {
	import_bb
	echo a >"$CTX/a.txt"
	chmod 600 "$CTX/a.txt"
	mkdir -p "$CTX/dir/sub"
	echo x >"$CTX/dir/sub/x"
	cat >"$CTX/Dockerfile" <<'DF'
FROM bb
COPY a.txt /plain
COPY --chown=1000:1001 --chmod=640 a.txt /owned
COPY --chown=user:extra dir /named/
COPY --chmod=751 dir /modes/
ARG OWNER=user
COPY --chown=$OWNER a.txt /byarg
DF
	run B build -t own:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in own:1 'stat -c "%n %a %u:%g" /plain /owned /named /named/sub /named/sub/x /modes /modes/sub /modes/sub/x /byarg'
	echo "$output"
	[ "$status" -eq 0 ]
	# context files are root's, with their own mode
	[ "${lines[0]}" = "/plain 600 0:0" ]
	[ "${lines[1]}" = "/owned 640 1000:1001" ]
	# names from the image's /etc/passwd and /etc/group
	[ "${lines[2]}" = "/named 755 1000:1001" ]
	[ "${lines[3]}" = "/named/sub 755 1000:1001" ]
	[ "${lines[4]}" = "/named/sub/x 644 1000:1001" ]
	[ "${lines[5]}" = "/modes 751 0:0" ]
	[ "${lines[6]}" = "/modes/sub 751 0:0" ]
	[ "${lines[7]}" = "/modes/sub/x 751 0:0" ]
	# a user alone: the user's primary group
	[[ "${lines[8]}" == "/byarg 600 1000:"* ]]
	printf 'FROM bb\nCOPY --chown=nosuchuser a.txt /x\n' >"$CTX/Dockerfile"
	run B build -t own:bad "$CTX"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == "berth: step 2/2 COPY --chown=nosuchuser a.txt /x: --chown=nosuchuser: "*nosuchuser* ]]
	printf 'FROM bb\nCOPY --chmod=9z a.txt /x\n' >"$CTX/Dockerfile"
	run B build -t own:bad "$CTX"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == *"--chmod=9z: expected an octal mode" ]]
	assert_nothing_left
}

@test "SHELL changes what shell-form RUN, CMD and ENTRYPOINT run under; the exec form has no shell" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ENV WHO=world
RUN echo "default $0" > /default
SHELL ["/bin/sh", "-xc"]
RUN echo "traced $WHO" > /traced
RUN ["/bin/echo", "exec form: $WHO"]
CMD echo "cmd $WHO"
DF
	run B build -t sh:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	# -x traces the command, so the new shell ran it
	[[ "$output" == *"+ echo 'traced world'"* ]]
	# no shell, no expansion
	[[ "$output" == *'exec form: $WHO'* ]]
	run B image inspect sh:1
	[ "$(jq -c '.[0].Config.Shell' <<<"$output")" = '["/bin/sh","-xc"]' ]
	[ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh","-xc","echo \"cmd $WHO\""]' ]
	run_in sh:1 'cat /default /traced'
	[ "${lines[0]}" = "default /bin/sh" ]
	[ "${lines[1]}" = "traced world" ]
	# the image's CMD, run by berth run, through the SHELL it recorded
	run timeout 60 "$BERTH" --root "$ROOT" --runroot "$RUNROOT" run --rm sh:1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cmd world"* ]]
	assert_nothing_left
}
