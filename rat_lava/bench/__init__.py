"""Benchmark helpers (speed, memory, soak): used by ``benchmarks/`` and tests, never by the
package's runtime."""
