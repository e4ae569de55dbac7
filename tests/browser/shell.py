"""The PWA's app shell: which files the service worker precaches, their hash, and their size.

`python -m tests.browser.shell --write` rewrites the SHELL list and the BUILD hash in pwa/sw.js
after a change to the shell; `test_shell.py` fails while they are stale, so a changed shell always
reaches devices as a new service-worker version.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"
SW = PWA / "sw.js"
NOT_SHELL = {"sw.js"}  # the worker itself is fetched by the browser, never from its own cache
NOT_SHELL_SUFFIXES = {".py", ".md"}


def shell_files() -> list[Path]:
    """Every file the shell needs offline, in a stable order."""
    return sorted(
        p for p in PWA.rglob("*")
        if p.is_file() and p.name not in NOT_SHELL and p.suffix not in NOT_SHELL_SUFFIXES and "__pycache__" not in p.parts
    )  # fmt: skip


def url_of(path: Path) -> str:
    """The URL a shell file is served at (index.html is the app's root)."""
    rel = path.relative_to(PWA).as_posix()
    return "/" if rel == "index.html" else f"/{rel}"


def shell_urls() -> list[str]:
    return [url_of(p) for p in shell_files()]


def build_hash() -> str:
    """A short hash over every shell file's path and bytes."""
    digest = hashlib.sha256()
    for path in shell_files():
        digest.update(url_of(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def own_code_bytes() -> int:
    """The shell's own JS and CSS as devices download and keep them: minified as the server serves
    them (server/pwa_assets.py; the worker itself as it is), uncompressed. The decoder's WebAssembly
    is not part of it."""
    from server.pwa_assets import minify

    code = [p for p in PWA.rglob("*") if p.suffix in {".js", ".css"}]
    return sum(p.stat().st_size if p == SW else len(minify(p)) for p in code)


def source_code_bytes() -> int:
    """The same files as written (with their comments)."""
    return sum(p.stat().st_size for p in PWA.rglob("*") if p.suffix in {".js", ".css"})


def sw_declared() -> tuple[list[str], str, str]:
    """The SHELL list, BUILD and VERSION that sw.js declares."""
    text = SW.read_text()
    block = re.search(r"const SHELL = \[(.*?)\];", text, re.DOTALL)
    urls = re.findall(r"'([^']+)'", block.group(1)) if block else []
    build = re.search(r"const BUILD = '([^']*)';", text)
    version = re.search(r"const VERSION = '([^']*)';", text)
    return urls, build.group(1) if build else "", version.group(1) if version else ""


def write() -> None:
    """Rewrite sw.js's SHELL list and BUILD hash from the files on disk."""
    text = SW.read_text()
    listing = "".join(f"  '{url}',\n" for url in shell_urls())
    text = re.sub(r"const SHELL = \[.*?\];", "const SHELL = [\n" + listing + "];", text, count=1, flags=re.DOTALL)
    text = re.sub(r"const BUILD = '[^']*';", f"const BUILD = '{build_hash()}';", text, count=1)
    SW.write_text(text)
    print(f"sw.js: {len(shell_urls())} shell files, BUILD {build_hash()}, own JS+CSS {own_code_bytes()} bytes as served"
          f" ({source_code_bytes()} as written)")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        urls, build, version = sw_declared()
        print(f"version {version} build {build} (current {build_hash()}); {len(urls)} files; JS+CSS {own_code_bytes()} bytes")
