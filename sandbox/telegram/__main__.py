"""Run the fake Bot API: `python -m sandbox.telegram --port 8081`."""

from sandbox.telegram.server import main

main()
