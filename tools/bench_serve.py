"""Benchmark papers on demand and at scale: the web page, parallel builds, RQ workers.

Figures from one run on this machine (shared and noisy: read the ratios). Run with `make bench`
(after tools/bench.py) or `.venv/bin/python tools/bench_serve.py`. It starts its own
`briefgen serve`, redis-server and workers on 127.0.0.1, and stops them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BRIEFGEN = str(BIN / "briefgen")
REQUESTS = 20


def free_port() -> int:
    """Return a port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(url: str) -> tuple[int, float]:
    """GET a URL; return its status and wall seconds."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def fetch_text(url: str) -> str:
    """GET a URL; return its body as text."""
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
        return body.decode()


def wait_until(check: object, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} did not start")
        time.sleep(0.1)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_page(project: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """The page: warm renders, sends from the manifest, four concurrent clients."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [BRIEFGEN, "serve", "--port", str(port), "--out", "out-serve"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        wait_until(lambda: fetch(base + "/healthz")[0] == 200, "briefgen serve")
        api = f"{base}/api/summaries/uk-japan-2026/papers"
        fetch(f"{api}/one-page-minister.pdf")  # first render in each worker pays for fonts
        fetch(f"{api}/one-page-officials.pdf")
        folder = project / "out-serve" / "uk-japan-2026"
        pairs = []
        for _ in range(REQUESTS):
            for name in folder.glob("one-page-minister.*"):
                name.unlink()  # the paper is missing: the next request renders it
            status_pdf, pdf = fetch(f"{api}/one-page-minister.pdf")
            status_docx, docx = fetch(f"{api}/one-page-minister.docx")
            assert status_pdf == status_docx == 200
            pairs.append(pdf + docx)
            # Let the server finish writing the paper before the next round deletes it.
            wait_until(lambda: '"publishing":0' in fetch_text(base + "/healthz"), "publishing")
        rows.append(
            ("page: one-page PDF + DOCX, warm render", f"{statistics.median(pairs):.3f} s", "≤ 0.2 s")
        )
        sends = [fetch(f"{api}/one-page-minister.pdf")[1] for _ in range(REQUESTS)]
        rows.append(("page: unchanged paper from manifest", f"{statistics.median(sends):.4f} s", "≤ 0.02 s"))

        # Four clients, each asking for different one-pagers (audiences × themes) at once.
        themes = [None, "defence", "cyber", "minerals", "gcap"]
        audiences = ["minister", "officials", "industry", "parliament"]
        latencies: list[float] = []
        statuses: list[int] = []

        def client(audience: str) -> None:
            for theme in themes:
                query = f"?theme={theme}" if theme else ""
                status, seconds = fetch(f"{api}/one-page-{audience}.pdf{query}")
                statuses.append(status)
                latencies.append(seconds)

        started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(a,)) for a in audiences]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        ok = sum(1 for s in statuses if s == 200)
        rows.append(
            (
                "page: 4 clients × 5 different one-pagers",
                f"{len(statuses) / wall:.2f} papers/s, p95 {p95(latencies):.2f} s",
                f"{ok} × 200, {statuses.count(503)} × 503, {len(statuses) - ok - statuses.count(503)} other",
            )
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(60)
    return rows


def bench_jobs(project: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """All 15 papers of one summary: --jobs 2 against --jobs 1."""
    summary = "briefs/uk-japan-2026.yaml"
    one = timed([BRIEFGEN, "build", summary, "--out", "out-j1", "--jobs", "1"], project, env)
    two = timed([BRIEFGEN, "build", summary, "--out", "out-j2", "--jobs", "2"], project, env)
    return [
        ("build 15 papers --jobs 2 / --jobs 1", f"{two:.1f} s / {one:.1f} s = {two / one:.2f}×", "≤ 0.6×")
    ]


def bench_rq(project: Path, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Regen of 3 summaries × 15 papers: two RQ workers against --jobs 1."""
    redis_port = free_port()
    url = f"redis://127.0.0.1:{redis_port}/0"
    redis_dir = Path(tempfile.mkdtemp(prefix="briefgen-bench-redis-"))
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            str(redis_dir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        from redis import Redis

        client = Redis.from_url(url)
        wait_until(client.ping, "redis-server")
        for n in range(2):
            worker_env = {k: v for k, v in env.items() if k != "BRIEFGEN_TEMPLATES"}
            worker_env["BRIEFGEN_WORKER_CACHE"] = str(redis_dir / f"cache-{n}")
            workers.append(
                subprocess.Popen(
                    [BRIEFGEN, "worker", "--redis", url],
                    cwd=redis_dir,
                    env=worker_env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        from rq import Worker

        wait_until(lambda: len(Worker.all(connection=client)) == 2, "RQ workers")
        one = timed([BRIEFGEN, "regen", "--out", "out-regen-j1", "--jobs", "1"], project, env)
        rq = timed([BRIEFGEN, "regen", "--out", "out-regen-rq", "--redis", url], project, env)
        client.close()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(60)
        redis.terminate()
        redis.wait(30)
        shutil.rmtree(redis_dir, ignore_errors=True)
    return [
        ("regen 3 × 15 papers, 2 RQ workers / --jobs 1", f"{rq:.1f} s / {one:.1f} s = {rq / one:.2f}×", "")
    ]


def main() -> None:
    """Print the table."""
    work = Path(tempfile.mkdtemp(prefix="briefgen-bench-serve-"))
    try:
        project = work / "project"
        for name in ("briefs", "seeds", "templates"):
            shutil.copytree(ROOT / name, project / name)
        # A third summary for the regen figure: the first under another id.
        data = yaml.safe_load((project / "briefs" / "uk-japan-2026.yaml").read_text(encoding="utf-8"))
        data["id"] = "uk-japan-2026-copy"
        (project / "briefs" / "uk-japan-2026-copy.yaml").write_text(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        env = {**os.environ, "BRIEFGEN_TEMPLATES": str(project / "templates")}
        parts = {"page": bench_page, "jobs": bench_jobs, "rq": bench_rq}
        chosen = sys.argv[1:] or list(parts)  # e.g. `tools/bench_serve.py page jobs`
        rows = [row for name in chosen for row in parts[name](project, env)]
        print(f"\nbriefgen on demand and at scale: one run, {os.cpu_count()} cores\n")
        for label, value, target in rows:
            print(f"{label:46} {value:>34}  {target}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
