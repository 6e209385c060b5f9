"""CPU time of one request through Django's test client, in ms: `cpu_per_request.py PATH TOKEN`.

The overhead figure without wrk, gunicorn and the machine's other load in it: 50 requests to warm
up, then the median of 5 rounds of 300. Tracing is set up as a gunicorn worker sets it up after
its fork (core.tracing.start_tracing(), nothing without OTEL_EXPORTER_OTLP_ENDPOINT); the batch
exporter's thread runs in this process, so its CPU counts. The last two lines printed are
"tracing on" or "tracing off", then the figure.
"""

import sys
import time

import django

django.setup()

from django.test import Client  # noqa: E402  (after django.setup())

try:
    from core.tracing import start_tracing, stop_tracing
except ImportError:  # a bake from before traces (--template of an older checkout)
    provider = None
else:
    provider = start_tracing()

ROUND = 300
client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {sys.argv[2]}")
for _ in range(50):
    client.get(sys.argv[1])
samples = []
for _ in range(5):
    started = time.process_time()
    for _ in range(ROUND):
        assert client.get(sys.argv[1]).status_code == 200
    samples.append((time.process_time() - started) / ROUND * 1000)
if provider is not None:
    stop_tracing()
print("tracing", "on" if provider else "off")
print(sorted(samples)[2])
