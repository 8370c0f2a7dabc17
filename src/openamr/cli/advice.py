"""What to tell the user when a command fails: the client's message (meter, step,
reason) followed by what to do about it, chosen by the reason or the step.

No secret ever reaches these messages: the client's errors name flags and fields,
never their values, and the advice is built from the options' public parts.
"""

from __future__ import annotations

import errno

from openamr.client.errors import CredentialsError, MeterError

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
                                "larger than it takes (the MT372 twin: {max_image:,} bytes, "
                                "1 MiB, at most), or image transfer is disabled"),
    ("replayed answer", "the meter's invocation counter went backwards: check for a "
                        "second head-end or a reset meter"),
)  # fmt: skip


def _advice(reason: str) -> str | None:
    for text, advice in _BY_REASON:
        if text in reason:
            if "{max_image" in advice:  # the class table loads for this advice only
                from openamr.cosem.classes.image_transfer import DEFAULT_MAX_IMAGE_SIZE

                return advice.format(max_image=DEFAULT_MAX_IMAGE_SIZE)
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


#: What to do when a serial device cannot be opened, by errno (see aio/lines.py).
_SERIAL: dict[int, str] = {
    errno.ENOENT: "no such device: plug the probe or adapter in and give its device "
                  "(ls /dev/ttyUSB* /dev/serial/by-id/), or tcp://HOST:PORT for a twin's port",
    errno.EACCES: "permission denied: add your user to the 'dialout' group and log in again",
    errno.EPERM: "permission denied: add your user to the 'dialout' group and log in again",
    errno.EBUSY: "the device is busy: close the other program that holds it",
    errno.ENOTTY: "not a serial port: give the probe's or adapter's device (/dev/ttyUSB0), "
                  "or tcp://HOST:PORT for a twin's port",
    errno.EINVAL: "the port refused the line settings: use an adapter that supports them "
                  "(the optical port needs 300 Bd 7E1), or tcp://HOST:PORT for a twin's port",
}  # fmt: skip


def serial_advice(device: str, error: OSError) -> str:
    """One line for a serial device that could not be opened: what and what to do."""
    advice = _SERIAL.get(error.errno or 0)
    if advice is None:
        return f"cannot open {device}: {error.strerror or error}"
    return f"cannot open {device}: {advice}"
