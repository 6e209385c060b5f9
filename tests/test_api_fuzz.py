"""The served OpenAPI schema tells the truth about the running service (schemathesis).

Slow tier. The default bake's gunicorn and Celery worker run under production settings on real
MariaDB and Redis (test_behaviour.running_service). A staff user's bearer token fetches the schema
the service serves, then schemathesis generates requests for every operation from it, valid and
invalid, with and without the token, and fails on any 5xx, any status code the operation does not
document, any response body, content type or header the schema does not describe, and any
operation that ignores its authentication. A bounded number of examples per operation keeps the
run to seconds; schemathesis prints its seed, so a failure can be replayed with `--seed`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from support.bakes import Bake
from support.processes import run
from support.venvs import tool
from test_behaviour import Service, running_service

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 15
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
)
STAFF_EMAIL = "fuzz-staff@example.com"


@pytest.fixture(scope="module")
def service(default_bake: Bake, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service, with a sign-in rate high enough that the fuzzer reaches the serializers."""
    run_dir = tmp_path_factory.mktemp("fuzz")
    with running_service(default_bake, run_dir, env={"AUTH_THROTTLE_RATE": "10000/min"}) as live:
        yield live


def staff_token(service: Service) -> str:
    """An access token of a new staff user, obtained through the API as a client would."""
    password = secrets.token_urlsafe(24)
    service.bake.manage(
        "createsuperuser",
        "--noinput",
        env={
            **service.env,
            "DJANGO_SUPERUSER_EMAIL": STAFF_EMAIL,
            "DJANGO_SUPERUSER_PASSWORD": password,
        },
    )
    obtained = service.request(
        "POST", "/api/v1/auth/token/", json={"email": STAFF_EMAIL, "password": password}
    )
    assert obtained.status_code == 200, obtained.text
    access: str = obtained.json()["access"]
    return access


def test_every_operation_answers_as_the_served_schema_says(
    service: Service, tmp_path: Path
) -> None:
    token = staff_token(service)
    served = service.get(
        "/api/v1/schema/",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.oai.openapi+json",
        },
    )
    assert served.status_code == 200, served.text[:500]
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(served.json()))
    report = tmp_path / "junit.xml"

    result = run(
        [
            tool("schemathesis"),
            "run",
            str(schema),
            "--url",
            service.base_url,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            ",".join(CHECKS),
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--request-timeout",
            "10",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
            "--no-color",
        ],
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    print(output)  # the phases' times and the seed, for `pytest -rP`
    assert result.returncode == 0, f"responses the schema does not describe:\n{output}"
    documented = {
        f"{method.upper()} {path}"
        for path, item in served.json()["paths"].items()
        for method in item
    }
    junit = ElementTree.parse(report)  # noqa: S314 - the report schemathesis just wrote
    tested = {case.get("name") for case in junit.iter("testcase")}
    assert len(documented) >= 7, documented
    assert tested == documented, "schemathesis did not test every operation"
