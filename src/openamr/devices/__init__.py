"""Device profiles: each meter model's COSEM objects, declared once, as data
(ARCHITECTURE.md, "declared once"). Shared by the meter side (the twin builds its
objects from a profile) and the client side (names, units, event words)."""
