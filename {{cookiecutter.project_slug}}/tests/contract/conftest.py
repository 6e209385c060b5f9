"""Validate real responses against the OpenAPI documents in contracts/."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"

# Takes the test client's response, which the stubs type apart from HttpResponse.
Validator = Callable[[Any], None]


def validator_for(document: str) -> Validator:
    spec = OpenAPI.from_file_path(str(CONTRACTS / document))

    def validate(response: Any) -> None:
        request = response.wsgi_request
        spec.validate_response(DjangoOpenAPIRequest(request), DjangoOpenAPIResponse(response))

    return validate


@pytest.fixture(scope="session")
def health_contract() -> Validator:
    return validator_for("health.yaml")


@pytest.fixture(scope="session")
def metrics_contract() -> Validator:
    return validator_for("metrics.yaml")
