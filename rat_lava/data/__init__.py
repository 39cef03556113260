"""Data: the Session value, loaders (Zenodo .mat, .npz), synthetic generator, splits."""
