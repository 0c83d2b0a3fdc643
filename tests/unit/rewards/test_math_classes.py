"""One test per class of answers the held-out cases (`test_math_heldout.py`) found graded wrong:
each class by a few members, right and near-miss, so that a regression names its class."""

from __future__ import annotations

from fractions import Fraction

import pytest
from nova_rewards.dimensions import Sample, ScoringContext, get_dimension_class
from nova_rewards.mathparse import answers_equal, extract_answer, parse_number


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("2x", "2", False),  # a coefficient is not the number
        ("2 y", "2", False),
        ("2i", "2", False),
        ("5e", "5", False),
        ("\\frac{1}{2} x", "\\frac{1}{2}", False),
        ("10 - x", "10", False),
        ("5 times x", "5", False),
        ("5 more than x", "5", False),
        ("5 squared", "5", False),
        ("3 times", "3", True),  # "how many times?": a count, not a product
        ("5 more apples", "5", True),
        ("3 more cups than Tom", "3", True),
        ("5 m", "5", True),  # metres, seconds, grams, hours are units, not variables
        ("5 s", "5", True),
        ("64 \\text{ ft}^2", "64", True),  # a unit's exponent is not the number's
        ("3 \\text{ m}^2", "3", True),
        ("8 m^3", "8", True),
        ("under 12", "12", False),  # a bound, not the value
        ("just under 12", "12", False),
        ("almost 12", "12", False),
        ("nearly 12", "12", False),
        ("12 max", "12", False),
        ("12 minimum", "12", False),
        ("12 min", "12", True),  # minutes
    ],
)
def test_a_word_or_letter_that_changes_the_value_is_not_a_unit(
    answer: str, reference: str, expected: bool
) -> None:
    assert (answers_equal(answer, reference) is True) is expected  # None: not decided here, not credited


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("5 thousand", 5000),
        ("\\$2.5 million", 2_500_000),
        ("two million", 2_000_000),
        ("five hundred", 500),
        ("twenty-five", 25),
        ("twenty one", 21),
        ("three apples", 3),
        ("negative 7", -7),
        ("3½", Fraction(7, 2)),
        ("0.\\overline{3}", Fraction(1, 3)),
        ("0.1\\overline{6}", Fraction(1, 6)),
        ("0.\\overline{18}", Fraction(2, 11)),
        ("0.\\bar{3}", Fraction(1, 3)),
        ("0.1(6)", Fraction(1, 6)),  # the repetend in parentheses
        ("0.333...", Fraction(1, 3)),
        ("0.1666\\ldots", Fraction(1, 6)),
        ("0.142857142857...", Fraction(1, 7)),
    ],
)
def test_numbers_written_with_words_scales_and_repetends(answer: str, value: Fraction) -> None:
    number = parse_number(answer)
    assert number is not None and number.value == value


@pytest.mark.parametrize("answer", ["three or four", "5 thousand or 6 thousand", "0.33..."])
def test_what_is_not_one_exact_number(answer: str) -> None:
    number = parse_number(answer)
    assert number is None or number.value != Fraction(1, 3)
    assert answers_equal(answer, "3") is not True


def test_a_repeating_decimal_is_exact_and_a_truncated_one_is_not() -> None:
    assert answers_equal("0.333...", "\\frac{1}{3}") is True
    assert answers_equal("0.333...", "0.333") is False  # it goes on: it is not 0.333
    assert answers_equal("0.\\overline{6}", "\\frac{1}{3}") is False


@pytest.mark.parametrize(
    ("response", "answer"),
    [
        ("**Final Answer**\n\n72", "72"),
        ("# Solution\n48 + 24 = 72\n\n## Answer\n\n72", "72"),
        ("### Final Answer\n72 clips", "72 clips"),
        ("The answer is:\n\n$$\n72\n$$", "$$ 72 $$"),
        ("The final answer is\n\\[\n72\n\\]", "\\[ 72 \\]"),
        ("The answer is 0.333... (repeating).", "0.333... (repeating)"),
        ("The answer is $8$, since $4 \\times 2 = 8$.", "$8$"),
        ("The answer is 8 because 4 × 2 = 8 and not 6.", "8"),
        ("Final answer: 48 (not 42)", "48"),
        ("<answer>The answer is 48.</answer>", "48"),
        ("The answer is **48** apples.", "48 apples"),
    ],
)
def test_where_the_answer_is_written(response: str, answer: str) -> None:
    assert extract_answer(response, fallback_last_number=False).answer == answer


