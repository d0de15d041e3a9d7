"""The ``cic`` backend: colorization as classification over quantized ab (Zhang, Isola, Efros 2016).

Nothing is imported here, so discovering plugins stays cheap: the plugin class is
in :mod:`plugins.backends.cic.backend`, which imports torch only when it runs.
"""
