"""RQ workers on a real Redis: two workers with no shared disk, and one killed mid-job."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import warm
import yaml
from project import environment, free_port, run
from pypdf import PdfReader
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="redis-server is not installed")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on 127.0.0.1 and a free port, stopped after the module."""
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except Exception:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    client.close()
    try:
        yield url
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy whose summary names its five one-page papers."""
    folder = tmp_path_factory.mktemp("rq-project")
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, folder / name)
    path = folder / "briefs" / "uk-japan-2026.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["editions"] = [e for e in data["editions"] if e["length"] == "one-page"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (folder / "briefs" / "meridian-treaty-2025.yaml").unlink()
    return folder


@pytest.fixture()
def workers(redis_url: str, tmp_path: Path) -> Iterator[list[warm.Forked]]:
    """Two `briefgen worker` processes, each in its own empty folder with its own cache."""
    started = []
    for n in range(2):
        home = tmp_path / f"worker-{n}"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "BRIEFGEN_TEMPLATES"}
        env["BRIEFGEN_WORKER_CACHE"] = str(home / "cache")
        started.append(warm.start(["worker", "--redis", redis_url], cwd=home, env=env))
    client = Redis.from_url(redis_url)
    from rq import Worker

    deadline = time.monotonic() + 60
    while len(Worker.all(connection=client)) < 2:
        assert time.monotonic() < deadline, "the workers did not register"
        time.sleep(0.1)
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        client.flushdb()
        client.close()


def papers(out: Path) -> dict[str, bytes]:
    folder = out / "uk-japan-2026"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".pdf", ".docx")}


def test_two_workers_render_what_the_coordinator_writes(
    project: Path, redis_url: str, workers: list[warm.Forked]
) -> None:
    remote = run(project, "regen", "--out", "out-rq", "--redis", redis_url)
    assert remote.returncode == 3, remote.stdout + remote.stderr
    assert remote.stdout.count("rebuilt ") == 5
    local = run(project, "regen", "--out", "out-local", "--jobs", "1")
    assert local.returncode == 3, local.stderr
    assert papers(project / "out-rq") == papers(project / "out-local")
    manifest = json.loads((project / "out-rq" / "manifest.json").read_text(encoding="utf-8"))
    record = next(iter(manifest["summaries"].values()))
    assert sorted(record["papers"]) == sorted(e for e in record["editions"])
    # Nothing stale is left: a second run has nothing to do and sends no job.
    again = run(project, "regen", "--out", "out-rq", "--redis", redis_url)
    assert again.returncode == 0, again.stdout


def test_a_worker_killed_mid_job_has_its_paper_redone(
    project: Path, redis_url: str, workers: list[warm.Forked]
) -> None:
    from rq import Worker

    from briefgen.remote import ALIVE

    coordinator = warm.start(
        ["regen", "--out", "out-kill", "--redis", redis_url], cwd=project, env=environment(project)
    )
    client = Redis.from_url(redis_url)
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline:
        for worker in Worker.all(connection=client):
            job = worker.get_current_job_id()
            # Mid-job: its render has begun (the heartbeat is up), not merely been taken.
            if job and client.exists(ALIVE + job):
                victim = next(p for p in workers if p.pid == worker.pid)
                victim.kill()  # mid-job: no clean-up, no result, no heartbeat
                killed = victim
                break
        time.sleep(0.01)
    client.close()
    assert killed is not None, "no worker was seen working"
    stdout, stderr = coordinator.communicate(timeout=300)
    assert coordinator.returncode == 3, stdout + stderr
    assert "stopped answering; enqueued it again" in stderr
    assert stdout.count("rebuilt ") == 5
    out = project / "out-kill" / "uk-japan-2026"
    for pdf in out.glob("*.pdf"):
        assert len(PdfReader(pdf).pages) == 1
    assert not list(out.glob(".*.tmp"))  # nothing half-written was left or published
    assert len(papers(project / "out-kill")) == 10


def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_enqueued_again(
    project: Path, redis_url: str
) -> None:
    # A worker killed between taking a job and starting it leaves the job "queued" but in RQ's
    # intermediate queue, where no worker looks for minutes: the coordinator waited forever.
    from briefgen.model import Audience, Edition, Length
    from briefgen.pool import RenderJob
    from briefgen.remote import DEAD_AFTER, RedisRenderer

    renderer = RedisRenderer(redis_url, queue="taken-and-lost", poll=0.05)
    edition = Edition(name="one-page-minister", length=Length.ONE_PAGE, audience=Audience.MINISTER)
    job = RenderJob(
        summary=project / "briefs" / "uk-japan-2026.yaml", edition=edition, templates=project / "templates"
    )
    client = Redis.from_url(redis_url)
    try:
        future = renderer.submit(job)
        queue = renderer.queue.key
        taken = client.lmove(queue, f"{queue}:intermediate")  # what a worker does as it takes a job
        assert taken is not None
        deadline = time.monotonic() + DEAD_AFTER + 10
        while renderer.requeued == 0:
            assert time.monotonic() < deadline, "the lost job was never enqueued again"
            time.sleep(0.05)
        again = [i.decode() if isinstance(i, bytes) else i for i in client.lrange(queue, 0, -1)]
        assert len(again) == 1 and again[0].encode() != taken  # a new job for the same paper, waiting
        client.hset(f"rq:job:{again[0]}", "status", "failed")  # end the wait
        with pytest.raises(Exception, match="the render worker failed"):
            future.result(timeout=10)
    finally:
        renderer.close()
        client.flushdb()
        client.close()
