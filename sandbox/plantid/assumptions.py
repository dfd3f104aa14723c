"""Collect every emulator choice the Plant.id v2 reference leaves open (`[inf]`, §13)."""

from __future__ import annotations

from typing import Final

# --- Transport and errors -------------------------------------------------------------------

# §1 / §13.20: errors are short plain-text bodies; the real content type is unknown.
ERROR_MEDIA_TYPE: Final = "text/plain; charset=utf-8"
# §10: the 405 text is not given on the wiki; Starlette's default reason phrase is plausible.
METHOD_NOT_ALLOWED_TEXT: Final = "Method Not Allowed"
# §10 / §13.19: v2 does not document the unknown-id answer; v3 uses this sentence with 404.
IDENTIFICATION_NOT_FOUND_TEXT: Final = "The requested identification does not exist."
SUGGESTION_NOT_FOUND_TEXT: Final = "The requested suggestion does not exist."
SIMILAR_IMAGE_NOT_FOUND_TEXT: Final = "The requested image does not exist."
# Injected "error" faults answer with this text (the real service's 5xx bodies are unknown).
FAULT_ERROR_TEXT: Final = "Service temporarily unavailable"
# The "key refused" switch answers every API request as if the key had been disabled (§10).
KEY_REFUSED_TEXT: Final = "The specified api key is not active."
# Pillow cannot read the decoded bytes: the wiki only has the base64 text, so reuse it.
UNDECODABLE_IMAGE_TEXT: Final = "Invalid base64 image data"

# --- Request validation ---------------------------------------------------------------------

# §13.18: "Custom id is too large" has no published bound; a signed 64-bit column is assumed.
DEFAULT_MAX_CUSTOM_ID: Final = 2**63 - 1
# §3.1: "Datetime is too large" has no published bound; the last second of year 9999 is the
# largest timestamp Python's datetime (the likely server side) can represent.
MAX_DATETIME: Final = 253_402_300_799
# §3.1: identification_timeout is an int, default and maximum 20 s; larger values are clamped.
DEFAULT_IDENTIFICATION_TIMEOUT: Final = 20
MAX_IDENTIFICATION_TIMEOUT: Final = 20
# §3.1 / §3.2: at most three languages in plant_languages / languages.
MAX_LANGUAGES: Final = 3
# §13.17: no image limits are documented; a generous cap keeps the emulator's memory bounded.
MAX_IMAGES: Final = 10
# §5.1: unknown plant_details / disease_details values are rejected (400) rather than ignored,
# so that typos in a client show up in tests; the real behaviour is undocumented.
REJECT_UNKNOWN_DETAILS: Final = True
# §13.13 / §7.7: /multiple answers a JSON array in request order (ids first, then
# custom_ids), skipping unknown ids and duplicates. §3.2 lists plant_details, plant_language(s)
# and disease_details for all result getters (ids/custom_ids being "/multiple only"), so the
# emulator accepts them there too and renders each element like the single-id getter; §13.13
# notes no source shows them sent to /multiple. Each element is a full §7.1 object.
# Checks run in this order: JSON body, authentication, parameter validation, credit limits.
# Identifications are private to the API key that created them (others get 404).
# Basic auth accepts any user name; the password is the key.

# --- Modifiers -------------------------------------------------------------------------------

CROPS_MODIFIERS: Final = ("crops_simple", "crops_fast", "crops_medium")
HEALTH_MODIFIERS: Final = ("health_all", "health_auto", "health_probability", "health_only")
ALL_MODIFIERS: Final = (
    *CROPS_MODIFIERS,
    "similar_images",
    *HEALTH_MODIFIERS,
    "disease_similar_images",
)
# §4: `modifiers` in the response echoes the valid modifiers the request sent (duplicates
# dropped); the default crops_fast is not added, as in the /health_assessment sample.
# §13.3: on /health_assessment the official example sends similar_images while the sample
# response shows disease_similar_images; the emulator maps the former to the latter there.
HEALTH_ENDPOINT_MAPS_SIMILAR_IMAGES: Final = True
# §13.1: health_only is accepted on /identify too, where it drops the species suggestions.

