"""The ``deepcolor`` backend: Cheng, Yang and Sheng's *Deep Colorization* (ICCV 2015).

Per-pixel features (the L patch, DAISY, the shared encoder's features at the
pixel) → a small fully connected network → ab, then an edge-aware filter with L
as the guide. Nothing is imported here, so discovering plugins stays cheap.
"""
