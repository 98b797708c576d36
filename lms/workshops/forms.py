"""Forms for in-person sessions: the session itself, attendance and a CSV import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from lms.accounts.forms import strip


def int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class WorkshopForm(FlaskForm):
    course = SelectField(_l("Curso"), coerce=int, validate_choice=True,
                         validators=[InputRequired(_l("Elige el curso."))])
    module = SelectField(_l("Módulo (opcional)"), coerce=int_or_none, validate_choice=True,
                         description=_l("Solo si la sesión trata un módulo del curso elegido."))
    day = DateField(_l("Fecha"), validators=[InputRequired(_l("Escribe la fecha, por ejemplo 15/03/2026."))])
    time = TimeField(_l("Hora de inicio"), validators=[InputRequired(_l("Escribe la hora, por ejemplo 09:30."))])
    place = StringField(_l("Lugar"), filters=[strip], description=_l("Por ejemplo: Local comunal de La Rinconada."),
                        validators=[DataRequired(_l("Escribe el lugar.")), Length(max=160)])
    cohort = SelectField(_l("Grupo (opcional)"), coerce=int_or_none, validate_choice=True,
                         description=_l("Si eliges un grupo, la lista de asistencia muestra a sus integrantes."))

    def offer(self, courses, cohorts) -> None:
        """Fill the choices with what this person may choose: her courses, their modules, her cohorts."""
        self.course.choices = [SelectChoice(c.id, c.title) for c in courses]
        self.module.choices = [SelectChoice("", _l("— Ninguno —"))] + [
            SelectChoice(m.id, m.title, optgroup=c.title) for c in courses for m in c.modules]
        self.cohort.choices = [SelectChoice("", _l("— Sin grupo —"))] + [SelectChoice(g.id, g.name) for g in cohorts]
        self._module_course = {m.id: c.id for c in courses for m in c.modules}

    def validate_day(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:  # a typo, and far years overflow time zone maths
            raise ValidationError(_l("Escribe la fecha, por ejemplo 15/03/2026."))

    def validate_module(self, field):
        if field.data is not None and self._module_course.get(field.data) != self.course.data:
            raise ValidationError(_l("Ese módulo no es del curso elegido."))

    def apply_to(self, workshop, timezone: str) -> None:
        workshop.course_id, workshop.module_id = self.course.data, self.module.data
        workshop.cohort_id, workshop.place = self.cohort.data, self.place.data
        workshop.set_local_start(self.day.data, self.time.data, timezone)


class AttendanceForm(FlaskForm):
    """Only the CSRF token: the checkboxes (name «present», value = person id) are read from the request."""


class AttendanceImportForm(FlaskForm):
    file = FileField(_l("Archivo CSV"),
                     description=_l("Columnas: «usuario» o «dni», y «presente» (sí, no, 1, 0 o x)."),
                     validators=[FileRequired(_l("Elige un archivo.")),
                                 FileAllowed(["csv", "txt"], _l("El archivo debe ser .csv."))])
