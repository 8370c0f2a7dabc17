"""``python -m openamr.cli.docs``: write the device reference table ``docs/objects.md``
from the device profile (:func:`openamr.devices.docs.render`); ``--check`` only
compares and exits 1 when the file is stale (``make docs`` runs the first)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from openamr.devices.docs import render

#: Where the generated table lives, from the repository's root.
DOCS = Path("docs") / "objects.md"


def main(argv: Sequence[str] = (), path: Path = DOCS) -> int:
    """Write the document (``--check``: only compare, exit 1 when it differs)."""
    text = render()
    if "--check" in argv:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run python -m openamr.cli.docs", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
