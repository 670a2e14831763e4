"""Parse crm shell configuration statements into located definitions.

Each ``parse_<keyword>`` method carries the grammar of its statement in its docstring. The
parser does no I/O and checks only what the grammar says; references between definitions,
agents and values are checked by :mod:`harm.crmsh.check`.

A statement with a syntax error is reported and skipped; parsing goes on with the next
statement so that one load reports every slip at once. The names a failed statement mentions
are remembered (``ParseResult.suspect_names``) so that the checker does not add a cascade of
"unknown resource" errors for a resource whose definition was the one that failed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from harm.cib import dates
from harm.cib.config import (
    AGENT_CLASSES,
    ATTR_OPERATIONS,
    LOSS_POLICIES,
    ORDER_ACTIONS,
    ORDER_KINDS,
    VALUE_TYPES,
    AgentRef,
    AttrExpression,
    Colocation,
    DateExpression,
    Expression,
    FencingLevel,
    Location,
    Node,
    NvSet,
    Op,
    Order,
    Primitive,
    ResourceSet,
    Role,
    Rule,
    Tag,
    Template,
    Ticket,
)
from harm.cib.scores import is_score, parse_score
from harm.crmsh import ids
from harm.crmsh.ast import (
    CloneDef,
    Definition,
    FencingTopologyDef,
    GroupDef,
    Located,
    PropertyDef,
    Reference,
)
from harm.crmsh.lexer import Statement, Token, tokenize
from harm.errors import ConfigSyntaxError, PositionedConfigError, SourcePosition

_INTEGER = re.compile(r"[+-]?\d+")

KEYWORDS = (
    "node",
    "primitive",
    "group",
    "clone",
    "ms",
    "location",
    "colocation",
    "collocation",
    "order",
    "rsc_ticket",
    "rsc_template",
    "tag",
    "property",
    "rsc_defaults",
    "op_defaults",
    "fencing_topology",
)
UNSUPPORTED_KEYWORDS = (
    "bundle",
    "acl_target",
    "role",
    "user",
    "alert",
    "schema",
)
PRIMITIVE_SECTIONS = ("params", "meta", "utilization", "op", "operations")
SET_SECTIONS = ("meta", "params")
BINARY_OPS = ("lt", "gt", "lte", "gte", "eq", "ne")
UNARY_OPS = ("defined", "not_defined")
SECTION_OF = {
    "property": "crm_config",
    "rsc_defaults": "rsc_defaults",
    "op_defaults": "op_defaults",
}


@dataclass
class ParseResult:
    """Everything one text yielded: definitions in written order, and the errors."""

    items: list[Located] = field(default_factory=list)
    errors: list[PositionedConfigError] = field(default_factory=list)
    suspect_names: set[str] = field(default_factory=set)


def parse_text(text: str, source: str = "<input>") -> ParseResult:
    """Parse a whole configuration text (several statements)."""
    result = ParseResult()
    try:
        statements = tokenize(text, source)
    except ConfigSyntaxError as error:
        result.errors.append(error)
        return result
    for statement in statements:
        try:
            result.items.append(_StatementParser(statement, source).parse())
        except ConfigSyntaxError as error:
            result.errors.append(error)
            result.suspect_names.update(
                part for token in statement.tokens for part in _names_in(token.text)
            )
    return result


def _names_in(text: str) -> list[str]:
    """Identifier-like parts of a token, for suppressing cascading reference errors."""
    head = text.split("=", 1)[0]
    return [head.split(":", 1)[0]]


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The closest known word (case differences first), for "did you mean" hints."""
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _quote(text: str) -> str:
    return f"'{text}'"


