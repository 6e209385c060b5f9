"""Check every cookiecutter answer before the project is generated.

Cookiecutter renders this file with Jinja and runs it in the new, still empty project
folder; a non-zero exit makes cookiecutter delete that folder again. Every bad answer gets
one line on stderr, so one re-run fixes them all instead of a half-working project later.

RULES is the single table of what is allowed. local_extensions.py applies the same table
while cookiecutter is still prompting, before it creates any folder: a project_slug such
as 'a/b' or '../x' is a path, and cookiecutter creates that path before this hook runs.

Stdlib only: this runs in cookiecutter's interpreter, which may lack third-party packages.
"""

from __future__ import annotations

import functools
import json
import keyword
import re
import sys
import unicodedata
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

# Cookiecutter puts the answers here as JSON. No answer can end this raw string early: JSON
# text never holds three unescaped quotes in a row nor ends in a backslash, and its escapes
# pair up with Python's. json.loads then undoes every escape exactly.
ANSWERS_JSON = r"""{{ cookiecutter | tojson }}"""


class Rule(NamedTuple):
    """One check of one answer; `allowed` tells the user in words what `check` accepts."""

    field: str
    check: Callable[[object], bool]
    allowed: str


# Names a project_slug must not take: the package would shadow (or be shadowed by) a module
# the baked project imports (its requirements and their main runtime dependencies, by import
# name, lowercase), or collide with a package or file at the project's root.
PROJECT_IMPORTS = frozenset(
    [
        "django",
        "asgiref",
        "sqlparse",
        "rest_framework",
        "rest_framework_simplejwt",
        "jwt",
        "drf_spectacular",
        "drf_spectacular_sidecar",
        "uritemplate",
        "inflection",
        "jsonschema",
        "yaml",
        "environ",
        "mysqldb",
        "django_redis",
        "redis",
        "celery",
        "kombu",
        "billiard",
        "vine",
        "amqp",
        "click",
        "dateutil",
        "structlog",
        "django_structlog",
        "django_prometheus",
        "prometheus_client",
        "csp",
        "django_permissions_policy",
        "whitenoise",
        "corsheaders",
        "axes",
        "opentelemetry",
        "sentry_sdk",
        "google",  # protobuf, beneath OpenTelemetry's exporter
        "wrapt",
        "gunicorn",
        "packaging",
        "pytest",
        "pytest_django",
        "pytest_cov",
        "coverage",
        "factory",
        "faker",
        "openapi_core",
        "openapi_schema_validator",
        "mypy",
        "ruff",
    ]
)
PROJECT_ROOT_NAMES = frozenset(
    [
        "core",
        "apps",
        "shared",
        "tests",
        "test",
        "config",
        "conftest",
        "contracts",
        "deploy",
        "scripts",
        "docker",
        "frontend",
        "manage",
        "requirements",
        "__main__",
    ]
)
RESERVED_SLUGS = (
    PROJECT_IMPORTS
    | PROJECT_ROOT_NAMES
    | frozenset(name.lower() for name in sys.stdlib_module_names)
)
# Soft keywords of the newest Python the project supports, whatever runs this hook.
KEYWORDS = (
    frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"_", "case", "match", "type"}
)
# Starts with a letter, single inner underscores: the slug also names the Docker image and,
# with "_" as "-", Kubernetes objects, which allow neither leading nor doubled separators.
SLUG = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
MAX_SLUG_LENGTH = 32  # the slug is also the MySQL user name, which MySQL 8 caps at 32

