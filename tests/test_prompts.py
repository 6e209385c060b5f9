"""Cookiecutter's questions answered at a terminal, as a person types them.

The other answer tests pass answers as extra_context or command-line arguments, which no
prompt sees. Here cookiecutter runs in a pseudo-terminal (pexpect) with a home of its own, so
its replay files land there: each answer is checked as soon as it is typed, a refused one stops
the run at once, the answers before it are kept in a replay file, and a rerun from that file
asks only the rest. Quick tier: one cookiecutter process per run, about a second each.
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path

import pexpect
import pytest

TEMPLATE = Path(__file__).resolve().parents[1]
UNFINISHED = f"{TEMPLATE.name}-unfinished.json"
# The end of every question: "... (default): ", choices included ("Choose from [1/2] (1): ").
QUESTION_END = r"\): "


class Terminal:
    """One cookiecutter run in a pseudo-terminal; `answer()` waits for a question and types."""

    def __init__(self, home: Path, out: Path, *args: str) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("COOKIECUTTER", "PYTEST"))
        }
        # No colour or cursor codes from rich: the transcript is plain text.
        env |= {"HOME": str(home), "TERM": "dumb", "NO_COLOR": "1"}
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "cookiecutter", "--output-dir", str(out), *args, str(TEMPLATE)],
            env=env,
            encoding="utf-8",
            timeout=30,
            dimensions=(40, 200),
        )
        self.transcript = ""

    def answer(self, text: str = "") -> str:
        """Wait for the next question, type `text` and Enter; returns the question, unwrapped."""
        self.child.expect(QUESTION_END)
        question = self.child.before + self.child.after
        self.transcript += question
        self.child.sendline(text)
        return " ".join(question.split())

    def answer_all(self, *answers: str) -> list[str]:
        return [self.answer(text) for text in answers]

    def end(self) -> tuple[int, str]:
        """The exit status and everything printed since the last question."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        rest = self.child.before
        self.transcript += rest
        return self.child.exitstatus, " ".join(rest.split())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    return tmp_path / "out"


def kept_answers(home: Path) -> dict[str, object]:
    path = home / ".cookiecutter_replay" / UNFINISHED
    answers: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))["cookiecutter"]
    return answers


def test_a_bad_answer_stops_the_run_as_soon_as_it_is_typed(home: Path, out: Path) -> None:
    terminal = Terminal(home, out)
    questions = terminal.answer_all("Heartbeat Hub", "", "", "", "", "", "v1")
    status, said = terminal.end()

    assert questions[-1].startswith("[7/15] First release version")
    assert status == 1
    assert said.startswith(
        "v1 ERROR: version 'v1' is not valid: use a PEP 440 version in its normal form"
    ), said
    assert "[8/15]" not in terminal.transcript
    assert list(out.iterdir()) == []
    assert kept_answers(home) == {
        "project_name": "Heartbeat Hub",
        "project_slug": "heartbeat_hub",
        "description": "A Django service for uptime and health monitoring.",
        "author_name": "Heartbeat Hub Team",
        "author_email": "team@example.com",
        "domain_name": "example.com",
    }
    replay = home / ".cookiecutter_replay" / UNFINISHED
    assert f"cookiecutter --replay-file {replay} <template>" in said
    assert "asks only the other questions, from version on" in said


def test_a_rerun_from_the_kept_answers_asks_only_the_rest(home: Path, out: Path) -> None:
    first = Terminal(home, out)
    first.answer_all("Heartbeat Hub", "", "", "", "", "", "v1")
    assert first.end()[0] == 1
    replay = home / ".cookiecutter_replay" / UNFINISHED

    again = Terminal(home, out, "--replay-file", str(replay))
    question = again.answer("1.0")
    questions = again.answer_all(*[""] * 8)
    status, said = again.end()

    assert question.startswith("[1/9] First release version"), question
    assert questions[-1].startswith("[9/9] License"), questions[-1]
    assert status == 0, said
    project = out / "heartbeat_hub"
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["version"] == "1.0"
    assert metadata["authors"][0]["name"] == "Heartbeat Hub Team"


def test_a_refused_slug_keeps_nothing_its_default_depends_on(home: Path, out: Path) -> None:
    """project_slug's default is made from project_name, so a rerun must ask both again."""
    terminal = Terminal(home, out)
    questions = terminal.answer_all("Pulse", "Bad-Name")
    status, said = terminal.end()

    assert "(pulse):" in questions[1]
    assert status == 1
    assert "ERROR: project_slug 'Bad-Name' is not valid" in said
    assert said.endswith("Stopped before writing anything: fix the answers above."), said
    assert not (home / ".cookiecutter_replay" / UNFINISHED).exists()
    assert list(out.iterdir()) == []


def test_kubernetes_without_docker_is_refused_when_it_is_answered(home: Path, out: Path) -> None:
    terminal = Terminal(home, out)
    terminal.answer_all("Heartbeat Hub", *[""] * 10, "no", "yes")
    status, said = terminal.end()

    assert status == 1
    assert "ERROR: use_kubernetes needs use_docker" in said
    assert "[14/15]" not in terminal.transcript
    kept = kept_answers(home)
    assert "use_docker" not in kept
    assert "use_kubernetes" not in kept
    assert kept["use_celery"] is True
    assert "from use_docker on" in said


def test_derived_defaults_pass_at_the_prompt(home: Path, out: Path) -> None:
    terminal = Terminal(home, out)
    questions = terminal.answer_all("2FA Monitor", *[""] * 14)
    status, said = terminal.end()

    assert "(two_fa_monitor):" in questions[1]
    assert "(2FA Monitor Team):" in questions[3]
    assert status == 0, said
    license_text = (out / "two_fa_monitor" / "LICENSE").read_text(encoding="utf-8")
    assert " 2FA Monitor Team\n" in license_text


def test_a_name_with_nothing_to_make_a_slug_from_says_so_before_the_slug_question(
    home: Path, out: Path
) -> None:
    terminal = Terminal(home, out)
    terminal.answer("!!!")
    slug_question = terminal.answer("bang")
    terminal.answer_all(*[""] * 13)
    status, said = terminal.end()

    assert slug_question.startswith(
        "!!! No project_slug can be made from the project name '!!!': it has no letters or"
        " digits. Type one at the next question. [2/15] Package name"
    ), slug_question
    assert status == 0, said
    assert (out / "bang" / "manage.py").is_file()
