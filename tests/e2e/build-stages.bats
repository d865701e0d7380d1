#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# Multi-stage builds, --target, ADD of archives, .dockerignore, ONBUILD.
load build-common

setup() { build_setup; }
teardown() { build_teardown; }

@test "stages: a stage produces files, a later one copies them; unused stages are skipped" {
	mkdir -p "$CTX/site"
	echo '<h1>hi</h1>' >"$CTX/site/index.html"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl AS build
COPY site /src
RUN mkdir -p /out && sed 's/hi/hello/' /src/index.html > /out/index.html && \
    echo built > /out/stamp && chmod 640 /out/stamp && chown 1:1 /out/stamp

FROM busybox:1.38.0-musl AS never
RUN echo this stage must not run && exit 1

FROM scratch AS files
COPY --from=build /out/stamp /stamp

FROM busybox:1.38.0-musl
COPY --from=build /out /www
COPY --from=files /stamp /stamp2
COPY --from=busybox:1.38.0-musl /bin/busybox /copied-busybox
CMD ["httpd", "-f", "-h", "/www"]
DF
	run B build -t web "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *"this stage must not run"* ]]
	[[ "$output" != *"[never"* ]]
	run_in web 'cat /www/index.html; ls -ln /www/stamp /stamp2; cmp /bin/busybox /copied-busybox && echo same'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"<h1>hello</h1>"* ]]
	# --from keeps the owner and mode the stage gave
	[[ "$output" == *"-rw-r-----"*" 1 "*" 1 "*"/www/stamp"* ]]
	[[ "$output" == *"-rw-r-----"*" 1 "*" 1 "*"/stamp2"* ]]
	[[ "$output" == *same* ]]
	# image tree and history show each step of the final stage
	run B image tree web
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^+-# 2 .*  COPY --from=build /out /www$' <<<"$output"
	grep -q '^+-# 3 .*  COPY --from=files /stamp /stamp2$' <<<"$output"
	grep -q '^+-# 4 .*  COPY --from=busybox:1.38.0-musl /bin/busybox /copied-busybox$' <<<"$output"
	grep -q '^|  *- CMD \["httpd", "-f", "-h", "/www"\]$' <<<"$output"
	grep -q '4 layers' <<<"$output"
	run B history --no-trunc web
	echo "$output"
	[[ "${lines[1]}" == *' CMD ["httpd", "-f", "-h", "/www"] '* ]]
	[[ "${lines[2]}" == *" COPY --from=busybox:1.38.0-musl /bin/busybox /copied-busybox "* ]]
	[[ "${lines[3]}" == *" COPY --from=files /stamp /stamp2 "* ]]
	[[ "${lines[4]}" == *" COPY --from=build /out /www "* ]]

	# --target stops at a stage, building only what it needs
	run B build -t files-only --target files "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"[build "* ]]
	[[ "$output" != *"[stage-3 "* ]]
	run B image inspect files-only
	[ "$(jq '.[0].RootFS.Layers | length' <<<"$output")" = 1 ]
	run B build --target nosuch "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--target nosuch: no stage of that name"* ]]
	assert_nothing_left
}

@test "stages: FROM an earlier stage inherits its layers and config" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl AS base
ENV FROM_BASE=yes
RUN echo base > /base
FROM base
RUN cat /base > /child && echo "$FROM_BASE" >> /child
DF
	run B build -t child "$CTX"
	[ "$status" -eq 0 ]
	run_in child 'cat /child'
	[[ "$output" == *"base"*"yes"* ]]
}

@test "ADD unpacks tar, gzip, bzip2, xz and zstd archives; other files are copied" {
	mkdir -p "$TEST_TMP/tree/d"
	echo payload >"$TEST_TMP/tree/d/f"
	ln -s f "$TEST_TMP/tree/d/l"
	tar -C "$TEST_TMP/tree" -cf "$CTX/a.tar" .
	tar -C "$TEST_TMP/tree" -czf "$CTX/a.tar.gz" .
	tar -C "$TEST_TMP/tree" -cjf "$CTX/a.tar.bz2" .
	tar -C "$TEST_TMP/tree" -cJf "$CTX/a.tar.xz" .
	tar -C "$TEST_TMP/tree" --zstd -cf "$CTX/a.tar.zst" .
	echo "just text" | gzip >"$CTX/plain.gz"
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ADD a.tar /t/tar/
ADD a.tar.gz /t/gz
ADD a.tar.bz2 /t/bz2/
ADD a.tar.xz /t/xz
ADD a.tar.zst /t/zst/
ADD plain.gz /t/
COPY a.tar /t/copied.tar
DF
	run B build -t arch "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in arch 'for k in tar gz bz2 xz zst; do cat /t/$k/d/f; readlink /t/$k/d/l; done; ls /t'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^payload$' <<<"$output")" -eq 5 ]
	[ "$(grep -c '^f$' <<<"$output")" -eq 5 ]
	[[ "$output" == *"copied.tar"* ]]
	[[ "$output" == *"plain.gz"* ]]
}

