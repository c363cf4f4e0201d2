"""The log source pages: list, detail, registration, key rotation and EVTX upload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.accounts import current_vinh_yen
from tinhso.core.models import AuditAction, AuditEvent, Department, Role
from tinhso.soc.collect.normalise import Record
from tinhso.soc.collect.sources import Registered
from tinhso.soc.collect.store import Rejected, quarantine, store_records
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

SAMPLES = Path("soc") / "evtx-attack-samples"
SECURITY_4688 = SAMPLES / "Privilege Escalation" / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
PAGES = ["/soc/sources/", "/soc/sources/new/", "/soc/sources/upload/"]


@pytest.fixture
def analyst_client(make_user: Callable[..., Any]) -> Client:
    """A security analyst who reads the pages in English, the language the checks are written in."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(make_user("phantich", Role.SECURITY_ANALYST))
    return client


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Uploads are saved under a temporary folder instead of the data folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def commune_client(make_user: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen()))
    return client


def test_pages_render_for_analyst(analyst_client: Client, syslog_source: LogSource) -> None:
    for url in [*PAGES, f"/soc/sources/{syslog_source.pk}/"]:
        response = analyst_client.get(url)
        assert response.status_code == 200, url


def test_pages_denied_for_commune_officer(commune_client: Client, syslog_source: LogSource) -> None:
    for url in [*PAGES, f"/soc/sources/{syslog_source.pk}/"]:
        response = commune_client.get(url)
        assert response.status_code == 403, url


def test_list_empty_state(analyst_client: Client, db: None) -> None:
    response = analyst_client.get("/soc/sources/")
    assert 'data-testid="empty"' in response.content.decode()


def test_list_counts_per_source(analyst_client: Client, syslog_source: LogSource) -> None:
    now = timezone.now()
    store_records(
        syslog_source,
        [
            Record(time=now, message="a", original={"n": 1}),
            Record(time=now - timezone.timedelta(days=2), message="b", original={"n": 2}),
        ],
    )
    quarantine([Rejected("udp", "malformed", "no priority", b"x", source=syslog_source)])
    page = analyst_client.get("/soc/sources/").content.decode()
    assert 'data-testid="events-24h">1<' in page
    assert 'data-testid="quarantined">1<' in page
    assert "Sở Thông tin và Truyền thông" in page


def test_list_paginates(analyst_client: Client, agency: Department) -> None:
    LogSource.objects.bulk_create(
        LogSource(agency=agency, host=f"h{n:02d}", kind="syslog") for n in range(30)
    )
    first = analyst_client.get("/soc/sources/").content.decode()
    second = analyst_client.get("/soc/sources/?page=2").content.decode()
    assert "h00" in first
    assert "h29" not in first
    assert "h29" in second


def test_detail_shows_events_and_quarantine_reason(
    analyst_client: Client, syslog_source: LogSource
) -> None:
    store_records(
        syslog_source,
        [Record(time=timezone.now(), message="Accepted publickey", original={"n": 1})],
    )
    quarantine(
        [
            Rejected(
                "tcp",
                "malformed",
                "the message does not start with a priority",
                b"junk",
                source=syslog_source,
            )
        ]
    )
    page = analyst_client.get(f"/soc/sources/{syslog_source.pk}/").content.decode()
    assert "Accepted publickey" in page
    assert "the message does not start with a priority" in page


def test_detail_paginates_quarantine(analyst_client: Client, syslog_source: LogSource) -> None:
    quarantine(
        Rejected("udp", "malformed", f"reason {n:02d}", b"x", source=syslog_source)
        for n in range(30)
    )
    second = analyst_client.get(f"/soc/sources/{syslog_source.pk}/?qpage=2").content.decode()
    assert "reason 00" in second
    assert "reason 29" not in second


