"""Camunda 7's REST API (``/engine-rest``), for the Modeler, workers and clients an
EximeeBPMS / Camunda 7 team already has (issue 20; docs/camunda-rest.md).

Like every family, these routers only translate Camunda's calls into ``operations/``
and ``store/``; ``variables`` (typed variables both ways) and ``errors`` (Camunda's error
body) are shared by every resource of the family.

Kept free of imports so ``api.problems`` can import ``errors`` without a cycle.
"""
