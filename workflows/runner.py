"""The workflow sandbox configuration every worker and replayer uses.

``bpmn_compiler`` (IR models, expression engines) is pure and deterministic, so it is
passed through the sandbox by module-name prefix: loaded once per worker, never
re-imported per run — also when its functions import lazily at run time, which inside
the sandbox would otherwise load a second, sandboxed copy (slow, and its ``datetime``
subclasses fail against the sandbox's proxies).
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSTHROUGH = ("bpmn_compiler",)


def workflow_runner() -> SandboxedWorkflowRunner:
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)
