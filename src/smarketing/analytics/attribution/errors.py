"""Errors raised by the attribution engine when its input is wrong."""

from __future__ import annotations


class AttributionError(ValueError):
    """Bad input or options given to the attribution engine.

    The message names what is wrong (the column, option, key or row) so the caller can
    show it to the user unchanged.
    """
