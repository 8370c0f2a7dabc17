"""The twin's local control endpoint on asyncio, JSON over HTTP/1.1: the public face of
the package. ``endpoint.py`` listens and answers through the sans-IO
:class:`openamr.meter.control.Control`; ``http11.py`` is the least HTTP/1.1 it needs
(RFC 9112). Import from here.
"""

from openamr.aio.control.endpoint import DEFAULT_HOST, ControlEndpoint, serve_control

__all__ = ["DEFAULT_HOST", "ControlEndpoint", "serve_control"]
