"""Export: fold and quantize a trained RAT SNN, write and read NetX HDF5 (.net) files.

``exporter.export_checkpoint`` runs the whole job; ``quantize`` and ``timescales`` put a
``FoldedNetwork`` on Loihi 2's grid; ``netfile`` writes and reads the file (``validate``
checks it); ``info`` describes it.
"""
