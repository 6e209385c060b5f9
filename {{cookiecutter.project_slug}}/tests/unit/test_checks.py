"""run_checks reports each check's outcome and never waits past its timeout."""

import time

from core.health.checks import CheckResult, RecentResults, readiness_status, run_checks


def passing() -> None:
    return None


def failing() -> None:
    raise ConnectionRefusedError("db.internal:3306 refused user admin")


def hanging() -> None:
    time.sleep(2)


def test_outcomes_are_reported_per_check() -> None:
    results = {result.name: result for result in run_checks({"a": passing, "b": failing}, 1.0)}

    assert results["a"].ok
    assert results["a"].error is None
    assert not results["b"].ok
    # Only the exception type: the message holds a host name and a user.
    assert results["b"].error == "ConnectionRefusedError"
    assert results["b"].as_dict() == {
        "status": "error",
        "latency_ms": results["b"].latency_ms,
        "error": "ConnectionRefusedError",
    }


def test_a_hanging_check_fails_at_the_timeout() -> None:
    started = time.perf_counter()

    results = run_checks({"slow": hanging, "fast": passing}, timeout=0.2)

    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    outcome = {result.name: (result.ok, result.error) for result in results}
    assert outcome == {"slow": (False, "Timeout"), "fast": (True, None)}


def test_recent_results_are_reused_until_they_are_too_old() -> None:
    rounds: list[list[CheckResult]] = []

    def run() -> list[CheckResult]:
        rounds.append([CheckResult("a", True, 1.0)])
        return rounds[-1]

    recent = RecentResults()
    first = recent.get(60, run)
    assert recent.get(60, run) is first
    assert len(rounds) == 1

    assert recent.get(0, run) is not first
    assert len(rounds) == 2


def test_a_failing_replica_alone_degrades_readiness_without_failing_it() -> None:
    replica_down = [
        CheckResult("database:default", True, 1.0),
        CheckResult("database:replica", False, 1.0),
    ]
    primary_down = [
        CheckResult("database:default", False, 1.0),
        CheckResult("database:replica", False, 1.0),
    ]

    assert readiness_status([CheckResult("database:default", True, 1.0)]) == ("ok", 200)
    assert readiness_status(replica_down) == ("degraded", 200)
    assert readiness_status(primary_down) == ("unavailable", 503)
