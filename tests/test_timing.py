"""The time table `make test` ends with (support.timing, fed by tests/conftest.py)."""

from __future__ import annotations

import pytest
from support.timing import Timings, tier_of


@pytest.mark.parametrize(
    ("keywords", "tier"),
    [
        ({"test_x": 1, "slow": 1}, "slow"),
        ({"slow": 1, "containers": 1}, "slow"),
        ({"matrix": 1}, "matrix"),
        ({"slow": 1, "matrix": 1}, "slow"),
        ({"test_x": 1, "tests/test_x.py": 1}, "quick"),
    ],
)
def test_a_test_belongs_to_the_first_tier_it_is_marked_with(
    keywords: dict[str, int], tier: str
) -> None:
    assert tier_of(keywords) == tier


def test_phases_add_up_per_module_and_per_tier_and_spans_cover_them() -> None:
    timings = Timings()
    # Two workers side by side: a.py's tests from 0 to 10 s, b.py's (slow) from 2 to 5 s.
    timings.add("tests/a.py::test_one", {}, 1.0, 0.0, 1.0)  # setup
    timings.add("tests/a.py::test_one", {}, 3.0, 1.0, 4.0)  # call
    timings.add("tests/a.py::test_two", {}, 6.0, 4.0, 10.0)
    timings.add("tests/b.py::TestB::test_three", {"slow": 1}, 3.0, 2.0, 5.0)

    a, b = timings.modules["tests/a.py"], timings.modules["tests/b.py"]
    assert (len(a.tests), a.busy, a.span) == (2, 10.0, 10.0)
    assert (len(b.tests), b.busy, b.span) == (1, 3.0, 3.0)
    assert timings.tiers["quick"].busy == 10.0
    assert timings.tiers["slow"].span == 3.0

    lines = timings.lines(wall=11.0)
    assert lines[0].split() == ["tier", "tests", "busy", "s", "span", "s"]
    assert lines[1].split() == ["quick", "2", "10.0", "10.0"]
    assert lines[2].split() == ["slow", "1", "3.0", "3.0"]
    assert lines[3].split()[0] == "module"
    # Modules longest first.
    assert [line.split()[0] for line in lines[4:6]] == ["tests/a.py", "tests/b.py"]
    assert lines[-1].split()[:4] == ["total", "3", "13.0", "11.0"]


def test_reports_without_start_and_stop_count_busy_time_only() -> None:
    timings = Timings()
    timings.add("tests/a.py::test_one", {}, 2.5)
    assert timings.modules["tests/a.py"].busy == 2.5
    assert timings.modules["tests/a.py"].span == 0.0
