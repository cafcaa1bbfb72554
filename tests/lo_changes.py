"""Open Word files in LibreOffice (UNO), list their tracked changes, accept or reject them all, save.

Run with the system Python that has LibreOffice's `uno` module (Debian: python3-uno):
    python3 tests/lo_changes.py JOBS.json
JOBS.json is a list of {"in": path, "action": "accept"|"reject"|"none", "out": path}; this prints,
as JSON, one {"changes": n, "authors": [...]} per job, counted before the action.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def _prop(name: str, value: object) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    pipe = f"briefgen{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"-env:UserInstallation=file://{profile}",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(120):
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.25)
        else:
            raise SystemExit("LibreOffice did not start")
        smgr = ctx.ServiceManager
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        dispatcher = smgr.createInstanceWithContext("com.sun.star.frame.DispatchHelper", ctx)
        results = []
        for job in jobs:
            url = uno.systemPathToFileUrl(str(Path(job["in"]).resolve()))
            doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("Hidden", True),))
            authors = []
            changes = doc.Redlines.createEnumeration()
            while changes.hasMoreElements():
                authors.append(changes.nextElement().RedlineAuthor)
            action = {"accept": ".uno:AcceptAllTrackedChanges", "reject": ".uno:RejectAllTrackedChanges"}
            if job["action"] in action:
                frame = doc.CurrentController.Frame
                dispatcher.executeDispatch(frame, action[job["action"]], "", 0, ())
            out = uno.systemPathToFileUrl(str(Path(job["out"]).resolve()))
            doc.storeToURL(out, (_prop("FilterName", "MS Word 2007 XML"),))
            doc.close(True)
            results.append({"changes": len(authors), "authors": sorted(set(authors))})
        print(json.dumps(results))
        with contextlib.suppress(Exception):  # the bridge closes as LibreOffice quits
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
