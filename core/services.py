"""Transaction boundary for use cases."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from core.errors import Conflict
from core.extensions import db
from core.i18n import N_


@contextmanager
def unit_of_work(conflict_message=N_("That change conflicts with existing data.")):
    """One commit per use case: commit on success, roll back on any error.

    An IntegrityError (unique or check constraint) becomes a `Conflict` with a clear
    message instead of a 500.
    """
    try:
        yield db.session
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(conflict_message) from exc
    except BaseException:
        db.session.rollback()
        raise
