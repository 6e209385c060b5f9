"""Write the Prometheus Operator's PrometheusRule from the plain rule files it copies.

promtool checks and tests the rule files in deploy/observability/rules/, while the Prometheus
Operator loads rules from PrometheusRule objects. deploy/k8s/monitoring/prometheus-rule.yaml
therefore keeps its own head (everything up to `spec.groups`) and takes the rest from the rule
files, so the rules are written once: `make prometheus-rule` rewrites it, and `make rules`
(which CI runs) fails while it is out of date.

Standard library only: the manifest is the rule files' text, indented, not a re-serialisation,
so their comments and layout carry over.
"""

from __future__ import annotations

import sys
from pathlib import Path

RULES = Path("deploy/observability/rules")
MANIFEST = Path("deploy/k8s/monitoring/prometheus-rule.yaml")
GROUPS = "\ngroups:\n"
SPEC_GROUPS = "  groups:\n"


def groups_of(path: Path) -> str:
    """The items of a rule file's top-level `groups:` list, indented for `spec.groups`."""
    text = path.read_text(encoding="utf-8")
    if GROUPS not in text:
        raise SystemExit(f"{path}: no top-level `groups:` line")
    items = text.split(GROUPS, 1)[1]
    return "".join(
        f"  {line}" if line.strip() else line for line in items.splitlines(keepends=True)
    )


def render(head: str) -> str:
    """`head` followed by every rule file's groups, in file name order."""
    parts = [head]
    for path in sorted(RULES.glob("*.yml")):
        parts.append(f"    # {path.as_posix()}\n")
        parts.append(groups_of(path))
    return "".join(parts)


def main(argv: list[str]) -> int:
    current = MANIFEST.read_text(encoding="utf-8")
    if SPEC_GROUPS not in current:
        print(f"{MANIFEST}: no `spec.groups` line to write the rules under", file=sys.stderr)
        return 1
    wanted = render(current[: current.index(SPEC_GROUPS) + len(SPEC_GROUPS)])
    if argv[1:] == ["--check"]:
        if current != wanted:
            print(
                f"{MANIFEST} differs from {RULES}/: run `make prometheus-rule`",
                file=sys.stderr,
            )
            return 1
        return 0
    MANIFEST.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
