"""Checking a feature's attributes against its layer's schema.

A schema field is ``{"name", "type", "label", "label_en", "required", "choices", "personal"}``
with type one of ``string``, ``integer``, ``number``, ``date``, ``boolean``. Values from files
arrive as text more often than not, so they are converted where the conversion is exact
("12" to 12, "1.234,5" to 1234.5, "05/12/2026" to "2026-12-05"). Anything else is rejected
with the field named.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.utils.translation import gettext as _

from tinhso.geo.models import Layer
from tinhso.geo.services.features import FeatureError

logger = logging.getLogger(__name__)

FIELD_TYPES = ("string", "integer", "number", "date", "boolean")
_VIETNAMESE_NUMBER = re.compile(r"^-?\d{1,3}(\.\d{3})+(,\d+)?$|^-?\d+,\d+$")
_TRUE = {"true", "1", "yes", "có", "co", "x"}
_FALSE = {"false", "0", "no", "không", "khong", ""}


def clean_properties(layer: Layer, properties: dict[str, Any]) -> dict[str, Any]:
    """Convert the attributes to the schema's types; raise :class:`FeatureError` on the first fault."""
    if not isinstance(properties, dict):
        raise FeatureError(_("Attributes must be a JSON object of name: value."))
    known = {field["name"]: field for field in layer.schema if field.get("name")}
    cleaned: dict[str, Any] = {}
    for name, value in properties.items():
        field = known.get(name)
        if field is None:
            if layer.attributes_strict:
                raise FeatureError(
                    _(
                        "Layer %(layer)s does not accept the attribute %(field)s; "
                        "its attributes are: %(allowed)s."
                    )
                    % {"layer": layer.slug, "field": name, "allowed": ", ".join(known) or "-"}
                )
            cleaned[str(name)] = value
            continue
        cleaned[name] = convert_value(field, value)
    for name, field in known.items():
        if field.get("required") and cleaned.get(name) in (None, ""):
            raise FeatureError(
                _("The attribute %(field)s (%(label)s) is required.")
                % {"field": name, "label": field.get("label", name)}
            )
    return cleaned


def convert_value(field: dict[str, Any], value: Any) -> Any:
    """``value`` as the field's type, or :class:`FeatureError` naming the field and the fix."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    kind = field.get("type", "string")
    try:
        converted = _CONVERTERS[kind](value)
    except (TypeError, ValueError) as error:
        raise FeatureError(
            _("The attribute %(field)s must be %(type)s; %(value)s is not.")
            % {"field": field["name"], "type": _type_label(kind), "value": repr(value)[:80]}
        ) from error
    choices = field.get("choices")
    if choices and converted not in choices:
        raise FeatureError(
            _("The attribute %(field)s must be one of: %(choices)s; %(value)s is not.")
            % {
                "field": field["name"],
                "choices": ", ".join(map(str, choices)),
                "value": repr(converted)[:80],
            }
        )
    return converted


def _to_string(value: Any) -> str:
    return str(value).strip()


def _to_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("fraction")
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    return int(text)


def _to_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if _VIETNAMESE_NUMBER.match(text):
        text = text.replace(".", "").replace(",", ".")
    return float(text)


def _to_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text[:19], pattern).date().isoformat()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    raise ValueError(text)


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(text)


_CONVERTERS = {
    "string": _to_string,
    "integer": _to_integer,
    "number": _to_number,
    "date": _to_date,
    "boolean": _to_boolean,
}


def _type_label(kind: str) -> str:
    labels = {
        "string": _("text"),
        "integer": _("a whole number"),
        "number": _("a number"),
        "date": _("a date (dd/mm/yyyy or yyyy-mm-dd)"),
        "boolean": _("yes or no"),
    }
    return labels.get(kind, kind)


def schema_problems(schema: Any) -> list[str]:
    """List what is wrong with a layer's attribute schema, one message per fault (empty when valid)."""
    if not isinstance(schema, list):
        return [
            _('The schema must be a JSON list of attributes: [{"name": "ten", "type": "string"}].')
        ]
    problems: list[str] = []
    seen: set[str] = set()
    for index, field in enumerate(schema, start=1):
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            problems.append(_("Attribute %(index)s needs a name.") % {"index": index})
            continue
        name = field["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            problems.append(
                _(
                    "The attribute name %(name)s must start with a lower-case letter and hold only "
                    "a-z, 0-9 and _ (at most 63 characters)."
                )
                % {"name": repr(name)[:70]}
            )
        if name in seen:
            problems.append(_("The attribute %(name)s is listed twice.") % {"name": name})
        seen.add(name)
        if field.get("type", "string") not in FIELD_TYPES:
            problems.append(
                _("The attribute %(name)s has the unknown type %(type)s; use one of: %(types)s.")
                % {
                    "name": name,
                    "type": repr(field.get("type"))[:40],
                    "types": ", ".join(FIELD_TYPES),
                }
            )
        choices = field.get("choices")
        if choices is not None and not isinstance(choices, list):
            problems.append(_("The choices of %(name)s must be a list.") % {"name": name})
    return problems
