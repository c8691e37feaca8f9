"""Property: whatever arrives, the simulated Channels API answers a JSON 2xx/4xx, never a 5xx.

The Flask app is driven in-process (no callbacks attached), so thousands of hostile requests
cost seconds; the seed is fixed so a failure reproduces.
"""

from __future__ import annotations

import json

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from conformance.channels.api import create_app
from conformance.channels.desk import Desk
from conformance.ledger import Ledger

TOKEN = "fuzz-token-1234"
PATHS = st.one_of(
    st.sampled_from(
        [
            "/v1/channels",
            "/v1/channels/messages/receive",
            "/v1/channels/ref-main",
            "/v1/channels/ref-main/conversations/conv-1",
        ]
    ),
    st.lists(
        st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="?#"),
            max_size=12,
        ),
        max_size=5,
    ).map(lambda parts: "/v1/" + "/".join(parts)),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["id", "name", "provider_channel_id", "channel_id", "status", "created_at", "x"]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=12,
)
BODIES = st.one_of(st.binary(max_size=300), JSONISH.map(lambda v: json.dumps(v).encode()))


@seed(1611)
@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    path=PATHS,
    body=BODIES,
    auth=st.sampled_from([None, f"Bearer {TOKEN}", "Bearer x", "Basic abc", f"bearer {TOKEN}"]),
)
def test_never_a_server_error(method: str, path: str, body: bytes, auth: str | None) -> None:
    desk = Desk(TOKEN, Ledger(), has_get_templates=True, force_429_at=None)
    client = create_app(desk).test_client()
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code < 500, (response.status_code, response.data[:200])
    if method not in ("HEAD", "OPTIONS"):  # Werkzeug answers those two itself, bodiless
        assert response.is_json and "success" in response.get_json()
