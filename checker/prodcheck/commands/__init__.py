"""The commands behind the CLI: plain functions that tests and other tools can call too."""
