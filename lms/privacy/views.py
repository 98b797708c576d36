"""Personal data: a person downloads hers; an admin anonymises a learner on request (Ley 29733)."""


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, ValidationError

from lms.accounts.forms import lower_strip
from lms.accounts.models import Role, User, audit
from lms.extensions import db
from lms.privacy.data import anonymise, export_json

bp = Blueprint("privacy", __name__)
EXPORT_FILENAME = "mis-datos-rnm-mape.json"


class AnonymiseForm(FlaskForm):
    confirm = StringField(_l("Para confirmar, escribe su usuario"), filters=[lower_strip],
                          validators=[DataRequired(_l("Escribe el usuario para confirmar."))])

    def __init__(self, username: str, **kwargs):
        super().__init__(**kwargs)
        self.username = username

    def validate_confirm(self, field):
        if field.data != self.username:
            raise ValidationError(_l("El usuario no coincide. Escríbelo tal como aparece arriba."))


def learner_to_anonymise(actor: User, user_id: int) -> User:
    """Only admins anonymise (trainers and learners get 403), and only learners' accounts."""
    if not actor.is_admin:
        abort(403)
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    if person.role != Role.LEARNER:
        abort(403)
    return person


@bp.route("/perfil/mis-datos.json")
def export():
    person = current_user._get_current_object()
    body = export_json(person)
    audit("privacy.exported", actor=person, subject=person, address=request.remote_addr)
    db.session.commit()
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/privacy/<int:user_id>/anonymise", methods=["GET", "POST"])
def anonymise_learner(user_id):
    person = learner_to_anonymise(current_user, user_id)
    done = person.is_anonymised
    form = AnonymiseForm(person.username)
    if not done and form.validate_on_submit():
        anonymise(person)
        audit("privacy.anonymised", actor=current_user, subject=person, address=request.remote_addr)
        db.session.commit()
        flash(_("Datos personales borrados. La cuenta quedó cerrada; sus cifras se mantienen."), "success")
        return redirect(url_for("privacy.anonymise_learner", user_id=person.id))
    return render_template("privacy/anonymise.html", person=person, form=form, done=done)
