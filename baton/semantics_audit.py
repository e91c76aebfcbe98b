"""``baton semantics``: which semantic epochs running instances follow, and the rules.

The old branch of a rule (``workflows/semantics.py``) serves only runs below the rule's
epoch; it may be deleted once Temporal can no longer replay such a run. Running
instances are what matters (a worker replays them whenever their cache is cold), so the
audit counts them by ``BpmnSemanticsEpoch`` through visibility. Runs from before epoch 3
do not carry the attribute: they are counted as "below 3", whatever their epoch, since
nothing cheaper than their history tells which one. Closed executions are shown too: a
query (REST's instance detail asks the ``state`` query) or a reset replays them until
the namespace's retention removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baton_client.contracts import search_attributes as sa
from temporalio.client import Client

from workflows import semantics

_BPMN = 'WorkflowType = "BpmnProcess"'
_RUNNING = 'ExecutionStatus = "Running"'
_CLOSED = 'ExecutionStatus != "Running"'


@dataclass(frozen=True)
class EpochRow:
    """Executions of one epoch (``epoch`` None: not recorded, below the first recorded
    epoch; ``newer``: above the current one, from workers newer than this code)."""

    label: str
    epoch: int | None
    running: int
    closed: int
    newer: bool = False


@dataclass(frozen=True)
class Audit:
    rows: tuple[EpochRow, ...]
    below: int

    def running_below(self) -> int:
        """Running executions below epoch ``below``. Unrecorded ones count whatever
        ``below`` is: they may be of any epoch under the first recorded one."""
        return sum(
            row.running
            for row in self.rows
            if row.epoch is None or (not row.newer and row.epoch < self.below)
        )

    def closed_below(self) -> int:
        return sum(
            row.closed
            for row in self.rows
            if row.epoch is None or (not row.newer and row.epoch < self.below)
        )

    def retirable(self) -> tuple[semantics.Rule, ...]:
        """The rules whose old branch may go now (none while a run below is running)."""
        return semantics.retirable(self.below) if self.running_below() == 0 else ()


async def _count(client: Client, *conditions: str) -> int:
    found = await client.count_workflows(" AND ".join((_BPMN, *conditions)))
    return found.count


async def audit(client: Client, below: int = semantics.CURRENT_EPOCH) -> Audit:
    """Count ``BpmnProcess`` executions by epoch (one visibility count per cell)."""
    name = sa.SEMANTICS_EPOCH.name
    first, current = semantics.FIRST_RECORDED_EPOCH, semantics.CURRENT_EPOCH
    cells: list[tuple[str, int | None, str, bool]] = [
        (f"below {first} (not recorded)", None, f"{name} IS NULL", False)
    ]
    cells += [(str(n), n, f"{name} = {n}", False) for n in range(first, current + 1)]
    cells.append((f"above {current} (newer workers)", current + 1, f"{name} > {current}", True))
    rows = [
        EpochRow(
            label=label,
            epoch=epoch,
            running=await _count(client, _RUNNING, condition),
            closed=await _count(client, _CLOSED, condition),
            newer=newer,
        )
        for label, epoch, condition, newer in cells
    ]
    return Audit(rows=tuple(rows), below=below)


def render_audit(result: Audit) -> list[str]:
    """The table, then the verdict as the closing line."""
    width = max(len(row.label) for row in result.rows)
    lines = [
        f"BpmnProcess executions by semantic epoch (new runs: {semantics.CURRENT_EPOCH})",
        f"{'epoch':<{width}}  {'running':>7}  {'closed':>7}",
    ]
    lines += [f"{row.label:<{width}}  {row.running:>7}  {row.closed:>7}" for row in result.rows]
    running = result.running_below()
    n = result.below
    if running:
        lines.append(f"semantics: {running} running below epoch {n}: keep every rule's old branch")
        return lines
    rules = result.retirable()
    closed = result.closed_below()
    if closed:
        lines.append(
            f"note: {closed} closed executions below epoch {n} are still in retention; "
            "queries and resets replay them until it removes them"
        )
    lines.append(
        f"semantics: 0 running below epoch {n}: the old branches of {len(rules)} rules "
        f"(epoch <= {n}) may be deleted"
    )
    return lines


def render_rules() -> list[str]:
    """One line per rule: epoch, marker, fixture; the summary below it."""
    marker_width = max(len(rule.marker) for rule in semantics.RULES)
    lines = [f"{'epoch':<5}  {'marker':<{marker_width}}  fixture (tests/histories/)"]
    for rule in semantics.RULES:
        lines.append(f"{rule.epoch:<5}  {rule.marker:<{marker_width}}  {rule.fixture}")
        lines.append(f"{'':<5}  {rule.summary}")
    lines.append(
        f"rules: {len(semantics.RULES)} in {semantics.CURRENT_EPOCH} epochs; new runs record "
        f"{semantics.epoch_marker(semantics.CURRENT_EPOCH)}"
    )
    return lines


def audit_document(result: Audit) -> dict[str, Any]:
    """``baton semantics audit --json``: the counts and the verdict."""
    return {
        "currentEpoch": semantics.CURRENT_EPOCH,
        "below": result.below,
        "rows": [
            {
                "label": row.label,
                "epoch": row.epoch,
                "running": row.running,
                "closed": row.closed,
                "newer": row.newer,
            }
            for row in result.rows
        ],
        "runningBelow": result.running_below(),
    }


def rules_document() -> dict[str, Any]:
    """``baton semantics rules --json``: every rule and the current epoch."""
    return {
        "currentEpoch": semantics.CURRENT_EPOCH,
        "marker": semantics.epoch_marker(semantics.CURRENT_EPOCH),
        "rules": [
            {
                "epoch": rule.epoch,
                "marker": rule.marker,
                "fixture": rule.fixture,
                "summary": rule.summary,
            }
            for rule in semantics.RULES
        ],
    }
