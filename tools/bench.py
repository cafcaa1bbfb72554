"""Benchmark briefgen against a bare WeasyPrint render: medians of several runs, in one sitting.

Machines here are shared and noisy, so the figures that matter are the ratios measured side by
side in one run, not absolute seconds. Run with `make bench`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SUMMARY = ROOT / "briefs" / "uk-japan-2026.yaml"
RUNS = int(os.environ.get("BENCH_RUNS", "5"))

BARE = """
import sys, weasyprint
html = open(sys.argv[1], encoding="utf-8").read()
weasyprint.HTML(string=html, base_url=sys.argv[2]).write_pdf(sys.argv[3])
"""

WARM = """
import sys, time, statistics
from pathlib import Path
from briefgen.build import Builder, verify_inputs
from briefgen.model import Audience, Edition, Format, Length
builder = Builder(verify_inputs(Path(sys.argv[1])))
edition = Edition(name="one-page-minister", length=Length.ONE_PAGE, audience=Audience.MINISTER,
                  formats=[Format.PDF, Format.DOCX])
builder.build(edition)  # the first build pays for imports and fonts
times = []
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    builder.build(edition)
    times.append(time.perf_counter() - started)
print(statistics.median(times))
"""


def run(cmd: list[str], *, cwd: Path) -> float:
    """Run a command; return its wall seconds."""
    started = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - started


def median(cmd: list[str], *, cwd: Path) -> tuple[float, int]:
    """Return the median seconds over RUNS runs, and the peak memory of one more run measured alone."""
    seconds = statistics.median(run(cmd, cwd=cwd) for _ in range(RUNS))
    return seconds, peak_memory(cmd, cwd=cwd)


def paired(
    ours: list[str], bare: list[str], *, cwd: Path
) -> tuple[tuple[float, int, float], tuple[float, int]]:
    """Time ours and the bare render alternately; the ratio is the median of the per-pair ratios.

    Alternating runs see the same machine load, so their ratio is steadier than a ratio of two
    medians taken minutes apart on a shared machine.
    """
    pairs = [(run(ours, cwd=cwd), run(bare, cwd=cwd)) for _ in range(RUNS)]
    ratio = statistics.median(a / b for a, b in pairs)
    ours_s = statistics.median(a for a, _ in pairs)
    bare_s = statistics.median(b for _, b in pairs)
    return (ours_s, peak_memory(ours, cwd=cwd), ratio), (bare_s, peak_memory(bare, cwd=cwd))


def peak_memory(cmd: list[str], *, cwd: Path) -> int:
    """Return a command's peak resident memory in MB, measured alone in a fresh interpreter."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], "
        "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *cmd], cwd=cwd, check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip()) // 1024


REVIEW_SUMMARY = ROOT / "briefs" / "meridian-treaty-2025.yaml"
# A new source of about 2,000 words: three reports on the same treaty as one text, plus the test
# report, so that it confirms, contradicts and adds.
REVIEW_PARTS = [
    "seeds/meridian-courier-report.txt",
    "seeds/halvard-standard-report.txt",
    "seeds/calder-institute-commentary.txt",
    "tests/data/review/sarn-observer-report.txt",
]
DRAFT_SOURCES = [
    "seeds/meridian-treaty-text.txt",
    "seeds/meridian-press-release.txt",
    "seeds/meridian-courier-report.txt",
    "seeds/halvard-standard-report.txt",
    "seeds/calder-institute-commentary.txt",
]


