"""Number and date formats that differ from Django's for a language of the app."""