# --- Processing --------------------------------------------------------------------------------

# Threshold behind is_plant / is_healthy (the real threshold is internal and unpublished).
IS_PLANT_THRESHOLD: Final = 0.5
IS_HEALTHY_THRESHOLD: Final = 0.5
# §13.21: the suggestion count is undocumented (3 and 12 observed); the emulator returns 3-10.
MIN_SUGGESTIONS: Final = 3
MAX_SUGGESTIONS: Final = 10
# §13.8: a failed identification (only via ScriptedOutcome.fail_cause) is HTTP 200 with
# fail_cause set, an empty suggestion list and no health_assessment.
# §7.3: samples carry two similar images per suggestion / disease.
SIMILAR_IMAGES_PER_ITEM: Final = 2
SIMILAR_IMAGE_SIZE: Final = (480, 360)
SIMILAR_IMAGE_SMALL_SIZE: Final = (160, 120)
# §13.9: `secret` is an opaque 15-character string.
SECRET_LENGTH: Final = 15

# --- Metadata ----------------------------------------------------------------------------------

# §13.10: meta_data.date and .datetime are date strings of the request's `datetime`; when the
# request omits it both fall back to the upload date, when it sends null `datetime` is null
# and `date` is the upload date.

# --- Credits -------------------------------------------------------------------------------

# §8 / §13.23: one credit per completed identification, charged when it completes; one more
# for health_all / health_probability, and for health_auto only when the plant is unhealthy.
IDENTIFICATION_CREDITS: Final = 1
HEALTH_EXTRA_CREDITS: Final = 1
# §13.23: /health_assessment alone is ambiguous (1 or 2); the emulator charges 1.
HEALTH_ASSESSMENT_CREDITS: Final = 1
# A failed identification (fail_cause set) is not countable and costs nothing.
FAILED_IS_COUNTABLE: Final = False
# Usage periods are calendar periods in UTC: the day, the ISO week (Monday first), the month.
# Limits are checked when a paid request arrives: once `used >= limit` it gets 429. The
# periods are checked in this order; the total limit uses the "sufficient number" text.
LIMIT_CHECK_ORDER: Final = ("day", "week", "month", "total")

# --- Callbacks -----------------------------------------------------------------------------

# §9 / §13.16: one POST of the identification JSON (no plant_details views, no auth), no
# retries; a delivery that fails is logged and recorded with its error.
CALLBACK_TIMEOUT_SECONDS: Final = 10.0

# --- custom_id ---------------------------------------------------------------------------------

# §13.18: custom_id is called "unique" but reuse was seen without errors: a second
# identification with the same custom_id is accepted, and lookups by custom_id (get / delete)
# address the most recent one with that custom_id for the same API key.

# --- Languages ---------------------------------------------------------------------------------

DEFAULT_LANGUAGE: Final = "en"
# §5.2 / §6.3: any language code is accepted; a language the catalogue lacks for a plant or
# disease falls back to English (plants: common names in en de es fr ru cs, mostly also it pl
# nl uk, some pt; diseases: local names in en de cs). Descriptions exist in English only.
# §13.5: on /identify and the getters disease details use `language(s)` when sent, otherwise
# `plant_language(s)`.
# §5.1: wiki_description exists in English only in the catalogue: for any language the value,
# citation and license are the English article's (url and common_names are localized).

# --- Catalogue data ------------------------------------------------------------------------------

# The taxa and conditions live in sandbox/plantid/data/*.json. Every species carries a gbif_id;
# the ids of the species added in the data-file move were written from memory and have not
# been checked against GBIF, so treat them as plausible keys, not as references. Genera have
# no gbif_id (returned as null, like other unknown details).

# --- Control switches (not part of the API) ------------------------------------------------------

# Outage answers 503 with FAULT_ERROR_TEXT on every path, image downloads included. Key refused
# answers 401 KEY_REFUSED_TEXT on API paths. Out of credits answers 429 with the "sufficient
# number" text to paid requests and makes usage_info report the total limit as just reached.
# Random faults hit API paths only (not /media); "timeout" keeps a socket open for
# `timeout_seconds` then closes it, and in-process raises httpx.ReadTimeout at once.
