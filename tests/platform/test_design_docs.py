"""The repository's design docs stand alone and stay current.

- Every PlantUML source in docs/design/ has a committed SVG rendered from exactly that source
  (PlantUML embeds the source in a comment at the end of the SVG, without its ' comment lines).
- No doc points outside the repository (a design document that is not in it).
- Every ADR's status line is one of the forms ADR 95 allows.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "docs" / "design"
SOURCES = sorted(DESIGN.glob("*.puml"))
# The source comes last; state diagrams also put an MD5 comment before every link, hence @startuml.
EMBEDDED = re.compile(r"<!--MD5=\[[0-9a-f]+\]\n(@startuml.*?@enduml)", re.DOTALL)
ADR = r"\[ADR (\d+)\]\((\d{4}-[a-z0-9-]+\.md)\)"  # a link to the ADR's file
STATUS = re.compile(
    rf"^Date: \d{{4}}-\d{{2}}-\d{{2}} · Status: (accepted|superseded by {ADR})"
    rf"( · (Supersedes|Amends) {ADR}(, {ADR})*)?"
    rf"( · Amended by {ADR}(, {ADR})* \([^)]+\))?$"
)


def embedded_source(svg: str) -> str:
    """The PlantUML source an SVG was rendered from (PlantUML writes "--" as "- -" in XML comments)."""
    found = EMBEDDED.findall(svg)
    assert found, "no embedded PlantUML source: render it with `make diagrams`"
    return found[-1].replace("- -", "--")


def without_comments(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("'")).strip()


def test_there_is_a_sequence_diagram_for_the_seat_chart_reserve_cancel_and_move():
    assert {p.stem for p in SOURCES} >= {"seat-chart", "reserve", "cancel", "move"}


@pytest.mark.parametrize("source", SOURCES, ids=[p.name for p in SOURCES])
def test_every_diagram_has_an_svg_rendered_from_its_current_source(source: Path):
    svg = source.with_suffix(".svg")
    assert svg.exists(), f"{svg.relative_to(ROOT)} is missing: run make diagrams"
    assert embedded_source(svg.read_text()) == without_comments(source.read_text()), (
        f"{svg.relative_to(ROOT)} was rendered from another version of {source.name}: run make diagrams"
    )


def test_the_readme_links_every_diagram():
    readme = (ROOT / "README.md").read_text()
    for source in SOURCES:
        assert f"docs/design/{source.stem}.svg" in readme, f"README.md does not link {source.stem}.svg"


def test_no_doc_points_at_a_design_document_outside_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files", "*.md", "*.puml", "*.py", "*.yaml", "*.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    outside = re.compile(r"\.\./shared|/work/shared|DESIGN\.md|DESIGN §")
    offenders = [
        f"{name}:{number}"
        for name in tracked
        if name != "tests/platform/test_design_docs.py" and (ROOT / name).is_file()
        for number, line in enumerate((ROOT / name).read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert offenders == []


def test_every_adr_status_line_is_one_adr_95_allows_and_links_adrs_that_exist():
    adr_dir = ROOT / "docs" / "adr"
    bad = {}
    for adr in sorted(adr_dir.glob("[0-9][0-9][0-9][0-9]-*.md")):
        status = adr.read_text().splitlines()[2]
        links = re.findall(ADR, status)
        if not STATUS.match(status) or any(
            not (adr_dir / name).exists() or int(name[:4]) != int(number) for number, name in links
        ):
            bad[adr.name] = status
    assert bad == {}
