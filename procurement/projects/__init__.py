"""Projects themselves: register, edit, see (who sees what is `policy`, the base of every
capability's rules)."""
