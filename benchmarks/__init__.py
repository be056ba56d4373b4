"""Benchmarks of wbtip-pipeline: full and incremental refresh, today and at fifty times the size."""
