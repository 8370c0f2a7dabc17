"""cli/names: the lazy table of class declarations agrees with the classes."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import openamr.cosem.classes as classes_package
from openamr.cli.names import DECLARED, attribute_name, declared_class, method_name
from openamr.cosem.base import CosemObject


def test_each_entry_names_a_class_of_its_id() -> None:
    for class_id in DECLARED:
        declared = declared_class(class_id)
        assert declared is not None and class_id == declared.CLASS_ID


def test_every_interface_class_module_is_in_the_table() -> None:
    found = set()
    for info in pkgutil.iter_modules(classes_package.__path__):
        module = importlib.import_module(f"openamr.cosem.classes.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, CosemObject)
                and value.__module__ == module.__name__
                and "CLASS_ID" in vars(value)
            ):
                found.add((value.CLASS_ID, f"{info.name}:{value.__name__}"))
    assert found == set(DECLARED.items())


def test_names_and_unknowns() -> None:
    assert attribute_name(3, 3) == "scaler_unit"
    assert attribute_name(5, 4) == "scaler_unit"
    assert attribute_name(99, 2) == "attribute 2"
    assert method_name(99, 1) == "method 1"
    assert declared_class(99) is None


def test_one_name_loads_one_class() -> None:
    code = (
        "import sys; from openamr.cli.names import attribute_name; attribute_name(3, 2); "
        "print(sorted(m for m in sys.modules if m.startswith('openamr.cosem.classes.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['openamr.cosem.classes.register']"
