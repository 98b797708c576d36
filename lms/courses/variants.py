"""Which text and which recording a reader gets of a lesson or a question, by her language.

The text: her language's variant when it has text, else the lesson itself (in the course's language), with a
note. The recording («Escuchar»): the one in her language; else the one in the language of the text she reads;
else none (the page may then offer the phone's voice for that text).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.courses.models import Lesson, LessonVariant, Media, QuestionAudio
from lms.extensions import db


@dataclass(frozen=True)
class Reading:
    title: str
    body: str
    language: str  # of the text shown
    missing: str | None  # her language, when the text is not in it: the page says so
    audio: Media | None
    audio_language: str | None


def variant_of(lesson: Lesson, language: str) -> LessonVariant | None:
    """The lesson's variant in `language`, with its recording, in one query (none in the course's language)."""
    if language == lesson.course.language:
        return None
    return db.session.scalar(select(LessonVariant).options(joinedload(LessonVariant.audio)).where(
        LessonVariant.lesson_id == lesson.id, LessonVariant.language == language))


def reading_of(lesson: Lesson, language: str) -> Reading:
    """What a reader whose language is `language` gets of `lesson` (see the module's docstring)."""
    own = lesson.course.language
    variant = variant_of(lesson, language)
    if variant is not None and variant.has_text:
        title, body, text_language = variant.title or lesson.title, variant.body, language
    else:
        title, body, text_language = lesson.title, lesson.body, own
    audio, audio_language = (variant.audio, language) if variant is not None and variant.audio else (None, None)
    if audio is None and text_language == own and lesson.audio is not None:
        audio, audio_language = lesson.audio, own
    return Reading(title, body, text_language, None if text_language == language else language, audio,
                   audio_language)


def question_recordings(question_ids: list[int], language: str, own: str) -> dict[int, tuple[Media, str]]:
    """{question id: (recording, its language)}: in `language` where there is one, else in the course's (`own`);
    one query whatever the number of questions."""
    if not question_ids:
        return {}
    rows = db.session.execute(select(QuestionAudio.question_id, QuestionAudio.language, Media).join(
        Media, Media.id == QuestionAudio.media_id).where(QuestionAudio.question_id.in_(question_ids),
                                                         QuestionAudio.language.in_({language, own})))
    found: dict[int, tuple[Media, str]] = {}
    for question_id, recorded_in, media in rows:
        if question_id not in found or recorded_in == language:
            found[question_id] = (media, recorded_in)
    return found