# A hostname label: 1-63 letters, digits or inner hyphens.
LABEL = r"[a-z0-9](?:[a-z0-9-]" + "{0,61}" + r"[a-z0-9])?"
# At least two labels, and the last one is not all digits (so no IP addresses).
HOSTNAME = re.compile(r"(?:" + LABEL + r"\.)+(?![0-9]+\Z)" + LABEL, re.IGNORECASE | re.ASCII)
EMAIL_LOCAL_PART = re.compile(r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*", re.IGNORECASE | re.ASCII)

# packaging.version.VERSION_PATTERN (PEP 440). Copied because this hook may not import
# packaging; the (?a:...) groups keep it ASCII-only, as packaging 26 does. Surrounding
# whitespace is not allowed: the version is written into files verbatim.
VERSION_PATTERN = r"""
    v?
    (?a:
        (?:(?P<epoch>[0-9]+)!)?                           # epoch
        (?P<release>[0-9]+(?:\.[0-9]+)*)                  # release segment
        (?P<pre>                                          # pre-release
            [-_\.]?
            (?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)
            [-_\.]?
            (?P<pre_n>[0-9]+)?
        )?
        (?P<post>                                         # post release
            (?:-(?P<post_n1>[0-9]+))
            |
            (?:
                [-_\.]?
                (?P<post_l>post|rev|r)
                [-_\.]?
                (?P<post_n2>[0-9]+)?
            )
        )?
        (?P<dev>                                          # dev release
            [-_\.]?
            (?P<dev_l>dev)
            [-_\.]?
            (?P<dev_n>[0-9]+)?
        )?
    )
    (?a:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?       # local version
"""
VERSION = re.compile(VERSION_PATTERN, re.VERBOSE | re.IGNORECASE)

# Line breaks and control characters would end a comment or a quoted value in .env or YAML.
FORBIDDEN_TEXT_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def is_text(value: object) -> bool:
    """Non-blank text on one line; quotes, backslashes and any letters are fine."""
    return (
        isinstance(value, str)
        and value.strip() != ""
        and not any(unicodedata.category(ch) in FORBIDDEN_TEXT_CATEGORIES for ch in value)
    )


def is_identifier(value: object) -> bool:
    return isinstance(value, str) and SLUG.fullmatch(value) is not None


def is_short_slug(value: object) -> bool:
    return isinstance(value, str) and len(value) <= MAX_SLUG_LENGTH


def is_not_keyword(value: object) -> bool:
    return value not in KEYWORDS


def is_not_reserved(value: object) -> bool:
    return value not in RESERVED_SLUGS


def is_hostname(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 253 and HOSTNAME.fullmatch(value) is not None


def is_email(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    return (
        len(local) <= 64 and EMAIL_LOCAL_PART.fullmatch(local) is not None and is_hostname(domain)
    )


PRE_RELEASE_SPELLINGS = {"alpha": "a", "beta": "b", "c": "rc", "pre": "rc", "preview": "rc"}


def normalized_version(value: object) -> str | None:
    """`value` in PEP 440's normal form (what packaging's str(Version(value)) gives), or None.

    Written out here because this hook may not import packaging; tests/test_hooks.py holds it
    to packaging's answer.
    """
    match = VERSION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    parts = []
    if match["epoch"] and int(match["epoch"]):
        parts.append(f"{int(match['epoch'])}!")
    parts.append(".".join(str(int(number)) for number in match["release"].split(".")))
    if match["pre"]:
        letter = match["pre_l"].lower()
        parts.append(f"{PRE_RELEASE_SPELLINGS.get(letter, letter)}{int(match['pre_n'] or 0)}")
    if match["post"]:
        parts.append(f".post{int(match['post_n1'] or match['post_n2'] or 0)}")
    if match["dev"]:
        parts.append(f".dev{int(match['dev_n'] or 0)}")
    if match["local"]:
        local = re.split(r"[-_.]", match["local"])
        parts.append("+" + ".".join(str(int(p)) if p.isdigit() else p.lower() for p in local))
    return "".join(parts)


def is_version(value: object) -> bool:
    """A PEP 440 version in its normal form: the answer is written into files as typed."""
    return value is not None and normalized_version(value) == value


@functools.cache
def timezones() -> frozenset[str]:
    """IANA names this Python knows; computed once and only when asked (it reads many files)."""
    return frozenset(zoneinfo.available_timezones())


def is_timezone(value: object) -> bool:
    return isinstance(value, str) and value in timezones()


def is_boolean(value: object) -> bool:
    return isinstance(value, bool)


def one_of(*choices: object) -> Callable[[object], bool]:
    return lambda value: value in choices


def listed(choices: Iterable[object]) -> str:
    return ", ".join(repr(choice) for choice in choices)


PYTHON_VERSIONS = ("3.12", "3.13")
CI_PROVIDERS = ("github", "gitlab", "none")
FRONTENDS = ("none", "nextjs")
LICENSES = ("MIT", "BSD-3-Clause", "Apache-2.0", "Proprietary")
TEXT = "use some text on a single line (quotes, '&', backslashes and any letters are fine)"

# Every answer is checked by the rows of its field, in order; the first failing row is
# reported. A new option is a new row, e.g. Rule("use_celery", one_of(True, False), "use yes
# or no").
RULES: tuple[Rule, ...] = (
    Rule("project_name", is_text, TEXT),
    Rule(
        "project_slug",
        is_identifier,
        "use lowercase letters, digits and single underscores, starting with a letter"
        " and not ending with an underscore",
    ),
    Rule(
        "project_slug",
        is_short_slug,
        f"use at most {MAX_SLUG_LENGTH} characters (it is also the MySQL user name)",
    ),
    Rule("project_slug", is_not_keyword, "it is a Python keyword; pick another name"),
    Rule(
        "project_slug",
        is_not_reserved,
        "it would shadow a module the project imports (standard library, Django, Celery, ...)"
        " or a file of the project; pick another name",
    ),
    Rule("description", is_text, TEXT),
    Rule("author_name", is_text, TEXT),
    Rule("author_email", is_email, "use an e-mail address such as team@example.com"),
    Rule(
        "domain_name",
        is_hostname,
        "use a host name such as example.com or api.example.com"
        " (no scheme, path or port; labels of 1-63 letters, digits or hyphens)",
    ),
    Rule(
        "version",
        is_version,
        "use a PEP 440 version in its normal form, such as 0.1.0 or 1.0.0rc1",
    ),
    Rule("python_version", one_of(*PYTHON_VERSIONS), f"use one of {listed(PYTHON_VERSIONS)}"),
    Rule(
        "timezone",
        is_timezone,
        "use an IANA time zone name such as UTC or Europe/Berlin",
    ),
    Rule("ci_provider", one_of(*CI_PROVIDERS), f"use one of {listed(CI_PROVIDERS)}"),
    Rule("use_celery", is_boolean, "use yes or no"),
    Rule("use_docker", is_boolean, "use yes or no"),
    Rule("use_kubernetes", is_boolean, "use yes or no"),
    Rule("frontend", one_of(*FRONTENDS), f"use one of {listed(FRONTENDS)}"),
    Rule("open_source_license", one_of(*LICENSES), f"use one of {listed(LICENSES)}"),
)

CHECKED_FIELDS = tuple(dict.fromkeys(rule.field for rule in RULES))


class Requires(NamedTuple):
    """An option that only makes sense with another one switched on."""

    option: str
    needs: str
    why: str


REQUIREMENTS: tuple[Requires, ...] = (
    Requires("use_kubernetes", "use_docker", "the manifests run the image docker/ builds"),
)


def advice(rule: Rule, value: object) -> str:
    """What to do about this value in particular, beyond the rule's words."""
    if rule.check is is_timezone and not timezones():
        return " (this Python finds no time zone database: install the tzdata package)"
    normal = normalized_version(value) if rule.check is is_version else None
    if normal is not None:
        return f" (for this one: {normal!r})"
    return ""


def problem(field: str, value: object) -> str | None:
    """The error line for the first rule of `field` that `value` breaks, or None."""
    for rule in RULES:
        if rule.field == field and not rule.check(value):
            return f"ERROR: {field} {value!r} is not valid: {rule.allowed}{advice(rule, value)}"
    return None


def findings(
    answers: Mapping[str, object], fields: Iterable[str] = CHECKED_FIELDS
) -> list[tuple[tuple[str, ...], str]]:
    """Each bad answer's error line, with the fields it is about; a missing answer is bad too."""
    wanted = set(fields)
    found: list[tuple[tuple[str, ...], str]] = []
    for field in CHECKED_FIELDS:
        line = problem(field, answers.get(field)) if field in wanted else None
        if line is not None:
            found.append(((field,), line))
    for rule in REQUIREMENTS:
        if answers.get(rule.option) is True and answers.get(rule.needs) is False:
            found.append(
                ((rule.option, rule.needs), f"ERROR: {rule.option} needs {rule.needs}: {rule.why}")
            )
    return found


def problems(answers: Mapping[str, object], fields: Iterable[str] = CHECKED_FIELDS) -> list[str]:
    """One error line per bad answer; a missing answer is bad too."""
    return [line for _, line in findings(answers, fields)]


def main() -> int:
    lines = problems(json.loads(ANSWERS_JSON))
    for line in lines:
        print(line, file=sys.stderr)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
