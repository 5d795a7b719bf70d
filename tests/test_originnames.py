"""Origin names: key normalisation, Perkamo origin names and context labels."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from perkamo_guard.config import Config
from perkamo_guard.originnames import Places, names_perkamo_origins, normalise, places_for


@pytest.mark.parametrize(
    ("name", "folded"),
    [("allowedOrigins", "allowedorigins"), ("ALLOWED-ORIGINS", "allowedorigins"),
     ("allowed.request_origins", "allowedrequestorigins"), ("Browser SDK", "browsersdk")],
)
def test_names_are_normalised_without_case_or_separators(name: str, folded: str) -> None:
    assert normalise(name) == folded


@pytest.mark.parametrize(
    ("name", "expected"),
    [("PERKAMO_ALLOWED_ORIGINS", True), ("perkamoOrigins", True),
     ("PERKAMO_ALLOWED_ORIGINS_STAGING", True), ("PERKAMO_ORIGIN", True),
     ("PERKAMO_ORIGIN_HEADER", False), ("CORS_ALLOWED_ORIGINS", False),
     ("PERKAMO_SECRET_KEY", False)],
)
def test_perkamo_origin_names_need_no_context(name: str, expected: bool) -> None:
    assert names_perkamo_origins(name) is expected


def test_cors_below_a_perkamo_label_ends_the_context_in_code_only() -> None:
    places = Places(frozenset({"origins"}), frozenset(), ("perkamo",))
    assert places.in_context(["perkamoRouter.use", "cors"], False, code=True) is False
    assert places.in_context(["perkamo", "cors"], False, code=False) is True
    assert places.in_context(["cors", "perkamo"], False, code=True) is True


@pytest.mark.parametrize(
    ("path", "expected"),
    [("perkamo.yaml", True), ("config/perkamo/sdk.json", True),
     ("src/perkamo.config.ts", True), ("admin/browser_sdk.json", True),
     ("admin/browser-sdk.v2.yaml", True), ("config/app.yaml", False),
     ("sentry_browser_sdk_notes.json", False)],
)
def test_path_context_comes_from_a_part_that_names_perkamo_or_its_sdk(
        path: str, expected: bool) -> None:
    assert places_for(Config()).path_context(PurePosixPath(path)) is expected


def test_configured_names_join_the_defaults_normalised() -> None:
    places = places_for(Config(origin_keys=("CORS_ALLOWED_ORIGINS",),
                               origin_context=("Loyalty-SDK",)))
    assert places.is_origin_key("corsAllowedOrigins") and places.is_origin_key("origins")
    assert places.needs_no_context("settings.CORS_ALLOWED_ORIGINS")
    assert places.is_context("myLoyaltySdkClient") and not places.is_context("shop")
