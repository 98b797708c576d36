"""The PIN and passphrase policy, and one-time PINs. See README, «Seguridad»."""

import secrets

from flask_babel import gettext as _

PIN_MIN_DIGITS = 6
PASSPHRASE_MIN_CHARS = 10
DIGITS = "0123456789"
# Keypad shapes and dates people pick when asked for six digits.
COMMON_PINS = frozenset({"147258", "258369", "159753", "951357", "753951", "142536", "102030", "112233"})


def is_pin(secret: str) -> bool:
    return secret.isdigit()


def _is_sequence(pin: str) -> bool:
    return pin in (DIGITS * 2) or pin in (DIGITS[::-1] * 2)


def _repeats_a_short_unit(pin: str) -> bool:
    """True for 111111, 121212, 123123: a unit of one to three digits repeated."""
    return any(len(pin) % n == 0 and pin == pin[:n] * (len(pin) // n) for n in (1, 2, 3))


def _trivial_pin_reason(pin: str, dni: str | None, birth_year: int | None) -> str | None:
    if _repeats_a_short_unit(pin):
        return _("El PIN no puede repetir los mismos números (como 111111 o 121212).")
    if _is_sequence(pin):
        return _("El PIN no puede ser una serie seguida (como 123456 o 987654).")
    if pin in COMMON_PINS:
        return _("Ese PIN es muy usado y fácil de adivinar. Elige otro.")
    if dni and (pin in dni or dni in pin):
        return _("El PIN no puede ser tu DNI ni parte de él.")
    if birth_year and str(birth_year) in pin:
        return _("El PIN no puede llevar tu año de nacimiento.")
    return None


def secret_problem(secret: str, *, staff: bool, username: str = "", dni: str | None = None,
                   birth_year: int | None = None) -> str | None:
    """Why `secret` is not allowed for this person, in words for her; None when it is fine."""
    if not staff and is_pin(secret):
        if len(secret) < PIN_MIN_DIGITS:
            return _("El PIN debe tener al menos %(n)d números.", n=PIN_MIN_DIGITS)
        return _trivial_pin_reason(secret, dni, birth_year)
    if len(secret) < PASSPHRASE_MIN_CHARS:
        if staff:
            return _("La contraseña debe tener al menos %(n)d caracteres.", n=PASSPHRASE_MIN_CHARS)
        return _("Usa un PIN de al menos %(pin)d números o una contraseña de al menos %(n)d caracteres.",
                 pin=PIN_MIN_DIGITS, n=PASSPHRASE_MIN_CHARS)
    if len(set(secret)) < 4:
        return _("La contraseña repite muy pocos caracteres distintos.")
    if username and username.lower() in secret.lower():
        return _("La contraseña no puede contener tu nombre de usuario.")
    return None


def one_time_pin() -> str:
    """A random 6-digit PIN that passes the policy itself (so it cannot teach a bad example)."""
    while True:
        pin = "".join(secrets.choice(DIGITS) for _ in range(PIN_MIN_DIGITS))
        if _trivial_pin_reason(pin, None, None) is None:
            return pin
