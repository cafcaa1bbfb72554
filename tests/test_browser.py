"""`briefgen serve` in a real browser: Debian's Chromium, headless, driven by Selenium.

A person opens the list, chooses a one-page brief for a minister, reads its report, downloads
the PDF and the Word file; then signs in and opens a sensitive paper. One server (the real
command line) and one browser for the module. Set BRIEFGEN_SCREENSHOT=docs/serve.png to keep
a screenshot of the report page.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from docx import Document
from pages import info_text
from project import free_port
from pypdf import PdfReader

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[1]
BRIEFGEN = str(Path(sys.executable).parent / "briefgen")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TOKEN = "browser-token-51c9"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()), reason="chromium is not installed"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`briefgen serve` on 127.0.0.1 over a copy of the project, with a token."""
    project = tmp_path_factory.mktemp("browser-project")
    for name in ("briefs", "seeds", "templates"):
        shutil.copytree(ROOT / name, project / name)
    port = free_port()
    env = {**os.environ, "BRIEFGEN_TEMPLATES": str(project / "templates"), "BRIEFGEN_TOKEN": TOKEN}
    log = project / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [BRIEFGEN, "serve", "--port", str(port), "--jobs", "1"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                break
        except OSError:
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, downloads: Path) -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()


def wait_for_file(folder: Path, suffix: str, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file was downloaded; have {sorted(p.name for p in folder.iterdir())}")


def test_a_one_page_brief_for_a_minister_from_the_list(
    server: str, browser: WebDriver, downloads: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(server + "/")
    assert "Briefing papers" in driver.title
    rows = driver.find_elements(By.CSS_SELECTOR, "#summaries tbody tr")
    assert len(rows) == 2
    assert all("Passes" in row.text for row in rows)
    driver.find_element(By.PARTIAL_LINK_TEXT, "UK–Japan joint statement").click()

    driver.find_element(By.CSS_SELECTOR, "label[for=length-one-page]").click()
    driver.find_element(By.CSS_SELECTOR, "label[for=audience-minister]").click()
    driver.find_element(By.CSS_SELECTOR, "label[for=format-pdf]").click()
    driver.find_element(By.ID, "show").click()
    WebDriverWait(driver, 120).until(expected_conditions.presence_of_element_located((By.ID, "report")))
    assert driver.find_element(By.ID, "pages").text == "1"
    assert driver.find_element(By.ID, "marking").text == "OFFICIAL"
    assert "exact" in driver.find_element(By.ID, "sources").text
    screenshot = os.environ.get("BRIEFGEN_SCREENSHOT")
    if screenshot:
        driver.save_screenshot(screenshot)

    driver.find_element(By.ID, "download-pdf").click()
    pdf = wait_for_file(downloads, ".pdf")
    assert pdf.name == "uk-japan-2026-one-page-minister.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert text.count("OFFICIAL") >= 2  # the running head and foot (the body does not repeat it)
    assert info_text(reader, "/Classification") == "OFFICIAL"

    driver.find_element(By.ID, "download-docx").click()
    docx = wait_for_file(downloads, ".docx")
    assert docx.name == "uk-japan-2026-one-page-minister.docx"
    document = Document(str(docx))
    assert document.paragraphs[0].text == "OFFICIAL" or any(
        p.text == "OFFICIAL" for p in document.sections[0].header.paragraphs
    )
    body = "\n".join(p.text for p in document.paragraphs)
    assert "Recommendation" in body or "recommend" in body.lower()


def test_signing_in_opens_a_sensitive_paper(server: str, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(server + "/summaries/uk-japan-2026?length=short&audience=minister&format=pdf&action=show")
    assert "Sign in to see this paper" in driver.find_element(By.TAG_NAME, "h1").text
    driver.find_element(By.PARTIAL_LINK_TEXT, "Sign in").click()
    driver.find_element(By.ID, "token").send_keys(TOKEN)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, 120).until(expected_conditions.presence_of_element_located((By.ID, "report")))
    assert driver.find_element(By.ID, "marking").text == "OFFICIAL-SENSITIVE"
    assert "Signed in" in driver.find_element(By.CSS_SELECTOR, ".govuk-header").text
