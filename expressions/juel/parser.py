"""Parser of JUEL composite text: literal text mixed with ``${...}`` or ``#{...}`` blocks.

Grammar (EL 2.2 section 1.17 precedence, highest first)::

    expr     := or ( '?' expr ':' expr )?
    or       := and ( ('||' | 'or') and )*
    and      := eq ( ('&&' | 'and') eq )*
    eq       := rel ( ('==' | '!=' | 'eq' | 'ne') rel )*
    rel      := add ( ('<' | '>' | '<=' | '>=' | 'lt' | 'gt' | 'le' | 'ge') add )*
    add      := mul ( ('+' | '-') mul )*
    mul      := unary ( ('*' | '/' | 'div' | '%' | 'mod') unary )*
    unary    := ('-' | '!' | 'not' | 'empty')* postfix
    postfix  := primary ( '.' IDENT ( '(' args ')' )? | '[' expr ']' )*
    primary  := literal | IDENT ( '(' args ')' )? | '(' expr ')'

The binary levels are parsed with an explicit operator stack and prefix operators with a
loop, so Python recursion grows only with parentheses, brackets, call arguments and
ternaries. That nesting is capped (:data:`MAX_NESTING`), and every node's subtree height
is capped by ``Limits.max_depth``: hostile input such as ten thousand ``(`` or
``1+1+...+1`` becomes an :class:`ExpressionSyntaxError`, never a ``RecursionError``.

Not supported (Camunda diagrams do not use them): EL 3.0 additions (lambdas, ``+=``,
``;``, collection literals) and namespaced functions ``ns:fn()``.
"""

from __future__ import annotations

from typing import Any

from expressions.errors import ExpressionSyntaxError
from expressions.juel.lexer import Lexer, Token
from expressions.juel.nodes import (
    Binary,
    Conditional,
    FunctionCall,
    Identifier,
    Literal,
    Member,
    MethodCall,
    Node,
    Unary,
)
from expressions.limits import DEFAULT_LIMITS, Limits

#: Most parentheses/brackets/call arguments/ternary branches that may nest. Each level
#: costs a handful of Python frames while parsing; 64 is far beyond any real diagram.
MAX_NESTING = 64

_BINARY_PRECEDENCE: dict[str, int] = {
    "||": 1,
    "&&": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    ">": 4,
    "<=": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}

#: One part of a composite: literal text, or the tree of one ``${...}`` block.
Part = str | Node


