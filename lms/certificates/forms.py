"""Forms for verifying, revoking, reissuing and issuing certificates by hand."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.extensions import db_id


def to_id(value) -> int:
    return db_id(str(value), 0)


def strip(value):
    return value.strip() if isinstance(value, str) else value


class ReasonForm(FlaskForm):
    """Revoking needs a reason; it is shown on the public verification page."""

    reason = TextAreaField(
        _l("Motivo"), filters=[strip],
        description=_l("Se mostrará en la página pública de verificación. No escribas datos personales."),
        validators=[DataRequired(_l("Escribe el motivo.")), Length(max=300, message=_l("Máximo 300 letras."))])


class ManualIssueForm(FlaskForm):
    """A trainer issues a certificate to a learner who completed the course in person."""

    enrolment = SelectField(_l("Participante"), coerce=to_id, validate_choice=False,
                            validators=[DataRequired(_l("Elige a la participante."))])
    reason = TextAreaField(
        _l("Motivo"), filters=[strip],
        description=_l("Por ejemplo: completó el curso en el taller presencial del 12 de mayo."),
        validators=[DataRequired(_l("Escribe el motivo.")), Length(max=300, message=_l("Máximo 300 letras."))])

    def validate_enrolment(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Elige a una participante de la lista."))
