"""The COSEM object model (Blue Book): interface classes declared once, access
rights per association, and a logical device that answers GET/SET/ACTION."""

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
