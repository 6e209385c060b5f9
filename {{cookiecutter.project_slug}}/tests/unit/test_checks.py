"""run_checks reports each check's outcome and never waits past its timeout; RecentResults
serves a round of results while it is young and refreshes it without making a request wait."""

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from core.health.checks import CheckResult, RecentResults, readiness_status, run_checks

# Long enough for a thread to be scheduled on a loaded machine, short for a test.
WAIT = 5.0


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


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Rounds:
    """Runs of the checks, numbered; a run can be held until the test releases it."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.release = threading.Event()
        self.release.set()
        self.began = threading.Semaphore(0)

    def held(self) -> None:
        self.release.clear()

    def __call__(self) -> list[CheckResult]:
        number = len(self.started) + 1
        self.started.append(number)
        self.began.release()
        assert self.release.wait(WAIT), "a held round was never released"
        return [CheckResult(f"round {number}", True, 1.0)]

    def wait_for_start(self) -> None:
        assert self.began.acquire(timeout=WAIT), "no round started"


def served(results: list[CheckResult]) -> str:
    return results[0].name


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rounds() -> Iterator[Rounds]:
    rounds = Rounds()
    yield rounds
    rounds.release.set()  # no refresh thread outlives the test


def test_a_round_half_its_age_is_served_while_a_thread_refreshes_it(
    clock: Clock, rounds: Rounds
) -> None:
    recent = RecentResults(clock)
    assert served(recent.get(1.0, rounds)) == "round 1"
    rounds.wait_for_start()

    clock.now += 0.4
    assert served(recent.get(1.0, rounds)) == "round 1"
    assert rounds.started == [1], "refreshed before half its age"

    rounds.held()
    clock.now += 0.2
    started = time.perf_counter()
    assert served(recent.get(1.0, rounds)) == "round 1"
    rounds.wait_for_start()
    # The refresh is under way and held: the request did not wait for it, nor do the next.
    assert served(recent.get(1.0, rounds)) == "round 1"
    assert time.perf_counter() - started < 1.0
    assert rounds.started == [1, 2], "one refresh in flight, not one per request"

    rounds.release.set()
    until(lambda: served(recent.get(1.0, rounds)) == "round 2")
    assert rounds.started == [1, 2]


def test_a_round_as_old_as_the_limit_is_never_served(clock: Clock, rounds: Rounds) -> None:
    recent = RecentResults(clock)
    recent.get(1.0, rounds)
    rounds.wait_for_start()
    rounds.held()
    clock.now += 0.5
    recent.get(1.0, rounds)  # starts a refresh, which hangs
    rounds.wait_for_start()

    clock.now += 0.5
    # The refresh hangs: the request runs a round itself rather than serve a stale one.
    inline = threading.Thread(target=lambda: recent.get(1.0, rounds), daemon=True)
    inline.start()
    rounds.wait_for_start()
    assert rounds.started == [1, 2, 3]
    rounds.release.set()
    inline.join(WAIT)
    until(lambda: not inline.is_alive())
    # Whichever of the two finished last, the round that began later is the one kept.
    until(lambda: served(recent.get(1.0, rounds)) == "round 3")
    assert served(recent.get(1.0, rounds)) == "round 3"


def test_the_age_counts_from_when_the_checks_began(clock: Clock) -> None:
    def slow_round() -> list[CheckResult]:
        clock.now += 0.8  # the checks take most of max_age
        return [CheckResult("slow", True, 800.0)]

    recent = RecentResults(clock)
    first = recent.get(1.0, slow_round)
    clock.now += 0.3  # 1.1 s after the checks began, 0.3 s after they ended
    assert recent.get(1.0, lambda: [CheckResult("next", True, 1.0)]) is not first


# gunicorn forks its workers from a master with no thread; this parent has one on purpose.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_refreshes_although_its_parent_was_refreshing(
    clock: Clock, rounds: Rounds
) -> None:
    recent = RecentResults(clock)
    recent.get(1.0, rounds)
    rounds.wait_for_start()
    rounds.held()
    clock.now += 0.6
    recent.get(1.0, rounds)  # the parent's refresh hangs, holding nothing the child needs
    rounds.wait_for_start()

    pid = os.fork()
    if pid == 0:  # the child: the parent's refresh thread does not exist here
        code = 1
        try:
            rounds.release.set()
            recent.get(1.0, rounds)  # starts the child's own refresh
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and served(recent.get(1.0, rounds)) != "round 3":
                time.sleep(0.005)
            code = 0 if served(recent.get(1.0, rounds)) == "round 3" else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


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
