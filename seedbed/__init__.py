"""Seedbed: Python tooling for accountable datasets and models on any EVM chain."""

__version__ = "0.1.0"
