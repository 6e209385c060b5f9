"""The answer checks (pre-gen hook and its early guard) and the .env the post-gen hook writes.

Quick tier: cookiecutter and pytest-cookies only, no virtualenv, no servers.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.hooks import run_script_with_context
from cookiecutter.prompt import prompt_for_config
from cookiecutter.utils import create_env_with_context
from packaging.version import InvalidVersion, Version
from pytest_cookies.plugin import Cookies

TEMPLATE = Path(__file__).resolve().parents[1]
HOOKS = TEMPLATE / "hooks"
COOKIECUTTER_JSON = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
# The secrets the design contract promises in .env, by variable.
SECRET_VARIABLES = (
    "SECRET_KEY",
    "MYSQL_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "METRICS_TOKEN",
    "JWT_SIGNING_KEY",
)
PLACEHOLDERS = {
    "change-me-secret-key",
    "change-me-mysql-password",
    "change-me-mysql-root-password",
    "change-me-metrics-token",
    "change-me-jwt-signing-key",
}
URLSAFE = re.compile(r"[A-Za-z0-9_-]+")


def load_hook(name: str) -> ModuleType:
    """Import a hook script as a module (without running its main)."""
    spec = importlib.util.spec_from_file_location(f"test_{name}", HOOKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRE_GEN = load_hook("pre_gen_project")
POST_GEN = load_hook("post_gen_project")


def default_answers() -> dict[str, object]:
    return {
        key: value[0] if isinstance(value, list) else value
        for key, value in COOKIECUTTER_JSON.items()
        if not key.startswith("_")
    } | {"project_slug": "pulsewatch"}


def bake(cookies: Cookies, **answers: object) -> Any:
    return cookies.bake(extra_context=answers, template=str(TEMPLATE))


def leftovers(root: Path) -> list[str]:
    """Everything under `root` but pytest-cookies' own folders: cookies/ and empty bakeNN/."""
    found = []
    for path in root.rglob("*"):
        name = path.relative_to(root).as_posix()
        if name == "cookies" or (
            re.fullmatch(r"cookies/bake\d+", name) and not any(path.iterdir())
        ):
            continue
        found.append(name)
    return sorted(found)


def error_line(field: str, value: object) -> str:
    return f"ERROR: {field} {value!r} is not valid: "


def read_env(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    return dict(pairs)


# --- the rules table ------------------------------------------------------------------------


def test_rules_cover_every_answer_and_nothing_else() -> None:
    answers = {key for key in COOKIECUTTER_JSON if not key.startswith("_")}
    assert set(PRE_GEN.CHECKED_FIELDS) == answers


def rendered_answers(**answers: object) -> dict[str, object]:
    """The answers cookiecutter takes with --no-input: the defaults, rendered, and `answers`."""
    context = generate_context(
        context_file=str(TEMPLATE / "cookiecutter.json"), extra_context=answers
    )
    rendered = prompt_for_config(context, no_input=True)
    return {key: value for key, value in rendered.items() if not key.startswith("_")}


def test_defaults_pass_the_rules() -> None:
    defaults = rendered_answers()
    assert defaults["project_slug"] == "pulsewatch"
    assert defaults["author_name"] == "PulseWatch Team"
    assert PRE_GEN.problems(defaults) == []


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Heartbeat Hub", "heartbeat_hub"),
        ("2FA Monitor", "two_fa_monitor"),
        ("365", "three_six_five"),
        ("The Extremely Long Named Uptime Monitoring Service", "the_extremely_long_named_uptime"),
        ("x" * 40, "x" * 32),
        ("Django", "django_service"),
        ("Type", "type_service"),
        ("Tests", "tests_service"),
        ("Caf\u00e9 M\u00fcnster", "cafe_munster"),
        ("\u76d1\u63a7\u670d\u52a1", "jian_kong_fu_wu"),
        ("Pulse -- Watch!", "pulse_watch"),
    ],
)
def test_derived_slug_passes_the_rules(name: str, slug: str) -> None:
    answers = rendered_answers(project_name=name)
    assert answers["project_slug"] == slug
    assert PRE_GEN.problem("project_slug", slug) is None
    assert answers["author_name"] == f"{name} Team"


