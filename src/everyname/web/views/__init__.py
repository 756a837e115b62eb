"""One module per area of the app (accounts, dashboard, figures, ...)."""
