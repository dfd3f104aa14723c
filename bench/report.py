"""The targets of issue 13, and the table and JSON a bench run produces."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Target:
    """One measure and the bound it must meet: at most (`max`) or at least (`min`)."""

    key: str
    label: str
    unit: str
    bound: float
    kind: Literal["max", "min"]

    def met(self, result: float | None) -> bool:
        """Return whether `result` meets the bound (a missing result never does)."""
        if result is None:
            return False
        return result <= self.bound if self.kind == "max" else result >= self.bound

    def wanted(self) -> str:
        """Return the bound as the table shows it."""
        sign = "≤" if self.kind == "max" else "≥"
        return f"{sign} {self.bound:g} {self.unit}".rstrip()


TARGETS: tuple[Target, ...] = (
    Target("plantid_calls_per_identification", "Plant.id calls per identification", "", 1.2, "max"),
    Target("status_p50_s", "Status message after the photo, p50", "s", 0.15, "max"),
    Target("status_p95_s", "Status message after the photo, p95", "s", 1.0, "max"),
    Target("ready_to_shown_p50_s", "Ready at Plant.id → shown, p50", "s", 1.0, "max"),
    Target("ready_to_shown_p95_s", "Ready at Plant.id → shown, p95", "s", 2.0, "max"),
    Target("throughput_per_s", "Throughput", "identifications/s", 14.0, "min"),
    Target(
        "throughput_per_cpu_s", "Throughput per CPU-second of the bot", "per CPU-s", 60.0, "min"
    ),
    Target(
        "intake_stored_s", "Intake: every photo stored after the first arrived", "s", 60.0, "max"
    ),
    Target("intake_unsubmitted", "Intake: photos never submitted to Plant.id", "", 0, "max"),
    # "The worker never stops": submissions keep coming until every photo is submitted.
    Target("intake_longest_stall_s", "Intake: longest time without a submission", "s", 30.0, "max"),
    Target("rss_mb_pending", "Memory (RSS) with every intake photo pending", "MB", 120.0, "max"),
    Target("upload_kb_12mp", "Upload of a 12 MP photo", "KB", 350.0, "max"),
    Target("backlog_lost_sigterm", "Backlog: acknowledged but not stored, SIGTERM", "", 0, "max"),
    Target("backlog_lost_sigkill", "Backlog: acknowledged but not stored, SIGKILL", "", 0, "max"),
    Target("sigterm_exit_s", "Backlog: exit after SIGTERM", "s", 10.0, "max"),
    Target("orphaned_status_messages", "Orphaned status messages", "", 0, "max"),
)


def machine() -> dict[str, Any]:
    """Describe the machine the bench ran on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average": list(os.getloadavg()),
    }


def rows(measures: dict[str, float | None]) -> list[dict[str, Any]]:
    """Return one row per target: key, label, target, result, unit and whether it is met."""
    return [
        {
            "key": target.key,
            "measure": target.label,
            "target": target.wanted(),
            "result": measures.get(target.key),
            "unit": target.unit,
            "met": target.met(measures.get(target.key)),
        }
        for target in TARGETS
    ]


def table(measures: dict[str, float | None], sizes: dict[str, int]) -> str:
    """Return the results as a Markdown table."""
    lines = [
        f"sizes: {', '.join(f'{name} {count}' for name, count in sizes.items())}",
        "",
        "| Measure | Target | Result | Met? |",
        "|---|---|---|---|",
    ]
    for row in rows(measures):
        result = row["result"]
        shown = "not run" if result is None else f"{result:.3g} {row['unit']}".rstrip()
        met = "—" if result is None else ("yes" if row["met"] else "NO")
        lines.append(f"| {row['measure']} | {row['target']} | {shown} | {met} |")
    return "\n".join(lines)


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the run's JSON document."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
