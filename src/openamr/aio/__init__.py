"""asyncio adapters: the first layer that does I/O.

Each adapter is thin: it feeds the bytes it reads and the loop's time into a sans-IO
machine from ``openamr.link`` (or above) and acts on the events it gets back.
"""
