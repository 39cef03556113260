"""A leaky integrator that sends its voltage as a graded spike (the RAT readout)."""
