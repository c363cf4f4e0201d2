"""The feed pages for a security analyst, and denied to a commune officer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.accounts import current_vinh_yen
from tinhso.core.models import Role
from tinhso.soc.intel.service import import_feed
from tinhso.soc.models import IntelFeed

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst_client(client: Client, make_user: Callable[..., Any]) -> Client:
    client.force_login(make_user("phantich", Role.SECURITY_ANALYST))
    return client


def test_upload_list_shows_rejected_lines(analyst_client: Client) -> None:
    upload = SimpleUploadedFile("cert.txt", b"198.51.100.7\nthis is nothing\nevil.example\n")
    response = analyst_client.post(
        reverse("soc:intel_feed_import"), {"name": "cert", "format": "auto", "file": upload}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-result"' in page
    assert "line 2" in page
    assert "this is nothing" in page
    assert IntelFeed.objects.get(name="cert").indicator_count == 2


def test_upload_stix_reports_unsupported_pattern(analyst_client: Client) -> None:
    bundle = {
        "type": "bundle",
        "objects": [
            {"type": "indicator", "id": "indicator--good", "pattern_type": "stix",
             "pattern": "[domain-name:value = 'evil.example']"},
            {"type": "indicator", "id": "indicator--and", "pattern_type": "stix",
             "pattern": "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']"},
        ],
    }  # fmt: skip
    upload = SimpleUploadedFile("bundle.json", json.dumps(bundle).encode())
    response = analyst_client.post(
        reverse("soc:intel_feed_import"), {"name": "stix", "format": "stix", "file": upload}
    )

    page = response.content.decode()
    assert "indicator--and" in page
    assert "AND is not supported" in page
    assert IntelFeed.objects.get(name="stix").indicator_count == 1


def test_upload_invalid_json_shows_error(analyst_client: Client) -> None:
    upload = SimpleUploadedFile("bundle.json", b"{not json")
    response = analyst_client.post(
        reverse("soc:intel_feed_import"), {"name": "stix", "format": "auto", "file": upload}
    )

    assert response.status_code == 200
    assert 'data-testid="errors-file"' in response.content.decode()
    assert "not valid JSON" in response.content.decode()
    assert not IntelFeed.objects.exists()


def test_feed_list_and_detail_search(analyst_client: Client) -> None:
    lines = "\n".join(f"198.51.100.{number}  # host {number}" for number in range(1, 121))
    result = import_feed((lines + "\nevil.example # phishing\n").encode(), "cert")

    listing = analyst_client.get(reverse("soc:intel_feed_list")).content.decode()
    assert "cert" in listing
    assert ">121<" in listing
    url = reverse("soc:intel_feed_detail", args=[result.feed.pk])
    first_page = analyst_client.get(url).content.decode()
    assert first_page.count("<code>") == 50
    searched = analyst_client.get(url, {"q": "phishing"}).content.decode()
    assert "evil.example" in searched
    assert "198.51.100.1<" not in searched
    by_kind = analyst_client.get(url, {"kind": "domain"}).content.decode()
    assert by_kind.count("<code>") == 1


def test_pages_denied_to_commune_officer(client: Client, make_user: Callable[..., Any]) -> None:
    feed = IntelFeed.objects.create(name="cert", format="list")
    client.force_login(make_user("canbo-xa", Role.COMMUNE_OFFICER, unit=current_vinh_yen()))

    for url in (
        reverse("soc:intel_feed_list"),
        reverse("soc:intel_feed_import"),
        reverse("soc:intel_feed_detail", args=[feed.pk]),
    ):
        assert client.get(url).status_code == 403
    upload = SimpleUploadedFile("cert.txt", b"198.51.100.7\n")
    response = client.post(reverse("soc:intel_feed_import"), {"name": "x", "file": upload})
    assert response.status_code == 403
    assert not IntelFeed.objects.filter(name="x").exists()
