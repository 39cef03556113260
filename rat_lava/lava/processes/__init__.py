"""rat-lava Lava processes, one folder each (process.py: interface, models.py: behaviour)."""
