#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
# berth volume create|ls|inspect|rm|prune, without containers.
load helpers

setup() {
	setup_tmp
	B() { "$BERTH" --root "$ROOT" --runroot "$RUNROOT" "$@"; }
}

teardown() {
	teardown_tmp
}

# Every path under volumes/ (the store's state) with type and size.
volumes_listing() {
	(cd "$ROOT" && find volumes -printf '%p %y %s\n' 2>/dev/null | sort)
}

@test "volume create makes _data and meta.json and prints the name" {
	run B volume create --label env=prod --label flag data1
	[ "$status" -eq 0 ]
	[ "$output" = data1 ]
	[ -d "$ROOT/volumes/data1/_data" ]
	[ "$(stat -c %a "$ROOT/volumes/data1/_data")" = 755 ]
	run jq -r '.Driver, .Labels.env, .Scope' "$ROOT/volumes/data1/meta.json"
	[ "${lines[*]}" = "local prod local" ]
	# idempotent, as Docker's
	run B volume create data1
	[ "$status" -eq 0 ]
	[ "$output" = data1 ]
}

@test "volume create without a name picks a random 64-hex one" {
	run B volume create
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ -d "$ROOT/volumes/$output/_data" ]
}

@test "volume inspect prints Docker's shape" {
	B volume create --label a=b v1 >/dev/null
	run B volume inspect v1
	[ "$status" -eq 0 ]
	run jq -r '.[0] | [.Name, .Driver, .Labels.a, .Mountpoint, .Scope, (.Options|type),
		(.CreatedAt|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))] | join(" ")' <<<"$output"
	[ "$output" = "v1 local b $ROOT/volumes/v1/_data local object true" ]
	run B volume inspect -f '{{.Name}} {{.Mountpoint}}' v1
	[ "$output" = "v1 $ROOT/volumes/v1/_data" ]
	run B volume inspect v1 nosuch
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such volume: nosuch"* ]]
}

@test "volume ls: table, -q, filters, --format json" {
	B volume create --label env=prod web >/dev/null
	B volume create --label env=dev db >/dev/null
	run B volume ls
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "DRIVER    VOLUME NAME" ]
	[ "${lines[1]}" = "local     db" ]
	[ "${lines[2]}" = "local     web" ]
	run B volume ls -q --filter label=env=prod
	[ "$output" = web ]
	run B volume ls -q --filter name=d
	[ "$output" = db ]
	run B volume ls -q --filter dangling=true
	[ "${lines[*]}" = "db web" ]
	run B volume ls --format json --filter name=web
	[ "$(jq -r '.Name + " " + .Driver + " " + .Labels' <<<"$output")" = "web local env=prod" ]
	run B volume ls --format '{{.Name}}:{{.Driver}}' --filter name=db
	[ "$output" = "db:local" ]
}

@test "volume rm removes; a missing one is an error unless -f" {
	B volume create gone >/dev/null
	run B volume rm gone
	[ "$status" -eq 0 ]
	[ "$output" = gone ]
	[ ! -e "$ROOT/volumes/gone" ]
	run B volume rm gone
	[ "$status" -eq 125 ]
	[ "$output" = "berth: get gone: no such volume" ]
	run B volume rm -f gone
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "volume rm refuses a volume a container uses" {
	B volume create busy >/dev/null
	id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	# What container_volumes_prepare records for a container.
	mkdir -p "$ROOT/containers/$id"
	jq --arg id "$id" '.UsedBy = [$id]' "$ROOT/volumes/busy/meta.json" >"$TEST_TMP/m"
	cp "$TEST_TMP/m" "$ROOT/volumes/busy/meta.json"
	run B volume rm busy
	[ "$status" -eq 125 ]
	[ "$output" = "berth: remove busy: volume is in use - [$id]" ]
	[ -d "$ROOT/volumes/busy/_data" ]
	run B volume ls -q --filter dangling=false
	[ "$output" = busy ]
	# once the container is gone, it goes
	rmdir "$ROOT/containers/$id"
	run B volume rm busy
	[ "$status" -eq 0 ]
}

@test "volume prune: anonymous only, -a for all, asks without -f" {
	B volume create named >/dev/null
	B volume create --label com.docker.volume.anonymous= anon >/dev/null
	echo data >"$ROOT/volumes/anon/_data/f"
	run B volume prune <<<"n"
	[ "$status" -eq 0 ]
	[[ "$output" == *"WARNING! This will remove anonymous local volumes"* ]]
	[ -d "$ROOT/volumes/anon" ]
	run B volume prune -f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Volumes:" ]
	[ "${lines[1]}" = anon ]
	[ "${lines[2]}" = "Total reclaimed space: 5B" ]
	[ -d "$ROOT/volumes/named" ]
	run B volume prune -f --filter label=nope -a
	[ "$output" = "Total reclaimed space: 0B" ]
	run B volume prune -a <<<"y"
	[[ "$output" == *"named"* ]]
	[ "$(B volume ls -q)" = "" ]
}

@test "bad volume input: one line, exit 125, nothing made" {
	before=$(volumes_listing)
	for args in "create a!" "create x" "create -o foo=bar v1" "create -o type=tmpfs v2" \
		"create -d nfs v3" "ls --filter color=red" "ls --filter dangling=maybe" "frob" \
		"prune -f --filter bogus=1" "create a b"; do
		run B volume $args
		echo "$args: $status $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth: "* ]]
	done
	run B volume create 'a!'
	[ "$output" = "berth: create a!: \"a!\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path" ]
	run B volume create -o foo=bar v1
	[ "$output" = 'berth: create v1: invalid option: "foo"' ]
	after=$(volumes_listing)
	# only the lock file and empty staging/trash dirs may have appeared
	[ -z "$(comm -13 <(echo "$before") <(echo "$after") | grep -v -e '^volumes d' -e '\.lock f' -e '\.staging d' -e '\.trash d')" ]
}
