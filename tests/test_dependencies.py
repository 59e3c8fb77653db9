"""Which package may import which: the contracts in pyproject.toml (`[tool.importlinter]`).

One test per contract, failing with the contract's name and the imports that break it.
`make lint` checks the same contracts with `lint-imports`."""

from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import output, use_cases
from importlinter.application.user_options import UserOptions

configuration.configure()

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
CONTRACTS = {contract["id"]: contract for contract in OPTIONS.contracts_options}
MODULE_FIELDS = ("source_modules", "forbidden_modules", "protected_modules", "allowed_importers")

# Contracts the code does not keep yet, each with the imports that break it.
NOT_KEPT_YET = {
    "home-uses-shop-selectors": (
        "home.demo builds the demo shop from shop.billing.models, shop.downloads.models and "
        "shop.downloads.services"
    ),
    "downloads-without-billing": (
        "shop.downloads.access and shop.downloads.selectors read plan states from "
        "shop.billing.access and shop.billing.models"
    ),
    "config-imported-by-nobody": (
        "home and shop import request helpers and API plumbing from config "
        "(config.api, content_security, lockout, page_cache, page_cache_purges, proxies)"
    ),
}


def _absent_packages(contract: dict) -> list[str]:
    """Root packages a contract names that this tree does not have."""
    roots = OPTIONS.session_options["root_packages"]
    named = {module.split(".")[0] for field in MODULE_FIELDS for module in contract.get(field, [])}
    return sorted(name for name in named if name in roots and not _exists(name))


def _exists(package: str) -> bool:
    return (ROOT / package / "__init__.py").is_file()


@pytest.fixture(scope="module")
def report():
    """Every contract checked against one import graph of the packages present."""
    session = dict(OPTIONS.session_options)
    session["root_packages"] = [name for name in session["root_packages"] if _exists(name)]
    options = UserOptions(session_options=session, contracts_options=OPTIONS.contracts_options)
    checkable = tuple(c["id"] for c in OPTIONS.contracts_options if not _absent_packages(c))
    use_cases._register_contract_types(options)
    result = use_cases.create_report(options, checkable, cache_dir=None)
    assert not result.invalid_contract_options, result.invalid_contract_options
    return {
        contract.name: (contract, check) for contract, check in result.get_contracts_and_checks()
    }


def _param(contract_id: str):
    reason = NOT_KEPT_YET.get(contract_id)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(contract_id, id=contract_id, marks=marks)


@pytest.mark.parametrize("contract_id", [_param(contract_id) for contract_id in CONTRACTS])
def test_contract_is_kept(report, contract_id):
    options = CONTRACTS[contract_id]
    absent = _absent_packages(options)
    if absent:
        pytest.skip(f"no package {', '.join(absent)} in this tree")
    contract, check = report[options["name"]]
    if not check.kept:
        with output.console.capture() as broken:
            contract.render_broken_contract(check)
        pytest.fail(f"Broken contract “{contract.name}”:\n{broken.get()}", pytrace=False)


def test_every_contract_known_broken_exists():
    assert set(NOT_KEPT_YET) <= set(CONTRACTS)
