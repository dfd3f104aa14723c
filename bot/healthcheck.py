"""`python -m bot.healthcheck`: the container's HEALTHCHECK, asking the running bot's /healthz."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

EXIT_HEALTHY = 0
# Docker reads exit status 1 as "unhealthy"; every other non-zero status is reserved.
EXIT_UNHEALTHY = 1
DEFAULT_LISTEN_PORT = "8080"
TIMEOUT = 4.0
_BODY_LIMIT = 300


def health_url(environ: Mapping[str, str]) -> str | None:
    """Return the /healthz URL the bot serves with these settings, or None if it serves none."""

    def setting(name: str) -> str:
        # `docker run --env-file` passes `HEALTH_PORT=` through as an empty value: that is unset.
        return environ.get(name, "").strip()

    port = setting("HEALTH_PORT")
    if not port and setting("WEBHOOK_URL"):
        port = setting("LISTEN_PORT") or DEFAULT_LISTEN_PORT
    if not port:
        return None
    return f"http://127.0.0.1:{port}/healthz"


def check(environ: Mapping[str, str], timeout: float = TIMEOUT) -> tuple[int, str]:
    """Ask the bot how it is; return the exit status and one line saying why."""
    url = health_url(environ)
    if url is None:
        return EXIT_HEALTHY, "no health endpoint configured (set HEALTH_PORT to check the bot)"
    # Loopback must never go through an HTTP_PROXY set for the bot's outgoing traffic.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            body = response.read(_BODY_LIMIT)
            status = response.status
    except urllib.error.HTTPError as error:
        body = error.read(_BODY_LIMIT)
        status = error.code
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return EXIT_UNHEALTHY, f"cannot reach {url}: {reason}"
    text = " ".join(body.decode("utf-8", "replace").split())
    if status == 200:
        return EXIT_HEALTHY, f"healthy: {text}" if text else "healthy"
    return EXIT_UNHEALTHY, f"unhealthy: {url} answered {status}: {text}".rstrip(": ")


def main() -> int:
    """Run the check against this process's environment and print its one line."""
    status, line = check(os.environ)
    print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
