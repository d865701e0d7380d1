#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# ADD of a URL, against an HTTP server this test starts on 127.0.0.1:
# Docker's rules (name, mode, time, no unpacking, checksum in the key) and
# one clear line when the server can't be reached.
load build-common

setup() {
	build_setup
	require_cmd python3
	WWW=$TEST_TMP/www
	mkdir -p "$WWW/files"
	echo "remote data" >"$WWW/files/data.txt"
	touch -d '2021-02-03 04:05:06 UTC' "$WWW/files/data.txt"
	mkdir -p "$TEST_TMP/arch"
	echo inside >"$TEST_TMP/arch/inner"
	tar -C "$TEST_TMP/arch" -czf "$WWW/files/a.tar.gz" inner
	SERVER_PIDS=()
	serve http
	URL=http://127.0.0.1:$PORT
	# straight to the test's servers, whatever proxy the machine has
	export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
}

teardown() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	build_teardown
}

# Serve $WWW on a free port of 127.0.0.1 (the server binds port 0 and
# says which) into $PORT.  $1 https: with $TEST_TMP/cert.pem.
serve() {
	local portfile=$TEST_TMP/port-$1
	python3 -c '
import functools, http.server, os, ssl, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
h.log_message = lambda *a: None
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), h)
if sys.argv[3] == "https":
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(sys.argv[4], sys.argv[5])
    s.socket = c.wrap_socket(s.socket, server_side=True)
open(sys.argv[2] + ".tmp", "w").write(str(s.server_port))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
' "$WWW" "$portfile" "$1" "$TEST_TMP/cert.pem" "$TEST_TMP/key.pem" >/dev/null 2>&1 3>&- &
	SERVER_PIDS+=($!)
	timeout 20 sh -c "until [ -s '$portfile' ]; do sleep 0.05; done"
	PORT=$(cat "$portfile")
}

# A port nothing listens on: one the kernel just gave out, closed again.
closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

@test "ADD URL: named from the path, 0600 root's, Last-Modified time, not unpacked" {
	cat >"$CTX/Dockerfile" <<DF
FROM busybox:1.38.0-musl
ADD $URL/files/data.txt /dl/
ADD $URL/files/data.txt?v=1 /named
ADD $URL/files/a.tar.gz /dl/
ADD --chmod=644 --chown=1000:1001 $URL/files/data.txt /owned.txt
ADD $URL/ /root-url/
ADD $URL/files/data.txt $URL/files/a.tar.gz /multi/
DF
	run B build -t url:1 "$CTX"
	echo "$output"
	[ "$status" -eq 0 ]
	run_in url:1 'stat -c "%n %a %u:%g %Y" /dl/data.txt /named /dl/a.tar.gz /owned.txt; cat /dl/data.txt /named; ls /root-url; ls /dl; ls /multi'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dl/data.txt 600 0:0 1612325106" ]
	[ "${lines[1]}" = "/named 600 0:0 1612325106" ]
	[[ "${lines[2]}" == "/dl/a.tar.gz 600 0:0 "* ]]
	[ "${lines[3]}" = "/owned.txt 644 1000:1001 1612325106" ]
	[ "${lines[4]}" = "remote data" ]
	[ "${lines[5]}" = "remote data" ]
	# a URL with no path: BuildKit's name for it
	[ "${lines[6]}" = "__unnamed__" ]
	# the archive stays an archive
	[ "$(echo "${lines[@]:7:2}")" = "a.tar.gz data.txt" ]
	# several URLs into one directory
	[ "$(echo "${lines[@]:9}")" = "a.tar.gz data.txt" ]
	assert_nothing_left
}

