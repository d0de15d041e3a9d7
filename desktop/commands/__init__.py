"""One module per ``tinct`` subcommand."""
