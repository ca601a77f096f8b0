"""Transaction boundary for use cases."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from core.errors import Conflict
from core.extensions import db
from core.i18n import N_


@contextmanager
def unit_of_work(conflict_message=N_("That change conflicts with existing data."), *, keep_loaded: bool = False):
    """One commit per use case: commit on success, roll back on any error.

    An IntegrityError (unique or check constraint) becomes a `Conflict` with a clear
    message instead of a 500. ``keep_loaded``: the objects stay readable after the commit
    without being read again (for hot paths whose caller only shows what was just written).
    """
    session = db.session()
    expire = session.expire_on_commit
    try:
        yield db.session
        session.expire_on_commit = expire and not keep_loaded
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(conflict_message) from exc
    except BaseException:
        db.session.rollback()
        raise
    finally:
        session.expire_on_commit = expire
