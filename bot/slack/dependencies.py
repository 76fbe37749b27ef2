"""Each listener names what it needs in its signature and gets just that (as cosmicpython's bootstrap does).

The Slack app's composition hands `inject` one mapping of named dependencies; a listener never sees
the mapping, only the parameters it asked for by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any


class UnknownDependency(LookupError):
    """A listener asks for a dependency nobody provides (a typo, or wiring that was forgotten)."""


def inject(
    handler: Callable[..., Any], dependencies: Mapping[str, object], *, takes: Iterable[str] = ()
) -> Callable[..., Any]:
    """`handler` with every parameter but those it `takes` from its caller filled in by name.

    A parameter nobody provides stops start-up here, instead of failing on the first click."""
    open_names = set(takes)
    wanted: dict[str, object] = {}
    for name, parameter in inspect.signature(handler).parameters.items():
        if name in open_names:
            continue
        if name in dependencies:
            wanted[name] = dependencies[name]
        elif parameter.default is inspect.Parameter.empty:
            raise UnknownDependency(f"{handler.__qualname__} asks for {name!r}, which nobody provides")
    return functools.partial(handler, **wanted)
