"""Benchmarks for Cramp Helper against a minimal ask-sdk-core skill: ``python -m benchmarks``."""
