"""Where a test run's time goes: per test module and per tier (slow, matrix, quick).

tests/conftest.py feeds every test report to a Timings (on xdist's controller, which receives
the workers' reports, or in the only process without xdist) and prints its table at the end of
the run. Two figures per row, because with xdist they differ:

* busy: the sum of the phases' durations (setup, call, teardown: fixtures included), i.e. worker
  seconds spent on the row; with N workers the rows' busy times add up to about N x wall.
* span: from the first of the row's phases starting to the last ending, i.e. the wall time the
  row was in progress (rows overlap when workers run them side by side).

A session-scoped fixture's cost lands on the first test that asks for it in each worker, so a
module that shares a bake with another may carry it for both: the table says where the time
went, not whose it should be.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The markers that name a tier (pyproject's markers), in the order a test is assigned to them.
TIERS = ("slow", "matrix")
QUICK = "quick"


def tier_of(keywords: Iterable[str]) -> str:
    """The tier of a test from its keywords: the first of TIERS it is marked with, else quick."""
    names = set(keywords)
    return next((tier for tier in TIERS if tier in names), QUICK)


@dataclass
class Row:
    """The time of one module or tier: its tests, busy seconds and the wall span it took."""

    tests: set[str] = field(default_factory=set)
    busy: float = 0.0
    start: float = float("inf")
    stop: float = float("-inf")

    def add(self, nodeid: str, duration: float, start: float | None, stop: float | None) -> None:
        self.tests.add(nodeid)
        self.busy += duration
        if start is not None and stop is not None:
            self.start = min(self.start, start)
            self.stop = max(self.stop, stop)

    @property
    def span(self) -> float:
        return max(self.stop - self.start, 0.0) if self.stop >= self.start else 0.0


@dataclass
class Timings:
    """Per module and per tier, from the reports of every test phase."""

    modules: dict[str, Row] = field(default_factory=dict)
    tiers: dict[str, Row] = field(default_factory=dict)

    def add(
        self,
        nodeid: str,
        keywords: Mapping[str, object] | Iterable[str],
        duration: float,
        start: float | None = None,
        stop: float | None = None,
    ) -> None:
        module = nodeid.split("::", 1)[0]
        for table, key in ((self.modules, module), (self.tiers, tier_of(keywords))):
            table.setdefault(key, Row()).add(nodeid, duration, start, stop)

    def lines(self, wall: float | None = None) -> list[str]:
        """The table: tiers first, then modules by busy time, longest first."""
        name_width = max([len(name) for name in self.modules] + [len("module"), 24])
        columns = f" {'tests':>6} {'busy s':>9} {'span s':>9}"
        out: list[str] = []
        for title, table in (("tier", self.tiers), ("module", self.modules)):
            out.append(f"{title:{name_width}}{columns}")
            for name, row in sorted(table.items(), key=lambda item: -item[1].busy):
                out.append(
                    f"{name:{name_width}} {len(row.tests):>6} {row.busy:>9.1f} {row.span:>9.1f}"
                )
        total = sum(row.busy for row in self.tiers.values())
        tests = sum(len(row.tests) for row in self.tiers.values())
        summary = f"{'total':{name_width}} {tests:>6} {total:>9.1f}"
        if wall is not None:
            summary += f" {wall:>9.1f}  (span: the session's wall time)"
        out.append(summary)
        return out
