"""Sigma detection engine for Windows event logs, without Django.

Load rules with :class:`RuleSet`, then :func:`hunt` over EVTX files or :func:`match_events`
over events already read with :func:`read_evtx`. Correlation rules loaded with the rules are
in ``RuleSet.correlations``: :func:`hunt` adds their hits to its timeline, and a live stream
feeds its hits to ``RuleSet.correlations.engine()``.
"""

from tinhso.soc.engine.compiler import CompiledRule, compile_rule
from tinhso.soc.engine.correlation import (
    CorrelationEngine,
    CorrelationHit,
    CorrelationRule,
    CorrelationSet,
    correlate,
    link_correlations,
    parse_correlation,
    timeline,
)
from tinhso.soc.engine.errors import EvtxError, RuleError, SigmaError
from tinhso.soc.engine.evtx_reader import Event, flatten_event, read_evtx
from tinhso.soc.engine.hunt import Hit, HuntSummary, RuleSet, hunt, match_events
from tinhso.soc.engine.rules import (
    RuleDocuments,
    SigmaRule,
    load_rule_documents,
    load_rule_file,
    parse_documents,
    parse_rules,
)
from tinhso.soc.engine.timestamps import parse_time

__all__ = [
    "CompiledRule",
    "CorrelationEngine",
    "CorrelationHit",
    "CorrelationRule",
    "CorrelationSet",
    "Event",
    "EvtxError",
    "Hit",
    "HuntSummary",
    "RuleDocuments",
    "RuleError",
    "RuleSet",
    "SigmaError",
    "SigmaRule",
    "compile_rule",
    "correlate",
    "flatten_event",
    "hunt",
    "link_correlations",
    "load_rule_documents",
    "load_rule_file",
    "match_events",
    "parse_correlation",
    "parse_documents",
    "parse_rules",
    "parse_time",
    "read_evtx",
    "timeline",
]
