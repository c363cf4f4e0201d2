"""Permission-matrix entries of the map import pages (see tests/matrix.py)."""

from __future__ import annotations

from typing import Any

from tests.matrix import LOGIN, NOT_FOUND, OK, OTP, Expect, expect
from tinhso.core.models import Role
from tinhso.geo.imports.service import KIND
from tinhso.ingest.models import ImportJob


def _own_job() -> Expect:
    """A job belongs to the police officer who uploaded it; administrators see every job."""
    result = expect(anonymous=LOGIN, staff=NOT_FOUND, admin_without_otp=OTP, admin=OK)
    result.by_role[Role.POLICE_OFFICER.value] = OK
    return result


EXPECTED: dict[str, Expect] = {
    # Every staff member gets the page; its layer list holds only the layers they may edit.
    "map/import/": expect(anonymous=LOGIN, staff=OK, admin_without_otp=OTP, admin=OK),
    "map/import/<int:layer_job_id>/confirm/": _own_job(),
    "map/import/<int:layer_job_id>/": _own_job(),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create a queued import job of the police officer into the police stations layer."""
    job = ImportJob.objects.create(
        kind=KIND,
        file_name="don-cong-an.csv",
        stored_path="/nonexistent/don-cong-an.csv",
        params={
            "layer": "tru-so-cong-an",
            "crs": "",
            "layer_name": "",
            "field_map": {},
            "id_field": "",
            "inspection": {"format": "CSV", "features": 1, "layers": [], "needs_crs": False},
        },
        created_by=users[Role.POLICE_OFFICER],
    )
    return {"layer_job_id": str(job.pk)}
