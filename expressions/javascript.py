"""JavaScript for BPMN scripts and conditions (Camunda 7's ``scriptFormat="javascript"``
and ``<conditionExpression language="javascript">``), on an embedded QuickJS.

Engine: QuickJS through ``quickjs-ng`` (the maintained fork of the ``quickjs`` wrapper):
a C library inside the process, no network and no file system (the wrapper leaves out
QuickJS's ``std``/``os`` modules), with a CPU-time and a memory bound per runtime. Each
evaluation gets a fresh runtime, so nothing leaks from one script to the next and a
script that hit a bound leaves no poisoned state behind.

Deterministic inputs. A script sees only what it is given: the process variables (as
globals and through ``execution``), the instance's ids, and the caller's clock ``now``.
``Date.now()`` and ``new Date()`` are ``now`` (the workflow's time), and ``Date`` works in
UTC whatever the host's zone (local getters and setters are the UTC ones, ``new Date(y,
m, d…)`` and ISO strings without an offset are UTC). ``Math.random`` is a fixed
generator seeded from the instance and element ids. ``performance``, ``WeakRef`` and
``FinalizationRegistry`` (a clock and the garbage collector's timing) are removed;
promise jobs never run. Given the same inputs, a script gives the same result.

Bounds (:class:`JsLimits`): CPU time (QuickJS's interrupt handler compares ``clock()``,
the process's CPU time, so a busy worker can stop a script somewhat early: the bound is a
guard against runaways, not a budget to plan with), memory of the runtime, stack depth,
and the size of what comes back. A hit raises :class:`LimitExceeded` with the bound in
its message; an infinite loop cannot catch it (QuickJS's interrupt is uncatchable).

Where it runs, and what a hit means on replay (``workflows/bpmn/elements/tasks.py``):

* **Script tasks** run in the ``baton.javascript`` local activity. Its outcome, the
  variables or the error, is recorded in the history, so a replay never runs the script
  again: a bound that happened to be hit (or not) under load is part of the record, and
  the workflow sees the same either way. A script error becomes an incident.
* **Conditions and other JavaScript expressions** run in the workflow
  (:func:`evaluate`), since routing decides synchronously. They are pure, and use
  :data:`EXPRESSION_LIMITS` (constants, not settings: a replay on another worker must
  apply the same bounds). Only the time bound can differ on replay; a condition that
  passed near its bound and is stopped on replay (or the reverse) is a non-determinism
  error, which fails that workflow task and Temporal retries it, rather than a different
  path. A condition meant to run for a quarter of a second is the problem to fix.

Values in: JSON-like Python values (dates and times as ISO strings, decimals as
numbers). Values out: ``JSON.stringify``'s view (``undefined`` and functions become
null, dates ISO strings, integral numbers ``int``).
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import _quickjs  # the C module: ``quickjs`` itself starts a thread pool on import

from expressions.errors import EvaluationError, ExpressionSyntaxError, LimitExceeded
from expressions.juel.context import ExecutionContext

__all__ = [
    "EXPRESSION_LIMITS",
    "JAVASCRIPT_FORMATS",
    "NOW_HEADER",
    "RESULT_VALUE",
    "RESULT_VARIABLES",
    "SCRIPT_HEADER",
    "SCRIPT_LIMITS",
    "SCRIPT_TASK_TYPE",
    "ExecutionContext",
    "JsLimits",
    "ScriptOutcome",
    "check_syntax",
    "evaluate",
    "is_javascript",
    "run_script",
]

#: The built-in activity that runs a script task's JavaScript (``activities/javascript.py``)
#: and the headers that carry its script and the workflow's clock to it.
SCRIPT_TASK_TYPE = "baton.javascript"
SCRIPT_HEADER = "baton.script"
NOW_HEADER = "baton.now"
#: the keys of its result: what the script set with ``execution.setVariable``, its value
RESULT_VARIABLES, RESULT_VALUE = "variables", "value"

#: ``scriptFormat`` / ``language`` names Camunda 7's script engine manager resolves to
#: JavaScript (compared lower-cased).
JAVASCRIPT_FORMATS = frozenset(
    {"javascript", "js", "ecmascript", "nashorn", "graal.js", "graaljs", "rhino"}
)


def is_javascript(fmt: str | None) -> bool:
    """Whether a ``scriptFormat`` or expression ``language`` means JavaScript."""
    return (fmt or "").strip().lower() in JAVASCRIPT_FORMATS


@dataclass(frozen=True)
class JsLimits:
    """What one evaluation may use (a fresh QuickJS runtime each time)."""

    time_seconds: float = 1.0
    memory_bytes: int = 32 * 1024 * 1024
    stack_bytes: int = 512 * 1024
    #: the encoded result and variables a script hands back (the history must hold them)
    max_output_bytes: int = 1_000_000


#: script tasks (``baton.javascript``); the worker's settings may change time and memory
SCRIPT_LIMITS = JsLimits()
#: conditions and expressions evaluated in the workflow: fixed, so replays agree, and
#: well below the SDK's 2 s deadlock detection of a workflow activation
EXPRESSION_LIMITS = JsLimits(time_seconds=0.5, max_output_bytes=200_000)


@dataclass(frozen=True)
class ScriptOutcome:
    """The script's last value and what it set through ``execution.setVariable``."""

    value: Any
    variables: dict[str, Any]


