"""Forms of the learning pages: course key, CSV upload, enrolling one learner or a cohort."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from lms.extensions import MAX_ID

MAX_CSV_BYTES = 1024 * 1024


class KeyForm(FlaskForm):
    key = StringField(_l("Clave del curso"), description=_l("La clave que te dio tu formadora en el taller."),
                      validators=[DataRequired(_l("Escribe la clave del curso.")), Length(max=40)])


class CsvForm(FlaskForm):
    file = FileField(_l("Archivo CSV"), validators=[FileRequired(_l("Elige un archivo CSV."))])

    def data_bytes(self) -> bytes | None:
        """The uploaded bytes, or None (with an error on the field) when the file is too big."""
        data = self.file.data.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            self.file.errors = [_l("El archivo pasa de 1 MB. Divídelo en partes.")]
            return None
        return data


class EnrolLearnerForm(FlaskForm):
    user_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ID)])


class EnrolCohortForm(FlaskForm):
    cohort_id = SelectField(_l("Grupo"), coerce=int, validators=[DataRequired(_l("Elige un grupo."))])


class EnrolInCourseForm(FlaskForm):
    course_id = SelectField(_l("Curso"), coerce=int, validators=[DataRequired(_l("Elige un curso."))])


class PaperScoreForm(FlaskForm):
    """The score of a quiz she took on paper at a workshop, entered by her trainer."""

    score = IntegerField(_l("Nota en papel (de 0 a 100)"),
                         validators=[InputRequired(_l("Escribe la nota, de 0 a 100.")),
                                     NumberRange(0, 100, _l("La nota va de 0 a 100."))])
