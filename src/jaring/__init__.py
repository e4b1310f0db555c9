"""Jaring: employment social security administration for informal and vulnerable workers."""

__version__ = "0.1.0"
