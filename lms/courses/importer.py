"""The course library as files (courses/README.md): read and check every file, then import by slug; export back."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.models import LANGUAGE_NAMES, STAFF_ROLES, User, audit, utcnow
from lms.courses.media import KIND_OF, MediaError, check_audio, media_path, sniff, store_upload
from lms.courses.models import (
    Choice,
    Course,
    CourseStatus,
    Lesson,
    Media,
    MediaKind,
    Module,
    PublishError,
    Question,
    QuestionKind,
    Quiz,
    Theme,
    ensure_starter_themes,
)
from lms.courses.variants import set_question_recording, set_recording, set_text
from lms.extensions import db

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBERED = re.compile(r"^(\d+)-(.+)$")
VARIANT_FILE = re.compile(r"^(\d+-[a-z0-9-]+)\.([a-z]{2,3})\.md$")  # 01-el-registro.qu.md: a lesson's text in qu
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S | re.M)
MEDIA_EXTENSIONS = {"cover": {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"},
                    "audio": {".mp3", ".ogg", ".oga", ".opus", ".m4a", ".webm"},
                    "attachment": {".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp"}}
MEDIA_KINDS = {"cover": {MediaKind.IMAGE}, "audio": {MediaKind.AUDIO}, "attachment": {MediaKind.PDF, MediaKind.IMAGE}}
COURSE_KEYS = {"slug", "title", "summary", "theme", "language", "hours", "sensitive", "demo", "cover", "trainers",
               "completion", "self_enrol", "enrolment_key"}
LESSON_KEYS = {"title", "minutes", "audio", "attachments", "reviewed", "review_by"}
QUESTION_KEYS = {"kind", "text", "choices", "explanation"}
CITES_SOURCES = re.compile(r"^## Fuentes\s*$", re.M)  # a lesson that cites sources states facts that can age
COVER_SIZE = (640, 360)


@dataclass
class Problem:
    """One error in one file, for a person to fix: `path:line: message`."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class ImportErrors(Exception):
    """The files have errors; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class _Map(dict):
    """A YAML mapping that remembers the line of itself and of each key."""

    def __init__(self, *args):
        super().__init__(*args)
        self.line, self.lines = 0, {}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings know their line numbers (for error messages)."""

    def construct_mapping(self, node, deep=False):
        mapping = _Map(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.lines = {key.value: key.start_mark.line + 1 for key, _value in node.value
                         if isinstance(key, yaml.ScalarNode)}
        return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)


@dataclass
class LessonSpec:
    slug: str
    title: str
    minutes: int
    body: str
    audio: Path | None
    attachments: list[Path]
    reviewed_on: date | None = None
    review_by: date | None = None
    recordings: dict[str, Path] = field(default_factory=dict)  # other languages' recordings (audio: {qu: ...})
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)  # language -> (title, body), NN-slug.qu.md


@dataclass
class QuizSpec:
    title: str
    pass_mark: int
    max_attempts: int
    questions: list[tuple]  # (kind, text, explanation, ((choice text, correct), ...), ((language, recording), ...))


@dataclass
class ModuleSpec:
    slug: str
    title: str
    lessons: list[LessonSpec] = field(default_factory=list)
    quiz: QuizSpec | None = None


@dataclass
class CourseSpec:
    folder: Path
    fields: dict
    theme: str
    cover: Path | None
    trainers: list[str]
    modules: list[ModuleSpec] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.fields["slug"]


@dataclass
class ImportResult:
    slug: str
    outcome: str  # created | updated | unchanged | skipped (an example course, without include_demo)
    modules: int
    lessons: int
    quizzes: int
    questions: int
    warnings: list[str] = field(default_factory=list)


