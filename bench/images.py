"""Print CPU time, upload size and peak memory of image preparation, one photo at a time."""

# Run from the repository root: `.venv/bin/python bench/images.py [--impl path/to/images.py]`.
# Each case runs in a fresh interpreter so that its peak RSS is its own. `--impl` loads another
# implementation (any file with a compatible `prepare_image`), e.g. the previous commit's, to
# compare: `git show <commit>:plantid/images.py > /tmp/old.py`.

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def _make_cases(directory: Path) -> list[tuple[str, Path]]:
    """Write the sample photos once and return (name, path) for each case."""
    sys.path.insert(0, str(ROOT))
    import pillow_heif
    from PIL import Image

    from tests.plantid.samples import leafy_photo

    pillow_heif.register_heif_opener()
    cases: list[tuple[str, Path]] = []

    def save(name: str, image: Image.Image, image_format: str, **options: Any) -> None:
        path = directory / f"{len(cases)}.{image_format.lower()}"
        image.save(path, format=image_format, **options)
        cases.append((name, path))

    photo = leafy_photo((4032, 3024))
    save("12 MP JPEG q92", photo, "JPEG", quality=92)
    save("12 MP HEIC", photo, "HEIF", quality=80)
    save("1200x900 JPEG q80", leafy_photo((1200, 900), seed=2), "JPEG", quality=80)
    save("4000x3000 PNG", photo.resize((4000, 3000)), "PNG", compress_level=1)
    transparent = photo.resize((6000, 4500)).convert("RGBA")
    transparent.putalpha(Image.linear_gradient("L").resize((6000, 4500)))
    save("6000x4500 RGBA PNG", transparent, "PNG", compress_level=1)
    del photo, transparent
    big = leafy_photo((2225, 2225), seed=3).resize((8900, 8900))
    save("8900x8900 PNG", big, "PNG", compress_level=1)
    return cases


def _status_kib(field: str) -> int:
    """Return a memory figure of this process from /proc (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _load_prepare(impl: str | None) -> Callable[..., Any]:
    if impl is None:
        from plantid.images import prepare_image

        return prepare_image
    spec = importlib.util.spec_from_file_location("images_under_test", impl)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    prepare: Callable[..., Any] = module.prepare_image
    return prepare


def _measure(path: Path, impl: str | None) -> dict[str, Any]:
    """Run in the child: prepare the photo RUNS times, then report the figures as JSON."""
    from PIL import Image

    prepare = _load_prepare(impl)
    warm_up = io.BytesIO()
    Image.new("RGB", (8, 8)).save(warm_up, "PNG")
    prepare(warm_up.getvalue())
    data = path.read_bytes()
    # VmHWM, unlike ru_maxrss, starts afresh at exec instead of keeping the parent's peak.
    baseline = _status_kib("VmRSS")
    first = time.process_time()
    prepared = prepare(data)
    peak = _status_kib("VmHWM")
    cpu = [time.process_time() - first]
    for _ in range(RUNS - 1):
        start = time.process_time()
        prepare(data)
        cpu.append(time.process_time() - start)
    return {
        "input_bytes": len(data),
        "output_bytes": len(prepared.jpeg),
        "output_size": f"{prepared.width}x{prepared.height}",
        "cpu_ms": statistics.median(cpu) * 1000,
        "peak_mib": max(0, peak - baseline) / 1024,
    }


def main() -> int:
    """Build the samples, measure every case in its own process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", help="another images.py to measure instead of plantid's")
    parser.add_argument("--child", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(Path(args.child[0]), args.impl)))
        return 0
    print(f"implementation: {args.impl or 'plantid/images.py'}; median CPU of {RUNS} runs;")
    print("peak = highest RSS while preparing, above the RSS just before (data loaded)")
    print(f"{'case':<20} {'input':>9} {'output':>9} {'size':>10} {'CPU ms':>8} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as directory:
        for name, path in _make_cases(Path(directory)):
            command = [sys.executable, __file__, "--child", str(path)]
            if args.impl:
                command += ["--impl", args.impl]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{name:<20} failed: {done.stderr.strip().splitlines()[-1]}")
                continue
            row = json.loads(done.stdout)
            sizes = f"{row['input_bytes'] / 1000:>7.0f}KB {row['output_bytes'] / 1000:>7.0f}KB"
            figures = f"{row['cpu_ms']:>8.1f} {row['peak_mib']:>9.0f}"
            print(f"{name:<20} {sizes} {row['output_size']:>10} {figures}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
