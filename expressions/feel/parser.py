"""FEEL parser: tokens to an immutable syntax tree (recursive descent).

Precedence, lowest first: ``for``/``some``/``every``/``if``/``function`` → ``or`` →
``and`` → comparisons (``= != < <= > >=``, ``between``, ``in``, ``instance of``) →
``+ -`` → ``* /`` → ``**`` → unary ``-`` → postfix (``.name``, ``[filter]``, ``(call)``).

Multi-word names (``Full Name``, ``date and time``, ``day of year``) are joined here: a
run of plain words is one name; a run containing keywords (``and``, ``of``, ``in`` …) is
one name only when the phrase is a built-in function or a name the caller declares.
"""

from __future__ import annotations

from collections.abc import Iterable

from expressions.errors import ExpressionSyntaxError
from expressions.feel import ast
from expressions.feel.lexer import KEYWORDS, Token, tokenize

MAX_DEPTH = 60  # about 11 Python frames per level: stays far below the recursion limit

#: Multi-word names of the standard library (kept here so parsing needs no registry).
LIBRARY_NAMES = frozenset(
    {
        "date and time",
        "years and months duration",
        "days and time duration",
        "string length",
        "upper case",
        "lower case",
        "substring before",
        "substring after",
        "starts with",
        "ends with",
        "string join",
        "list contains",
        "insert before",
        "index of",
        "distinct values",
        "get value",
        "get entries",
        "context put",
        "context merge",
        "day of year",
        "day name",
        "week of year",
        "month of year",
        "day of week",
        "round up",
        "round down",
        "round half up",
        "round half down",
        "met by",
        "overlaps before",
        "overlaps after",
        "finished by",
        "started by",
        "list replace",
        "is defined",
        "time offset",
        "start included",
        "end included",
        "random number",
    }
)

TYPE_NAMES = frozenset(
    {
        "Any",
        "Null",
        "number",
        "string",
        "boolean",
        "date",
        "time",
        "date and time",
        "dateTime",
        "days and time duration",
        "years and months duration",
        "dayTimeDuration",
        "yearMonthDuration",
        "list",
        "context",
        "function",
        "range",
    }
)

_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_TEXTUAL_START = frozenset({"for", "some", "every", "if", "function"})


