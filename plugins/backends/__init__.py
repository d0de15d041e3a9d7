"""Built-in colorization backends (models and their pure pre/post-processing)."""
