"""Settings come from the environment in one place, when asked, with the documented variable names."""

from server.settings import Settings


def test_sscc_numbering_settings_are_read_from_their_variables() -> None:
    env = {"TALLY_GS1_COMPANY_PREFIX": " 4607012345 ", "TALLY_SSCC_EXTENSION": "7", "TALLY_SSCC_FIRST_BLOCK": "0"}
    settings = Settings.from_env(env)
    assert (settings.gs1_company_prefix, settings.sscc_extension, settings.sscc_first_block) == ("4607012345", "7", 0)


def test_sscc_numbering_defaults_when_the_variables_are_unset() -> None:
    settings = Settings.from_env({})
    assert (settings.gs1_company_prefix, settings.sscc_extension, settings.sscc_first_block) == ("4601234", "0", 500)
