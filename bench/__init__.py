"""Benchmarks of namgraph: figures to read, never assertions about speed."""
