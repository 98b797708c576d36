"""Forms for verifying, revoking, reissuing and issuing certificates by hand."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
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


SIGNATORY_SLOTS = 3


class SettingsForm(FlaskForm):
    """Who signs the network's certificates (up to three people) and the logo printed on them."""

    logo = FileField(_l("Logo de la Red (opcional)"), description=_l("PNG o JPEG. Se imprime arriba a la izquierda."))
    name_1 = StringField(_l("Nombre de quien firma"), filters=[strip], validators=[Length(max=120)])
    title_1 = StringField(_l("Cargo"), filters=[strip], validators=[Length(max=120)])
    signature_1 = FileField(_l("Firma escaneada (opcional)"),
                            description=_l("Una foto de la firma sobre papel blanco."))
    name_2 = StringField(_l("Nombre de quien firma"), filters=[strip], validators=[Length(max=120)])
    title_2 = StringField(_l("Cargo"), filters=[strip], validators=[Length(max=120)])
    signature_2 = FileField(_l("Firma escaneada (opcional)"))
    name_3 = StringField(_l("Nombre de quien firma"), filters=[strip], validators=[Length(max=120)])
    title_3 = StringField(_l("Cargo"), filters=[strip], validators=[Length(max=120)])
    signature_3 = FileField(_l("Firma escaneada (opcional)"))

    def slot(self, n: int) -> tuple:
        return getattr(self, f"name_{n}"), getattr(self, f"title_{n}"), getattr(self, f"signature_{n}")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for n in range(1, SIGNATORY_SLOTS + 1):
            name, title, _signature = self.slot(n)
            if bool(name.data) != bool(title.data):
                (title if name.data else name).errors.append(_l("Escribe el nombre y el cargo."))
                ok = False
        if not any(self.slot(n)[0].data for n in range(1, SIGNATORY_SLOTS + 1)):
            self.name_1.errors.append(_l("Escribe al menos una persona que firme."))
            ok = False
        return ok
