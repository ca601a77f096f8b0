"""Navigation entries per role, registered by each package (templates read them)."""
from dataclasses import dataclass

from flask_babel import lazy_gettext


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object
    roles: tuple | None
    public: bool
    order: int


_ENTRIES: dict[str, NavEntry] = {}


def register(endpoint, label, roles=None, public=False, order=50):
    """Add a navigation link. `roles=None` with `public=False` means any signed-in user."""
    _ENTRIES[endpoint] = NavEntry(endpoint, lazy_gettext(label) if isinstance(label, str) else label,
                                  tuple(roles) if roles else None, public, order)


def entries_for(user):
    """The entries a user (or anonymous visitor) should see, in order."""
    out = []
    authenticated = bool(user and user.is_authenticated)
    for entry in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.endpoint)):
        if entry.public:
            out.append(entry)
        elif authenticated and (entry.roles is None or user.has_role(*entry.roles)):
            out.append(entry)
    return out