class _Reader:
    """Reads one course folder into a CourseSpec, collecting every problem instead of stopping at the first."""

    def __init__(self, folder: Path, themes: set[str], max_bytes: int):
        self.folder, self.themes, self.max_bytes = folder, themes, max_bytes
        self.problems: list[Problem] = []
        self.language = "es"  # the course's, once read

    def problem(self, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(str(path), line, message))

    def load_yaml(self, path: Path, text: str | None = None, offset: int = 0):
        """Parse YAML safely; a syntax error becomes a problem with its line."""
        try:
            text = path.read_text(encoding="utf-8") if text is None else text
            return yaml.load(text, Loader=_LineLoader)  # noqa: S506  # nosec B506 - a SafeLoader subclass
        except UnicodeDecodeError:
            self.problem(path, None, _("El archivo no está guardado como texto UTF-8."))
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            self.problem(path, mark.line + 1 + offset if mark else None,
                         _("Error de formato YAML: %(detail)s", detail=error.problem or error.context or ""))
        except yaml.YAMLError:
            self.problem(path, None, _("Error de formato YAML."))
        except ValueError as error:  # a well-formed but impossible date, such as 2026-02-30
            self.problem(path, None, _("Valor no válido: %(detail)s", detail=str(error)[:120]))
        return None

    def mapping(self, path: Path, data, keys: set[str], required: set[str], offset: int = 0) -> bool:
        """Check data is a mapping with only known keys and every required one."""
        if not isinstance(data, _Map):
            self.problem(path, 1 + offset, _("Se esperaban datos de la forma «nombre: valor»."))
            return False
        for key in data:
            if key not in keys:
                self.problem(path, data.lines.get(key, data.line) + offset,
                             _("Campo desconocido «%(key)s». Se aceptan: %(keys)s.", key=key,
                               keys=", ".join(sorted(keys))))
        for key in sorted(key for key in required if data.get(key) is None):
            self.problem(path, data.line + offset, _("Falta el campo «%(key)s».", key=key))
        return True

    def value(self, path, data: _Map, key: str, kind: str, default=None, offset: int = 0, limit: int = 10_000):
        """The value of one field, checked for its kind; a problem (and the default) when wrong."""
        value = data.get(key, default)
        if value is None or (key not in data):
            return value
        line = data.lines.get(key, data.line) + offset
        ok = {"text": isinstance(value, str) and bool(value.strip()) and len(value.strip()) <= limit,
              "bool": isinstance(value, bool),
              "int": isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit,
              "number": isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= limit,
              "list": isinstance(value, list)}[kind]
        if not ok:
            self.problem(path, line, {
                "text": _("«%(key)s» debe ser un texto de hasta %(n)s caracteres (si es un número o la palabra "
                          "No, escríbelo entre comillas: \"No\").", key=key, n=limit),
                "bool": _("«%(key)s» debe ser true o false.", key=key),
                "int": _("«%(key)s» debe ser un número entero entre 0 y %(n)s.", key=key, n=limit),
                "number": _("«%(key)s» debe ser un número mayor que 0.", key=key),
                "list": _("«%(key)s» debe ser una lista.", key=key)}[kind])
            return default
        return value.strip() if kind == "text" else value

    def media(self, path: Path, line: int, name, role: str) -> Path | None:
        """A file named in media/ that exists, has a fitting extension and really is that kind of file."""
        if not isinstance(name, str) or not name.startswith("media/") or ".." in name or "\\" in name:
            self.problem(path, line, _("«%(name)s» debe ser un archivo dentro de media/, por ejemplo "
                                       "media/audio.mp3.", name=name))
            return None
        target = self.folder / name
        if not target.is_file():
            self.problem(path, line, _("No existe el archivo %(name)s.", name=name))
            return None
        if target.suffix.lower() not in MEDIA_EXTENSIONS[role]:
            self.problem(path, line, _("%(name)s no es de un tipo aceptado aquí (%(types)s).", name=name,
                                       types=", ".join(sorted(MEDIA_EXTENSIONS[role]))))
            return None
        data = target.read_bytes()
        if len(data) > self.max_bytes:
            self.problem(path, line, _("%(name)s pesa demasiado.", name=name))
        elif target.suffix.lower() != ".svg" and not _fits(sniff(data), MEDIA_KINDS[role]):
            self.problem(path, line, _("%(name)s no es un archivo válido de ese tipo.", name=name))
        elif role == "audio":
            try:
                check_audio(data)
            except MediaError as error:
                self.problem(path, line, f"{name}: {error}")
        return target

    def recordings(self, path: Path, data: _Map, offset: int) -> tuple[Path | None, dict[str, Path]]:
        """`audio:` one file (in the course's language), or one per language ({es: media/a.mp3, qu: media/b.webm}):
        (the course's language's, {other language: file})."""
        value = data.get("audio")
        if not value:
            return None, {}
        if not isinstance(value, _Map):
            return self.media(path, data.lines["audio"] + offset, value, "audio"), {}
        found = {}
        for language, name in value.items():
            line = value.lines.get(language, value.line) + offset
            if language not in LANGUAGE_NAMES:
                self.problem(path, line, _("Idioma desconocido «%(code)s». Se aceptan: %(codes)s.", code=language,
                                           codes=", ".join(LANGUAGE_NAMES)))
            elif target := self.media(path, line, name, "audio"):
                found[language] = target
        return found.pop(self.language, None), found

    def read(self) -> CourseSpec | None:
        path = self.folder / "course.yaml"
        data = self.load_yaml(path)
        if data is None or not self.mapping(path, data, COURSE_KEYS, {"slug", "title", "theme", "hours"}):
            return None
        fields = self.course_fields(path, data)
        self.language = fields["language"] if fields["language"] in LANGUAGE_NAMES else "es"
        completion = self.completion(path, data)
        fields.update(completion)
        theme = self.value(path, data, "theme", "text", limit=40)
        if theme and theme not in self.themes:
            self.problem(path, data.lines["theme"], _("El tema «%(theme)s» no existe. Temas: %(themes)s.",
                                                      theme=theme, themes=", ".join(sorted(self.themes))))
        cover = self.media(path, data.lines["cover"], data["cover"], "cover") if data.get("cover") else None
        trainers = self.value(path, data, "trainers", "list", default=[]) or []
        spec = CourseSpec(self.folder, fields, theme, cover, [str(t) for t in trainers])
        self.read_modules(spec)
        return spec

    def course_fields(self, path: Path, data: _Map) -> dict:
        fields = {"slug": self.value(path, data, "slug", "text", limit=80),
                  "title": self.value(path, data, "title", "text", limit=160),
                  "summary": self.value(path, data, "summary", "text", default="") or "",
                  "language": self.value(path, data, "language", "text", default="es", limit=5),
                  "sensitive": self.value(path, data, "sensitive", "bool", default=False),
                  "demo": self.value(path, data, "demo", "bool", default=False)}
        for key, kind, limit in (("self_enrol", "bool", 0), ("enrolment_key", "text", 40)):
            if key in data:
                fields[key] = self.value(path, data, key, kind, limit=limit)
        hours = self.value(path, data, "hours", "number", limit=9999)
        try:
            fields["hours"] = Decimal(str(hours)).quantize(Decimal("0.1")) if hours else None
        except InvalidOperation:
            fields["hours"] = None
        if fields["slug"] and not SLUG.match(fields["slug"]):
            self.problem(path, data.lines["slug"], _("El slug «%(slug)s» solo puede tener minúsculas sin tildes, "
                                                     "números y guiones.", slug=fields["slug"]))
        if fields["language"] not in LANGUAGE_NAMES:
            self.problem(path, data.lines["language"], _("Idioma desconocido. Se aceptan: %(codes)s.",
                                                         codes=", ".join(LANGUAGE_NAMES)))
        return fields

    def completion(self, path: Path, data: _Map) -> dict:
        rule = data.get("completion") or _Map()
        if not self.mapping(path, rule, {"lessons", "quizzes", "min_sessions"}, set()):
            return {}
        return {"require_lessons": self.value(path, rule, "lessons", "bool", default=True),
                "require_quizzes": self.value(path, rule, "quizzes", "bool", default=True),
                "min_sessions": self.value(path, rule, "min_sessions", "int", default=0, limit=100)}

    def read_modules(self, spec: CourseSpec) -> None:
        seen_lessons: dict[str, Path] = {}
        folders = sorted(p for p in self.folder.iterdir() if p.is_dir() and p.name != "media" and p.name[0] != ".")
        for folder in _numbered(self, folders):
            data = self.load_yaml(folder / "module.yaml") if (folder / "module.yaml").is_file() else None
            if not (folder / "module.yaml").is_file():
                self.problem(folder / "module.yaml", None, _("Falta el archivo module.yaml con el título."))
            elif data is not None and self.mapping(folder / "module.yaml", data, {"title"}, {"title"}):
                slug = NUMBERED.match(folder.name).group(2)
                if any(m.slug == slug for m in spec.modules):
                    self.problem(folder, None, _("Hay dos módulos con el nombre «%(slug)s».", slug=slug))
                module = ModuleSpec(slug, self.value(folder / "module.yaml", data, "title", "text", limit=160))
                spec.modules.append(module)
                self.read_lessons(folder, module, seen_lessons)
                if (folder / "quiz.yaml").is_file():
                    module.quiz = self.read_quiz(folder / "quiz.yaml")
        if not spec.modules and not self.problems:
            self.problem(self.folder, None, _("El curso no tiene módulos (carpetas 01-nombre)."))

    def read_lessons(self, folder: Path, module: ModuleSpec, seen: dict[str, Path]) -> None:
        known = {"module.yaml", "quiz.yaml"}
        others = [p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in known]
        translations = [p for p in others if VARIANT_FILE.match(p.name)]
        by_stem: dict[str, LessonSpec] = {}
        for path in _numbered(self, sorted(p for p in others if p not in translations), suffix=".md"):
            slug = NUMBERED.match(path.stem).group(2)
            if slug in seen:
                self.problem(path, None, _("Ya hay una lección «%(slug)s» en %(other)s.", slug=slug,
                                           other=seen[slug]))
            seen[slug] = path
            lesson = self.read_lesson(path, slug)
            if lesson:
                module.lessons.append(lesson)
                by_stem[path.stem] = lesson
        for path in sorted(translations):
            self.read_variant(path, by_stem)
        if not module.lessons and not any(p.suffix == ".md" for p in others):
            self.problem(folder, None, _("El módulo no tiene lecciones."))

    def read_variant(self, path: Path, lessons: dict[str, LessonSpec]) -> None:
        """`01-el-registro.qu.md`: the text of lesson `01-el-registro.md` in another language (title and text)."""
        stem, language = VARIANT_FILE.match(path.name).groups()
        if language not in LANGUAGE_NAMES:
            self.problem(path, None, _("Idioma desconocido «%(code)s» en el nombre del archivo. Se aceptan: "
                                       "%(codes)s.", code=language, codes=", ".join(LANGUAGE_NAMES)))
            return
        if language == self.language:
            self.problem(path, None, _("«%(code)s» es el idioma del curso: su texto va en %(lesson)s.md.",
                                       code=language, lesson=stem))
            return
        if not (path.parent / f"{stem}.md").is_file():
            self.problem(path, None, _("No hay una lección %(lesson)s.md para esta traducción: el nombre es el de "
                                       "la lección, con el idioma antes de .md.", lesson=stem))
            return
        front = self.front_matter(path)
        if front is None or not self.mapping(path, front[0], {"title"}, {"title"}, offset=1):
            return
        title = self.value(path, front[0], "title", "text", offset=1, limit=160)
        if not front[1]:
            self.problem(path, None, _("La lección no tiene texto."))
        elif title and stem in lessons:
            lessons[stem].variants[language] = (title, front[1])

    def front_matter(self, path: Path) -> tuple[_Map, str] | None:
        """A lesson file's data (between its --- lines) and its text."""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self.problem(path, None, _("El archivo no está guardado como texto UTF-8."))
            return None
        match = FRONT_MATTER.match(text)
        if not match:
            self.problem(path, 1, _("La lección debe empezar con sus datos entre dos líneas ---."))
            return None
        data = self.load_yaml(path, match.group(1), offset=1)
        return None if data is None else (data, match.group(2).strip())

    def read_lesson(self, path: Path, slug: str) -> LessonSpec | None:
        front = self.front_matter(path)
        if front is None or not self.mapping(path, front[0], LESSON_KEYS, {"title", "minutes"}, offset=1):
            return None
        data, body = front
        title = self.value(path, data, "title", "text", offset=1, limit=160)
        minutes = self.value(path, data, "minutes", "int", offset=1, limit=600)
        audio, recordings = self.recordings(path, data, offset=1)
        names = self.value(path, data, "attachments", "list", default=[], offset=1) or []
        attachments = [self.media(path, data.lines["attachments"] + 1, name, "attachment") for name in names]
        if not body:
            self.problem(path, None, _("La lección no tiene texto."))
        reviewed_on, review_by = self.review_dates(path, data, bool(CITES_SOURCES.search(body)))
        return LessonSpec(slug, title, minutes, body, audio, [a for a in attachments if a], reviewed_on, review_by,
                          recordings)

    def review_dates(self, path: Path, data: _Map, required: bool) -> tuple[date | None, date | None]:
        """`reviewed` and `review_by` as dates: both or neither, and both when the lesson cites sources."""
        dates = {}
        for key in ("reviewed", "review_by"):
            value = data.get(key)
            if value is not None and type(value) is not date:
                self.problem(path, data.lines.get(key, data.line) + 1,
                             _("«%(key)s» debe ser una fecha escrita AAAA-MM-DD, por ejemplo 2026-01-31.", key=key))
            elif value is None and required:
                self.problem(path, data.line + 1, _("Falta el campo «%(key)s»: una lección con «## Fuentes» dice "
                                                    "cuándo se revisó (reviewed) y cuándo revisarla otra vez "
                                                    "(review_by).", key=key))
            elif value is None and (data.get("reviewed") or data.get("review_by")):
                self.problem(path, data.line + 1, _("Falta el campo «%(key)s»: van las dos fechas, reviewed y "
                                                    "review_by, o ninguna.", key=key))
            dates[key] = value if type(value) is date else None
        if dates["reviewed"] and dates["review_by"] and dates["review_by"] <= dates["reviewed"]:
            self.problem(path, data.lines["review_by"] + 1,
                         _("«review_by» debe ser una fecha posterior a «reviewed»."))
        return dates["reviewed"], dates["review_by"]

    def read_quiz(self, path: Path) -> QuizSpec | None:
        data = self.load_yaml(path)
        keys = {"title", "pass_mark", "max_attempts", "questions"}
        if data is None or not self.mapping(path, data, keys, {"title", "questions"}):
            return None
        quiz = QuizSpec(self.value(path, data, "title", "text", limit=160),
                        self.value(path, data, "pass_mark", "int", default=70, limit=100),
                        self.value(path, data, "max_attempts", "int", default=0, limit=100), [])
        questions = self.value(path, data, "questions", "list", default=[]) or []
        if not questions and "questions" in data:
            self.problem(path, data.lines["questions"], _("La evaluación no tiene preguntas."))
        for item in questions:
            question = self.read_question(path, item)
            if question:
                quiz.questions.append(question)
        return quiz

    def read_question(self, path: Path, item) -> tuple | None:
        if not self.mapping(path, item, QUESTION_KEYS | {"audio"}, QUESTION_KEYS):
            return None
        kind = item.get("kind")
        if kind not in set(QuestionKind):
            self.problem(path, item.lines.get("kind", item.line),
                         _("Tipo de pregunta desconocido: use single, multiple o truefalse."))
        choices = []
        for choice in self.value(path, item, "choices", "list", default=[]) or []:
            if self.mapping(path, choice, {"text", "correct"}, {"text"}):
                choices.append((self.value(path, choice, "text", "text"),
                                self.value(path, choice, "correct", "bool", default=False)))
        self.check_answers(path, item.line, kind, choices)
        own, recordings = self.recordings(path, item, offset=0)
        recordings |= {self.language: own} if own else {}
        return (kind, self.value(path, item, "text", "text"), self.value(path, item, "explanation", "text"),
                tuple(choices), tuple(sorted(recordings.items())))

    def check_answers(self, path: Path, line: int, kind: str, choices: list) -> None:
        correct = sum(1 for _text, is_correct in choices if is_correct)
        if len(choices) < 2:
            self.problem(path, line, _("La pregunta necesita al menos dos opciones."))
        if kind == QuestionKind.TRUEFALSE and len(choices) != 2:
            self.problem(path, line, _("Una pregunta truefalse tiene exactamente dos opciones."))
        if kind in (QuestionKind.SINGLE, QuestionKind.TRUEFALSE) and correct != 1:
            self.problem(path, line, _("La pregunta debe tener exactamente una respuesta correcta "
                                       "(tiene %(n)s).", n=correct))
        if kind == QuestionKind.MULTIPLE and correct < 1:
            self.problem(path, line, _("La pregunta necesita al menos una respuesta correcta."))


