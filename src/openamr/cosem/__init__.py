"""The COSEM object model (Blue Book): interface classes declared once, access
rights per association, and a logical device that answers GET/SET/ACTION.

The names below load with their module on first use (PEP 562), so that a client
importing one class table (``openamr.cosem.scaling``) does not pay for the
logical device and the server's association handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openamr.lazy import names_on_first_use

if TYPE_CHECKING:
    from openamr.cosem.access import (
        READ_ONLY,
        READ_WRITE,
        AccessPolicy,
        AttributeAccess,
        MethodAccess,
        ObjectAccess,
    )
    from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
    from openamr.cosem.device import CURRENT_ASSOCIATION, AssociationView, LogicalDevice

#: name -> the module that defines it
_HOME = {
    **dict.fromkeys(
        ("READ_ONLY", "READ_WRITE", "AccessPolicy", "AttributeAccess", "MethodAccess",
         "ObjectAccess"),
        "openamr.cosem.access",
    ),
    **dict.fromkeys(
        ("SUCCESS", "Attribute", "CosemObject", "Method", "MethodResult"), "openamr.cosem.base"
    ),
    **dict.fromkeys(
        ("CURRENT_ASSOCIATION", "AssociationView", "LogicalDevice"), "openamr.cosem.device"
    ),
}  # fmt: skip


__getattr__ = names_on_first_use(__name__, _HOME)


__all__ = [
    "CURRENT_ASSOCIATION",
    "READ_ONLY",
    "READ_WRITE",
    "SUCCESS",
    "AccessPolicy",
    "AssociationView",
    "Attribute",
    "AttributeAccess",
    "CosemObject",
    "LogicalDevice",
    "Method",
    "MethodAccess",
    "MethodResult",
    "ObjectAccess",
]