@pytest.mark.parametrize("name", ["!!!", "\U0001f680", "-- ..."])
def test_no_slug_from_a_name_without_letters_says_why_at_once(
    name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        rendered_answers(project_name=name)
    err = capfd.readouterr().err.splitlines()
    assert err[0] == (
        f"No project_slug can be made from the project name {name!r}: it has no letters or"
        " digits. Type one at the next question."
    )
    assert err[1].startswith(error_line("project_slug", ""))


def test_slug_question_names_every_slug_rule() -> None:
    question = COOKIECUTTER_JSON["__prompts__"]["project_slug"]
    for words in (
        "lowercase ASCII letters, digits and single underscores",
        "starting with a letter",
        f"at most {PRE_GEN.MAX_SLUG_LENGTH} characters",
        "not a Python keyword",
        "module the project imports",
    ):
        assert words in question
    slug_rules = [rule for rule in PRE_GEN.RULES if rule.field == "project_slug"]
    assert len(slug_rules) == 4, "a new slug rule: name it in the project_slug question too"


def test_a_missing_answer_is_an_error() -> None:
    answers = default_answers()
    del answers["timezone"]
    [line] = PRE_GEN.problems(answers)
    assert line.startswith(error_line("timezone", None))


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("ci_provider", "jenkins", "'github', 'gitlab', 'none'"),
        ("use_kubernetes", "maybe", "yes or no"),
        ("use_kubernetes", 1, "yes or no"),
        ("frontend", "react", "'none', 'nextjs'"),
        ("frontend", True, "'none', 'nextjs'"),
        ("open_source_license", "GPL-3.0", "'MIT', 'BSD-3-Clause', 'Apache-2.0', 'Proprietary'"),
    ],
)
def test_option_rows_reject_unknown_values(field: str, value: object, allowed: str) -> None:
    line = PRE_GEN.problem(field, value) or ""

    assert line.startswith(f"ERROR: {field} {value!r} is not valid")
    assert allowed in line


def test_kubernetes_without_docker_is_refused() -> None:
    answers = default_answers() | {"use_kubernetes": True, "use_docker": False}

    assert PRE_GEN.problems(answers) == [
        "ERROR: use_kubernetes needs use_docker: the manifests run the image docker/ builds"
    ]
    assert PRE_GEN.problems(default_answers() | {"use_kubernetes": True}) == []


def test_python_version_row_rejects_other_versions() -> None:
    # cookiecutter itself refuses '3.11' for the choice variable; the row guards replays.
    assert PRE_GEN.problem("python_version", "3.11") == (
        "ERROR: python_version '3.11' is not valid: use one of '3.12', '3.13'"
    )


@pytest.mark.parametrize("slug", ["type", "match", "case"])
def test_soft_keywords_are_refused_on_any_python(slug: str) -> None:
    assert "keyword" in (PRE_GEN.problem("project_slug", slug) or "")


@pytest.mark.parametrize("slug", ["_", "_pulse", "pulse_", "pulse__watch", "9lives"])
def test_slugs_that_make_bad_image_or_kubernetes_names_are_refused(slug: str) -> None:
    assert "starting with a letter" in (PRE_GEN.problem("project_slug", slug) or "")


def test_timezone_database_is_available() -> None:
    assert {"UTC", "Europe/Berlin", "America/New_York"} <= PRE_GEN.timezones(), (
        "zoneinfo finds no IANA database: apt-get install tzdata (or pip install tzdata)"
    )


VERSIONS = [
    "0.1.0",
    "1.0",
    "v1.0",
    "V1.0",
    "1!2.0",
    "1.0a1",
    "1.0A1",
    "1.0.alpha.1",
    "1.0-beta-2",
    "1.0.0-beta.1",
    "1.0rc1",
    "1.0c1",
    "1.0pre1",
    "1.0preview2",
    "1.0.post1",
    "1.0-1",
    "1.0.r1",
    "1.0rev2",
    "1.0.dev0",
    "1.0dev",
    "1.0.DEV1",
    "1.0+local.7",
    "1.0+abc-def_1",
    "2024.11.26",
    "1.0.0.0.0",
    "1.0a1.post2.dev3+ubuntu.1",
    "",
    "v",
    "1.",
    ".1",
    "1..0",
    "one",
    "1.0.x",
    "1.0+",
    "1.0+-x",
    "latest",
    "1.0-",
    "1.0-dev-",
    "1.0 beta",
    "1.0po\u017ft1",  # long s: matches 's' case-insensitively unless the pattern is ASCII-only
    "1.0+\u212a",  # Kelvin sign, ditto for 'k'
    "\u0661.\u0660",  # Arabic-Indic digits
    "1,0",
]


