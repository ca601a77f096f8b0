"""Small input-cleaning helpers shared by the procurement services (forms and API alike)."""

from __future__ import annotations

from core.errors import ValidationError


class Errors:
    """Collects per-field messages; ``raise_if_any`` raises one ValidationError naming them all."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self, message: str = "Please correct the marked fields.") -> None:
        if self.fields:
            raise ValidationError(message, self.fields)


def text(data: dict, key: str, errors: Errors, *, required: bool = True, max_len: int = 200, default: str = "") -> str:
    value = data.get(key, None)
    if value is None:
        if required:
            errors.add(key, "This field is required.")
        return default
    if not isinstance(value, str):
        errors.add(key, "Must be text.")
        return default
    value = value.strip()
    if required and not value:
        errors.add(key, "This field is required.")
    elif len(value) > max_len:
        errors.add(key, f"At most {max_len} characters.")
    return value


def integer(data: dict, key: str, errors: Errors, *, minimum: int | None = None, maximum: int | None = None,
            required: bool = True, default: int | None = None) -> int | None:
    value = data.get(key, None)
    if value is None or value == "":
        if required:
            errors.add(key, "This field is required.")
        return default
    if isinstance(value, bool):
        errors.add(key, "Must be a whole number.")
        return default
    if isinstance(value, str):
        try:
            value = int(value.strip().replace(",", ""))
        except ValueError:
            errors.add(key, "Must be a whole number.")
            return default
    elif isinstance(value, float):
        if not value.is_integer():
            errors.add(key, "Must be a whole number.")
            return default
        value = int(value)
    elif not isinstance(value, int):
        errors.add(key, "Must be a whole number.")
        return default
    if minimum is not None and value < minimum:
        errors.add(key, f"Must be at least {minimum}.")
    elif maximum is not None and value > maximum:
        errors.add(key, f"Must be at most {maximum:,}.")
    return value


def choice(data: dict, key: str, errors: Errors, choices, *, required: bool = True, default=None):
    value = data.get(key, None)
    if value in (None, ""):
        if required:
            errors.add(key, "This field is required.")
        return default
    if value not in choices:
        errors.add(key, f"Unknown value {str(value)[:40]!r}; expected one of: {', '.join(choices)}.")
        return default
    return value


def boolean(data: dict, key: str, errors: Errors, *, default: bool = False) -> bool:
    value = data.get(key, None)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "y", "on", "是"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "n", "off", "否"):
        return False
    errors.add(key, "Must be yes or no.")
    return default
