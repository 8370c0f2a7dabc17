"""What to tell the user when a command fails: the client's message (meter, step,
reason) followed by what to do about it, chosen by the reason or the step.

No secret ever reaches these messages: the client's errors name flags and fields,
never their values, and the advice is built from the options' public parts.
"""

from __future__ import annotations

from openamr.client.errors import CredentialsError, MeterError
from openamr.cosem.classes.image_transfer import DEFAULT_MAX_IMAGE_SIZE as MAX_IMAGE

#: (text found in the reason, or in the step, advice); the first match wins.
_BY_REASON: tuple[tuple[str, str], ...] = (
    ("authentication failed", "check --password (or --ek/--ak/--keys-file) and --client"),
    ("association refused", "check --client, --auth and its password or keys "
                            "(--password, --ek/--ak, --keys-file)"),
    ("cannot connect", "check the URL's host and port, and that the meter is online"),
    ("closed the connection", "check the URL: tcp:// is the wrapper, hdlc+tcp:// is HDLC"),
    ("no answer within", "check the URL (tcp:// wrapper or hdlc+tcp:// HDLC), --client "
                         "(a meter ignores clients it does not know), or raise --timeout"),
    ("not in this association's object list",
     "run `openamr objects URL` to list what this client sees; another --client may see more"),
    ("read write denied", "this client may not do that: use a client with more rights "
                          "(e.g. --auth high --client 1 with keys)"),
    ("scope of access violated", "this client may not do that: use a client with more "
                                 "rights (e.g. --auth high --client 1 with keys)"),
    ("image_transfer_initiate", "the meter would not start this transfer: the image may be "
                                f"larger than it takes (the MT372 twin: {MAX_IMAGE:,} bytes, "
                                "1 MiB, at most), or image transfer is disabled"),
    ("replayed answer", "the meter's invocation counter went backwards: check for a "
                        "second head-end or a reset meter"),
)  # fmt: skip


def _advice(reason: str) -> str | None:
    for text, advice in _BY_REASON:
        if text in reason:
            return advice
    return None


#: CredentialsError for a missing secret (the API's words) -> the CLI's words
_MISSING: tuple[tuple[str, str], ...] = (
    ("needs keys", "--auth high needs keys: give --ek and --ak, or --keys-file, "
                   "or set OPENAMR_EK and OPENAMR_AK"),
    ("needs a password", "--auth low needs a password: give --password or --keys-file, "
                         "or set OPENAMR_PASSWORD"),
)  # fmt: skip


def explain(error: Exception) -> str:
    """One line for the user: what failed, and what to do about it."""
    if isinstance(error, CredentialsError):
        for text, message in _MISSING:
            if text in str(error):
                return message
        return f"{error}: check --ek/--ak/--kek/--system-title, the keys file or OPENAMR_*"
    if isinstance(error, MeterError):
        advice = _advice(error.reason) or _advice(error.step)
        if "authentication failed" in error.reason and ", high)" in error.step:
            advice = "check --ek/--ak (or --keys-file) and --client"  # HLS: the keys
        return f"{error} — {advice}" if advice else str(error)
    if isinstance(error, OSError):
        where = getattr(error, "filename", None)
        return f"{where or ''}: {error.strerror or error}".lstrip(": ")
    return str(error)
