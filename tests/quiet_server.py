"""A loopback ThreadingHTTPServer for tests that stays quiet when a client hangs up early.

The suite cuts connections on purpose (deadlines, body caps, a dying provider), and
socketserver prints a traceback to stderr for every connection reset by its peer: noise at
the end of the README's test command, not a failure. Any other error still prints.
"""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer


class QuietHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - socketserver's
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)
