"""The PWA's own JavaScript and CSS as devices get them: minified.

The sources stay readable (their comments say why); a handheld downloads, and keeps in its
service-worker cache, what rjsmin and rcssmin make of them — about a quarter smaller. Each file is
minified once per version (its modification time) and served from memory after that.
"""

from __future__ import annotations

from pathlib import Path

import rcssmin
import rjsmin
from litestar import Response, Router, get
from litestar.exceptions import NotFoundException

PWA_DIR = Path(__file__).resolve().parent.parent / "pwa"
_MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_cache: dict[Path, tuple[float, bytes]] = {}


def minify(path: Path) -> bytes:
    """The bytes a device gets for one of the shell's .js or .css files."""
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        text = path.read_text(encoding="utf-8")
        small = rjsmin.jsmin(text) if path.suffix == ".js" else rcssmin.cssmin(text)
        cached = _cache[path] = (mtime, small.encode("utf-8"))
    return cached[1]


def _serve(pwa_dir: Path, folder: str, file: str) -> Response[bytes]:
    root = (pwa_dir / folder).resolve()
    path = (root / file.lstrip("/")).resolve()
    if not path.is_relative_to(root) or path.suffix not in _MEDIA or not path.is_file():
        raise NotFoundException(f"no such file: /{folder}{file}")
    # no-cache: the service worker's versioned cache is what makes the app work offline; the HTTP
    # cache must not hand it a stale file when it installs a new version.
    return Response(minify(path), media_type=_MEDIA[path.suffix], headers={"Cache-Control": "no-cache"})


def pwa_assets_router(pwa_dir: Path = PWA_DIR) -> Router:
    """/js/… and /css/… of the shell in `pwa_dir`, minified."""

    @get("/js/{file:path}", include_in_schema=False, opt={"exclude_from_auth": True}, sync_to_thread=False)
    def script(file: str) -> Response[bytes]:
        return _serve(pwa_dir, "js", file)

    @get("/css/{file:path}", include_in_schema=False, opt={"exclude_from_auth": True}, sync_to_thread=False)
    def stylesheet(file: str) -> Response[bytes]:
        return _serve(pwa_dir, "css", file)

    return Router(path="/", route_handlers=[script, stylesheet], include_in_schema=False)
