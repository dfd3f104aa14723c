"""Serve an ASGI app on loopback in a background thread, for tests and the sandbox."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_on_loopback(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run `app` with uvicorn on loopback in a thread; yield its base URL, stop on exit."""
    bound_port = port or free_port(host)
    config = uvicorn.Config(
        app, host=host, port=bound_port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    # The server runs its own event loop so that tests on another loop can block on it.
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    started = threading.Event()

    def _wait_started() -> None:
        while not server.started and thread.is_alive():
            started.wait(0.01)

    _wait_started()
    if not server.started:
        raise RuntimeError(f"loopback server on {host}:{bound_port} failed to start")
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        # Tests leave deliberately hung requests behind; don't wait for them to finish.
        server.should_exit = server.force_exit = True
        thread.join(timeout=10)
