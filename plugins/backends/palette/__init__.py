"""The ``palette`` backend: a U-Net classifying each pixel into the K colors of a k-means ab palette.

Nothing is imported here, so discovering plugins stays cheap: the plugin class is
in :mod:`plugins.backends.palette.backend`, which imports torch only when it runs.
"""
