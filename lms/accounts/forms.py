"""Forms for signing in, PINs, registration, profiles and managing people."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.models import LANGUAGE_NAMES, REGIONS, ROLE_LABELS, Role, User, looks_like_phone, normalise_phone
from lms.extensions import db

USERNAME_RE = r"^[a-z0-9][a-z0-9._-]{2,39}$"


def region_choices():
    return [SelectChoice("", _l("— Elige tu región —"))] + [SelectChoice(k, v) for k, v in REGIONS.items()]


def language_choices():
    return [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items() if code in ("es", "en")]


def _unique(column, message, own_id=None):
    """Validator: no other account has this value in `column`."""
    def check(form, field):
        value = field.data
        if not value:
            return
        other = db.session.scalar(select(User.id).where(column == value))
        if other is not None and other != (own_id or getattr(form, "own_id", None)):
            raise ValidationError(message)
    return check


def clean_phone(form, field):
    if field.data:
        phone = normalise_phone(field.data)
        if phone is None:
            raise ValidationError(_l("Escribe un celular de 9 números que empiece con 9 (o con + y el código de "
                                     "otro país)."))
        field.data = phone


def not_a_phone(form, field):
    """A username that looks like a phone number would make «entrar con el celular» ambiguous."""
    if field.data and looks_like_phone(field.data):
        raise ValidationError(_l("El usuario no puede ser un número de celular. Usa letras, por ejemplo maria.quispe"))


def strip(value):
    return value.strip() if isinstance(value, str) else value


def lower_strip(value):
    return value.strip().lower() if isinstance(value, str) else value


def empty_to_none(value):
    value = strip(value)
    return value or None


class JoinCohortForm(FlaskForm):
    code = StringField(_l("Código del grupo"),
                       description=_l("El código que te dio tu formadora, por ejemplo K7Q-X4M."),
                       validators=[DataRequired(_l("Escribe el código del grupo.")), Length(max=20)])


class LoginForm(FlaskForm):
    login = StringField(_l("Usuario o celular"), filters=[lower_strip],
                        validators=[DataRequired(_l("Escribe tu usuario o tu celular.")), Length(max=40)])
    secret = PasswordField(_l("PIN o contraseña"),
                           validators=[DataRequired(_l("Escribe tu PIN o contraseña.")), Length(max=200)])


class NewSecretForm(FlaskForm):
    secret = PasswordField(_l("Nuevo PIN o contraseña"),
                           validators=[DataRequired(_l("Escribe tu nuevo PIN.")), Length(max=200)])
    confirm = PasswordField(_l("Repite el nuevo PIN o contraseña"),
                            validators=[DataRequired(_l("Repite tu nuevo PIN."))])

    def validate_confirm(self, field):
        if field.data != self.secret.data:
            raise ValidationError(_l("Los dos PIN no son iguales."))


class ChangeSecretForm(NewSecretForm):
    current = PasswordField(_l("PIN o contraseña actual"),
                            validators=[DataRequired(_l("Escribe tu PIN actual."))])


class ProfileForm(FlaskForm):
    """What a person edits of herself. DNI and phone are not here: they are checked against every account,
    so a form that took them would tell anyone whether a DNI or a phone has an account. Staff set them."""

    own_id = None
    full_name = StringField(_l("Nombre completo"), filters=[strip],
                            description=_l("Así aparecerá en tus certificados."),
                            validators=[DataRequired(_l("Escribe el nombre completo.")), Length(max=120)])
    birth_year = IntegerField(_l("Año de nacimiento (opcional)"), validators=[
        Optional(), NumberRange(1920, 2015, _l("Escribe un año entre 1920 y 2015."))])
    region = SelectField(_l("Región"), choices=region_choices, validate_choice=True,
                         validators=[DataRequired(_l("Elige la región."))])
    community = StringField(_l("Comunidad o base minera (opcional)"), filters=[empty_to_none],
                            description=_l("Por ejemplo: La Rinconada, Cerro Lunar."),
                            validators=[Length(max=120)])
    organisation = StringField(_l("Asociación o cooperativa (opcional)"), filters=[empty_to_none],
                               validators=[Length(max=120)])
    language = SelectField(_l("Idioma preferido"), choices=language_choices, default="es")

    PROFILE_FIELDS = ("full_name", "birth_year", "region", "community", "organisation", "language")

    def apply_to(self, user: User) -> None:
        """Copy the profile fields (and the username, where the form has one) onto the account."""
        for name in self.PROFILE_FIELDS + (("username",) if "username" in self else ()):
            value = self[name].data
            if name != "username" or value:
                setattr(user, name, value)


class PersonForm(ProfileForm):
    """An account as staff fill it in: the profile plus DNI and phone, each unique."""

    dni = StringField(_l("DNI (opcional)"), filters=[empty_to_none],
                      validators=[Optional(), Regexp(r"^\d{8}$", message=_l("El DNI tiene 8 números."))])
    phone = StringField(_l("Celular (opcional)"), filters=[empty_to_none], validators=[Optional(), clean_phone])

    PROFILE_FIELDS = ProfileForm.PROFILE_FIELDS + ("dni", "phone")

    def validate_dni(self, field):
        _unique(User.dni, _l("Ya hay una cuenta con ese DNI."))(self, field)

    def validate_phone(self, field):
        _unique(User.phone, _l("Ya hay una cuenta con ese celular."))(self, field)


class LearnerEditForm(PersonForm):
    """Staff correct a learner's data. A trainer never sees a whole DNI: left empty, it stays as it is."""

    PROFILE_FIELDS = ("full_name", "dni", "phone", "birth_year", "region", "community", "organisation")

    def __init__(self, *args, person: User, show_dni: bool, **kwargs):
        super().__init__(*args, obj=person, **kwargs)
        self.own_id = person.id
        del self.language
        self.full_name.description = _l("Así aparecerá en sus certificados.")
        if not show_dni:
            if not self.is_submitted():
                self.dni.data = None
            self.dni.description = _l("Tiene DNI terminado en %(end)s. Déjalo vacío para no cambiarlo.",
                                      end=person.dni[-3:]) if person.dni else None
        self.keep_dni = not show_dni and person.dni

    def apply_to(self, user: User) -> None:
        kept = user.dni
        super().apply_to(user)
        if self.keep_dni and not self.dni.data:
            user.dni = kept


