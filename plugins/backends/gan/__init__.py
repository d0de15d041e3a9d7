"""The ``gan`` backend: the regression trunk trained adversarially, with noise for several samples.

``model`` holds the generator, ``backend`` the plugin; the critic that trains it
lives in ``training/``. Nothing is imported here, so discovery stays cheap.
"""
