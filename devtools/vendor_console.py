"""The console's third-party browser code: fetched again from the npm registry and checked.

    python -m devtools.vendor_console           fetch every pinned file again (needs npm) and check it
    python -m devtools.vendor_console --check   only check the files in the repository (no network)

Each file comes from a package tarball at a pinned version (`npm pack NAME@VERSION`); the tarball must
match the registry's integrity digest recorded here and the file its sha256, or nothing is written.
The console loads nothing from elsewhere at run time.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "chalicelib" / "console" / "vendor"


@dataclass(frozen=True)
class Pinned:
    package: str  # NAME@VERSION
    integrity: str  # the registry's dist.integrity of the tarball
    member: str  # the file inside the tarball
    target: str  # its name in VENDOR
    sha256: str


PINNED = (
    # Preact 10 with its hooks and htm (tagged templates instead of JSX: no build step), in one ES
    # module with no imports of its own, so the page needs no import map (an inline script).
    Pinned(
        "htm@3.1.1",
        "sha512-983Vyg8NwUE7JkZ6NmOqpCZ+sh1bKv2iYTlUkzlWmA5JD2acKoxd4KVxbMmxX/85mtfdnDmTFoNKcg5DGAvxNQ==",
        "package/preact/standalone.module.js",
        "preact-htm-standalone.module.js",
        "72284e8e9079c87817145df1110f74e8a2aa040b2fc384922e18dfcb46fc1fd7",
    ),
    Pinned(
        "htm@3.1.1",
        "sha512-983Vyg8NwUE7JkZ6NmOqpCZ+sh1bKv2iYTlUkzlWmA5JD2acKoxd4KVxbMmxX/85mtfdnDmTFoNKcg5DGAvxNQ==",
        "package/LICENSE",
        "LICENSE.htm.txt",
        "740725f7252e750af735d0028cc534970772f513331e9f68150fede8fb3ce00f",
    ),
    # The bundle above contains Preact 10's code: its MIT license goes with it.
    Pinned(
        "preact@10.7.3",
        "sha512-giqJXP8VbtA1tyGa3f1n9wiN7PrHtONrDyE3T+ifjr/tTkg+2N4d/6sjC9WyJKv8wM7rOYDveqy5ZoFmYlwo4w==",
        "package/LICENSE",
        "LICENSE.preact.txt",
        "1fe6958409c8c257a70c587a18b6f7f412b179b456630790d30b2ec9a8e4b7d4",
    ),
)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_tarball(package: str, folder: Path) -> bytes:
    result = subprocess.run(
        ["npm", "pack", package, "--silent", "--pack-destination", str(folder)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return (folder / result.stdout.strip().splitlines()[-1]).read_bytes()


def fetch() -> list[str]:
    """Fetch every pinned file again; the problems found (nothing is written when there are any)."""
    problems, files = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        tarballs: dict[str, bytes] = {}
        for pin in PINNED:
            if pin.package not in tarballs:
                tarballs[pin.package] = fetch_tarball(pin.package, Path(tmp))
            tarball = tarballs[pin.package]
            if _integrity(tarball) != pin.integrity:
                problems.append(f"{pin.package}: the tarball is not the pinned one")
                continue
            with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
                member = archive.extractfile(pin.member)
                data = member.read() if member else b""
            if _sha256(data) != pin.sha256:
                problems.append(f"{pin.package} {pin.member}: sha256 {_sha256(data)}, pinned {pin.sha256}")
            files[pin.target] = data
    if not problems:
        VENDOR.mkdir(parents=True, exist_ok=True)
        for target, data in files.items():
            (VENDOR / target).write_bytes(data)
    return problems


def check() -> list[str]:
    """The problems with the vendored files as they are in the repository."""
    problems = []
    for pin in PINNED:
        path = VENDOR / pin.target
        if not path.exists():
            problems.append(f"{pin.target}: missing (run python -m devtools.vendor_console)")
        elif _sha256(path.read_bytes()) != pin.sha256:
            problems.append(f"{pin.target}: not the pinned file of {pin.package}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="check the vendored files only")
    problems = check() if parser.parse_args().check else fetch()
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(PINNED)} vendored files match their pins")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
