"""The MT372's display list: what the LCD scrolls and the optical port reads out.

One declaration serves both (ARCHITECTURE.md, "one object model"): each entry is the
address the LCD and the IEC 62056-21 readout print, in the reduced form of
IEC 62056-61 (value groups C.D.E, A and B implied; C.D when E is 0). The entries are
resolved against the logical device by :mod:`openamr.meter.readout`, which takes the
value, the scaler and the unit from the objects; an entry whose object the device
does not have is skipped, so the list may name objects a variant lacks (1.6.0 maximum
demand, the clock).

The letters of IEC 62056-61 stand for value group C (or D) numbers::

    C  96  service entries    (C.1.0  -> 0.0.96.1.0.255, serial number)
    F  97  error messages     (F.F    -> 0.0.97.97.0.255, error register)
    L  98  lists              P  99  data profiles

Order and content: Iskraemeco readouts open with the serial number and the clock and
close with the error register (the MT174 captures under tests/vectors/iec21/);
``C.1.0`` is the form those captures print for the serial number (``96.1.0`` reads the
same object in programming mode).
"""

from __future__ import annotations

#: The auto-scroll list of the LCD, which is also the data readout list (mode C).
DISPLAY_LIST: tuple[str, ...] = (
    "C.1.0",  # serial number                   0.0.96.1.0.255
    "0.2.0",  # active firmware identifier      1.0.0.2.0.255
    "0.9.1",  # time hhmmss                     clock 0.0.1.0.0.255
    "0.9.2",  # date 0yymmdd                    clock 0.0.1.0.0.255
    "1.8.0",  # A+ total, then T1..T4
    "1.8.1",
    "1.8.2",
    "1.8.3",
    "1.8.4",
    "2.8.0",  # A- total, then T1..T4
    "2.8.1",
    "2.8.2",
    "2.8.3",
    "2.8.4",
    "15.8.0",  # |A| total
    "1.6.0",  # maximum demand A+ (extended register), when the device has it
    "32.7.0",  # voltage L1, L2, L3
    "52.7.0",
    "72.7.0",
    "31.7.0",  # current L1, L2, L3
    "51.7.0",
    "71.7.0",
    "F.F",  # error register                   0.0.97.97.0.255
)
