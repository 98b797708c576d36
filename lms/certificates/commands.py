"""`flask lms keys ...` (the network's signing keys) and `flask lms verify-qr` (check a certificate's QR offline)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from lms.certificates import signing
from lms.certificates.issuing import key_dir, sign_certificate, unsigned_certificates
from lms.extensions import db

keys_cli = AppGroup("keys", help="Las claves con que la Red firma sus certificados (SIGNING_KEY_DIR).")


@keys_cli.command("generate")
def generate() -> None:
    """Create the network's first key (refused when one exists: use rotate)."""
    folder = key_dir()
    if signing.active_kid(folder):
        raise click.ClickException(f"Ya hay una clave activa ({signing.active_kid(folder)}): usa `keys rotate`.")
    click.echo(f"Clave {signing.generate_key(folder)} creada en {folder}. Guarda una copia de esta carpeta.")


@keys_cli.command("rotate")
def rotate() -> None:
    """A new active key; the old private key is deleted, its public key stays published."""
    folder = key_dir()
    old = signing.active_kid(folder)
    if old is None:
        raise click.ClickException("No hay clave todavía: usa `keys generate`.")
    new = signing.generate_key(folder)
    click.echo(f"Clave {new} activa. La clave {old} ya no firma; sus certificados siguen verificándose.")


@keys_cli.command("list")
def list_keys() -> None:
    """Every key the network has used (public part), the active one marked."""
    folder = key_dir()
    active = signing.active_kid(folder)
    keys = signing.public_keys(folder)
    if not keys:
        click.echo(f"No hay claves en {folder}.")
    for kid, public in keys.items():
        click.echo(f"{kid}  {public.hex()}{'  (activa)' if kid == active else ''}")


@keys_cli.command("sign-missing")
def sign_missing() -> None:
    """Sign the valid certificates issued before the network had a key (their PDF then carries the statement)."""
    if signing.signing_key(key_dir()) is None:
        raise click.ClickException("No hay clave todavía: usa `keys generate`.")
    certificates = unsigned_certificates()
    for certificate in certificates:
        sign_certificate(certificate)
    db.session.commit()
    click.echo(f"{len(certificates)} certificado(s) firmado(s).")


def qr_text(source: str) -> str:
    """The text of a QR: decoded from an image file with zxing-cpp, or the text itself."""
    path = Path(source)
    if not path.is_file():
        return source
    import zxingcpp
    from PIL import Image

    with Image.open(path) as image:
        found = [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    if not found:
        raise click.ClickException("No se encontró un código QR en la imagen.")
    return found[0]


@click.command("verify-qr")
@click.argument("source")
@with_appcontext
def verify_qr(source: str) -> None:
    """Check a certificate's QR (an image file, or its text) against the network's public keys, offline."""
    code, fragment = signing.split_qr_text(qr_text(source))
    try:
        statement, signature = signing.unpack(code, fragment)
    except ValueError:
        raise click.ClickException("NO VÁLIDO: el QR no trae una declaración firmada de la Red.") from None
    if not signing.verify(statement, signature, signing.public_keys(key_dir())):
        click.echo("NO VÁLIDO: la firma no corresponde a lo que dice el QR.", err=True)
        raise SystemExit(1)
    click.echo("VÁLIDO (firma de la Red, clave {kid})\n  nombre: {name}\n  curso: {course}\n  horas: {hours}\n"
               "  completado: {completed}\n  código: {code}".format(**vars(statement)))
    click.echo(f"Revisa la revocación en {current_app.config['PUBLIC_BASE_URL']}/verify/{code}")


def register(group: AppGroup) -> None:
    group.add_command(keys_cli)
    group.add_command(verify_qr)
