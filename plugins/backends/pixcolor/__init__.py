"""The ``pixcolor`` backend: truly different colorizations sampled by a conditional PixelCNN (Guadarrama et al. 2017).

``model`` holds the network (shared encoder, conditioning, gated PixelCNN over
the ``cic`` ab bins at 1/8 resolution, refinement), ``sampling`` the fast
autoregressive sampler, ``backend`` the plugin. Nothing is imported here, so
discovering plugins stays cheap: torch is imported only when the backend loads.
"""
