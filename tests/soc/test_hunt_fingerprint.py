"""The hits of the hunt over all attack samples stay what they were before the speed work.

The fingerprint was recorded with the per-(Channel, EventID) engine, before events became one
column batch shared by all targets: the number of matched events per rule (by the first
eight characters of its id) and a digest of the sorted (file, rule id, count) list.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

from tinhso.soc.engine import Hit, RuleSet, hunt

RULES = Path("soc") / "sigma" / "rules" / "windows"
SAMPLES = Path("soc") / "evtx-attack-samples"

# Samples of several kinds: Security with 4688 (process_creation rules with renamed fields),
# Sysmon, the Application and Bits-Client logs (rules with keywords), and the two samples
# that share a file name.
ALONE = [
    SAMPLES / "Privilege Escalation" / "NTLM2SelfRelay-med0x2e-security_4624_4688.evtx",
    SAMPLES / "Credential Access" / "CA_Mimikatz_Memssp_Default_Logs_Sysmon_11.evtx",
    SAMPLES / "Execution" / "Exec_sysmon_meterpreter_reversetcp_msipackage.evtx",
    SAMPLES
    / "Execution"
    / "Exec_via_cpl_Application_Experience_EventID_17_ControlPanelApplet.evtx",
    SAMPLES / "Persistence" / "persist_bitsadmin_Microsoft-Windows-Bits-Client-Operational.evtx",
    SAMPLES / "Privilege Escalation" / "UACME_59_Sysmon.evtx",
    SAMPLES / "UACME_59_Sysmon.evtx",
]

RULE_COUNTS = """
01aeb693:1 01d2e2a1:8 02d1d718:4 02ee49e2:2 058f4380:6 05a2ab7e:5 06b401f4:1 08249dc0:1
092bc4b9:1 0955e4e1:4 09706624:1 0a98a10c:1 0b0cd537:2 0badd08f:2 0cbe38c0:1 0dba975d:2
0ef56343:1 0f06a3a5:14 0f63e1ef:1 100ef69e:2 10c14723:9 1228c958:6 12ba6a38:11
1444443e:2 152f3630:3 15619216:1 16c37b52:1 16f5d8ca:1 1723e720:1 1775e15e:1 178e615d:5
17d619c1:4 192a0330:4 19b08b1c:1 1a5c46e9:1 1c67a717:1 1ca6bd18:2 1cf465a1:1 1d61f71d:1
1e53dd56:1 1e59c230:4 1fb76ab8:4 20d96d95:1 20f0ee37:8 213d6a77:3 214e8f95:1
218d2855:10 21d856f9:2 221b251a:4 24357373:2 24c8392b:2 24e3e58a:2 259e5a6a:1
25ffa65d:1 2617e7ed:25 2632954e:1 26481afe:1 28208707:1 2a072a96:2 2aa0a6b4:4
2c28c248:6 2c99737c:20 2d3cdeec:18 2ddef153:3 2e4e488a:1 322ed9ec:3 327ff235:3
32e19d25:2 35ba1d85:7 36480ae1:2 36803969:3 379fa130:2 396f6630:1 39ed3c80:2 3a6586ad:3
3a9b8c1e:25 3abd6094:1 3b6ab547:1 3c89a1e8:2 3d7679bd:2 3f3f3506:1 3f6b7b62:1
4096a49c:1 40f9af16:1 41504465:2 41ca393d:1 4281cb20:1 42a5f1e7:1 438025f9:3 45545954:1
460479f3:1 46dd5308:3 4782eb5a:7 48437c39:1 48a61b29:1 49f2f17b:4 4a0b2c7e:1 4a1b6da0:2
4a5f5a5e:1 4aa6040b:1 4ac47ed3:2 4b60e6f2:5 4b991083:9 4ebc877f:1 4f73421b:1 4f84b697:1
4fc0deee:3 502b42de:25 503d581c:1 509e84b9:1 517490a7:11 51e33403:2 526be59f:1
52753ea4:1 52cad028:1 52d8b0c6:6 536e2947:5 53ad8e36:1 5594e67a:2 56321594:1 576426ad:1
57b649ef:11 5a6b7c8d:3 5afee48e:1 5b80a791:3 5bb68627:1 5bed80b6:4 5cdb711b:1
5df86130:2 5ef9853e:16 60fc936d:1 612e47e9:1 614cf376:1 61a7697c:1 62510e69:2
6360757a:2 637f689e:6 646ea171:1 65236ec7:1 66b6be3d:2 674202d0:2 67f113fa:1 68578b43:1
68c8acb4:1 69bd9b97:5 69ca12af:1 6b98b92b:2 6f0947a4:3 724ea201:2 72cd00d6:2 734f8d9b:1
737e618a:2 749c9f5e:1 754ed792:1 76f55eaa:2 77564cc2:3 782d6f3e:1 79ce34ca:11
79df3f68:1 7a3b6d1f:2 7aaaf4b8:2 7b449a5e:2 7be5fb68:1 7c0dcd3d:1 7c9340a9:4 7cccd811:2
7dc2dedd:1 7f103213:1 7f741dcf:1 80fc36aa:1 81325ce1:2 81bcb81b:2 8202070f:2 828af599:1
843544a7:1 84c174ab:1 8518ed3d:3 857c8db3:2 85b0b087:2 85ff530b:1 867356ee:5 869b9ca7:1
87911521:1 88f680b8:2 89a9a0e0:1 8a3038e8:1 8a582fe2:4 8ac03a65:2 8bc64091:1 8c3c76ca:1
8d63dadf:3 8d85cf08:1 8de1cbe8:3 8eef149c:4 90dcf730:2 92626ddd:6 92fa78e7:1 9386d78a:1
93a19907:1 93d94efc:3 941e5c45:2 949f1ffb:4 94dc4390:1 96036718:9 962fe167:1 9637e8a5:5
966315ef:2 968eef52:7 970007b7:18 97a80ec7:1 98767d61:3 99b7460d:1 9aa5106d:3
9ace0707:1 9b0f8a61:1 9bd012ee:7 9bd04a79:1 9c226817:1 9e099d99:1 9e50a8b3:1 9e9a9002:1
9f5c1d59:3 9fc51a3c:3 a18dd26b:1 a1a144b7:93 a24e5861:5 a2863fbc:1 a29c1813:2
a54f842a:3 a5a2d357:4 a743ceba:1 a7c3d773:1 aa3a6f94:1 ab37a6ec:6 ab9e3b40:6 af4c87ce:1
b17ea6f7:3 b1ec66c6:1 b210394c:3 b236190c:6 b29a93fb:1 b3503044:2 b447f7de:1
b5de0c9a:18 b655a06a:1 b697e69c:1 b6d235fc:1 b6f91281:1 b7e2a8d4:4 b8fd0e93:1
b98d0db6:2 b9cbbc17:1 b9d9cc83:1 baca5663:7 bb58aa4a:2 bd8b828d:3 bdd8157d:1 be344333:1
bed2a484:1 c248c896:3 c265cf08:2 c30fb093:2 c3a99af4:6 c462f537:3 c73124a7:2
c74c0390:16 c7da8edc:1 c7e91a02:4 c8da0dfd:2 c90362e0:1 c947b146:2 ca2092a1:1
ca8b77a9:1 cbec226f:9 cbf93e5d:11 cc7abbd0:1 cc9cbe82:2 cd5cfd80:1 cdc8da7d:1
cdf05894:1 cea72823:3 cfeed607:2 d042284c:1 d059842b:3 d08dd86f:4 d0d2f720:2
d21374ff:13 d38d2fa4:23 d3c3861d:1 d522eca2:11 d75d6b6b:3 d797268e:1 d7bcd677:2
d7c75059:2 d99b79d2:24 da2738f2:3 dd2a821e:1 dd6b39d9:4 de587dce:2 def8b624:4
df69cb1d:1 dfb5b4e8:30 e2e01011:7 e31033fc:2 e32d4572:5 e32f92d1:1 e52cb31c:2
e593cf51:14 e5ac86dd:22 e62a9f0c:1 e66779cc:2 e6e88853:4 e7be6119:2 e81528db:7
ec1d5e28:1 ed5d72a6:1 ed74fe75:4 edadb1e5:1 ee63c85c:6 efdd8dd5:2 f0540f7e:1 f117933c:1
f17211f1:1 f1f3bf22:1 f239b326:2 f2c64357:1 f4bbd493:15 f576a613:2 f57f8d16:6
f59c3faf:1 f5d19838:3 f62176f3:1 f674e36a:1 f8ad2e2c:1 fb843269:1 fc4f4817:1 fd877b94:7
fdfcbd78:4 fe21810c:1 fe3ac066:1 fecfd1a1:1 ffa6861c:3 fff9d2b7:1
"""
PAIRS_DIGEST = "92c7785b074855cfdae41bbdd2dc13b9794828d4bf6caca600fec834014f0316"


@pytest.fixture(scope="module")
def windows_rules(shared_data: Path) -> RuleSet:
    return RuleSet.from_paths([shared_data / RULES])


@pytest.fixture(scope="module")
def all_hits(shared_data: Path, windows_rules: RuleSet) -> list[Hit]:
    hits, summary = hunt(windows_rules, [shared_data / SAMPLES])
    assert summary.files == 277
    assert summary.events == 8255
    return [hit for hit in hits if isinstance(hit, Hit)]


def _pairs(hits: list[Hit], samples: Path) -> Counter[tuple[str, str]]:
    return Counter((Path(hit.file).relative_to(samples).as_posix(), hit.rule_id) for hit in hits)


def test_rule_counts_match_fingerprint(all_hits: list[Hit]) -> None:
    expected = dict(item.split(":") for item in RULE_COUNTS.split())
    counts = Counter(hit.rule_id[:8] for hit in all_hits)
    assert {rule: str(count) for rule, count in counts.items()} == expected


def test_file_rule_pairs_match_fingerprint(shared_data: Path, all_hits: list[Hit]) -> None:
    pairs = sorted(
        [file, rule, count]
        for (file, rule), count in _pairs(all_hits, shared_data / SAMPLES).items()
    )
    digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()
    assert digest == PAIRS_DIGEST


@pytest.mark.parametrize("sample", ALONE, ids=lambda path: path.stem)
def test_file_alone_has_its_hits_among_all(
    shared_data: Path, windows_rules: RuleSet, all_hits: list[Hit], sample: Path
) -> None:
    alone, _summary = hunt(windows_rules, [shared_data / sample])
    path = str(shared_data / sample)
    among_all = [(hit.time, hit.rule_id) for hit in all_hits if hit.file == path]
    assert sorted((hit.time, hit.rule_id) for hit in alone) == sorted(among_all)
