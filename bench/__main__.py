"""Run the benchmark: `python -m bench [--quick] [--out FILE] [--only NAME ...]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.report import machine, rows, table, write
from bench.scenarios import FULL, QUICK, SCENARIOS, Measures

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "last.json"


def parse(argv: list[str]) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: prove the bench works")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON result file")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(SCENARIOS), help="run only these scenarios"
    )
    return parser.parse_args(argv)


async def run(quick: bool, only: list[str] | None, workdir: Path) -> dict[str, Any]:
    """Run the scenarios one after another; a failing one leaves its measures empty."""
    sizes = QUICK if quick else FULL
    measures: Measures = {}
    details: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, scenario in SCENARIOS.items():
        if only and name not in only:
            continue
        started = time.monotonic()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        try:
            measures.update(await scenario(workdir / name, sizes, details))
        except Exception as error:
            errors[name] = f"{type(error).__name__}: {error}"
            traceback.print_exc()
        details.setdefault(name, {})["wall_seconds"] = round(time.monotonic() - started, 1)
    return {
        "quick": quick,
        "sizes": {
            "burst": sizes.burst,
            "throughput": sizes.throughput,
            "intake": sizes.intake,
            "backlog": sizes.backlog,
        },
        "plantid_delay_s": sizes.plantid_delay,
        "machine": machine(),
        "measures": measures,
        "rows": rows(measures),
        "details": details,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the bench, print the table, write the JSON; exit 1 if a scenario broke."""
    args = parse(sys.argv[1:] if argv is None else argv)
    # The stand-ins log every request at INFO; the table is what matters here.
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="plantbot-bench-") as folder:
        document = asyncio.run(run(args.quick, args.only, Path(folder)))
    write(args.out, document)
    print(table(document["measures"], document["sizes"]))
    print(f"written to {args.out}")
    for name, error in document["errors"].items():
        print(f"scenario {name} failed: {error}", file=sys.stderr)
    return 1 if document["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
