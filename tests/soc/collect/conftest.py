"""Fixtures of the log collection tests: an agency and one source of each kind."""

from __future__ import annotations

import pytest

from tinhso.core.models import Department
from tinhso.soc.collect.sources import Registered, register_source
from tinhso.soc.models import LogSource, SourceKind


@pytest.fixture
def agency(db: None) -> Department:
    return Department.objects.create(code="so-tttt", name="Sở Thông tin và Truyền thông")


@pytest.fixture
def syslog_source(agency: Department) -> LogSource:
    return register_source(agency, "web01", SourceKind.SYSLOG).source


@pytest.fixture
def json_source(agency: Department) -> Registered:
    return register_source(agency, "app01", SourceKind.JSON_HTTP, name="Cổng dịch vụ công")


@pytest.fixture
def evtx_source(agency: Department) -> LogSource:
    return register_source(agency, "dc01", SourceKind.EVTX, retention_days=36500).source
