"""Settings come from the environment in one place, when asked, with the documented variable names."""

from server.settings import Settings


def test_sscc_numbering_settings_are_read_from_their_variables() -> None:
    env = {"TALLY_GS1_COMPANY_PREFIX": " 4607012345 ", "TALLY_SSCC_EXTENSION": "7", "TALLY_SSCC_FIRST_BLOCK": "0"}
    settings = Settings.from_env(env)
    assert (settings.gs1_company_prefix, settings.sscc_extension, settings.sscc_first_block) == ("4607012345", "7", 0)


def test_sscc_numbering_defaults_when_the_variables_are_unset() -> None:
    settings = Settings.from_env({})
    assert (settings.gs1_company_prefix, settings.sscc_extension, settings.sscc_first_block) == ("4601234", "0", 500)


def test_the_sellers_requisites_and_vat_rate_are_read_from_their_variables() -> None:
    env = {"TALLY_SELLER_NAME": " ООО «Тэлли» ", "TALLY_SELLER_INN": "7707083893", "TALLY_SELLER_KPP": "770701001",
           "TALLY_SELLER_ADDRESS": "Москва", "TALLY_VAT_RATE": "20"}  # fmt: skip
    s = Settings.from_env(env)
    assert (s.seller_name, s.seller_inn, s.seller_kpp, s.seller_address, s.vat_rate) == ("ООО «Тэлли»", "7707083893", "770701001", "Москва", 20)
    unset = Settings.from_env({"TALLY_VAT_RATE": " "})
    assert (unset.seller_name, unset.seller_inn, unset.vat_rate) == ("", "", None)  # the warehouse stands in, without VAT
