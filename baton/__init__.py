"""Baton: BPMN 2.0 processes on Temporal.

This package holds what the API, the worker and the CLI share: the one ``Settings``
class, the Temporal client factory and the embedded dev-server launcher.
"""

__version__ = "0.1.0"
