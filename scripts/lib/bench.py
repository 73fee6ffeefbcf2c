"""The benchmark scenarios behind scripts/bench: this tool against docker-pkg 4.0.4 on the same
generated trees, the same storage and the same registry, the two tools taking turns.

    bench.py BINARY [--runs N] [SCENARIO...]

Scenarios (default: all): noop, full, slow, real-base, real-base-136, debian, render,
multi-arch. Each figure is the median over N runs (default 3; render: at least 5) of the wall
time of the command alone: resetting the registry and the storage before a run is not timed.
Peak memory is the largest resident set of the timed process and of the processes it waited
for (GNU time's %M). The table is printed at the end and written, in Markdown, to
bench/results.md of cargo's target folder.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_env import (  # noqa: E402
    BUSYBOX, DEBIAN, HOST, PLATFORMS_BASE, REAL_BASE, REFERENCE, BenchEnv,
)

REPO = Path(__file__).resolve().parents[2]
# scripts/bench exports where cargo builds (target/ unless the user moved it).
WORK = Path(os.environ.get("TARGET_DIR") or REPO / "target") / "bench"
LOGS = WORK / "logs"
SEED = 1
OURS, THEIRS = "docker-pkg (this)", "docker-pkg 4.0.4"


# ---- measuring -------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    max_rss_mib: float
    ok: bool
    log: Path


@dataclass
class Series:
    samples: list = field(default_factory=list)

    def add(self, sample: Sample) -> None:
        self.samples.append(sample)

    @property
    def good(self) -> list:
        return [s for s in self.samples if s.ok]

    @property
    def failed(self) -> int:
        return len(self.samples) - len(self.good)

    def median(self) -> float | None:
        good = self.good
        return statistics.median(s.seconds for s in good) if good else None

    def rss(self) -> float | None:
        good = self.good
        return statistics.median(s.max_rss_mib for s in good) if good else None

    def text(self) -> str:
        """The median, and how many runs failed if any did."""
        failed = f" ({self.failed} of {len(self.samples)} runs failed)" if self.failed else ""
        return seconds(self.median()) + failed


def timed(args: list, env: dict, cwd: Path, log: Path) -> Sample:
    """Runs `args` once; its wall time, the peak RSS of it and its children, its success.

    The peak comes from GNU time rather than from this process's wait4: a child forked from
    this Python process starts out as large as it, and the kernel's high-water mark of its
    resident set remembers that through exec."""
    log.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    peak = log.with_suffix(".rss")
    with log.open("w") as out:
        out.write(f"$ {' '.join(map(str, args))}\n")
        out.flush()
        start = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", str(peak), *map(str, args)], env=env, cwd=cwd,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )
        seconds = time.perf_counter() - start
    kib = int(peak.read_text().split()[-1])
    peak.unlink()
    return Sample(seconds, kib / 1024, result.returncode == 0, log)


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


# ---- trees -----------------------------------------------------------------------------------


@dataclass
class Tree:
    name: str  # also the registry namespace of its images
    count: int
    sleep: float = 0
    base: str = BUSYBOX
    # Packages the images install, one each in turn (on the Debian base).
    apt: tuple = ()
    # The tree whose images this one builds, under its own namespace and configuration.
    source: str = ""
    # `platforms:` of its configuration, when set.
    platforms: tuple = ()

    @property
    def root(self) -> Path:
        return WORK / f"tree-{self.name}"

    @property
    def images(self) -> Path:
        return WORK / f"tree-{self.source or self.name}" / "images"

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"


def generate(count: int, out: Path, *extra: str) -> Path:
    """The tree of `scripts/gen-tree count out extra…`, made again unless it is complete and
    was made with the same arguments."""
    stamp = out / ".generated"
    wanted = " ".join([str(count), *extra])
    if stamp.exists() and stamp.read_text() == wanted:
        return out
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(
        [str(REPO / "scripts" / "gen-tree"), str(count), str(out), "--seed", str(SEED), *extra],
        check=True,
    )
    stamp.write_text(wanted)
    return out


def prepare_tree(tree: Tree, env: BenchEnv) -> Tree:
    extra = ["--base", env.base_label(tree.name, tree.base)]
    if tree.sleep:
        extra += ["--sleep", f"{tree.sleep:g}"]
    if tree.apt:
        extra += ["--apt", ",".join(tree.apt)]
    generate(tree.count, tree.root, *extra)
    write_config(tree, env)
    return tree


def write_config(tree: Tree, env: BenchEnv) -> None:
    """One configuration for both tools. 4.0.4 publishes only with username and password set
    (and logs in with them); the registry is open, so any will do, and this tool then uses
    them too rather than an ambient login. (A password that is a common word would be masked
    wherever it shows in this tool's log, host names included.)"""
    platforms = f"platforms: [{', '.join(tree.platforms)}]\n" if tree.platforms else ""
    tree.root.mkdir(parents=True, exist_ok=True)
    tree.config.write_text(
        f"registry: {HOST}\n"
        f"namespace: {tree.name}\n"
        "username: bench\n"
        "password: not-checked\n"
        f"ca_bundle: {env.cert}\n"
        f'base_images: ["{env.base_label(tree.name, tree.base)}"]\n'
        f"{platforms}"
    )


def tree_parents(images: Path) -> dict:
    """The names each image of the tree depends on, from the control files."""
    parents = {}
    for control in images.glob("*/control"):
        fields = dict(
            line.split(":", 1) for line in control.read_text().splitlines() if ":" in line
        )
        name = fields["Package"].strip()
        depends = [d.strip() for d in fields.get("Depends", "").split(",") if d.strip()]
        parents[name] = [d for d in depends]
    return parents


def tree_depth(images: Path) -> int:
    """The number of images on the longest dependency chain, from the control files."""
    parents = tree_parents(images)
    depth = {}

    def of(name: str) -> int:
        if name not in depth:
            known = [p for p in parents[name] if p in parents]
            depth[name] = 1 + max((of(p) for p in known), default=0)
        return depth[name]

    return max(of(name) for name in parents)


# ---- the two tools ---------------------------------------------------------------------------


class Tools:
    def __init__(self, binary: str, env: BenchEnv) -> None:
        self.binary = binary
        self.env = env

    def ours(self, tree: Tree, log: Path, *flags: str) -> Sample:
        args = [self.binary, "-c", tree.config, "build", *flags, tree.images]
        return timed(args, self.env.tool_env(), LOGS / "cwd-ours", log)

    def theirs(self, tree: Tree, log: Path) -> Sample:
        args = [REFERENCE, "-c", tree.config, "build", tree.images]
        return timed(args, self.env.reference_env(), LOGS / "cwd-reference", log)

    def complete(self, tree: Tree) -> bool:
        """Whether every image of `tree` is published with its version tag and `latest`."""
        versions = tree_versions(tree)
        published = self.env.published(tree.name, list(versions))
        return all({tag, "latest"} <= published[name] for name, tag in versions.items())


def tree_versions(tree: Tree) -> dict:
    """The tag of each image of `tree`, from its changelog."""
    return {
        folder.name: re.match(r"\S+ \(([^)]+)\)", (folder / "changelog").read_text()).group(1)
        for folder in sorted(tree.images.iterdir())
    }


def check(sample: Sample, tools: Tools, tree: Tree, label: str) -> Sample:
    """A build run counts only if it exited 0 and left every image published."""
    if sample.ok and not tools.complete(tree):
        sample.ok = False
        with sample.log.open("a") as out:
            out.write("\n[bench] not every image is published after this run\n")
    status = "ok" if sample.ok else f"FAILED (see {sample.log.relative_to(REPO)})"
    print(f"    {label:<22} {sample.seconds:8.2f} s  {sample.max_rss_mib:6.1f} MiB  {status}",
          flush=True)
    return sample


# ---- scenarios -------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    ours: str
    theirs: str = "-"
    ratio: str = "-"
    rss_ours: str = "-"
    rss_theirs: str = "-"
    goal: str = "-"
    met: str = "-"


def seconds(value: float | None) -> str:
    return "failed" if value is None else f"{value:.2f} s"


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MiB"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def verdict(value: float | None, limit: float) -> str:
    return "?" if value is None else ("yes" if value <= limit else "NO")


def big_tree(env: BenchEnv) -> Tree:
    return prepare_tree(Tree("noop136", 136), env)


def noop(ctx) -> list:
    """136 images, all built and published: a build run has nothing to do."""
    tree = big_tree(ctx.env)
    print(f"noop: {tree.count} images, everything built and published")
    # Published by 4.0.4, so in the Docker format its own check can see (see
    # BenchEnv.visible_to_reference); this tool sees either format.
    if not (ctx.tools.complete(tree)
            and ctx.env.visible_to_reference(tree.name, tree_versions(tree).items())):
        print("  building and publishing the tree with 4.0.4 (not timed)")
        ctx.env.reset(tree.name)
        check(ctx.tools.theirs(tree, LOGS / "noop-setup.log"), ctx.tools, tree, "set-up build")
    ours, theirs = Series(), Series()
    for run in alternate(ctx.runs):
        for who in run:
            if who == "ours":
                ours.add(check(ctx.tools.ours(tree, LOGS / f"noop-ours-{len(ours.samples)}.log"),
                               ctx.tools, tree, OURS))
            else:
                theirs.add(check(
                    ctx.tools.theirs(tree, LOGS / f"noop-reference-{len(theirs.samples)}.log"),
                    ctx.tools, tree, THEIRS))
    r = ratio(ours.median(), theirs.median())
    return [
        Row("noop, 136 images: time", ours.text(), theirs.text(),
            fmt_ratio(r), mib(ours.rss()), mib(theirs.rss()), "ratio ≤ 0.06", verdict(r, 0.06)),
        Row("noop, 136 images: peak memory", mib(ours.rss()), mib(theirs.rss()),
            fmt_ratio(ratio(ours.rss(), theirs.rss())), goal="≤ 25 MiB",
            met=verdict(ours.rss(), 25)),
    ]


def full(ctx) -> list:
    """The same 136 images from an empty storage and an empty registry."""
    tree = big_tree(ctx.env)
    print(f"full: {tree.count} images built, verified and published from scratch")
    ours, theirs = paired(ctx, tree, "full")
    r = ratio(ours.median(), theirs.median())
    return [Row("full build, 136 images", ours.text(), theirs.text(),
                fmt_ratio(r), mib(ours.rss()), mib(theirs.rss()), "ratio ≤ 0.5",
                verdict(r, 0.5))]


def slow(ctx) -> list:
    """40 images whose RUN step sleeps 1 s, this tool with --jobs 8; and the critical path."""
    sleepy = prepare_tree(Tree("slow40", 40, sleep=1), ctx.env)
    quick = prepare_tree(Tree("quick40", 40), ctx.env)
    depth = tree_depth(sleepy.images)
    print(f"slow: {sleepy.count} images sleeping {sleepy.sleep:g} s each, tree depth {depth}; "
          "this tool with --jobs 8")
    ours, theirs = paired(ctx, sleepy, "slow", "--jobs", "8")
    print("  the same tree without sleeps, this tool with --jobs 8")
    fast = Series()
    for index in range(ctx.runs):
        ctx.env.reset(quick.name)
        fast.add(check(ctx.tools.ours(quick, LOGS / f"quick-ours-{index}.log", "--jobs", "8"),
                       ctx.tools, quick, OURS))
    r = ratio(ours.median(), theirs.median())
    bound = None if fast.median() is None else depth * sleepy.sleep + fast.median()
    to_bound = ratio(ours.median(), bound)
    return [
        Row("slow steps, 40 × 1 s, --jobs 8", ours.text(), theirs.text(),
            fmt_ratio(r), mib(ours.rss()), mib(theirs.rss()), "ratio ≤ 0.25", verdict(r, 0.25)),
        Row(f"slow steps vs critical path (depth {depth} × 1 s + "
            f"{seconds(fast.median())} without sleeps = {seconds(bound)})",
            ours.text(), "-", fmt_ratio(to_bound, "× bound"), goal="≤ 1.5× bound",
            met=verdict(to_bound, 1.5)),
    ]


def paired(ctx, tree: Tree, name: str, *flags: str, after=None):
    """Both tools on `tree`, each run from an empty registry and storage, taking turns;
    `after(who, sample)` is called after each run, before the next reset."""
    ours, theirs = Series(), Series()
    for run in alternate(ctx.runs):
        for who in run:
            ctx.env.reset(tree.name, tree.base)
            if who == "ours":
                log = LOGS / f"{name}-ours-{len(ours.samples)}.log"
                sample = check(ctx.tools.ours(tree, log, *flags), ctx.tools, tree, OURS)
                ours.add(sample)
            else:
                log = LOGS / f"{name}-reference-{len(theirs.samples)}.log"
                sample = check(ctx.tools.theirs(tree, log), ctx.tools, tree, THEIRS)
                theirs.add(sample)
            if after:
                after(who, sample)
    return ours, theirs


# ---- bytes uploaded --------------------------------------------------------------------------


@dataclass
class Upload:
    image: str
    uploaded: int
    # Its own layers (those its parent's manifest lacks), its config, and its manifest once
    # per tag (a tag is given in the registry by writing the manifest under it).
    own: int


def uploads_of(env: BenchEnv, tree: Tree) -> list:
    """What each image of `tree` sent to the registry in the run that just ended, beside what
    it has of its own, as the registry serves it."""
    counted = env.uploads(tree.name)
    parents = tree_parents(tree.images)
    layers = {}

    def manifest(name: str, tag: str) -> dict:
        if name not in layers:
            layers[name] = env.manifest(f"{tree.name}/{name}", tag)
        return layers[name]

    base = manifest(tree.base, "1.0")
    result = []
    for name, tag in tree_versions(tree).items():
        mine, manifest_bytes = manifest(name, tag)
        parent = next((p for p in parents.get(name, []) if p in parents), None)
        inherited, _ = manifest(parent, "latest") if parent else base
        known = {layer["digest"] for layer in inherited["layers"]}
        own_layers = sum(lay["size"] for lay in mine["layers"] if lay["digest"] not in known)
        own = own_layers + mine["config"]["size"] + 2 * manifest_bytes
        result.append(Upload(name, counted.get(f"{tree.name}/{name}", 0), own))
    return result


@dataclass
class UploadSeries:
    """The uploads of each good run of one tool."""
    runs: list = field(default_factory=list)

    def record(self, env: BenchEnv, tree: Tree, sample: Sample, label: str,
               per_image: bool) -> None:
        if not sample.ok:
            return
        uploads = uploads_of(env, tree)
        self.runs.append(uploads)
        table = LOGS / f"{sample.log.stem}.uploads.tsv"
        table.write_text("image\tuploaded\town\n" + "".join(
            f"{u.image}\t{u.uploaded}\t{u.own}\n" for u in uploads))
        total, own = sum(u.uploaded for u in uploads), sum(u.own for u in uploads)
        print(f"    {label:<22} uploaded {mb(total)} for {len(uploads)} images "
              f"({mb(total / len(uploads))} per image; their own layers, config and "
              f"manifests: {mb(own / len(uploads))}, so {total / own:.2f}× their own); worst "
              f"image {worst(uploads):.2f}× its own; per image in {table.relative_to(REPO)}",
              flush=True)
        if per_image:
            for u in uploads:
                print(f"      {u.image}  {u.uploaded:>12,} B uploaded  {u.own:>12,} B own")

    def per_image(self) -> float | None:
        means = [statistics.mean(u.uploaded for u in run) for run in self.runs]
        return statistics.median(means) if means else None

    def to_own(self) -> float | None:
        """All images' bytes uploaded over all their own bytes (the median over runs): a
        layer counts for the first repository that receives it, which is the image's parent's
        only when the parent is published first."""
        ratios = [sum(u.uploaded for u in run) / sum(u.own for u in run) for run in self.runs]
        return statistics.median(ratios) if ratios else None

    def worst(self) -> float | None:
        return max((worst(run) for run in self.runs), default=None)


def worst(uploads: list) -> float:
    """The largest ratio of bytes uploaded to an image's own bytes."""
    return max(u.uploaded / u.own for u in uploads if u.own)


def mb(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e6:.2f} MB"


def upload_scenario(ctx, tree: Tree, name: str, title: str, per_image: bool) -> list:
    """Both tools on `tree` from nothing: the time, and the bytes uploaded per image."""
    ctx.env.access_log = True
    uploads = {"ours": UploadSeries(), "theirs": UploadSeries()}

    def after(who: str, sample: Sample) -> None:
        label = OURS if who == "ours" else THEIRS
        uploads[who].record(ctx.env, tree, sample, label, per_image)

    ours, theirs = paired(ctx, tree, name, after=after)
    ctx.env.access_log = False
    r = ratio(ours.median(), theirs.median())
    up_ours, up_theirs = uploads["ours"], uploads["theirs"]
    return [
        Row(f"{title}: time", ours.text(), theirs.text(), fmt_ratio(r), mib(ours.rss()),
            mib(theirs.rss()), "ratio ≤ 0.5", verdict(r, 0.5)),
        Row(f"{title}: bytes uploaded per image (× own bytes, all images; worst image)",
            f"{mb(up_ours.per_image())} ({fmt_ratio(up_ours.to_own(), '×')}; "
            f"{fmt_ratio(up_ours.worst(), '×')})",
            f"{mb(up_theirs.per_image())} ({fmt_ratio(up_theirs.to_own(), '×')}; "
            f"{fmt_ratio(up_theirs.worst(), '×')})",
            fmt_ratio(ratio(up_ours.per_image(), up_theirs.per_image())),
            goal="≤ 1.1× own", met=verdict(up_ours.to_own(), 1.1)),
    ]


def real_base_tree(ctx, count: int) -> list:
    """`count` images on a base of one 50 MB (compressed) layer."""
    ctx.env.real_base_image()
    tree = prepare_tree(Tree(f"realbase{count}", count, base=REAL_BASE), ctx.env)
    print(f"real-base: {count} images on a base of one layer of host libraries, built, "
          "verified and published from scratch")
    return upload_scenario(ctx, tree, f"real-base-{count}",
                           f"real base, {count} images", per_image=count <= 20)


def real_base(ctx) -> list:
    """20 images on the real-size base."""
    return real_base_tree(ctx, 20)


def real_base_136(ctx) -> list:
    """The 136 images of `full` on the real-size base."""
    return real_base_tree(ctx, 136)


# Small packages, each with few or no dependencies beyond a minbase.
DEBIAN_PACKAGES = ("jq", "curl", "less", "file", "bzip2", "xz-utils", "patch", "procps",
                   "netcat-openbsd", "tree", "unzip", "zip")


def debian(ctx) -> list:
    """A dozen images on a bookworm minbase, each step installing a small package."""
    ctx.env.debian_base_image()
    tree = prepare_tree(Tree("debian12", 12, base=DEBIAN, apt=DEBIAN_PACKAGES), ctx.env)
    print(f"debian: {tree.count} images on a bookworm minbase, each installing one package "
          "with apt-get, built, verified and published from scratch")
    return upload_scenario(ctx, tree, "debian", "debian, 12 images", per_image=True)


def alternate(runs: int):
    """Run i: this tool then 4.0.4 for even i, the other way round for odd i."""
    for index in range(runs):
        yield ("ours", "theirs") if index % 2 == 0 else ("theirs", "ours")


def render(ctx) -> list:
    """Render of generated trees of 5,000 and 10,000 images, on the disk and on tmpfs."""
    runs = max(ctx.runs, 5)
    print(f"render: 5,000 and 10,000 images, this tool only (median of {runs} runs, fresh "
          "output folder each run)")
    rows = []
    for place, root in (("disk", WORK), ("tmpfs", Path("/dev/shm/docker-pkg-bench"))):
        times = {}
        for count in (5000, 10000):
            tree = generate(count, root / f"tree-{count}")
            times[count] = hyperfine(
                f"{ctx.binary} render --output out images", runs=runs, prepare="rm -rf out",
                cwd=tree,
            )
            print(f"    {place:5}  {count:>6} images: {times[count]:.3f} s", flush=True)
        growth = times[10000] / times[5000]
        rows += [
            Row(f"render 5,000 images ({place})", seconds(times[5000]), goal="≤ 1 s",
                met=verdict(times[5000], 1.0)),
            Row(f"render 10,000 images ({place})", seconds(times[10000]),
                ratio=fmt_ratio(growth, "× 5,000"), goal="≤ 2.3× 5,000",
                met=verdict(growth, 2.3)),
        ]
    shutil.rmtree("/dev/shm/docker-pkg-bench", ignore_errors=True)
    return rows


# ---- multi-arch ------------------------------------------------------------------------------

PLATFORMS = ("linux/amd64", "linux/arm64")
# Image chains on the two-platform base: two chains of three images.
CHAINS, CHAIN_LENGTH = 2, 3
MULTIARCH_TEST = """#!/bin/bash
# The image run by `docker run` is the one of the platform under test.
set -e
case "${TEST_PLATFORM:-host}" in
  linux/amd64) want=x86_64 ;;
  linux/arm64) want=aarch64 ;;
  host) want=$(uname -m) ;;
  *) echo "unexpected TEST_PLATFORM $TEST_PLATFORM" >&2; exit 1 ;;
esac
got=$(docker run --rm "$1" uname -m)
[ "$got" = "$want" ] || { echo "docker run gave $got, not $want" >&2; exit 1; }
"""


def write_multiarch_tree(images: Path, tests: bool) -> int:
    """CHAINS chains of CHAIN_LENGTH images on the two-platform base, each with one `RUN`
    step writing the machine it ran on, and (`tests`) every other one with a test.sh; the
    image count."""
    count = CHAINS * CHAIN_LENGTH
    for index in range(count):
        name = f"img{index:05d}"
        parent = PLATFORMS_BASE if index % CHAIN_LENGTH == 0 else f"img{index - 1:05d}"
        folder = images / name
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / "changelog", (
            f"{name} (1.{index}.0-1) wikimedia; urgency=medium\n\n"
            f"  * Image {index} of the multi-arch benchmark.\n\n"
            " -- Bench Mark <bench@example.org>  Mon, 01 Jan 2024 10:00:00 +0000\n"))
        write_text(folder / "Dockerfile.template", (
            f'FROM {{{{ "{parent}" | image_tag }}}}\n'
            f"RUN uname -m > /{name}.machine\n"
            f"LABEL image={name}\n"))
        write_text(folder / "control", f"Package: {name}\nDepends: {parent}\n")
        test = folder / "test.sh"
        if tests and index % 2 == 0:
            write_text(test, MULTIARCH_TEST)
            test.chmod(0o755)
        else:
            test.unlink(missing_ok=True)
    return count