def test_a_heading_alone_or_a_marker_far_above_its_answer_gives_nothing() -> None:
    assert extract_answer("## Answer\n", fallback_last_number=False).answer is None
    assert extract_answer("The answer is:\n\n\n\n\n\n5", fallback_last_number=False).answer is None


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("x < 3", "(-\\infty, 3)", True),
        ("x \\le 3", "(-\\infty, 3)", False),
        ("x > 3", "(-\\infty, 3)", False),
        ("x < -2 \\text{ or } x > 2", "(-\\infty, -2) \\cup (2, \\infty)", True),
        ("x \\le -2 \\text{ or } x > 2", "(-\\infty, -2) \\cup (2, \\infty)", False),
        ("x \\neq 0", "(-\\infty, 0) \\cup (0, \\infty)", True),
        ("x > 0", "(0, \\infty)", True),
        ("-1 < x < 3", "(-\\infty, 3)", False),  # an infinite end is never close to a finite one
        ("(3, \\infty)", "(-\\infty, 3)", False),
    ],
)
def test_inequalities_are_sets_of_reals(answer: str, reference: str, expected: bool) -> None:
    assert (answers_equal(answer, reference) is True) is expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("B) 12", "B", True),
        ("(B) $12$", "B", True),
        ("\\textbf{(B) }12", "B", True),
        ("(D) None of the above", "D", True),
        ("(H) 42", "H", True),  # ten options (MMLU-Pro style)
        ("(A) None of the above", "D", False),
        ("2A", "2A_{16}", True),
        ("2B", "2A_{16}", False),
        ("1011", "1011_2", True),
        ("11", "1011_2", False),  # the value in base ten: not the numeral that was asked for
        ("3:45 PM", "3:45", True),
        ("10:30 a.m.", "10:30", True),
        ("10:03 a.m.", "10:30", False),
        ("3:45 PM", "3:45 AM", False),
        ("15:45", "3:45 PM", True),
        ("3 \\times 10^8 \\text{ m/s}", "3 \\times 10^8", True),
        ("6\\pi \\text{ cm}^2", "6\\pi", True),
        ("6\\pi \\text{ cm}^2", "12\\pi", False),
        ("2√5", "2\\sqrt{5}", True),
        ("√20", "2\\sqrt{5}", True),
        ("6π", "6\\pi", True),
        ("\\varnothing", "\\emptyset", True),
    ],
)
def test_choices_bases_clock_times_units_and_symbols(answer: str, reference: str, expected: bool) -> None:
    assert (answers_equal(answer, reference) is True) is expected


@pytest.mark.parametrize(
    ("answer", "reference"), [("(B) or (C)", "B"), ("(B) (C)", "C"), ("B) 12 or C) 14", "B")]
)
def test_two_choices_are_not_decided_by_the_first_letter(answer: str, reference: str) -> None:
    assert answers_equal(answer, reference) is not True


@pytest.mark.parametrize(
    ("response", "answer"),
    [
        ("Q1 answer: 5 apples.\n\nFinal Answer: 18", "18"),  # the final answer replaces a sub-answer
        ("Answer: 41\nFinal Answer: 42", "42"),
        ("Final Answer: 41\nFinal Answer: 42", "41, 42"),  # two final answers: a shotgun, seen as one
        ("Answer: 41\nAnswer: 42", "41, 42"),
    ],
)
def test_a_final_answer_replaces_earlier_plain_answers(response: str, answer: str) -> None:
    assert extract_answer(response, fallback_last_number=False).answer == answer


def test_an_angle_bracket_vector_is_its_tuple() -> None:
    assert answers_equal("\\langle 1, 2 \\rangle", "(1, 2)") is True
    assert answers_equal("\\langle 2, 1 \\rangle", "(1, 2)") is not True


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("12 marbles (7 red + 5 blue)", "12", True),  # working shown after the answer
        ("$12$ marbles ($7 + 5$)", "12", True),
        ("12 (3 x 4)", "12", True),
        ("13 (3 × 4)", "12", False),
        ("12 (or 13 = 12 + 1)", "12", False),  # a second candidate, not working
        ("12 (13 - 1 also works)", "12", False),
        ("3 (x + 1)", "3", False),  # a product with a variable
    ],
)
def test_working_in_parentheses_after_the_answer(answer: str, reference: str, expected: bool) -> None:
    assert (answers_equal(answer, reference) is True) is expected


