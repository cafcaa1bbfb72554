"""Red team: run every attack of the hardening issue against throwaway copies of a small project.

    python tests/redteam.py [--keep]

Each attack runs briefgen's command line, as cron or a person would, in its own copy of a built
project: each command in a fork of this warm process (tests/warm.py), the SIGKILL attack and the
mount-namespace ones in fresh interpreters. After each, the script checks what must always hold:

- no traceback in any output, and no control character sent raw to the terminal;
- no command ran past its deadline;
- nothing outside the project was read (a canary file's text appears in no output and in no
  paper) or written (a folder beside the project stays as it was);
- every paper built before the attack is still there, byte for byte (or, where the attack
  changed what a paper is built from, a complete paper).

It prints one line per attack and exits 0 if every attack held, 1 if any did not.
tests/test_redteam.py runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import warm
from project import EDITION, SUMMARY, environment, make_project

PAPERS = "out/uk-japan-minimal"
SEED = "seeds/000_b445cf68cb3455ec.txt"
CANARY = "CANARY-d41d8cd9 outside the project"
DEADLINE = 60.0  # seconds any one command may take
FORMATS = ("--format", "pdf", "--format", "docx", "--format", "html")


class BreachError(Exception):
    """An attack that got through: the message says what happened."""


@dataclass
class Run:
    """One command's result."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str
    seconds: float


