"""The Iskraemeco MT372, declared once (docs/mt372.md): its objects with their
classes, values, scalers, units, access per association, display list and row
layouts (:mod:`.objects`), and the log-book's event codes and names (:mod:`.events`).

    from openamr.devices.mt372.objects import MT372
    MT372.name_of(Obis.parse("1.0.1.8.0.255"))   # "A+ total"

Importing the package loads the event table only (what a client needs to name a
log-book's entries); the object declarations load with :mod:`.objects`.
"""

from openamr.devices.mt372.events import EventCode, LpStatus, event_name

__all__ = ["EventCode", "LpStatus", "event_name"]
