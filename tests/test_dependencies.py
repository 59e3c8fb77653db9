"""Which package may import which: the contracts in pyproject.toml (`[tool.importlinter]`).

One test per contract, failing with the contract's name and the imports that break it.
`make lint` checks the same contracts with `lint-imports`."""

from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import output, use_cases

configuration.configure()

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
CONTRACTS = {contract["id"]: contract for contract in OPTIONS.contracts_options}


@pytest.fixture(scope="module")
def report():
    """Every contract checked against one import graph of the packages present."""
    use_cases._register_contract_types(OPTIONS)
    result = use_cases.create_report(OPTIONS, tuple(CONTRACTS), cache_dir=None)
    assert not result.invalid_contract_options, result.invalid_contract_options
    return {
        contract.name: (contract, check) for contract, check in result.get_contracts_and_checks()
    }


@pytest.mark.parametrize("contract_id", list(CONTRACTS))
def test_contract_is_kept(report, contract_id):
    options = CONTRACTS[contract_id]
    contract, check = report[options["name"]]
    if not check.kept:
        with output.console.capture() as broken:
            contract.render_broken_contract(check)
        pytest.fail(f"Broken contract “{contract.name}”:\n{broken.get()}", pytrace=False)
