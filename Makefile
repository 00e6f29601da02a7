# OpenDepot — the two commands a newcomer needs are `make dev` and `make test` (see README).
BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_BENCH ?= build-bench
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build dev test test-unit test-integration test-asan bench clean help

all: build

help:
	@echo "make dev         install, build, and start a registry on embedded defaults (see README)"
	@echo "make test        install missing Debian packages, build, run every test (ctest)"
	@echo "make build       configure and build into $(BUILD)/"
	@echo "make test-asan   unit and integration tests built with ASan+UBSan (CI runs this too)"
	@echo "make bench       build and run the benchmarks (never part of make test)"
	@echo "make clean       remove build directories"

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

# A registry on a laptop: private redis-server, manifests folder, filesystem storage, HTTPS.
dev: build
	@scripts/dev.sh $(DEV_ARGS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

test-integration: build
	@cd $(BUILD) && ctest --output-on-failure -j 1 -L integration

# Crash and load tests (label "crash") run only in the normal build.
test-asan: deps
	@cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOD_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) --timeout 300 -L 'unit|integration' -LE crash

# Each bench/run_*.sh builds what it needs (Release, into $(BUILD_BENCH)) and prints a summary.
bench:
	@scripts/install-deps.sh --bench
	@BUILD=$(BUILD_BENCH) bench/run_all.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_BENCH)
