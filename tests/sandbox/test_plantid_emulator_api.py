"""Check the emulator's endpoints, authentication, validation texts and response shapes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.plantid import ApiKeyConfig, ScriptedOutcome, emulator_of
from tests.sandbox.conftest import API_BASE, API_KEY, Picture

IDENTIFICATION_KEYS = [
    "id",
    "custom_id",
    "meta_data",
    "uploaded_datetime",
    "finished_datetime",
    "images",
    "suggestions",
    "modifiers",
    "secret",
    "fail_cause",
    "countable",
    "feedback",
    "is_plant_probability",
    "is_plant",
]
NOT_FOUND = (
    "API endpoint not found. Please check documentation at "
    "https://github.com/flowerchecker/Plant-id-API/wiki."
)


def _client(app: Starlette, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=API_BASE, headers=headers
    )


async def test_identify_returns_documented_shape_and_key_order(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    response = await client.post("/identify", json={"images": [leafy()]})

    assert response.status_code == 200
    body = response.json()
    assert list(body) == IDENTIFICATION_KEYS
    assert body["finished_datetime"] >= body["uploaded_datetime"]
    assert body["is_plant"] is True
    assert len(body["secret"]) == 15
    assert body["feedback"] is None
    assert body["fail_cause"] is None
    assert body["countable"] is True
    suggestions = body["suggestions"]
    assert 3 <= len(suggestions) <= 10
    probabilities = [s["probability"] for s in suggestions]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) <= 1
    first = suggestions[0]
    assert list(first) == ["id", "plant_name", "plant_details", "probability", "confirmed"]
    assert set(first["plant_details"]) == {"scientific_name", "structured_name"}
    assert first["plant_details"]["scientific_name"] == first["plant_name"]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (b"", "Missing json data"),
        (b"{not json", "Invalid json data"),
        (b"[1, 2]", "Data have to be dict"),
        (b"{}", "Missing image data"),
        (b'{"images": []}', "Missing image data"),
        (b'{"images": "aGVsbG8="}', "Images have to be list of base64 strings"),
        (b'{"images": [1, 2]}', "Images have to be list of base64 strings"),
        (b'{"images": ["!!not base64!!"]}', "Invalid base64 image data"),
        (b'{"images": ["aGVsbG8gd29ybGQ="]}', "Invalid base64 image data"),
    ],
)
async def test_body_and_image_errors_are_plain_text_400(
    client: httpx.AsyncClient, content: bytes, text: str
) -> None:
    response = await client.post(
        "/identify", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 400
    assert response.text == text
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        ({"modifiers": ["crops_turbo"]}, "Invalid modifier crops_turbo"),
        ({"custom_id": 2**63}, "Custom id is too large"),
        ({"datetime": "2021-06-28"}, "Datetime have to be int"),
        ({"datetime": 1.5}, "Datetime have to be int"),
        ({"datetime": 10**13}, "Datetime is too large"),
        ({"latitude": "north"}, "Invalid JSON value error: latitude must be a number"),
        ({"custom_id": "abc"}, "Invalid JSON value error: custom_id must be an integer"),
        ({"modifiers": "similar_images"}, "Invalid JSON value error: modifiers must be a list"),
        (
            {"plant_language": "de", "plant_languages": ["en", "cs"]},
            "Invalid JSON value error: plant_language and plant_languages cannot be combined",
        ),
        (
            {"plant_languages": ["en", "cs", "de", "fr"]},
            "Invalid JSON value error: plant_languages must contain 1 to 3 languages",
        ),
        ({"plant_details": ["colour"]}, "Invalid JSON value error: unknown plant_details"),
    ],
)
async def test_parameter_errors_are_400_with_documented_text(
    client: httpx.AsyncClient, leafy: Picture, extra: dict[str, Any], text: str
) -> None:
    response = await client.post("/identify", json={"images": [leafy()], **extra})

    assert response.status_code == 400
    assert response.text.startswith(text)


async def test_valid_modifiers_are_echoed_in_request_order(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    modifiers = ["crops_medium", "similar_images", "crops_medium"]
    response = await client.post("/identify", json={"images": [leafy()], "modifiers": modifiers})

    assert response.json()["modifiers"] == ["crops_medium", "similar_images"]


async def test_custom_id_at_the_configured_bound_is_accepted(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    async with _client(make_app(max_custom_id=1000), **{"Api-Key": API_KEY}) as http:
        accepted = await http.post("/identify", json={"images": [leafy()], "custom_id": 1000})
        refused = await http.post("/identify", json={"images": [leafy()], "custom_id": 1001})

    assert accepted.json()["custom_id"] == 1000
    assert (refused.status_code, refused.text) == (400, "Custom id is too large")


# --- Authentication ------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


async def test_all_three_ways_of_authenticating_are_accepted(app: Starlette) -> None:
    async with _client(app) as http:
        by_header = await http.get("/usage_info", headers={"Api-Key": API_KEY})
        by_basic = await http.get("/usage_info", auth=("client", API_KEY))
        by_body = await http.post("/usage_info", json={"api_key": API_KEY})

    assert [r.status_code for r in (by_header, by_basic, by_body)] == [200, 200, 200]


@pytest.mark.parametrize(
    ("headers", "body", "text"),
    [
        ({}, {}, "No api key provided."),
        ({"Api-Key": "who-knows"}, {}, "The specified api key not found."),
        ({}, {"api_key": "who-knows"}, "The specified api key not found."),
        ({"Api-Key": "retired"}, {}, "The specified api key is not active."),
        ({"Authorization": "Basic !!!"}, {}, "Invalid authorization header."),
        ({"Authorization": "Bearer abc"}, {}, "Invalid authorization header."),
        ({"Authorization": _basic("client", "nope")}, {}, "The specified api key not found."),
    ],
)
async def test_bad_credentials_get_401_texts(
    make_app: Callable[..., Starlette], headers: dict[str, str], body: dict[str, str], text: str
) -> None:
    keys = {API_KEY: ApiKeyConfig(), "retired": ApiKeyConfig(active=False)}
    async with _client(make_app(api_keys=keys)) as http:
        response = await http.post("/usage_info", json=body, headers=headers)

    assert (response.status_code, response.text) == (401, text)


async def test_first_valid_key_wins_in_order_header_basic_body(app: Starlette) -> None:
    async with _client(app) as http:
        response = await http.post(
            "/usage_info", json={"api_key": API_KEY}, headers={"Api-Key": "stale-key"}
        )

    assert response.status_code == 200


async def test_journal_and_reprs_keep_credentials_out(app: Starlette, leafy: Picture) -> None:
    async with _client(app) as http:
        await http.post("/enqueue_identification", json={"images": [leafy()], "api_key": API_KEY})
        await http.get("/usage_info", headers={"Api-Key": API_KEY})

    emulator = emulator_of(app)
    enqueued = emulator.requests_to("enqueue_identification")
    assert len(enqueued) == 1
    assert enqueued[0].json["api_key"] == "***"
    assert enqueued[0].status == 200
    assert emulator.requests_to("usage_info")[0].headers["api-key"] == "***"
    assert API_KEY not in repr(emulator.journal)
    assert API_KEY not in repr(emulator.identifications)
    assert API_KEY not in repr(emulator.config)


# --- Routing -------------------------------------------------------------------------------------


async def test_unknown_path_is_404_with_documented_text(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    response = await client.post("/identify_plant", json={})

    assert (response.status_code, response.text) == (404, NOT_FOUND)
    assert emulator_of(app).journal[-1].endpoint == "unknown"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/identify"),
        ("GET", "/enqueue_identification"),
        ("GET", "/health_assessment"),
        ("GET", "/get_identification_result/multiple"),
        ("PUT", "/usage_info"),
        ("GET", "/delete_identification/5"),
    ],
)
async def test_wrong_method_is_405(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, path)

    assert response.status_code == 405


async def test_getters_accept_get_and_post(client: httpx.AsyncClient, leafy: Picture) -> None:
    created = (await client.post("/identify", json={"images": [leafy()], "custom_id": 7})).json()

    by_get = await client.get(f"/get_identification_result/{created['id']}")
    by_post = await client.post(f"/get_identification_result/{created['id']}", json={})
    by_custom = await client.get("/get_identification_result/custom_id/7")

    assert by_get.json()["id"] == by_post.json()["id"] == by_custom.json()["id"] == created["id"]


@pytest.mark.parametrize(
    "path",
    [
        "/get_identification_result/99",
        "/get_identification_result/custom_id/99",
        "/get_identification_result/custom_id/not-a-number",
    ],
)
async def test_unknown_identification_is_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert (response.status_code, response.text) == (
        404,
        "The requested identification does not exist.",
    )


async def test_identifications_of_other_keys_are_invisible(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(api_keys={"alice": ApiKeyConfig(), "bob": ApiKeyConfig()})
    async with (
        _client(app, **{"Api-Key": "alice"}) as alice,
        _client(app, **{"Api-Key": "bob"}) as bob,
    ):
        created = (await alice.post("/identify", json={"images": [leafy()]})).json()
        seen_by_bob = await bob.get(f"/get_identification_result/{created['id']}")

    assert seen_by_bob.status_code == 404


# --- Images, metadata, determinism, classification -----------------------------------------------


async def test_data_urls_and_png_are_accepted(client: httpx.AsyncClient, solid: Picture) -> None:
    data_url = "data:image/png;base64," + solid((50, 140, 40), "PNG")
    response = await client.post("/identify", json={"images": [data_url]})

    assert response.status_code == 200
    image_url = response.json()["images"][0]["url"]
    served = await client.get(image_url)
    assert served.headers["content-type"] == "image/png"
    assert base64.b64encode(served.content).decode() == data_url.split(",", 1)[1]


async def test_meta_data_echoes_location_and_datetime(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    sent = {"images": [leafy()], "latitude": 49.2, "longitude": 16.6, "datetime": 1624881923}
    with_datetime = (await client.post("/identify", json=sent)).json()
    with_null = (await client.post("/identify", json={**sent, "datetime": None})).json()

    assert with_datetime["meta_data"] == {
        "latitude": 49.2,
        "longitude": 16.6,
        "date": "2021-06-28",
        "datetime": "2021-06-28",
    }
    assert with_null["meta_data"]["datetime"] is None
    assert with_null["meta_data"]["date"] is not None


async def test_same_images_give_same_result(client: httpx.AsyncClient, leafy: Picture) -> None:
    first = (await client.post("/identify", json={"images": [leafy(3)]})).json()
    second = (await client.post("/identify", json={"images": [leafy(3)]})).json()
    other = (await client.post("/identify", json={"images": [leafy(4)]})).json()

    def ranking(body: dict[str, Any]) -> list[tuple[str, float]]:
        return [(s["plant_name"], s["probability"]) for s in body["suggestions"]]

    assert first["id"] != second["id"]
    assert ranking(first) == ranking(second)
    assert first["is_plant_probability"] == second["is_plant_probability"]
    assert ranking(first) != ranking(other)


@pytest.mark.parametrize("colour", [(210, 20, 30), (30, 40, 220), (128, 128, 128)])
async def test_solid_non_green_picture_is_not_a_plant(
    client: httpx.AsyncClient, solid: Picture, colour: tuple[int, int, int]
) -> None:
    body = (await client.post("/identify", json={"images": [solid(colour)]})).json()

    assert body["is_plant"] is False
    assert body["is_plant_probability"] < 0.2


async def test_green_pictures_are_plants(client: httpx.AsyncClient, leafy: Picture) -> None:
    body = (await client.post("/identify", json={"images": [leafy(1)]})).json()

    assert body["is_plant"] is True
    assert body["is_plant_probability"] > 0.8


async def test_several_images_are_combined(
    client: httpx.AsyncClient, leafy: Picture, solid: Picture
) -> None:
    pair = [leafy(5), solid((210, 20, 30))]
    combined = (await client.post("/identify", json={"images": pair})).json()
    alone = (await client.post("/identify", json={"images": pair[:1]})).json()
    again = (await client.post("/identify", json={"images": pair})).json()

    assert len(combined["images"]) == 2
    assert combined["is_plant_probability"] < alone["is_plant_probability"]
    assert [s["plant_name"] for s in combined["suggestions"]] == [
        s["plant_name"] for s in again["suggestions"]
    ]


async def test_flower_colour_steers_the_ranking(client: httpx.AsyncClient, leafy: Picture) -> None:
    blue = (await client.post("/identify", json={"images": [leafy(2, (40, 60, 230))]})).json()
    names = [s["plant_name"] for s in blue["suggestions"]]

    assert {"Centaurea cyanus", "Salvia rosmarinus", "Hydrangea macrophylla"} & set(names)


# --- View parameters -----------------------------------------------------------------------------


async def _scripted(app: Starlette, client: httpx.AsyncClient, picture: str) -> int:
    emulator_of(app).script_next(
        ScriptedOutcome(suggestions=[("Taraxacum officinale", 0.8), ("Rosa", 0.1)])
    )
    body = (await client.post("/enqueue_identification", json={"images": [picture]})).json()
    return int(body["id"])


async def test_plant_details_select_fields_and_unknown_values_are_null(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    ident_id = await _scripted(app, client, leafy())
    details = [
        "common_names",
        "url",
        "name_authority",
        "wiki_description",
        "taxonomy",
        "synonyms",
        "edible_parts",
        "propagation_methods",
        "watering",
        "gbif_id",
        "rank",
        "wiki_image",
    ]
    body = (
        await client.post(f"/get_identification_result/{ident_id}", json={"plant_details": details})
    ).json()

    dandelion, rose = (s["plant_details"] for s in body["suggestions"])
    assert dandelion["common_names"][0] == "common dandelion"
    assert dandelion["url"] == "https://en.wikipedia.org/wiki/Taraxacum_officinale"
    assert dandelion["name_authority"] == "Taraxacum officinale F.H.Wigg."
    assert dandelion["taxonomy"] == {
        "kingdom": "Plantae",
        "phylum": "Tracheophyta",
        "class": "Magnoliopsida",
        "order": "Asterales",
        "family": "Asteraceae",
        "genus": "Taraxacum",
    }
    assert dandelion["watering"] == {"min": 2, "max": 2}
    assert dandelion["structured_name"] == {"genus": "taraxacum", "species": "officinale"}
    assert set(dandelion["wiki_description"]) == {
        "value",
        "citation",
        "license_name",
        "license_url",
    }
    assert dandelion["wiki_description"]["license_name"] == "CC BY-SA 3.0"
    assert rose["rank"] == "genus"
    assert rose["structured_name"] == {"genus": "rosa"}
    assert rose["edible_parts"] is None
    assert rose["gbif_id"] is None
    picture = await client.get(dandelion["wiki_image"]["value"])
    assert picture.headers["content-type"] == "image/jpeg"


async def test_plant_language_localizes_with_english_fallback(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    ident_id = await _scripted(app, client, leafy())
    url = f"/get_identification_result/{ident_id}"

    def names(body: dict[str, Any]) -> Any:
        return body["suggestions"][0]["plant_details"]["common_names"]

    wanted = ["common_names", "url"]
    german = (await client.post(url, json={"plant_details": wanted, "plant_language": "de"})).json()
    unknown = (
        await client.post(url, json={"plant_details": wanted, "plant_language": "xx"})
    ).json()

    assert names(german) == ["Gewöhnlicher Löwenzahn"]
    assert german["suggestions"][0]["plant_details"]["url"].startswith("https://de.wikipedia.org")
    assert names(unknown) == ["common dandelion", "dandelion"]


async def test_plant_languages_turn_localized_fields_into_dicts(
    app: Starlette, client: httpx.AsyncClient, leafy: Picture
) -> None:
    ident_id = await _scripted(app, client, leafy())
    body = (
        await client.post(
            f"/get_identification_result/{ident_id}",
            json={
                "plant_details": ["common_names", "taxonomy"],
                "plant_languages": ["es", "cs", "ru"],
            },
        )
    ).json()

    details = body["suggestions"][0]["plant_details"]
    assert details["common_names"] == {
        "es": ["diente de león"],
        "cs": ["smetánka lékařská"],
        "ru": ["одуванчик лекарственный"],
    }
    assert details["taxonomy"]["family"] == "Asteraceae"


async def test_every_catalogue_suggestion_has_names_in_six_languages(
    client: httpx.AsyncClient, leafy: Picture, solid: Picture
) -> None:
    pictures = [leafy(seed) for seed in range(4)] + [solid((240, 210, 40)), solid((140, 70, 180))]
    seen: dict[str, Any] = {}
    for picture in pictures:
        body = (
            await client.post(
                "/identify",
                json={
                    "images": [picture],
                    "plant_details": ["common_names"],
                    "plant_languages": ["en", "de", "es"],
                },
            )
        ).json()
        for suggestion in body["suggestions"]:
            seen[suggestion["plant_name"]] = suggestion["plant_details"]["common_names"]

    assert len(seen) >= 10
    for names in seen.values():
        assert all(names[lang] for lang in ("en", "de", "es"))


# --- Similar images ------------------------------------------------------------------------------


async def test_similar_images_are_downloadable_jpegs(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    body = (
        await client.post("/identify", json={"images": [leafy()], "modifiers": ["similar_images"]})
    ).json()

    for suggestion in body["suggestions"]:
        assert len(suggestion["similar_images"]) == 2
    image = body["suggestions"][0]["similar_images"][0]
    assert len(image["id"]) == 32
    assert int(image["id"], 16) >= 0
    assert 0 <= image["similarity"] <= 1
    full = await client.get(image["url"])
    small = await client.get(image["url_small"])
    again = await client.get(image["url"])
    assert full.headers["content-type"] == small.headers["content-type"] == "image/jpeg"
    assert full.content[:3] == b"\xff\xd8\xff"
    assert len(small.content) < len(full.content)
    assert again.content == full.content


async def test_unknown_similar_image_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("http://plantid.test/media/similar/" + "0" * 32 + ".jpg")

    assert response.status_code == 404


async def test_without_modifier_there_are_no_similar_images(
    client: httpx.AsyncClient, leafy: Picture
) -> None:
    body = (await client.post("/identify", json={"images": [leafy()]})).json()

    assert all("similar_images" not in s for s in body["suggestions"])


async def test_public_url_is_the_base_of_image_links(
    make_app: Callable[..., Starlette], leafy: Picture
) -> None:
    app = make_app(public_url="https://plants.example/")
    async with _client(app, **{"Api-Key": API_KEY}) as http:
        body = (
            await http.post(
                "/identify", json={"images": [leafy()], "modifiers": ["similar_images"]}
            )
        ).json()

    assert body["images"][0]["url"].startswith("https://plants.example/media/images/")
    assert body["suggestions"][0]["similar_images"][0]["url"].startswith(
        "https://plants.example/media/similar/"
    )


def test_catalogue_covers_thirty_species_in_six_languages(app: Starlette) -> None:
    TAXA = emulator_of(app).catalogue.taxa
    species = [taxon for taxon in TAXA if taxon.rank == "species"]

    assert len(species) >= 30
    assert any(taxon.rank == "genus" for taxon in TAXA)
    for taxon in TAXA:
        assert {"en", "de", "es", "fr", "ru", "cs"} <= set(taxon.common_names), taxon.name
        assert taxon.taxonomy[-1] == taxon.name.split()[0], taxon.name
        assert taxon.authority.startswith(taxon.name), taxon.name


def test_disease_catalogue_spans_several_root_classes(app: Starlette) -> None:
    CONDITIONS = emulator_of(app).catalogue.conditions
    roots = {condition.root for condition in CONDITIONS}

    assert len([c for c in CONDITIONS if not c.redundant]) >= 12
    assert len(roots) >= 6
    assert all(condition.prevention for condition in CONDITIONS)
