"""Survey pages. Each module here that defines ``bp`` is registered by ``surveys.init_app``."""
