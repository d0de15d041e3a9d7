"""Builds the built-in backends' weights from a folder of color photos.

Run ``python -m training --help``. One module per subcommand (``train`` now;
``prior``, ``eval`` and ``export`` register in :mod:`training.__main__` later).
"""
