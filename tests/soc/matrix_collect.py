"""Permission-matrix entries of the log source pages and the JSON lines endpoint (see tests/matrix.py).

Security analysts and administrators use the log source pages; every other role is denied.
The JSON lines endpoint takes only POST with a source's key, so a GET is not allowed for anyone.
"""

from __future__ import annotations

from typing import Any

from tests.matrix import DENIED, LOGIN, NOT_ALLOWED, OK, OTP, Expect, expect, for_everyone
from tinhso.core.models import Department, Role
from tinhso.ingest.models import ImportJob, JobStatus
from tinhso.soc.collect.sources import register_source
from tinhso.soc.collect.views import EVTX_JOB_KIND


def analysts(result: str = OK) -> Expect:
    """Security analysts and administrators get ``result``; the other staff roles are denied."""
    expected = expect(anonymous=LOGIN, staff=DENIED, admin_without_otp=OTP, admin=result)
    expected.by_role[Role.SECURITY_ANALYST.value] = result
    return expected


EXPECTED: dict[str, Expect] = {
    "soc/sources/": analysts(),
    "soc/sources/new/": analysts(),
    # The whole log quarantine, including records of senders that no source names.
    "soc/sources/quarantine/": analysts(),
    "soc/sources/<int:soc_source_id>/": analysts(),
    # Replacing a key changes state, so a GET is not allowed.
    "soc/sources/<int:soc_source_id>/rotate-key/": analysts(NOT_ALLOWED),
    "soc/sources/upload/": analysts(),
    # The upload was made by the security analyst; administrators see every upload.
    "soc/sources/upload/<int:soc_upload_job_id>/": analysts(),
    "api/v1/soc/events": for_everyone(NOT_ALLOWED),
}


def make_world(users: dict[str, Any]) -> dict[str, str]:
    """Create a JSON lines source and a finished EVTX upload of the security analyst."""
    agency = Department.objects.create(code="so-tttt-matrix", name="Sở Thông tin và Truyền thông")
    source = register_source(agency, "app01.matrix", "json_http").source
    job = ImportJob.objects.create(
        kind=EVTX_JOB_KIND,
        file_name="dc01.evtx",
        stored_path="/nonexistent/soc-upload",
        params={"source_id": source.pk, "files": []},
        status=JobStatus.DONE,
        report={"files": 1, "events": 0, "stored": 0, "duplicates": 0, "failed": []},
        created_by=users[Role.SECURITY_ANALYST],
    )
    return {"soc_source_id": str(source.pk), "soc_upload_job_id": str(job.pk)}
