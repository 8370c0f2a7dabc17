"""The campaign: fuzzing and negative conformance cases against a twin over real
sockets (issue 11, "The campaign, kept"). ``make fuzz`` runs it; ``python -m fuzz
--help`` tells how; a short slice runs in ``make test`` (tests/fuzz)."""