@test "ADD: a hostile archive can't write outside its destination" {
	python3 - "$CTX" <<'PY'
import io, sys, tarfile
def f(t, name, data=b"pwned"):
    i = tarfile.TarInfo(name); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
with tarfile.open(sys.argv[1] + "/dotdot.tar", "w") as t:
    f(t, "../../escape")
with tarfile.open(sys.argv[1] + "/symlink.tar", "w") as t:
    l = tarfile.TarInfo("link"); l.type = tarfile.SYMTYPE; l.linkname = "/etc"
    t.addfile(l)
    f(t, "link/passwd-evil")
PY
	printf 'FROM busybox:1.38.0-musl\nADD dotdot.tar /dest/\n' >"$CTX/Dockerfile"
	run B build -t evil "$CTX"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == *"ADD dotdot.tar /dest/: unpacking into"*"path leaves the layer root"* ]]
	[ ! -e "$TEST_TMP/escape" ] && [ ! -e "$ROOT/escape" ]
	assert_nothing_left
	# through a symlink the archive made: refused or kept inside the image
	printf 'FROM busybox:1.38.0-musl\nADD symlink.tar /dest/\n' >"$CTX/Dockerfile"
	run B build -t evil2 "$CTX"
	echo "$output"
	[ ! -e /etc/passwd-evil ]
	if [ "$status" -eq 0 ]; then
		run_in evil2 'cat /etc/passwd-evil 2>&1; true'
		[[ "$output" != *"pwned"* ]] || [[ "$output" == *"/etc/passwd-evil"* ]]
	fi
	assert_nothing_left
}

@test ".dockerignore: patterns, ** and ! exceptions, in order" {
	mkdir -p "$CTX/src/deep/er" "$CTX/logs" "$CTX/keep"
	touch "$CTX/src/a.go" "$CTX/src/deep/b.go" "$CTX/src/deep/er/c.go" "$CTX/src/deep/er/d.txt"
	touch "$CTX/logs/1.log" "$CTX/logs/important.log" "$CTX/secret.env" "$CTX/keep/x"
	cat >"$CTX/.dockerignore" <<'IGN'
# comments are ignored
**/*.go
!src/deep/er/c.go
/logs
!logs/important.log
./secret.env
IGN
	printf 'FROM busybox:1.38.0-musl\nCOPY . /ctx/\n' >"$CTX/Dockerfile"
	run B build -t ign "$CTX"
	[ "$status" -eq 0 ]
	run_in ign 'cd /ctx && find . | sort'
	echo "$output"
	[[ "$output" == *"./src/deep/er/c.go"* ]]
	[[ "$output" == *"./src/deep/er/d.txt"* ]]
	[[ "$output" == *"./logs/important.log"* ]]
	[[ "$output" == *"./keep/x"* ]]
	[[ "$output" != *"a.go"* ]]
	[[ "$output" != *"b.go"* ]]
	[[ "$output" != *"1.log"* ]]
	[[ "$output" != *"secret.env"* ]]
	# an ignored file can't be named either
	printf 'FROM busybox:1.38.0-musl\nCOPY secret.env /\n' >"$CTX/Dockerfile"
	run B build "$CTX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not found in the build context"* ]]
}

@test "ONBUILD: triggers are stored, then run in a child build" {
	mkdir -p "$TEST_TMP/parent"
	cat >"$TEST_TMP/parent/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
ONBUILD COPY app.txt /app/app.txt
ONBUILD RUN wc -c < /app/app.txt > /app/size
DF
	run B build -t onb-parent "$TEST_TMP/parent"
	[ "$status" -eq 0 ]
	run B image inspect --format '{{json .Config.OnBuild}}' onb-parent
	[ "$output" = '["COPY app.txt /app/app.txt","RUN wc -c < /app/app.txt > /app/size"]' ]
	echo "twelve bytes" >"$CTX/app.txt"
	printf 'FROM onb-parent\nRUN cat /app/size\n' >"$CTX/Dockerfile"
	run B build -t onb-child "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"executing 2 ONBUILD trigger(s)"* ]]
	[[ "$output" == *"13"* ]]
	# the child doesn't pass the triggers on
	run B image inspect --format '{{json .Config.OnBuild}}' onb-child
	[ "$output" = null ] || [ "$output" = "[]" ]
}

@test "heredocs: RUN <<EOF and COPY <<EOF" {
	cat >"$CTX/Dockerfile" <<'DF'
FROM busybox:1.38.0-musl
RUN <<EOF
echo first > /h1
echo second >> /h1
EOF
ENV WHO=heredoc
COPY <<EOT /etc/greeting
hello from a $WHO
EOT
COPY <<'EOT' /etc/literal
kept as $WHO
EOT
RUN cat <<EOF > /h2
inline
EOF
DF
	run B build -t hd "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in hd 'cat /h1 /etc/greeting /h2 /etc/literal'
	[[ "$output" == *"first"*"second"*"hello from a heredoc"*"inline"*'kept as $WHO'* ]]
}
