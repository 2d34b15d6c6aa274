"""Shared core of the e-commerce analytics suite: schemas, row parsing, job base, runner."""

__version__ = "0.1.0"
