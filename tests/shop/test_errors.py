"""One kind of error carries a message for people: views catch it once and show it."""

import ast
from pathlib import Path

from shop.billing.confirm_links import ConfirmLinkInvalid
from shop.errors import RefusedWithMessage
from shop.gateway.errors import GatewayError

SHOP = Path(__file__).resolve().parents[2] / "shop"


def _carries_user_message(node: ast.ClassDef) -> bool:
    """The class defines ``user_message``: as a class attribute or ``self.user_message = ...``
    (views that only read a caught error's message do not count)."""
    for child in ast.walk(node):
        targets = []
        if isinstance(child, ast.Assign):
            targets = child.targets
        elif isinstance(child, ast.AnnAssign):
            targets = [child.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "user_message":
                return True
            if (
                isinstance(target, ast.Attribute)
                and target.attr == "user_message"
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
            ):
                return True
    return False


def _classes_speaking_of_user_message():
    for path in sorted(SHOP.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(SHOP.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and _carries_user_message(node):
                yield module.removesuffix(".__init__"), node.name


def test_only_the_refusal_base_class_defines_a_user_message():
    assert list(_classes_speaking_of_user_message()) == [("shop.errors", "RefusedWithMessage")]


def test_the_errors_people_read_are_refusals():
    assert issubclass(GatewayError, RefusedWithMessage)
    assert issubclass(ConfirmLinkInvalid, RefusedWithMessage)
