"""Turning the interpreter's live state into a continue-as-new snapshot and back.

A run continues as new only at a quiet point: every token waits for something that can
be described as data (a user task, a message or signal subscription, a timer deadline,
an open incident, a join, a sub-process run, or it has not entered its element yet) and
none of those waits is already satisfied. This module converts between that state and
the plain models of ``baton_client.contracts.bpmn``; it calls no Temporal API, so the rules can
be read (and tested) on their own.
"""

from __future__ import annotations

from baton_client.contracts import bpmn as c

from workflows.tokens import ScopeRun, Subscription, Token, Wait


def quiet(scopes: list[ScopeRun]) -> bool:
    """True when every token of the live ``scopes`` waits in a way a snapshot can carry
    and no wait (of a token or of an event sub-process trigger) is ready to go on."""
    for scope in scopes:
        if any(wait.ready() for wait in scope.waits.values()):
            return False
        for token in scope.tokens.values():
            if token.busy or token.task is None or token.task.done():
                return False
            waits = token.waits
            if not (token.element_id in waits or "@enter" in waits or "@incident" in waits):
                return False  # running an activity, a script burst, a compensation …
            if any(wait.ready() for wait in waits.values()):
                return False
    return True


def _subscription(sub: Subscription) -> c.SubscriptionSnapshot:
    return c.SubscriptionSnapshot(
        kind=sub.kind,
        name=sub.name,
        element_id=sub.element_id,
        correlation_key=sub.correlation_key,
        sequence=sub.sequence,
        owner=sub.owner,
    )


def _wait(wait: Wait) -> c.WaitSnapshot:
    return c.WaitSnapshot(
        kind=wait.kind,
        task_id=wait.task_id,
        subscription=_subscription(wait.subscription) if wait.subscription else None,
        deadline=wait.deadline,
        occurrence=wait.occurrence,
        incident_id=wait.incident_id,
        scope_id=wait.scope.id if wait.scope is not None else None,
    )


def _token(token: Token) -> c.TokenSnapshot:
    return c.TokenSnapshot(
        id=token.id,
        element_id=token.element_id,
        via=token.via,
        attempts=token.attempts,
        start_event=token.start_event,
        child_run=token.child_run.id if token.child_run is not None else None,
        merged=token.merged,
        waits={key: _wait(wait) for key, wait in token.waits.items()},
    )


def snapshot_scopes(live: list[ScopeRun]) -> list[c.ScopeSnapshot]:
    """The live scopes, plus the finished runs their compensation may still need
    (a completed sub-process keeps its own compensable activities), parents first."""
    ordered: list[ScopeRun] = []
    seen: set[str] = set()

    def visit(scope: ScopeRun) -> None:
        if scope.id in seen:
            return
        if scope.parent is not None:
            visit(scope.parent)
        seen.add(scope.id)
        ordered.append(scope)
        for _, child in scope.compensable:
            if child is not None:
                visit(child)
        for token in scope.tokens.values():
            if token.child_run is not None:
                visit(token.child_run)

    for scope in live:
        visit(scope)
    return [
        c.ScopeSnapshot(
            id=scope.id,
            element_id=scope.element_id,
            parent=scope.parent.id if scope.parent is not None else None,
            finished=scope.finished,
            terminated=scope.terminated,
            compensable=[(eid, run.id if run else None) for eid, run in scope.compensable],
            instance_locals={k: list(v) for k, v in scope.instance_locals.items() if v},
            tokens=[_token(t) for t in scope.tokens.values()] if not scope.finished else [],
            waits={key: _wait(wait) for key, wait in scope.waits.items()},
        )
        for scope in ordered
    ]


def restore_scopes(snapshots: list[c.ScopeSnapshot]) -> dict[str, ScopeRun]:
    """Scope runs and their tokens, without coroutines: the workflow starts those. Each
    token's ``resume`` holds the waits its element picks up again."""
    scopes: dict[str, ScopeRun] = {}
    for snap in snapshots:  # parents come first
        scope = ScopeRun(
            id=snap.id,
            element_id=snap.element_id,
            parent=scopes[snap.parent] if snap.parent is not None else None,
            finished=snap.finished,
            terminated=snap.terminated,
        )
        scope.resume = dict(snap.waits)
        scopes[snap.id] = scope
    for snap in snapshots:
        scope = scopes[snap.id]
        scope.compensable = [
            (eid, scopes[run] if run is not None else None) for eid, run in snap.compensable
        ]
        scope.instance_locals = {k: list(v) for k, v in snap.instance_locals.items()}
        for ts in snap.tokens:
            token = Token(
                id=ts.id,
                element_id=ts.element_id,
                scope=scope,
                via=ts.via,
                attempts=ts.attempts,
                start_event=ts.start_event,
                child_run=scopes.get(ts.child_run) if ts.child_run is not None else None,
                merged=ts.merged,
            )
            token.resume = dict(ts.waits)
            scope.tokens[token.id] = token
    return scopes


def subscription_from(snap: c.SubscriptionSnapshot) -> Subscription:
    return Subscription(
        kind=snap.kind,
        name=snap.name,
        element_id=snap.element_id,
        correlation_key=snap.correlation_key,
        sequence=snap.sequence,
        owner=snap.owner,
    )
