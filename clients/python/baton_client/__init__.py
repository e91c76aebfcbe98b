"""Baton's client for Temporal SDK users: the contracts of Baton's workflows
(``baton_client.contracts``: payloads, results, rejections, search attributes) and typed
helpers (``BatonClient``). It needs only ``temporalio`` and ``pydantic``; Baton's server
imports the same contracts from here."""

from baton_client.client import DEFAULT_TASK_QUEUE, BatonClient, Rejected

__all__ = ["DEFAULT_TASK_QUEUE", "BatonClient", "Rejected"]
