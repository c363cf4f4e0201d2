"""Intelligence and anomaly findings through the collectors' detection entry point."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.soc.analytics.events import make_source, sample_events, store
from tinhso.soc import detection
from tinhso.soc.intel.service import import_feed
from tinhso.soc.models import Alert, AlertKind

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

SPRAY = "Credential Access/kerberos_pwd_spray_4771.evtx"


@pytest.fixture(autouse=True)
def no_sigma_rules(tmp_path: Path, settings: Any) -> Iterator[None]:
    """Run detection without Sigma rules, so only the detectors of this part speak."""
    settings.TINHSO_SOC_RULES = [tmp_path]
    detection.forget_ruleset()
    yield
    detection.forget_ruleset()


def test_detection_raises_intel_and_burst_alerts() -> None:
    source = make_source()
    spray = sample_events(SPRAY)
    single_failure = [event for event in spray if event.fields["EventID"] == 4771][:1]
    for hour in range(1, 25):
        store(source, single_failure, shift=-timedelta(hours=hour))
    import_feed(b"172.16.66.1 # spray source\n", "cert")

    batch = store(source, spray)
    detection.detect_events(batch)

    intel = Alert.objects.filter(kind=AlertKind.INTEL)
    assert intel.count() == 11
    first = intel.first()
    assert first is not None
    assert first.explanation["feed"] == "cert"
    bursts = Alert.objects.filter(kind=AlertKind.ANOMALY, rule_id="anomaly.failed-logon-burst")
    assert bursts.count() == 1
    burst = bursts.get()
    assert burst.severity == "high"
    assert burst.explanation["observed"] == 9
    assert burst.events.count() == 9

    # Detection over the same events again adds no alert.
    detection.detect_events(batch)
    assert Alert.objects.filter(kind=AlertKind.INTEL).count() == 11
    assert Alert.objects.filter(kind=AlertKind.ANOMALY).count() == 1
