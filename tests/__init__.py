"""The rat-lava tests: one folder per package of rat_lava, shared helpers in tests/helpers/."""
