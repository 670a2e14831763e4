"""Split crm shell configuration text into statements of positioned tokens.

The rules, as crm shell users expect them:

- A statement ends at a newline, unless the line ends with a backslash (trailing blanks after
  the backslash are tolerated: printed configurations often carry them). A continuation inside
  a quoted value joins the two lines too, without the next line's indentation (as crm shell
  joins them).
- A line whose first non-blank character is ``#`` at the start of a statement is a comment.
  Elsewhere ``#`` is an ordinary character (``#uname`` is an attribute name).
- Blanks separate tokens. Double or single quotes group characters, also in the middle of a
  token (``name="a b"`` is one token ``name=a b``).
- ``(``, ``)``, ``[`` and ``]`` standing alone are tokens of their own (resource sets).

Every token remembers the line and column where it starts, and the column where the value of
``name=value`` starts, so errors point at the exact place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harm.errors import ConfigSyntaxError, SourcePosition

_BLANKS = " \t\r\f\v"
# What XML 1.0 cannot hold, so what no value can be (the CIB is XML): control characters
# other than tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_STORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Token:
    """One word of a statement."""

    text: str
    line: int
    col: int
    quoted: bool = False
    value_col: int | None = None  # column where the value of name=value starts
    continued: bool = False  # first token of a physical line reached by a backslash

    def position(self, source: str) -> SourcePosition:
        return SourcePosition(source, self.line, self.col)

    def value_position(self, source: str) -> SourcePosition:
        return SourcePosition(source, self.line, self.value_col or self.col)

    @property
    def is_assignment(self) -> bool:
        return "=" in self.text and not self.text.startswith("=")

    def split(self) -> tuple[str, str]:
        name, _, value = self.text.partition("=")
        return name, value


@dataclass(frozen=True)
class Statement:
    """The tokens of one logical line, and where its physical lines were joined."""

    tokens: tuple[Token, ...]
    continuation_lines: tuple[int, ...] = ()  # physical lines that ended with a backslash

    @property
    def first(self) -> Token:
        return self.tokens[0]


class _Scanner:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0
        self.line = 1
        self.col = 1

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self) -> str:
        char = self.text[self.pos]
        self.pos += 1
        if char == "\n":
            self.line += 1
            self.col = 1
        else:
            self.col += 1
        return char

    def at_continuation(self) -> bool:
        """A backslash followed by optional blanks and a newline (or the end of text)."""
        if self.peek() != "\\":
            return False
        index = self.pos + 1
        while index < len(self.text) and self.text[index] in _BLANKS:
            index += 1
        return index >= len(self.text) or self.text[index] == "\n"

    def skip_continuation(self) -> None:
        self.advance()  # the backslash
        while self.peek() and self.peek() in _BLANKS:
            self.advance()
        if self.peek() == "\n":
            self.advance()


def tokenize(text: str, source: str = "<input>") -> list[Statement]:
    """Split ``text`` into statements; raises ConfigSyntaxError for an unclosed quote."""
    scanner = _Scanner(text, source)
    statements: list[Statement] = []
    tokens: list[Token] = []
    continued_lines: list[int] = []
    next_is_continued = False

    def end_statement() -> None:
        nonlocal tokens, continued_lines
        if tokens:
            statements.append(Statement(tuple(tokens), tuple(continued_lines)))
        tokens = []
        continued_lines = []

    while scanner.peek():
        char = scanner.peek()
        if char == "\n":
            scanner.advance()
            end_statement()
            next_is_continued = False
            continue
        if char in _BLANKS:
            scanner.advance()
            continue
        if scanner.at_continuation():
            continued_lines.append(scanner.line)
            scanner.skip_continuation()
            next_is_continued = True
            continue
        if char == "#" and not tokens:
            while scanner.peek() and scanner.peek() != "\n":
                scanner.advance()
            continue
        token = _read_token(scanner, continued=next_is_continued)
        next_is_continued = False
        tokens.append(token)
    end_statement()
    return statements


def _read_token(scanner: _Scanner, continued: bool) -> Token:
    line, col = scanner.line, scanner.col
    if scanner.peek() in "()[]" and _stands_alone(scanner):
        return Token(scanner.advance(), line, col, continued=continued)
    chars: list[str] = []
    quoted = False
    value_col: int | None = None
    while scanner.peek():
        char = scanner.peek()
        if char in _BLANKS or char == "\n":
            break
        if scanner.at_continuation():
            break
        if char in "\"'":
            quoted = True
            if value_col == scanner.col:  # the value starts inside the quotes
                value_col = scanner.col + 1
            _read_quoted(scanner, chars)
            continue
        if char == "=" and value_col is None and "=" not in chars:
            value_col = scanner.col + 1
        _refuse_unstorable(scanner)
        chars.append(scanner.advance())
    return Token("".join(chars), line, col, quoted, value_col, continued)


def _stands_alone(scanner: _Scanner) -> bool:
    after = scanner.peek(1)
    return after == "" or after in _BLANKS or after in {"\n", "\\"}


def _read_quoted(scanner: _Scanner, chars: list[str]) -> None:
    quote_line, quote_col = scanner.line, scanner.col
    quote = scanner.advance()
    while True:
        char = scanner.peek()
        if char == "":
            raise ConfigSyntaxError(
                SourcePosition(scanner.source, quote_line, quote_col),
                f"a closing {quote}",
                "the end of the text",
                "this quote is never closed",
            )
        if char == quote:
            scanner.advance()
            return
        if scanner.at_continuation():
            # as crm shell joins the lines: what is before the backslash stays, the next
            # line's indentation goes
            scanner.skip_continuation()
            while scanner.peek() and scanner.peek() in _BLANKS:
                scanner.advance()
            continue
        if char == "\\" and scanner.peek(1) in (quote, "\\"):
            scanner.advance()
            chars.append(scanner.advance())
            continue
        _refuse_unstorable(scanner)
        if char == "\n":
            raise ConfigSyntaxError(
                SourcePosition(scanner.source, quote_line, quote_col),
                f"a closing {quote} on the same line",
                "the end of the line",
                "end the line with a backslash to continue a quoted value",
            )
        chars.append(scanner.advance())


def _refuse_unstorable(scanner: _Scanner) -> None:
    """A character of a word that the CIB could not hold is refused where it stands."""
    char = scanner.peek()
    if _NOT_STORABLE.match(char):
        raise ConfigSyntaxError(
            SourcePosition(scanner.source, scanner.line, scanner.col),
            "a printable character",
            f"the control character U+{ord(char):04X}",
            "the configuration is stored as XML, which cannot hold this character",
        )
