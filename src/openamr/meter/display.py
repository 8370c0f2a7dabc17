"""The MT372's display list: what the LCD scrolls and the optical port reads out,
from the display codes and LCD positions of the device profile
(:mod:`openamr.devices.mt372.objects`).

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

from openamr.devices.mt372.objects import MT372

#: The auto-scroll list of the LCD, which is also the data readout list (mode C): the
#: display codes the device profile declares, in LCD order.
DISPLAY_LIST: tuple[str, ...] = MT372.display_list()
