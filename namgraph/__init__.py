"""namgraph's own namespace: the GraphQL API (:mod:`namgraph.api`) and the ``nam`` command
(:mod:`namgraph.cli`). The domain (:mod:`graph`) and the loaders (:mod:`loaders`) keep the
top-level places the project's layout gives them."""
