"""The policy timeline: which chain policy is in force on which date.

A graph starts under the policy it was created with (``nam init --policy X``), open-ended
whatever dates X's YAML names; ``nam policy set NAME --from DATE`` adds the next one. Every
question, validation and load uses the policy in force on its date; with no later policy set,
the last one continues.

>>> from graph.policy import load_policy
>>> timeline = PolicyTimeline([(None, load_policy("ben-tre-559"))])
>>> timeline = timeline.with_policy(load_policy("two-tier-2025"), date(2025, 7, 1))
>>> timeline.on(date(2025, 6, 30)).id, timeline.on(date(2025, 7, 1)).id
('ben-tre-559', 'two-tier-2025')
>>> timeline.on(None).id
'ben-tre-559'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from graph.i18n import _
from graph.policy import Policy, PolicyError

__all__ = ["PolicyTimeline"]


class PolicyTimeline:
    """Policies with the date each comes into force, the first from the beginning of time."""

    def __init__(self, entries: Iterable[tuple[date | None, Policy]]) -> None:
        ordered = sorted(entries, key=lambda e: e[0] or date.min)
        if not ordered or ordered[0][0] is not None:
            raise PolicyError(
                _("a policy timeline starts with a policy in force from the beginning")
            )
        if any(start is None for start, _policy in ordered[1:]):
            raise PolicyError(_("only the first policy of a timeline is undated"))
        self.entries: tuple[tuple[date | None, Policy], ...] = tuple(ordered)

    def __iter__(self) -> Iterator[tuple[date | None, date | None, Policy]]:
        """(from, until, policy) for each entry, in date order."""
        for index, (start, policy) in enumerate(self.entries):
            until = self.entries[index + 1][0] if index + 1 < len(self.entries) else None
            yield start, until, policy

    def __len__(self) -> int:
        return len(self.entries)

    def on(self, day: date | None) -> Policy:
        """The policy in force on ``day``; ``None`` is the beginning (an undated question)."""
        current = self.entries[0][1]
        if day is None:
            return current
        for start, policy in self.entries[1:]:
            if start is not None and start <= day:
                current = policy
            else:
                break
        return current

    @property
    def first(self) -> Policy:
        return self.entries[0][1]

    def with_policy(self, policy: Policy, start: date) -> PolicyTimeline:
        """The timeline with ``policy`` in force from ``start`` (replacing one set that day)."""
        kept = [(s, p) for s, p in self.entries if s != start]
        return PolicyTimeline([*kept, (start, policy)])

    def ranks(self) -> dict[str, int]:
        """Every level of every policy with a rank that puts parents before children.

        >>> from graph.policy import load_policy
        >>> PolicyTimeline([(None, load_policy("two-tier-2025"))]).ranks()["commune"]
        1
        """
        ranks: dict[str, int] = {}
        for _start, policy in self.entries:
            for level in policy.levels:
                ranks[level.id] = max(ranks.get(level.id, 0), level.index)
        return ranks

    def policies(self) -> dict[str, Policy]:
        return {policy.id: policy for _, policy in self.entries}