@pytest.mark.parametrize("version", VERSIONS)
def test_version_rule_agrees_with_packaging(version: str) -> None:
    """Valid versions normalize as packaging does; only the normal form itself is accepted."""
    try:
        normal: str | None = str(Version(version))
    except InvalidVersion:
        normal = None
    assert PRE_GEN.normalized_version(version) == normal
    assert PRE_GEN.is_version(version) is (version == normal)


@pytest.mark.parametrize(
    ("version", "normal"), [("v1", "1"), ("V1.0", "1.0"), ("1.0.0-beta.1", "1.0.0b1")]
)
def test_version_not_in_normal_form_is_refused_with_its_normal_form(
    version: str, normal: str
) -> None:
    assert PRE_GEN.problem("version", version) == (
        f"ERROR: version {version!r} is not valid: use a PEP 440 version in its normal form,"
        f" such as 0.1.0 or 1.0.0rc1 (for this one: {normal!r})"
    )


@pytest.mark.parametrize("version", [" 1.0", "1.0 ", "1.0\n"])
def test_version_with_surrounding_whitespace_is_refused(version: str) -> None:
    assert not PRE_GEN.is_version(version)


def test_slug_cannot_collide_with_the_project_root() -> None:
    root = TEMPLATE / "{{cookiecutter.project_slug}}"
    names = {
        path.stem if path.is_file() else path.name
        for path in root.iterdir()
        if path.is_dir() or path.suffix == ".py"
    }
    clashes = {name for name in names if PRE_GEN.is_identifier(name)}
    assert clashes, "expected packages such as core/ at the project root"
    allowed = sorted(name for name in clashes if PRE_GEN.problem("project_slug", name) is None)
    assert allowed == [], "add these to PROJECT_ROOT_NAMES in hooks/pre_gen_project.py"


def test_slug_cannot_shadow_a_module_the_project_imports(cookies: Cookies) -> None:
    result = bake(cookies)
    assert result.exception is None, result.exception
    imported: set[str] = set()
    for path in result.project_path.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    imported.discard("pulsewatch")
    assert {"django", "celery", "core"} <= imported
    allowed = sorted(
        name for name in imported if PRE_GEN.problem("project_slug", name.lower()) is None
    )
    assert allowed == [], "add these to PROJECT_IMPORTS in hooks/pre_gen_project.py"


# --- the hooks as cookiecutter runs them -----------------------------------------------------


def render_hook(name: str, answers: dict[str, object]) -> str:
    source = (HOOKS / f"{name}.py").read_text(encoding="utf-8")
    env = create_env_with_context({"cookiecutter": answers})
    return str(env.from_string(source).render(cookiecutter=answers))


def test_post_gen_hook_renders_only_the_options_line() -> None:
    source = (HOOKS / "post_gen_project.py").read_text(encoding="utf-8").splitlines()
    rendered = render_hook("post_gen_project", default_answers()).splitlines()

    changed = [line for line in rendered if line not in source]
    assert len(changed) == 1
    assert changed[0].startswith('OPTIONS_JSON = r"""{')
    assert json.loads(changed[0].split('"""')[1])["ci_provider"] == "github"


def test_pre_gen_hook_renders_only_the_answers_line() -> None:
    source = (HOOKS / "pre_gen_project.py").read_text(encoding="utf-8")
    rendered = render_hook("pre_gen_project", {"x": 1})
    assert rendered == source.replace("{{ cookiecutter | tojson }}", '{"x": 1}')
    assert rendered != source


HOSTILE_TEXT = 'Zo\u00eb\'s """ \'\'\' \\" "\\ & <b> \U0001f680 \\'


