"""Follow-on activities after the fair: try-a-job days, study visits and matching groups, their
invitations, sign-ups, attendance and outcomes."""
