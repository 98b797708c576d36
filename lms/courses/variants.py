"""Which text and which recording a reader gets of a lesson or a question, by her language.

The text: her language's variant when it has text, else the lesson itself (in the course's language), with a
note. The recording («Escuchar»): the one in her language; else the one in the language of the text she reads;
else none (the page may then offer the phone's voice for that text).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.models import LANGUAGE_NAMES
from lms.courses.models import Lesson, LessonVariant, Media, Question, QuestionAudio
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


def recordings_of(item: Lesson | Question, own: str) -> list[tuple[str, str, Media]]:
    """(code, language name, recording) of a lesson's or a question's recordings, the course's language (`own`)
    first."""
    codes = [own] + [code for code in LANGUAGE_NAMES if code != own]
    return [(code, LANGUAGE_NAMES[code], item.recording(code)) for code in codes if item.recording(code)]


# ---- writing them (staff, from the editor or the importer; the caller commits) -----------------------------------

def _variant(lesson: Lesson, language: str) -> LessonVariant:
    variant = lesson.variant(language)
    if variant is None:
        variant = LessonVariant(language=language, title="", body="")
        lesson.variants.append(variant)
    return variant


def _drop_if_empty(lesson: Lesson, variant: LessonVariant) -> None:
    if not variant.has_text and variant.audio_id is None and variant.audio is None:
        lesson.variants.remove(variant)


def set_recording(lesson: Lesson, language: str, media: Media | None) -> None:
    """The lesson read aloud in `language` (None: no recording): its own audio in the course's language, else its
    variant's (created for the recording alone if the lesson has no text in that language)."""
    if language == lesson.course.language:
        lesson.audio = media
        return
    variant = _variant(lesson, language) if media is not None else lesson.variant(language)
    if variant is not None:
        variant.audio = media
        variant.audio_id = media.id if media is not None else None
        _drop_if_empty(lesson, variant)


def set_text(lesson: Lesson, language: str, title: str, body: str) -> None:
    """The lesson's text in another language ("" and "": none, the recording stays)."""
    variant = _variant(lesson, language)
    variant.title, variant.body = title, body
    _drop_if_empty(lesson, variant)


def set_question_recording(question: Question, language: str, media: Media | None) -> None:
    """The question read aloud in `language` (None: no recording)."""
    existing = next((r for r in question.recordings if r.language == language), None)
    if media is None and existing is not None:
        question.recordings.remove(existing)
    elif media is not None and existing is not None:
        existing.media = media
    elif media is not None:
        question.recordings.append(QuestionAudio(language=language, media=media))