def run_pre_gen(answers: dict[str, object]) -> None:
    run_script_with_context(
        str(HOOKS / "pre_gen_project.py"), str(TEMPLATE), {"cookiecutter": answers}
    )


def test_pre_gen_script_accepts_hostile_free_text(capfd: pytest.CaptureFixture[str]) -> None:
    answers = default_answers() | {
        "project_name": HOSTILE_TEXT,
        "description": HOSTILE_TEXT,
        "author_name": HOSTILE_TEXT,
    }
    run_pre_gen(answers)
    assert capfd.readouterr().err == ""


def test_pre_gen_script_reports_each_bad_answer_exactly(capfd: pytest.CaptureFixture[str]) -> None:
    answers = default_answers() | {
        "author_email": HOSTILE_TEXT,
        "project_slug": "class",
        "timezone": "Mars/Olympus_Mons",
    }
    with pytest.raises(FailedHookException):
        run_pre_gen(answers)
    lines = capfd.readouterr().err.splitlines()
    assert [line.split(" ", 2)[1] for line in lines] == ["project_slug", "author_email", "timezone"]
    assert lines[1].startswith(error_line("author_email", HOSTILE_TEXT))


# --- bad answers never leave anything behind -------------------------------------------------

BAD_ANSWERS = [
    ("project_slug", "", "lowercase letters"),
    ("project_slug", " ", "lowercase letters"),
    ("project_slug", "Bad-Name", "lowercase letters"),
    ("project_slug", "PulseWatch", "lowercase letters"),
    ("project_slug", "class", "keyword"),
    ("project_slug", "match", "keyword"),
    ("project_slug", "type", "keyword"),
    ("project_slug", "django", "shadow"),
    ("project_slug", "celery", "shadow"),
    ("project_slug", "core", "shadow"),
    ("project_slug", "tests", "shadow"),
    ("project_slug", "json", "shadow"),
    ("project_slug", "1service", "lowercase letters"),
    ("project_slug", "my-service", "lowercase letters"),
    ("project_slug", "my service", "lowercase letters"),
    ("project_slug", "my.service", "lowercase letters"),
    ("project_slug", "a/b", "lowercase letters"),
    ("project_slug", "..", "lowercase letters"),
    ("project_slug", "../escape", "lowercase letters"),
    ("project_slug", "../../escape", "lowercase letters"),
    ("project_slug", "a/../b", "lowercase letters"),
    ("project_slug", "caf\u00e9", "lowercase letters"),
    ("project_slug", "service\n", "lowercase letters"),
    ("project_slug", "x" * 33, "at most 32"),
    ("project_name", "", "single line"),
    ("project_name", "   ", "single line"),
    ("project_name", "Two\nLines", "single line"),
    ("description", "", "single line"),
    ("description", "\t", "single line"),
    ("author_name", " ", "single line"),
    ("author_email", "", "e-mail"),
    ("author_email", "not-an-email", "e-mail"),
    ("author_email", "team@localhost", "e-mail"),
    ("author_email", "team@@example.com", "e-mail"),
    ("author_email", "team @example.com", "e-mail"),
    ("author_email", "team@example..com", "e-mail"),
    ("author_email", ".team@example.com", "e-mail"),
    ("domain_name", "", "host name"),
    ("domain_name", "https://example.com", "host name"),
    ("domain_name", "example.com/path", "host name"),
    ("domain_name", "example.com:8000", "host name"),
    ("domain_name", "localhost", "host name"),
    ("domain_name", "my_site.example.com", "host name"),
    ("domain_name", "a" * 64 + ".com", "host name"),
    ("domain_name", "example.com.", "host name"),
    ("domain_name", "-bad.example.com", "host name"),
    ("domain_name", "192.168.0.1", "host name"),
    ("version", "", "PEP 440"),
    ("version", "one", "PEP 440"),
    ("version", "1.0.x", "PEP 440"),
    ("version", "1..0", "PEP 440"),
    ("version", " 0.1.0", "PEP 440"),
    ("version", "v1", "for this one: '1'"),
    ("timezone", "", "IANA"),
    ("timezone", "Mars/Olympus_Mons", "IANA"),
    ("timezone", "utc", "IANA"),
    ("timezone", "Europe/Berl\u00edn", "IANA"),
]