def test_register_shows_key_once_and_audits(analyst_client: Client, agency: Department) -> None:
    response = analyst_client.post(
        "/soc/sources/new/",
        {
            "agency": agency.code,
            "host": "portal01",
            "kind": "json_http",
            "name": "Cổng",
            "retention_days": 90,
        },
    )
    assert response.status_code == 200
    raw_key = response.context["raw_key"]
    assert raw_key.startswith("soc_")
    assert raw_key in response.content.decode()
    source = LogSource.objects.get(host="portal01")
    assert source.retention_days == 90
    assert raw_key not in analyst_client.get(f"/soc/sources/{source.pk}/").content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(source.pk)).exists()


def test_register_duplicate_rejected(analyst_client: Client, syslog_source: LogSource) -> None:
    response = analyst_client.post(
        "/soc/sources/new/",
        {"agency": "so-tttt", "host": "WEB01", "kind": "syslog", "retention_days": 180},
    )
    assert response.status_code == 200
    assert "already has a syslog source for host WEB01" in response.content.decode()
    assert LogSource.objects.count() == 1


def test_rotate_key_from_page_audited(analyst_client: Client, json_source: Registered) -> None:
    source = json_source.source
    response = analyst_client.post(f"/soc/sources/{source.pk}/rotate-key/")
    new_key = response.context["raw_key"]
    assert new_key != json_source.raw_key
    assert LogSource.objects.get(pk=source.pk).key_prefix == new_key[:12]
    audit_row = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(source.pk))
    assert audit_row.extra["action"] == "rotate_key"
    assert new_key not in str(audit_row.after)


def test_upload_ingests_and_reports(
    analyst_client: Client, evtx_source: LogSource, shared_data: Path, media_root: Path
) -> None:
    good = (shared_data / SECURITY_4688).read_bytes()
    files = [
        SimpleUploadedFile("security.evtx", good),
        SimpleUploadedFile("damaged.evtx", good[:5000]),
    ]
    response = analyst_client.post(
        "/soc/sources/upload/", {"source": evtx_source.pk, "evtx_files": files}
    )
    assert response.status_code == 302
    job_page = analyst_client.get(response["Location"])
    report = job_page.context["report"]
    stored = SecurityEvent.objects.filter(source=evtx_source).count()
    assert stored > 0
    assert report["stored"] == stored
    assert report["failed"][0]["path"] == "damaged.evtx"
    assert "damaged.evtx" in job_page.content.decode()
    assert LogQuarantine.objects.get(source=evtx_source).position == "damaged.evtx"
    assert AuditEvent.objects.filter(
        action=AuditAction.IMPORT, object_id=str(evtx_source.pk)
    ).exists()
    kept = [path.name for path in media_root.rglob("*.evtx")]
    assert kept == ["002-damaged.evtx"]

    again = analyst_client.post(
        "/soc/sources/upload/",
        {"source": evtx_source.pk, "evtx_files": [SimpleUploadedFile("security.evtx", good)]},
    )
    assert analyst_client.get(again["Location"]).context["report"]["duplicates"] == stored
    assert SecurityEvent.objects.filter(source=evtx_source).count() == stored


def test_upload_rejects_other_files(analyst_client: Client, evtx_source: LogSource) -> None:
    response = analyst_client.post(
        "/soc/sources/upload/",
        {"source": evtx_source.pk, "evtx_files": [SimpleUploadedFile("notes.txt", b"hello")]},
    )
    assert response.status_code == 200
    assert "notes.txt is not an .evtx file" in response.content.decode()


def test_upload_job_hidden_from_other_analyst(
    analyst_client: Client, evtx_source: LogSource, shared_data: Path, make_user: Callable[..., Any]
) -> None:
    good = (shared_data / SECURITY_4688).read_bytes()
    response = analyst_client.post(
        "/soc/sources/upload/",
        {"source": evtx_source.pk, "evtx_files": [SimpleUploadedFile("a.evtx", good)]},
    )
    other = Client()
    other.force_login(make_user("phantich2", Role.SECURITY_ANALYST))
    assert other.get(response["Location"]).status_code == 404
