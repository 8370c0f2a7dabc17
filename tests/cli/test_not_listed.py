"""An object the meter has but this association cannot see: every command says it as
``read`` does (not in this association's object list; another --client may see more)."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Twin, invoke

NOT_LISTED = "not in this association's object list"
ADVICE = "another --client may see more"


@pytest.mark.parametrize(
    "args",
    [
        ["read", "{url}", "0.0.96.3.10.255"],
        ["relay", "{url}", "state"],
        ["events", "{url}"],
        ["profile", "{url}", "1.0.99.1.0.255"],
        ["firmware", "{url}", "{image}"],
    ],
    ids=["read", "relay", "events", "profile", "firmware"],
)
def test_the_public_client_is_told_what_it_cannot_see(
    twin: Twin, args: list[str], tmp_path: object
) -> None:
    image = f"{tmp_path}/image.bin"
    with open(image, "wb") as f:
        f.write(b"\x01" * 100)
    argv = [a.format(url=twin.url, image=image) for a in args]
    result = invoke([*argv, "--client", "16"])
    assert result.exit_code == 1, result.output
    assert NOT_LISTED in result.output and ADVICE in result.output, result.output
    assert "no such object" not in result.output
