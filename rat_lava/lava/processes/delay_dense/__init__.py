"""Faster CPU models for Lava's own ``DelayDense`` process (same results, bit for bit)."""
