"""Benchmarks: gas per operation and tooling throughput, run by `make bench`."""
