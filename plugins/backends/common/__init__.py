"""Pieces the built-in backends share: the encoder–decoder trunk with a swappable head (``trunk``,
``decoder``) and the shipped weights and cards (``shipped``).

Kept free of imports so that discovering the built-in backends never imports torch.
"""
