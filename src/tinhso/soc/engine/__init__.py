"""Sigma detection engine for Windows event logs, without Django.

Load rules with :class:`RuleSet`, then :func:`hunt` over EVTX files or :func:`match_events`
over events already read with :func:`read_evtx`.
"""

from tinhso.soc.engine.compiler import CompiledRule, compile_rule
from tinhso.soc.engine.errors import EvtxError, RuleError, SigmaError
from tinhso.soc.engine.evtx_reader import Event, flatten_event, read_evtx
from tinhso.soc.engine.hunt import Hit, HuntSummary, RuleSet, hunt, match_events
from tinhso.soc.engine.rules import SigmaRule, load_rule_file, parse_rules

__all__ = [
    "CompiledRule",
    "Event",
    "EvtxError",
    "Hit",
    "HuntSummary",
    "RuleError",
    "RuleSet",
    "SigmaError",
    "SigmaRule",
    "compile_rule",
    "flatten_event",
    "hunt",
    "load_rule_file",
    "match_events",
    "parse_rules",
    "read_evtx",
]
