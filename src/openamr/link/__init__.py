"""Sans-IO framing below the application layer: the TCP wrapper, HDLC, IEC 62056-21.

Every class here carries opaque bytes (it knows nothing of APDUs), does no I/O
and reads no clock: bytes go in through ``receive_data``, events come out, bytes
to write come back from the ``send`` methods, and time is an argument.
"""
