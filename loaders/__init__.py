"""Loaders turn the files staff keep into plans for the nắm graph."""
