"""The nested-list text layout Pacemaker's text output uses.

A list header is ``* Title:``, its items ``* item`` indented two more spaces; the outermost
title has no bullet. Lines are built as (depth, text) pairs and rendered at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Lines:
    """An append-only list of (depth, text) lines."""

    items: list[tuple[int, str]] = field(default_factory=list)

    def header(self, depth: int, text: str) -> None:
        self.items.append((depth, f"{text}:"))

    def item(self, depth: int, text: str) -> None:
        self.items.append((depth, text))

    def blank(self) -> None:
        self.items.append((-1, ""))

    def render(self) -> list[str]:
        out = []
        for depth, text in self.items:
            if depth < 0:
                out.append("")
            elif depth == 0:
                out.append(text)
            else:
                out.append("  " * depth + "* " + text)
        return out