# The frame around the user's source: it captures the built-ins it relies on before any
# variable can shadow them, swaps the non-deterministic ones, defines ``execution`` and
# the variables, runs the source by indirect eval (global scope, its completion value is
# the result, non-strict as Nashorn scripts are) and returns one JSON text.
_FRAME = r"""
(function (g, VARS, META, SOURCE) {
  "use strict";
  const $eval = g.eval, $stringify = JSON.stringify, $parse = JSON.parse;
  const RealDate = g.Date, P = RealDate.prototype, NOW = META.now;
  const ISO_LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
  const utc = (s) => (typeof s === "string" && ISO_LOCAL.test(s) ? s + "Z" : s);
  function Date(...args) {
    if (!new.target) return new RealDate(NOW).toString();
    let d;
    if (args.length === 0) d = new RealDate(NOW);
    else if (args.length === 1) d = new RealDate(utc(args[0]));
    else d = new RealDate(RealDate.UTC(...args));
    if (new.target !== Date) Object.setPrototypeOf(d, new.target.prototype);
    return d;
  }
  Date.prototype = P;
  Date.now = () => NOW;
  Date.UTC = RealDate.UTC;
  Date.parse = (s) => RealDate.parse(utc(s));
  Object.defineProperty(P, "constructor", { value: Date, writable: true, configurable: true });
  for (const n of ["FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds",
                   "Milliseconds"]) {
    P["get" + n] = P["getUTC" + n];
    if (n !== "Day") P["set" + n] = P["setUTC" + n];
  }
  P.getTimezoneOffset = function () { return 0; };
  const iso = function () { return isNaN(this.getTime()) ? "Invalid Date" : this.toISOString(); };
  P.toString = P.toLocaleString = iso;
  P.toDateString = P.toLocaleDateString = function () { return iso.call(this).slice(0, 10); };
  P.toTimeString = P.toLocaleTimeString = function () { return iso.call(this).slice(11); };
  g.Date = Date;
  let seed = META.seed >>> 0;
  Math.random = function () {  // mulberry32
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (const name of ["performance", "WeakRef", "FinalizationRegistry"]) delete g[name];
  const vars = $parse(VARS), written = Object.create(null);
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const read = (name) => {
    name = String(name);
    if (name in written) return written[name];
    return has(vars, name) ? vars[name] : null;
  };
  const write = (name, value) => { written[String(name)] = value === undefined ? null : value; };
  const execution = Object.freeze({
    getVariable: read,
    getVariableLocal: read,
    hasVariable: (name) => String(name) in written || has(vars, String(name)),
    getVariables: () => Object.assign({}, vars, written),
    setVariable: write,
    setVariableLocal: write,
    setVariables: (values) => { for (const k of Object.keys(values || {})) write(k, values[k]); },
    getProcessInstanceId: () => META.processInstanceId,
    getId: () => META.processInstanceId,
    getBusinessKey: () => META.businessKey,
    getProcessBusinessKey: () => META.businessKey,
    getCurrentActivityId: () => META.activityId,
    getActivityId: () => META.activityId,
    toString: () => "Execution[" + META.processInstanceId + "]",
  });
  for (const name of Object.keys(vars)) {
    if (name !== "execution") g[name] = vars[name];
  }
  Object.defineProperty(g, "execution", { value: execution });
  const value = $eval(SOURCE);
  const plain = (key, v) => {
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
    if (typeof v === "number" && !isFinite(v)) return null;
    return v;
  };
  return $stringify({ value: value === undefined ? null : value, written }, plain);
})
"""


