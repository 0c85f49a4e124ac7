"""Finding the Chrome or Chromium that kaleido (static chart images) and the PDF export drive headless."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hitplan.errors import ChromeMissing

ENV_VAR = "HITPLAN_CHROME"
# Debian/Ubuntu packages first (found without configuration, also as root), then Google's builds
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _executable(path: str | os.PathLike) -> Path | None:
    p = Path(path).expanduser()
    return p if p.is_file() and os.access(p, os.X_OK) else None


def _downloaded_chrome() -> Path | None:
    """The Chrome that `plotly_get_chrome` / `kaleido_get_chrome` downloaded, where choreographer looks for it."""
    try:
        from choreographer.cli._cli_utils import get_chrome_download_path, get_old_chrome_download_path
    except ImportError:  # a later choreographer moved them: fall back to asking it to find any browser
        try:
            from choreographer.browsers.chromium import Chromium

            found = Chromium.find_browser(skip_local=False)
            return _executable(found) if found else None
        except Exception:  # noqa: BLE001 - discovery must never break a report; None means "not found"
            return None
    for get in (lambda: get_chrome_download_path(mkdir=False), get_old_chrome_download_path):
        try:
            p = get()
        except Exception:  # noqa: BLE001 - an unsupported platform string raises; treat as not downloaded
            p = None
        if p and (exe := _executable(p)):
            return exe
    return None


def find_chrome() -> Path | None:
    """The Chrome/Chromium executable to use: $HITPLAN_CHROME, then the usual names on PATH, then a downloaded one."""
    if value := os.environ.get(ENV_VAR):
        return _executable(value) or (Path(w) if (w := shutil.which(value)) else None)
    for name in CANDIDATES:
        if found := (_executable(name) if os.sep in name else shutil.which(name)):
            return Path(found)
    return _downloaded_chrome()


def require_chrome(purpose: str) -> Path:
    """The Chrome/Chromium executable, or ChromeMissing saying how to install one for ``purpose``."""
    if chrome := find_chrome():
        return chrome
    where = f" (${ENV_VAR}={os.environ[ENV_VAR]} is not an executable)" if os.environ.get(ENV_VAR) else ""
    raise ChromeMissing(
        f"{purpose} needs Chrome or Chromium and none was found{where}: install one with `apt-get install chromium` "
        f"as root on Debian/Ubuntu, or run `plotly_get_chrome` where the internet is reachable, or set {ENV_VAR} "
        "to its path")


def chrome_flags(user_data_dir: str | os.PathLike) -> list[str]:
    """Flags for a headless, sandbox-free run that makes no network calls of its own, with a fresh profile."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={Path(user_data_dir)}"]


def ensure_chrome(say=print) -> Path | None:
    """Find Chrome/Chromium, else install one: Debian's package when apt-get works and we are root, else
    `plotly_get_chrome` (which needs the internet); None, with the reason said, when neither works."""
    import subprocess
    import sys

    if chrome := find_chrome():
        say(f"Chrome/Chromium: {chrome}")
        return chrome
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Debian's chromium for the PDF and chart images (apt-get install chromium)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                                   "chromium", "fonts-dejavu-core"]):
            if subprocess.run(cmd, env=env, check=False).returncode != 0:
                say(f"`{' '.join(cmd)}` failed")
                break
        if chrome := find_chrome():
            return chrome
    getter = Path(sys.executable).with_name("plotly_get_chrome")
    if getter.exists():
        say("downloading Chrome with plotly_get_chrome")
        subprocess.run([str(getter), "-y"], check=False, timeout=600)
        if chrome := find_chrome():
            return chrome
    say("no Chrome/Chromium: reports will be HTML only; install one with `apt-get install chromium` (as root) "
        "or `plotly_get_chrome`")
    return None


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m hitplan.report.browser",
                                     description="Find the Chrome/Chromium hitplan uses; with --install, install one.")
    parser.add_argument("--install", action="store_true", help="install one when none is found")
    args = parser.parse_args()
    found = ensure_chrome() if args.install else find_chrome()
    if not args.install:
        print(found or "none found")
    raise SystemExit(0)
