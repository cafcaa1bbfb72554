"""Every attack of the red-team script holds (tests/redteam.py; run it alone for one line per attack)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REDTEAM = Path(__file__).with_name("redteam.py")


def test_every_attack_holds() -> None:
    result = subprocess.run(
        [sys.executable, str(REDTEAM)], capture_output=True, text=True, timeout=900, check=False
    )
    failures = [line for line in result.stdout.splitlines() if not line.startswith("held ")]
    assert result.returncode == 0, "\n".join(failures) + result.stderr
    attacks = sum(1 for line in result.stdout.splitlines() if line.startswith("held "))
    assert attacks >= 28
    assert result.stdout.splitlines()[-1] == f"{attacks} of {attacks} attacks held"
