# SPDX-License-Identifier: Apache-2.0
# Everyday commands.  The real build is Meson (meson.build); this wraps it
# so that each of `make`, `make check` and `make demo` is one command on a
# fresh Debian 12 machine.

BUILD      ?= build
BUILD_ASAN ?= build-asan

.PHONY: all deps build build-asan check demo bench format clean

all: build

deps:
	@tools/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) >/dev/null

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) -Db_sanitize=address,undefined -Dbuildtype=debug >/dev/null

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD) --quiet

build-asan: $(BUILD_ASAN)/build.ninja
	@ninja -C $(BUILD_ASAN) --quiet

check: deps build build-asan
	@tests/run

demo: deps build
	@examples/demo.sh

# Measurements beside the peers, not tests: see bench/*'s headers.
bench: deps build
	@for b in runtime run build load layers; do echo "== bench/$$b"; bench/$$b || exit 1; done

format:
	@clang-format -i $$(git ls-files -co --exclude-standard 'src/*.[ch]' 'tests/*.[ch]')

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
