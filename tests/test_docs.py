"""The documentation's Python examples run as written (getting started, how-to guides)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
#: Pages whose Python blocks run without a store, a server or a cluster.
RUNNABLE = ("getting-started.md",)


def _blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


@pytest.mark.parametrize("page", RUNNABLE)
def test_python_examples_run(page):
    code = "\n".join(_blocks(page))
    assert code, f"{page} shows Python"
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOCS / page), "exec"), namespace)


def test_every_page_in_the_navigation_exists():
    nav = (DOCS.parent / "mkdocs.yml").read_text()
    pages = re.findall(r":\s+([\w/.-]+\.md)\s*$", nav, flags=re.M)
    assert pages
    missing = [p for p in pages if not (DOCS / p).is_file()]
    assert missing == []
