"""The chain policy: levels, titles, roles, and which cadres support which units.

A policy is data (a YAML file under ``policies/``), so the same code serves Bến Tre's three
tiers under Quy định 559-QĐ/TU and the two-tier government in force from 1 July 2025.

>>> policy = load_policy("ben-tre-559")
>>> [level.id for level in policy.levels]
['province', 'district', 'commune', 'hamlet', 'household_group']
>>> policy.level_id("Ấp")
'hamlet'
>>> policy.coverage_rule("commune").cadre_level
'province'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from graph.activity import ActivityRules, parse_activity
from graph.i18n import _
from graph.model import Cadre, Status
from graph.text import fold

__all__ = [
    "POLICY_DIR",
    "Level",
    "Policy",
    "PolicyError",
    "Rule",
    "available_policies",
    "load_policy",
]

POLICY_DIR = Path(__file__).with_name("policies")
DEFAULT_POLICY = "ben-tre-559"

_STATUS_ALIASES = {
    "active": Status.ACTIVE,
    "đang công tác": Status.ACTIVE,
    "đương nhiệm": Status.ACTIVE,
    "transferred": Status.TRANSFERRED,
    "chuyển công tác": Status.TRANSFERRED,
    "điều động": Status.TRANSFERRED,
    "retired": Status.RETIRED,
    "nghỉ hưu": Status.RETIRED,
}


class PolicyError(ValueError):
    """The policy file itself is wrong."""


@dataclass(frozen=True, slots=True)
class Level:
    id: str
    label: str
    index: int
    kinds: tuple[str, ...] = ()
    code_pattern: re.Pattern[str] | None = None
    has_cadres: bool = False
    has_households: bool = False


@dataclass(frozen=True, slots=True)
class Named:
    id: str
    label: str
    level: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    """Cadres of ``cadre_level`` (holding one of ``titles`` if given) may hold ``role`` over
    units of ``unit_level``; ``min_per_unit`` .. ``max_per_unit`` supporters per unit,
    at most ``max_per_cadre`` units per cadre."""

    id: str
    cadre_level: str
    role: str
    unit_level: str
    titles: tuple[str, ...] = ()
    min_per_unit: int = 0
    max_per_unit: int | None = None
    max_per_cadre: int | None = None
    jurisdiction_home: bool = True
    min_meetings_per_year: int | None = None

    def admits(self, cadre: Cadre) -> bool:
        """True when ``cadre`` is of the rule's level and holds a required title, if any."""
        return cadre.level == self.cadre_level and (
            not self.titles or any(title in self.titles for title in cadre.titles)
        )

    def matches(self, cadre: Cadre, role: str, unit_level: str) -> bool:
        return role == self.role and unit_level == self.unit_level and self.admits(cadre)


@dataclass(frozen=True)
class Policy:
    id: str
    name: str
    decision: str
    levels: tuple[Level, ...]
    titles: Mapping[str, Named]
    roles: Mapping[str, Named]
    rules: tuple[Rule, ...]
    coverage: Mapping[str, Rule]
    chain: tuple[str, ...]
    valid_from: date | None = None
    valid_to: date | None = None
    #: What being present means, meeting windows, yearly minimums (:mod:`graph.activity`).
    activity: ActivityRules = field(default_factory=ActivityRules)
    _aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    # --- levels -------------------------------------------------------------------------
    def level(self, level_id: str) -> Level:
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def has_level(self, level_id: str) -> bool:
        return any(level.id == level_id for level in self.levels)

    def parent_level(self, level_id: str) -> str | None:
        index = self.level(level_id).index
        return self.levels[index - 1].id if index > 0 else None

    def levels_below(self, level_id: str) -> tuple[str, ...]:
        index = self.level(level_id).index
        return tuple(level.id for level in self.levels[index + 1 :])

    @property
    def top_level(self) -> str:
        return self.levels[0].id

    @property
    def household_level(self) -> str:
        for level in self.levels:
            if level.has_households:
                return level.id
        return self.levels[-1].id

    # --- names users type -----------------------------------------------------------------
    def level_id(self, text: str) -> str | None:
        return self._aliases["level"].get(fold(text))

    def role_id(self, text: str) -> str | None:
        return self._aliases["role"].get(fold(text))

    def title_id(self, text: str) -> str | None:
        return self._aliases["title"].get(fold(text))

    @staticmethod
    def status(text: str) -> Status | None:
        return _STATUS_FOLDED.get(fold(text))

    # --- rules ----------------------------------------------------------------------------
    def coverage_rule(self, level_id: str) -> Rule | None:
        return self.coverage.get(level_id)

    def rules_for(self, cadre: Cadre, role: str, unit_level: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.matches(cadre, role, unit_level)]

    def covers(self, cadre: Cadre, role: str, unit_level: str) -> bool:
        """True when an assignment of ``cadre`` in ``role`` counts for the unit's coverage."""
        rule = self.coverage.get(unit_level)
        return rule is not None and rule.matches(cadre, role, unit_level)


_STATUS_FOLDED = {fold(k): v for k, v in _STATUS_ALIASES.items()}


