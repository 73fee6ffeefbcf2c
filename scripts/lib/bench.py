"""The benchmark scenarios behind scripts/bench. Each prints medians over several runs."""

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "target" / "bench"


def hyperfine(command: str, runs: int, prepare: str = "", cwd: Path = WORK) -> float:
    """Median wall time of `command`, in seconds."""
    export = Path(tempfile.mkstemp(suffix=".json")[1])
    args = ["hyperfine", "--style", "none", "--runs", str(runs), "--export-json", str(export)]
    if prepare:
        args += ["--prepare", prepare]
    subprocess.run(args + [command], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    result = json.loads(export.read_text())["results"][0]
    export.unlink()
    return statistics.median(result["times"])


def generate(count: int, out: Path, *extra: str) -> Path:
    if not (out / "images").is_dir():
        subprocess.run([str(REPO / "scripts" / "gen-tree"), str(count), str(out), *extra], check=True)
    return out


def render_scale(binary: str) -> None:
    """Render of generated trees of 5,000 and 10,000 images, on the disk and on tmpfs."""
    print("render scale (median of 5 runs, fresh output folder each run)")
    for place, root in (("disk", WORK), ("tmpfs", Path("/dev/shm/docker-pkg-bench"))):
        times = {}
        for count in (5000, 10000):
            tree = generate(count, root / f"tree-{count}")
            times[count] = hyperfine(
                f"{binary} render --output out images", runs=5, prepare="rm -rf out", cwd=tree
            )
            print(f"  {place:5}  {count:>6} images: {times[count]:.3f} s")
        print(f"  {place:5}  10,000 / 5,000: {times[10000] / times[5000]:.2f}x")
    shutil.rmtree("/dev/shm/docker-pkg-bench", ignore_errors=True)


SCENARIOS = {"render": render_scale}


def main() -> int:
    binary, *names = sys.argv[1:]
    names = names or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    for name in names:
        SCENARIOS[name](binary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
