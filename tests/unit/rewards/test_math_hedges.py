"""Hedges against the lenient answer parsing, scored end to end through the bundled `math` spec: a
policy that does not know the answer offers a second value where the parser reads one (after the
answer on the next line, in a hedging sentence, in a restated conclusion, behind "or" in digits the
number reader skips, inside `\\text{}`, behind an approximation sign). Each class is checked both
ways: the hedge earns no correctness, the same shape with one value still does."""

from __future__ import annotations

import pytest

from tests.unit.rewards.test_math_spec import _event, _spec

REFERENCE = {"final_answer": "12"}


def _correctness(response: str, reference: dict[str, str] = REFERENCE) -> float:
    from nova_rewards.handler import handle

    result = handle(_event(response, reference), None, _spec())[0]
    return {m["name"]: m["value"] for m in result["metrics_list"]}["correctness"]


@pytest.mark.parametrize(
    "response",
    [
        # a bare value on the lines after the answer
        "Answer: 12\n13\n14",
        "**Answer:** 12\n\n13",
        "The answer is:\n12\n13",
        # a hedging sentence after the answer
        "The answer is 12. Or maybe 13.",
        "The answer is 12. It could also be 13.",
        "The answer is 12.\nIt may be 13.",
        "\\boxed{12}\\text{ or }13",
        "**Final Answer**\n12\n\nActually it could be 13.",
        "## Answer\nThe total is 12. Or maybe 13.",
        "The answer is 12, i.e. 13.",
        "The answer is 12. Or maybe thirteen.",
        "The answer is 12.\n\nHmm, wait, let me reconsider. 13.",
        "The answer is 12. 13 is also acceptable.",
        # a doubt in a negation is not a rejection of the value offered after it
        "Answer: 12?\n\nActually I'm not sure, it could be 13.",
        "The answer is 12, but I can't be certain; it might be 13.",
        "The answer is 12. 13 would also work.",
        "The answer is 12. Another valid answer is 13.",
        # a hedge at the end of a long response, far below the answer
        "The answer is 12.\n\n"
        + " ".join(f"Step {k}: the boxes in row {k} were counted and checked twice." for k in range(1, 15))
        + "\n\nOr maybe 13.",
        # a labelled second value on its own line
        "Answer: 12.\n\nBackup: 13",
        "Answer: 12\n\nOther possibility: 13",
        # a parenthesis that rejects one value and offers it again, or goes on past a ';'
        "Answer: 12 (not 13, or maybe 13)",
        "Answer: 12 (not counting Tom; 13 with him).",
        # answer tags next to each other are one group, not a self-correction
        "<answer>13</answer><answer>12</answer>",
        "<answer>13</answer>\n<answer>12</answer>",
        # a conclusion that restates another value
        "The answer is 12, so it is 13.",
        "The answer is 12, so x = 13.",
        "The answer is 12, so 13 apples.",
        # "or" before something the number reader does not read as a number
        "The answer is 12 or \u00b9\u00b3.",
        "The answer is 12 or \u2081\u2083.",
        "The answer is 12 (or \u00b9\u00b3).",
        "The answer is 12 or XIII.",
        "The answer is 12 or so.",
        # a hedge inside a text command, which Math-Verify would drop
        "\\boxed{12 \\text{ (or 13)}}",
        "\\boxed{12 \\text{ (approx. 13)}}",
        "\\boxed{12 \\text{ (rounded: 13)}}",
        # an approximation the value does not round to
        "The answer is 12 \\approx 13.",
        "The answer is 12 \u2248 13.",
        "The answer is 12 \\approx 22.",
    ],
)
def test_a_hedged_answer_earns_no_correctness(response: str) -> None:
    assert _correctness(response) == 0.0


@pytest.mark.parametrize(
    ("response", "reference"),
    [
        ("\\boxed{80\\% \\text{ (or 79\\%)}}", "80%"),
        ("The answer is 80% \\approx 84%.", "80%"),
        ("The answer is 137.5 \\approx 139.", "137.5"),
        ("The answer is 191.25 \\approx 193.75.", "191.25"),
    ],
)
def test_a_hedged_percentage_or_decimal_earns_no_correctness(response: str, reference: str) -> None:
    assert _correctness(response, {"final_answer": reference}) == 0.0