def _plain(value: Any) -> Any:
    """``json.dumps`` fallback: the few non-JSON values variables can hold."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"a {type(value).__name__} cannot be handed to a script")


def _seed(execution: ExecutionContext | None) -> int:
    """Math.random's seed: the instance and the element, so reruns of one element agree."""
    if execution is None:
        return 0
    key = f"{execution.process_instance_id or ''}/{execution.current_activity_id or ''}"
    return zlib.crc32(key.encode())


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def _failure(exc: Exception, source: str, limits: JsLimits) -> Exception:
    """One error of the ``ExpressionError`` family for whatever QuickJS raised."""
    text = str(exc).strip()
    head = _first_line(text)
    if isinstance(exc, _quickjs.StackOverflow) or "stack overflow" in head:
        return LimitExceeded(
            f"the script recursed deeper than its stack bound of {limits.stack_bytes // 1024} KB",
            source=source,
        )
    if head == "InternalError: interrupted":
        return LimitExceeded(
            f"the script ran past its bound of {limits.time_seconds:g} s of CPU time "
            "(an endless loop?)",
            source=source,
        )
    if head in ("null", "") or "out of memory" in head or head.endswith("string too long"):
        # QuickJS has no memory left to build an error object: the message is "null"
        return LimitExceeded(
            f"the script needed more than its bound of {limits.memory_bytes // (1024 * 1024)} "
            "MB of memory",
            source=source,
        )
    where = next((ln.strip() for ln in text.splitlines()[1:] if ln.strip().startswith("at ")), "")
    detail = f"{head} ({where})" if where else head
    if head.startswith("SyntaxError"):
        return ExpressionSyntaxError(f"the script does not parse: {detail}", source=source)
    return EvaluationError(f"the script threw {detail}", source=source)


def run_script(
    source: str,
    variables: Mapping[str, Any],
    *,
    now: dt.datetime,
    execution: ExecutionContext | None = None,
    limits: JsLimits = SCRIPT_LIMITS,
) -> ScriptOutcome:
    """Run ``source`` with ``variables`` as globals; its last value and the variables it
    set through ``execution.setVariable``. Raises ``ExpressionError`` subclasses:
    :class:`LimitExceeded` at a bound, ``ExpressionSyntaxError``, ``EvaluationError``
    for anything the script throws."""
    try:
        encoded = json.dumps(dict(variables), default=_plain, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"the variables cannot be handed to a script: {exc}") from exc
    ex = execution or ExecutionContext()
    meta = {
        "now": int(now.timestamp() * 1000),
        "seed": _seed(execution),
        "processInstanceId": ex.process_instance_id,
        "businessKey": ex.business_key,
        "activityId": ex.current_activity_id,
    }
    program = (
        f"{_FRAME}(globalThis, {json.dumps(encoded)}, {json.dumps(meta)}, {json.dumps(source)})"
    )
    context = _quickjs.Context()
    context.set_memory_limit(limits.memory_bytes)
    context.set_max_stack_size(limits.stack_bytes)
    context.set_time_limit(limits.time_seconds)
    try:
        output = context.eval(program)
    except (_quickjs.JSException, _quickjs.StackOverflow) as exc:
        raise _failure(exc, source, limits) from None
    finally:
        del context  # the runtime goes now, on this thread (QuickJS is thread-bound)
    if not isinstance(output, str):
        raise EvaluationError("the script's result cannot be read", source=source)
    if len(output) > limits.max_output_bytes:
        raise LimitExceeded(
            f"the script's result and variables are {len(output)} characters encoded; at "
            f"most {limits.max_output_bytes}",
            source=source,
        )
    result = json.loads(output)
    return ScriptOutcome(value=result.get("value"), variables=dict(result["written"]))


def evaluate(
    source: str,
    variables: Mapping[str, Any],
    *,
    now: dt.datetime,
    execution: ExecutionContext | None = None,
    limits: JsLimits = EXPRESSION_LIMITS,
) -> Any:
    """The value of a JavaScript expression (a condition): :func:`run_script`'s value,
    with the in-workflow bounds; variables it sets are dropped."""
    return run_script(source, variables, now=now, execution=execution, limits=limits).value


def check_syntax(source: str) -> None:
    """Raise ``ExpressionSyntaxError`` if ``source`` does not parse (deploy time): it is
    compiled as a function body, which runs nothing."""
    context = _quickjs.Context()
    context.set_memory_limit(EXPRESSION_LIMITS.memory_bytes)
    context.set_time_limit(EXPRESSION_LIMITS.time_seconds)
    try:
        context.eval(f"new Function({json.dumps(source)}); undefined")
    except (_quickjs.JSException, _quickjs.StackOverflow) as exc:
        error = _failure(exc, source, EXPRESSION_LIMITS)
        if isinstance(error, ExpressionSyntaxError):
            raise error from None
    finally:
        del context
