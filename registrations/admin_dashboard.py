"""The organizer's per-event dashboard, exports and messages to attendees (admin hooks)."""
