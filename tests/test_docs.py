"""The project describes itself: the written API reference names exactly the routes there are, every
environment variable the service reads is documented, and no document points outside the repository."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
HEADING = re.compile(r"^### (GET|POST|PUT|PATCH|DELETE) (/api/\S+)$", re.MULTILINE)


def test_the_written_reference_describes_exactly_the_routes_there_are() -> None:
    import chalicelib.routes
    from chalicelib.routes.http import REGISTRY

    for module in pkgutil.iter_modules(chalicelib.routes.__path__):  # each registers its routes
        importlib.import_module(f"chalicelib.routes.{module.name}")

    routes = {(spec.method, spec.path) for spec in REGISTRY.routes}
    written = set(HEADING.findall((ROOT / "docs" / "api.md").read_text()))
    assert routes - written == set(), "routes the reference does not describe"
    assert written - routes == set(), "described routes that do not exist"


def test_every_variable_the_service_reads_is_documented() -> None:
    source = (ROOT / "chalicelib" / "config.py").read_text()
    read = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', source))
    assert {"DATABASE_URL", "STRATTERA_TIMEZONE", "API_TOKENS", "CORS_ALLOWED_ORIGINS"} <= read
    documented = set(
        re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", (ROOT / "docs" / "configuration.md").read_text(), re.M)
    )
    assert read - documented == set()


def test_documents_link_only_to_what_the_repository_holds() -> None:
    for document in DOCUMENTS:
        text = document.read_text()
        assert "../shared" not in text, document
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "#")):
                continue
            path = (document.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), (document.name, target)


def test_the_readme_is_short_and_leads_to_every_document() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 120, "the README is what a newcomer reads first: keep it short"
    for document in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{document.name})" in readme, f"the README does not lead to docs/{document.name}"


def test_no_file_points_to_documents_outside_the_repository() -> None:
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    # 0001_schema.sql names one in a comment; an applied migration is never edited (its checksum).
    exempt = {"chalicelib/migrations/0001_schema.sql", "tests/test_docs.py"}
    for name in tracked.stdout.split():
        path = ROOT / name
        if name in exempt or path.suffix not in {
            ".py",
            ".md",
            ".js",
            ".sql",
            ".yaml",
            ".sh",
            ".html",
            ".css",
        }:
            continue
        text = path.read_text(errors="replace")
        for outside in ("CONTRACT.md", "UPSTREAM.md", "STYLE.md", "../shared"):
            assert outside not in text, (name, outside)
