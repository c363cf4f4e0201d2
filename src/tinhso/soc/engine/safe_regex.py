"""Regular expressions from rules, guarded against catastrophic backtracking.

Two guards apply. Compilation rejects a pattern in which an unbounded quantifier
(``*``, ``+``, ``{n,}``) repeats a group that itself contains an unbounded quantifier, such as
``(a+)+`` or ``(\\w*\\s?)*``: that shape is the usual cause of exponential backtracking.
One such shape is first rewritten because it has a safe equivalent: ``(?:.*L){1,}`` or
``(?:.*L)+`` with a literal ``L`` matches exactly the strings that ``.*L`` matches.
Matching uses the PyPI ``regex`` package, whose ``timeout`` stops a search that still runs
too long. The ``re`` module has no timeout, so it could not bound a search that passes the check.
A pattern whose searches time out :data:`MAX_TIMEOUTS` times is no longer run, so that one slow
pattern cannot stall a hunt over many events for hours.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import regex

logger = logging.getLogger(__name__)

# Seconds one search may run before it is stopped and counted as no match.
SEARCH_TIMEOUT_SECONDS = 0.5
# Timed-out searches after which a pattern matches nothing for the rest of the process.
MAX_TIMEOUTS = 3


# "(?:.*L)" repeated one or more times, where L is literal text: plain characters other than
# regex syntax and line breaks, or escaped punctuation.
_REPEATED_ANY_THEN_LITERAL = re.compile(
    r"\(\?:\.\*((?:\\[^A-Za-z0-9\s]|[^\\()\[\]{}*+?.|^$\s])+)\)(?:\{1,\}|\+)(?![?+])"
)


def rewrite_repeated_any(pattern: str) -> str:
    """Replace ``(?:.*L){1,}`` and ``(?:.*L)+`` by the equivalent ``(?:.*L)``."""
    return _REPEATED_ANY_THEN_LITERAL.sub(r"(?:.*\1)", pattern)


class UnsafeRegexError(ValueError):
    """A pattern with nested unbounded quantifiers."""


def _quantifier_at(pattern: str, index: int) -> tuple[bool, int]:
    """Return (unbounded, length) for the quantifier starting at index, or (False, 0)."""
    if index >= len(pattern):
        return False, 0
    char = pattern[index]
    if char in "*+":
        length = 1
    elif char == "{":
        end = pattern.find("}", index)
        if end < 0:
            return False, 0
        body = pattern[index + 1 : end]
        parts = body.split(",")
        if not all(part.strip().isdigit() or part.strip() == "" for part in parts):
            return False, 0
        unbounded = len(parts) == 2 and parts[1].strip() == ""
        length = end - index + 1
        if index + length < len(pattern) and pattern[index + length] in "?+":
            length += 1
        return unbounded, length
    else:
        return False, 0
    if index + length < len(pattern) and pattern[index + length] in "?+":
        length += 1
    return True, length


def check_nested_quantifiers(pattern: str) -> None:
    """Raise UnsafeRegexError if an unbounded quantifier repeats a group with one inside."""
    # Each open group records whether it contains an unbounded quantifier.
    stack: list[bool] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            unbounded, length = _quantifier_at(pattern, index)
            if unbounded and stack:
                stack[-1] = True
            index += length
            continue
        if in_class:
            if char == "]":
                in_class = False
                unbounded, length = _quantifier_at(pattern, index + 1)
                if unbounded and stack:
                    stack[-1] = True
                index += 1 + length
                continue
            index += 1
            continue
        if char == "[":
            in_class = True
            # A ']' right after '[' or '[^' is a literal member of the class.
            index += 1
            if index < len(pattern) and pattern[index] == "^":
                index += 1
            if index < len(pattern) and pattern[index] == "]":
                index += 1
            continue
        if char == "(":
            stack.append(False)
            index += 1
            continue
        if char == ")":
            inner = stack.pop() if stack else False
            unbounded, length = _quantifier_at(pattern, index + 1)
            if unbounded and inner:
                raise UnsafeRegexError(
                    f"nested unbounded quantifiers at position {index}: a repeated group "
                    "that itself contains '*', '+' or '{n,}' can backtrack exponentially"
                )
            if stack and (inner or unbounded):
                stack[-1] = True
            index += 1 + length
            continue
        unbounded, length = _quantifier_at(pattern, index + 1)
        if unbounded and stack:
            stack[-1] = True
        index += 1 + length


@dataclass
class GuardedRegex:
    """A compiled pattern whose searches stop after SEARCH_TIMEOUT_SECONDS.

    After MAX_TIMEOUTS timed-out searches the pattern is disabled and matches nothing.
    """

    source: str
    compiled: regex.Pattern[str]
    timeouts: int = field(default=0, compare=False)

    @property
    def disabled(self) -> bool:
        return self.timeouts >= MAX_TIMEOUTS

    def search(self, value: str) -> bool:
        if self.disabled:
            return False
        try:
            return self.compiled.search(value, timeout=SEARCH_TIMEOUT_SECONDS) is not None
        except TimeoutError:
            self.timeouts += 1
            logger.warning(
                "Regular expression %r timed out on a value of %d characters; counted as no match",
                self.source,
                len(value),
            )
            if self.disabled:
                logger.error(
                    "Regular expression %r timed out %d times and is disabled: it matches "
                    "nothing until the rules are loaded again; rewrite it without nested "
                    "repetition such as (a|aa)+",
                    self.source,
                    self.timeouts,
                )
            return False


def compile_guarded(pattern: str, flags: int = 0) -> GuardedRegex:
    """Compile a rule's pattern; raise UnsafeRegexError or regex.error for a rejected one."""
    rewritten = rewrite_repeated_any(pattern)
    check_nested_quantifiers(rewritten)
    return GuardedRegex(pattern, regex.compile(rewritten, flags | regex.VERSION0))