def test_bold_inside_an_answer_sentence_after_a_bold_marker() -> None:
    found = extract_answer("**Final Answer:** Janet makes **\\$18** every day.", fallback_last_number=False)
    assert found.answer is not None and answers_equal(found.answer, "18") is True


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("Final Answer: She needs 4 more boxes, for a total of 10 boxes.", "4", True),
        ("Final Answer: She needs 4 more boxes, for a total of 10 boxes.", "10", False),
        ("Final Answer: There are 7 red and 5 blue marbles, so 12 marbles.", "12", True),
        ("Final Answer: There are 7 red and 5 blue marbles, so 12 marbles.", "7", False),
    ],
)
def test_an_aside_after_the_answer_and_the_conclusion_of_an_answer_sentence(
    response: str, reference: str, expected: bool
) -> None:
    found = extract_answer(response, fallback_last_number=False)
    assert found.answer is not None
    assert (answers_equal(found.answer, reference) is True) is expected


def test_a_conclusion_without_prose_before_it_keeps_both_parts() -> None:
    assert (
        extract_answer("Final answer: x = 2, so y = 3", fallback_last_number=False).answer
        == "x = 2, so y = 3"
    )


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("\\boxed{B}", "(B) 12", True),  # a reference naming the letter and the option's text
        ("\\boxed{12}", "(B) 12", True),
        ("\\boxed{(B)\\ 12}", "(B) 12", True),
        ("\\boxed{13}", "(B) 12", False),
        ("\\boxed{C}", "(B) 12", False),
        ("\\boxed{12, C}", "(B) 12", False),  # a number and another letter: a hedge
        ("\\boxed{12 \\text{ or } C}", "(B) 12", False),
        ("\\boxed{12 \\text{ or } C}", "12", False),
        ("The answer is 12 or (B).", "12", False),
        ("The answer is 12 or more.", "12", False),  # a bound, not the value
        ("The answer is 12, i.e. a dozen.", "12", True),
    ],
)
def test_option_references_and_a_number_hedged_with_a_letter(
    response: str, reference: str, expected: bool
) -> None:
    from nova_rewards.dimensions import Sample, ScoringContext
    from nova_rewards.dimensions.math import MathEquivalence

    dim = MathEquivalence(MathEquivalence.Params(symbolic_timeout_s=20))
    score = dim.score(Sample("s", (), response, {"final_answer": reference}), ScoringContext()).value
    assert (score == 1.0) is expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("12 or thirteen", "12", False),  # a number word is a second candidate
        ("12, possibly thirteen", "12", False),
        ("12 to fifteen", "12", False),
        ("12 \\text{ or thirteen}", "12", False),
        ("at least 12", "12", False),  # a bound is not the value
        ("more than 12", "12", False),
        ("12 or more", "12", False),
        ("12 hundredths", "12", False),
        ("5 millionths", "5", False),
        ("1 and a half hours", "1", False),
        ("twelve (12)", "12", True),  # the same value twice
        ("100 (one hundred)", "100", True),
        ("12 (thirteen)", "12", False),
        ("three apples", "3", True),
        ("3 \\text{ m}^2", "3", True),
    ],
)
def test_second_values_and_bounds_in_words(answer: str, reference: str, expected: bool) -> None:
    assert (answers_equal(answer, reference) is True) is expected


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("The answer is 18 dollars per day, so she earns 540 per month.", "18", True),  # a consequence
        ("The answer is 18 dollars per day, so she earns 540 per month.", "540", False),
        ("The answer is 18, so maybe 19.", "18", False),
    ],
)
def test_a_consequence_after_the_answer_is_not_part_of_it(
    response: str, reference: str, expected: bool
) -> None:
    found = extract_answer(response, fallback_last_number=False)
    assert found.answer is not None
    assert (answers_equal(found.answer, reference) is True) is expected