def _fits(content_type: str | None, kinds: set[MediaKind]) -> bool:
    return content_type is not None and KIND_OF[content_type] in kinds


def _numbered(reader: _Reader, paths: list[Path], suffix: str = "") -> list[Path]:
    """Paths named NN-slug (with suffix), sorted by number; any other name is a problem."""
    good = []
    for path in paths:
        name = path.name[: -len(suffix)] if suffix and path.name.endswith(suffix) else path.name
        match = NUMBERED.match(name) if (not suffix or path.name.endswith(suffix)) else None
        if match and SLUG.match(match.group(2)) and len(match.group(2)) <= 80:
            good.append((int(match.group(1)), match.group(2), path))
        else:
            reader.problem(path, None, _("Nombre no válido: use número, guion y minúsculas sin tildes, por ejemplo "
                                         "«01-el-registro%(suffix)s».", suffix=suffix))
    return [path for _number, _slug, path in sorted(good)]


def course_folders(path: Path) -> list[Path]:
    """PATH itself when it holds a course.yaml, else each sub-folder that does."""
    if (path / "course.yaml").is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / "course.yaml").is_file())


def read_library(path: Path, max_bytes: int) -> list[CourseSpec]:
    """Read and check every course under path; ImportErrors with every problem found, if any."""
    ensure_starter_themes()
    themes = set(db.session.scalars(select(Theme.slug)))
    specs, problems = [], []
    folders = course_folders(path)
    if not folders:
        problems.append(Problem(str(path), None, _("No hay ningún curso aquí (falta course.yaml).")))
    for folder in folders:
        reader = _Reader(folder, themes, max_bytes)
        spec = reader.read()
        problems += reader.problems
        if spec and spec.slug in {s.slug for s in specs}:
            problems.append(Problem(str(folder / "course.yaml"), None,
                                    _("Otro curso ya usa el slug «%(slug)s».", slug=spec.slug)))
        elif spec:
            specs.append(spec)
    if problems:
        raise ImportErrors(problems)
    return specs