def write_text(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def check_platforms(sample: Sample, tools: Tools, tree: Tree, platforms: tuple,
                    label: str) -> Sample:
    """`check`, and every image's version tag a list of exactly `platforms` (when none, not
    a list)."""
    if sample.ok:
        wanted = set(platforms) if platforms else None
        wrong = [name for name, tag in tree_versions(tree).items()
                 if tools.env.list_platforms(f"{tree.name}/{name}", tag) != wanted]
        if wrong:
            sample.ok = False
            with sample.log.open("a") as out:
                out.write(f"\n[bench] not a list of {', '.join(platforms) or 'none'}: "
                          f"{', '.join(wrong)}\n")
    return check(sample, tools, tree, label)


def multi_arch(ctx) -> list:
    """One run for two platforms against two single-platform runs, this tool only (4.0.4
    builds the host's platform alone).

    The compared tree has no test.sh: podman 4.3 cannot `run` an image whose list lacks the
    host's platform ("no image found in manifest list for architecture amd64", whatever
    --platform and --pull say), so the verify scripts of a `--platform linux/arm64` run fail
    on this machine. The same tree with a test.sh on every other image is timed in one run
    for both platforms, for the cost of verifying each platform."""
    ctx.env.platform_base_images()
    count = write_multiarch_tree(WORK / "tree-multiarch" / "images", tests=False)
    write_multiarch_tree(WORK / "tree-multiarch-tested" / "images", tests=True)
    both = Tree("multiarch", count, base=PLATFORMS_BASE, platforms=PLATFORMS)
    singles = [Tree(f"multiarch-{p.split('/')[1]}", count, base=PLATFORMS_BASE,
                    source=both.name) for p in PLATFORMS]
    plain = Tree("multiarch-plain", count, base=PLATFORMS_BASE, source=both.name)
    tested = Tree("multiarch-tested", count, base=PLATFORMS_BASE, platforms=PLATFORMS)
    for tree in (both, *singles, plain, tested):
        write_config(tree, ctx.env)
    print(f"multi-arch: {count} images in chains of {CHAIN_LENGTH} on a busybox of "
          f"{' and '.join(PLATFORMS)}, each run from an empty registry and storage, in turns: "
          f"(a) one run with `platforms: [{', '.join(PLATFORMS)}]`; (b) "
          + ", then ".join(f"--platform {p}" for p in PLATFORMS)
          + ", each into its own namespace, summed; (c) the host's platform alone, without "
          "`platforms` (plain images, no list); (d) as (a), with a test.sh on every other "
          "image")

    def one(tree: Tree, platforms: tuple, name: str, label: str, *flags: str) -> Sample:
        ctx.env.reset_platforms(tree.name, as_list=bool(platforms))
        sample = ctx.tools.ours(tree, LOGS / f"multi-arch-{name}.log", *flags)
        return check_platforms(sample, ctx.tools, tree, platforms, label)

    whole, split, host, verified = Series(), Series(), Series(), Series()
    parts = {p: Series() for p in PLATFORMS}

    def run_split(index: int) -> None:
        samples = []
        for target, tree in zip(PLATFORMS, singles):
            arch = target.split("/")[1]
            sample = one(tree, (target,), f"{arch}-{index}", f"(b) {target}",
                         "--platform", target)
            parts[target].add(sample)
            samples.append(sample)
        split.add(Sample(sum(s.seconds for s in samples), max(s.max_rss_mib for s in samples),
                         all(s.ok for s in samples), samples[-1].log))

    kinds = [
        lambda index: whole.add(one(both, PLATFORMS, f"both-{index}", "(a) both platforms")),
        run_split,
        lambda index: host.add(one(plain, (), f"plain-{index}", "(c) no platforms")),
        lambda index: verified.add(one(tested, PLATFORMS, f"tested-{index}", "(d) with tests")),
    ]
    for index in range(ctx.runs):
        # Each kind takes its turn at going first.
        turn = index % len(kinds)
        for kind in kinds[turn:] + kinds[:turn]:
            kind(index)
    title = f"multi-arch, {count} images"
    each = "; ".join(f"{p} {parts[p].text()}" for p in PLATFORMS)
    return [
        Row(f"{title}: (a) one run, platforms {' + '.join(PLATFORMS)}", whole.text(),
            ratio=fmt_ratio(ratio(whole.median(), split.median()), "× (b)"),
            rss_ours=mib(whole.rss())),
        Row(f"{title}: (b) one run per platform, summed ({each})", split.text(),
            rss_ours=mib(split.rss())),
        Row(f"{title}: (c) linux/amd64 alone, without `platforms` (plain images)",
            host.text(), rss_ours=mib(host.rss())),
        Row(f"{title}: (d) as (a), with {count // 2} test.sh, each run once per platform",
            verified.text(), ratio=fmt_ratio(ratio(verified.median(), whole.median()),
                                             "× (a)"),
            rss_ours=mib(verified.rss())),
    ]


def fmt_ratio(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:.3f}{' ' + unit if unit else ''}"


SCENARIOS = {"noop": noop, "full": full, "slow": slow, "real-base": real_base,
             "real-base-136": real_base_136,
             "debian": debian, "render": render, "multi-arch": multi_arch}
NEEDS_ENV = {"noop", "full", "slow", "real-base", "real-base-136", "debian", "multi-arch"}
# Those that run docker-pkg 4.0.4 (and the podman service it builds through).
NEEDS_REFERENCE = NEEDS_ENV - {"multi-arch"}


# ---- the report ------------------------------------------------------------------------------


def table(rows: list) -> str:
    header = ["scenario", OURS, THEIRS, "ratio", "peak RSS (this)", "peak RSS (4.0.4)",
              "goal", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [row.scenario, row.ours, row.theirs, row.ratio, row.rss_ours, row.rss_theirs,
                 row.goal, row.met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def context_lines(binary: str, runs: int) -> list:
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True).stdout.strip()
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return [
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} CPUs, "
        f"kernel {platform.release()}; {version.strip()} at commit {commit}"
        f"{' (src/ modified)' if dirty else ''}; medians of {runs} runs "
        "(render: at least 5).",
    ]


class Context:
    def __init__(self, binary: str, runs: int, env: BenchEnv | None) -> None:
        self.binary = binary
        self.runs = runs
        self.env = env
        self.tools = Tools(binary, env) if env else None


def main() -> int:
    parser = argparse.ArgumentParser(description="docker-pkg benchmarks")
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"one of {', '.join(SCENARIOS)} (default: all)")
    args = parser.parse_intermixed_args()
    names = args.scenarios or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or args.runs < 1:
        print(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
              if unknown else "--runs must be at least 1")
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    # A TERM or HUP ends the run like Ctrl-C does, through the `finally` that stops the
    # registry and the podman service.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    env = BenchEnv() if NEEDS_ENV & set(names) else None
    rows = []
    try:
        if env:
            reference = bool(NEEDS_REFERENCE & set(names))
            print("set-up: storage, registry"
                  + (", podman service, docker-pkg 4.0.4" if reference else ""), flush=True)
            env.start(reference=reference)
        ctx = Context(args.binary, args.runs, env)
        for name in names:
            try:
                rows += SCENARIOS[name](ctx)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                print(f"  {name}: {e}", file=sys.stderr)
                rows.append(Row(name, f"not measured: {e}"))
    finally:
        if env:
            env.stop()
    report = "\n".join(context_lines(args.binary, args.runs) + ["", table(rows), ""])
    print()
    print(report)
    (WORK / "results.md").write_text(report)
    print(f"(also in {(WORK / 'results.md').relative_to(REPO)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
