"""The only layer that touches the database: Django models, migrations, audit, encryption."""