def review_rows() -> None:
    """Time the review of a 2,000-word source against the Meridian summary, and a five-source draft."""
    work = Path(tempfile.mkdtemp(prefix="briefgen-bench-review-"))
    try:
        for name in ("briefs", "seeds", "templates"):
            shutil.copytree(ROOT / name, work / name)
        text = "\n".join((ROOT / part).read_text(encoding="utf-8") for part in REVIEW_PARTS)
        new = work / "seeds" / "bench-new-report.txt"
        new.write_text(text, encoding="utf-8")
        briefgen = str(BIN / "briefgen")
        summary = str(work / "briefs" / REVIEW_SUMMARY.name)
        subprocess.run(
            [briefgen, "sources", "add", str(new), "--summary", summary, "--no-input", "--id", "bench-new",
             "--reliability", "Benchmark."],
            cwd=work, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        claims = sum(
            1
            for line in Path(summary).read_text(encoding="utf-8").splitlines()
            if line.startswith("  - id: ")
        )
        review = [briefgen, "review", "bench-new", "--summary", summary, "--out", str(work / "out")]
        cold = statistics.median(run(review, cwd=work) for _ in range(RUNS))
        warm_code = (
            "import sys, time, statistics; from pathlib import Path\n"
            "from briefgen.anchoring import read_sources; from briefgen.loading import load_summary\n"
            "from briefgen.review import review_source\n"
            "s = load_summary(Path(sys.argv[1])); texts = read_sources(s, Path(sys.argv[2]))\n"
            "review_source(s, texts, 'bench-new')\n"
            "t = []\n"
            "for _ in range(int(sys.argv[3])):\n"
            "    a = time.perf_counter(); review_source(s, texts, 'bench-new')\n"
            "    t.append(time.perf_counter() - a)\n"
            "print(statistics.median(t))\n"
        )
        warm = subprocess.run(
            [sys.executable, "-c", warm_code, summary, str(work), str(RUNS)],
            cwd=work, check=True, capture_output=True, text=True,
        )  # fmt: skip
        draft = [briefgen, "draft", *DRAFT_SOURCES, "--id", "bench-draft", "--force"]
        drafted = statistics.median(run(draft, cwd=work) for _ in range(RUNS))
        words = len(text.split())
        print(f"{f'review, {words} words x {claims} claims, cold':34} {cold:8.2f} s  target <= 2 s")
        print(f"{'review, same, warm (in process)':34} {float(warm.stdout):8.2f} s")
        print(f"{'draft from five sources, cold':34} {drafted:8.2f} s  target <= 10 s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    """Print the benchmark table."""
    if sys.argv[1:] == ["review"]:
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
        review_rows()
        return
    # Python normally caches compiled modules; where PYTHONDONTWRITEBYTECODE is set (as on these
    # machines) an editable install would recompile briefgen on every start. Compile it once.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    work = Path(tempfile.mkdtemp(prefix="briefgen-bench-"))
    try:
        project = work / "project"
        for name in ("briefs", "seeds", "templates"):
            shutil.copytree(ROOT / name, project / name)
        out = project / "out"
        briefgen = str(BIN / "briefgen")
        summary = str(project / "briefs" / SUMMARY.name)

        def build(*args: str) -> list[str]:
            return [briefgen, "build", summary, "--out", str(out), *args]

        one_page = build("--length", "one-page", "--audience", "minister")
        full = build("--length", "full", "--audience", "officials")
        # Save the HTML the PDF is made from, for the bare WeasyPrint runs.
        subprocess.run(
            [*one_page, "--format", "pdf", "--format", "docx", "--format", "html"],
            check=True,
            cwd=project,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [*full, "--format", "pdf", "--format", "docx"], check=True, cwd=project, stdout=subprocess.DEVNULL
        )
        html_dir = work / "html"
        html_dir.mkdir()
        from briefgen.build import Builder, verify_inputs
        from briefgen.model import Audience, Edition, Length
        from briefgen.render import assets_dir
        from briefgen.render.html import render_html

        builder = Builder(verify_inputs(Path(summary)), templates=project / "templates")
        for length, audience, name in (
            (Length.ONE_PAGE, Audience.MINISTER, "one"),
            (Length.FULL, Audience.OFFICIALS, "full"),
        ):
            edition = Edition(name=f"{length.value}-{audience.value}", length=length, audience=audience)
            brief, *_ = builder.fit(edition, {})
            (html_dir / f"{name}.html").write_text(render_html(brief), encoding="utf-8")
        base = assets_dir().as_uri() + "/"
        bare = [sys.executable, "-c", BARE]

        rows = []
        bare_one_cmd = [*bare, str(html_dir / "one.html"), base, str(work / "bare-one.pdf")]
        cold_one, bare_one = paired(
            [*one_page, "--format", "pdf", "--format", "docx"], bare_one_cmd, cwd=project
        )
        rows.append(("one-page PDF + DOCX, cold", cold_one, bare_one, "≤ 1.2× bare"))
        warm = subprocess.run(
            [sys.executable, "-c", WARM, summary, str(RUNS)],
            cwd=project,
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(("one-page PDF + DOCX, warm", (float(warm.stdout.strip()), 0), None, "< 0.3 s"))
        docx = median([*one_page, "--format", "docx"], cwd=project)
        rows.append(("one-page DOCX alone, cold", docx, None, "< 0.4 s"))
        bare_full_cmd = [*bare, str(html_dir / "full.html"), base, str(work / "bare-full.pdf")]
        cold_full, bare_full = paired(
            [*full, "--format", "pdf", "--format", "docx"], bare_full_cmd, cwd=project
        )
        rows.append(("full paper PDF + DOCX, cold", cold_full, bare_full, "peak < 300 MB"))

        # Regeneration: build all 15 papers, then a no-op regen, then one source change.
        subprocess.run(
            [briefgen, "build", summary, "--out", str(out)],
            check=True,
            cwd=project,
            stdout=subprocess.DEVNULL,
        )
        regen = [briefgen, "regen", summary, "--out", str(out)]
        noop = median(regen, cwd=project)
        # Edit one word inside a sentence that one claim quotes.
        seed = project / "seeds" / "001_4569ab1ebb46e3de.txt"
        text = seed.read_text(encoding="utf-8")
        seed.write_text(text.replace("Exercise Vigilant Isles", "Exercise Vigilant Isle"), encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run(regen, cwd=project, capture_output=True, text=True)
        changed_seconds = time.perf_counter() - started
        rebuilt = sum(1 for line in done.stdout.splitlines() if line.startswith("rebuilt"))

        print(
            f"briefgen benchmark: medians of {RUNS} runs, {os.cpu_count()} cores; "
            "ratio: median of paired ratios / ratio of medians\n"
        )
        print(f"{'case':34} {'briefgen':>10} {'bare WP':>10} {'ratio':>11} {'peak MB':>8}  target")
        for label, (seconds, mb, *paired_ratio), against, target in rows:
            # Both: the median of paired ratios, and the ratio of the two medians.
            ratio = f"{paired_ratio[0]:.2f}×/{seconds / against[0]:.2f}×" if against and paired_ratio else ""
            bare_s = f"{against[0]:.2f} s" if against else ""
            print(f"{label:34} {seconds:8.2f} s {bare_s:>10} {ratio:>11} {mb or '':>8}  {target}")
        print(f"{'regen, nothing stale, cold':34} {noop[0]:8.2f} s {'':>10} {'':>11} {noop[1]:>8}  < 0.5 s")
        label = "regen after one seed edit"
        print(
            f"{label:34} {changed_seconds:8.2f} s   rebuilt {rebuilt} of 15 papers (exit {done.returncode})"
        )
        fit_rows()
        review_rows()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fit_rows() -> None:
    """Print the layouts the page fitter makes for every one-page and short paper of each summary."""
    from briefgen.build import Builder, verify_inputs
    from briefgen.model import Length

    layouts, papers, seconds = 0, 0, 0.0
    for summary in sorted((ROOT / "briefs").glob("*.yaml")):
        builder = Builder(verify_inputs(summary))
        for edition in builder.inputs.summary.editions:
            if edition.length is not Length.FULL:
                started = time.perf_counter()
                layouts += builder.fit(edition, {})[1]
                seconds += time.perf_counter() - started
                papers += 1
    label = f"fitting {papers} one-page and short"
    print(f"{label:34} {seconds:8.2f} s   {layouts} layouts, {layouts / papers:.1f} a paper")


if __name__ == "__main__":
    main()
