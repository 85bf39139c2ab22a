"""The ``nam`` command line."""
