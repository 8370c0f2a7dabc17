"""A fleet of MT372 twins in one process (issue 12; ARCHITECTURE.md, "Runtime").

Every meter is a full twin (:func:`openamr.meter.mt372.build_mt372`) with its own
identity (:mod:`.identity`: serial, logical device name, LLS password and HLS keys
derived from the fleet secret, SIM, cell, group, firmware), drawn from the fleet's
configuration (:mod:`.config`) and seed. The core is sans-IO: the configuration,
identities, the fault model (:mod:`.faults`) and the meters (:mod:`.meters`: built
lazily on first contact, hibernated into the fleet's one state file by
:mod:`.hibernation`) take the time and seeds as arguments; :mod:`.serve` is the
only module that does asyncio. :mod:`.commissioning` writes the file a head-end
imports (docs/commissioning.md).
"""
