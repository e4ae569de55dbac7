"""The PWA's JS and CSS are served minified, from the pwa/ folder only."""

from __future__ import annotations

import httpx
import pytest

from server.pwa_assets import PWA_DIR


@pytest.mark.parametrize("url, source", [("/js/app.js", "js/app.js"), ("/js/screens/picker.js", "js/screens/picker.js"),
                                         ("/css/app.css", "css/app.css")])  # fmt: skip
async def test_the_shells_code_is_served_minified(client: httpx.AsyncClient, url: str, source: str) -> None:
    response = await client.get(url)
    assert response.status_code == 200
    written = (PWA_DIR / source).read_text()
    assert len(response.content) < 0.9 * len(written.encode())
    assert response.headers["content-type"].startswith("text/javascript" if url.endswith(".js") else "text/css")
    if url.endswith(".js"):  # the comments go, the code stays: every import survives
        assert "// " not in response.text.split("\n", 1)[0]
        imports = [line.split(" from ")[1].strip(" ;") for line in written.splitlines() if line.startswith("import ") and " from " in line]
        assert all(name in response.text for name in imports)


@pytest.mark.parametrize("url", ["/js/%2e%2e/%2e%2e/pyproject.toml", "/js/..%2f..%2fserver%2fapp.py", "/js/missing.js", "/css/app.js"])
async def test_nothing_outside_the_shells_folders_is_served_through_them(client: httpx.AsyncClient, url: str) -> None:
    response = await client.get(url)
    assert response.status_code == 404
    assert "[project]" not in response.text and "create_app" not in response.text