class UsernameMixin:
    username = StringField(_l("Usuario"), filters=[lower_strip],
                           description=_l("Minúsculas, números, punto o guion. Ejemplo: maria.quispe"),
                           validators=[DataRequired(_l("Escribe un nombre de usuario.")),
                                       Regexp(USERNAME_RE, message=_l(
                                           "El usuario lleva de 3 a 40 letras minúsculas, números, punto o guion.")),
                                       not_a_phone])

    def validate_username(self, field):
        _unique(User.username, _l("Ese usuario ya existe. Elige otro."))(self, field)


class RegisterForm(UsernameMixin, ProfileForm, NewSecretForm):
    consent = BooleanField(_l("Acepto que la Red guarde y use mis datos para la formación, según la Ley 29733."),
                           validators=[DataRequired(_l("Para registrarte debes aceptar el uso de tus datos."))])


class LearnerForm(PersonForm):
    """A trainer creates a learner; the username may be left empty to be made from the name. It speaks to the
    trainer about the learner («sus certificados»), not to the learner."""

    full_name = StringField(_l("Nombre completo"), filters=[strip],
                            description=_l("Tal como está en su DNI: así aparecerá en sus certificados."),
                            validators=[DataRequired(_l("Escribe el nombre completo.")), Length(max=120)])
    birth_year = IntegerField(_l("Año de nacimiento (opcional)"), validators=[
        Optional(), NumberRange(1920, 2015, _l("Escribe un año entre 1920 y 2015."))])
    language = SelectField(_l("Idioma que prefiere"), choices=language_choices, default="es")

    username = StringField(_l("Usuario (opcional)"), filters=[lower_strip],
                           description=_l("Si lo dejas vacío, se crea con el nombre."),
                           validators=[Optional(), Regexp(USERNAME_RE, message=_l(
                               "El usuario lleva de 3 a 40 letras minúsculas, números, punto o guion.")), not_a_phone])
    region = SelectField(_l("Región"), choices=region_choices, validate_choice=True,
                         validators=[DataRequired(_l("Elige la región."))])

    def validate_username(self, field):
        _unique(User.username, _l("Ese usuario ya existe. Elige otro."))(self, field)


class StaffForm(UsernameMixin, PersonForm):
    email = StringField(_l("Correo (opcional)"), filters=[empty_to_none],
                        validators=[Optional(), Length(max=254),
                                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Escribe un correo válido."))])
    role = SelectField(_l("Rol"), choices=[SelectChoice(r.value, ROLE_LABELS[r])
                                           for r in (Role.TRAINER, Role.COORDINATOR, Role.ADMIN)])
    regions = SelectMultipleField(_l("Regiones que coordina"), choices=[SelectChoice(k, v) for k, v in REGIONS.items()],
                                  description=_l("Solo para coordinadoras regionales."),
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                  render_kw={"class": "checks"})

    def validate_regions(self, field):
        if self.role.data == Role.COORDINATOR and not field.data:
            raise ValidationError(_l("Elige al menos una región para la coordinadora."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Rol"), choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()])
    regions = StaffForm.regions
    active = BooleanField(_l("Cuenta activa"))

    validate_regions = StaffForm.validate_regions
