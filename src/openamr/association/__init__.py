"""Sans-IO DLMS/COSEM associations, both sides (Green Book 9.4): ACSE negotiation,
authentication, ciphering, and the xDLMS services with block transfer."""
