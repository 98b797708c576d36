"""Quiz grading as a pure function: plain data in, a Result out; no database, no request.

The rule: every question weighs the same and is all-or-nothing. A question is right when the set of
choices given is exactly the set of correct choices — for a "multiple" question that means every correct
choice ticked and no wrong one (partly right earns nothing); for "single" and "truefalse" exactly the one
correct choice. Choices that do not belong to the question make it wrong. The score is the percentage of
right questions rounded DOWN (2 of 3 is 66, so a 70 pass mark is never reached by rounding), and a quiz
passes when score >= pass_mark. A quiz without questions scores 100 (there is nothing to get wrong).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionKey:
    """What grading needs to know of a question: its id, its choices and which are correct."""

    id: int
    choice_ids: frozenset[int]
    correct_ids: frozenset[int]


@dataclass(frozen=True)
class QuestionResult:
    question_id: int
    given: frozenset[int]
    correct: frozenset[int]
    is_correct: bool


@dataclass(frozen=True)
class Result:
    score: int  # percent, 0-100
    passed: bool
    per_question: tuple[QuestionResult, ...]

    @property
    def right(self) -> int:
        return sum(q.is_correct for q in self.per_question)


def key(question_id: int, choices: Iterable[tuple[int, bool]]) -> QuestionKey:
    """A QuestionKey from (choice_id, correct) pairs."""
    pairs = list(choices)
    return QuestionKey(question_id, frozenset(c for c, _ok in pairs), frozenset(c for c, ok in pairs if ok))


def grade(questions: Iterable[QuestionKey], answers: Mapping[int, Iterable[int]], pass_mark: int) -> Result:
    """Grade `answers` ({question_id: chosen choice ids}) against `questions`; see the module's rule."""
    results = []
    for question in questions:
        given = frozenset(answers.get(question.id, ()))
        right = bool(given) and given == question.correct_ids and given <= question.choice_ids
        results.append(QuestionResult(question.id, given, question.correct_ids, right))
    total = len(results)
    score = 100 if total == 0 else 100 * sum(r.is_correct for r in results) // total
    return Result(score=score, passed=score >= pass_mark, per_question=tuple(results))
