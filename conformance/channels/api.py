"""The HTTP face of the simulated Channels API: Pipedrive's four routes under /v1, on Flask.

Same web stack as the reference provider (Flask on Werkzeug's threaded server), so the
simulator is a real HTTP server any vendor app, in any language, can call. This module only
parses HTTP; `Desk` answers. Bad input never reaches a 500: unknown paths and methods get
Pipedrive's 404/405 error body, bodies over the cap a 413, anything unexpected a 400.

Stage: channels.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from conformance.channels.desk import Answer, Desk, error

BODY_CAP = 1024 * 1024  # Pipedrive refuses larger bodies long before this


def _response(answer: Answer) -> Response:
    response = Response(json.dumps(answer.body), status=answer.status, mimetype="application/json")
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def create_app(desk: Desk) -> Flask:
    app = Flask("conformance.channels")
    app.config["MAX_CONTENT_LENGTH"] = BODY_CAP

    def handle(operation: str, **path: str) -> Response:
        raw = request.get_data(cache=False)
        answer = desk.handle(
            operation, request.url, path, request.headers.get("Authorization"), raw
        )
        return _response(answer)

    @app.post("/v1/channels")
    def add_channel() -> Response:
        return handle("addChannel")

    @app.post("/v1/channels/messages/receive")
    def receive_message() -> Response:
        return handle("receiveMessage")

    @app.delete("/v1/channels/<channel_id>")
    def delete_channel(channel_id: str) -> Response:
        return handle("deleteChannel", channel_id=channel_id)

    @app.delete("/v1/channels/<channel_id>/conversations/<conversation_id>")
    def delete_conversation(channel_id: str, conversation_id: str) -> Response:
        return handle("deleteConversation", channel_id=channel_id, conversation_id=conversation_id)

    @app.errorhandler(HTTPException)
    def on_http_error(exc: HTTPException) -> Response:
        status = exc.code or 400
        code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}.get(
            status, "INVALID_REQUEST"
        )
        return _response(error(status, code, exc.description or exc.name))

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception) -> Response:  # never a 500 for what the vendor sent
        return _response(
            error(400, "INVALID_REQUEST", f"request not understood: {type(exc).__name__}")
        )

    return app
