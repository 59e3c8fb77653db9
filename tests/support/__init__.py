"""What the tests share that is not a fixture: starting local processes, the S3 and Stripe
stand-ins, the browser's settings, the fake payment gateway. Fixtures live in conftest.py
files and are built from these."""

from pathlib import Path

# The project's root folder: where manage.py is, and where test processes run.
ROOT = Path(__file__).resolve().parents[2]