class _Writer:
    """Writes one CourseSpec into the database, touching only what differs (so a re-import changes nothing)."""

    def __init__(self, spec: CourseSpec, upload_folder: str, max_bytes: int):
        self.spec, self.upload_folder, self.max_bytes = spec, upload_folder, max_bytes
        self.changed = False
        self.warnings: list[str] = []

    def assign(self, obj, **values) -> None:
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
                self.changed = True

    def store(self, course: Course, path: Path, kinds: set[MediaKind]) -> Media:
        data, name = path.read_bytes(), path.name
        if path.suffix.lower() == ".svg":  # never stored as SVG: drawn once as PNG from the trusted file
            data, name = _svg_to_png(path, data), path.with_suffix(".png").name
        try:
            return store_upload(data, name, course, kinds, self.upload_folder, self.max_bytes)
        except MediaError as error:
            raise ImportErrors([Problem(str(path), None, str(error))]) from None

    def write(self, course: Course, theme: Theme) -> None:
        spec = self.spec
        self.assign(course, theme_id=theme.id, **{k: v for k, v in spec.fields.items() if k != "slug"})
        cover = self.store(course, spec.cover, {MediaKind.IMAGE}) if spec.cover else None
        self.assign(course, cover_id=cover.id if cover else None)
        self.link_trainers(course)
        lessons = {lesson.slug: lesson for lesson in db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id))}
        modules = {module.slug: module for module in course.modules}
        for position, module_spec in enumerate(spec.modules, start=1):
            module = modules.pop(module_spec.slug, None)
            if module is None:
                module = Module(slug=module_spec.slug, title=module_spec.title, position=position)
                course.modules.append(module)
                self.changed = True
            self.assign(module, title=module_spec.title, position=position)
            for index, lesson_spec in enumerate(module_spec.lessons, start=1):
                self.write_lesson(course, module, lessons.pop(lesson_spec.slug, None), lesson_spec, index)
            self.write_quiz(course, module, module_spec.quiz)
        self.remove(list(lessons.values()), list(modules.values()))

    def link_trainers(self, course: Course) -> None:
        """Link the named trainers that exist (never unlink: admins may have added others)."""
        for username in self.spec.trainers:
            user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
            if user is None or user.role not in STAFF_ROLES:
                self.warnings.append(_("No hay una formadora con el usuario «%(name)s»; no se enlazó.",
                                       name=username))
            elif all(trainer.id != user.id for trainer in course.trainers):
                course.trainers.append(user)
                self.changed = True

    def write_lesson(self, course: Course, module: Module, lesson: Lesson | None, spec: LessonSpec,
                     position: int) -> None:
        if lesson is None:
            lesson = Lesson(course=course, slug=spec.slug, title=spec.title, position=position)
            self.changed = True
        if lesson.module is not module:
            module.lessons.append(lesson)
            self.changed = True
        audio = self.store(course, spec.audio, {MediaKind.AUDIO}) if spec.audio else None
        self.assign(lesson, title=spec.title, body=spec.body, minutes=spec.minutes, position=position,
                    audio_id=audio.id if audio else None, reviewed_on=spec.reviewed_on, review_by=spec.review_by)
        attachments = [self.store(course, path, {MediaKind.PDF, MediaKind.IMAGE}) for path in spec.attachments]
        if [m.id for m in lesson.attachments] != sorted({m.id for m in attachments}):
            lesson.attachments = sorted(set(attachments), key=lambda m: m.id)
            self.changed = True
        self.write_variants(course, lesson, spec)

    def write_variants(self, course: Course, lesson: Lesson, spec: LessonSpec) -> None:
        """The lesson in other languages as the files say: texts (NN-slug.qu.md), recordings (audio: {qu: ...})."""
        recordings = {language: self.store(course, path, {MediaKind.AUDIO})
                      for language, path in spec.recordings.items()}
        for language in sorted({v.language for v in lesson.variants} | set(recordings) | set(spec.variants)):
            title, body = spec.variants.get(language, ("", ""))
            media = recordings.get(language)
            variant = lesson.variant(language)
            if variant is not None and (variant.title, variant.body, variant.audio_id) == (
                    title, body, media.id if media else None):
                continue
            set_text(lesson, language, title, body)
            set_recording(lesson, language, media)
            self.changed = True

    def write_quiz(self, course: Course, module: Module, spec: QuizSpec | None) -> None:
        if spec is None:
            if module.quiz is not None:
                module.quiz = None
                self.changed = True
            return
        if module.quiz is None:
            module.quiz = Quiz(course=course, title=spec.title)
            self.changed = True
        quiz = module.quiz
        self.assign(quiz, title=spec.title, pass_mark=spec.pass_mark, max_attempts=spec.max_attempts)
        wanted = [(*question[:4], tuple((language, _sha256(path)) for language, path in question[4]))
                  for question in spec.questions]
        if _questions(quiz) != wanted:  # questions are replaced wholesale when anything in them changed
            quiz.questions = [
                Question(kind=kind, text=text, explanation=explanation, position=n,
                         choices=[Choice(text=t, correct=c, position=k) for k, (t, c) in enumerate(choices, 1)])
                for n, (kind, text, explanation, choices, _recordings) in enumerate(spec.questions, start=1)]
            for question, (*_fields, recordings) in zip(quiz.questions, spec.questions, strict=True):
                for language, path in recordings:
                    set_question_recording(question, language, self.store(course, path, {MediaKind.AUDIO}))
            self.changed = True

    def remove(self, lessons: list[Lesson], modules: list[Module]) -> None:
        """Delete what the files no longer have (their learners' completions go with them)."""
        for lesson in lessons:
            lesson.module.lessons.remove(lesson)
            db.session.delete(lesson)
        db.session.flush()
        for module in modules:
            module.course.modules.remove(module)
        self.changed = self.changed or bool(lessons or modules)
        db.session.flush()


