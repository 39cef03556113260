"""FusedNetwork: the whole deployed network in one CPU process (fast fixed-point simulation)."""
