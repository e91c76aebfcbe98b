"""The floor under every room: the one ``Settings``, the privileges, TLS, the Temporal client
factory and the embedded dev-server launcher. Imports nothing of Baton's own above it."""

__version__ = "0.1.0"
