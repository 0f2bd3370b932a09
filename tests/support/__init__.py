"""What the tests, the benchmarks and the screenshots share, outside the shipped package: a throwaway portal on a
SQLite file (`sandbox`) and realistic made-up applications (`samples`). Benchmarks and scripts run from the
repository's root as modules (`.venv/bin/python -m benchmarks.bench_http`), so `tests.support` is importable."""
