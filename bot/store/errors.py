"""What the store raises when the database itself, rather than a statement, is the trouble."""


class DatabaseUnavailable(Exception):
    """The database could not be reached, was busy too long, or dropped the connection mid-way."""


def describe(error: BaseException) -> str:
    """What a user or an operator may read of a driver's error."""
    # Driver messages name the host or file and the reason, never the password.
    detail = " ".join(str(error).split())[:200]
    return f"the database is unavailable: {type(error).__name__}" + (f": {detail}" if detail else "")
