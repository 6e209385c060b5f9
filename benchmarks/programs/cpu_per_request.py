"""CPU time of one request through Django's test client, in ms: `cpu_per_request.py PATH TOKEN`.

The overhead figure without wrk, gunicorn and the machine's other load in it: 50 requests to warm
up, then the median of 5 rounds of 200.
"""

import sys
import time

import django

django.setup()

from django.test import Client  # noqa: E402  (after django.setup())

client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {sys.argv[2]}")
for _ in range(50):
    client.get(sys.argv[1])
samples = []
for _ in range(5):
    started = time.process_time()
    for _ in range(200):
        assert client.get(sys.argv[1]).status_code == 200
    samples.append((time.process_time() - started) / 200 * 1000)
print(sorted(samples)[2])