@dataclass
class Lab:
    """One attack's copy of the project, the folder beside it, and everything its commands printed."""

    project: Path
    outside: Path
    runs: list[Run] = field(default_factory=list)
    changes_papers: bool = False  # the attack changes what a paper is built from

    def briefgen(self, *args: str, deadline: float = DEADLINE, expect: set[int] | None = None) -> Run:
        """Run briefgen in the project; fail the attack if it hangs or exits with an unexpected code."""
        started = time.monotonic()
        try:
            done = warm.run(args, cwd=self.project, env=environment(self.project), timeout=deadline)
        except subprocess.TimeoutExpired:
            raise BreachError(f"`briefgen {' '.join(args)}` still running after {deadline:g} s") from None
        run = Run(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        self.runs.append(run)
        if expect is not None and run.code not in expect:
            raise BreachError(
                f"`briefgen {' '.join(args)}` exited {run.code}, not {sorted(expect)}: {run.err[-300:]}"
            )
        return run

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.project / relative
        text = path.read_text(encoding="utf-8")
        if old not in text:
            raise AssertionError(f"{relative} does not hold {old!r}")
        path.write_text(text.replace(old, new, 1), encoding="utf-8")


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise BreachError(message)


def one_error(run: Run, *fragments: str) -> str:
    """Return a run's one `error:` line, checking it holds each fragment."""
    errors = [line for line in run.err.splitlines() if line.startswith("error: ")]
    expect(len(errors) >= 1, f"`{' '.join(run.args)}` printed no error line: {run.err[-300:]}")
    for fragment in fragments:
        expect(fragment in errors[0], f"{errors[0]!r} does not say {fragment!r}")
    return errors[0]


# --- servers ------------------------------------------------------------------------------------


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP port on 127.0.0.1 that records every connection made to it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    sock.settimeout(0.1)
    seen: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, addr = sock.accept()
            except OSError:
                continue
            seen.append(str(addr))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        stop.set()
        thread.join(timeout=2)
        sock.close()


@contextlib.contextmanager
def web(handler: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A local web server whose every GET is answered by `handler`."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with contextlib.suppress(OSError):
                handler(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/page"
    finally:
        httpd.shutdown()
        httpd.server_close()


def text_page(body: bytes, content_type: str = "text/plain; charset=utf-8") -> Callable[[Any], None]:
    def answer(request: Any) -> None:
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return answer


def drip(request: Any) -> None:
    request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(100000):
        request.wfile.write(b"x")
        request.wfile.flush()
        time.sleep(0.2)


def endless(request: Any) -> None:
    request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
    while True:
        request.wfile.write(b"y" * 65536)


def with_url_source(lab: Lab, url: str, file: str = "seeds/web/statement.txt") -> None:
    source = (
        f"  - id: statement\n    file: {file}\n    url: {url}\n    title: Statement\n"
        "    kind: official\n    reliability: A test page.\n"
    )
    lab.edit(SUMMARY, "themes:\n", source + "themes:\n")


# --- the attacks --------------------------------------------------------------------------------


def markup_and_jinja_in_text_print_literally(lab: Lab) -> None:
    lab.changes_papers = True
    hostile = "<script>alert(1)</script> {{ 7*7 }} {% include 'x' %}"
    lab.edit(SUMMARY, "full: The leaders agreed", f"full: {hostile} The leaders agreed")
    lab.edit(SUMMARY, "short: Foreign and defence", f"short: {hostile} Foreign and defence")
    lab.briefgen("build", SUMMARY, "--format", "html", "--format", "pdf", expect={0})
    html = (lab.project / PAPERS / f"{EDITION}.html").read_text(encoding="utf-8")
    expect("<script>alert(1)</script>" not in html, "raw <script> reached the HTML")
    expect(
        "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }} {% include &#39;x&#39; %}" in html,
        "text was not printed literally",
    )


def content_reaches_no_local_server(lab: Lab) -> None:
    lab.changes_papers = True
    with listener() as (port, seen):
        url = f"http://127.0.0.1:{port}/x"
        lab.edit(
            SUMMARY,
            "full: The leaders agreed",
            f'full: <img src="{url}"> <link rel=stylesheet href="{url}"> The leaders agreed',
        )
        lab.briefgen("check", SUMMARY, expect={0})
        lab.briefgen("build", SUMMARY, "--format", "pdf", "--format", "html", "--format", "docx", expect={0})
        lab.briefgen("regen", SUMMARY, expect={0})
        time.sleep(0.3)
        expect(seen == [], f"content made {len(seen)} connection(s) to a local server")


def hostile_yaml_gives_fast_one_line_errors(lab: Lab) -> None:
    summary = lab.project / SUMMARY
    good = summary.read_bytes()
    cases = {
        "alias bomb": b'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
        + b"".join(
            f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n".encode() for p, n in zip("abcd", "bcde", strict=True)
        ),
        "python tag": b"schema: 2\nid: !!python/object/apply:os.system ['touch /tmp/pwned-by-yaml']\n",
        "deep nesting": b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "50 MB": good + b"# " + b"x" * (50 * 1024 * 1024) + b"\n",
        "duplicate key": good.replace(b"id: uk-japan-minimal\n", b"id: uk-japan-minimal\nid: again\n", 1),
    }
    for name, data in cases.items():
        summary.write_bytes(data)
        run = lab.briefgen("check", SUMMARY, deadline=20, expect={1})
        expect(run.seconds < 10, f"{name}: check took {run.seconds:.1f} s")
        line = one_error(run)
        parts = line.removeprefix("error: ").split(":")
        expect(
            parts[0] == SUMMARY and parts[1].isdigit() and parts[2].isdigit(),
            f"{name}: no file:line:col in {line!r}",
        )
    expect(not Path("/tmp/pwned-by-yaml").exists(), "a python tag ran code")
    # Byte-order mark and CRLF line ends: a good file still loads; a mistake is found at its line.
    crlf = b"\xef\xbb\xbf" + good.replace(b"\n", b"\r\n")
    summary.write_bytes(crlf)
    lab.briefgen("check", SUMMARY, expect={0})
    summary.write_bytes(crlf.replace(b"priority: 1", b"priority: one", 1))
    one_error(lab.briefgen("check", SUMMARY, expect={1}), f"{SUMMARY}:43:5: claims[0].priority")
    summary.write_bytes(good)


def sigkill_loses_no_paper(lab: Lab) -> None:
    for after in (0.4, 0.7, 1.0, 1.3):  # while it starts, loads, lays out, writes
        process = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "build", SUMMARY, *FORMATS],
            cwd=lab.project,
            env=environment(lab.project),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(after)
        process.send_signal(signal.SIGKILL)
        process.wait()
        lab.briefgen("regen", SUMMARY, expect={0, 3})
    expect(not list((lab.project / "out").rglob(".*.tmp")), "temporary files were left behind")


def concurrent_runs_serialise(lab: Lab) -> None:
    lab.edit(SUMMARY, "# A small valid summary", "# An edited small valid summary")
    regen = ["regen", SUMMARY, "--wait", "60"]
    runs = [warm.start(regen, cwd=lab.project, env=environment(lab.project)) for _ in range(2)]
    results = [r.communicate(timeout=DEADLINE) for r in runs]
    codes = [r.wait() for r in runs]
    for (out, err), code in zip(results, codes, strict=True):
        lab.runs.append(Run(("regen",), code, out, err, 0.0))
    codes.sort()
    expect(codes == [0, 3], f"two regens at once exited {codes}, not one rebuilding and one finding it done")


def outputs_are_byte_identical(lab: Lab) -> None:
    lab.briefgen("build", SUMMARY, "--out", "again", *FORMATS, expect={0})
    for paper in (lab.project / PAPERS).iterdir():
        if paper.suffix in (".pdf", ".docx", ".html"):
            other = lab.project / "again" / "uk-japan-minimal" / paper.name
            expect(other.read_bytes() == paper.read_bytes(), f"{paper.name} differs when built again")


def slow_server_meets_the_deadline(lab: Lab) -> None:
    with web(drip) as url:
        with_url_source(lab, url)
        run = lab.briefgen("sources", "refresh", SUMMARY, "--deadline", "2", deadline=15, expect={1})
        expect(run.seconds < 8, f"refresh took {run.seconds:.1f} s against a 2 s deadline")
        expect("no complete response within 2 s" in run.err, f"no deadline in {run.err!r}")


def endless_body_meets_the_byte_cap(lab: Lab) -> None:
    with web(endless) as url:
        with_url_source(lab, url)
        run = lab.briefgen("sources", "refresh", SUMMARY, deadline=30, expect={1})
        expect("response larger than 5 MB" in run.err, f"no cap in {run.err!r}")


def linked_seed_is_refused(lab: Lab) -> None:
    seed = lab.project / SEED
    (lab.outside / "secret.txt").write_text(seed.read_text(encoding="utf-8") + CANARY + "\n")
    seed.unlink()
    seed.symlink_to(lab.outside / "secret.txt")
    for command in ("check", "build", "regen"):
        one_error(lab.briefgen(command, SUMMARY, expect={1}), "leads outside")
    (lab.outside / "secret.txt").write_text(CANARY + "\n")


def linked_device_is_refused(lab: Lab) -> None:
    seed = lab.project / SEED
    seed.unlink()
    seed.symlink_to("/dev/zero")
    one_error(lab.briefgen("check", SUMMARY, deadline=20, expect={1}), "leads outside")


def linked_snapshot_folder_is_not_written_through(lab: Lab) -> None:
    with web(text_page(b"The statement.\n")) as url:
        (lab.project / "seeds" / "snapshots").symlink_to(lab.outside)
        with_url_source(lab, url)
        run = lab.briefgen("sources", "refresh", SUMMARY, expect={1})
        expect("leads outside" in run.err, f"no refusal in {run.err!r}")


def linked_template_is_never_included(lab: Lab) -> None:
    html = lab.project / "templates" / "html"
    (html / "evil.html.j2").symlink_to(lab.outside / "secret.txt")
    lab.edit("templates/html/paper.html.j2", "<body", '{% include "evil.html.j2" %}<body')
    one_error(lab.briefgen("build", SUMMARY, expect={1}), "leads outside")


def huge_source_is_refused_fast(lab: Lab) -> None:
    with (lab.project / SEED).open("r+b") as handle:
        handle.truncate(200 * 1024 * 1024)
    run = lab.briefgen("check", SUMMARY, deadline=20, expect={1})
    expect(run.seconds < 10, f"check took {run.seconds:.1f} s")
    one_error(run, "the limit is 8,388,608")


def fifos_never_block(lab: Lab) -> None:
    (lab.project / SEED).unlink()
    os.mkfifo(lab.project / SEED)
    os.mkfifo(lab.project / "briefs" / "pipe.yaml")
    for args in (("check", SUMMARY), ("build", SUMMARY), ("regen", SUMMARY), ("check", "briefs/pipe.yaml")):
        one_error(lab.briefgen(*args, deadline=20, expect={1}), "FIFO")
    lab.briefgen("regen", SUMMARY, "briefs/pipe.yaml", deadline=20, expect={1})
    lab.briefgen("regen", SUMMARY, deadline=20, expect={1})  # not 75: the lock was let go


def damaged_manifest_is_set_aside(lab: Lab) -> None:
    for damage in (os.urandom(4096), b'{"version": 2, "summaries": [1]}', b"[]"):
        (lab.project / "out" / "manifest.json").write_bytes(damage)
        run = lab.briefgen("regen", SUMMARY, expect={3})
        expect("is damaged" in run.err and "set it aside" in run.err, f"no warning in {run.err!r}")
    expect(len(list((lab.project / "out").glob("manifest.json.damaged-*"))) >= 1, "nothing set aside")
    lab.briefgen("regen", SUMMARY, expect={0})


def failed_save_leaves_nothing(lab: Lab) -> None:
    (lab.project / "out" / ".manifest.json.deadbeef.tmp").write_text("{")
    lab.briefgen("regen", SUMMARY, expect={0})
    expect(not list((lab.project / "out").glob(".*.tmp")), "a failed save's temporary file was not swept")


def isolated(lab: Lab, mount: str, *args: str) -> Run | None:
    """Run briefgen in its own mount namespace; None where that is not allowed."""
    shell = f'{mount} && exec "$0" -m briefgen "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", shell, sys.executable, *args],
        cwd=lab.project,
        env=environment(lab.project),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    if "unshare" in done.stderr or "mount:" in done.stderr:
        return None
    run = Run(tuple(args), done.returncode, done.stdout, done.stderr, 0.0)
    lab.runs.append(run)
    return run


def read_only_and_full_out(lab: Lab) -> None:
    lab.edit(SUMMARY, "# A small valid summary", "# An edited small valid summary")
    run = isolated(lab, "mount --bind out out && mount -o remount,bind,ro out", "regen", SUMMARY)
    if run is None:
        return  # no mount namespaces here: tests/test_faults.py covers what it can
    expect(run.code == 1, f"read-only out: exit {run.code}")
    one_error(run, "read-only file system")
    (lab.project / "out").rename(lab.project / "kept")
    (lab.project / "out").mkdir()
    run = isolated(lab, "mount -t tmpfs -o size=24k tmpfs out", "build", SUMMARY)
    (lab.project / "out").rmdir()
    (lab.project / "kept").rename(lab.project / "out")
    assert run is not None
    expect(run.code == 1, f"full out: exit {run.code}")
    one_error(run, "no space left on device")


def nul_in_file_name(lab: Lab) -> None:
    lab.edit(SUMMARY, f"file: {SEED}", f'file: "{SEED}\\0"')
    for command in ("check", "build", "regen"):
        one_error(lab.briefgen(command, SUMMARY, expect={1}), "control character U+0000")


def out_naming_a_file(lab: Lab) -> None:
    for command in ("build", "regen"):
        one_error(lab.briefgen(command, SUMMARY, "--out", SUMMARY, expect={1}), "as the output folder")


def seed_changes_kind_between_build_and_regen(lab: Lab) -> None:
    seed = lab.project / SEED
    text = seed.read_bytes()
    seed.write_bytes(text + b"\xff\xfe")
    one_error(lab.briefgen("regen", SUMMARY, expect={1}), "is not UTF-8")
    seed.unlink()
    seed.mkdir()
    one_error(lab.briefgen("regen", SUMMARY, expect={1}), "is a folder")
    # watch reports it and goes on watching.
    with warm.start(
        ["watch", SUMMARY, "--poll", "0.2"], cwd=lab.project, env=environment(lab.project)
    ) as watch:
        out, err = watch.printed()
        deadline = time.monotonic() + 8
        while "is a folder" not in out and watch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
            out, err = watch.printed()
        stopped = watch.poll() is not None
        lab.runs.append(Run(("watch",), 0, out, err, 0.0))
    expect("is a folder" in out, f"watch did not report the seed: {out!r}")
    expect(not stopped, "watch stopped by itself")
    seed.rmdir()
    seed.write_bytes(text)


def template_breaking_the_sandbox(lab: Lab) -> None:
    lab.edit("templates/html/paper.html.j2", "<body", "{{ ''.__class__.__base__.__subclasses__() }}<body")
    one_error(lab.briefgen("build", SUMMARY, expect={1}), "SecurityError")


def control_characters(lab: Lab) -> None:
    lab.edit(SUMMARY, "full: The leaders agreed", 'full: "\\e[2J\\e[31mThe leaders agreed')
    lab.edit(SUMMARY, "within the year.\n    evidence", 'within the year."\n    evidence')
    one_error(lab.briefgen("check", SUMMARY, expect={1}), "control character U+001B")


def control_characters_in_a_source(lab: Lab) -> None:
    seed = lab.project / SEED
    seed.write_text("\x1b]0;pwned\x07" + seed.read_text(encoding="utf-8"), encoding="utf-8")
    one_error(lab.briefgen("check", SUMMARY, expect={1}), f"{SEED}:1:1: control character U+001B")


def very_long_word(lab: Lab) -> None:
    lab.changes_papers = True
    lab.edit(SUMMARY, "full: The leaders agreed", "full: " + "x" * 5000 + " The leaders agreed")
    run = lab.briefgen("check", SUMMARY, expect={0})
    expect("a word of 5,000 characters" in run.err, f"no warning in {run.err!r}")
    lab.briefgen("build", SUMMARY, expect={0})


def same_day_refresh_keeps_both_snapshots(lab: Lab) -> None:
    bodies = iter([b"First wording.\n", b"Second wording.\n"])

    def changing(request: Any) -> None:
        text_page(next(bodies))(request)

    with web(changing) as url:
        with_url_source(lab, url)
        lab.briefgen("sources", "refresh", SUMMARY, expect={0})
        lab.briefgen("sources", "refresh", SUMMARY, expect={0})
    snapshots = sorted(p.name for p in (lab.project / "seeds" / "snapshots" / "statement").glob("*.txt"))
    expect(len(snapshots) == 2, f"same-day snapshots: {snapshots}")


def wrong_charset_is_reported(lab: Lab) -> None:
    with web(text_page("Café au lait.\n".encode(), "text/plain; charset=iso-8859-1")) as url:
        with_url_source(lab, url)
        run = lab.briefgen("sources", "refresh", SUMMARY, expect={0})
    expect("but it is UTF-8" in run.err, f"no charset warning in {run.err!r}")
    stored = (lab.project / "seeds" / "web" / "statement.txt").read_text(encoding="utf-8")
    expect(stored == "Café au lait.\n", f"stored {stored!r}")


def hostile_manifest_paths(lab: Lab) -> None:
    os.mkfifo(lab.outside / "pipe")  # opened, it would block: regen must not even try
    manifest = lab.project / "out" / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('"inputs": {', '"inputs": {"source:x:../outside/pipe": "0", ', 1))
    lab.briefgen("regen", SUMMARY, deadline=30, expect={3})
    (lab.outside / "pipe").unlink()


def new_files_follow_the_umask(lab: Lab) -> None:
    shutil.rmtree(lab.project / "out")
    done = warm.run(["build", SUMMARY, *FORMATS], cwd=lab.project, env=environment(lab.project), umask=0o022)
    lab.runs.append(Run(("build",), done.returncode, done.stdout, done.stderr, 0.0))
    for path in [*(lab.project / PAPERS).iterdir(), lab.project / "out" / "manifest.json"]:
        mode = path.stat().st_mode & 0o777
        expect(mode == 0o644, f"{path.name} is {mode:o}, not 644")


ATTACKS: list[Callable[[Lab], None]] = [
    markup_and_jinja_in_text_print_literally,
    content_reaches_no_local_server,
    hostile_yaml_gives_fast_one_line_errors,
    sigkill_loses_no_paper,
    concurrent_runs_serialise,
    outputs_are_byte_identical,
    slow_server_meets_the_deadline,
    endless_body_meets_the_byte_cap,
    linked_seed_is_refused,
    linked_device_is_refused,
    linked_snapshot_folder_is_not_written_through,
    linked_template_is_never_included,
    huge_source_is_refused_fast,
    fifos_never_block,
    damaged_manifest_is_set_aside,
    failed_save_leaves_nothing,
    read_only_and_full_out,
    nul_in_file_name,
    out_naming_a_file,
    seed_changes_kind_between_build_and_regen,
    template_breaking_the_sandbox,
    control_characters,
    control_characters_in_a_source,
    very_long_word,
    same_day_refresh_keeps_both_snapshots,
    wrong_charset_is_reported,
    hostile_manifest_paths,
    new_files_follow_the_umask,
]


# --- what must hold after every attack ----------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under a folder, links not followed: its kind and, for a file, its bytes."""
    found: dict[str, tuple[str, bytes]] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = ("link", str(path.readlink()).encode())
        elif path.is_file():
            found[name] = ("file", path.read_bytes())
        else:
            found[name] = ("other", b"")
    return found


def paper_text(path: Path) -> str:
    """The text of a paper, as far as a reader could find the canary in it."""
    data = path.read_bytes()
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if path.suffix == ".docx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


def complete(path: Path) -> bool:
    """Tell whether a paper file is whole: a PDF that opens, a .docx that is a zip, JSON that parses."""
    try:
        if path.suffix == ".pdf":
            from pypdf import PdfReader

            return len(PdfReader(path).pages) >= 1
        if path.suffix == ".docx":
            return zipfile.ZipFile(path).testzip() is None
    except Exception:
        return False
    return path.stat().st_size > 0


def verify(lab: Lab, papers: dict[str, bytes], outside: dict[str, tuple[str, bytes]]) -> None:
    for run in lab.runs:
        output = run.out + run.err
        expect("Traceback" not in output, f"`{' '.join(run.args)}` printed a traceback: {output[-500:]}")
        expect(
            "\x1b" not in output and "\x00" not in output,
            f"`{' '.join(run.args)}` echoed a control character",
        )
        expect(CANARY not in output, f"`{' '.join(run.args)}` printed text from outside the project")
    expect(snapshot(lab.outside) == outside, "something outside the project was written")
    folder = lab.project / PAPERS
    for name, data in papers.items():
        path = folder / name
        expect(path.is_file(), f"the paper {name} is gone")
        if not lab.changes_papers and name.endswith((".pdf", ".docx", ".html")):
            expect(path.read_bytes() == data or complete(path), f"the paper {name} is damaged")
    for path in [*lab.project.rglob("out*/**/*.*"), *lab.project.rglob("again/**/*.*")]:
        if path.is_file() and path.suffix in (".pdf", ".docx", ".html", ".md", ".json"):
            expect(CANARY not in paper_text(path), f"{path.name} holds text from outside the project")
            if path.suffix in (".pdf", ".docx") and path.parent.name == "uk-japan-minimal":
                expect(complete(path), f"{path} is not a whole paper")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--only", help="run only the attacks whose name holds this")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="briefgen-redteam-"))
    failures = 0
    try:
        base = make_project(work / "base")
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "briefgen",
                "build",
                SUMMARY,
                "--format",
                "pdf",
                "--format",
                "docx",
                "--format",
                "html",
            ],
            cwd=base,
            env=environment(base),
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
        if built.returncode != 0:
            print(f"could not build the project to attack: {built.stderr}")
            return 1
        papers = {p.name: p.read_bytes() for p in (base / PAPERS).iterdir()}
        attacks = [a for a in ATTACKS if options.only is None or options.only in a.__name__]
        for number, attack in enumerate(attacks, 1):
            folder = work / f"{number:02d}-{attack.__name__}"
            project = folder / "project"
            outside = folder / "outside"
            shutil.copytree(base, project, symlinks=True)
            outside.mkdir()
            (outside / "secret.txt").write_text(CANARY + "\n")
            (outside / "drop").mkdir()
            before = snapshot(outside)
            lab = Lab(project=project, outside=outside)
            started = time.monotonic()
            try:
                attack(lab)
                (outside / "secret.txt").write_text(CANARY + "\n")  # an attack may have used it as bait
                verify(lab, papers, before)
            except BreachError as breach:
                failures += 1
                print(f"FAIL {attack.__name__}: {breach}", flush=True)
            except Exception as error:  # the script's own mistake; say so, and go on
                failures += 1
                print(f"FAIL {attack.__name__}: the attack itself failed: {error!r}", flush=True)
            else:
                print(f"held {attack.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
    finally:
        if options.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(attacks) - failures} of {len(attacks)} attacks held")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
