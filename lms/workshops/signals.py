"""Signals of the workshops package (learning listens, so attendance can complete a course)."""

from blinker import Namespace

signals = Namespace()

# Sent after attendance for a workshop was recorded (inside the transaction): sender=workshop, user_ids=[...].
attendance_recorded = signals.signal("attendance-recorded")
