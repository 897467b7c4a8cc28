"""How movebook scales, in one run: a generated caseload (scripts/caseload.py, fixed seed) in a
scratch copy of this project, built with web booklets only one patient at a time, in a
process pool and on a Dask LocalCluster; then rebuilt with nothing changed and with one
profile changed; then a smaller sample with the PDF handouts, in the pool and on the
LocalCluster. Prints each time, its ratio, the peak memory of each worker process (first and
last quarter of the build) and each target met or missed, by how much.

    .venv/bin/python scripts/bench_scale.py                 # 1,000 patients, 40 with PDFs
    .venv/bin/python scripts/bench_scale.py --count 100 --pdf-count 6   # a quick run
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from caseload import caseload  # the generator beside this script (its folder is on the path)

from movebook import publish
from movebook.site import SECRET_ENV

REPO = Path(__file__).resolve().parent.parent
SEED = 17
MB = 1024 * 1024
# The targets of issue 17
EFFICIENCY = 0.9  # the LocalCluster against the pool, core for core
NOTHING_S = 1.0  # a rebuild with nothing changed, 1,000 patients
ONE_S = 1.5  # a rebuild with one profile changed among 1,000
WORKER_MB = 150  # peak memory of a worker process
FLAT = 1.10  # the last quarter's peak at most this much above the first quarter's


@dataclass
class Memory:
    """Peak resident memory of each process under this one (the workers), sampled while a
    build runs, by the quarter of the build it was in."""

    total: int
    done: int = 0
    quarters: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    # CPU seconds of each process under this one, as last seen: the workers of a fork server
    # are its children, not this process's, so getrusage(RUSAGE_CHILDREN) would miss them
    cpu: dict[int, float] = field(default_factory=dict)
    before: dict[int, float] = field(default_factory=dict)  # of those already there
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            quarter = min(3, self.done * 4 // max(self.total, 1))
            for child in me.children(recursive=True):
                try:
                    with child.oneshot():
                        rss, cpu = child.memory_info().rss, _cpu(child)
                except psutil.Error:
                    continue  # gone since
                self.quarters[quarter] = max(self.quarters[quarter], rss)
                self.cpu[child.pid] = cpu

    def __enter__(self) -> Memory:
        for child in psutil.Process().children(recursive=True):  # the fork server, say
            try:
                self.before[child.pid] = _cpu(child)
            except psutil.Error:
                continue
        self._thread = threading.Thread(target=self.sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak(self) -> int:
        return max(self.quarters)

    def worker_cpu(self) -> float:
        """CPU seconds the processes under this one spent during the build (a worker's last
        fifth of a second before it ended may be missed: it was idle by then)."""
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self.cpu.items())


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


@dataclass
class Run:
    seconds: float
    cpu: float  # this process and every process under it (the workers)
    rendered: int
    memory: Memory


def cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def timed(what: str, build: Callable[..., publish.BuildResult], total: int) -> Run:
    with Memory(total) as memory:

        def done(outcome: publish.Outcome) -> None:
            memory.done += 1

        cpu, started = cpu_seconds(), time.perf_counter()
        result = build(on_done=done)
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    cpu += memory.worker_cpu()
    if result.failed:
        sys.exit(f"{what}: {len(result.failed)} booklets failed: {result.failed[0].problems[0]}")
    rendered = sum(1 for outcome in result.outcomes if not outcome.unchanged)
    return Run(seconds, cpu, rendered, memory)


def project(root: Path, profiles: dict[str, str]) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "movebook.yaml", root / "movebook.yaml")
    (root / "profiles").mkdir()
    for name, text in profiles.items():
        (root / "profiles" / name).write_text(text, encoding="utf-8")
    return root


def verdict(value: float, target: float, higher_is_better: bool = False) -> str:
    met = value >= target if higher_is_better else value <= target
    if met:
        return "target met"
    missed = (target - value) / target if higher_is_better else (value - target) / target
    return f"TARGET MISSED by {missed:.0%}"


def row(name: str, run: Run, baseline: float, note: str = "") -> None:
    print(
        f"  {name:<34} {run.seconds:8.2f} s  {baseline / run.seconds:6.2f}x"
        f"  ({run.rendered} rendered){'  ' + note if note else ''}"
    )


def memory_row(name: str, memory: Memory) -> None:
    first, last = memory.quarters[0], memory.quarters[3]
    peak = memory.peak() / MB
    if first and last:
        growth = last / first
        trend = f"{growth:.2f}x ({'flat' if growth <= FLAT else 'GROWING'})"
    else:
        trend = "too short a build to tell"
    print(
        f"  {name:<34} peak {peak:5.0f} MB ({verdict(peak, WORKER_MB)}); first quarter "
        f"{first / MB:.0f} MB, last {last / MB:.0f} MB: {trend}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="generated patients")
    parser.add_argument("--pdf-count", type=int, default=40, help="of them, built with PDFs")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers")
    args = parser.parse_args(argv)
    count, jobs = args.count, args.jobs
    os.environ[SECRET_ENV] = "YmVuY2htYXJrLXNpdGUtc2VjcmV0LW5vdC1mb3ItcmVhbC11c2U"
    texts = caseload(REPO, count, SEED)
    with tempfile.TemporaryDirectory() as temporary:
        root = project(Path(temporary) / "clinic", texts)

        def build(**options: object) -> Callable[..., publish.BuildResult]:
            return lambda **more: publish.build(root, pdf=False, **options, **more)  # type: ignore[arg-type]

        serial = timed("serial", build(jobs=1, force=True), count)
        pool = timed("pool", build(jobs=jobs, force=True), count)
        cluster = timed("local", build(jobs=jobs, force=True, scheduler="local"), count)
        nothing = timed("nothing changed", build(jobs=jobs), count)
        edited = root / "profiles" / sorted(texts)[count // 2]
        edited.write_text(edited.read_text() + "# seen again\n")
        one = timed("one changed", build(jobs=jobs), count)

        # Each in a project of its own: a build after another makes no earlier handout again.
        sample = dict(sorted(texts.items())[: args.pdf_count])
        pdfs = len(sample)
        pool_root = project(Path(temporary) / "pool-pdfs", sample)
        cluster_root = project(Path(temporary) / "cluster-pdfs", sample)

        def with_pdf(root: Path, **options: object) -> Callable[..., publish.BuildResult]:
            return lambda **more: publish.build(root, pdf=True, **options, **more)  # type: ignore[arg-type]

        pdf_pool = timed("pool with PDFs", with_pdf(pool_root, jobs=jobs), pdfs)
        pdf_cluster = timed(
            "local with PDFs", with_pdf(cluster_root, jobs=jobs, scheduler="local"), pdfs
        )
        pdf_again = timed("pool again", with_pdf(pool_root, jobs=jobs, force=True), pdfs)

    print(f"{count} generated patients (seed {SEED}), web booklets only, {jobs} workers")
    row("one at a time", serial, serial.seconds)
    efficiency = serial.seconds / (pool.seconds * jobs)
    row("process pool", pool, serial.seconds, f"efficiency {efficiency:.0%} on {jobs} cores")
    per_core = pool.seconds / cluster.seconds
    row(
        "Dask LocalCluster",
        cluster,
        serial.seconds,
        f"{per_core:.2f}x the pool, core for core ({verdict(per_core, EFFICIENCY, True)} "
        f"of {EFFICIENCY}x; it includes starting the cluster)",
    )
    at = "" if count == 1000 else " (the targets are for 1,000)"
    row(
        "nothing changed",
        nothing,
        serial.seconds,
        f"{verdict(nothing.seconds, NOTHING_S)} of {NOTHING_S:.1f} s{at}",
    )
    row(
        "one profile changed",
        one,
        serial.seconds,
        f"{verdict(one.seconds, ONE_S)} of {ONE_S} s{at}",
    )
    print(f"  CPU a booklet, web only: {serial.cpu / count:.2f} s (one at a time)")
    print("memory of each worker process")
    memory_row("process pool", pool.memory)
    memory_row("Dask LocalCluster", cluster.memory)
    print(f"{pdfs} of them with the PDF handouts, {jobs} workers")
    row("process pool", pdf_pool, pdf_pool.seconds)
    per_core = pdf_pool.seconds / pdf_cluster.seconds
    row(
        "Dask LocalCluster",
        pdf_cluster,
        pdf_pool.seconds,
        f"{per_core:.2f}x the pool, core for core ({verdict(per_core, EFFICIENCY, True)})",
    )
    row("process pool, earlier handouts kept", pdf_again, pdf_pool.seconds, "(--force)")
    print(
        f"  CPU a booklet with its PDFs: {pdf_pool.cpu / pdfs:.2f} s, every assessment's handout;"
        f" {pdf_again.cpu / pdfs:.2f} s, the latest one's only (the pool's workers and build)"
    )
    memory_row("process pool", pdf_pool.memory)
    memory_row("Dask LocalCluster", pdf_cluster.memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
