"""Admin actions for certificates of attendance (admin hooks)."""
