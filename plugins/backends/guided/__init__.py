"""The ``guided`` backend: the regression network that also takes the user's color hints.

After Zhang et al.'s ideepcolor (SIGGRAPH 2017): L plus an ab hint map and a hint mask in,
ab out. ``model`` holds the network, ``hints`` turns :class:`plugins.ColorHint` lists into
its hint inputs, ``backend`` the plugin. Nothing is imported here, so discovery stays cheap.
"""
