"""The credentials the suite sends, how a record shows them, and the redactor that knows them.

HTTP stage. Every Authorization header the client may send (the valid one and the two
wrong-credential probes) is made here, next to the placeholder a recorded request shows
instead (report/curl.py turns those back into shell variables) and the `Redactor` built
from all of them, so that a provider echoing any probe's token is scrubbed too.

Stage: http.
"""

from __future__ import annotations

import base64

from conformance.inputs.profile import Credentials
from conformance.redact import Redactor

# What a recorded Authorization header says instead of the credential it carried.
AUTH_PLACEHOLDERS = {
    "valid": "Basic <base64 client_id:client_secret>",
    "wrong-secret": "Basic <base64 client_id:wrong-secret>",
    "wrong-id": "Basic <base64 wrong-client-id:client_secret>",
}
WRONG_SECRET = "conformance-wrong-secret"
WRONG_ID = "conformance-wrong-client-id"


def auth_values(credentials: Credentials) -> dict[str, str]:
    """The Authorization header of each probe.

    The wrong-id probe pairs a wrong client id with the real secret: a provider that checks
    only the secret must be caught (auth.wrong-credentials). Whatever a provider echoes of
    it is scrubbed: the Redactor knows every token the suite sends, not only the valid one.
    """

    def basic(client_id: str, secret: str) -> str:
        return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    return {
        "valid": basic(credentials.client_id, credentials.client_secret.reveal()),
        "wrong-secret": basic(credentials.client_id, WRONG_SECRET),
        "wrong-id": basic(WRONG_ID, credentials.client_secret.reveal()),
    }


def redactor_for(credentials: Credentials) -> Redactor:
    """Scrubs the secret and every token the suite sends, in every encoding (redact.py)."""
    tokens = [value.removeprefix("Basic ") for value in auth_values(credentials).values()]
    return Redactor([credentials.client_secret.reveal(), *tokens])
