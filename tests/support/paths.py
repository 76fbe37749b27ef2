"""Where the shared reference data lives (beside the checkout, as CI lays it out)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
XSD_DIR = SHARED / "webex-xsd"
FIXTURES_DIR = SHARED / "webex-fixtures"
XSD_AVAILABLE = (XSD_DIR / "service" / "service.xsd").is_file()
SCHEMAS_MISSING = f"the official Webex schemas are not at {XSD_DIR} (shared/ is not beside the checkout)"


@pytest.fixture(scope="session")
def xsd_dir() -> Path:
    if not XSD_AVAILABLE:
        pytest.skip(SCHEMAS_MISSING)
    return XSD_DIR


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES_DIR.is_dir():
        pytest.skip(
            f"the captured Webex exchanges are not at {FIXTURES_DIR} (shared/ is not beside the checkout)"
        )
    return FIXTURES_DIR
