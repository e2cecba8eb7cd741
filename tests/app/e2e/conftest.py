"""End-to-end tests' own marker: the settings file an app under test starts with."""


def pytest_configure(config):
    config.addinivalue_line("markers", "settings(ini): INI text added to the app's settings.ini for this test")
