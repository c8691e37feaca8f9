"""The HTTP layer: the only code that talks to the provider.

`client.py` (the ProviderClient) composes the rest: `transport.py` (the session with the
run's TLS options, the deadline and body cap), `policy.py` (what may be written), `auth.py`
(the credentials sent and their placeholders), `liveness.py` (a dead provider, a hanging
operation), `recorder.py` (the exchange bus), `pace.py` (pacing and 429 back-offs) and
`redact.py` (scrubbing credentials out of anything recorded). `fetch.py` loads the manifest
from a file or through the same transport. It imports nothing from `checks/`, `phases/`,
`faces/` or `report/`: the transport must not change when a rule does (tests/test_layers.py).

Stage: http.
"""
