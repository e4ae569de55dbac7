"""The app shell as files: precache list and build hash current, versions agree, size in budget, icons."""

from __future__ import annotations

import json
import re

from PIL import Image

from tests.browser import shell

SHELL_BUDGET = 200 * 1024  # the shell's own JS + CSS, uncompressed (issue 7)


def test_the_service_worker_precaches_exactly_the_shell_files_at_their_current_build() -> None:
    urls, build, _version = shell.sw_declared()
    hint = "run `.venv/bin/python -m tests.browser.shell --write` after changing files under pwa/"
    assert sorted(urls) == sorted(shell.shell_urls()), hint
    assert build == shell.build_hash(), hint


def test_the_worker_and_the_page_carry_the_same_version() -> None:
    _urls, _build, version = shell.sw_declared()
    page_version = re.search(r"APP_VERSION = '([^']+)'", (shell.PWA / "js" / "version.js").read_text())
    assert page_version and page_version.group(1) == version


def test_the_shells_own_js_and_css_stay_within_200_kb() -> None:
    size = shell.own_code_bytes()
    print(f"app shell JS + CSS: {size} bytes")
    assert size <= SHELL_BUDGET


def test_the_manifest_makes_the_app_installable_with_icons_of_the_declared_sizes() -> None:
    manifest = json.loads((shell.PWA / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/") and manifest["scope"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        with Image.open(shell.PWA / icon["src"].lstrip("/")) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
            assert image.format == "PNG"

