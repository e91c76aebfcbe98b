"""Baton: BPMN 2.0 processes on Temporal.

The top of the house: the ``baton`` command (``cli``), the worker (``worker``), the
conformance runner and the semantics audit. What every room shares (settings,
privileges, the Temporal client, the dev-server launcher) is in ``core/``, below all.
"""

from core import __version__

__all__ = ["__version__"]
