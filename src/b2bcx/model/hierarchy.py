"""Parent chains (``accounts.parent_account_id``): where each one tops out and
which of them loop. One walk, used by the import (a loop is rejected) and by the
corporate-group roll-up (each account's group is the top of its chain)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Chains:
    """The result of :func:`walk_chains`.

    ``top``: each id → the top of its chain (an id without a parent, or one whose
    parent is not among the ids, is its own top; a chain that ends in a loop
    tops out at the loop's smallest id). ``loops``: each id on a loop → the loop,
    in parent order from where the walk entered it.
    """

    top: dict[str, str]
    loops: dict[str, list[str]]


def walk_chains(parent: Mapping[str, str | None]) -> Chains:
    """Follow every id's parents once (each id is visited on one walk only).

    >>> c = walk_chains({"a": None, "b": "a", "x": "y", "y": "x"})
    >>> c.top == {"a": "a", "b": "a", "x": "x", "y": "x"}, c.loops["y"]
    (True, ['x', 'y'])
    """
    top: dict[str, str] = {}
    loops: dict[str, list[str]] = {}
    for start in parent:
        path: list[str] = []
        at: str | None = start
        while at is not None and at not in top and at in parent and at not in path:
            path.append(at)
            at = parent[at]
        if at is not None and at in top:
            end = top[at]
        elif at is not None and at in path:  # a loop
            loop = path[path.index(at) :]
            for member in loop:
                loops[member] = loop
            end = min(loop)
        else:  # the chain ended: no parent, or a parent that is not an id here
            end = path[-1]
        for node in path:
            top[node] = end
    return Chains(top, loops)