def _graded(response: str, reference: str) -> float | None:
    """The `math_equivalence` score of a response, symbolic fallback included (a generous time
    limit: the worker may start cold)."""
    cls = get_dimension_class("math_equivalence")
    dim = cls(cls.Params(symbolic_timeout_s=20))
    return dim.score(Sample("s", (), response, {"final_answer": reference}), ScoringContext()).value


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("Answer: 20 - 2 = 18", "18", 1.0),  # a chain is worth its last side, whatever the operator
        ("Answer: 20 - 2 = 18", "20", 0.0),
        ("The answer is 84 - 12 = 72.", "72", 1.0),
        ("The answer is 84 - 12 = 72.", "84", 0.0),
        ("**Answer:** $45 - $5 = $40", "40", 1.0),
        ("**Answer:** $45 - $5 = $40", "45", 0.0),
        ("Answer: 18 + 2 = 20", "20", 1.0),
        ("Answer: 18 + 2 = 20", "18", 0.0),
        ("The answer is 42 - that is the total.", "42", 1.0),  # a dash before words is still a dash
    ],
)
def test_an_answer_chain_is_read_as_its_last_side(response: str, reference: str, expected: float) -> None:
    assert _graded(response, reference) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("30 \\text{ radians}", "30^\\circ", False),  # another unit: another quantity
        ("30 rad", "30^\\circ", False),
        ("5 m", "5 \\text{ cm}", False),
        ("45 \\text{ seconds}", "45 \\text{ minutes}", False),
        ("64 ft", "64 \\text{ ft}^2", False),  # a length for an area
        ("60 mph", "60 km/h", False),
        ("18 cents", "$18", False),  # a dollar amount: its "$" is a unit, not a math delimiter
        ("$18", "18 cents", False),
        ("$18.00", "$18", True),
        ("18 dollars", "\\$18", True),
        ("18", "$18", True),
        ("30 degrees", "30^\\circ", True),  # the same unit spelled otherwise
        ("5 centimeters", "5 \\text{ cm}", True),
        ("45 min", "45 \\text{ minutes}", True),
        ("64 square feet", "64 \\text{ ft}^2", True),
        ("60 kilometers per hour", "60 km/h", True),
        ("30", "30^\\circ", True),  # no unit in the answer: dropped, as before
        ("5 apples", "5 \\text{ cm}", True),  # not a unit: what is counted, ignored
        ("18 cents", "18", True),  # no unit in the reference: dropped (debatable, see README)
    ],
)
def test_a_unit_other_than_the_references_is_another_quantity(
    answer: str, reference: str, expected: bool
) -> None:
    assert (answers_equal(answer, reference) is True) is expected


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("**Answer: x² + 1**", "x^2+1", True),  # a unicode superscript is a power
        ("**Answer: n² + n**", "n^2+n", True),
        ("**Final Answer:** 2⁵", "32", True),
        ("**Final Answer:** 10³", "1000", True),
        ("**Final Answer:** 3 × 10⁴", "30000", True),
        ("**Final Answer:** 2⁵", "25", False),  # not the digits side by side
        ("**Final Answer:** 5²", "5", False),  # a power of the number is not the number
        ("**Answer:** 64 ft²", "64", True),  # a unit's exponent stays the unit's
    ],
)
def test_unicode_superscripts_are_powers(response: str, reference: str, expected: bool) -> None:
    assert (_graded(response, reference) == 1.0) is expected


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("**Answer: Option B**", "B", True),  # the word before a choice letter names it
        ("**Answer: Option (B)**", "B", True),
        ("**Answer: Choice (C)**", "C", True),
        ("**Final Answer:** Choice B", "B", True),
        ("Only the third works.\n\nCorrect option: C", "C", True),  # a marker of its own
        ("Only the third works.\n\nThe correct answer choice is **(C)**.", "C", True),
        ("Only the first works.\n\nThe answer choice is (A).", "A", True),
        ("**Answer: Option B**", "C", False),
        ("Correct option: C", "B", False),
        ("**Answer: Option B or C**", "B", False),  # two options are a hedge
        ("Answer: Option B) 24", "B", True),  # the word, the letter and the option's text
        ("Answer: Option B: 24", "(B) 24", True),
        ("Answer: Option (C) 12", "(B) 24", False),
        ("Answer: Optional B", "B", False),  # not the word "option"
    ],
)
def test_choice_phrasings_name_the_letter(response: str, reference: str, expected: bool) -> None:
    assert (_graded(response, reference) == 1.0) is expected


@pytest.mark.parametrize(
    "response",
    ["Correct option: C", "The correct answer choice is (C).", "The answer choice is (C)."],
)
def test_a_choice_phrase_is_an_answer_marker_for_the_format_too(response: str) -> None:
    found = extract_answer(response, fallback_last_number=False)
    assert found.marker == "answer_is"
    assert found.answer is not None and "C" in found.answer


def test_a_choice_word_in_prose_is_not_a_marker() -> None:
    found = extract_answer("The best choice is to multiply both sides by 3.", fallback_last_number=False)
    assert found.marker is None


@pytest.mark.parametrize(
    ("response", "reference", "expected"),
    [
        ("Thus, the answer is:\n\n\\[\n\\boxed{5!}\n\\]", "120", True),  # in a box: a factorial
        ("\\boxed{4!}", "24", True),
        ("\\boxed{4!}", "4", False),
        ("The answer is $3!$.", "6", True),  # in a math block: a factorial
        ("Final Answer: 5!", "120", True),  # alone after a label: a factorial
        ("Final Answer: 5!", "5", False),
        ("The answer is 4!", "4", True),  # ending an answer sentence: an exclamation mark
        ("The answer is 4!", "24", False),
        ("The answer is $12!", "12", True),  # dollars, exclaimed
    ],
)
def test_a_factorial_in_math_and_an_exclamation_in_prose(
    response: str, reference: str, expected: bool
) -> None:
    assert (_graded(response, reference) == 1.0) is expected
