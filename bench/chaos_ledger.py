"""The client side of the chaos run: every command it sends, every answer, and what the
client may conclude from them.

A well-behaved client reads an answer in three ways, and so does this one:

* 2xx: the command was applied. Baton promises that; the accounting holds it to that.
* 4xx: the command was refused and changed nothing (408 and 429 excepted: those say
  "try again").
* 5xx, a timeout or a broken connection: not known whether it was applied. The client
  sends the same command again -- the same ``Idempotency-Key``, ``messageId``, event id
  or task -- until it gets a definite answer or its patience (attempts and seconds) runs
  out. It never invents a new identity for a retry: that is what makes retrying safe.

The ledger keeps all of it, so the accounting can compare what the client was told with
what Temporal committed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx


class Outcome(StrEnum):
    APPLIED = "applied"  # a 2xx answer
    REFUSED = "refused"  # a 4xx answer and no unknown attempt before it
    REFUSED_AFTER_UNKNOWN = "refused-after-unknown"  # 4xx after a 5xx/timeout: ambiguous
    UNKNOWN = "unknown"  # patience ran out without a definite answer


@dataclass
class Attempt:
    status: int | None  # None: no HTTP answer (connection refused, reset, timeout)
    error: str | None
    seconds: float


@dataclass
class Command:
    """One logical command and every attempt at it."""

    op: str
    instance: str  # the client's name for the instance (its business key)
    target: str | None = None  # instance id, task id … as far as the command names one
    attempts: list[Attempt] = field(default_factory=list)
    outcome: Outcome = Outcome.UNKNOWN
    body: Any = None  # the last answer's JSON (2xx and 4xx only)

    @property
    def applied(self) -> bool:
        return self.outcome is Outcome.APPLIED

    @property
    def final_status(self) -> int | None:
        return self.attempts[-1].status if self.attempts else None


def definite(status: int | None) -> bool:
    """Whether the answer settles the command (applied or refused)."""
    return status is not None and status < 500 and status not in (408, 429)


@dataclass
class Patience:
    """How long a client keeps retrying one command: bounded in count and in time, and
    longer than the longest outage the injector causes."""

    attempts: int = 200
    seconds: float = 90.0
    backoff: float = 0.25
    max_backoff: float = 2.0
    refusal_retries: int = 12  # for a 4xx the client expects to pass (see Client.send)


class Ledger:
    """Every command of the run, in the order they were issued."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def add(self, command: Command) -> Command:
        self.commands.append(command)
        return command

    def by_op(self, op: str) -> list[Command]:
        return [c for c in self.commands if c.op == op]

    def summary(self) -> dict[str, dict[str, int]]:
        """Per operation: how many commands ended each way, and how many attempts with
        no definite answer (5xx, timeouts, broken connections) the client saw."""
        out: dict[str, dict[str, int]] = {}
        for cmd in self.commands:
            row = out.setdefault(cmd.op, Counter())
            row[cmd.outcome.value] += 1
            row["attempts"] += len(cmd.attempts)
            row["unknown answers"] += sum(1 for a in cmd.attempts if not definite(a.status))
        return {op: dict(sorted(row.items())) for op, row in sorted(out.items())}

    def statuses(self) -> dict[str, int]:
        """Every HTTP status (or transport error) seen, for the figures."""
        seen: Counter[str] = Counter()
        for cmd in self.commands:
            for a in cmd.attempts:
                seen[str(a.status) if a.status is not None else (a.error or "error")] += 1
        return dict(sorted(seen.items()))


class Client:
    """Sends commands the way the module docstring describes and records them."""

    def __init__(self, http: httpx.AsyncClient, ledger: Ledger, patience: Patience) -> None:
        self.http = http
        self.ledger = ledger
        self.patience = patience

    async def send(
        self,
        op: str,
        instance: str,
        method: str,
        url: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        target: str | None = None,
        retry_refusals: set[int] | None = None,
    ) -> Command:
        """Send until definite. ``retry_refusals``: 4xx statuses that this client, knowing
        more than the server (e.g. that the instance it targets was just started), takes
        as "not yet" and retries -- the command stays identical, so it is still safe."""
        cmd = self.ledger.add(Command(op=op, instance=instance, target=target))
        began = time.monotonic()
        delay = self.patience.backoff
        unknown_seen = False
        refusals_left = self.patience.refusal_retries
        for _ in range(self.patience.attempts):
            t0 = time.monotonic()
            status: int | None = None
            error: str | None = None
            try:
                r = await self.http.request(method, url, json=json, headers=headers)
                status = r.status_code
                if definite(status):
                    try:
                        cmd.body = r.json()
                    except ValueError:
                        cmd.body = r.text
            except httpx.TimeoutException:
                error = "timeout"
            except httpx.TransportError as err:
                error = type(err).__name__
            cmd.attempts.append(Attempt(status, error, round(time.monotonic() - t0, 3)))
            if definite(status):
                assert status is not None
                if status < 300:
                    cmd.outcome = Outcome.APPLIED
                    return cmd
                refusals_left -= 1
                if not (retry_refusals and status in retry_refusals) or refusals_left < 0:
                    cmd.outcome = Outcome.REFUSED_AFTER_UNKNOWN if unknown_seen else Outcome.REFUSED
                    return cmd
            else:
                unknown_seen = True
            if time.monotonic() - began > self.patience.seconds:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.patience.max_backoff)
        last = cmd.final_status
        if definite(last):
            cmd.outcome = Outcome.REFUSED_AFTER_UNKNOWN if unknown_seen else Outcome.REFUSED
        else:
            cmd.outcome = Outcome.UNKNOWN
        return cmd

    async def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """A read, retried through outages; None when it never answered 200."""
        began = time.monotonic()
        while time.monotonic() - began < self.patience.seconds:
            try:
                r = await self.http.get(url, params=params)
                if r.status_code == 200:
                    return r.json()
                if definite(r.status_code):
                    return None
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
        return None
