"""A short slice of the campaign (``make fuzz`` runs the whole of it): twins in their
own processes over the wrapper and HDLC, every association state, mutated APDUs and
frames. No crash, no hang, and the twins answered."""

from __future__ import annotations

import random
from pathlib import Path

from fuzz.campaign import _keep, read_transcript, replay, run
from fuzz.corpus import load
from fuzz.mutate import MUTATORS, mutate
from fuzz.peer import Peer


def test_a_slice_of_the_campaign_finds_no_crash_and_no_hang() -> None:
    report = run(seconds=4, connections=1, seed=11, batch=60)
    assert report.ok, "\n".join(report.lines())
    assert report.tally.inputs >= 100
    states = {k.split("/")[1] for k in report.tally.by_state}
    assert {"idle", "public"} <= states, report.tally.by_state
    assert sum(report.tally.answers.values()) > 0
    assert report.log_bytes == 0, "the twins wrote nothing to their logs"
    assert len(report.negative) == 15 and all(why is None for _, why in report.negative)


def test_the_corpus_holds_every_session_kind() -> None:
    corpus = load()
    assert {"public", "lls", "hls"} <= set(corpus)
    assert all(apdu[:1] == b"\x60" for apdu in (c[0] for c in corpus.values()))  # AARQ first


def test_the_mutators_are_reproducible_by_seed() -> None:
    seeds = load()["public"]
    runs = [[mutate(random.Random(5), s, seeds) for s in seeds] for _ in range(2)]
    assert runs[0] == runs[1]
    rng = random.Random(1)
    for mutator in MUTATORS:
        assert isinstance(mutator(rng, b"\xc0\x01\xc1", seeds), bytes)
        assert isinstance(mutator(rng, b"", seeds), bytes)


def test_a_hang_transcript_is_kept_and_replays(tmp_path: Path) -> None:
    """A hanging connection's inputs are written where `python -m fuzz replay` plays
    them again on a fresh twin (a wrapper GET of A+ and an RLRQ here: it closes)."""
    peer = Peer("wrapper", 0, random.Random(1), b"FUZTEST1")
    peer.client = 16
    peer.sent = [peer.wrap(bytes.fromhex("c0 01 c1 00 03 01 00 01 08 00 ff 02 00")),
                 peer.wrap(bytes.fromhex("62 00"))]  # fmt: skip
    kept = _keep(tmp_path, peer, "public", "wrapper/public, connection 9/1/2")
    assert kept is not None and kept.name == "hang-9-1-2.txt"
    assert read_transcript(kept) == ("wrapper", "public", peer.sent)
    assert replay(kept).startswith("closed "), replay(kept)
