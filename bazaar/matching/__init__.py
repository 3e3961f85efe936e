"""Employer-need-first matching: needs, ranked consenting candidates, invitations, recommendations."""
