"""Catalog search on Elasticsearch: client (`engine`), versioned index (`mappings/`, `indexer`),
transactional outbox sync (`models`, `outbox`, `sync`), pure query builders (`query`, `params`),
the search page (`views`) and the JSON API (`api`).

`engine.search_engine.init_app(app)` wires everything: outbox session events, the dispatcher,
the `flask search` commands and the two blueprints.
"""
