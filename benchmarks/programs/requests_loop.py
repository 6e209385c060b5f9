"""`requests_loop.py PATH TOKEN COUNT`: COUNT requests through the test client, for a profiler.

Production settings and the bake's whole middleware; 50 requests first, so imports and
connections are made before the loop a profiler attributes.
"""

import sys

import django

django.setup()

from django.test import Client  # noqa: E402  (after django.setup())

client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {sys.argv[2]}")
for _ in range(50):
    client.get(sys.argv[1])


def profiled_loop(count: int) -> None:
    for _ in range(count):
        assert client.get(sys.argv[1]).status_code == 200


profiled_loop(int(sys.argv[3]))
