"""Hold the emulator's catalogue of real plant diseases and conditions (data only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Condition:
    """Describe one health condition; root classes and generic parents are `redundant`."""

    entity_id: int
    name: str
    classification: tuple[str, ...]
    local_names: dict[str, str]
    common_names: tuple[str, ...] | None
    cause: str | None
    description: str
    url: str | None
    prevention: tuple[str, ...]
    biological: tuple[str, ...] = ()
    chemical: tuple[str, ...] = ()
    redundant: bool = False
    symptom: str = "spots"

    @property
    def root(self) -> str:
        """Return the root class (one of the nine) this condition belongs to."""
        return self.classification[0] if self.classification else self.name


def _n(en: str, de: str, cs: str) -> dict[str, str]:
    return {"en": en, "de": de, "cs": cs}


CONDITIONS: Final[tuple[Condition, ...]] = (
    Condition(
        entity_id=101,
        name="Abiotic",
        classification=(),
        local_names=_n("abiotic", "abiotisch", "abiotické"),
        common_names=("abiotic disorder", "physiological plant disorder"),
        cause=None,
        description=(
            "Damage caused by non-living factors such as weather, water, light, nutrients or "
            "chemicals rather than by a pathogen or a pest."
        ),
        url="https://en.wikipedia.org/wiki/Physiological_plant_disorder",
        prevention=("Keep growing conditions (light, water, temperature, soil) stable.",),
        redundant=True,
        symptom="yellow",
    ),
    Condition(
        entity_id=102,
        name="water deficiency",
        classification=("Abiotic",),
        local_names=_n("water deficiency", "Wassermangel", "nedostatek vody"),
        common_names=("drought stress", "underwatering"),
        cause=None,
        description=(
            "Too little water in the soil makes leaves wilt, curl and turn brown from the tips "
            "and margins."
        ),
        url="https://en.wikipedia.org/wiki/Drought_tolerance",
        prevention=(
            "Water thoroughly when the top layer of soil is dry.",
            "Mulch outdoor plants to keep moisture in the soil.",
        ),
        symptom="brown",
    ),
    Condition(
        entity_id=103,
        name="water excess or uneven watering",
        classification=("Abiotic",),
        local_names=_n("water excess or uneven watering", "Staunässe", "přemokření"),
        common_names=("overwatering",),
        cause=None,
        description=(
            "Waterlogged soil deprives roots of oxygen, so leaves yellow and droop and roots may "
            "start to rot."
        ),
        url="https://en.wikipedia.org/wiki/Root_rot",
        prevention=(
            "Use pots with drainage holes and let excess water run off.",
            "Water only when the soil has partly dried out.",
        ),
        symptom="yellow",
    ),
    Condition(
        entity_id=104,
        name="nutrient deficiency",
        classification=("Abiotic",),
        local_names=_n("nutrient deficiency", "Nährstoffmangel", "nedostatek živin"),
        common_names=("chlorosis",),
        cause=None,
        description=(
            "A lack of nitrogen, iron, magnesium or another nutrient shows as pale or yellow "
            "leaves, often between the veins, and weak growth."
        ),
        url="https://en.wikipedia.org/wiki/Chlorosis",
        prevention=("Feed with a balanced fertilizer during the growing season.",),
        chemical=("Apply a fertilizer that supplies the missing nutrient.",),
        symptom="yellow",
    ),
    Condition(
        entity_id=201,
        name="Fungi",
        classification=(),
        local_names=_n("Fungi", "Pilze", "houby"),
        common_names=("fungal disease",),
        cause="Fungi",
        description="Diseases caused by parasitic fungi, usually spread by spores.",
        url="https://en.wikipedia.org/wiki/Fungus",
        prevention=("Avoid wetting the leaves and keep air circulating around plants.",),
        redundant=True,
        symptom="spots",
    ),
    Condition(
        entity_id=202,
        name="powdery mildew",
        classification=("Fungi", "Ascomycota", "Erysiphales"),
        local_names=_n("powdery mildew", "Echter Mehltau", "padlí"),
        common_names=("powdery mildew",),
        cause="Erysiphaceae",
        description=(
            "A fungal disease that covers leaves and shoots with a white powdery coating; it "
            "thrives in warm dry weather with humid nights."
        ),
        url="https://en.wikipedia.org/wiki/Powdery_mildew",
        prevention=(
            "Give plants enough space and sun.",
            "Remove infected leaves early.",
        ),
        biological=("Spray diluted milk or a Bacillus subtilis preparation.",),
        chemical=("Use a sulfur-based fungicide.",),
        symptom="white",
    ),
    Condition(
        entity_id=203,
        name="rust",
        classification=("Fungi", "Basidiomycota", "Pucciniales"),
        local_names=_n("rust", "Rost", "rez"),
        common_names=("rust fungus",),
        cause="Pucciniales",
        description=(
            "Fungal infections that form orange to brown pustules of spores, mostly on the "
            "undersides of leaves."
        ),
        url="https://en.wikipedia.org/wiki/Rust_(fungus)",
        prevention=("Remove and destroy infected leaves.", "Water the soil, not the foliage."),
        chemical=("Apply a fungicide registered against rust.",),
        symptom="orange",
    ),
    Condition(
        entity_id=204,
        name="gray mold",
        classification=("Fungi", "Ascomycota", "Helotiales"),
        local_names=_n("gray mold", "Grauschimmel", "plíseň šedá"),
        common_names=("botrytis blight", "grey mould"),
        cause="Botrytis cinerea",
        description=(
            "A fungus that rots flowers, fruits and soft tissue under a fuzzy grey coat of "
            "spores, favoured by cool damp conditions."
        ),
        url="https://en.wikipedia.org/wiki/Botrytis_cinerea",
        prevention=("Remove dead and rotting plant parts.", "Reduce humidity and crowding."),
        biological=("Apply a Trichoderma-based product.",),
        symptom="brown",
    ),
    Condition(
        entity_id=301,
        name="Animalia",
        classification=(),
        local_names=_n("Animalia", "Tiere", "živočichové"),
        common_names=("pests",),
        cause="Animalia",
        description="Damage caused by animals, mostly insects and mites feeding on the plant.",
        url="https://en.wikipedia.org/wiki/Pest_(organism)",
        prevention=("Inspect plants regularly, especially the undersides of leaves.",),
        redundant=True,
        symptom="spots",
    ),
    Condition(
        entity_id=302,
        name="Insecta",
        classification=("Animalia",),
        local_names=_n("Insecta", "Insekten", "hmyz"),
        common_names=("insects",),
        cause="Insecta",
        description="Damage caused by insects feeding on leaves, stems, roots or sap.",
        url="https://en.wikipedia.org/wiki/Insect",
        prevention=("Encourage natural predators such as ladybirds and lacewings.",),
        redundant=True,
        symptom="spots",
    ),
    Condition(
        entity_id=303,
        name="aphids",
        classification=("Animalia", "Insecta", "Hemiptera"),
        local_names=_n("aphids", "Blattläuse", "mšice"),
        common_names=("aphids", "greenfly", "blackfly"),
        cause="Aphidoidea",
        description=(
            "Small sap-sucking insects that gather on young shoots, distort the leaves, excrete "
            "sticky honeydew and transmit viruses."
        ),
        url="https://en.wikipedia.org/wiki/Aphid",
        prevention=("Avoid excess nitrogen fertilizer, which favours soft growth.",),
        biological=("Release ladybirds or lacewing larvae.", "Spray insecticidal soap."),
        chemical=("Use a pyrethrin-based insecticide.",),
        symptom="yellow",
    ),
    Condition(
        entity_id=304,
        name="thrips",
        classification=("Animalia", "Insecta"),
        local_names=_n("thrips", "Thripse", "třásněnky"),
        common_names=("thrips",),
        cause="Thysanoptera",
        description=(
            "Tiny slender insects that rasp leaf cells and leave silvery streaks speckled with "
            "black droppings."
        ),
        url="https://en.wikipedia.org/wiki/Thrips",
        prevention=("Hang blue sticky traps to monitor them.",),
        biological=("Release predatory mites such as Amblyseius cucumeris.",),
        chemical=("Spray spinosad.",),
        symptom="white",
    ),
    Condition(
        entity_id=305,
        name="spider mites",
        classification=("Animalia", "Arachnida"),
        local_names=_n("spider mites", "Spinnmilben", "svilušky"),
        common_names=("red spider mite",),
        cause="Tetranychidae",
        description=(
            "Minute mites that suck leaf cells, causing fine pale stippling and fine webbing, "
            "especially in dry warm air."
        ),
        url="https://en.wikipedia.org/wiki/Spider_mite",
        prevention=("Raise humidity around indoor plants.",),
        biological=("Release Phytoseiulus persimilis predatory mites.",),
        chemical=("Apply an acaricide.",),
        symptom="yellow",
    ),
    Condition(
        entity_id=401,
        name="Chromista",
        classification=(),
        local_names=_n("Chromista", "Chromista", "Chromista"),
        common_names=("water moulds",),
        cause="Oomycota",
        description="Diseases caused by fungus-like water moulds (oomycetes).",
        url="https://en.wikipedia.org/wiki/Oomycete",
        prevention=("Avoid overhead watering and waterlogged soil.",),
        redundant=True,
        symptom="brown",
    ),
    Condition(
        entity_id=402,
        name="late blight",
        classification=("Chromista", "Oomycota"),
        local_names=_n("late blight", "Kraut- und Knollenfäule", "plíseň bramborová"),
        common_names=("potato blight",),
        cause="Phytophthora infestans",
        description=(
            "A destructive disease of potatoes and tomatoes causing dark water-soaked leaf "
            "lesions and rotting fruits; it caused the Irish potato famine."
        ),
        url="https://en.wikipedia.org/wiki/Phytophthora_infestans",
        prevention=("Grow resistant varieties.", "Keep leaves dry and rotate crops."),
        chemical=("Apply a copper-based fungicide preventively.",),
        symptom="brown",
    ),
    Condition(
        entity_id=403,
        name="downy mildew",
        classification=("Chromista", "Oomycota"),
        local_names=_n("downy mildew", "Falscher Mehltau", "plíseň"),
        common_names=("downy mildew",),
        cause="Peronosporaceae",
        description=(
            "Water-mould infections that cause yellow angular patches on the upper leaf surface "
            "and grey-violet down underneath."
        ),
        url="https://en.wikipedia.org/wiki/Downy_mildew",
        prevention=("Water in the morning so leaves dry quickly.",),
        chemical=("Apply a copper-based fungicide.",),
        symptom="yellow",
    ),
    Condition(
        entity_id=501,
        name="Bacteria",
        classification=(),
        local_names=_n("Bacteria", "Bakterien", "bakterie"),
        common_names=("bacterial disease",),
        cause="Bacteria",
        description="Diseases caused by pathogenic bacteria entering through wounds or pores.",
        url="https://en.wikipedia.org/wiki/Plant_pathology",
        prevention=("Disinfect pruning tools between plants.",),
        redundant=True,
        symptom="brown",
    ),
    Condition(
        entity_id=502,
        name="fire blight",
        classification=("Bacteria",),
        local_names=_n("fire blight", "Feuerbrand", "spála růžovitých"),
        common_names=("fireblight",),
        cause="Erwinia amylovora",
        description=(
            "A bacterial disease of apples, pears and related Rosaceae that blackens blossoms "
            "and shoots so they look scorched."
        ),
        url="https://en.wikipedia.org/wiki/Fire_blight",
        prevention=("Cut out infected shoots well below the damage.",),
        symptom="brown",
    ),
    Condition(
        entity_id=601,
        name="tobacco mosaic virus",
        classification=("Viruses",),
        local_names=_n("tobacco mosaic virus", "Tabakmosaikvirus", "virus tabákové mozaiky"),
        common_names=("mosaic virus",),
        cause="Tobacco mosaic virus",
        description=(
            "A very stable virus that causes a light and dark green mosaic pattern and "
            "distorted leaves on tobacco, tomato and other plants."
        ),
        url="https://en.wikipedia.org/wiki/Tobacco_mosaic_virus",
        prevention=("Destroy infected plants.", "Wash hands and tools after handling them."),
        symptom="yellow",
    ),
    Condition(
        entity_id=701,
        name="senescence",
        classification=("Senescence",),
        local_names=_n("senescence", "Seneszenz", "stárnutí"),
        common_names=("ageing",),
        cause=None,
        description=(
            "Natural ageing of leaves or the whole plant, in which older leaves yellow and drop "
            "as nutrients are recycled."
        ),
        url="https://en.wikipedia.org/wiki/Plant_senescence",
        prevention=("Remove old leaves; no treatment is needed.",),
        symptom="yellow",
    ),
    Condition(
        entity_id=801,
        name="dead plant",
        classification=("Dead plant",),
        local_names=_n("dead plant", "abgestorbene Pflanze", "mrtvá rostlina"),
        common_names=None,
        cause=None,
        description="The plant or the pictured part is dead and dry.",
        url=None,
        prevention=("Check light, water and temperature needs before replacing the plant.",),
        symptom="brown",
    ),
)
