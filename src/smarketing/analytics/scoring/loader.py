"""Loading a scoring definition from YAML, with every error located by line and field.

:func:`load_definition` composes the YAML into nodes (which keep their line numbers), walks
them against the schema and returns a frozen :class:`~.definition.ScoringDefinition`, or raises
:class:`~.errors.DefinitionError` listing *every* problem as ``line N: field 'x': reason`` --
unknown fields, operators and event kinds, negative half-life or caps, wrong types -- so an
invalid definition is rejected before it can replace the active one.
"""

from __future__ import annotations

import difflib
import math
import re
from importlib import resources
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from smarketing.analytics.scoring.definition import (
    DEFAULT_FREE_EMAIL_DOMAINS,
    EVENT_KINDS,
    FIT_FIELDS,
    OPERATORS,
    EngagementRule,
    FitRule,
    MqlThreshold,
    ScoringDefinition,
)
from smarketing.analytics.scoring.errors import DefinitionError, LocatedError

__all__ = ["default_definition_text", "load_default_definition", "load_definition"]

_TOP = ("version", "name", "description", "mql", "decay", "free_email_domains", "fit", "engagement")
_MQL = ("fit", "engagement", "total", "hand_raiser_min_fit")
_DECAY = ("half_life_days",)
_FIT = ("name", "field", "op", "value", "points")
_ENGAGEMENT = (
    "name", "kind", "url", "url_regex", "campaign", "content", "channel", "points",
    "cap_per_day", "cap_total", "hand_raiser",
)  # fmt: skip
_NO_VALUE = object()


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Parser:
    """Walks the composed YAML node tree, converting values and collecting located errors."""

    def __init__(self) -> None:
        self.errors: list[LocatedError] = []
        self._constructor = SafeConstructor()

    def error(self, node: Node | None, path: str, reason: str) -> None:
        self.errors.append(LocatedError(_line(node) if node is not None else None, path, reason))

    def mapping(self, node: Node, path: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.error(node, path, f"must be a mapping of {', '.join(allowed)}")
            return None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            sub = f"{path}.{key}" if path else str(key)
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.error(key_node, sub, f"unknown field{extra}; allowed: {', '.join(allowed)}")
            elif key in out:
                self.error(key_node, sub, "appears twice")
            else:
                out[key] = value_node
        return out

    def scalar(self, node: Node, path: str) -> Any:
        if not isinstance(node, ScalarNode):
            self.error(node, path, "must be a single value, not a list or mapping")
            return _NO_VALUE
        return self._constructor.construct_object(node)

    def number(self, node: Node, path: str, *, minimum: float | None = None) -> Any:
        value = self.scalar(node, path)
        if value is _NO_VALUE:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            self.error(node, path, f"must be a number, got {value!r}")
            return _NO_VALUE
        if math.isinf(value):
            self.error(node, path, "must be finite")
            return _NO_VALUE
        if minimum is not None and value < minimum:
            self.error(node, path, f"must be >= {minimum:g}, got {value:g}")
            return _NO_VALUE
        return float(value)

    def text(self, node: Node, path: str) -> Any:
        value = self.scalar(node, path)
        if value is _NO_VALUE:
            return value
        if isinstance(value, bool):
            self.error(node, path, f"must be text, got {value!r} (quote it: '{node.value}')")
            return _NO_VALUE
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(node, path, f"must be non-empty text, got {value!r}")
            return _NO_VALUE
        return value.strip()

    def boolean(self, node: Node, path: str) -> Any:
        value = self.scalar(node, path)
        if value is not _NO_VALUE and not isinstance(value, bool):
            self.error(node, path, f"must be true or false, got {value!r}")
            return _NO_VALUE
        return value

    def text_list(self, node: Node, path: str) -> Any:
        """A text value or a list of them (returned as a tuple)."""
        items = node.value if isinstance(node, SequenceNode) else [node]
        if isinstance(node, SequenceNode) and not items:
            self.error(node, path, "must not be an empty list")
            return _NO_VALUE
        out = [self.text(item, path) for item in items]
        return _NO_VALUE if _NO_VALUE in out else tuple(out)

    def regex(self, node: Node, path: str) -> Any:
        value = self.text(node, path)
        if value is not _NO_VALUE:
            try:
                re.compile(value)
            except re.error as exc:
                self.error(node, path, f"invalid regular expression: {exc}")
                return _NO_VALUE
        return value


def _parse_fit_value(p: _Parser, node: Node, path: str, op: str, ftype: str) -> Any:
    if op in {"in", "not_in"} and ftype == "number":
        items = node.value if isinstance(node, SequenceNode) else [node]
        if not items:
            p.error(node, path, "must not be an empty list")
            return _NO_VALUE
        numbers = [p.number(item, path) for item in items]
        return _NO_VALUE if _NO_VALUE in numbers else tuple(numbers)
    if op in {"in", "not_in", "contains"}:
        return p.text_list(node, path)
    if op == "regex":
        return p.regex(node, path)
    if op == "between":
        if not isinstance(node, SequenceNode) or len(node.value) != 2:
            p.error(node, path, "must be a list of two numbers [low, high]")
            return _NO_VALUE
        low, high = (p.number(item, path) for item in node.value)
        if _NO_VALUE in (low, high):
            return _NO_VALUE
        if low > high:
            p.error(node, path, f"low {low:g} is above high {high:g}")
            return _NO_VALUE
        return (low, high)
    if op == "is_free_email" or ftype == "bool":
        return p.boolean(node, path)
    if ftype == "number":
        return p.number(node, path)
    return p.text(node, path)


def _parse_fit(p: _Parser, node: Node, path: str, free: frozenset[str]) -> FitRule | None:
    fields = p.mapping(node, path, _FIT)
    if fields is None:
        return None
    missing = [k for k in ("name", "field", "op", "value", "points") if k not in fields]
    for key in missing:
        p.error(node, f"{path}.{key}", "is required")
    name = p.text(fields["name"], f"{path}.name") if "name" in fields else _NO_VALUE
    points = p.number(fields["points"], f"{path}.points") if "points" in fields else _NO_VALUE
    fname = p.text(fields["field"], f"{path}.field") if "field" in fields else _NO_VALUE
    if fname is not _NO_VALUE and fname not in FIT_FIELDS:
        hint = difflib.get_close_matches(fname, FIT_FIELDS, n=1)
        extra = f" (did you mean '{hint[0]}'?)" if hint else ""
        p.error(fields["field"], f"{path}.field", f"unknown field {fname!r}{extra}")
        fname = _NO_VALUE
    op = p.text(fields["op"], f"{path}.op") if "op" in fields else _NO_VALUE
    if op is not _NO_VALUE and op not in OPERATORS:
        p.error(fields["op"], f"{path}.op", f"unknown operator {op!r}; use {', '.join(OPERATORS)}")
        op = _NO_VALUE
    if _NO_VALUE in (fname, op) or missing:
        return None
    ftype = FIT_FIELDS[fname]
    if ftype not in OPERATORS[op]:
        p.error(
            fields["op"], f"{path}.op", f"operator {op!r} does not apply to {ftype} field {fname!r}"
        )
        return None
    if op == "is_free_email" and fname not in {"email", "email_domain"}:
        p.error(fields["op"], f"{path}.op", "is_free_email applies only to email or email_domain")
        return None
    value = _parse_fit_value(p, fields["value"], f"{path}.value", op, ftype)
    if _NO_VALUE in (name, points, value):
        return None
    return FitRule(name, fname, op, value, points, _line(node), free)


def _parse_engagement(p: _Parser, node: Node, path: str) -> EngagementRule | None:
    fields = p.mapping(node, path, _ENGAGEMENT)
    if fields is None:
        return None
    ok = True
    for key in ("name", "points"):
        if key not in fields:
            p.error(node, f"{path}.{key}", "is required")
            ok = False
    if "url" in fields and "url_regex" in fields:
        p.error(fields["url_regex"], f"{path}.url_regex", "give either url (glob) or url_regex")
        ok = False
    values: dict[str, Any] = {}
    for key, value_node in fields.items():
        sub = f"{path}.{key}"
        if key == "name":
            values[key] = p.text(value_node, sub)
        elif key == "points":
            values[key] = p.number(value_node, sub)
        elif key in {"cap_per_day", "cap_total"}:
            values[key] = p.number(value_node, sub, minimum=0)
        elif key == "hand_raiser":
            values[key] = p.boolean(value_node, sub)
        elif key == "url":
            values[key] = p.text(value_node, sub)
        elif key == "url_regex":
            values[key] = p.regex(value_node, sub)
        elif key == "kind":
            kinds = p.text_list(value_node, sub)
            if kinds is not _NO_VALUE:
                unknown = [k for k in kinds if k not in EVENT_KINDS]
                for kind in unknown:
                    hint = difflib.get_close_matches(kind, EVENT_KINDS, n=1)
                    extra = f" (did you mean '{hint[0]}'?)" if hint else ""
                    p.error(value_node, sub, f"unknown event kind {kind!r}{extra}")
                kinds = _NO_VALUE if unknown else frozenset(kinds)
            values["kinds"] = kinds
        else:
            options = p.text_list(value_node, sub)
            values[key] = (
                options if options is _NO_VALUE else frozenset(o.casefold() for o in options)
            )
    if not ok or _NO_VALUE in values.values():
        return None
    return EngagementRule(line=_line(node), **values)


def _unique_names(p: _Parser, nodes: list[Node], rules: list[Any], section: str) -> None:
    seen: set[str] = set()
    for index, (node, rule) in enumerate(zip(nodes, rules)):
        if rule is None:
            continue
        if rule.name in seen:
            p.error(node, f"{section}[{index}].name", f"duplicate rule name {rule.name!r}")
        seen.add(rule.name)


def load_definition(text: str) -> ScoringDefinition:
    """Parse and validate a scoring definition written in YAML.

    Parameters
    ----------
    text
        The YAML document (schema in ``docs/scoring.md``).

    Returns
    -------
    ScoringDefinition
        The frozen, validated definition; ``source`` keeps ``text``.

    Raises
    ------
    DefinitionError
        With every problem found, each as ``line N: field 'x': reason``.

    Examples
    --------
    >>> d = load_definition('''
    ... version: 2
    ... mql: {fit: 20, engagement: 10}
    ... decay: {half_life_days: 30}
    ... fit:
    ...   - {name: Big company, field: employees, op: gte, value: 200, points: 20}
    ... engagement:
    ...   - {name: Demo request, kind: form_submit, url: "*/demo*", points: 30, hand_raiser: true}
    ... ''')
    >>> d.version, d.fit[0].points, d.engagement[0].hand_raiser, d.half_life_days
    (2, 20.0, True, 30.0)
    >>> load_definition("version: 1\\nmql: {total: 5}\\ndecay: {half_life_days: -3}\\n")
    Traceback (most recent call last):
    ...
    smarketing.analytics.scoring.errors.DefinitionError: invalid scoring definition (1 error):
      line 3: field 'decay.half_life_days': must be > 0, got -3
    """
    if not isinstance(text, str):
        raise DefinitionError([LocatedError(None, "", "the definition must be YAML text")])
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError([LocatedError(line, "", f"not valid YAML: {reason}")]) from None
    if root is None:
        raise DefinitionError([LocatedError(None, "", "the definition is empty")])
    p = _Parser()
    top = p.mapping(root, "", _TOP)
    if top is None:
        raise DefinitionError(p.errors)
    for key in ("version", "mql"):
        if key not in top:
            p.error(root, key, "is required")
    version: Any = _NO_VALUE
    if "version" in top:
        version = p.scalar(top["version"], "version")
        if version is not _NO_VALUE and (
            isinstance(version, bool) or not isinstance(version, int) or version < 1
        ):
            p.error(top["version"], "version", f"must be a whole number >= 1, got {version!r}")
    name = p.text(top["name"], "name") if "name" in top else ""
    description = p.text(top["description"], "description") if "description" in top else ""

    mql = MqlThreshold()
    if "mql" in top and (m := p.mapping(top["mql"], "mql", _MQL)) is not None:
        parts = {k: p.number(v, f"mql.{k}") for k, v in m.items()}
        if not {"fit", "engagement", "total"} & parts.keys():
            p.error(top["mql"], "mql", "needs fit and/or engagement, or total")
        elif _NO_VALUE not in parts.values():
            mql = MqlThreshold(**parts)

    half_life: Any = None
    decay = p.mapping(top["decay"], "decay", _DECAY) if "decay" in top else None
    if decay is not None and "half_life_days" in decay:
        node = decay["half_life_days"]
        raw = p.scalar(node, "decay.half_life_days")
        if raw is not None and raw is not _NO_VALUE:
            half_life = p.number(node, "decay.half_life_days")
            if half_life is not _NO_VALUE and half_life <= 0:
                p.error(node, "decay.half_life_days", f"must be > 0, got {half_life:g}")

    free = DEFAULT_FREE_EMAIL_DOMAINS
    if "free_email_domains" in top:
        domains = p.text_list(top["free_email_domains"], "free_email_domains")
        if domains is not _NO_VALUE:
            free = frozenset(d.casefold() for d in domains)

    sections: dict[str, list[Any]] = {"fit": [], "engagement": []}
    for section in sections:
        if section not in top:
            continue
        node = top[section]
        if not isinstance(node, SequenceNode):
            p.error(node, section, "must be a list of rules")
            continue
        for index, item in enumerate(node.value):
            path = f"{section}[{index}]"
            rule = _parse_fit(p, item, path, free) if section == "fit" else None
            if section == "engagement":
                rule = _parse_engagement(p, item, path)
            sections[section].append(rule)
        _unique_names(p, node.value, sections[section], section)
    if p.errors:
        raise DefinitionError(sorted(p.errors, key=lambda e: e.line or 0))
    return ScoringDefinition(
        version=version,
        mql=mql,
        fit=tuple(sections["fit"]),
        engagement=tuple(sections["engagement"]),
        half_life_days=half_life,
        name=name,
        description=description,
        free_email_domains=free,
        source=text,
    )


def default_definition_text() -> str:
    """The YAML text of the definition shipped with smarketing (``default_scoring.yaml``)."""
    return resources.files(__package__).joinpath("default_scoring.yaml").read_text("utf-8")


def load_default_definition() -> ScoringDefinition:
    """The shipped default definition, parsed.

    Examples
    --------
    >>> d = load_default_definition()
    >>> d.half_life_days, any(r.hand_raiser for r in d.engagement)
    (30.0, True)
    """
    return load_definition(default_definition_text())
