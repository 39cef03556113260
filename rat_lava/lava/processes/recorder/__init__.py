"""A sink that records several OutPorts per time step and passes them to the host as one
message (what per-port Extractors do, in one process)."""
