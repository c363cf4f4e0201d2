"""The log source pages: list, detail, registration, key rotation and EVTX upload."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape

from tests.accounts import current_vinh_yen
from tinhso.core.models import AuditAction, AuditEvent, Department, Role
from tinhso.soc.collect.normalise import Record
from tinhso.soc.collect.reasons import SUMMARIES
from tinhso.soc.collect.sources import Registered
from tinhso.soc.collect.store import Rejected, quarantine, store_records
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

SAMPLES = Path("soc") / "evtx-attack-samples"
SECURITY_4688 = SAMPLES / "Privilege Escalation" / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx"
PAGES = ["/soc/sources/", "/soc/sources/new/", "/soc/sources/upload/", "/soc/sources/quarantine/"]


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
            Record(time=now, message="c", original={"n": 3}),
        ],
    )
    SecurityEvent.objects.filter(message="c").update(received_at=now - timezone.timedelta(hours=25))
    quarantine([Rejected("udp", "malformed", "no priority", b"x", source=syslog_source)])
    page = analyst_client.get("/soc/sources/").content.decode()
    # Counted by receipt: the old event received now counts, the recent one received
    # 25 hours ago does not.
    assert "Received in the last 24 h" in page
    assert 'data-testid="events-24h">2<' in page
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
    assert 'data-testid="quarantined-files">1<' in job_page.content.decode()
    assert 'data-testid="quarantined-records">0<' in job_page.content.decode()
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


def _age(row_id: int, hours: float) -> None:
    LogQuarantine.objects.filter(pk=row_id).update(
        received_at=timezone.now() - timezone.timedelta(hours=hours)
    )


def test_quarantine_page_lists_rows_without_source(
    analyst_client: Client, syslog_source: LogSource
) -> None:
    quarantine(
        [
            Rejected("udp", "empty_message", "empty message", b"", "10.0.0.1:514", identity="1"),
            Rejected("tcp", "no_priority", "the message <b>does not</b> start", b"junk",
                     "10.0.0.2:4000", source=syslog_source),
        ]
    )  # fmt: skip
    _age(LogQuarantine.objects.get(code="empty_message").pk, 1)

    response = analyst_client.get("/soc/sources/quarantine/")
    page = response.content.decode()

    assert response.status_code == 200
    assert [item.row.code for item in response.context["rows"]] == ["no_priority", "empty_message"]
    assert "No source (unknown sender)" in page
    assert "The syslog message is empty." in page
    assert "Technical detail: empty message" in page
    assert "the message &lt;b&gt;does not&lt;/b&gt; start" in page
    assert "<b>does not</b>" not in page


def test_quarantine_page_filters(analyst_client: Client, syslog_source: LogSource) -> None:
    quarantine(
        [
            Rejected("udp", "empty_message", "empty", b"", identity="old"),
            Rejected("udp", "no_priority", "no priority", b"a", identity="new"),
            Rejected("tcp", "no_priority", "no priority", b"b", source=syslog_source),
        ]
    )
    _age(LogQuarantine.objects.get(code="empty_message").pk, 24 * 3)
    old_day = timezone.localdate() - timezone.timedelta(days=3)

    def codes(query: str) -> list[tuple[str, str]]:
        rows = analyst_client.get(f"/soc/sources/quarantine/?{query}").context["rows"]
        return [(item.row.transport, item.row.code) for item in rows]

    assert codes("transport=tcp") == [("tcp", "no_priority")]
    assert codes("code=empty_message") == [("udp", "empty_message")]
    assert codes("source=none") == [("udp", "no_priority"), ("udp", "empty_message")]
    assert codes(f"source={syslog_source.pk}") == [("tcp", "no_priority")]
    assert codes(f"date={old_day.isoformat()}") == [("udp", "empty_message")]
    assert codes("source=none&code=no_priority") == [("udp", "no_priority")]


def test_quarantine_page_invalid_filter_reported(analyst_client: Client, db: None) -> None:
    quarantine([Rejected("udp", "empty_message", "empty", b"")])

    response = analyst_client.get("/soc/sources/quarantine/?date=yesterday&code=nothing")

    assert 'data-testid="filter-errors"' in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_quarantine_page_paginates_with_filters(analyst_client: Client, db: None) -> None:
    quarantine(Rejected("udp", "no_priority", f"reason {n:02d}", f"x{n}") for n in range(30))
    quarantine([Rejected("tcp", "no_priority", "other transport", b"y")])

    first = analyst_client.get("/soc/sources/quarantine/?transport=udp").content.decode()
    second = analyst_client.get("/soc/sources/quarantine/?transport=udp&page=2")

    assert "transport=udp&amp;page=2" in first
    assert len(second.context["rows"]) == 5
    assert "other transport" not in second.content.decode()


def test_quarantine_page_empty_states(analyst_client: Client, db: None) -> None:
    empty = analyst_client.get("/soc/sources/quarantine/").content.decode()
    quarantine([Rejected("udp", "no_priority", "no priority", b"x")])
    unmatched = analyst_client.get("/soc/sources/quarantine/?transport=tls").content.decode()

    assert "Nothing is in quarantine" in empty
    assert "No quarantined record matches these filters." in unmatched


def test_quarantine_page_linked_from_source_list(analyst_client: Client, db: None) -> None:
    page = analyst_client.get("/soc/sources/").content.decode()
    assert 'href="/soc/sources/quarantine/"' in page


def test_quarantine_page_denied_for_commune_officer(commune_client: Client, db: None) -> None:
    assert commune_client.get("/soc/sources/quarantine/").status_code == 403


def test_quarantine_reason_translated_in_vietnamese(
    analyst_client: Client, syslog_source: LogSource
) -> None:
    quarantine(
        [Rejected("udp", "no_priority", "the message does not start", b"x", source=syslog_source)]
    )
    analyst_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    with translation.override("vi"):
        expected = escape(str(SUMMARIES["no_priority"]))

    page = analyst_client.get(f"/soc/sources/{syslog_source.pk}/").content.decode()

    assert expected in page
    assert "the message does not start" in page
