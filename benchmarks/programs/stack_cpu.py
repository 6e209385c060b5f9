"""CPU per request of one view through several middleware stacks, in one process, interleaved.

`stack_cpu.py PATH TOKEN STACKS_JSON [ROUNDS ROUND]`: STACKS_JSON maps a stack's name to the
middleware it keeps on top of `startproject`'s list, in the bake's order, as groups of
alternative prefixes (one group per component; any of its prefixes may match), or to null for
the bake's whole MIDDLEWARE. A group that matches nothing stops the program.

Each stack gets its own test client, whose handler loads the chain under that MIDDLEWARE; then
ROUNDS rounds (5) of ROUND requests (300) go through each stack in turn, so the machine's other
load falls on every stack alike. Production settings, tracing off (no
OTEL_EXPORTER_OTLP_ENDPOINT). Prints one JSON line: by stack, the median ms of CPU per request,
every round's figure and the middleware list.
"""

import json
import statistics
import sys
import time

import django

django.setup()

from django.conf import settings  # noqa: E402  (after django.setup())
from django.test import Client, override_settings  # noqa: E402
from startproject import STARTPROJECT_MIDDLEWARE  # noqa: E402

path, token, stacks = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
ROUNDS, ROUND = (int(n) for n in sys.argv[4:6]) if len(sys.argv) > 5 else (5, 300)
full = list(settings.MIDDLEWARE)
clients = {}
chains: dict[str, list[str]] = {}
for name, groups in stacks.items():
    if groups is None:
        middleware = full
    else:
        unmatched = [g for g in groups if not any(m.startswith(tuple(g)) for m in full)]
        if unmatched:
            raise SystemExit(f"no middleware of {unmatched} in the bake's MIDDLEWARE")
        kept = tuple(prefix for group in groups for prefix in group)
        middleware = [m for m in full if m in STARTPROJECT_MIDDLEWARE or m.startswith(kept)]
    chains[name] = middleware
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    with override_settings(MIDDLEWARE=middleware):
        client.get(path)  # the handler loads its middleware chain on the first request
    clients[name] = client
for client in clients.values():
    for _ in range(50):
        client.get(path)
samples: dict[str, list[float]] = {name: [] for name in clients}
for _ in range(ROUNDS):
    for name, client in clients.items():
        started = time.process_time()
        for _ in range(ROUND):
            assert client.get(path).status_code == 200
        samples[name].append((time.process_time() - started) / ROUND * 1000)
median = {name: statistics.median(values) for name, values in samples.items()}
print(json.dumps({"median_ms": median, "samples_ms": samples, "middleware": chains}))
