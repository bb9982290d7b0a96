"""The docs quote nnscratch's code: every quote must still be in the linked file, at the linked lines.

In docs/*.md a quote is a link to a line range followed by a fenced block::

    [nnscratch/functional.py#L50-L51](../nnscratch/functional.py#L50-L51)
    ```python
    z = x @ W
    z += b
    ```

The block must equal those lines of the file (up to their common
indentation). When code moves, ``python tests/test_docs.py --fix`` rewrites
the line numbers of every quote still in its file (the nearest occurrence).
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
QUOTE_LINK = re.compile(
    r"^\[(?P<text>[^\]]+)\]\((?P<path>\.\./[^)#\s]+)#L(?P<a>\d+)(?:-L(?P<b>\d+))?\)\s*$"
)
ANY_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def _pages() -> list[Path]:
    return sorted(DOCS.glob("*.md"))


def _quotes(page: Path) -> list[dict]:
    """Every (link, fenced block) pair of a page, with the line of the link in the page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    quotes = []
    for i, line in enumerate(lines):
        match = QUOTE_LINK.match(line)
        if not match:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```python":
            raise AssertionError(f"{page.name}:{i + 1}: a line link must be followed by ```python")
        end = lines.index("```", i + 2)
        first = int(match["a"])
        quotes.append(
            {
                "page_line": i,
                "text": match["text"],
                "path": match["path"],
                "file": (page.parent / match["path"]).resolve(),
                "first": first,
                "last": int(match["b"] or first),
                "code": lines[i + 2 : end],
            }
        )
    return quotes


def _dedent(lines: list[str]) -> list[str]:
    return textwrap.dedent("\n".join(lines)).split("\n")


def _find(code: list[str], source: list[str]) -> list[int]:
    """1-based first lines where ``code`` occurs in ``source`` (same lines, any common indent)."""
    want, n = _dedent(code), len(code)
    return [i + 1 for i in range(len(source) - n + 1) if _dedent(source[i : i + n]) == want]


ALL_QUOTES = [(page, q) for page in _pages() for q in _quotes(page)]


def test_the_docs_quote_code():
    assert len(ALL_QUOTES) >= 15, "docs/math.md should quote the code beside the math"


@pytest.mark.parametrize(
    "page, quote",
    ALL_QUOTES,
    ids=[f"{p.name}:{q['page_line'] + 1}:{q['text']}" for p, q in ALL_QUOTES],
)
def test_quote_is_at_the_linked_lines(page, quote):
    anchor = f"L{quote['first']}" + (
        f"-L{quote['last']}" if quote["last"] != quote["first"] else ""
    )
    assert quote["text"] == f"{quote['path'][3:]}#{anchor}", "link text and target differ"
    assert quote["file"].is_file(), f"{quote['path']} does not exist"
    assert quote["last"] - quote["first"] + 1 == len(quote["code"]), (
        f"the link spans {quote['last'] - quote['first'] + 1} lines, the quote {len(quote['code'])}"
    )
    source = quote["file"].read_text(encoding="utf-8").splitlines()
    linked = source[quote["first"] - 1 : quote["last"]]
    if _dedent(linked) != _dedent(quote["code"]):
        found = _find(quote["code"], source)
        where = f"now at line(s) {found}" if found else "no longer in the file"
        pytest.fail(
            f"{page.name}:{quote['page_line'] + 1}: the quote of {quote['text']} is {where}; "
            "run `python tests/test_docs.py --fix` or update the quote"
        )


@pytest.mark.parametrize("page", _pages(), ids=[p.name for p in _pages()])
def test_relative_links_resolve(page):
    for match in ANY_LINK.finditer(page.read_text(encoding="utf-8")):
        target = match["target"]
        if "://" in target or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page.name}: link to {target} points to nothing"


def fix() -> int:
    """Point each quote's link at its nearest occurrence in the file; report quotes not found."""
    problems = 0
    for page in _pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        for quote in _quotes(page):
            source = quote["file"].read_text(encoding="utf-8").splitlines()
            found = _find(quote["code"], source)
            if not found:
                problems += 1
                print(f"{page.name}:{quote['page_line'] + 1}: {quote['text']} is not in the file")
                continue
            first = min(found, key=lambda line: abs(line - quote["first"]))  # nearest if several
            last = first + len(quote["code"]) - 1
            anchor = f"L{first}" + (f"-L{last}" if last != first else "")
            target = f"{quote['path']}#{anchor}"
            lines[quote["page_line"]] = f"[{quote['path'][3:]}#{anchor}]({target})"
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--fix"]:
        sys.exit(__doc__)
    sys.exit(fix())
