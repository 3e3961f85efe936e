"""Writing messages to the outbox and sending the ones that are due."""


def dispatch_due_messages() -> int:
    raise NotImplementedError("implemented in the notifications issue")