class _ExprParser:
    """Recursive-descent parser of the expression inside one ``${...}`` block."""

    __slots__ = ("lexer", "max_depth", "nesting", "source", "tok")

    def __init__(self, source: str, start: int, limits: Limits) -> None:
        self.source = source
        self.lexer = Lexer(source, start)
        self.max_depth = limits.max_depth
        self.nesting = 0
        self.tok = self.lexer.next()

    # -- helpers ---------------------------------------------------------------------

    def error(self, message: str, pos: int | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(
            message, source=self.source, position=self.tok.pos if pos is None else pos
        )

    def advance(self) -> Token:
        tok = self.tok
        self.tok = self.lexer.next()
        return tok

    def at_end(self) -> bool:
        return self.tok.kind == "end"

    def is_op(self, symbol: str) -> bool:
        return self.tok.kind == "op" and self.tok.value == symbol

    def expect_op(self, symbol: str) -> Token:
        if not self.is_op(symbol):
            raise self.error(f"expected '{symbol}' but found {self.describe(self.tok)}")
        return self.advance()

    @staticmethod
    def describe(tok: Token) -> str:
        if tok.kind == "eof":
            return "the end of the text (missing '}'?)"
        if tok.kind == "end":
            return "'}'"
        if tok.kind == "string":
            return "a string"
        return f"'{tok.value}'"

    def checked(self, node: Node) -> Node:
        if node.depth > self.max_depth:
            raise self.error(
                f"expression is nested more than {self.max_depth} levels deep", node.pos
            )
        return node

    # -- grammar ---------------------------------------------------------------------

    def parse_block(self) -> tuple[Node, int]:
        """Parses one block up to and including its ``}``; returns the tree and the offset
        just after the ``}``."""
        if self.at_end():
            raise self.error("empty expression")
        node = self.parse_expr()
        if not self.at_end():
            raise self.error(f"unexpected {self.describe(self.tok)}")
        return node, self.lexer.pos

    def parse_expr(self) -> Node:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"expression nests more than {MAX_NESTING} levels")
        cond = self.parse_binary()
        if self.is_op("?"):
            self.advance()
            then = self.parse_expr()
            self.expect_op(":")
            otherwise = self.parse_expr()
            depth = 1 + max(cond.depth, then.depth, otherwise.depth)
            cond = self.checked(Conditional(cond.pos, depth, cond, then, otherwise))
        self.nesting -= 1
        return cond

    def binary_op(self) -> str | None:
        tok = self.tok
        if tok.kind in ("op", "keyword") and tok.value in _BINARY_PRECEDENCE:
            return tok.value
        return None

    def parse_binary(self) -> Node:
        operands = [self.parse_unary()]
        ops: list[tuple[str, int]] = []

        def reduce() -> None:
            op, pos = ops.pop()
            right = operands.pop()
            left = operands.pop()
            depth = 1 + max(left.depth, right.depth)
            operands.append(self.checked(Binary(pos, depth, op, left, right)))

        while (op := self.binary_op()) is not None:
            prec = _BINARY_PRECEDENCE[op]
            while ops and _BINARY_PRECEDENCE[ops[-1][0]] >= prec:
                reduce()
            ops.append((op, self.advance().pos))
            operands.append(self.parse_unary())
        while ops:
            reduce()
        return operands[0]

    def parse_unary(self) -> Node:
        prefixes: list[Token] = []
        while (self.tok.kind == "op" and self.tok.value in ("-", "!")) or (
            self.tok.kind == "keyword" and self.tok.value in ("!", "empty")
        ):
            prefixes.append(self.advance())
        node = self.parse_postfix()
        for tok in reversed(prefixes):
            node = self.checked(Unary(tok.pos, node.depth + 1, tok.value, node))
        return node

    def parse_args(self) -> tuple[Node, ...]:
        self.expect_op("(")
        args: list[Node] = []
        if not self.is_op(")"):
            args.append(self.parse_expr())
            while self.is_op(","):
                self.advance()
                args.append(self.parse_expr())
        self.expect_op(")")
        return tuple(args)

    def parse_postfix(self) -> Node:
        node = self.parse_primary()
        while True:
            if self.is_op("."):
                dot = self.advance()
                name_tok = self.tok
                if name_tok.kind != "ident":
                    raise self.error(
                        f"expected a property name after '.' but found {self.describe(name_tok)}"
                    )
                self.advance()
                if self.is_op("("):
                    args = self.parse_args()
                    depth = 1 + max([node.depth, *(a.depth for a in args)])
                    node = MethodCall(dot.pos, depth, node, name_tok.value, args)
                else:
                    key = Literal(name_tok.pos, 1, name_tok.value)
                    node = Member(dot.pos, node.depth + 1, node, key)
            elif self.is_op("["):
                bracket = self.advance()
                key_node = self.parse_expr()
                self.expect_op("]")
                if self.is_op("("):
                    raise self.error("calling a method through '[...]' is not supported")
                node = Member(bracket.pos, 1 + max(node.depth, key_node.depth), node, key_node)
            else:
                return node
            self.checked(node)

    def parse_primary(self) -> Node:
        tok = self.tok
        if tok.kind == "int":
            self.advance()
            if len(tok.value) > 100:  # Java's long has 19 digits; Python's int() refuses 4,300+
                raise ExpressionSyntaxError(
                    "integer literal too long", source=self.source, position=tok.pos
                )
            return Literal(tok.pos, 1, int(tok.value))
        if tok.kind == "float":
            self.advance()
            return Literal(tok.pos, 1, float(tok.value))
        if tok.kind == "string":
            self.advance()
            return Literal(tok.pos, 1, tok.value)
        if tok.kind == "keyword":
            constants: dict[str, Any] = {"true": True, "false": False, "null": None}
            if tok.value in constants:
                self.advance()
                return Literal(tok.pos, 1, constants[tok.value])
            if tok.value == "instanceof":
                raise self.error("'instanceof' is reserved and not supported")
            raise self.error(f"expected a value but found {self.describe(tok)}")
        if tok.kind == "ident":
            self.advance()
            if self.is_op("("):
                args = self.parse_args()
                depth = 1 + max([0, *(a.depth for a in args)])
                return self.checked(FunctionCall(tok.pos, depth, tok.value, args))
            return Identifier(tok.pos, 1, tok.value)
        if self.is_op("("):
            self.advance()
            node = self.parse_expr()
            self.expect_op(")")
            return node
        raise self.error(f"expected a value but found {self.describe(tok)}")


def parse_composite(source: str, limits: Limits = DEFAULT_LIMITS) -> tuple[tuple[Part, ...], str]:
    """Splits ``source`` into literal text and parsed blocks.

    Returns the parts and the block kind: ``"$"`` (immediate), ``"#"`` (deferred) or
    ``""`` (no block at all: the text is a plain string). EL forbids mixing ``${`` and
    ``#{`` in one text, and so does this parser. ``\\${`` and ``\\#{`` stand for the
    literal two characters; any other backslash is kept as is.
    """
    parts: list[Part] = []
    text: list[str] = []
    kind = ""
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\\" and i + 2 < n and source[i + 1] in "$#" and source[i + 2] == "{":
            text.append(source[i + 1 : i + 3])
            i += 3
            continue
        if c in "$#" and i + 1 < n and source[i + 1] == "{":
            if kind and kind != c:
                raise ExpressionSyntaxError(
                    "'${' and '#{' cannot be mixed in one expression", source=source, position=i
                )
            kind = c
            if text:
                parts.append("".join(text))
                text = []
            try:
                node, i = _ExprParser(source, i + 2, limits).parse_block()
            except RecursionError:
                raise ExpressionSyntaxError(
                    "expression is nested too deeply", source=source, position=i
                ) from None
            parts.append(node)
            continue
        j = i + 1
        while j < n and source[j] not in "\\$#":
            j += 1
        text.append(source[i:j])
        i = j
    if text:
        parts.append("".join(text))
    return tuple(parts), kind