@test "ADD URL: the content is in the cache key, --checksum is checked" {
	cat >"$CTX/Dockerfile" <<DF
FROM busybox:1.38.0-musl
ADD $URL/files/data.txt /d.txt
RUN cat /d.txt > /copy
DF
	run B build -t url:c "$CTX"
	[ "$status" -eq 0 ]
	[ "$(step_status 2)$(step_status 3)" = "DONEDONE" ]
	run B build -t url:c "$CTX"
	echo "$output"
	[ "$(step_status 2)$(step_status 3)" = "CACHEDCACHED" ]
	# a new time alone is the same file; new content is a new step
	touch "$WWW/files/data.txt"
	run B build -t url:c "$CTX"
	[ "$(step_status 2)$(step_status 3)" = "CACHEDCACHED" ]
	echo "changed" >"$WWW/files/data.txt"
	run B build -t url:c "$CTX"
	echo "$output"
	[ "$(step_status 2)$(step_status 3)" = "DONEDONE" ]
	run_in url:c 'cat /copy'
	echo "$output"
	[ "$output" = changed ]

	local sum
	sum=sha256:$(sha256sum "$WWW/files/data.txt" | cut -d' ' -f1)
	printf 'FROM busybox:1.38.0-musl\nADD --checksum=%s %s/files/data.txt /d.txt\n' "$sum" "$URL" >"$CTX/Dockerfile"
	run B build -q "$CTX"
	[ "$status" -eq 0 ]
	local bad=sha256:$(printf '%064d' 0)
	printf 'FROM busybox:1.38.0-musl\nADD --checksum=%s %s/files/data.txt /d.txt\n' "$bad" "$URL" >"$CTX/Dockerfile"
	run B build -t url:bad "$CTX"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == "berth: step 2/2 ADD "*" /d.txt: $URL/files/data.txt: checksum mismatch: got $sum, want $bad" ]]
	touch "$CTX/local"
	printf 'FROM busybox:1.38.0-musl\nADD --checksum=%s local /l\n' "$sum" >"$CTX/Dockerfile"
	run B build -t url:bad "$CTX"
	[ "$status" -ne 0 ]
	[[ "${lines[-1]}" == *"ADD --checksum: \`local\` is not a URL"* ]]
	run B images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" != *"url:bad"* ]]
	assert_nothing_left
}

@test "ADD URL: a server that isn't there, says 404 or isn't trusted fails the step in one line" {
	local port
	port=$(closed_port)
	printf 'FROM busybox:1.38.0-musl\nADD http://127.0.0.1:%s/x.txt /x.txt\n' "$port" >"$CTX/Dockerfile"
	run B build -t url:off "$CTX"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^berth: ' <<<"$output")" -eq 1 ]
	[[ "${lines[-1]}" == "berth: step 2/2 ADD http://127.0.0.1:$port/x.txt /x.txt: fetching http://127.0.0.1:$port/x.txt: "*"onnect"* ]]
	printf 'FROM busybox:1.38.0-musl\nADD %s/nothere /x\n' "$URL" >"$CTX/Dockerfile"
	run B build -t url:404 "$CTX"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == "berth: step 2/2 ADD $URL/nothere /x: fetching $URL/nothere: "*"404"* ]]
	# https: a certificate this machine doesn't trust is refused
	require_cmd openssl
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$TEST_TMP/key.pem" -out "$TEST_TMP/cert.pem" 2>/dev/null
	serve https
	port=$PORT
	printf 'FROM busybox:1.38.0-musl\nADD https://127.0.0.1:%s/files/data.txt /x\n' "$port" >"$CTX/Dockerfile"
	run B build -t url:tls "$CTX"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c '^berth: ' <<<"$output")" -eq 1 ]
	[[ "${lines[-1]}" == "berth: step 2/2 ADD https://127.0.0.1:$port/files/data.txt /x: fetching https://127.0.0.1:$port/files/data.txt: SSL certificate problem: self"*"signed certificate" ]]
	printf 'FROM busybox:1.38.0-musl\nADD git@example.invalid:x/y.git /y\n' >"$CTX/Dockerfile"
	run B build -t url:git "$CTX"
	[ "$status" -eq 1 ]
	[[ "${lines[-1]}" == *"git repositories are not supported"* ]]
	run B images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" != *"url:"* ]]
	assert_nothing_left
}
