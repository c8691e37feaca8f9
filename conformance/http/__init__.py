"""The HTTP layer: the only code that talks to the provider.

Transport, write policy, liveness and recording (`client.py`), pacing (`pace.py`) and the
scrubbing of credentials out of anything recorded (`redact.py`). It imports nothing from
`checks/`: the transport must not change when a rule does (tests/test_layers.py).
"""