def _svg_to_png(path: Path, data: bytes) -> bytes:
    """Draw a library SVG as a PNG (CairoSVG, which needs the system's libcairo2; no external fetches)."""
    try:
        import cairosvg

        return cairosvg.svg2png(bytestring=data, output_width=COVER_SIZE[0], output_height=COVER_SIZE[1])
    except (ImportError, OSError) as error:
        raise ImportErrors([Problem(str(path), None, _("No se pudo convertir el SVG: falta CairoSVG o libcairo2 "
                                                       "(%(error)s).", error=str(error)[:120]))]) from None
    except Exception as error:  # a broken drawing: say so instead of crashing the import
        raise ImportErrors([Problem(str(path), None, _("El dibujo SVG no se puede leer (%(error)s).",
                                                       error=str(error)[:120]))]) from None


def _questions(quiz: Quiz) -> list[tuple]:
    return [(q.kind, q.text, q.explanation, tuple((c.text, c.correct) for c in q.choices),
             tuple((r.language, r.media.sha256) for r in q.recordings)) for q in quiz.questions]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_spec(spec: CourseSpec, upload_folder: str, max_bytes: int, publish: bool = False) -> ImportResult:
    """Create or update one course from its spec (add and flush; the caller commits)."""
    theme = db.session.scalar(select(Theme).where(Theme.slug == spec.theme))
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    created = course is None
    if created:
        course = Course(status=CourseStatus.DRAFT, theme=theme, **spec.fields)
        db.session.add(course)
    writer = _Writer(spec, upload_folder, max_bytes)
    writer.write(course, theme)
    db.session.flush()
    if created and publish:
        try:
            course.publish()
        except PublishError as error:
            raise ImportErrors([Problem(str(spec.folder), None, str(error))]) from None
    outcome = "created" if created else "updated" if writer.changed else "unchanged"
    if writer.changed and not created:
        course.updated_at = utcnow()
    if writer.changed:
        audit(f"course.{outcome}", course=course.id, slug=course.slug, via="import")
    db.session.flush()
    return ImportResult(spec.slug, outcome, len(course.modules), len(course.lessons()), len(course.quizzes()),
                        sum(len(q.questions) for q in course.quizzes()), writer.warnings)


