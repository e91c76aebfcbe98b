"""The workflow sandbox configuration every worker and replayer uses.

``bpmn_compiler`` (IR models), ``dmn`` (DMN decisions), ``expressions`` (the FEEL and
JUEL engines), ``letsflow`` (the scenario engine), ``baton_client`` (the contracts) and
``workflows`` (the interpreter and its helpers)
are pure and deterministic, so they are passed through the sandbox by module-name
prefix: loaded once per worker, never re-imported per run. The sandbox otherwise
re-executes the workflow module and everything it imports for every run; for the
interpreter that cost about 50 ms of CPU per instance (compiling 2,700 lines where no
bytecode cache is written, then building the pydantic contracts), four times the work of
the instance itself (``bench/interpreter_overhead.py``). Lazy imports at run time would
also load a second, sandboxed copy whose ``datetime`` subclasses fail against the
sandbox's proxies.

Passed-through code is not checked by the sandbox's restrictions, so ``strict=True``
keeps the interpreter inside the sandbox, re-imported and restricted: the replay tests
run every recorded history that way, so a non-deterministic call (``datetime.now()``,
``random``, I/O) on any path those histories take fails the suite.
"""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

#: what the strict runner still passes through: the pure compilers and the data contracts,
#: and opentelemetry, whose context (the tracing plugin's) reaches workflow code
#: (``causes``) and must be the worker's own module, not a sandboxed copy
STRICT_PASSTHROUGH = (
    "baton_client",
    "bpmn_compiler",
    "dmn",
    "expressions",
    "letsflow",
    "opentelemetry",
)
#: and the interpreter itself, loaded once per worker
PASSTHROUGH = (*STRICT_PASSTHROUGH, "workflows")


def workflow_runner(*, strict: bool = False) -> SandboxedWorkflowRunner:
    modules = STRICT_PASSTHROUGH if strict else PASSTHROUGH
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*modules)
    return SandboxedWorkflowRunner(restrictions=restrictions)
