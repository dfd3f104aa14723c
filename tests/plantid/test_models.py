"""Response models against realistic bodies: nulls, missing keys, languages, health, usage."""

from __future__ import annotations

import json

from plantid import Identification, PlantDetails, UsageInfo
from tests.plantid import samples


def test_finished_identification_reads_every_documented_field() -> None:
    result = Identification.model_validate(samples.identification(custom_id=7))

    assert result.id == 22062232
    assert result.custom_id == 7
    assert result.meta_data.latitude == 49.2
    assert result.meta_data.datetime == "2021-06-28"
    assert result.images[0].url is not None
    assert result.images[0].url.startswith("https://plant.id/media/images/")
    assert result.is_plant is True
    assert result.is_plant_probability == 0.9977
    assert result.countable is True
    assert not result.is_pending
    assert not result.is_failed
    assert result.suggestions is not None
    top = result.suggestions[0]
    assert top.plant_name == "Taraxacum officinale"
    assert top.probability == 0.8094
    assert top.confirmed is False
    assert top.similar_images is None
    assert top.plant_details is not None
    assert top.plant_details.taxonomy is not None
    assert top.plant_details.taxonomy.class_ == "Magnoliopsida"
    assert top.plant_details.watering is not None
    assert top.plant_details.watering.max == 2
    assert top.plant_details.common_names_for("en") == ["common dandelion", "dandelion"]
    description = top.plant_details.description_for("en")
    assert description is not None
    assert description.license_name == "CC BY-SA 3.0"


def test_genus_level_and_null_details_are_accepted() -> None:
    result = Identification.model_validate(samples.identification())

    assert result.suggestions is not None
    genus, no_details = result.suggestions[1], result.suggestions[2]
    assert genus.plant_details is not None
    assert genus.plant_details.structured_name is not None
    assert genus.plant_details.structured_name.genus == "taraxacum"
    assert genus.plant_details.structured_name.species is None
    assert genus.plant_details.common_names_for("en") == []
    assert genus.plant_details.url_for("en") is None
    assert no_details.plant_details is None


def test_similar_images_are_read_with_optional_licence() -> None:
    body = samples.identification(
        suggestions=[samples.suggestion(1, "Bellis perennis", 0.9, None, similar=True)]
    )

    result = Identification.model_validate(body)

    assert result.suggestions is not None
    images = result.suggestions[0].similar_images
    assert images is not None
    assert [image.license_name for image in images] == ["CC BY-SA 4.0", None]
    assert images[1].url_small is not None
    assert images[1].url_small.endswith(".small.jpg")


def test_plant_languages_shape_is_read_per_language_with_english_fallback() -> None:
    details = PlantDetails.model_validate(
        {
            "common_names": {"en": ["common dandelion"], "cs": ["smetánka lékařská"], "de": None},
            "url": {
                "en": "https://en.wikipedia.org/wiki/Taraxacum_officinale",
                "cs": "https://cs.wikipedia.org/wiki/Smetánka_lékařská",
            },
            "wiki_description": {
                "en": {"value": "A flowering plant.", "license_name": "CC BY-SA 3.0"},
                "cs": {"value": "Vytrvalá bylina."},
            },
            "scientific_name": "Taraxacum officinale",
            "structured_name": {"genus": "taraxacum", "species": "officinale"},
            "language": {"en": "en", "cs": "cs"},
        }
    )

    assert details.common_names_for("cs") == ["smetánka lékařská"]
    assert details.common_names_for("de") == ["common dandelion"]
    assert details.url_for("cs") == "https://cs.wikipedia.org/wiki/Smetánka_lékařská"
    assert details.url_for("fr") == "https://en.wikipedia.org/wiki/Taraxacum_officinale"
    cs_text = details.description_for("cs")
    assert cs_text is not None
    assert cs_text.value == "Vytrvalá bylina."
    fr_text = details.description_for("fr")
    assert fr_text is not None
    assert fr_text.license_name == "CC BY-SA 3.0"


def test_language_fallback_takes_any_language_when_english_is_missing() -> None:
    details = PlantDetails.model_validate({"common_names": {"cs": ["smetánka"], "de": None}})

    assert details.common_names_for("fr") == ["smetánka"]


def test_pending_identification_is_pending() -> None:
    result = Identification.model_validate(samples.identification(pending=True))

    assert result.is_pending
    assert not result.is_failed
    assert result.suggestions is None
    assert result.finished_datetime is None
    assert result.is_plant is None


def test_failed_identification_is_not_pending() -> None:
    body = samples.identification(pending=True)
    body["fail_cause"] = "unrecognizable image"

    result = Identification.model_validate(body)

    assert result.is_failed
    assert not result.is_pending


def test_health_assessment_with_redundant_classes() -> None:
    result = Identification.model_validate(samples.health_assessment_result())

    assert result.is_health_only
    assert not result.is_pending
    assert result.suggestions is None
    health = result.health_assessment
    assert health is not None
    assert health.is_healthy is False
    assert health.diseases is not None
    abiotic, thrips = health.diseases
    assert abiotic.redundant is True
    assert thrips.redundant is False
    assert thrips.disease_details is not None
    treatment = thrips.disease_details.treatment_for("en")
    assert treatment is not None
    assert treatment.chemical == ["Spray with spinosad."]
    assert abiotic.disease_details is not None
    abiotic_treatment = abiotic.disease_details.treatment_for("en")
    assert abiotic_treatment is not None
    assert abiotic_treatment.biological is None
    assert abiotic.disease_details.classification == []


def test_health_only_result_survives_a_store_and_reload() -> None:
    result = Identification.model_validate(samples.health_assessment_result())

    reloaded = Identification.model_validate_json(result.model_dump_json(by_alias=True))

    assert not reloaded.is_pending
    assert reloaded.health_assessment == result.health_assessment


def test_pending_health_assessment_is_pending_until_it_has_an_assessment() -> None:
    body = samples.identification(pending=True)
    del body["suggestions"]
    body["modifiers"] = ["health_only"]

    result = Identification.model_validate(body)

    assert result.is_pending


def test_localized_disease_details_are_read_per_language() -> None:
    body = samples.health_assessment_result()
    details = body["health_assessment"]["diseases"][1]["disease_details"]
    details["local_name"] = {"en": "thrips", "de": "Thripse"}
    details["description"] = {"en": "Tiny insects.", "de": "Winzige Insekten."}
    details["language"] = {"en": "en", "de": "de"}

    result = Identification.model_validate(body)

    assert result.health_assessment is not None
    assert result.health_assessment.diseases is not None
    read = result.health_assessment.diseases[1].disease_details
    assert read is not None
    assert read.local_name_for("de") == "Thripse"
    assert read.description_for("cs") == "Tiny insects."


def test_usage_info_keeps_nulls_as_unlimited() -> None:
    usage = UsageInfo.model_validate(samples.USAGE_INFO)

    assert usage.active is True
    assert usage.weekly_limit == 200
    assert usage.daily_limit is None
    assert usage.remaining_week == 195
    assert usage.used_total == 11


def test_unknown_fields_are_kept_not_fatal() -> None:
    body = samples.identification()
    body["model_version"] = "plant_id:3.1.0"
    body["suggestions"][0]["plant_details"]["inaturalist_id"] = 47602

    result = Identification.model_validate(json.loads(json.dumps(body)))

    assert result.model_extra == {"model_version": "plant_id:3.1.0"}
    assert result.suggestions is not None
    details = result.suggestions[0].plant_details
    assert details is not None
    assert details.model_extra == {"inaturalist_id": 47602}
