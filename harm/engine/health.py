"""Node health: ``#health-*`` node attributes as location scores (``node-health-strategy``).

Each node's health is the sum of its ``#health…`` attributes, where ``red``, ``yellow``
and ``green`` stand for scores chosen by the strategy:

    strategy         red          yellow       green
    none             (health is ignored)
    migrate-on-red   -INFINITY    0            0
    only-green       -INFINITY    -INFINITY    0
    progressive,     node-health-red / -yellow / -green (defaults -INFINITY, 0, 0);
    custom           progressive also starts from node-health-base

A non-zero health becomes a location score of every resource on that node, except that
a negative one spares resources with ``allow-unhealthy-nodes=true``.
"""

from __future__ import annotations

from harm.cib.config import is_true
from harm.cib.scores import INFINITY, add, char2score
from harm.engine.location import apply_location
from harm.engine.work import Work


def apply_node_health(work: Work) -> None:
    config = work.state.configuration
    strategy = (config.property("node-health-strategy") or "none").strip().lower()
    if strategy not in ("migrate-on-red", "only-green", "progressive", "custom"):
        return
    colors = _colors(work, strategy)
    base = 0
    if strategy == "progressive":
        base = char2score(config.property("node-health-base") or "0")
    for node in work.nodes:
        health = base
        for name, value in node.attributes.items():
            if name.startswith("#health"):
                word = value.strip().lower()
                health = add(colors[word] if word in colors else char2score(value), health)
        if health == 0:
            continue
        for rsc in work.top:
            if health < 0 and is_true(rsc.state.meta.get("allow-unhealthy-nodes", "false")):
                continue
            apply_location(rsc, node.name, health)


def _colors(work: Work, strategy: str) -> dict[str, int]:
    if strategy == "migrate-on-red":
        return {"red": -INFINITY, "yellow": 0, "green": 0}
    if strategy == "only-green":
        return {"red": -INFINITY, "yellow": -INFINITY, "green": 0}
    config = work.state.configuration
    return {
        "red": char2score(config.property("node-health-red") or "-INFINITY"),
        "yellow": char2score(config.property("node-health-yellow") or "0"),
        "green": char2score(config.property("node-health-green") or "0"),
    }
