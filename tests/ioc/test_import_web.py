"""Importing values through the web interface: upload, preview, confirm, progress and report."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tinhso.core.models import Department
from tinhso.ingest.models import ImportJob, JobStatus, QuarantineRecord
from tinhso.ioc.models import DataValue, Indicator, IndicatorGroup

pytestmark = pytest.mark.django_db

CSV = (
    b"indicator,unit,period,value\n"
    b"DS_TB,26,2015,1054.5\n"
    b"DS_TB,26,2016,1066.0\n"
    b"DS_TB,99999,2016,1.0\n"
)


@pytest.fixture
def officer(make_user: Any) -> Any:
    department = Department.objects.create(code="cuc-thong-ke", name="Cục Thống kê")
    Indicator.objects.create(code="DS_TB", name="Dân số trung bình", unit_of_measure="nghìn người")
    return make_user("canbo", role="department_officer", department=department)


def logged_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["tinhso_language"] = "en"
    return client


def upload(client: Client, content: bytes = CSV, name: str = "dan-so.csv") -> Any:
    return client.post(
        "/ioc/import/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
    )


def test_preview_stores_nothing(officer: Any) -> None:
    response = upload(logged_in(officer))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ioc/import/{job.pk}/preview/"
    assert job.report["rows_accepted"] == 2
    assert job.report["rows_rejected"] == 1
    assert DataValue.objects.count() == 0


def test_preview_page_lists_the_problem(officer: Any) -> None:
    client = logged_in(officer)
    upload(client)
    page = client.get(f"/ioc/import/{ImportJob.objects.get().pk}/preview/").content.decode()
    assert "99999" in page
    assert 'data-testid="confirm-import"' in page


def test_confirm_stores_good_rows_and_quarantines_bad(officer: Any) -> None:
    client = logged_in(officer)
    upload(client)
    job = ImportJob.objects.get()
    response = client.post(f"/ioc/import/{job.pk}/confirm/")
    job.refresh_from_db()
    assert response.status_code == 302
    assert job.status == JobStatus.DONE
    assert job.done == job.total == 3
    assert DataValue.objects.filter(indicator__code="DS_TB").count() == 2
    assert job.batch is not None
    assert QuarantineRecord.objects.filter(batch=job.batch, code="unknown_unit").count() == 1


def test_job_page_shows_the_report(officer: Any) -> None:
    client = logged_in(officer)
    upload(client)
    job = ImportJob.objects.get()
    client.post(f"/ioc/import/{job.pk}/confirm/")
    page = client.get(f"/ioc/import/{job.pk}/").content.decode()
    assert 'data-status="done"' in page
    assert 'data-testid="import-done"' in page


def test_progress_fragment_for_htmx(officer: Any) -> None:
    client = logged_in(officer)
    upload(client)
    job = ImportJob.objects.get()
    fragment = client.get(f"/ioc/import/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="import-progress"')
    assert 'hx-trigger="every 1s"' in fragment


def test_confirming_twice_imports_once(officer: Any) -> None:
    client = logged_in(officer)
    upload(client)
    job = ImportJob.objects.get()
    client.post(f"/ioc/import/{job.pk}/confirm/")
    client.post(f"/ioc/import/{job.pk}/confirm/")
    assert DataValue.objects.count() == 2


def test_unreadable_file_is_explained(officer: Any) -> None:
    response = upload(logged_in(officer), b"\x00\x01binary", "bad.csv")
    assert response.status_code == 200
    assert "binary data" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_wrong_extension(officer: Any) -> None:
    response = upload(logged_in(officer), b"x", "bang.ods")
    assert "is not a CSV or XLSX file" in response.content.decode()


def test_other_users_cannot_open_a_job(officer: Any, make_user: Any) -> None:
    upload(logged_in(officer))
    other = make_user("khac", role="department_officer", department=officer.department)
    job = ImportJob.objects.get()
    assert logged_in(other).get(f"/ioc/import/{job.pk}/preview/").status_code == 404


def test_police_cannot_import(make_user: Any) -> None:
    assert logged_in(make_user("ca", role="police_officer")).get("/ioc/import/").status_code == 403


def test_template_download(officer: Any) -> None:
    group = IndicatorGroup.objects.create(code="dan-so", name="Dân số")
    Indicator.objects.filter(code="DS_TB").update(group=group)
    response = logged_in(officer).get("/ioc/templates/dan-so.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_ioc_home_lists_groups_and_late_submissions(officer: Any) -> None:
    IndicatorGroup.objects.create(code="dan-so", name="Dân số")
    page = logged_in(officer).get("/ioc/").content.decode()
    assert "Dân số" in page
    assert 'data-testid="import-link"' in page
