"""Signals other apps listen to, so the simulator needs to know nothing of them."""

from django.dispatch import Signal

# Sent after the transaction that stored a message commits; kwargs: message (simulator.Message).
# The feedback app scores trainee messages from here.
message_stored = Signal()
