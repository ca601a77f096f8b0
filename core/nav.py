"""Navigation entries per role. Each package adds its entries from its `register(app)`;
the entries live on the app, so nothing appears because a module was imported."""
from dataclasses import dataclass

from flask import current_app

EXTENSION_KEY = "nav_entries"


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object
    roles: tuple | None
    public: bool
    order: int


def add(app, endpoint, label, roles=None, public=False, order=50):
    """Add a navigation link to `app`. `label` is a lazy translatable string (`_l("...")`);
    `roles=None` with `public=False` means any signed-in user."""
    entries = app.extensions.setdefault(EXTENSION_KEY, {})
    entries[endpoint] = NavEntry(endpoint, label, tuple(roles) if roles else None, public, order)


def entries_for(user, app=None):
    """The entries a user (or anonymous visitor) should see, in order."""
    app = app or current_app
    out = []
    authenticated = bool(user and user.is_authenticated)
    entries = app.extensions.get(EXTENSION_KEY, {})
    for entry in sorted(entries.values(), key=lambda e: (e.order, e.endpoint)):
        if entry.public:
            out.append(entry)
        elif authenticated and (entry.roles is None or user.has_role(*entry.roles)):
            out.append(entry)
    return out
