"""Cronium Desktop: schedule and run automation on this computer, in containers and over SSH."""

__version__ = "0.1.0"
