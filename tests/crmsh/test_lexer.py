"""The crm lexer: continuations, quoting, comments and positions."""

from __future__ import annotations

import pytest

from harm.crmsh.lexer import tokenize
from harm.errors import ConfigSyntaxError


def texts(source: str) -> list[list[str]]:
    return [[t.text for t in s.tokens] for s in tokenize(source)]


def test_statements_end_at_newlines() -> None:
    assert texts("a b\nc d\n") == [["a", "b"], ["c", "d"]]


def test_backslash_continues_and_tolerates_trailing_blanks() -> None:
    assert texts("a \\\n  b \\  \n  c\nd") == [["a", "b", "c"], ["d"]]


def test_continuation_inside_quotes_joins_the_value() -> None:
    # as crm shell joins it: the blank before the backslash stays, the indentation goes
    [[token]] = texts('x="one \\  \n  two"')
    assert token == "x=one two"


def test_quotes_group_blanks_in_the_middle_of_a_token() -> None:
    assert texts('params a="b c" d=\'e f\'') == [["params", "a=b c", "d=e f"]]


def test_escaped_quote_inside_quotes() -> None:
    assert texts(r'a="say \"hi\""') == [['a=say "hi"']]


def test_comment_lines_are_skipped_but_hash_is_a_character_elsewhere() -> None:
    assert texts("# a comment\nrule 1: #uname eq n1") == [["rule", "1:", "#uname", "eq", "n1"]]


def test_brackets_standing_alone_are_tokens() -> None:
    assert texts("order o inf: ( a b ) c") == [["order", "o", "inf:", "(", "a", "b", ")", "c"]]


def test_positions_point_at_the_token_and_the_value() -> None:
    [statement] = tokenize('primitive p Dummy \\\n  params state="/x"', "f.crm")
    token = statement.tokens[4]
    assert (token.line, token.col) == (2, 10)
    assert token.value_col == 17
    assert token.continued is False
    assert statement.tokens[3].continued is True
    assert statement.continuation_lines == (1,)


@pytest.mark.parametrize(
    ("source", "where"),
    [('a="unclosed', (1, 3)), ('a b="x\ny"', (1, 5))],
)
def test_unclosed_quote_is_reported_where_it_opens(source: str, where: tuple[int, int]) -> None:
    with pytest.raises(ConfigSyntaxError) as caught:
        tokenize(source, "f.crm")
    assert (caught.value.position.line, caught.value.position.col) == where
    assert str(caught.value).startswith(f"f.crm:{where[0]}:{where[1]}: expected a closing")
