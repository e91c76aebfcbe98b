"""The fault injector: ``kill -9`` of the worker, the API and the Temporal dev server at
random moments, each restarted after a short outage.

The whole schedule is drawn up front from the seed, so a run can be repeated: which
components die together, how long they stay down, how long the stack runs between two
outages. (What the load is doing at that moment depends on timing, so a replay hits
the same kinds of fault, not the same requests.)

Why these shapes:

* Temporal outages are long (3-6 s, beyond the API's RPC timeout) in about 40 % of the
  cases and always in the first one: then the API's calls time out while the command
  may or may not be committed, the case where a 503 must not hide an applied command.
* About one outage in ten takes all three down together, as a host crash would: the
  worker's in-flight workflow tasks and the API's in-flight requests die with Temporal.
* Each kill counts for its kind, and every kind gets exactly ``kills_per_kind``.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

from bench.chaos_stack import Stack

KINDS = ("worker", "api", "temporal")


@dataclass(frozen=True)
class Outage:
    kinds: tuple[str, ...]
    down_seconds: float
    gap_before: float  # seconds of normal running before it


@dataclass
class Record:
    kinds: tuple[str, ...]
    at: float  # seconds since the injector began
    down_seconds: float  # planned outage
    back_after: float  # until every killed component listened again


def _temporal_down(rng: random.Random, rpc_timeout: float, long: bool) -> float:
    if long:
        return round(rng.uniform(max(3.0, rpc_timeout + 1), max(6.0, rpc_timeout + 4)), 2)
    return round(rng.uniform(0.5, 2.5), 2)


def plan(
    rng: random.Random,
    kills_per_kind: int,
    *,
    rpc_timeout: float,
    gap: tuple[float, float] = (1.0, 4.0),
) -> list[Outage]:
    """The schedule: every kind killed ``kills_per_kind`` times, some of them together."""
    together = max(1, kills_per_kind // 10) if kills_per_kind >= 2 else 0
    groups: list[tuple[str, ...]] = [KINDS] * together
    for kind in KINDS:
        groups += [(kind,)] * (kills_per_kind - together)
    rng.shuffle(groups)
    outages = []
    first_temporal = True
    for kinds in groups:
        if "temporal" in kinds:
            long = first_temporal or len(kinds) > 1 or rng.random() < 0.4
            first_temporal = False
            down = _temporal_down(rng, rpc_timeout, long)
        else:
            down = round(rng.uniform(0.3, 2.0), 2)
        outages.append(Outage(kinds, down, round(rng.uniform(*gap), 2)))
    return outages


@dataclass
class Injector:
    """Runs a plan against a stack; ``done`` tells the load how far the plan has got, so
    it can spread its instances over the whole schedule."""

    stack: Stack
    outages: list[Outage]
    done: int = 0
    records: list[Record] = field(default_factory=list)
    finished: asyncio.Event = field(default_factory=asyncio.Event)

    def kills(self) -> dict[str, int]:
        return {k: sum(1 for r in self.records if k in r.kinds) for k in KINDS}

    def long_temporal_outages(self, rpc_timeout: float) -> int:
        return sum(
            1 for r in self.records if "temporal" in r.kinds and r.down_seconds > rpc_timeout
        )

    async def run(self, stop: asyncio.Event) -> None:
        began = time.monotonic()
        try:
            for outage in self.outages:
                try:
                    await asyncio.wait_for(stop.wait(), outage.gap_before)
                    return  # the run's time bound was reached
                except TimeoutError:
                    pass
                at = time.monotonic()
                await self.stack.outage(list(outage.kinds), outage.down_seconds)
                self.records.append(
                    Record(
                        outage.kinds,
                        round(at - began, 2),
                        outage.down_seconds,
                        round(time.monotonic() - at, 2),
                    )
                )
                self.done += 1
                print(
                    f"  fault {self.done}/{len(self.outages)}: kill -9 {'+'.join(outage.kinds)}"
                    f", down {outage.down_seconds:.1f} s, back after "
                    f"{self.records[-1].back_after:.1f} s",
                    flush=True,
                )
        finally:
            self.finished.set()

    def share(self) -> float:
        """Fraction of the load that may have started by now: up to one outage ahead of
        the schedule, everything once the schedule is through."""
        if self.finished.is_set() or not self.outages:
            return 1.0
        return min(1.0, (self.done + 1) / len(self.outages))
