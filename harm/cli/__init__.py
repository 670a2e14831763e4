"""The ``harm`` command line."""
