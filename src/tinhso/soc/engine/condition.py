"""Parse Sigma conditions into a tree of And, Or, Not and Identifier nodes.

Grammar, from lowest to highest precedence: ``or``, ``and``, ``not``, then parentheses,
identifiers and the quantifiers ``1 of X*``, ``any of X*``, ``all of X*``, ``1 of them`` and
``all of them``. Quantifiers are resolved against the rule's search identifiers here, so the
tree only names identifiers that exist. ``them`` leaves out identifiers starting with ``_``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tinhso.soc.engine.errors import RuleError


@dataclass(frozen=True)
class Identifier:
    name: str


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Identifier | And | Or | Not

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_KEYWORDS = {"and", "or", "not", "of", "them", "all", "any", "1"}


def tokenize(condition: str) -> list[str]:
    tokens = []
    position = 0
    condition = condition.strip()
    while position < len(condition):
        match = _TOKEN.match(condition, position)
        if match is None:
            break
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], identifiers: Sequence[str]) -> None:
        self.tokens = tokens
        self.position = 0
        self.identifiers = list(identifiers)

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        word = self.peek()
        if word is None:
            raise RuleError("invalid-condition", "the condition ends too early")
        self.position += 1
        return word

    def parse(self) -> Node:
        node = self.parse_or()
        word = self.peek()
        if word is not None:
            if word == "|":
                raise RuleError(
                    "unsupported-aggregation",
                    "aggregations after '|' (count, near) are not supported; "
                    "use a Sigma correlation rule",
                )
            raise RuleError("invalid-condition", f"unexpected '{word}' in the condition")
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (self.peek() or "").lower() == "or":
            self.take()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_not()]
        while (self.peek() or "").lower() == "and":
            self.take()
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_not(self) -> Node:
        if (self.peek() or "").lower() == "not":
            self.take()
            return Not(self.parse_not())
        return self.parse_atom()

    def parse_atom(self) -> Node:
        word = self.take()
        lowered = word.lower()
        if word == "(":
            node = self.parse_or()
            if self.peek() != ")":
                raise RuleError("invalid-condition", "a '(' in the condition is not closed")
            self.take()
            return node
        if lowered in ("1", "any", "all") and (self.peek() or "").lower() == "of":
            self.take()
            return self.quantifier(lowered, self.take())
        if lowered in _KEYWORDS or word == ")":
            raise RuleError("invalid-condition", f"unexpected '{word}' in the condition")
        if word not in self.identifiers:
            raise RuleError(
                "unknown-identifier", f"the condition names '{word}', which is not defined"
            )
        return Identifier(word)

    def quantifier(self, quantity: str, target: str) -> Node:
        if target.lower() == "them":
            names = [name for name in self.identifiers if not name.startswith("_")]
        else:
            names = [name for name in self.identifiers if fnmatch.fnmatchcase(name, target)]
        if not names:
            raise RuleError(
                "unknown-identifier", f"'{quantity} of {target}' matches no search identifier"
            )
        children = tuple(Identifier(name) for name in names)
        if len(children) == 1:
            return children[0]
        return And(children) if quantity == "all" else Or(children)


def parse_condition(condition: str, identifiers: Sequence[str]) -> Node:
    """Parse one condition string; raise RuleError naming the problem."""
    tokens = tokenize(condition)
    if not tokens:
        raise RuleError("invalid-condition", "the condition is empty")
    return _Parser(tokens, identifiers).parse()
