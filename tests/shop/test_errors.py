"""One kind of error carries a message for people: views catch it once and show it."""

import ast
import importlib
from pathlib import Path

from shop.errors import RefusedWithMessage

SHOP = Path(__file__).resolve().parents[2] / "shop"


def _classes_speaking_of_user_message():
    for path in sorted(SHOP.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(SHOP.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and "user_message" in ast.unparse(node):
                yield module.removesuffix(".__init__"), node.name


def test_every_error_with_a_user_message_is_a_refusal():
    found = list(_classes_speaking_of_user_message())
    assert ("shop.gateway.errors", "GatewayError") in found
    assert ("shop.billing.confirm_links", "ConfirmLinkInvalid") in found
    outside = [
        f"{module}.{name}"
        for module, name in found
        if not issubclass(getattr(importlib.import_module(module), name), RefusedWithMessage)
    ]
    assert outside == []
