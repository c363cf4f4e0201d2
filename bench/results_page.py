"""Write one benchmark's measured results into docs/benchmarks.md, keeping the rest of the page.

The results of a script sit between ``<!-- results:NAME -->`` and ``<!-- /results:NAME -->``,
so notes written by hand around them (profiles, earlier runs) survive a new run.
"""

from __future__ import annotations

from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def write_results(name: str, heading: str, block: str, page: Path = PAGE) -> None:
    """Replace the results of ``name`` on the page, or add a section ``heading`` holding them."""
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    marked = f"{start}\n{block.strip()}\n{end}"
    text = page.read_text(encoding="utf-8") if page.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + marked + after
    else:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{marked}\n"
    page.write_text(text, encoding="utf-8")
