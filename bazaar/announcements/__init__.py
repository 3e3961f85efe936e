"""Announcements: the organisers' messages to a chosen audience of their fair, by email and SMS."""