def available_policies() -> list[str]:
    return sorted(path.stem for path in POLICY_DIR.glob("*.yaml"))


def load_policy(name_or_path: str | Path = DEFAULT_POLICY) -> Policy:
    """Load a shipped policy by id, or any policy file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = POLICY_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        raise PolicyError(
            _("no policy {name}; shipped policies: {policies}").format(
                name=repr(str(name_or_path)), policies=", ".join(available_policies())
            )
        )
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return parse_policy(data, source=str(path))


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise PolicyError(_("{where}: missing key {key}").format(where=where, key=repr(key)))
    return data[key]


def _alias_map(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for target, names in entries:
        for name in names:
            out.setdefault(fold(name), target)
    return out


def parse_policy(data: Mapping[str, Any], source: str = "<policy>") -> Policy:
    levels: list[Level] = []
    level_aliases: list[tuple[str, list[str]]] = []
    for index, raw in enumerate(_need(data, "levels", source)):
        level_id = str(_need(raw, "id", f"{source}: levels[{index}]"))
        pattern = raw.get("code_pattern")
        levels.append(
            Level(
                id=level_id,
                label=str(raw.get("label", level_id)),
                index=index,
                kinds=tuple(raw.get("kinds", ())),
                code_pattern=re.compile(pattern) if pattern else None,
                has_cadres=bool(raw.get("has_cadres", False)),
                has_households=bool(raw.get("has_households", False)),
            )
        )
        level_aliases.append(
            (level_id, [level_id, raw.get("label", level_id), *raw.get("aliases", ())])
        )
    level_ids = {level.id for level in levels}

    def named(kind: str) -> dict[str, Named]:
        out: dict[str, Named] = {}
        for raw in data.get(kind, ()):
            out[raw["id"]] = Named(raw["id"], raw.get("label", raw["id"]), raw.get("level", ""))
        return out

    titles, roles = named("titles"), named("roles")
    rules: list[Rule] = []
    for raw in _need(data, "rules", source):
        where = _("{source}: rule {rule}").format(source=source, rule=raw.get("id", "?"))
        rule = Rule(
            id=str(_need(raw, "id", where)),
            cadre_level=str(_need(raw, "cadre_level", where)),
            role=str(_need(raw, "role", where)),
            unit_level=str(_need(raw, "unit_level", where)),
            titles=tuple(raw.get("titles", ())),
            min_per_unit=int(raw.get("per_unit", {}).get("min", 0)),
            max_per_unit=raw.get("per_unit", {}).get("max"),
            max_per_cadre=raw.get("per_cadre", {}).get("max"),
            jurisdiction_home=raw.get("jurisdiction", "home") == "home",
            min_meetings_per_year=raw.get("meetings_per_year", {}).get("min"),
        )
        for level in (rule.cadre_level, rule.unit_level):
            if level not in level_ids:
                raise PolicyError(
                    _("{where}: unknown level {level}").format(where=where, level=repr(level))
                )
        if rule.role not in roles:
            raise PolicyError(
                _("{where}: unknown role {role}").format(where=where, role=repr(rule.role))
            )
        unknown = set(rule.titles) - titles.keys()
        if unknown:
            raise PolicyError(
                _("{where}: unknown titles {titles}").format(where=where, titles=sorted(unknown))
            )
        rules.append(rule)
    by_id = {rule.id: rule for rule in rules}
    coverage: dict[str, Rule] = {}
    for level_id, rule_id in (data.get("coverage") or {}).items():
        if level_id not in level_ids or rule_id not in by_id:
            raise PolicyError(
                _("{source}: coverage {level}: {rule} names no level or rule").format(
                    source=source, level=level_id, rule=rule_id
                )
            )
        if by_id[rule_id].unit_level != level_id:
            raise PolicyError(
                _("{source}: coverage of {level} uses a rule for another level").format(
                    source=source, level=level_id
                )
            )
        coverage[level_id] = by_id[rule_id]
    chain = tuple(data.get("chain", ()))
    for level_id in chain:
        if level_id not in coverage:
            raise PolicyError(
                _("{source}: chain level {level} has no coverage rule").format(
                    source=source, level=repr(level_id)
                )
            )
    aliases = {
        "level": _alias_map(level_aliases),
        "role": _alias_map(
            (r["id"], [r["id"], r.get("label", r["id"]), *r.get("aliases", ())])
            for r in data.get("roles", ())
        ),
        "title": _alias_map(
            (t["id"], [t["id"], t.get("label", t["id"]), *t.get("aliases", ())])
            for t in data.get("titles", ())
        ),
    }
    try:
        activity = parse_activity(
            data.get("activity"), level_ids, set(titles), f"{source}: activity"
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise PolicyError(str(exc)) from exc
    return Policy(
        id=str(_need(data, "id", source)),
        name=str(data.get("name", data["id"])),
        decision=str(data.get("decision", "")),
        levels=tuple(levels),
        titles=titles,
        roles=roles,
        rules=tuple(rules),
        coverage=coverage,
        chain=chain,
        valid_from=_as_date(data.get("valid_from")),
        valid_to=_as_date(data.get("valid_to")),
        activity=activity,
        _aliases=aliases,
    )
