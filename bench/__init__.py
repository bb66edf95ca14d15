"""Benchmark tooling of issue 12: the seeder (bench.seed) and the load runner (bench.run)."""
