"""The provincial dashboard query: what a dashboard sends to show one province.

Every district of the province with its coverage and its Standing Committee supporter, and
every commune with its provincial supporter, that supporter's status and the commune's
coverage, in one request. The API answers it in seven store round trips whatever the
province's size (see ``namgraph.api.prefetch`` and ``tests/test_api.py``), and ``make bench`` times it over
HTTP.
"""

from __future__ import annotations

__all__ = ["DASHBOARD"]

DASHBOARD = """query Dashboard($province: ID!, $asOf: Date) {
  unit(code: $province) {
    code name
    coverage(asOf: $asOf) { ratio households householdsReached levels { level units covered ratio } }
    children(asOf: $asOf) {
      code name kind
      coverage(asOf: $asOf) { ratio households householdsReached levels { level units covered } }
      supporters(asOf: $asOf) { since cadre { id name } }
      children(asOf: $asOf) {
        code name kind
        supporters(asOf: $asOf) { since cadre { id name phone statusOn(asOf: $asOf) } }
        coverage(asOf: $asOf) { ratio householdsReached }
      }
    }
  }
}"""
