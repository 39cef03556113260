"""Lava processes and process models of the tests, in a package of their own: to find the
models of a process, Lava imports every module of the package that defines the process (and
executes each file of it once more under its bare name)."""
