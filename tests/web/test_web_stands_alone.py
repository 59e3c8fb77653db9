"""What every request shares knows nothing of the apps that serve the requests."""

import ast

from tests.conftest import ROOT

APPS = ("home", "shop", "media_config")


def imported_modules(path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def test_web_imports_none_of_the_apps():
    offending = sorted(
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / "web").rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in APPS
    )
    assert offending == []
