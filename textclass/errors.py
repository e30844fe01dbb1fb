"""Errors a user can act on. The CLI prints these without a traceback and exits non-zero."""


class TextclassError(Exception):
    """Base class for every error caused by the user's input or configuration."""


class DataError(TextclassError):
    """Bad input data. The message names the file, the row (1-based, as a spreadsheet shows it) and the field."""

    def __init__(self, message: str, *, path=None, row=None, field=None):
        where = []
        if path is not None:
            where.append(str(path))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{': '.join([', '.join(where), message]) if where else message}")
        self.path, self.row, self.field = path, row, field


class ConfigError(TextclassError):
    """An unknown model, tokenizer or option, or values that do not fit together."""


class ArtifactError(TextclassError):
    """A run directory that is missing, incomplete or not written by a compatible textclass."""
