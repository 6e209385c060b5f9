"""/metrics answers as contracts/metrics.yaml says, with and without the token."""

import pytest
from django.test import Client, override_settings

from .conftest import Validator

pytestmark = pytest.mark.django_db


def test_open_metrics_match_the_contract(client: Client, metrics_contract: Validator) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    metrics_contract(response)


@override_settings(METRICS_TOKEN="contract-token")
def test_refused_scrape_matches_the_contract(client: Client, metrics_contract: Validator) -> None:
    response = client.get("/metrics")

    assert response.status_code == 401
    metrics_contract(response)
