"""HTTP routes as Chalice Blueprints; `errors` maps the error hierarchy to HTTP in one place."""
