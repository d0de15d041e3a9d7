"""The ``regression`` backend: direct ab regression on a pretrained encoder.

``model`` holds the network, ``backend`` the plugin. Nothing is imported here, so
discovery stays cheap: torch is imported only when the backend loads.
"""
