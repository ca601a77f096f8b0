"""Catalog search on Elasticsearch: client (`engine`), versioned index (`mappings/`, `indexer`),
transactional outbox sync (`models`, `outbox`, `sync`), pure query builders (`query`, `params`),
the search page (`views`) and the JSON API (`api`).

The composition root calls `register(app)` (client, outbox session events, `flask search`
commands, blueprints, navigation, health) and, in a web process, `start_background(app)`.
"""


def register(app):
    """Wire search into `app`."""
    from catalog.search.setup import register as _register

    _register(app)


def start_background(app):
    """Start a web process's search threads (initial build or outbox dispatcher)."""
    from catalog.search.setup import start_background as _start

    _start(app)