def import_courses(path: Path, upload_folder: str | None = None, max_bytes: int | None = None,
                   publish: bool = False, include_demo: bool = False) -> list[ImportResult]:
    """Import every course under path, or none: ImportErrors lists every problem (the caller commits).

    Example courses (`demo: true`) are read and validated like the others (an SVG cover is converted only when
    imported) but only imported with include_demo.
    """
    upload_folder = upload_folder or current_app.config["UPLOAD_FOLDER"]
    max_bytes = max_bytes or current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    specs = read_library(Path(path), max_bytes)
    return [import_spec(spec, upload_folder, max_bytes, publish) if include_demo or not spec.fields["demo"]
            else ImportResult(spec.slug, "skipped", 0, 0, 0, 0) for spec in specs]


def _dump(data, path: Path) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


class _Exporter:
    """Writes one course as files in the library format; media keep their original names."""

    def __init__(self, folder: Path, upload_folder: str):
        self.folder, self.upload_folder = folder, upload_folder
        self.names: dict[int, str] = {}

    def media(self, media: Media) -> str:
        """Copy a stored file into media/ once, under its original name (numbered if the name is taken)."""
        if media.id not in self.names:
            stem, dot, ext = media.filename.rpartition(".")
            name, n = media.filename, 1
            while name in self.names.values():
                n += 1
                name = f"{stem}-{n}{dot}{ext}"
            (self.folder / "media").mkdir(exist_ok=True)
            (self.folder / "media" / name).write_bytes(media_path(media, self.upload_folder).read_bytes())
            self.names[media.id] = name
        return f"media/{self.names[media.id]}"

    def course(self, course: Course) -> None:
        hours = int(course.hours) if course.hours == int(course.hours) else float(course.hours)
        data = {"slug": course.slug, "title": course.title, "summary": course.summary, "theme": course.theme.slug,
                "language": course.language, "hours": hours, "sensitive": course.sensitive}
        if course.demo:
            data["demo"] = True
        if course.cover is not None:
            data["cover"] = self.media(course.cover)
        data["trainers"] = [trainer.username for trainer in course.trainers]
        data["completion"] = {"lessons": course.require_lessons, "quizzes": course.require_quizzes,
                              "min_sessions": course.min_sessions}
        data["self_enrol"] = course.self_enrol
        if course.enrolment_key:
            data["enrolment_key"] = course.enrolment_key
        _dump(data, self.folder / "course.yaml")

    def module(self, module: Module, position: int) -> None:
        folder = self.folder / f"{position:02d}-{module.slug}"
        folder.mkdir()
        _dump({"title": module.title}, folder / "module.yaml")
        for n, lesson in enumerate(module.lessons, start=1):
            data = {"title": lesson.title, "minutes": lesson.minutes}
            if lesson.reviewed_on or lesson.review_by:
                data |= {"reviewed": lesson.reviewed_on, "review_by": lesson.review_by}
            recordings = {lesson.course.language: lesson.audio} | {v.language: v.audio for v in lesson.variants}
            if audio := self.recordings(lesson.course.language, recordings):
                data["audio"] = audio
            if lesson.attachments:
                data["attachments"] = [self.media(media) for media in lesson.attachments]
            _lesson_file(folder / f"{n:02d}-{lesson.slug}.md", data, lesson.body)
            for variant in lesson.variants:
                if variant.has_text:
                    _lesson_file(folder / f"{n:02d}-{lesson.slug}.{variant.language}.md", {"title": variant.title},
                                 variant.body)
        if module.quiz is not None:
            _dump(self.quiz(module.quiz), folder / "quiz.yaml")

    def recordings(self, own: str, recordings: dict[str, Media | None]):
        """`audio:` as the files say it: one file in the course's language, else one per language."""
        kept = {language: self.media(media) for language, media in recordings.items() if media is not None}
        return kept[own] if list(kept) == [own] else kept or None

    def quiz(self, quiz: Quiz) -> dict:
        data = _quiz_data(quiz)
        for item, question in zip(data["questions"], quiz.questions, strict=True):
            if audio := self.recordings(quiz.course.language, {r.language: r.media for r in question.recordings}):
                item["audio"] = audio
        return data


def _lesson_file(path: Path, data: dict, body: str) -> None:
    front = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
    path.write_text(f"---\n{front}---\n\n{body.strip()}\n", encoding="utf-8")


def _quiz_data(quiz: Quiz) -> dict:
    questions = []
    for question in quiz.questions:
        choices = [{"text": c.text, "correct": True} if c.correct else {"text": c.text} for c in question.choices]
        questions.append({"kind": question.kind, "text": question.text, "choices": choices,
                          "explanation": question.explanation})
    return {"title": quiz.title, "pass_mark": quiz.pass_mark, "max_attempts": quiz.max_attempts,
            "questions": questions}


def export_course(course: Course, folder: Path, upload_folder: str | None = None) -> None:
    """Write a course in the library format into folder, which must be new or empty."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(_("La carpeta %(folder)s no está vacía.", folder=str(folder)))
    folder.mkdir(parents=True, exist_ok=True)
    exporter = _Exporter(folder, upload_folder or current_app.config["UPLOAD_FOLDER"])
    exporter.course(course)
    for position, module in enumerate(course.modules, start=1):
        exporter.module(module, position)
