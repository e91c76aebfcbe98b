"""Unit tests of the non-temporal FEEL built-ins (lib_strings, lib_lists, lib_numbers,
lib_conversions, lib_contexts, lib_ranges), called directly through the dispatcher."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from expressions.errors import LimitExceeded
from expressions.feel import (
    lib_contexts,
    lib_conversions,
    lib_lists,
    lib_numbers,
    lib_ranges,
    lib_strings,
)
from expressions.feel.functions import CallEnv, call_builtin
from expressions.feel.values import FeelFunction, FeelRange
from expressions.limits import Budget, Limits

assert lib_contexts and lib_conversions and lib_lists and lib_numbers and lib_ranges
assert lib_strings

D = Decimal


def call(name: str, *args: Any, **named: Any) -> Any:
    """``name(args)`` or ``name(named)``; named keys use ``_`` for spaces."""
    named_args = {k.replace("_", " "): v for k, v in named.items()} if named else None
    return call_builtin(name, list(args), named_args, CallEnv(Budget()))


def nums(*values: int | str) -> list[Decimal]:
    return [D(v) for v in values]


class Fn(FeelFunction):
    def __init__(self, params: tuple[str, ...], body: Any) -> None:
        self.params = params
        self.body = body

    def invoke(self, positional: Sequence[Any], named: dict[str, Any] | None = None) -> Any:
        return self.body(*positional)


# ------------------------------------------------------------------ strings


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("foobar", D(3)), "obar"),
        (("foobar", D(3), D(3)), "oba"),
        (("foobar", D(-2), D(1)), "a"),
        (("foobar", D(-6), D(6)), "foobar"),
        (("foobar", D(6)), "r"),
        (("foobar", D(7)), ""),
        (("foobar", D(1), D(10)), "foobar"),
        (("foobar", D(0)), None),
        (("foobar", D(-7)), None),
        (("foobar", D(1), D(-1)), None),
        (("\U0001f40efoo", D(2)), "foo"),
        (("\ud83d\udc0efoo", D(2)), "foo"),
        ((None, D(1)), None),
        (("foo", "1"), None),
    ],
)
def test_substring(args: tuple[Any, ...], expected: Any) -> None:
    assert call("substring", *args) == expected


def test_substring_named() -> None:
    assert call("substring", string="foobar", start_position=D(3)) == "obar"


def test_simple_string_functions() -> None:
    assert call("string length", "\U0001f40e\U0001f600") == 2
    assert call("string length", "") == 0
    assert call("string length", D(1)) is None
    assert call("upper case", "abc") == "ABC"
    assert call("lower case", "ABC") == "abc"
    assert call("upper case", None) is None
    assert call("substring before", "foobar", "bar") == "foo"
    assert call("substring before", "foobar", "x") == ""
    assert call("substring before", "abc", "") == ""
    assert call("substring after", "foobar", "o") == "obar"
    assert call("substring after", "abc", "") == "abc"
    assert call("substring after", "foobar", "x") == ""
    assert call("contains", "foobar", "ob") is True
    assert call("contains", "", "") is True
    assert call("contains", None, "a") is None
    assert call("starts with", "foobar", "fo") is True
    assert call("ends with", "foobar", "ar") is True
    assert call("ends with", "foobar", "x") is False


def test_string_join() -> None:
    assert call("string join", ["a", "b", "c"]) == "abc"
    assert call("string join", ["a", None, "c"], "X") == "aXc"
    assert call("string join", [], "X") == ""
    assert call("string join", "a", "X") == "a"
    assert call("string join", None) is None
    assert call("string join", ["a", D(1)]) is None
    assert call("string join", delimiter="X", list=["a", "c"]) == "aXc"
    assert call("string join", lst=["a"]) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("abcd", "(ab)|(a)", "[1=$1][2=$2]"), "[1=ab][2=]cd"),
        (("abracadabra", "a(.)", "a$1$1"), "abbraccaddabbra"),
        (("0123456789", r"(\d{3})(\d{3})(\d{4})", "($1) $2-$3"), "(012) 345-6789"),
        (("reluctant", "r.*?t", "X"), "Xant"),
        (("abc", "[A-Z]", "#", "i"), "###"),
        (("a b c d ", "[a-z]", "#", "x"), "# # # # "),
        (("abc", ".^[d-z]*", "smix"), "abc"),
        (("a.b", ".", "X", "q"), "aXb"),
        (("abc", "(b)", r"\$1"), "a$1c"),
        (("abc", "(b)", "$10"), "ab0c"),
        (("abc", "b", "$"), None),
        (("abc", "b", "\\x"), None),
        (("abc", "x*", "-"), None),
        (("abc", "b", "X", "p"), None),
        (("abc", "[", "X"), None),
    ],
)
def test_replace(args: tuple[Any, ...], expected: Any) -> None:
    assert call("replace", *args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("abracadabra", "bra", None), True),
        (("Mary\rJones", "Mary.Jones"), False),
        (("Mary\rJones", "Mary.Jones", "s"), True),
        (("abc", "ABC", "i"), True),
        (("\u212a", "k", "i"), True),
        (("x", "[A-Z-[OI]]", "i"), True),
        (("O", "[A-Z-[OI]]", "i"), False),
        (("e", "[a-z-[aeiou-[e]]]"), True),
        (("q", "[^Q]", "i"), False),
        (("hello world", r"hello\ sworld", "x"), True),
        (("hello world", r"\p{ IsBasicLatin}+", "x"), True),
        (("hello world", r"\p{ IsBasicLatin}+"), None),
        (("Hello", r"^\p{Lu}\p{Ll}+$"), True),
        (("x$y", r"^\w+$"), True),  # XML Schema \w includes symbols...
        (("x_y", r"^\w+$"), False),  # ...and excludes punctuation such as '_'
        (("abc\n", "abc$"), False),
        (("abc\ndef", "abc$", "m"), True),
        (("aab", r"(a)\1b"), None),  # back-references are refused (regex_guard)
        (("input", r"\3"), None),
        (("abcd", r"(asd)[\1]"), None),
        (("abcd", r"1[asd\0]"), None),
        (("ab", "(?=a)"), None),
        (("ab", r"\b"), None),
        (("a{", "a{"), None),
        (("-", "[a-]"), True),
        (("input", "pattern", "X"), None),
        (("input", "pattern", []), None),
    ],
)
def test_matches(args: tuple[Any, ...], expected: Any) -> None:
    assert call("matches", *args) is expected


def test_split_and_extract() -> None:
    assert call("split", "John Doe", r"\s") == ["John", "Doe"]
    assert call("split", "a;b;c;;", ";") == ["a", "b", "c", "", ""]
    assert call("split", "foo", None) is None
    assert call("split", "foo", "x*") is None
    assert call("split", delimiter=",", str="a,b") is None
    assert call("extract", "references are 1234, 1256, 1378", "12[0-9]*") == ["1234", "1256"]


# ------------------------------------------------------------------ lists


def test_list_basics() -> None:
    assert call("list contains", ["a", None], None) is True
    assert call("list contains", nums(1, 2), D("2.0")) is True
    assert call("count", nums(1, 2, 3)) == 3
    assert call("min", nums(3, 1, 2)) == 1
    assert call("max", D(1), D(3), D(2)) == 3
    assert call("max", ["a", "c", "b"]) == "c"
    assert call("max", []) is None
    assert call("max", [D(1), "a"]) is None
    assert call("sum", nums(6, 14, -3)) == 17
    assert call("sum", D(1), D(2)) == 3
    assert call("sum", []) is None
    assert call("mean", nums(1, 2, 3, 4)) == D("2.5")
    assert call("mean", []) is None
    assert call("mean", ["a"]) is None
    assert call("sublist", ["a", "b", "c"], D(1), D(2)) == ["a", "b"]
    assert call("sublist", ["a", "b", "c"], D(-1), D(1)) == ["c"]
    assert call("sublist", ["a", "b", "c"], D(4)) is None
    assert call("append", nums(1), D(2), D(3)) == nums(1, 2, 3)
    assert call("append", [["a"]], ["b"]) == [["a"], ["b"]]
    assert call("concatenate", nums(1, 2), nums(3)) == nums(1, 2, 3)
    assert call("insert before", ["a", "b"], D(2), "x") == ["a", "x", "b"]
    assert call("insert before", ["a", "b"], D(-1), "x") == ["a", "x", "b"]
    assert call("insert before", ["a", "b"], D(3), "x") is None
    assert call("remove", ["a", "b", "c"], D(2)) == ["a", "c"]
    assert call("reverse", nums(1, 2, 3)) == nums(3, 2, 1)
    assert call("index of", nums(1, 2, 3, 2), D(2)) == nums(2, 4)
    assert call("union", nums(1, 2), nums(2, 3)) == nums(1, 2, 3)
    assert call("distinct values", [D(1), True, D(1), True, [D(1)], [D(1)]]) == [
        D(1),
        True,
        [D(1)],
    ]
    assert call("flatten", [["a", ["b"]], [["c"]], "d"]) == ["a", "b", "c", "d"]
    assert call("is empty", []) is True


def test_statistics() -> None:
    assert call("product", nums(6, 3, 9, 6, 6)) == 5832
    assert call("product", D(6)) == 6
    assert call("product", []) is None
    assert call("product", [D(1), None]) is None
    assert call("product") is None
    assert call("median", nums(8, 2, 5, 3, 4)) == 4
    assert call("median", nums(6, 1, 2, 3)) == D("2.5")
    assert call("median", D(8), D(2), D(5), D(7)) == 6
    assert call("median", []) is None
    assert call("median", None) is None
    assert call("median") is None
    stddev = call("stddev", nums(2, 4, 7, 5))
    assert str(stddev).startswith("2.081665999466132735282297706979")
    assert call("stddev", nums(47)) is None
    assert call("stddev", list=nums(2, 4, 7, 5)) == stddev
    assert call("stddev", l=nums(2, 4, 7, 5)) is None
    assert call("mode", nums(3, 6, 1, 9, 6, 1, 3)) == nums(1, 3, 6)
    assert call("mode", D(6)) == nums(6)
    assert call("mode", []) == []
    assert call("mode", [D(1), "foo"]) is None


def test_all_any() -> None:
    assert call("all", []) is True
    assert call("all", True) is True
    assert call("all", True, None, True) is None
    assert call("all", [False, None]) is False
    assert call("all", [True, D(123)]) is None
    assert call("all", list=[True, False]) is False
    assert call("all", l=[True]) is None
    assert call("any", [False, False]) is False
    assert call("any", [None, True]) is True
    assert call("any", list=[None, False]) is None
    assert call("any", None) is None
    assert call("any") is None
    assert call("and", [True, True]) is True
    assert call("or", False, True) is True


def test_sort() -> None:
    assert call("sort", nums(3, 1, 2)) == nums(1, 2, 3)
    assert call("sort", [D(1), "a"]) is None
    desc = Fn(("x", "y"), lambda x, y: x > y)
    assert call("sort", nums(3, 1, 2), desc) == nums(3, 2, 1)
    assert call("sort", list=nums(3, 1, 2), precedes=desc) == nums(3, 2, 1)
    assert call("sort", nums(3, 1), Fn(("x",), lambda x: True)) is None


def test_list_replace() -> None:
    assert call("list replace", nums(1, 2, 3), D(2), D(4)) == nums(1, 4, 3)
    assert call("list replace", nums(1, 2, 3), D(-1), D(4)) == nums(1, 2, 4)
    assert call("list replace", nums(1, 2, 3), D("-1.5"), D(4)) == nums(1, 2, 4)
    assert call("list replace", nums(1, 2, 3), D(-4), D(4)) is None
    assert call("list replace", nums(1, 2, 3), "2", D(4)) is None
    assert call("list replace", nums(1, 2, 3), D(3), None) == [D(1), D(2), None]
    less = Fn(("item", "newItem"), lambda item, new: item < new)
    assert call("list replace", nums(2, 4, 7, 8), less, D(5)) == nums(5, 5, 7, 8)
    assert call("list replace", position=D(2), newItem=D(4), list=nums(1, 2, 3)) == nums(1, 4, 3)
    two = Fn(("item", "newItem"), lambda item, new: item == 2)
    assert call("list replace", match=two, newItem=D(4), list=nums(1, 2, 3)) == nums(1, 4, 3)
    assert call("list replace", nums(2), Fn(("item",), lambda item: True), D(5)) is None


def test_collection_limit() -> None:
    env = CallEnv(Budget(Limits(max_collection=10)))
    with pytest.raises(LimitExceeded):
        call_builtin("append", [[D(0)] * 10, D(1)], None, env)


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("decimal", (D(1) / D(3), D(2)), D("0.33")),
        ("decimal", (D(1) / D(3), D("2.5")), D("0.33")),
        ("decimal", (D("0.515"), D(2)), D("0.52")),
        ("decimal", (D("0.525"), D(2)), D("0.52")),
        ("floor", (D("-1.5"),), D(-2)),
        ("floor", (D("-1.56"), D(1)), D("-1.6")),
        ("floor", (D("1.56"), None), None),
        ("ceiling", (D("-1.5"),), D(-1)),
        ("ceiling", (D("-1.56"), D(1)), D("-1.5")),
        ("round up", (D("-1.126"), D(2)), D("-1.13")),
        ("round up", (D("5.5"), D(6176)), D("5.5")),
        ("round up", (D("5.5"), D(6177)), None),
        ("round down", (D("-5.5"), D(0)), D(-5)),
        ("round down", (D("5.5"), D(-6112)), None),
        ("round half up", (D("-5.5"), D(0)), D(-6)),
        ("round half down", (D("5.5"), D(0)), D(5)),
        ("round half down", (D("-1.126"), D(2)), D("-1.13")),
        ("round half up", (D(1234), D(-2)), D(1200)),
        ("abs", (D(-1),), D(1)),
        ("abs", ("-1",), None),
        ("modulo", (D(12), D(5)), D(2)),
        ("modulo", (D(-12), D(5)), D(3)),
        ("modulo", (D(12), D(-5)), D(-3)),
        ("modulo", (D(-12), D(-5)), D(-2)),
        ("modulo", (D("10.1"), D("4.5")), D("1.1")),
        ("modulo", (D("-10.1"), D("-4.5")), D("-1.1")),
        ("modulo", (D(10), D(0)), None),
        ("modulo", (D("1E+40"), D(7)), D(4)),
        ("sqrt", (D(4),), D(2)),
        ("sqrt", (D(-1),), None),
        ("sqrt", (D(2),), D("1.414213562373095048801688724209698")),
        ("log", (D(0),), None),
        ("exp", (D(0),), D(1)),
        ("even", (D(-2),), True),
        ("odd", (D(-1),), True),
        ("odd", (D("1.5"),), None),
        ("even", (D("1E+40"),), True),
        ("even", (True,), None),
    ],
)
def test_numbers(name: str, args: tuple[Any, ...], expected: Any) -> None:
    assert call(name, *args) == expected


def test_number_named_parameters() -> None:
    assert call("round up", n=D("5.5"), scale=D(0)) == 6
    assert call("round up", scale=D(0)) is None
    assert call("decimal", n=D(15) / D(7), scale=D(3)) == D("2.143")
    assert call("abs", n=D(-1)) == 1
    assert call("abs", number=D(-1)) is None
    assert call("sqrt", n=D(4)) is None
    assert call("log", number=D(1)) == 0
    assert call("modulo", dividend=D(10), divisor=D(4)) == 2
    assert call("floor", n=D("1.5"), scal=D(1)) is None


def test_exp_and_log_precision() -> None:
    assert str(call("exp", D(4))).startswith("54.5981500331442390781102612028")
    assert str(call("log", D(4))).startswith("1.38629436111989061883446424291")


def test_abs_of_durations() -> None:
    from expressions.feel import temporal

    day = temporal.DayTimeDuration(D(-86400))
    assert call("abs", day) == temporal.DayTimeDuration(D(86400))
    assert call("abs", temporal.YearMonthDuration(-12)) == temporal.YearMonthDuration(12)


# -------------------------------------------------------------- conversions


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("1.000.000,01", ".", ","), D("1000000.01")),
        (("1 000 000.01", " ", "."), D("1000000.01")),
        (("1,000,000.01", " ", "."), None),
        (("1,000,000.01", ":", "."), None),
        (("1,000,000.01", ",", D(123)), None),
        (("1000000.01", None, "."), D("1000000.01")),
        (("1,000,000", ",", None), D(1000000)),
        (("1,000,000.00", ".", "."), None),
        ((D(123), ".", "."), None),
        (("foo,bar.001", ".", ","), None),
        (("1.000.000,01", "."), None),
        (("-12.5",), D("-12.5")),
        (("",), None),
    ],
)
def test_number(args: tuple[Any, ...], expected: Any) -> None:
    assert call("number", *args) == expected


def test_string() -> None:
    assert call("string", D(2)) == "2"
    assert call("string", D("1.10")) == "1.10"
    assert call("string", D("1E+3")) == "1000"
    assert call("string", D("1E-5")) == "0.00001"
    assert call("string", D("-0")) == "0"
    assert call("string", "foo") == "foo"
    assert call("string", True) == "true"
    assert call("string", None) is None
    assert call("string", [D(1), "a", None]) == '[1, "a", null]'
    assert call("string", {"a": D(1)}) == "{a: 1}"
    assert call("string", FeelRange(D(1), D(10), True, False)) == "[1..10)"
    assert call("string", FeelRange(None, D(10), False, False)) == "< 10"


def test_not() -> None:
    assert call("not", True) is False
    assert call("not", False) is True
    assert call("not", None) is None
    assert call("not", D(0)) is None


# ------------------------------------------------------------------ contexts


def test_contexts() -> None:
    assert call("get value", {"a": "foo"}, "a") == "foo"
    assert call("get value", {"a": "foo"}, "b") is None
    assert call("get value", {"a": "foo"}, D(1)) is None
    assert call("get value", m={"a": "foo"}, key="a") == "foo"
    assert call("get value", k="a", m={"a": "foo"}) is None
    assert call("get entries", {"a": "foo", "b": "bar"}) == [
        {"key": "a", "value": "foo"},
        {"key": "b", "value": "bar"},
    ]
    assert call("get entries", [D(1)]) is None
    assert call("context", [{"key": "a", "value": D(1)}, {"key": "b", "value": D(2)}]) == {
        "a": D(1),
        "b": D(2),
    }
    assert call("context", {"key": "a", "value": None}) == {"a": None}
    assert call("context", {"key": "a"}) is None
    assert call("context", {"key": None, "value": D(1)}) is None
    assert call("context", [{"key": "a", "value": 1}, {"key": "a", "value": 2}]) is None
    assert call("context", entries=[{"key": "a", "value": D(1), "x": "y"}]) == {"a": D(1)}


def test_context_put_and_merge() -> None:
    base = {"a": D(1), "b": D(2), "c": D(3)}
    assert list(call("context put", base, "b", D(9)).items()) == [
        ("a", D(1)),
        ("b", D(9)),
        ("c", D(3)),
    ]
    assert base["b"] == 2
    assert call("context put", {}, None, D(1)) is None
    assert call("context put", None, "a", D(1)) is None
    assert call("context put", context={}, key="a", value=D(1)) == {"a": D(1)}
    assert call("context put", context={}, ky="a", value=D(1)) is None
    nested = {"x": D(1), "y": {"a": D(0)}}
    assert call("context put", nested, ["y", "a"], D(2)) == {"x": D(1), "y": {"a": D(2)}}
    assert call("context put", nested, ["y", "b"], D(2)) == {
        "x": D(1),
        "y": {"a": D(0), "b": D(2)},
    }
    assert call("context put", nested, [], D(2)) is None
    assert call("context put", nested, [None, "a"], D(2)) is None
    assert call("context put", nested, ["y", "a", "b"], D(2)) is None
    assert call("context put", context=nested, keys=["y", "a"], value=D(2)) is not None
    assert call("context merge", [{"a": D(1)}, {"b": D(2)}]) == {"a": D(1), "b": D(2)}
    assert call("context merge", [{"a": {"aa": 1}}, {"a": {"bb": 2}}]) == {"a": {"bb": 2}}
    assert call("context merge", contexts={"a": D(1)}) == {"a": D(1)}
    assert call("context merge", [{"a": D(1)}, D(2)]) is None
    assert call("context merge", None) is None


# ------------------------------------------------------------------ ranges


def rng(start: Any, end: Any, start_in: bool = True, end_in: bool = True) -> FeelRange:
    return FeelRange(start, end, start_in, end_in)


def test_range_function() -> None:
    assert call("range", "[18..21]") == rng(D(18), D(21))
    assert call("range", "]18..21]") == rng(D(18), D(21), False, True)
    assert call("range", "[18..21[") == rng(D(18), D(21), True, False)
    assert call("range", " [ 1 .. 3 ] ") == rng(D(1), D(3))
    assert call("range", '["a".."c"]') == rng("a", "c")
    assert call("range", "[-2..-1)") == rng(D(-2), D(-1), True, False)
    assert call("range", "[..2]") is None
    assert call("range", "") is None
    assert call("range", ">=10") is None
    assert call("range", '[1.."b"]') is None
    assert call("range", "[3..1]") is None
    assert call("range", '["z".."a"]') is None
    assert call("range", "[x..2]") is None
    assert call("range", fron="[1..3]") is None


ALLEN: list[tuple[str, Any, Any, bool]] = [
    ("before", D(1), D(10), True),
    ("before", D(10), D(1), False),
    ("before", D(1), rng(D(2), D(5)), True),
    ("before", D(1), rng(D(1), D(5), False), True),
    ("before", D(1), rng(D(1), D(5)), False),
    ("before", rng(D(1), D(10)), D(10), False),
    ("before", rng(D(1), D(10), True, False), D(10), True),
    ("before", rng(D(1), D(10)), rng(D(15), D(20)), True),
    ("before", rng(D(1), D(10)), rng(D(10), D(20)), False),
    ("before", rng(D(1), D(10), True, False), rng(D(10), D(20)), True),
    ("after", D(10), D(1), True),
    ("after", D(12), rng(D(2), D(5)), True),
    ("after", rng(D(11), D(20)), D(10), True),
    ("after", rng(D(10), D(20), False), D(10), True),
    ("after", rng(D(11), D(20)), rng(D(1), D(10)), True),
    ("after", rng(D(1), D(20)), rng(D(1), D(10)), False),
    ("meets", rng(D(1), D(5)), rng(D(5), D(10)), True),
    ("meets", rng(D(1), D(5), True, False), rng(D(5), D(10)), False),
    ("met by", rng(D(5), D(10)), rng(D(1), D(5)), True),
    ("overlaps", rng(D(1), D(5)), rng(D(3), D(8)), True),
    ("overlaps", rng(D(1), D(5)), rng(D(6), D(8)), False),
    ("overlaps", rng(D(1), D(5)), rng(D(5), D(8)), True),
    ("overlaps", rng(D(1), D(5), True, False), rng(D(5), D(8)), False),
    ("overlaps before", rng(D(1), D(5)), rng(D(3), D(8)), True),
    ("overlaps before", rng(D(1), D(5)), rng(D(1), D(8)), False),
    ("overlaps after", rng(D(3), D(8)), rng(D(1), D(5)), True),
    ("overlaps after", rng(D(1), D(8)), rng(D(1), D(5)), False),
    ("finishes", D(10), rng(D(1), D(10)), True),
    ("finishes", D(10), rng(D(1), D(10), True, False), False),
    ("finishes", rng(D(3), D(10)), rng(D(1), D(10)), True),
    ("finished by", rng(D(1), D(10)), D(10), True),
    ("finished by", rng(D(1), D(10)), rng(D(3), D(10)), True),
    ("includes", rng(D(1), D(10)), D(5), True),
    ("includes", rng(D(1), D(10), False), D(1), False),
    ("includes", rng(D(1), D(10)), rng(D(4), D(6)), True),
    ("includes", rng(D(5), D(10)), rng(D(1), D(6)), False),
    ("during", D(5), rng(D(1), D(10)), True),
    ("during", rng(D(4), D(6)), rng(D(1), D(10)), True),
    ("starts", D(1), rng(D(1), D(10)), True),
    ("starts", rng(D(1), D(5)), rng(D(1), D(10)), True),
    ("starts", rng(D(1), D(5), False), rng(D(1), D(10)), False),
    ("started by", rng(D(1), D(10)), D(1), True),
    ("started by", rng(D(1), D(10)), rng(D(1), D(5)), True),
    ("coincides", D(5), D(5), True),
    ("coincides", rng(D(1), D(5)), rng(D(1), D(5)), True),
    ("coincides", rng(D(1), D(5)), rng(D(1), D(5), False), False),
    ("before", rng(None, D(5), False, False), D(5), True),
    ("includes", rng(D(5), None, True, False), D(1000), True),
    ("after", D(3), rng(None, D(5), False, False), False),
]


@pytest.mark.parametrize(("name", "a", "b", "expected"), ALLEN)
def test_allen_functions(name: str, a: Any, b: Any, expected: bool) -> None:
    assert call(name, a, b) is expected


def test_allen_functions_null_and_named() -> None:
    assert call("before", D(1), "a") is None
    assert call("before", None, D(1)) is None
    assert call("meets", D(1), D(2)) is None
    assert call("includes", rng(D(1), D(5)), rng("a", "b")) is None
    assert call("before", point1=D(1), point2=D(2)) is True
    assert call("before", point=D(1), range=rng(D(2), D(3))) is True
    assert call("during", range1=rng(D(2), D(3)), range2=rng(D(1), D(4))) is True
    assert call("finishes", point=D(3), range=rng(D(1), D(3))) is True


def test_deep_inputs_are_null_not_crashes() -> None:
    assert call("matches", "a", "(" * 3000 + "a" + ")" * 3000) is None
    assert call("matches", "a", "x" * 20_000) is None
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    assert call("flatten", deep) is None
    assert call("string", deep) is None
