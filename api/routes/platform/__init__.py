"""The Eximee platform API (``/v1``): case status, events, documents, data models,
configuration and the audit log."""