class _StatementParser:
    """Parses the tokens of one statement; raises ConfigSyntaxError on the first problem."""

    def __init__(self, statement: Statement, source: str) -> None:
        self.statement = statement
        self.tokens = statement.tokens
        self.source = source
        self.index = 0
        self.references: list[Reference] = []
        self.value_positions: dict[str, SourcePosition] = {}

    # ------------------------------------------------------------------ token helpers

    def at_end(self) -> bool:
        return self.index >= len(self.tokens)

    def peek(self) -> Token | None:
        return None if self.at_end() else self.tokens[self.index]

    def next(self, expected: str) -> Token:
        if self.at_end():
            raise self.error_at_end(expected)
        token = self.tokens[self.index]
        self.index += 1
        return token

    def pos(self, token: Token) -> SourcePosition:
        return token.position(self.source)

    def end_position(self) -> SourcePosition:
        last = self.tokens[-1]
        return SourcePosition(self.source, last.line, last.col + len(last.text))

    def error_at_end(self, expected: str) -> ConfigSyntaxError:
        return ConfigSyntaxError(self.end_position(), expected, "the end of the statement")

    def error(self, token: Token, expected: str, hint: str | None = None) -> ConfigSyntaxError:
        if hint is None:
            hint = self.continuation_hint(token)
        return ConfigSyntaxError(self.pos(token), expected, _quote(token.text), hint)

    def continuation_hint(self, token: Token) -> str | None:
        """Explain a keyword glued onto the previous statement by a trailing backslash."""
        glued = token.line - 1 in self.statement.continuation_lines
        if token.continued and token.text in KEYWORDS and glued:
            return (
                f"the backslash at the end of line {token.line - 1} continues the "
                f"'{self.tokens[0].text}' statement onto this line; remove it so that "
                f"'{token.text}' starts a statement of its own"
            )
        return None

    def identifier(self, what: str) -> Token:
        token = self.next(what)
        if not ids.is_valid_id(token.text):
            raise self.error(token, what, "an id starts with a letter or '_' and holds "
                             "letters, digits, '_', '-' and '.'")
        return token

    def reference(self, token: Token, name: str, context: str, role: bool = False) -> None:
        self.references.append(Reference(name, self.pos(token), context, role))

    def located(self, definition: Definition, keyword: Token, id_token: Token) -> Located:
        return Located(
            definition,
            self.pos(keyword),
            self.pos(id_token),
            tuple(self.references),
            self.value_positions,
        )

    def assignment(self, token: Token, expected: str) -> tuple[str, str]:
        if not token.is_assignment:
            raise self.error(token, expected)
        name, value = token.split()
        if not name:
            raise self.error(token, expected)
        self.value_positions.setdefault(name, token.value_position(self.source))
        return name, value

    def score_token(self, token: Token, expected: str) -> str | None:
        """The text before the colon of a ``SCORE:`` token, or None if it is not one."""
        if token.text.endswith(":") and len(token.text) > 1 and not token.quoted:
            return token.text[:-1]
        del expected
        return None

    def parse_role(self, token: Token, text: str) -> Role:
        try:
            return Role.parse(text)
        except ValueError:
            raise ConfigSyntaxError(
                token.value_position(self.source) if token.value_col else self.pos(token),
                "a role (Started, Stopped, Promoted, Unpromoted, Master, Slave)",
                _quote(text),
            ) from None

    def parse_score_text(self, token: Token, text: str) -> int:
        try:
            return parse_score(text)
        except ValueError:
            raise self.error(token, "a score (an integer, inf, +inf or -inf)") from None

    # ------------------------------------------------------------------ dispatch

    def parse(self) -> Located:
        keyword = self.tokens[0]
        self.index = 1
        name = keyword.text
        if name in UNSUPPORTED_KEYWORDS:
            raise ConfigSyntaxError(
                self.pos(keyword),
                "a statement harm supports",
                _quote(name),
                f"'{name}' is a crm shell statement that harm does not implement",
            )
        if name not in KEYWORDS:
            close = suggest(name, KEYWORDS)
            hint = f"did you mean '{close}'?" if close else None
            raise ConfigSyntaxError(
                self.pos(keyword), "a statement keyword (" + ", ".join(KEYWORDS[:-1]) + ")",
                _quote(name), hint,
            )
        method = {
            "node": self.parse_node,
            "primitive": self.parse_primitive,
            "group": self.parse_group,
            "clone": self.parse_clone,
            "ms": self.parse_clone,
            "location": self.parse_location,
            "colocation": self.parse_colocation,
            "collocation": self.parse_colocation,
            "order": self.parse_order,
            "rsc_ticket": self.parse_ticket,
            "rsc_template": self.parse_primitive,
            "tag": self.parse_tag,
            "property": self.parse_property,
            "rsc_defaults": self.parse_property,
            "op_defaults": self.parse_property,
            "fencing_topology": self.parse_fencing_topology,
        }[name]
        return method(keyword)

    # ------------------------------------------------------------------ node

    def parse_node(self, keyword: Token) -> Located:
        """node [$id=ID] UNAME[:TYPE] [description=TEXT]
             [attributes [$id=ID] NAME=VALUE…] [utilization [$id=ID] NAME=VALUE…]
        """
        node_id: str | None = None
        token = self.next("a node name")
        if token.text.startswith("$id="):
            node_id = token.split()[1]
            token = self.next("a node name")
        uname, _, node_type = token.text.partition(":")
        if not ids.is_valid_node_name(uname):
            raise self.error(token, "a node name")
        if node_type and node_type not in ("member", "ping", "remote", "normal"):
            raise self.error(token, "a node type (member, ping or remote) after ':'")
        node_type = "member" if node_type in ("", "normal") else node_type
        description = None
        sections: dict[str, NvSet] = {}
        while not self.at_end():
            word = self.next("attributes or utilization")
            if word.text.startswith("description="):
                description = word.split()[1]
                continue
            if word.text not in ("attributes", "utilization"):
                raise self.error(word, "'attributes', 'utilization' or description=TEXT")
            default = (
                ids.node_attributes_id(uname)
                if word.text == "attributes"
                else ids.node_utilization_id(uname)
            )
            sections[word.text] = self.parse_nvset(default, stop=("attributes", "utilization"))
        node = Node(
            id=node_id or uname,
            uname=uname,
            type=node_type,
            attributes=(sections["attributes"],) if "attributes" in sections else (),
            utilization=(sections["utilization"],) if "utilization" in sections else (),
            description=description,
        )
        return self.located(node, keyword, token)

    # ------------------------------------------------------------------ attribute lists

    def parse_nvset(self, default_id: str, stop: tuple[str, ...]) -> NvSet:
        """[$id=ID] NAME=VALUE … — until a word from ``stop`` or the end."""
        set_id = default_id
        pairs: list[tuple[str, str]] = []
        while not self.at_end():
            token = self.peek()
            assert token is not None
            if token.text in stop:
                break
            self.index += 1
            if token.text.startswith("$id="):
                set_id = token.split()[1]
                if not ids.is_valid_id(set_id):
                    raise self.error(token, "a valid id after $id=")
                continue
            words = [word for word in stop if word != "operations"]
            expected = "NAME=VALUE" + "".join(f", '{word}'" for word in words)
            pairs.append(self.assignment(token, expected))
        return NvSet(set_id, tuple(pairs))

    # ------------------------------------------------------------------ primitive

    def parse_primitive(self, keyword: Token) -> Located:
        """primitive ID {[CLASS:[PROVIDER:]]TYPE | @TEMPLATE} [description=TEXT]
             [[params] [$id=ID] NAME=VALUE…] [meta [$id=ID] NAME=VALUE…]
             [utilization [$id=ID] NAME=VALUE…]
             [op NAME [interval=DURATION] [role=ROLE] [ATTR=VALUE…]]…
        rsc_template ID [CLASS:[PROVIDER:]]TYPE … (the same sections)
        """
        id_token = self.identifier("a template id" if keyword.text == "rsc_template"
                                   else "a resource id")
        rsc_id = id_token.text
        agent_token = self.next("a resource agent (CLASS:PROVIDER:TYPE)")
        template: str | None = None
        if agent_token.text.startswith("@") and keyword.text == "primitive":
            template = agent_token.text[1:]
            if not ids.is_valid_id(template):
                raise self.error(agent_token, "@TEMPLATE (a template id after '@')")
            self.reference(agent_token, template, "template")
            agent = template_placeholder(template)
        else:
            agent = self.parse_agent(agent_token)
        params: NvSet | None = None
        meta: NvSet | None = None
        utilization: NvSet | None = None
        ops: list[Op] = []
        description: str | None = None
        while not self.at_end():
            token = self.peek()
            assert token is not None
            if token.text.startswith("description="):
                self.index += 1
                description = token.split()[1]
            elif token.text == "params" or (token.is_assignment and params is None and meta is None
                                           and not ops and utilization is None):
                if token.text == "params":
                    self.index += 1
                params = self.merge_sets(params, self.parse_nvset(
                    ids.params_id(rsc_id), stop=PRIMITIVE_SECTIONS))
            elif token.text == "meta":
                self.index += 1
                meta = self.merge_sets(meta, self.parse_nvset(
                    ids.meta_id(rsc_id), stop=PRIMITIVE_SECTIONS))
            elif token.text == "utilization":
                self.index += 1
                utilization = self.merge_sets(utilization, self.parse_nvset(
                    ids.utilization_id(rsc_id), stop=PRIMITIVE_SECTIONS))
            elif token.text == "op":
                self.index += 1
                ops.append(self.parse_op(rsc_id, ops))
            elif token.text == "operations":
                self.index += 1
                self.next("$id=ID after 'operations'")
            else:
                raise self.error(
                    token, "'params', 'meta', 'utilization', 'op' or NAME=VALUE"
                )
        definition: Primitive | Template
        if keyword.text == "rsc_template":
            definition = Template(
                id=rsc_id, agent=agent, params=(params,) if params else (),
                meta=(meta,) if meta else (), ops=tuple(ops),
                utilization=(utilization,) if utilization else (), description=description)
        else:
            definition = Primitive(
                id=rsc_id,
                agent=agent,
                params=(params,) if params else (),
                meta=(meta,) if meta else (),
                ops=tuple(ops),
                utilization=(utilization,) if utilization else (),
                description=description,
                template=template,
            )
        located = self.located(definition, keyword, id_token)
        self.value_positions["agent"] = self.pos(agent_token)
        return located

    def merge_sets(self, old: NvSet | None, new: NvSet) -> NvSet:
        if old is None:
            return new
        return NvSet(old.id, old.pairs + new.pairs)

    def parse_agent(self, token: Token) -> AgentRef:
        parts = token.text.split(":")
        if token.text.startswith("@"):
            raise self.error(token, "a resource agent", "only a primitive can use a template")
        if len(parts) == 1:
            return AgentRef("ocf", "heartbeat", parts[0])
        if len(parts) == 2:
            cls, agent_type = parts
            if cls == "ocf":
                raise self.error(token, "ocf:PROVIDER:TYPE (an OCF agent needs a provider)")
            provider = None
        elif len(parts) == 3:
            cls, provider, agent_type = parts
            if cls != "ocf":
                raise self.error(token, "CLASS:TYPE (only OCF agents have a provider)")
        else:
            raise self.error(token, "a resource agent (CLASS:PROVIDER:TYPE)")
        if cls not in AGENT_CLASSES:
            close = suggest(cls, AGENT_CLASSES)
            raise self.error(
                token,
                "a resource agent class (" + ", ".join(AGENT_CLASSES) + ")",
                f"did you mean '{close}'?" if close else None,
            )
        if not agent_type or (provider is not None and not provider):
            raise self.error(token, "a resource agent (CLASS:PROVIDER:TYPE)")
        return AgentRef(cls, provider, agent_type)

    def parse_op(self, rsc_id: str, earlier: list[Op]) -> Op:
        """op NAME [interval=DURATION] [role=ROLE] [timeout=DURATION] [on-fail=…] [ATTR=VALUE…]"""
        name_token = self.next("an operation name (start, stop, monitor, …)")
        if name_token.is_assignment or name_token.text in PRIMITIVE_SECTIONS:
            raise self.error(name_token, "an operation name (start, stop, monitor, …)")
        interval = "0"
        role: Role | None = None
        attrs: list[tuple[str, str]] = []
        op_id: str | None = None
        while not self.at_end():
            token = self.peek()
            assert token is not None
            if token.text in PRIMITIVE_SECTIONS or token.text.startswith("description="):
                break
            self.index += 1
            key, value = self.assignment(token, "ATTR=VALUE or the next 'op'")
            if key == "interval":
                interval = value
            elif key == "role":
                role = self.parse_role(token, value)
            elif key in ("$id", "id"):
                op_id = value
            else:
                attrs.append((key, value))
        default_id = ids.op_id(rsc_id, name_token.text, interval, role)
        taken = {op.id for op in earlier}
        if op_id is None:
            op_id = ids.unique(default_id, taken)
        return Op(op_id, name_token.text, interval, role, tuple(attrs))

    # ------------------------------------------------------------------ group / clone / ms

    def parse_group(self, keyword: Token) -> Located:
        """group ID MEMBER [MEMBER…] [description=TEXT] [meta NAME=VALUE…] [params NAME=VALUE…]"""
        id_token = self.identifier("a group id")
        members: list[str] = []
        while not self.at_end():
            token = self.peek()
            assert token is not None
            if token.text in SET_SECTIONS or token.is_assignment:
                break
            self.index += 1
            if not ids.is_valid_id(token.text):
                raise self.error(token, "a resource id (a group member)")
            members.append(token.text)
            self.reference(token, token.text, "group member")
        if not members:
            if self.at_end():
                raise self.error_at_end("at least one group member")
            raise self.error(self.tokens[self.index], "at least one group member")
        meta, params, description = self.parse_container_sections(id_token.text)
        group = GroupDef(id_token.text, tuple(members), meta, params, description)
        return self.located(group, keyword, id_token)

    def parse_clone(self, keyword: Token) -> Located:
        """clone ID CHILD [description=TEXT] [meta NAME=VALUE…] [params NAME=VALUE…]
        ms ID CHILD [description=TEXT] [meta NAME=VALUE…] [params NAME=VALUE…]
        """
        id_token = self.identifier("a clone id")
        child = self.next("the resource to clone")
        if not ids.is_valid_id(child.text) or child.is_assignment or child.text in SET_SECTIONS:
            raise self.error(child, "the id of the resource to clone")
        self.reference(child, child.text, "clone child")
        meta, params, description = self.parse_container_sections(id_token.text)
        clone = CloneDef(
            id_token.text, child.text, meta, params, keyword.text == "ms", description
        )
        return self.located(clone, keyword, id_token)

    def parse_container_sections(
        self, owner: str
    ) -> tuple[tuple[NvSet, ...], tuple[NvSet, ...], str | None]:
        meta: NvSet | None = None
        params: NvSet | None = None
        description: str | None = None
        while not self.at_end():
            token = self.next("meta or params")
            if token.text.startswith("description="):
                description = token.split()[1]
            elif token.text == "meta":
                meta = self.merge_sets(meta, self.parse_nvset(ids.meta_id(owner), SET_SECTIONS))
            elif token.text == "params":
                params = self.merge_sets(
                    params, self.parse_nvset(ids.params_id(owner), SET_SECTIONS)
                )
            else:
                raise self.error(token, "'meta', 'params' or description=TEXT")
        return ((meta,) if meta else ()), ((params,) if params else ()), description

    # ------------------------------------------------------------------ location

    def parse_location(self, keyword: Token) -> Located:
        """location ID RSC|/PATTERN/ [role=ROLE] [resource-discovery=always|never|exclusive]
             { SCORE: NODE | rule [$id=ID] [$role=ROLE] SCORE: EXPRESSION [rule …]… }

        EXPRESSION := SIMPLE [and|or SIMPLE]…
        SIMPLE     := ATTR [TYPE:]OP VALUE | defined ATTR | not_defined ATTR
                    | date {gt|lt} DATE | date in_range start=DATE end=DATE
                    | date date_spec NAME=VALUE…
        OP         := lt | gt | lte | gte | eq | ne
        TYPE       := string | integer | number | version
        """
        id_token = self.identifier("a constraint id")
        cid = id_token.text
        rsc_token = self.next("a resource id or /PATTERN/")
        rsc: str | None = None
        pattern: str | None = None
        text = rsc_token.text
        if text.startswith("/") and text.endswith("/") and len(text) > 2:
            pattern = rsc_token.text[1:-1]
        elif ids.is_valid_id(rsc_token.text):
            rsc = rsc_token.text
            self.reference(rsc_token, rsc, "constraint")
        else:
            raise self.error(rsc_token, "a resource id or /PATTERN/")
        role: Role | None = None
        discovery: str | None = None
        score: int | None = None
        node: str | None = None
        rules: list[Rule] = []
        while not self.at_end():
            token = self.next("SCORE: NODE or rule")
            if token.text.startswith("role="):
                role = self.parse_role(token, token.split()[1])
                if rsc is not None:
                    self.references[-1] = Reference(
                        rsc, self.references[-1].position, "constraint",
                        role_required=_needs_promotable(role),
                    )
            elif token.text.startswith("resource-discovery="):
                discovery = token.split()[1]
                if discovery not in ("always", "never", "exclusive"):
                    raise self.error(token, "resource-discovery=always|never|exclusive")
            elif token.text == "rule":
                if score is not None:
                    raise self.error(token, "the end of the statement after SCORE: NODE")
                rules.append(self.parse_rule(ids.rule_id(cid, len(rules)), location_rule=True))
            elif (score_text := self.score_token(token, "SCORE:")) is not None:
                if rules or score is not None:
                    raise self.error(token, "rule or the end of the statement")
                score = self.parse_score_text(token, score_text)
                node_token = self.next("a node name after the score")
                if not ids.is_valid_node_name(node_token.text):
                    raise self.error(node_token, "a node name")
                node = node_token.text
            else:
                raise self.error(token, "SCORE: NODE, rule, role=ROLE or resource-discovery=…")
        if score is None and not rules:
            raise self.error_at_end("SCORE: NODE or rule")
        location = Location(
            id=cid,
            rsc=rsc,
            rsc_pattern=pattern,
            role=role,
            node=node,
            score=score,
            rules=tuple(rules),
            resource_discovery=discovery,
        )
        return self.located(location, keyword, id_token)

    def parse_rule(self, default_id: str, location_rule: bool) -> Rule:
        """rule [$id=ID] [$role=ROLE] SCORE|SCORE-ATTRIBUTE: EXPRESSION"""
        rule_id = default_id
        role: Role | None = None
        score: int | None = None
        score_attribute: str | None = None
        while True:
            token = self.next("SCORE: and an expression after 'rule'")
            if token.text.startswith("$id="):
                rule_id = token.split()[1]
            elif token.text.startswith("$role="):
                role = self.parse_role(token, token.split()[1])
            elif (text := self.score_token(token, "SCORE:")) is not None:
                if is_score(text):
                    score = parse_score(text)
                elif ids.is_valid_attribute_name(text):
                    score_attribute = text
                else:
                    raise self.error(token, "a score or an attribute name before ':'")
                break
            else:
                raise self.error(token, "SCORE: (e.g. 100:, inf:, -inf:) before the expression")
        if role is not None and location_rule:
            for index, ref in enumerate(self.references):
                if ref.context == "constraint":
                    self.references[index] = Reference(
                        ref.name, ref.position, ref.context,
                        ref.role_required or _needs_promotable(role),
                    )
        expressions: list[Expression] = []
        boolean_op: str | None = None
        while True:
            expressions.append(self.parse_simple_expression(rule_id, len(expressions)))
            joiner = self.peek()
            if joiner is None or joiner.text == "rule":
                break
            if joiner.text not in ("and", "or"):
                raise self.error(joiner, "'and', 'or', another 'rule' or the end of the statement")
            if boolean_op is not None and joiner.text != boolean_op:
                raise self.error(
                    joiner, f"'{boolean_op}'",
                    "one rule combines its expressions with a single 'and' or 'or'; "
                    "write a second rule for the other combination",
                )
            boolean_op = joiner.text
            self.index += 1
        return Rule(
            id=rule_id,
            expressions=tuple(expressions),
            boolean_op=boolean_op or "and",
            score=score,
            score_attribute=score_attribute,
            role=role,
        )

    def parse_simple_expression(self, rule_id: str, index: int) -> Expression:
        expr_id = ids.expression_id(rule_id, index)
        first = self.next("an expression (ATTR OP VALUE, defined ATTR, not_defined ATTR)")
        if first.text in UNARY_OPS:
            attr = self.next(f"an attribute name after '{first.text}'")
            if not ids.is_valid_attribute_name(attr.text):
                raise self.error(attr, "an attribute name")
            return AttrExpression(expr_id, attr.text, first.text)
        if first.text == "date":
            return self.parse_date_expression(expr_id)
        if not ids.is_valid_attribute_name(first.text) or first.is_assignment:
            raise self.error(
                first, "an expression (ATTR OP VALUE, defined ATTR, not_defined ATTR)"
            )
        op_token = self.next("a comparison (lt, gt, lte, gte, eq, ne)")
        value_type: str | None = None
        operation = op_token.text
        if ":" in operation:
            value_type, _, operation = operation.partition(":")
            if value_type not in VALUE_TYPES:
                raise self.error(op_token, "a value type (" + ", ".join(VALUE_TYPES) + ")")
        if operation not in BINARY_OPS:
            close = suggest(operation, ATTR_OPERATIONS)
            raise self.error(
                op_token, "a comparison (lt, gt, lte, gte, eq, ne)",
                f"did you mean '{close}'?" if close else None,
            )
        value = self.next(f"a value after '{operation}'")
        if value.text in ("and", "or", "rule") and not value.quoted:
            raise self.error(value, f"a value after '{operation}'")
        return AttrExpression(expr_id, first.text, operation, value.text, value_type)

    def parse_date_expression(self, expr_id: str) -> DateExpression:
        """date {gt|lt} DATE
        date in_range [start=DATE] [end=DATE | DURATION-FIELD=INTEGER…]
        date date_spec SPEC-FIELD=RANGE…

        DATE is checked as Pacemaker reads it (:mod:`harm.cib.dates`), a duration field's
        value must be an integer within ±2³¹ and a date_spec range ``N``, ``N-M``, ``N-``
        or ``-M``: text the engine would ignore is refused here, where it stands.
        """
        op_token = self.next("gt, lt, in_range or date_spec after 'date'")
        operation = op_token.text
        if operation in ("gt", "lt"):
            value = self.next("a date")
            if not dates.is_date(value.text):
                raise self.error(value, dates.DATE_FORMS)
            if operation == "gt":
                return DateExpression(expr_id, "gt", start=value.text)
            return DateExpression(expr_id, "lt", end=value.text)
        if operation not in ("in_range", "date_spec"):
            raise self.error(op_token, "gt, lt, in_range or date_spec after 'date'")
        pairs: list[tuple[str, str]] = []
        while not self.at_end():
            token = self.peek()
            assert token is not None
            if not token.is_assignment:
                break
            self.index += 1
            name, value_text = self.assignment(token, "NAME=VALUE")
            self.check_date_field(operation, token, name, value_text,
                                  [n for n, _ in pairs])
            pairs.append((name, value_text))
        if operation == "date_spec":
            if not pairs:
                raise self.error_at_end("NAME=VALUE pairs after date_spec")
            return DateExpression(expr_id, "date_spec", date_spec=tuple(pairs))
        values = dict(pairs)
        start, end = values.pop("start", None), values.pop("end", None)
        if start is None and end is None:
            raise self.error(op_token, "start=DATE and/or end=DATE after in_range")
        return DateExpression(expr_id, "in_range", start=start, end=end,
                              duration=tuple(values.items()))

    def check_date_field(self, operation: str, token: Token, name: str, value: str,
                         earlier: list[str]) -> None:
        """One NAME=VALUE of ``date in_range`` or ``date date_spec``."""
        if operation == "date_spec":
            allowed: tuple[str, ...] = dates.DATE_SPEC_FIELDS
        else:
            allowed = ("start", "end", *dates.DURATION_FIELDS)
        if name not in allowed:
            close = suggest(name, allowed)
            raise self.error(token, f"one of {', '.join(allowed)}",
                             f"did you mean '{close}'?" if close else None)
        if name in earlier:
            raise self.error(token, f"each field once ('{name}' is given twice)")
        at = token.value_position(self.source)
        if name in ("start", "end"):
            if not dates.is_date(value):
                raise ConfigSyntaxError(at, dates.DATE_FORMS, _quote(value))
            if name == "end" and any(n in dates.DURATION_FIELDS for n in earlier):
                raise self.error(token, "end=DATE or a duration, not both")
        elif operation == "date_spec":
            if not dates.is_range(value):
                raise ConfigSyntaxError(at, "a number or a range (e.g. 9-17, 5-, -5)",
                                        _quote(value))
        else:
            if "end" in earlier:
                raise self.error(token, "end=DATE or a duration, not both")
            if value.strip() != value or dates.duration_amount(value) is None \
                    or not _INTEGER.fullmatch(value):
                raise ConfigSyntaxError(
                    at, f"an integer between {dates.INT_MIN} and {dates.INT_MAX}",
                    _quote(value))

    # ------------------------------------------------------------------ colocation

    def parse_colocation(self, keyword: Token) -> Located:
        """colocation ID SCORE: RSC[:ROLE] WITH-RSC[:ROLE] [node-attribute=ATTR]
        colocation ID SCORE: RSC[:ROLE] RSC[:ROLE] RSC[:ROLE]… (three or more: resource sets)
        colocation ID SCORE: ( RSC… ) RSC… [ RSC… ] … (parentheses: members not colocated
                                                         with each other)
        """
        id_token = self.identifier("a constraint id")
        score_token = self.next("SCORE: after the constraint id")
        text = self.score_token(score_token, "SCORE:")
        if text is None:
            raise self.error(score_token, "SCORE: (e.g. inf:, -inf:, 100:)")
        score = self.parse_score_text(score_token, text)
        options: dict[str, str] = {}
        groups = self.parse_resource_groups(("node-attribute",), options, actions=False)
        operands = [item for group in groups for item in group[1]]
        if len(operands) < 2:
            raise self.error_at_end("at least two resources")
        node_attribute = options.get("node-attribute")
        cid = id_token.text
        if len(groups) == 1 and not groups[0][0] and len(operands) == 2:
            (rsc, rsc_role), (with_rsc, with_role) = operands
            colocation = Colocation(cid, score, rsc, with_rsc, rsc_role, with_role, node_attribute)
        else:
            sets = self.build_sets(cid, groups, reverse_sequential=True)
            colocation = Colocation(cid, score, node_attribute=node_attribute, sets=sets)
        return self.located(colocation, keyword, id_token)

    def parse_resource_groups(
        self, option_names: tuple[str, ...], options: dict[str, str], actions: bool
    ) -> list[tuple[str, list[tuple[str, Role | None]], list[str | None]]]:
        """Runs of operands: ("", plain run) or ("(", …) / ("[", …) bracketed sets.

        Returns (bracket, [(rsc, role)], [action]) triples in written order.
        """
        groups: list[tuple[str, list[tuple[str, Role | None]], list[str | None]]] = []
        current: tuple[str, list[tuple[str, Role | None]], list[str | None]] | None = None
        open_bracket: str | None = None
        while not self.at_end():
            token = self.next("a resource")
            if token.text in ("(", "["):
                if open_bracket:
                    raise self.error(
                        token, f"a resource or the closing bracket of '{open_bracket}'"
                    )
                open_bracket = token.text
                current = (token.text, [], [])
                groups.append(current)
                continue
            if token.text in (")", "]"):
                expected_close = {"(": ")", "[": "]"}.get(open_bracket or "")
                if token.text != expected_close:
                    raise self.error(token, "a resource")
                if current is None or not current[1]:
                    raise self.error(token, "at least one resource inside the brackets")
                open_bracket = None
                current = None
                continue
            if token.is_assignment:
                name, value = self.assignment(token, "an option")
                if name in option_names and not open_bracket:
                    options[name] = value
                    continue
                raise self.error(token, "a resource" + (
                    " or " + ", ".join(f"{n}=…" for n in option_names) if option_names else ""))
            name, _, suffix = token.text.partition(":")
            if not ids.is_valid_id(name):
                raise self.error(token, "a resource id")
            role: Role | None = None
            action: str | None = None
            if suffix:
                if actions:
                    if suffix not in ORDER_ACTIONS:
                        raise self.error(
                            token, "an action after ':' (start, stop, promote, demote)"
                        )
                    action = suffix
                else:
                    role = self.parse_role(token, suffix)
            needs_roles = _needs_promotable(role) or action in ("promote", "demote")
            self.reference(token, name, "constraint", needs_roles)
            if open_bracket is None and (current is None or current[0]):
                current = ("", [], [])
                groups.append(current)
            assert current is not None
            current[1].append((name, role))
            current[2].append(action)
        if open_bracket:
            raise self.error_at_end(f"the closing bracket of '{open_bracket}'")
        return groups

    def build_sets(
        self,
        cid: str,
        groups: list[tuple[str, list[tuple[str, Role | None]], list[str | None]]],
        reverse_sequential: bool,
    ) -> tuple[ResourceSet, ...]:
        sets: list[ResourceSet] = []
        for bracket, members, actions in groups:
            roles = {role for _, role in members}
            if len(roles) > 1:
                raise self.error(self.tokens[-1], "one role for all resources of a set")
            set_actions = {a for a in actions if a}
            if len(set_actions) > 1:
                raise self.error(self.tokens[-1], "one action for all resources of a set")
            names = [name for name, _ in members]
            if reverse_sequential and not bracket:
                names.reverse()
            sets.append(
                ResourceSet(
                    id=ids.set_id(cid, len(sets)),
                    resources=tuple(names),
                    sequential=False if bracket == "(" else None,
                    require_all=False if bracket == "[" else None,
                    role=next(iter(roles)),
                    action=next(iter(set_actions)) if set_actions else None,
                )
            )
        return tuple(sets)

    # ------------------------------------------------------------------ order

    def parse_order(self, keyword: Token) -> Located:
        """order ID [KIND:|SCORE:] FIRST[:ACTION] THEN[:ACTION] [symmetrical=BOOL]
        order ID [KIND:|SCORE:] RSC[:ACTION] RSC[:ACTION] RSC… (three or more: a resource set)
        order ID [KIND:|SCORE:] ( RSC… ) RSC… [ RSC… ] … [symmetrical=BOOL]
        KIND := Mandatory | Optional | Serialize
        """
        id_token = self.identifier("a constraint id")
        kind: str | None = None
        score: int | None = None
        token = self.peek()
        if token is not None and (text := self.score_token(token, "KIND:")) is not None:
            self.index += 1
            kind_match = suggest(text, ORDER_KINDS) if not is_score(text) else None
            if text in ORDER_KINDS:
                kind = text
            elif is_score(text):
                score = parse_score(text)
            else:
                raise self.error(
                    token, "a kind (Mandatory, Optional, Serialize) or a score before ':'",
                    f"did you mean '{kind_match}'?" if kind_match else None,
                )
        options: dict[str, str] = {}
        groups = self.parse_resource_groups(("symmetrical",), options, actions=True)
        operands = [
            (name, action)
            for group in groups
            for (name, _), action in zip(group[1], group[2], strict=True)
        ]
        if len(operands) < 2:
            raise self.error_at_end("at least two resources")
        symmetrical: bool | None = None
        if "symmetrical" in options:
            value = options["symmetrical"].lower()
            if value not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
                raise ConfigSyntaxError(
                    self.value_positions["symmetrical"],
                    "true or false",
                    _quote(options["symmetrical"]),
                )
            symmetrical = value in ("true", "yes", "on", "1")
        cid = id_token.text
        if len(groups) == 1 and not groups[0][0] and len(operands) == 2:
            (first, first_action), (then, then_action) = operands
            order = Order(cid, first, then, first_action, then_action, kind, score, symmetrical)
        else:
            sets = self.build_sets(cid, groups, reverse_sequential=False)
            order = Order(cid, kind=kind, score=score, symmetrical=symmetrical, sets=sets)
        return self.located(order, keyword, id_token)

    # ------------------------------------------------------------------ tickets

    def parse_ticket(self, keyword: Token) -> Located:
        """rsc_ticket ID TICKET: RSC[:ROLE] [RSC[:ROLE]…] [loss-policy=POLICY]
        POLICY := stop | demote | fence | freeze
        (one resource: rsc and rsc-role; several: one resource set per run of equal roles)
        """
        id_token = self.identifier("a constraint id")
        ticket_token = self.next("TICKET: after the constraint id")
        if not ticket_token.text.endswith(":") or not ids.is_valid_id(ticket_token.text[:-1]):
            raise self.error(ticket_token, "TICKET: (a ticket id and a colon)")
        ticket = ticket_token.text[:-1]
        options: dict[str, str] = {}
        groups = self.parse_resource_groups(("loss-policy",), options, actions=False)
        if any(bracket for bracket, _, _ in groups):
            raise self.error(self.tokens[-1], "resources without brackets")
        operands = [item for group in groups for item in group[1]]
        if not operands:
            raise self.error_at_end("at least one resource")
        policy = options.get("loss-policy")
        if policy is not None and policy not in LOSS_POLICIES:
            raise ConfigSyntaxError(self.value_positions["loss-policy"],
                                    "a loss policy (" + ", ".join(LOSS_POLICIES) + ")",
                                    _quote(policy))
        cid = id_token.text
        if len(operands) == 1:
            (rsc, role), = operands
            definition = Ticket(cid, ticket, rsc, role, policy)
        else:
            runs: list[tuple[Role | None, list[str]]] = []
            for name, role in operands:
                if runs and runs[-1][0] is role:
                    runs[-1][1].append(name)
                else:
                    runs.append((role, [name]))
            sets = tuple(ResourceSet(id=ids.set_id(cid, index), resources=tuple(names),
                                     role=role)
                         for index, (role, names) in enumerate(runs))
            definition = Ticket(cid, ticket, loss_policy=policy, sets=sets)
        return self.located(definition, keyword, id_token)

    # ------------------------------------------------------------------ tags

    def parse_tag(self, keyword: Token) -> Located:
        """tag ID[:] RSC…  (a name for the resources, usable in constraints)"""
        id_token = self.next("a tag id")
        tag_id = id_token.text.removesuffix(":")
        if not ids.is_valid_id(tag_id):
            raise self.error(id_token, "a tag id")
        refs: list[str] = []
        while not self.at_end():
            token = self.next("a resource")
            if not ids.is_valid_id(token.text):
                raise self.error(token, "a resource id")
            self.reference(token, token.text, "tag")
            refs.append(token.text)
        if not refs:
            raise self.error_at_end("at least one resource")
        return self.located(Tag(tag_id, tuple(refs)), keyword, id_token)

    # ------------------------------------------------------------------ properties

    def parse_property(self, keyword: Token) -> Located:
        """property [$id=ID] NAME=VALUE…
        rsc_defaults [$id=ID] NAME=VALUE…
        op_defaults [$id=ID] NAME=VALUE…
        """
        section = SECTION_OF[keyword.text]
        nvset = self.parse_nvset(ids.default_set_id(section), stop=())
        if not nvset.pairs:
            raise self.error_at_end("NAME=VALUE")
        return self.located(PropertyDef(section, nvset.id, nvset.pairs), keyword, keyword)


    # ------------------------------------------------------------------ fencing topology

    def parse_fencing_topology(self, keyword: Token) -> Located:
        """fencing_topology LEVEL [LEVEL…]                 (the same levels for every node)
        fencing_topology TARGET LEVEL [LEVEL…] [TARGET LEVEL…]…
        TARGET := NODE: | attr:NAME=VALUE | pattern:REGEX
        LEVEL  := DEVICE[,DEVICE…]   (level 1, 2 … in written order; all devices of a
                                      level must succeed)
        """
        target: tuple[str, str] | None = None
        counts: dict[tuple[str, str], int] = {}
        levels: list[FencingLevel] = []
        patterns = 0
        while not self.at_end():
            token = self.next("a fencing target (NODE:, attr:NAME=VALUE, pattern:REGEX) "
                              "or devices")
            text = token.text
            lower = text.lower()
            if lower.startswith("attr:"):
                name, _, value = text[5:].partition("=")
                if not name or not value or not ids.is_valid_attribute_name(name):
                    raise self.error(token, "attr:NAME=VALUE")
                target = ("attr", f"{name}={value}")
                continue
            if lower.startswith("pattern:"):
                if not text[8:]:
                    raise self.error(token, "pattern:REGEX")
                target = ("pattern", text[8:])
                continue
            if text.endswith(":") and not token.quoted:
                node = text[:-1]
                if not ids.is_valid_node_name(node):
                    raise self.error(token, "a node name before ':'")
                target = ("node", node)
                continue
            if target is None:
                if levels:
                    raise self.error(token, "a target (NODE:, attr:NAME=VALUE or "
                                     "pattern:REGEX) before these devices")
                target = ("pattern", ".*")  # the same levels for every node
            devices = tuple(text.split(","))
            if not all(ids.is_valid_id(d) for d in devices):
                raise self.error(token, "devices: stonith resource ids separated by ','")
            for device in devices:
                self.reference(token, device, "fencing topology")
            index = counts.get(target, 0) + 1
            counts[target] = index
            kind, value = target
            if kind == "pattern" and index == 1:
                patterns += 1
            key = value if kind != "pattern" else str(patterns)
            level_id = ids.fencing_level_id(kind, key.replace("=", "-"), index)
            if kind == "node":
                level = FencingLevel(level_id, index, devices, target=value)
            elif kind == "pattern":
                level = FencingLevel(level_id, index, devices, target_pattern=value)
            else:
                name, _, attr_value = value.partition("=")
                level = FencingLevel(level_id, index, devices, target_attribute=name,
                                     target_value=attr_value)
            levels.append(level)
        if not levels:
            raise self.error_at_end("fencing devices (a level)")
        return self.located(FencingTopologyDef(tuple(levels)), keyword, keyword)


def template_placeholder(template: str) -> AgentRef:
    """The agent of ``primitive NAME @TEMPLATE`` until assembly takes the template's."""
    return AgentRef("template", None, template)


def _needs_promotable(role: Role | None) -> bool:
    return role in (Role.PROMOTED, Role.UNPROMOTED)
