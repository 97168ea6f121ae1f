"""The end-to-end demo: ``python -m slipway.demo`` or ``slipway demo``
(see :mod:`slipway.demo.main`)."""

from .main import main

__all__ = ["main"]
