"""Door check-in: filled in with the check-in views."""

urlpatterns = []
