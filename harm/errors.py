"""The one tree of errors harm raises on purpose.

    HarmError
     ├── ConfigError ............ the configuration language and the cluster model
     │    ├── ConfigSyntaxError ...... text that does not parse (FILE:LINE:COL: expected …, got …)
     │    └── ConfigReferenceError ... parses, but names something wrong (unknown resource,
     │                                 duplicate id, bad score, a primitive in two groups …)
     ├── CibError ............... reading or writing a CIB
     │    ├── CibFormatError ......... a CIB file (harm's or Pacemaker's XML) that cannot be read
     │    └── CibStoreError .......... persisting a CIB failed (disk, permissions)
     ├── SettingsError .......... harm.yaml, ha.cf or authkeys is wrong or unsafe
     ├── ControlError ........... the CLI cannot reach or use the local harmd
     ├── AgentError ............. a resource agent could not be found or run
     └── LabError ............... building or driving a network-namespace lab

Every error carries a message meant for an operator. The CLI prints
``ErrorType: message`` to stderr and exits non-zero; it never shows a traceback for these.
"""

from __future__ import annotations

from dataclasses import dataclass


class HarmError(Exception):
    """Base class of every error harm raises on purpose."""


class ConfigError(HarmError):
    """The configuration is wrong; nothing was changed."""


@dataclass(frozen=True)
class SourcePosition:
    """Where in a configuration text something stands (line and column count from 1)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class PositionedConfigError(ConfigError):
    """A configuration error tied to one place in the text."""

    def __init__(self, position: SourcePosition, message: str) -> None:
        self.position = position
        self.message = message
        super().__init__(f"{position}: {message}")


class ConfigSyntaxError(PositionedConfigError):
    """The text does not follow the grammar: says what was expected and what was found."""

    def __init__(
        self,
        position: SourcePosition,
        expected: str,
        got: str,
        hint: str | None = None,
    ) -> None:
        self.expected = expected
        self.got = got
        self.hint = hint
        message = f"expected {expected}, got {got}"
        if hint:
            message += f" ({hint})"
        super().__init__(position, message)


class ConfigReferenceError(PositionedConfigError):
    """The text parses but is inconsistent: unknown or duplicate ids, bad values."""


class ConfigErrors(ConfigError):  # noqa: N818 - a collection of errors, named as such
    """Several configuration errors found in one pass, reported together."""

    def __init__(self, errors: list[PositionedConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class CibError(HarmError):
    """Reading or writing a CIB failed."""


class CibFormatError(CibError):
    """A CIB file cannot be read (not XML, wrong structure, bad values)."""


class CibStoreError(CibError):
    """A CIB could not be persisted."""


class SettingsError(HarmError):
    """harm.yaml, ha.cf or authkeys is wrong or unsafe."""


class ControlError(HarmError):
    """The CLI cannot reach or use the local harmd."""


class AgentError(HarmError):
    """A resource agent could not be found or run."""


class LabError(HarmError):
    """A network-namespace lab could not be built or driven."""
