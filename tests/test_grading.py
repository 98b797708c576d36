"""grading.grade is pure: plain data in, a Result out. All-or-nothing per question, score rounded down."""

import pytest

from lms.learning.grading import grade, key

SINGLE = key(1, [(11, True), (12, False), (13, False)])
TRUEFALSE = key(2, [(21, False), (22, True)])
MULTIPLE = key(3, [(31, True), (32, True), (33, False), (34, False)])
QUIZ = [SINGLE, TRUEFALSE, MULTIPLE]


def test_all_right_scores_100_and_passes():
    result = grade(QUIZ, {1: [11], 2: [22], 3: [31, 32]}, pass_mark=70)
    assert result.score == 100 and result.passed and result.right == 3
    assert all(q.is_correct for q in result.per_question)


def test_all_wrong_scores_0():
    result = grade(QUIZ, {1: [12], 2: [21], 3: [33]}, pass_mark=70)
    assert result.score == 0 and not result.passed and result.right == 0


def test_nothing_answered_scores_0_and_each_question_is_wrong():
    result = grade(QUIZ, {}, pass_mark=1)
    assert result.score == 0 and not result.passed
    assert [q.given for q in result.per_question] == [frozenset()] * 3


@pytest.mark.parametrize("given", [[31], [32], [31, 32, 33], [31, 32, 33, 34], [33, 34]])
def test_multiple_choice_is_all_or_nothing(given):
    result = grade([MULTIPLE], {3: given}, pass_mark=50)
    assert result.score == 0 and not result.per_question[0].is_correct


def test_multiple_choice_with_exactly_the_correct_ones_is_right_in_any_order():
    assert grade([MULTIPLE], {3: [32, 31]}, pass_mark=100).passed


def test_partial_quiz_score_is_rounded_down_so_66_does_not_reach_70():
    result = grade(QUIZ, {1: [11], 2: [22], 3: [31]}, pass_mark=70)
    assert result.score == 66 and not result.passed and result.right == 2


def test_pass_mark_is_inclusive():
    two_of_four = [key(n, [(n * 10, True), (n * 10 + 1, False)]) for n in range(1, 5)]
    result = grade(two_of_four, {1: [10], 2: [20], 3: [31], 4: [41]}, pass_mark=50)
    assert result.score == 50 and result.passed


def test_two_answers_to_a_single_choice_question_are_wrong():
    assert not grade([SINGLE], {1: [11, 12]}, pass_mark=100).passed


def test_a_choice_of_another_question_is_wrong():
    assert not grade([SINGLE], {1: [22]}, pass_mark=100).passed


def test_answers_to_unknown_questions_are_ignored():
    result = grade([TRUEFALSE], {2: [22], 99: [1]}, pass_mark=100)
    assert result.score == 100 and len(result.per_question) == 1


def test_a_quiz_without_questions_scores_100():
    result = grade([], {}, pass_mark=70)
    assert result.score == 100 and result.passed and result.per_question == ()


def test_per_question_reports_given_and_correct_choices():
    (only,) = grade([MULTIPLE], {3: [31, 33]}, pass_mark=70).per_question
    assert only.question_id == 3 and only.given == {31, 33} and only.correct == {31, 32} and not only.is_correct
