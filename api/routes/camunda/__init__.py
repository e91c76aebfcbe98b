"""Camunda 7's REST API (``/engine-rest``), for the Modeler, workers and clients an
EximeeBPMS / Camunda 7 team already has (issue 20; docs/camunda-rest.md).

Like every family, these routers only translate Camunda's calls into ``operations/``
and ``store/``. Shared by every resource of the family:

* ``variables``: typed variables both ways (``to_python``, ``to_typed``, Camunda dates);
* ``errors``: Camunda's error body, which ``api.problems`` uses for every error whose path
  is under ``/engine-rest`` (raise ``api.problems`` / ``operations.errors`` as usual);
* ``shapes``: ``CamundaIn`` (request bodies that ignore unknown fields), Camunda's DTOs,
  definition ids, ``links``, and the query helpers (``page``, ``like``, ``check_sorting``).

Routers: ``engine`` (engine, version), ``deployments``, ``statistics`` (definition
statistics), ``process_definitions`` (and ``process_definition_forms``, ``start_forms``),
``external_task_queries``, ``external_task_retries``, ``external_tasks``,
``process_instances``, ``tasks`` (query, one task, identity links), ``task_commands``,
``task_variables``, ``variable_instances``, ``history`` (and ``history_instances``,
``history_tasks``), ``incidents`` (runtime and historic), ``jobs``, ``messages``;
``variable_writes`` is the variable write the instance and task routes share.
Kept free of imports so ``api.problems`` can import ``errors`` without a cycle.
"""
