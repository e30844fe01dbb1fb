"""Name -> factory registries with versioned names.

A saved artifact records the versioned name (``default_v1``); a plain alias (``default``) points at the
newest version, so old artifacts keep loading the exact behaviour they were trained with.
"""
from __future__ import annotations

import inspect
from typing import Callable, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str, base: type | None = None):
        self.kind = kind
        self.base = base  # registered classes must derive from it: the contract is written, not hoped for
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._entries or name in self._aliases:
                raise ValueError(f"{self.kind} {name!r} registered twice")
            if self.base is not None and not (isinstance(obj, type) and issubclass(obj, self.base)):
                raise TypeError(f"{self.kind} {name!r} must be a subclass of {self.base.__name__}")
            obj.registry_name = name
            self._entries[name] = obj
            for alias in aliases:
                self._aliases[alias] = name
            return obj

        return add

    def canonical(self, name: str) -> str:
        name = self._aliases.get(name, name)
        if name not in self._entries:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {known}")
        return name

    def get(self, name: str) -> T:
        return self._entries[self.canonical(name)]

    def names(self) -> list[str]:
        return sorted(set(self._entries) | set(self._aliases))

    def aliases(self) -> dict[str, T]:
        """Each plain name and the entry it points at now."""
        return {alias: self._entries[name] for alias, name in sorted(self._aliases.items())}

    def __contains__(self, name: str) -> bool:
        return name in self._entries or name in self._aliases


def constructor_defaults(cls, exclude: tuple[str, ...] = ()) -> dict:
    """Keyword parameters of ``cls.__init__`` with their defaults: the hyperparameters a user may set."""
    params = {}
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name == "self" or p.name in exclude or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is inspect.Parameter.empty:
            continue
        params[p.name] = p.default
    return params
