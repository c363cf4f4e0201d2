"""``POST /api/v1/soc/events``: JSON lines with the source's own key."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tinhso.soc.collect import api, keys
from tinhso.soc.collect.jsonlines import MAX_LINE_BYTES
from tinhso.soc.collect.sources import Registered
from tinhso.soc.models import LogQuarantine, LogSource, SecurityEvent

URL = "/api/v1/soc/events"
NDJSON = "application/x-ndjson"


def post(body: bytes, key: str, content_type: str = NDJSON) -> Any:
    return Client().post(
        URL,
        data=body,
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def lines(*objects: Any) -> bytes:
    return b"\n".join(json.dumps(obj, ensure_ascii=False).encode() for obj in objects) + b"\n"


def test_good_lines_stored(json_source: Registered) -> None:
    body = lines(
        {
            "@timestamp": "2025-07-01T08:00:00+07:00",
            "user": {"name": "lan"},
            "message": "đăng nhập",
        },
        {"time": 1751331600, "host": "app01-b", "msg": "x"},
        {"msg": "no time"},
    )
    response = post(body, json_source.raw_key)
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 3, "duplicates": 0, "rejected": 0, "errors": [], "more_errors": 0,
    }  # fmt: skip
    events = SecurityEvent.objects.filter(source=json_source.source)
    assert events.count() == 3
    assert events.get(user="lan").message == "đăng nhập"
    assert events.get(host="app01-b").message == "x"
    assert events.get(message="no time").host == "app01"


def test_repeated_request_counts_duplicates(json_source: Registered) -> None:
    body = lines(
        {"time": "2025-07-01T08:00:00Z", "msg": "a"}, {"time": "2025-07-01T08:00:01Z", "msg": "b"}
    )
    post(body, json_source.raw_key)
    response = post(body, json_source.raw_key)
    assert response.json()["accepted"] == 0
    assert response.json()["duplicates"] == 2
    assert SecurityEvent.objects.count() == 2


def test_bad_and_hostile_lines_quarantined(json_source: Registered) -> None:
    body = b"\n".join(
        [
            b'{"msg": "good"}',
            b"{not json",
            b"[1, 2, 3]",
            b'"just a string"',
            b'{"msg": "' + b"A" * (MAX_LINE_BYTES + 10) + b'"}',
            b"[" * 5000 + b"]" * 5000,
            b'{"msg": "bad \xff byte"}',
            b'{"time": "yesterday", "msg": "x"}',
            b"",
            b'{"msg": "also good", "nested": {"a": {"b": 1}}}',
        ]
    )
    response = post(body, json_source.raw_key)
    assert response.status_code == 200
    result = response.json()
    assert result["accepted"] == 2
    assert result["rejected"] == 7
    by_line = {error["line"]: error["code"] for error in result["errors"]}
    assert by_line == {
        2: "invalid_json",
        3: "not_an_object",
        4: "not_an_object",
        5: "line_too_long",
        6: "too_deep",
        7: "invalid_utf8",
        8: "invalid_time",
    }
    held = LogQuarantine.objects.filter(source=json_source.source)
    assert held.count() == 7
    assert held.get(position="line 7").raw == '{"msg": "bad \\xff byte"}'
    assert held.get(position="line 5").code == "line_too_long"
    assert SecurityEvent.objects.get(message="also good").fields["nested.a.b"] == 1


def test_wrong_key_unauthorized(json_source: Registered) -> None:
    response = post(lines({"msg": "x"}), "soc_00000000_wrong")
    assert response.status_code == 401
    assert "invalid" in response.json()["message"]
    assert not SecurityEvent.objects.exists()


def test_missing_bearer_unauthorized(json_source: Registered) -> None:
    response = Client().post(URL, data=lines({"msg": "x"}), content_type=NDJSON)
    assert response.status_code == 401


def test_rotated_key_unauthorized(json_source: Registered) -> None:
    new_key = keys.rotate_key(json_source.source)
    assert post(lines({"msg": "x"}), json_source.raw_key).status_code == 401
    assert post(lines({"msg": "x"}), new_key).status_code == 200


def test_disabled_source_forbidden(json_source: Registered) -> None:
    LogSource.objects.filter(pk=json_source.source.pk).update(enabled=False)
    response = post(lines({"msg": "x"}), json_source.raw_key)
    assert response.status_code == 403
    assert "disabled" in response.json()["message"]


def test_body_too_large(json_source: Registered, monkeypatch: Any) -> None:
    monkeypatch.setattr(api, "MAX_BODY_BYTES", 1000)
    response = post(lines(*[{"msg": "x" * 50, "n": n} for n in range(30)]), json_source.raw_key)
    assert response.status_code == 413
    assert "smaller batches" in response.json()["message"]
    assert not SecurityEvent.objects.exists()


def test_wrong_content_type(json_source: Registered) -> None:
    response = post(b"a=1", json_source.raw_key, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_only_hash_of_key_stored(json_source: Registered) -> None:
    source = LogSource.objects.get(pk=json_source.source.pk)
    assert json_source.raw_key not in (source.key_hash, source.key_prefix)
    assert len(source.key_hash) == 64
    assert json_source.raw_key.startswith(source.key_prefix)


def test_route_in_openapi_document(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/soc/events"]["post"]
    assert set(operation["responses"]) >= {"200", "401", "403", "413"}


def test_many_lines_stored_in_batches(json_source: Registered, monkeypatch: Any) -> None:
    monkeypatch.setattr(api, "STORE_BATCH", 7)
    response = post(lines(*[{"n": n} for n in range(50)]), json_source.raw_key)
    assert response.json()["accepted"] == 50
    assert SecurityEvent.objects.count() == 50


def test_too_many_lines(json_source: Registered, monkeypatch: Any) -> None:
    monkeypatch.setattr(api, "MAX_LINES", 10)
    response = post(lines(*[{"n": n} for n in range(11)]), json_source.raw_key)
    assert response.status_code == 413
    assert response.json()["code"] == "too_many_lines"


def test_retried_bad_lines_quarantined_once(json_source: Registered) -> None:
    body = b"\n".join([b'{"msg": "good"}', b"{not json", b"[1]", b'"text"', b'{"time": "soon"}'])

    responses = [post(body, json_source.raw_key).json() for _ in range(3)]

    assert [response["rejected"] for response in responses] == [4, 4, 4]
    assert [len(response["errors"]) for response in responses] == [4, 4, 4]
    assert LogQuarantine.objects.filter(source=json_source.source).count() == 4
    assert SecurityEvent.objects.count() == 1


def test_get_answers_405_with_json(json_source: Registered) -> None:
    response = Client().get(URL, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["code"] == "method_not_allowed"
    assert "POST" in response.json()["message"]