@pytest.mark.parametrize(
    ("response", "reference"),
    [
        # another option named next to the right one, or the right letter with another option's text
        ("The answer is (B) 12 (C) 13.", "(B) 12"),
        ("The answer is 12 (C).", "(B) 12"),
        ("The answer is (B) 13.", "(B) 12"),
        # a second letter after a letter answer
        ("Answer: B\nC", "B"),
        ("Answer: B\n\nAlternatively: C", "B"),
        ("The answer is B. Or maybe C.", "B"),
        # an operation right after the answer makes it an operand
        ("The answer is \\boxed{12} + 1 = 13.", "12"),
        ("\\boxed{12} \\times 13", "12"),
        ("\\boxed{12}^{13}", "12"),
        ("The answer is \\boxed{12} minus 1.", "12"),
    ],
)
def test_a_second_choice_or_an_operation_after_the_answer_earns_no_correctness(
    response: str, reference: str
) -> None:
    assert _correctness(response, {"final_answer": reference}) == 0.0


@pytest.mark.parametrize(
    ("response", "reference"),
    [
        ("The answer is 12.\n\nThis is because 3 \u00d7 4 = 12.", "12"),
        ("**Answer:** 12\n\n1. First we count 3 boxes.\n2. Each has 4 pens.", "12"),
        ("Answer: 12\n12", "12"),
        ("The answer is 12, so it is 12.", "12"),
        ("The answer is 12, i.e. one dozen.", "12"),
        ("The answer is 12, i.e. 12 pens.", "12"),
        ("The answer is 18 dollars per day, so she earns 540 per month.", "18"),
        ("The answer is 12 pens.\nCheck: 3 boxes x 4 pens = 12 pens, or 4 + 4 + 4 = 12.", "12"),
        ("Therefore, the answer is $\\boxed{12}$.\n\nLet me know if you have 2 more questions.", "12"),
        ("The answer is $\\frac{1}{3} \\approx 0.333$.", "1/3"),
        ("$\\boxed{\\frac{2}{3} \\approx 0.67}$", "2/3"),
        ("$\\boxed{\\frac{2}{3} \\approx 0.666}$", "2/3"),
        ("\\boxed{x = 2 \\text{ or } x = 3}", "2, 3"),
        # a note on another reading, a rejected alternative, a doubt resolved: not hedges
        ("The answer is 12. However, if the question asks for the total with Tom, it would be 15.", "12"),
        ("The answer is 4.\n\nAlternatively, counting the corners twice gives 8, but that's incorrect.", "4"),
        ("\\boxed{5}\n\nHmm, wait. Let me reconsider: maybe it's 6? No, 5 is right.", "5"),
        ("Answer: 12\n\nCheck: 3 \u00d7 4 = 12", "12"),
        ("Answer: 48 (not 42)", "48"),
        ("The answer is 12. I'm not sure at first, but maybe it's 13? No, 12 is right.", "12"),
        ("The answer is 12.\n\nI'm not sure the question meant 13 boxes; 13 would not be right.", "12"),
        ("The answer is 12 (13 - 1).", "12"),
        ("<answer>12</answer>\n<answer>12</answer>", "12"),
        ("Answer: x = 3 + 4 = 7", "7"),
        (
            "$\\frac{9.5}{3.14159} \\approx 3.01$ is the answer: \\boxed{\\frac{9.5}{3.14159} \\approx 3.01}",
            "9.5/3.14159",
        ),
        ("The answer is $\\frac{1}{3} \\approx 33\\%$.", "1/3"),
        ("The answer is 137.5 \\approx 138.", "137.5"),
        ("The answer is (B) 12.", "(B) 12"),
        ("The answer is (B).", "(B) 12"),
        ("The answer is B.\n\nI double-checked each option.", "B"),
        ("*Answer:* **8**", "8"),
        ("The answer is 12. We can also check it: 3 boxes of 4 pens make 12.", "12"),
        ("The answer is 12 cookies.\n\nNote: each of the 3 friends could get 4 cookies.", "12"),
        ("The answer is 12.\n\nShe might want to buy 3 more next week.", "12"),
        (
            "The answer is 12.\n\n"
            + " ".join(
                f"Step {k}: the boxes in row {k} were counted and checked twice." for k in range(1, 15)
            ),
            "12",
        ),
        ("The answer is \\boxed{12}. That is 3 boxes of 4.", "12"),
    ],
)
def test_the_same_shapes_with_one_value_are_still_credited(response: str, reference: str) -> None:
    assert _correctness(response, {"final_answer": reference}) == 1.0
