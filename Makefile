# The README's two commands: `make run` and `make test`. Thin wrapper over CMake.
# For developers: `make format`, `make format-check`, `make lint` (docs/development.md).
SCENARIO ?= scenarios/quickstart.yaml
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: deps lint-deps build build-asan run test package bench bench-herd format format-check lint clean

deps:
	scripts/install-deps

lint-deps:
	scripts/install-deps --lint

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBS_SANITIZE=OFF >/dev/null
	cmake --build build -j $(JOBS)

build-asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBS_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)

run: build
	scripts/mpirun-local run $(SCENARIO) $(ARGS)

test: build-asan
	cd build-asan && ctest --output-on-failure -j 2 $(CTEST_ARGS)

# The Debian package, build/bootstorm_VERSION_ARCH.deb, from the Release
# build (docs/development.md, "Packaging"). Install it with
# apt-get install ./build/bootstorm_*.deb
package: build
	cd build && cpack -G DEB

# Benchmarks print figures; they never fail on a slow machine (docs/performance.md).
# Each measures this machine's bounds (bootstorm-limits) itself and prints its
# figures as ratios to them; the first line shows them on their own.
bench: build
	build/bin/bootstorm-limits
	bench/login-cost
	bench/density
	bench/storm-rate

bench-herd: build
	bench/herd

# Every C source and header, in place, by .clang-format (build*/ left out).
format: lint-deps
	scripts/lint --format

# Exit 1, listing the files `make format` would change.
format-check: lint-deps
	JOBS=$(JOBS) scripts/lint format

# shellcheck, pyflakes3, format-check, clang-tidy (compile database in build-lint/).
# Some of them: make lint CHECKS="shell python"
lint: lint-deps
	JOBS=$(JOBS) scripts/lint $(CHECKS)

clean:
	rm -rf build build-asan build-lint build-fuzz

# libFuzzer targets (tests/fuzz/, docs/testing.md), built with clang in
# build-fuzz/ with ASan+UBSan; each runs FUZZ_SECONDS on a copy of its seeds.
# One target: make fuzz FUZZ_TARGETS=wire_payload. fuzz-smoke is CI's 20 s each.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
.PHONY: fuzz fuzz-smoke
fuzz:
	scripts/install-deps --fuzz
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=Debug -DBS_FUZZ=ON -DBS_SANITIZE=OFF >/dev/null
	cmake --build build-fuzz --target fuzz-targets -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz build-fuzz $(FUZZ_TARGETS)

fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=20
