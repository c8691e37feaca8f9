from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from conformance.reference import ReferenceConfig, ReferenceServer


class Api:
    """A tiny client for the reference provider's endpoints, over real HTTP."""

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server
        self.base = f"{server.base_url}/api/channels"
        self.auth = (server.config.client_id, server.config.client_secret)

    def get(self, path: str, auth: object = "valid", **params: object) -> requests.Response:
        return requests.get(
            f"{self.base}/{path}",
            params=params or None,
            auth=self.auth if auth == "valid" else auth,
            timeout=10,
        )

    def post(
        self, channel: str, data: dict, files: list | None = None, auth: object = "valid"
    ) -> requests.Response:
        return requests.post(
            f"{self.base}/{channel}/messages",
            data=data,
            files=files,
            auth=self.auth if auth == "valid" else auth,
            timeout=10,
        )

    def delete(self, channel: str, auth: object = "valid") -> requests.Response:
        return requests.delete(
            f"{self.base}/{channel}", auth=self.auth if auth == "valid" else auth, timeout=10
        )


@pytest.fixture
def api() -> Iterator[Api]:
    with ReferenceServer(ReferenceConfig(rate_limit=None)) as server:
        yield Api(server)
