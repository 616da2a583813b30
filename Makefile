# libjing: the two commands of the README, plus the benchmark.
.PHONY: demo test bench clean

# Build the library and the sandbox, start the sandbox, create a lead from C, Python and C#.
demo:
	scripts/demo.sh

# Every test: Rust, C (valgrind, sanitizers), Python, C#, examples, header, symbols, lint.
test:
	scripts/test.sh

# Overhead, throttle efficiency, cold start and footprint, against the sandbox.
bench:
	benches/run.sh

clean:
	cargo clean
	rm -rf .venv bindings/python/jing/libjing.so
