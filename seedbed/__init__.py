"""Seedbed: Python tooling for accountable datasets and models on any EVM chain.

The public API is the `Seedbed` session (`seedbed.workflows.session`); the workflow
functions it calls live in `seedbed.workflows`, the pure encodings in `seedbed.core`.
"""

from seedbed.core.errors import ChainError, InputError, SeedbedError
from seedbed.workflows.session import Seedbed

__version__ = "0.1.0"
__all__ = ["ChainError", "InputError", "Seedbed", "SeedbedError", "__version__"]
