"""The benchmark runs end to end at its quick size and reports every measure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.report import TARGETS

ROOT = Path(__file__).resolve().parents[1]


def test_quick_bench_reports_every_measure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    finished = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    document = json.loads(out.read_text())
    assert document["errors"] == {}
    measures = document["measures"]
    # Benchmarks are not timed tests: every measure must be there, whatever its value.
    for target in TARGETS:
        assert isinstance(measures.get(target.key), int | float), target.key
    assert {row["key"] for row in document["rows"]} == {target.key for target in TARGETS}
    assert "Plant.id calls per identification" in finished.stdout
