"""The app's fixtures (offscreen Qt, isolated settings and data, the tiny real model), shared, not copied."""

from tests.app.conftest import (_isolated_app_environment, make_app, model_dir, null_speech,  # noqa: F401
                                settings, tiny_pair)
