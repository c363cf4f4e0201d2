"""Fixtures of the report tests: the real GSO tables and budget file, a report folder per test."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tinhso.ioc.services.gso_import import import_gso
from tinhso.reports.models import ReportRegime

GSO_ZIP = "stats/choisy_gso_raw_gso_21092018.zip"
BUDGET_CSV = "stats/vinhphuc_budget_mof_2006_2015_mdtrinh.csv"


@pytest.fixture
def report_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Generated files go to a folder of this test, not to the developer's data folder."""
    settings.TINHSO_DATA_DIR = tmp_path  # type: ignore[attr-defined]
    return tmp_path / "reports"


@pytest.fixture
def real_data(db: None, shared_data: Path) -> None:
    """Import the GSO PX-Web tables and the Ministry of Finance budget file of Vĩnh Phúc."""
    report = import_gso(shared_data / GSO_ZIP)
    assert report.rejected == []
    call_command(
        "ioc", "import", str(shared_data / BUDGET_CSV), "--group", "ns-mof", stdout=io.StringIO()
    )


@pytest.fixture
def ktxh(db: None) -> ReportRegime:
    """The built-in regime, created by the post-migrate hook when the test database was made."""
    return ReportRegime.objects.get(code="ktxh")