class Parser:
    def __init__(self, source: str, names: Iterable[str] = ()) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0
        self.known = LIBRARY_NAMES | frozenset(n for n in names if " " in n)
        # names the lexer would split ("Date-Time2"): matched on the source text
        self.special = sorted(
            (
                n
                for n in names
                if any(not (c.isalnum() or c in " _?'") for c in n)
                # "decision A 1": a word that is a number would end the name
                or any(part[:1].isdigit() for part in n.split(" ")[1:])
            ),
            key=len,
            reverse=True,
        )
        # In "[1..10[" the closing "[" must not start a filter on 10.
        self.in_range_end = False

    # ----------------------------------------------------------- utilities

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def error(self, message: str, token: Token | None = None) -> ExpressionSyntaxError:
        token = token or self.tok
        return ExpressionSyntaxError(message, source=self.source, position=token.position)

    def is_symbol(self, text: str, token: Token | None = None) -> bool:
        token = token or self.tok
        return token.kind == "symbol" and token.text == text

    def is_word(self, text: str, token: Token | None = None) -> bool:
        token = token or self.tok
        return token.kind == "name" and token.text == text

    def expect_symbol(self, text: str) -> Token:
        if not self.is_symbol(text):
            found = self.tok.text or "end of expression"
            raise self.error(f"expected {text!r}, found {found!r}")
        token = self.tok
        self.i += 1
        return token

    def expect_word(self, text: str) -> Token:
        if not self.is_word(text):
            found = self.tok.text or "end of expression"
            raise self.error(f"expected {text!r}, found {found!r}")
        token = self.tok
        self.i += 1
        return token

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression nests deeper than {MAX_DEPTH} levels")

    # --------------------------------------------------------------- names

    def word_run(self) -> list[Token]:
        run: list[Token] = []
        j = self.i
        while self.tokens[j].kind == "name":
            run.append(self.tokens[j])
            j += 1
        return run

    def take_name(self, *, allow_keyword_start: bool = False) -> str:
        """Consume the longest multi-word name at the cursor."""
        run = self.word_run()
        if not run:
            raise self.error("expected a name")
        best = 0
        words: list[str] = []
        for k, token in enumerate(run, start=1):
            words.append(token.text)
            phrase = " ".join(words)
            plain = all(w not in KEYWORDS for w in words)
            if phrase in self.known or (plain and k >= 1):
                best = k
            elif k == 1 and allow_keyword_start:
                best = 1
        if best == 0:
            raise self.error(f"{run[0].text!r} cannot start a name here", run[0])
        self.i += best
        return " ".join(t.text for t in run[:best])

    def special_name(self, tok: Token) -> str | None:
        """A declared name containing operator characters, written at ``tok``."""
        for name in self.special:
            end = tok.position + len(name)
            follows = self.source[end] if end < len(self.source) else ""
            if self.source.startswith(name, tok.position) and not (
                follows.isalnum() or follows == "_"
            ):
                while self.tok.kind != "eof" and self.tok.position < end:
                    self.i += 1
                return name
        return None

    # ---------------------------------------------------------- expression

    def parse(self) -> ast.Node:
        node = self.expression()
        if self.tok.kind != "eof":
            raise self.error(f"unexpected {self.tok.text!r}")
        return node

    def expression(self) -> ast.Node:
        self.enter()
        try:
            tok = self.tok
            if tok.kind == "name" and tok.text in _TEXTUAL_START:
                if tok.text == "if":
                    return self.if_expression()
                if tok.text == "for":
                    return self.for_expression()
                if tok.text in ("some", "every") and self.peek().kind == "name":
                    return self.quantified()
                if tok.text == "function" and self.is_symbol("(", self.peek()):
                    return self.function_definition()
            return self.disjunction()
        finally:
            self.depth -= 1

    def if_expression(self) -> ast.Node:
        start = self.expect_word("if")
        condition = self.expression()
        self.expect_word("then")
        then = self.expression()
        self.expect_word("else")
        otherwise = self.expression()
        return ast.If(start.position, condition, then, otherwise)

    def iterations(self) -> tuple[ast.Iteration, ...]:
        found: list[ast.Iteration] = []
        while True:
            position = self.tok.position
            name = self.take_name()
            self.expect_word("in")
            source = self.disjunction()
            end = None
            if self.is_symbol(".."):
                self.i += 1
                end = self.disjunction()
            found.append(ast.Iteration(position, name, source, end))
            if not self.is_symbol(","):
                return tuple(found)
            self.i += 1

    def for_expression(self) -> ast.Node:
        start = self.expect_word("for")
        iterations = self.iterations()
        self.expect_word("return")
        return ast.For(start.position, iterations, self.expression())

    def quantified(self) -> ast.Node:
        start = self.tok
        self.i += 1
        iterations = self.iterations()
        self.expect_word("satisfies")
        return ast.Quantified(start.position, start.text, iterations, self.expression())

    def function_definition(self) -> ast.Node:
        start = self.expect_word("function")
        self.expect_symbol("(")
        params: list[str] = []
        while not self.is_symbol(")"):
            params.append(self.take_name())
            if self.is_symbol(":"):
                self.i += 1
                self.type_spec()
            if self.is_symbol(","):
                self.i += 1
            elif not self.is_symbol(")"):
                raise self.error("expected ',' or ')' in the parameter list")
        self.i += 1
        if self.is_word("external"):
            self.i += 1
            body = self.expression()
            return ast.FunctionDefinition(start.position, tuple(params), body, external=True)
        return ast.FunctionDefinition(start.position, tuple(params), self.expression())

    def disjunction(self) -> ast.Node:
        left = self.conjunction()
        while self.is_word("or"):
            token = self.tok
            self.i += 1
            left = ast.Binary(token.position, "or", left, self.conjunction())
        return left

    def conjunction(self) -> ast.Node:
        left = self.comparison()
        while self.is_word("and"):
            token = self.tok
            self.i += 1
            left = ast.Binary(token.position, "and", left, self.comparison())
        return left

    def comparison(self) -> ast.Node:
        left = self.additive()
        while True:
            token = self.tok
            if token.kind == "symbol" and token.text in _COMPARISONS:
                self.i += 1
                left = ast.Binary(token.position, token.text, left, self.additive())
            elif self.is_word("between"):
                self.i += 1
                low = self.additive()
                self.expect_word("and")
                left = ast.Between(token.position, left, low, self.additive())
            elif self.is_word("in"):
                self.i += 1
                left = ast.In(token.position, left, self.positive_unary_tests())
            elif self.is_word("instance") and self.is_word("of", self.peek()):
                self.i += 2
                left = ast.InstanceOf(token.position, left, self.type_spec())
            else:
                return left

    def additive(self) -> ast.Node:
        left = self.multiplicative()
        while self.tok.kind == "symbol" and self.tok.text in ("+", "-"):
            token = self.tok
            self.i += 1
            left = ast.Binary(token.position, token.text, left, self.multiplicative())
        return left

    def multiplicative(self) -> ast.Node:
        left = self.exponentiation()
        while self.tok.kind == "symbol" and self.tok.text in ("*", "/"):
            token = self.tok
            self.i += 1
            left = ast.Binary(token.position, token.text, left, self.exponentiation())
        return left

    def exponentiation(self) -> ast.Node:
        left = self.unary()
        while self.is_symbol("**"):
            token = self.tok
            self.i += 1
            left = ast.Binary(token.position, "**", left, self.unary())
        return left

    def unary(self) -> ast.Node:
        if self.is_symbol("-"):
            token = self.tok
            self.i += 1
            self.enter()
            try:
                return ast.Unary(token.position, "-", self.unary())
            finally:
                self.depth -= 1
        return self.postfix()

    def postfix(self) -> ast.Node:
        node = self.primary()
        while True:
            token = self.tok
            if self.is_symbol("."):
                self.i += 1
                if self.tok.kind == "string":  # tolerate ctx."key"
                    name = str(self.tok.value)
                    self.i += 1
                else:
                    name = self.take_name(allow_keyword_start=True)
                node = ast.Path(token.position, node, name)
            elif self.is_symbol("[") and not self.in_range_end:
                self.i += 1
                saved, self.in_range_end = self.in_range_end, False
                condition = self.expression()
                self.in_range_end = saved
                self.expect_symbol("]")
                node = ast.Filter(token.position, node, condition)
            elif self.is_symbol("("):
                node = self.call(node)
            else:
                return node

    def call(self, callee: ast.Node) -> ast.Node:
        start = self.expect_symbol("(")
        args: list[ast.Node] = []
        named: list[tuple[str, ast.Node]] = []
        while not self.is_symbol(")"):
            run = self.word_run()
            colon = self.tokens[self.i + len(run)] if run else None
            if run and colon is not None and self.is_symbol(":", colon):
                name = " ".join(t.text for t in run)
                self.i += len(run) + 1
                named.append((name, self.expression()))
            else:
                if named:
                    raise self.error("positional arguments cannot follow named ones")
                args.append(self.expression())
            if self.is_symbol(","):
                self.i += 1
            elif not self.is_symbol(")"):
                raise self.error("expected ',' or ')' in the argument list")
        self.i += 1
        if named and args:
            raise self.error("mixing positional and named arguments", start)
        return ast.Call(start.position, callee, tuple(args), tuple(named) if named else None)

    # ------------------------------------------------------------ primary

    def primary(self) -> ast.Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return ast.Literal(tok.position, tok.value)
        if tok.kind == "string":
            self.i += 1
            return ast.Literal(tok.position, tok.value)
        if self.is_symbol("@"):
            self.i += 1
            if self.tok.kind != "string":
                raise self.error("'@' must be followed by a string literal")
            text = str(self.tok.value)
            self.i += 1
            return ast.TemporalLiteral(tok.position, text)
        if self.is_symbol("("):
            return self.parenthesised()
        if self.is_symbol("["):
            return self.bracketed()
        if self.is_symbol("]"):
            return self.range_from(tok, start_included=False)
        if self.is_symbol("{"):
            return self.context()
        if tok.kind == "name":
            if tok.text in ("true", "false"):
                self.i += 1
                return ast.Literal(tok.position, tok.text == "true")
            if tok.text == "null":
                self.i += 1
                return ast.Literal(tok.position, None)
            if tok.text in _TEXTUAL_START:
                return self.expression()
            if tok.text == "not" and self.is_symbol("(", self.peek()):
                self.i += 1
                return ast.Name(tok.position, "not")
            special = self.special_name(tok)
            if special is not None:
                return ast.Name(tok.position, special)
            return ast.Name(tok.position, self.take_name())
        if (
            self.is_symbol("<")
            or self.is_symbol(">")
            or self.is_symbol("<=")
            or self.is_symbol(">=")
        ):
            raise self.error("a comparison without a left operand is a unary test; use 'x in < 5'")
        raise self.error(f"unexpected {tok.text or 'end of expression'!r}")

    def parenthesised(self) -> ast.Node:
        start = self.expect_symbol("(")
        if self._starts_comparison_test():
            # DMN 1.5: "(< 10)" is the range of values below 10
            test = self.unary_test()
            self.expect_symbol(")")
            return self._range_of_test(test)
        saved, self.in_range_end = self.in_range_end, False
        try:
            inner = self.expression()
        finally:
            self.in_range_end = saved
        if self.is_symbol(".."):
            return self.range_rest(start, inner, start_included=False)
        self.expect_symbol(")")
        return inner

    def _range_of_test(self, test: ast.UnaryTest) -> ast.Node:
        operand = test.operand
        assert operand is not None
        bounds = {
            "<": (None, operand, False, False),
            "<=": (None, operand, False, True),
            ">": (operand, None, False, False),
            ">=": (operand, None, True, False),
            "==": (operand, operand, True, True),
        }.get(test.op)
        if bounds is None:
            raise self.error(f"'{test.op}' does not describe a range")
        low, high, low_in, high_in = bounds
        return ast.RangeLiteral(test.position, low, high, low_in, high_in)

    def bracketed(self) -> ast.Node:
        start = self.expect_symbol("[")
        if self.is_symbol("]"):
            self.i += 1
            return ast.ListLiteral(start.position, ())
        saved, self.in_range_end = self.in_range_end, False
        try:
            first = self.expression()
        finally:
            self.in_range_end = saved
        if self.is_symbol(".."):
            return self.range_rest(start, first, start_included=True)
        items = [first]
        while self.is_symbol(","):
            self.i += 1
            items.append(self.expression())
        self.expect_symbol("]")
        return ast.ListLiteral(start.position, tuple(items))

    def range_from(self, start: Token, *, start_included: bool) -> ast.Node:
        self.i += 1
        low = self.expression()
        return self.range_rest(start, low, start_included=start_included)

    def range_rest(self, start: Token, low: ast.Node, *, start_included: bool) -> ast.Node:
        self.expect_symbol("..")
        saved, self.in_range_end = self.in_range_end, True
        try:
            high = self.expression()
        finally:
            self.in_range_end = saved
        if self.is_symbol("]"):
            end_included = True
        elif self.is_symbol(")") or self.is_symbol("["):
            end_included = False
        else:
            raise self.error("expected ']', ')' or '[' to close the range")
        self.i += 1
        return ast.RangeLiteral(start.position, low, high, start_included, end_included)

    def context(self) -> ast.Node:
        start = self.expect_symbol("{")
        entries: list[tuple[str, ast.Node]] = []
        while not self.is_symbol("}"):
            if self.tok.kind == "string":
                key = str(self.tok.value)
                self.i += 1
            elif self._raw_key_end() is not None:
                # DMN names may hold "+-*/." ("{foo+bar: 1}"): the key is the source text
                end = self._raw_key_end()
                assert end is not None
                key = " ".join(self.source[self.tok.position : self.tokens[end].position].split())
                self.i = end
            else:
                key = self.take_name(allow_keyword_start=True)
                # keys may run over keywords ("some key") up to the colon
                while self.tok.kind == "name":
                    key += " " + self.tok.text
                    self.i += 1
            self.expect_symbol(":")
            entries.append((key, self.expression()))
            if self.is_symbol(","):
                self.i += 1
            elif not self.is_symbol("}"):
                raise self.error("expected ',' or '}' in the context")
        self.i += 1
        return ast.ContextLiteral(start.position, tuple(entries))

    def _raw_key_end(self) -> int | None:
        """Index of the ':' ending a context key made of names joined by operator
        characters (``foo+bar``, ``a-b``); None for any other key."""
        j, seen_symbol = self.i, False
        while j < len(self.tokens):
            token = self.tokens[j]
            if token.kind == "symbol" and token.text == ":":
                return j if seen_symbol and j > self.i else None
            if token.kind == "name" or (token.kind == "number" and j > self.i):
                j += 1
                continue
            if token.kind == "symbol" and token.text in ("+", "-", "*", "/", ".") and j > self.i:
                seen_symbol = True
                j += 1
                continue
            return None
        return None

    # --------------------------------------------------------- unary tests

    def positive_unary_tests(self) -> tuple[ast.UnaryTest, ...]:
        if self.is_symbol("("):
            start = self.tok
            self.i += 1
            if self._starts_comparison_test() or self.is_symbol("["):
                tests = [self.unary_test()]
            else:
                first = self.expression()
                if self.is_symbol(".."):
                    node = self.range_rest(start, first, start_included=False)
                    return (ast.UnaryTest(start.position, "=", node),)
                tests = [ast.UnaryTest(first.position, "=", first)]
            while self.is_symbol(","):
                self.i += 1
                tests.append(self.unary_test())
            self.expect_symbol(")")
            return tuple(tests)
        return (self.unary_test(),)

    def unary_tests(self) -> tuple[ast.UnaryTest, ...] | None:
        """A whole decision table cell: ``-``, ``not(t, …)`` or ``t, …`` where each test
        is a comparison (``< 5``), a range, or any expression (DMN 1.2+: compared with
        the input, or a boolean using ``?``)."""
        if self.is_symbol("-") and self.peek().kind == "eof":
            return None
        if self.is_word("not") and self.is_symbol("(", self.peek()):
            saved = self.i
            test = self.unary_test()
            if self.tok.kind == "eof":
                return (test,)
            self.i = saved  # "not(a) or b": an expression that starts with a call of not
        tests = [self._cell_test()]
        while self.is_symbol(","):
            self.i += 1
            tests.append(self._cell_test())
        if self.tok.kind != "eof":
            raise self.error(f"unexpected {self.tok.text!r}")
        return tuple(tests)

    def _cell_test(self) -> ast.UnaryTest:
        if self._starts_comparison_test():
            return self.unary_test()
        node = self.expression()
        return ast.UnaryTest(node.position, "=", node)

    def _starts_comparison_test(self) -> bool:
        return self.tok.kind == "symbol" and self.tok.text in ("<", "<=", ">", ">=", "=", "!=")

    def unary_test(self) -> ast.UnaryTest:
        tok = self.tok
        if self._starts_comparison_test():
            self.i += 1
            op = "==" if tok.text == "=" else tok.text
            return ast.UnaryTest(tok.position, op, self.additive())
        if self.is_word("not") and self.is_symbol("(", self.peek()):
            self.i += 2
            tests = [self.unary_test()]
            while self.is_symbol(","):
                self.i += 1
                tests.append(self.unary_test())
            self.expect_symbol(")")
            return ast.UnaryTest(tok.position, "not", None, tuple(tests))
        return ast.UnaryTest(tok.position, "=", self.additive())

    # --------------------------------------------------------------- types

    def type_spec(self) -> ast.TypeSpec:
        run = self.word_run()
        if not run:
            raise self.error("expected a type name")
        words: list[str] = []
        best = 1
        for k, token in enumerate(run, start=1):
            words.append(token.text)
            if " ".join(words) in TYPE_NAMES:
                best = k
        name = " ".join(t.text for t in run[:best])
        self.i += best
        if name in ("list", "range") and self.is_symbol("<"):
            self.i += 1
            inner = self.type_spec()
            self.expect_symbol(">")
            return ast.TypeSpec(name, (inner,))
        if name == "context" and self.is_symbol("<"):
            self.i += 1
            fields: list[tuple[str, ast.TypeSpec]] = []
            while not self.is_symbol(">"):
                key = self.take_name(allow_keyword_start=True)
                self.expect_symbol(":")
                fields.append((key, self.type_spec()))
                if self.is_symbol(","):
                    self.i += 1
            self.i += 1
            return ast.TypeSpec(name, fields=tuple(fields))
        if name == "function" and self.is_symbol("<"):
            self.i += 1
            params: list[ast.TypeSpec] = []
            while not self.is_symbol(">"):
                params.append(self.type_spec())
                if self.is_symbol(","):
                    self.i += 1
            self.i += 1
            self.expect_symbol("->")
            return ast.TypeSpec(name, tuple(params), result=self.type_spec())
        return ast.TypeSpec(name)


def parse_unary_tests(source: str, names: Iterable[str] = ()) -> tuple[ast.UnaryTest, ...] | None:
    """Parse the unary tests of a decision table cell (None for ``-``, which matches
    anything); a negation ``not(…)`` is one test of op ``"not"``."""
    try:
        return Parser(source, names).unary_tests()
    except RecursionError as exc:
        raise ExpressionSyntaxError("the expression nests too deeply", source=source) from exc


def parse(source: str, names: Iterable[str] = ()) -> ast.Node:
    """Parse a FEEL expression; ``names`` declares multi-word names containing keywords."""
    try:
        return Parser(source, names).parse()
    except RecursionError as exc:  # a safety net; MAX_DEPTH normally stops first
        raise ExpressionSyntaxError("the expression nests too deeply", source=source) from exc
