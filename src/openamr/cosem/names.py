"""The Blue Book names of the COSEM interface classes (4.3-4.5, by class_id), for
tables and documents; the classes themselves are declared in :mod:`.classes`."""

from __future__ import annotations

#: Blue Book names of the interface classes (the declared ones and a few more).
CLASS_NAMES: dict[int, str] = {
    1: "Data", 3: "Register", 4: "Extended register", 5: "Demand register",
    6: "Register activation", 7: "Profile generic", 8: "Clock", 9: "Script table",
    10: "Schedule", 11: "Special days table", 12: "Association SN", 15: "Association LN",
    17: "SAP assignment", 18: "Image transfer", 19: "IEC local port setup",
    20: "Activity calendar", 21: "Register monitor", 22: "Single action schedule",
    23: "IEC HDLC setup", 24: "IEC twisted pair setup", 26: "Utility tables",
    27: "Modem configuration", 28: "Auto answer", 29: "Auto connect", 40: "Push setup",
    41: "TCP-UDP setup", 42: "IPv4 setup", 43: "MAC address setup", 44: "PPP setup",
    45: "GPRS modem setup", 46: "SMTP setup", 47: "GSM diagnostic", 48: "IPv6 setup",
    61: "Register table", 62: "Compact data", 63: "Status mapping", 64: "Security setup",
    65: "Parameter monitor", 67: "Sensor manager", 68: "Arbitrator", 70: "Disconnect control",
    71: "Limiter", 72: "M-Bus client", 115: "Token gateway", 122: "Function control",
    123: "Array manager", 124: "Communication port protection",
}  # fmt: skip


def class_name(class_id: int) -> str:
    """ "Demand register" for 5; "class 99" for a class the table does not name."""
    return CLASS_NAMES.get(class_id, f"class {class_id}")
