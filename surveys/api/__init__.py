"""Survey endpoints of the JSON API. Each module here that defines ``blp`` (a
flask_smorest.Blueprint) is registered by ``surveys.init_app`` on the app's Api."""
