"""Where the graph is kept: the port every store answers through, and its two adapters.

``port.py``
    :class:`~graph.stores.port.GraphStore`, the questions and writes every store answers, with
    the change set and the store's errors. The rest of namgraph speaks only to this.
``memory.py`` and ``memory_questions.py``
    the embedded store: networkx in memory, saved in a data directory (the default).
``memory_db.py``
    the embedded store's SQLite database (``store.db``): records, change log, write turns.
``shared_map.py``
    a map whose copy shares its buckets: the embedded store's assignments by id.
``untracked.py``
    keeps the cycle collector off the embedded store's per-generation tables.
``neo4j.py`` and ``neo4j_cypher.py``
    the Neo4j store (production): Cypher over Bolt, every question answered inside Neo4j.
``config.py``
    which store to open, from the environment (``NAM_STORE``), and copying between stores.
``counting.py``
    a wrapper that counts store calls (tests and benchmarks).

The domain (units, cadres, assignments, the policy, scope and dates) is the rest of
:mod:`graph`.
"""
