"""Signals other packages subscribe to (DESIGN: the lower package defines, the higher one listens)."""

from blinker import Namespace

signals = Namespace()

# Sent exactly once per enrolment, inside the transaction that marks it completed: sender=enrolment.
enrolment_completed = signals.signal("enrolment-completed")
