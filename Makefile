# The README's two commands: `make run` and `make test`. Thin wrapper over CMake.
SCENARIO ?= scenarios/quickstart.yaml
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: deps build build-asan run test bench clean

deps:
	scripts/install-deps

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

bench: build
	bench/density

clean:
	rm -rf build build-asan
