"""Training: loops, stepwise stages, pruning and checkpoints."""
