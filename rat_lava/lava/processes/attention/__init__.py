"""Multi-head linear channel attention as one Lava process (process.py + models.py)."""