@pytest.mark.parametrize(("field", "value", "allowed"), BAD_ANSWERS)
def test_bad_answer_is_refused_and_writes_nothing(
    cookies: Cookies,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    field: str,
    value: str,
    allowed: str,
) -> None:
    result = bake(cookies, **{field: value})
    err = capfd.readouterr().err
    assert result.exit_code != 0
    assert isinstance(result.exception, FailedHookException)
    assert result.project_path is None
    line = next(
        (line for line in err.splitlines() if line.startswith(error_line(field, value))), ""
    )
    assert allowed in line, err
    assert leftovers(tmp_path) == []


def test_absolute_slug_writes_nothing(cookies: Cookies, tmp_path: Path) -> None:
    result = bake(cookies, project_slug=str(tmp_path / "absolute"))
    assert isinstance(result.exception, FailedHookException)
    assert leftovers(tmp_path) == []


def test_unknown_python_version_is_refused(cookies: Cookies, tmp_path: Path) -> None:
    result = bake(cookies, python_version="3.11")
    assert result.exit_code != 0
    assert "python_version" in str(result.exception)
    assert leftovers(tmp_path) == []


def test_pre_gen_hook_refuses_on_its_own(
    cookies: Cookies, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """With the early guard switched off, the hook still stops the bake and cleans up."""
    result = bake(cookies, __answers_checked="off", project_slug="django")
    assert isinstance(result.exception, FailedHookException)
    assert "Hook script failed" in str(result.exception)
    assert error_line("project_slug", "django") in capfd.readouterr().err
    assert leftovers(tmp_path) == []


def run_cookiecutter(tmp_path: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, from the template folder, into an output folder under tmp_path."""
    (tmp_path / "work" / "out").mkdir(parents=True)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {tmp_path / 'user' / 'cookiecutters'}\n"
        f"replay_dir: {tmp_path / 'user' / 'replay'}\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config)]
    return subprocess.run(
        [*command, "-o", str(tmp_path / "work" / "out"), ".", *answers],
        cwd=TEMPLATE,
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60,
        check=False,
    )


def written_by_cli(tmp_path: Path) -> list[str]:
    """Everything the CLI wrote anywhere under tmp_path (not even a replay file is allowed)."""
    ours = {"config.yaml", "work", "work/out"}
    return sorted(
        name
        for name in (path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*"))
        if name not in ours
    )


@pytest.mark.parametrize(
    "answer",
    [
        "project_slug=",
        "project_slug=a/b",
        "project_slug=../escape",
        "project_slug={tmp}/absolute",
        "author_email=nope",
        "timezone=Nowhere/Town",
    ],
)
def test_cli_refuses_with_one_line_and_writes_nothing(tmp_path: Path, answer: str) -> None:
    answer = answer.replace("{tmp}", str(tmp_path))
    field, value = answer.split("=", 1)
    done = run_cookiecutter(tmp_path, answer)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(error_line(field, value)), done.stderr
    assert written_by_cli(tmp_path) == []
    assert not any((tmp_path / "work" / "out").iterdir())


def test_cli_bake_prints_next_steps(tmp_path: Path) -> None:
    done = run_cookiecutter(tmp_path)
    assert done.returncode == 0, done.stderr
    project = tmp_path / "work" / "out" / "pulsewatch"
    assert f"cd {project}" in done.stdout
    steps = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("  make ")]
    assert steps == ["install", "db-setup", "migrate", "run"]
    assert len(done.stdout.splitlines()) <= 8
    for name in SECRET_VARIABLES:
        assert read_env(project / ".env")[name] not in done.stdout + done.stderr


# --- .env and its secrets ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def baked(cookies_session: Cookies) -> Path:
    result = bake(cookies_session)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


def secrets_of(project: Path) -> dict[str, str]:
    env = read_env(project / ".env")
    return {name: env[name] for name in SECRET_VARIABLES}


def test_post_gen_table_matches_the_design() -> None:
    assert set(POST_GEN.SECRET_BYTES) == PLACEHOLDERS
    assert all(n * 8 >= 256 for n in POST_GEN.SECRET_BYTES.values())


def test_env_is_private(baked: Path) -> None:
    assert stat.S_IMODE((baked / ".env").stat().st_mode) == 0o600


def test_env_is_the_example_with_fresh_secrets(baked: Path) -> None:
    example = (baked / ".env.example").read_text(encoding="utf-8")
    for placeholder in PLACEHOLDERS:
        assert placeholder in example
    env = (baked / ".env").read_text(encoding="utf-8")
    found = secrets_of(baked)
    restored = env
    for name, placeholder in zip(
        SECRET_VARIABLES,
        [
            "change-me-secret-key",
            "change-me-mysql-password",
            "change-me-mysql-root-password",
            "change-me-metrics-token",
            "change-me-jwt-signing-key",
        ],
        strict=True,
    ):
        restored = restored.replace(found[name], placeholder)
    assert restored == example
    database_url = urlsplit(read_env(baked / ".env")["DATABASE_URL"])
    assert database_url.password == found["MYSQL_PASSWORD"]


def test_secrets_are_strong_distinct_and_url_safe(baked: Path) -> None:
    found = secrets_of(baked)
    for name, value in found.items():
        assert URLSAFE.fullmatch(value), name
        assert len(value) * 6 >= 256, name
    assert len(found["SECRET_KEY"]) >= 64
    assert len(set(found.values())) == len(found)


def test_secrets_appear_in_no_other_file(baked: Path) -> None:
    found = [value.encode() for value in secrets_of(baked).values()]
    others = [path for path in baked.rglob("*") if path.is_file() and path.name != ".env"]
    assert len(others) > 10
    for path in others:
        data = path.read_bytes()
        assert not any(secret in data for secret in found), path


def test_two_bakes_get_different_secrets(cookies: Cookies, baked: Path) -> None:
    other = bake(cookies)
    assert other.exit_code == 0, other.exception
    first, second = secrets_of(baked), secrets_of(other.project_path)
    assert all(first[name] != second[name] for name in SECRET_VARIABLES)


def test_env_is_ignored_by_git(cookies: Cookies, tmp_path: Path) -> None:
    result = bake(cookies)
    assert result.exit_code == 0, result.exception
    project = result.project_path
    # No global or system git configuration: only the bake's own .gitignore may ignore .env.
    env = os.environ | {
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=project, env=env, capture_output=True, text=True, check=False
        )

    assert git("init", "--quiet").returncode == 0
    ignored = git("check-ignore", "--verbose", ".env")
    assert ignored.returncode == 0, ".env is not ignored"
    assert ignored.stdout.startswith(".gitignore:"), ignored.stdout
    assert git("check-ignore", ".env.example").returncode == 1, ".env.example must be committed"


def run_post_gen(project: Path, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    """Run the post-gen hook as cookiecutter would: rendered with the default answers."""
    script = project.parent / "post_gen_project.py"
    script.write_text(render_hook("post_gen_project", default_answers()), encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=project,
        capture_output=True,
        text=True,
        preexec_fn=lambda: os.umask(umask),
        timeout=30,
        check=False,
    )


def test_rerunning_post_gen_keeps_env(baked: Path) -> None:
    before = (baked / ".env").read_bytes()
    done = run_post_gen(baked)
    assert done.returncode == 0, done.stderr
    assert "left it unchanged" in done.stdout
    assert (baked / ".env").read_bytes() == before
    assert stat.S_IMODE((baked / ".env").stat().st_mode) == 0o600


def test_env_is_0600_whatever_the_umask(tmp_path: Path, baked: Path) -> None:
    (tmp_path / ".env.example").write_bytes((baked / ".env.example").read_bytes())
    done = run_post_gen(tmp_path, umask=0o277)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600


def test_unknown_placeholder_stops_the_bake(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text(
        "SECRET_KEY=change-me-secret-key\nNEW_TOKEN=change-me-new-token\n", encoding="utf-8"
    )
    done = run_post_gen(tmp_path)
    assert done.returncode == 1
    assert "'change-me-new-token'" in done.stderr
    assert not (tmp_path / ".env").exists()


def test_missing_example_stops_the_bake(tmp_path: Path) -> None:
    done = run_post_gen(tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("ERROR: .env.example is missing")
    assert not (tmp_path / ".env").exists()
