"""Who comes: orders, registrations, waitlist and check-ins (see DESIGN.md; next issue)."""
