"""Hold the emulator's built-in catalogue of real plant taxa (data only, no behaviour)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

WIKI_LICENSE_NAME: Final = "CC BY-SA 3.0"
WIKI_LICENSE_URL: Final = "https://creativecommons.org/licenses/by-sa/3.0/"
TAXONOMY_KEYS: Final = ("kingdom", "phylum", "class", "order", "family", "genus")

_DICOTS: Final = ("Plantae", "Tracheophyta", "Magnoliopsida")
_MONOCOTS: Final = ("Plantae", "Tracheophyta", "Liliopsida")


@dataclass(frozen=True)
class Taxon:
    """Describe one species or genus the emulator can suggest."""

    name: str
    authority: str
    rank: str
    taxonomy: tuple[str, str, str, str, str, str]
    common_names: dict[str, tuple[str, ...]]
    wiki_title: str
    description: str
    colour: str
    synonyms: tuple[str, ...] = ()
    edible_parts: tuple[str, ...] | None = None
    propagation_methods: tuple[str, ...] | None = None
    watering: tuple[int, int] | None = None
    gbif_id: int | None = None
    extra_wiki_titles: dict[str, str] = field(default_factory=dict)

    @property
    def structured_name(self) -> dict[str, str]:
        """Return the lower-case genus/species pair the API calls `structured_name`."""
        parts = self.name.lower().split()
        if self.rank == "genus":
            return {"genus": parts[0]}
        return {"genus": parts[0], "species": " ".join(parts[1:])}

    def wiki_url(self, language: str) -> str:
        """Return the Wikipedia page of the taxon in `language`."""
        title = self.extra_wiki_titles.get(language)
        if title is None:
            title = self.wiki_title if language == "en" else self.name.replace(" ", "_")
        return f"https://{language}.wikipedia.org/wiki/{title}"


def _dicot(order: str, family: str, genus: str) -> tuple[str, str, str, str, str, str]:
    return (*_DICOTS, order, family, genus)


def _monocot(order: str, family: str, genus: str) -> tuple[str, str, str, str, str, str]:
    return (*_MONOCOTS, order, family, genus)


def _names(
    en: str, de: str, es: str, fr: str, ru: str, cs: str, **more: str
) -> dict[str, tuple[str, ...]]:
    """Build common names per language; a `|` separates several names in one language."""
    given = {"en": en, "de": de, "es": es, "fr": fr, "ru": ru, "cs": cs, **more}
    return {lang: tuple(part.strip() for part in text.split("|")) for lang, text in given.items()}


TAXA: Final[tuple[Taxon, ...]] = (
    Taxon(
        name="Taraxacum officinale",
        authority="Taraxacum officinale F.H.Wigg.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Taraxacum"),
        common_names=_names(
            "common dandelion|dandelion",
            "Gewöhnlicher Löwenzahn",
            "diente de león",
            "pissenlit",
            "одуванчик лекарственный",
            "smetánka lékařská",
            it="tarassaco",
            pl="mniszek pospolity",
            nl="paardenbloem",
            pt="dente-de-leão",
            uk="кульбаба лікарська",
        ),
        wiki_title="Taraxacum_officinale",
        description=(
            "A perennial herb of the daisy family with a rosette of toothed leaves and yellow "
            "flower heads that turn into spherical clocks of wind-dispersed seeds."
        ),
        colour="yellow",
        synonyms=("Leontodon taraxacum L.", "Taraxacum vulgare Schrank"),
        edible_parts=("flowers", "leaves", "roots"),
        propagation_methods=("division", "seeds"),
        watering=(2, 2),
        gbif_id=5394567,
    ),
    Taxon(
        name="Bellis perennis",
        authority="Bellis perennis L.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Bellis"),
        common_names=_names(
            "common daisy|lawn daisy",
            "Gänseblümchen",
            "margarita común",
            "pâquerette",
            "маргаритка многолетняя",
            "sedmikráska chudobka",
            it="pratolina",
            pl="stokrotka pospolita",
            nl="madeliefje",
            uk="стокротки багаторічні",
        ),
        wiki_title="Bellis_perennis",
        description=(
            "A small European perennial of lawns and meadows whose flower heads have white "
            "ray florets around a yellow centre and close at night."
        ),
        colour="white",
        edible_parts=("flowers", "leaves"),
        propagation_methods=("division", "seeds"),
        watering=(2, 2),
        gbif_id=3117424,
    ),
    Taxon(
        name="Helianthus annuus",
        authority="Helianthus annuus L.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Helianthus"),
        common_names=_names(
            "common sunflower|sunflower",
            "Sonnenblume",
            "girasol",
            "tournesol",
            "подсолнечник однолетний",
            "slunečnice roční",
            it="girasole",
            pl="słonecznik zwyczajny",
            nl="zonnebloem",
            pt="girassol",
            uk="соняшник однорічний",
        ),
        wiki_title="Helianthus_annuus",
        description=(
            "An annual plant native to North America, grown for its edible oily seeds and for "
            "its large yellow flower heads."
        ),
        colour="yellow",
        edible_parts=("seeds",),
        propagation_methods=("seeds",),
        watering=(2, 2),
        gbif_id=9206251,
    ),
    Taxon(
        name="Matricaria chamomilla",
        authority="Matricaria chamomilla L.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Matricaria"),
        common_names=_names(
            "German chamomile|scented mayweed",
            "Echte Kamille",
            "manzanilla",
            "matricaire camomille",
            "ромашка аптечная",
            "heřmánek pravý",
            it="camomilla comune",
            pl="rumianek pospolity",
            uk="ромашка лікарська",
        ),
        wiki_title="Matricaria_chamomilla",
        description=(
            "An aromatic annual of the daisy family with white ray florets and a hollow conical "
            "receptacle; its dried flower heads are used for herbal tea."
        ),
        colour="white",
        synonyms=("Matricaria recutita L.", "Chamomilla recutita (L.) Rauschert"),
        edible_parts=("flowers",),
        propagation_methods=("seeds",),
        watering=(1, 2),
    ),
    Taxon(
        name="Achillea millefolium",
        authority="Achillea millefolium L.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Achillea"),
        common_names=_names(
            "yarrow|common yarrow",
            "Gemeine Schafgarbe",
            "milenrama",
            "achillée millefeuille",
            "тысячелистник обыкновенный",
            "řebříček obecný",
            it="millefoglio",
            pl="krwawnik pospolity",
            nl="duizendblad",
            uk="деревій звичайний",
        ),
        wiki_title="Achillea_millefolium",
        description=(
            "A rhizomatous perennial of the Northern Hemisphere with finely divided feathery "
            "leaves and flat clusters of small white to pink flower heads."
        ),
        colour="white",
        propagation_methods=("division", "seeds"),
        watering=(1, 2),
    ),
    Taxon(
        name="Centaurea cyanus",
        authority="Centaurea cyanus L.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Centaurea"),
        common_names=_names(
            "cornflower|bachelor's button",
            "Kornblume",
            "aciano",
            "bleuet",
            "василёк синий",
            "chrpa modrá",
            it="fiordaliso",
            pl="chaber bławatek",
            nl="korenbloem",
            uk="волошка синя",
        ),
        wiki_title="Centaurea_cyanus",
        description=(
            "An annual of European cereal fields known for its intensely blue flower heads; it "
            "became rare in many regions as farming intensified."
        ),
        colour="blue",
        synonyms=("Cyanus segetum Hill",),
        edible_parts=("flowers",),
        propagation_methods=("seeds",),
    ),
    Taxon(
        name="Calendula officinalis",
        authority="Calendula officinalis L.",
        rank="species",
        taxonomy=_dicot("Asterales", "Asteraceae", "Calendula"),
        common_names=_names(
            "pot marigold|common marigold",
            "Garten-Ringelblume",
            "caléndula",
            "souci officinal",
            "календула лекарственная",
            "měsíček lékařský",
            it="calendula",
            pl="nagietek lekarski",
            nl="goudsbloem",
            uk="календула лікарська",
        ),
        wiki_title="Calendula_officinalis",
        description=(
            "A short-lived garden plant of the daisy family with bright orange or yellow flower "
            "heads whose petals are edible and used in ointments."
        ),
        colour="orange",
        edible_parts=("flowers",),
        propagation_methods=("seeds",),
        watering=(2, 2),
    ),
    Taxon(
        name="Rosa canina",
        authority="Rosa canina L.",
        rank="species",
        taxonomy=_dicot("Rosales", "Rosaceae", "Rosa"),
        common_names=_names(
            "dog rose",
            "Hunds-Rose",
            "rosal silvestre|escaramujo",
            "églantier|rosier des chiens",
            "шиповник собачий",
            "růže šípková",
            it="rosa canina",
            pl="róża dzika",
            nl="hondsroos",
            uk="шипшина собача",
        ),
        wiki_title="Rosa_canina",
        description=(
            "A climbing wild rose of Europe and western Asia with hooked prickles, pale pink "
            "five-petalled flowers and red hips rich in vitamin C."
        ),
        colour="pink",
        edible_parts=("fruits",),
        propagation_methods=("cuttings", "seeds"),
        watering=(2, 2),
    ),
    Taxon(
        name="Fragaria vesca",
        authority="Fragaria vesca L.",
        rank="species",
        taxonomy=_dicot("Rosales", "Rosaceae", "Fragaria"),
        common_names=_names(
            "wild strawberry|woodland strawberry",
            "Wald-Erdbeere",
            "fresa silvestre",
            "fraisier des bois",
            "земляника лесная",
            "jahodník obecný",
            it="fragola di bosco",
            pl="poziomka pospolita",
            nl="bosaardbei",
            uk="суниці лісові",
        ),
        wiki_title="Fragaria_vesca",
        description=(
            "A low perennial that spreads by runners, with trifoliate leaves, white flowers and "
            "small sweet red fruits."
        ),
        colour="white",
        edible_parts=("fruits", "leaves"),
        propagation_methods=("division", "seeds"),
        watering=(2, 2),
    ),
    Taxon(
        name="Malus domestica",
        authority="Malus domestica (Suckow) Borkh.",
        rank="species",
        taxonomy=_dicot("Rosales", "Rosaceae", "Malus"),
        common_names=_names(
            "apple|orchard apple tree",
            "Kulturapfel",
            "manzano",
            "pommier domestique",
            "яблоня домашняя",
            "jabloň domácí",
            it="melo",
            pl="jabłoń domowa",
            nl="appel",
            uk="яблуня домашня",
        ),
        wiki_title="Apple",
        description=(
            "A deciduous fruit tree of Central Asian origin with white to pink spring blossom, "
            "cultivated worldwide in thousands of varieties for its fruit."
        ),
        colour="pink",
        synonyms=("Pyrus malus L.",),
        edible_parts=("fruits",),
        propagation_methods=("grafting",),
        watering=(2, 2),
    ),
    Taxon(
        name="Prunus avium",
        authority="Prunus avium (L.) L.",
        rank="species",
        taxonomy=_dicot("Rosales", "Rosaceae", "Prunus"),
        common_names=_names(
            "wild cherry|sweet cherry",
            "Vogel-Kirsche",
            "cerezo",
            "merisier",
            "черешня",
            "třešeň ptačí",
            it="ciliegio",
            pl="czereśnia",
            nl="zoete kers",
            uk="черешня",
        ),
        wiki_title="Prunus_avium",
        description=(
            "A deciduous tree of Europe and western Asia with clusters of white spring flowers "
            "and dark red drupes; it is the ancestor of cultivated sweet cherries."
        ),
        colour="white",
        edible_parts=("fruits",),
        propagation_methods=("grafting", "seeds"),
        watering=(2, 2),
    ),
    Taxon(
        name="Quercus robur",
        authority="Quercus robur L.",
        rank="species",
        taxonomy=_dicot("Fagales", "Fagaceae", "Quercus"),
        common_names=_names(
            "pedunculate oak|English oak",
            "Stieleiche",
            "roble común|carballo",
            "chêne pédonculé",
            "дуб черешчатый",
            "dub letní",
            it="farnia",
            pl="dąb szypułkowy",
            nl="zomereik",
            uk="дуб звичайний",
        ),
        wiki_title="Quercus_robur",
        description=(
            "A long-lived European deciduous tree with lobed leaves on very short stalks and "
            "acorns carried on long stalks."
        ),
        colour="green",
        propagation_methods=("seeds",),
        watering=(2, 2),
        gbif_id=2878688,
    ),
    Taxon(
        name="Fagus sylvatica",
        authority="Fagus sylvatica L.",
        rank="species",
        taxonomy=_dicot("Fagales", "Fagaceae", "Fagus"),
        common_names=_names(
            "European beech|common beech",
            "Rotbuche",
            "haya",
            "hêtre commun",
            "бук лесной",
            "buk lesní",
            it="faggio",
            pl="buk zwyczajny",
            nl="beuk",
            uk="бук лісовий",
        ),
        wiki_title="Fagus_sylvatica",
        description=(
            "A large shade-tolerant deciduous tree with smooth grey bark and oval glossy leaves "
            "that dominates many forests of central and western Europe."
        ),
        colour="green",
        propagation_methods=("seeds",),
        watering=(2, 2),
        gbif_id=2882316,
    ),
    Taxon(
        name="Betula pendula",
        authority="Betula pendula Roth",
        rank="species",
        taxonomy=_dicot("Fagales", "Betulaceae", "Betula"),
        common_names=_names(
            "silver birch",
            "Hänge-Birke",
            "abedul común",
            "bouleau verruqueux",
            "берёза повислая",
            "bříza bělokorá",
            it="betulla bianca",
            pl="brzoza brodawkowata",
            nl="ruwe berk",
            uk="береза повисла",
        ),
        wiki_title="Betula_pendula",
        description=(
            "A fast-growing pioneer tree with white peeling bark, drooping twigs and small "
            "triangular toothed leaves."
        ),
        colour="green",
        synonyms=("Betula verrucosa Ehrh.",),
        propagation_methods=("seeds",),
        watering=(2, 2),
    ),
    Taxon(
        name="Acer platanoides",
        authority="Acer platanoides L.",
        rank="species",
        taxonomy=_dicot("Sapindales", "Sapindaceae", "Acer"),
        common_names=_names(
            "Norway maple",
            "Spitzahorn",
            "arce real",
            "érable plane",
            "клён остролистный",
            "javor mléč",
            it="acero riccio",
            pl="klon zwyczajny",
            nl="Noorse esdoorn",
            uk="клен гостролистий",
        ),
        wiki_title="Acer_platanoides",
        description=(
            "A European deciduous tree with palmately lobed, sharply pointed leaves that exude "
            "milky sap and winged fruits joined in wide pairs."
        ),
        colour="green",
        propagation_methods=("seeds",),
        watering=(2, 2),
        gbif_id=3189846,
    ),
    Taxon(
        name="Tilia cordata",
        authority="Tilia cordata Mill.",
        rank="species",
        taxonomy=_dicot("Malvales", "Malvaceae", "Tilia"),
        common_names=_names(
            "small-leaved lime|small-leaved linden",
            "Winter-Linde",
            "tilo de hoja pequeña",
            "tilleul à petites feuilles",
            "липа сердцевидная",
            "lípa srdčitá",
            it="tiglio selvatico",
            pl="lipa drobnolistna",
            nl="winterlinde",
            uk="липа серцелиста",
        ),
        wiki_title="Tilia_cordata",
        description=(
            "A deciduous tree with heart-shaped leaves and fragrant yellowish flowers hanging "
            "from a leafy bract, much visited by bees."
        ),
        colour="green",
        edible_parts=("flowers", "leaves"),
        propagation_methods=("seeds",),
        watering=(2, 2),
    ),
    Taxon(
        name="Urtica dioica",
        authority="Urtica dioica L.",
        rank="species",
        taxonomy=_dicot("Rosales", "Urticaceae", "Urtica"),
        common_names=_names(
            "stinging nettle|common nettle",
            "Große Brennnessel",
            "ortiga mayor",
            "grande ortie",
            "крапива двудомная",
            "kopřiva dvoudomá",
            it="ortica comune",
            pl="pokrzywa zwyczajna",
            nl="grote brandnetel",
            uk="кропива дводомна",
        ),
        wiki_title="Urtica_dioica",
        description=(
            "A herbaceous perennial covered in stinging hairs that inject irritants; young "
            "leaves are eaten cooked and the plant favours nitrogen-rich soil."
        ),
        colour="green",
        edible_parts=("leaves",),
        propagation_methods=("division", "seeds"),
        watering=(2, 3),
        gbif_id=5361866,
    ),
    Taxon(
        name="Papaver rhoeas",
        authority="Papaver rhoeas L.",
        rank="species",
        taxonomy=_dicot("Ranunculales", "Papaveraceae", "Papaver"),
        common_names=_names(
            "common poppy|corn poppy",
            "Klatschmohn",
            "amapola",
            "coquelicot",
            "мак самосейка",
            "mák vlčí",
            it="papavero comune",
            pl="mak polny",
            nl="grote klaproos",
            uk="мак дикий",
        ),
        wiki_title="Papaver_rhoeas",
        description=(
            "An annual of disturbed ground and fields with hairy stems and four papery scarlet "
            "petals, often with a dark blotch at the base."
        ),
        colour="red",
        edible_parts=("seeds",),
        propagation_methods=("seeds",),
        watering=(1, 2),
    ),
    Taxon(
        name="Convallaria majalis",
        authority="Convallaria majalis L.",
        rank="species",
        taxonomy=_monocot("Asparagales", "Asparagaceae", "Convallaria"),
        common_names=_names(
            "lily of the valley",
            "Maiglöckchen",
            "lirio de los valles",
            "muguet",
            "ландыш майский",
            "konvalinka vonná",
            it="mughetto",
            pl="konwalia majowa",
            nl="lelietje-van-dalen",
            uk="конвалія травнева",
        ),
        wiki_title="Lily_of_the_valley",
        description=(
            "A woodland perennial with two broad leaves and a one-sided raceme of fragrant white "
            "bell-shaped flowers; all parts are highly poisonous."
        ),
        colour="white",
        propagation_methods=("division",),
        watering=(2, 2),
    ),
    Taxon(
        name="Tulipa gesneriana",
        authority="Tulipa gesneriana L.",
        rank="species",
        taxonomy=_monocot("Liliales", "Liliaceae", "Tulipa"),
        common_names=_names(
            "garden tulip|Didier's tulip",
            "Garten-Tulpe",
            "tulipán",
            "tulipe des jardins",
            "тюльпан Геснера",
            "tulipán zahradní",
            it="tulipano",
            pl="tulipan Gesnera",
            nl="tuintulp",
            uk="тюльпан Геснера",
        ),
        wiki_title="Tulipa_gesneriana",
        description=(
            "A bulbous spring-flowering plant from which most garden tulips were bred, bearing a "
            "single cup-shaped flower on each stem."
        ),
        colour="red",
        propagation_methods=("bulbs", "seeds"),
        watering=(2, 2),
    ),
    Taxon(
        name="Lavandula angustifolia",
        authority="Lavandula angustifolia Mill.",
        rank="species",
        taxonomy=_dicot("Lamiales", "Lamiaceae", "Lavandula"),
        common_names=_names(
            "English lavender|lavender",
            "Echter Lavendel",
            "lavanda",
            "lavande vraie",
            "лаванда узколистная",
            "levandule lékařská",
            it="lavanda vera",
            pl="lawenda wąskolistna",
            nl="echte lavendel",
            uk="лаванда вузьколиста",
        ),
        wiki_title="Lavandula_angustifolia",
        description=(
            "An evergreen Mediterranean subshrub with narrow grey-green leaves and spikes of "
            "fragrant purple flowers, grown for essential oil."
        ),
        colour="purple",
        synonyms=("Lavandula officinalis Chaix",),
        edible_parts=("flowers",),
        propagation_methods=("cuttings", "seeds"),
        watering=(1, 1),
    ),
    Taxon(
        name="Mentha spicata",
        authority="Mentha spicata L.",
        rank="species",
        taxonomy=_dicot("Lamiales", "Lamiaceae", "Mentha"),
        common_names=_names(
            "spearmint",
            "Grüne Minze",
            "hierbabuena",
            "menthe verte",
            "мята колосовая",
            "máta klasnatá",
            it="menta romana",
            pl="mięta zielona",
            nl="groene munt",
            uk="м'ята колосиста",
        ),
        wiki_title="Spearmint",
        description=(
            "A spreading aromatic perennial with square stems and toothed leaves used to flavour "
            "food and drinks."
        ),
        colour="green",
        edible_parts=("leaves",),
        propagation_methods=("cuttings", "division"),
        watering=(2, 3),
    ),
    Taxon(
        name="Ocimum basilicum",
        authority="Ocimum basilicum L.",
        rank="species",
        taxonomy=_dicot("Lamiales", "Lamiaceae", "Ocimum"),
        common_names=_names(
            "basil|sweet basil",
            "Basilikum",
            "albahaca",
            "basilic",
            "базилик душистый",
            "bazalka pravá",
            it="basilico",
            pl="bazylia pospolita",
            nl="basilicum",
            uk="базилік звичайний",
        ),
        wiki_title="Basil",
        description=(
            "A tender annual culinary herb of tropical origin with glossy aromatic leaves and "
            "small white flowers in spikes."
        ),
        colour="green",
        edible_parts=("leaves",),
        propagation_methods=("cuttings", "seeds"),
        watering=(2, 2),
    ),
    Taxon(
        name="Salvia rosmarinus",
        authority="Salvia rosmarinus Spenn.",
        rank="species",
        taxonomy=_dicot("Lamiales", "Lamiaceae", "Salvia"),
        common_names=_names(
            "rosemary",
            "Rosmarin",
            "romero",
            "romarin",
            "розмарин",
            "rozmarýna lékařská",
            it="rosmarino",
            pl="rozmaryn lekarski",
            nl="rozemarijn",
            uk="розмарин",
        ),
        wiki_title="Rosemary",
        description=(
            "An evergreen Mediterranean shrub with needle-like fragrant leaves and pale blue "
            "flowers, widely used as a culinary herb."
        ),
        colour="blue",
        synonyms=("Rosmarinus officinalis L.",),
        edible_parts=("leaves",),
        propagation_methods=("cuttings",),
        watering=(1, 1),
    ),
    Taxon(
        name="Syringa vulgaris",
        authority="Syringa vulgaris L.",
        rank="species",
        taxonomy=_dicot("Lamiales", "Oleaceae", "Syringa"),
        common_names=_names(
            "common lilac|lilac",
            "Gemeiner Flieder",
            "lila",
            "lilas commun",
            "сирень обыкновенная",
            "šeřík obecný",
            it="lillà",
            pl="lilak pospolity",
            nl="gewone sering",
            uk="бузок звичайний",
        ),
        wiki_title="Syringa_vulgaris",
        description=(
            "A deciduous shrub from the Balkans with heart-shaped leaves and dense panicles of "
            "fragrant lilac or white flowers in late spring."
        ),
        colour="purple",
        propagation_methods=("cuttings", "layering"),
        watering=(2, 2),
    ),
    Taxon(
        name="Monstera deliciosa",
        authority="Monstera deliciosa Liebm.",
        rank="species",
        taxonomy=_monocot("Alismatales", "Araceae", "Monstera"),
        common_names=_names(
            "Swiss cheese plant|monstera",
            "Köstliches Fensterblatt",
            "costilla de Adán",
            "monstera délicieuse",
            "монстера деликатесная",
            "monstera skvostná",
            it="monstera",
            pl="monstera dziurawa",
            nl="gatenplant",
            uk="монстера делікатесна",
        ),
        wiki_title="Monstera_deliciosa",
        description=(
            "A climbing aroid from Central American rainforests whose large glossy leaves "
            "develop holes and splits; a popular houseplant."
        ),
        colour="green",
        edible_parts=("fruits",),
        propagation_methods=("cuttings", "layering"),
        watering=(2, 2),
        gbif_id=2868241,
    ),
    Taxon(
        name="Epipremnum aureum",
        authority="Epipremnum aureum (Linden & André) G.S.Bunting",
        rank="species",
        taxonomy=_monocot("Alismatales", "Araceae", "Epipremnum"),
        common_names=_names(
            "golden pothos|devil's ivy",
            "Efeutute",
            "potus",
            "pothos|scindapsus",
            "эпипремнум золотистый",
            "šplhavnice zlatá",
            it="potos",
            pl="epipremnum złociste",
            uk="епіпремнум золотистий",
        ),
        wiki_title="Epipremnum_aureum",
        description=(
            "A vigorous evergreen climber from French Polynesia with heart-shaped green leaves "
            "marbled with yellow, often kept as a trailing houseplant."
        ),
        colour="green",
        synonyms=("Scindapsus aureus (Linden & André) Engl.",),
        propagation_methods=("cuttings",),
        watering=(2, 2),
    ),
    Taxon(
        name="Spathiphyllum wallisii",
        authority="Spathiphyllum wallisii Regel",
        rank="species",
        taxonomy=_monocot("Alismatales", "Araceae", "Spathiphyllum"),
        common_names=_names(
            "peace lily",
            "Einblatt",
            "espatifilo",
            "fleur de lune",
            "спатифиллум Уоллиса",
            "lopatkovec Wallisův",
            it="spatifillo",
            pl="skrzydłokwiat Wallisa",
            nl="lepelplant",
            uk="спатифілум Волліса",
        ),
        wiki_title="Spathiphyllum_wallisii",
        description=(
            "A tropical American aroid with dark green lance-shaped leaves and white spathes "
            "around a cream spadix, tolerant of low light indoors."
        ),
        colour="white",
        propagation_methods=("division",),
        watering=(2, 3),
    ),
    Taxon(
        name="Dracaena trifasciata",
        authority="Dracaena trifasciata (Prain) Mabb.",
        rank="species",
        taxonomy=_monocot("Asparagales", "Asparagaceae", "Dracaena"),
        common_names=_names(
            "snake plant|mother-in-law's tongue",
            "Bogenhanf",
            "lengua de suegra",
            "langue de belle-mère",
            "сансевиерия трёхполосная",
            "tchýnin jazyk",
            it="lingua di suocera",
            pl="sansewieria gwinejska",
            nl="vrouwentong",
            uk="сансевієрія тригрупова",
        ),
        wiki_title="Dracaena_trifasciata",
        description=(
            "A West African succulent with stiff upright sword-shaped leaves banded in dark "
            "green; it tolerates drought and neglect."
        ),
        colour="green",
        synonyms=("Sansevieria trifasciata Prain",),
        propagation_methods=("cuttings", "division"),
        watering=(1, 1),
    ),
    Taxon(
        name="Aloe vera",
        authority="Aloe vera (L.) Burm.f.",
        rank="species",
        taxonomy=_monocot("Asparagales", "Asphodelaceae", "Aloe"),
        common_names=_names(
            "aloe vera|true aloe",
            "Echte Aloe",
            "sábila|aloe vera",
            "aloès des Barbades",
            "алоэ вера",
            "aloe pravá",
            it="aloe vera",
            pl="aloes zwyczajny",
            nl="echte aloë",
            uk="алое справжнє",
        ),
        wiki_title="Aloe_vera",
        description=(
            "A stemless succulent with thick fleshy grey-green leaves filled with a clear gel "
            "used in cosmetics and skin care."
        ),
        colour="green",
        synonyms=("Aloe barbadensis Mill.",),
        propagation_methods=("division",),
        watering=(1, 1),
    ),
    Taxon(
        name="Chlorophytum comosum",
        authority="Chlorophytum comosum (Thunb.) Jacques",
        rank="species",
        taxonomy=_monocot("Asparagales", "Asparagaceae", "Chlorophytum"),
        common_names=_names(
            "spider plant",
            "Grünlilie",
            "cinta|malamadre",
            "plante araignée",
            "хлорофитум хохлатый",
            "zelenec chocholatý",
            it="falangio",
            pl="zielistka Sternberga",
            nl="graslelie",
            uk="хлорофітум чубатий",
        ),
        wiki_title="Chlorophytum_comosum",
        description=(
            "A southern African perennial with arching striped leaves that produces plantlets "
            "on long stems, a very common houseplant."
        ),
        colour="green",
        propagation_methods=("division", "offsets"),
        watering=(2, 2),
    ),
    Taxon(
        name="Ficus benjamina",
        authority="Ficus benjamina L.",
        rank="species",
        taxonomy=_dicot("Rosales", "Moraceae", "Ficus"),
        common_names=_names(
            "weeping fig|Benjamin fig",
            "Birkenfeige",
            "ficus benjamina",
            "figuier pleureur",
            "фикус Бенджамина",
            "fíkovník Benjaminův",
            it="ficus benjamin",
            pl="figowiec benjamina",
            nl="treurvijg",
            uk="фікус Бенджаміна",
        ),
        wiki_title="Ficus_benjamina",
        description=(
            "A tropical Asian fig tree with drooping branches and glossy pointed leaves, widely "
            "grown indoors, where it sheds leaves when moved."
        ),
        colour="green",
        propagation_methods=("cuttings", "layering"),
        watering=(2, 2),
    ),
    Taxon(
        name="Hedera helix",
        authority="Hedera helix L.",
        rank="species",
        taxonomy=_dicot("Apiales", "Araliaceae", "Hedera"),
        common_names=_names(
            "common ivy|English ivy",
            "Gemeiner Efeu",
            "hiedra común",
            "lierre grimpant",
            "плющ обыкновенный",
            "břečťan popínavý",
            it="edera comune",
            pl="bluszcz pospolity",
            nl="klimop",
            uk="плющ звичайний",
        ),
        wiki_title="Hedera_helix",
        description=(
            "An evergreen climber that clings with aerial roots, with lobed leaves on young "
            "shoots and black berries that ripen in late winter."
        ),
        colour="green",
        propagation_methods=("cuttings", "layering"),
        watering=(2, 2),
    ),
    Taxon(
        name="Solanum lycopersicum",
        authority="Solanum lycopersicum L.",
        rank="species",
        taxonomy=_dicot("Solanales", "Solanaceae", "Solanum"),
        common_names=_names(
            "tomato|garden tomato",
            "Tomate",
            "tomate|jitomate",
            "tomate",
            "томат|помидор",
            "lilek rajče|rajče",
            it="pomodoro",
            pl="pomidor zwyczajny",
            nl="tomaat",
            uk="томат",
        ),
        wiki_title="Tomato",
        description=(
            "A South American annual of the nightshade family grown for its red berries, with "
            "hairy strongly scented leaves and yellow flowers."
        ),
        colour="red",
        synonyms=("Lycopersicon esculentum Mill.",),
        edible_parts=("fruits",),
        propagation_methods=("cuttings", "seeds"),
        watering=(2, 3),
    ),
    Taxon(
        name="Hydrangea macrophylla",
        authority="Hydrangea macrophylla (Thunb.) Ser.",
        rank="species",
        taxonomy=_dicot("Cornales", "Hydrangeaceae", "Hydrangea"),
        common_names=_names(
            "bigleaf hydrangea|French hydrangea",
            "Garten-Hortensie",
            "hortensia",
            "hortensia",
            "гортензия крупнолистная",
            "hortenzie velkolistá",
            it="ortensia",
            pl="hortensja ogrodowa",
            nl="hortensia",
            uk="гортензія великолиста",
        ),
        wiki_title="Hydrangea_macrophylla",
        description=(
            "A Japanese deciduous shrub with large rounded flower clusters that are blue on "
            "acidic soils and pink on alkaline ones."
        ),
        colour="blue",
        propagation_methods=("cuttings",),
        watering=(3, 3),
    ),
    Taxon(
        name="Tropaeolum majus",
        authority="Tropaeolum majus L.",
        rank="species",
        taxonomy=_dicot("Brassicales", "Tropaeolaceae", "Tropaeolum"),
        common_names=_names(
            "garden nasturtium|nasturtium",
            "Große Kapuzinerkresse",
            "capuchina",
            "capucine",
            "настурция большая",
            "lichořeřišnice větší",
            it="nasturzio",
            pl="nasturcja większa",
            nl="Oost-Indische kers",
            uk="настурція велика",
        ),
        wiki_title="Tropaeolum_majus",
        description=(
            "A trailing annual from the Andes with round shield-shaped leaves and orange, red "
            "or yellow spurred flowers with a peppery taste."
        ),
        colour="orange",
        edible_parts=("flowers", "leaves", "seeds"),
        propagation_methods=("seeds",),
        watering=(2, 2),
    ),
    Taxon(
        name="Phalaenopsis amabilis",
        authority="Phalaenopsis amabilis (L.) Blume",
        rank="species",
        taxonomy=_monocot("Asparagales", "Orchidaceae", "Phalaenopsis"),
        common_names=_names(
            "moon orchid|moth orchid",
            "Schöne Phalaenopsis",
            "orquídea mariposa",
            "orchidée papillon",
            "фаленопсис приятный",
            "můrovec",
            it="falenopsis",
            pl="storczyk ćmowy",
            nl="vlinderorchidee",
            uk="фаленопсис приємний",
        ),
        wiki_title="Phalaenopsis_amabilis",
        description=(
            "An epiphytic orchid of Southeast Asia and Australia with broad fleshy leaves and "
            "long sprays of flat white flowers."
        ),
        colour="white",
        propagation_methods=("division",),
        watering=(2, 2),
    ),
    Taxon(
        name="Rosa",
        authority="Rosa L.",
        rank="genus",
        taxonomy=_dicot("Rosales", "Rosaceae", "Rosa"),
        common_names=_names(
            "rose|roses",
            "Rosen",
            "rosa",
            "rosier",
            "шиповник|роза",
            "růže",
            it="rosa",
            pl="róża",
            nl="roos",
            uk="шипшина|троянда",
        ),
        wiki_title="Rose",
        description=(
            "A genus of prickly woody shrubs and climbers of the Northern Hemisphere with "
            "showy, often fragrant flowers and fleshy fruits called hips."
        ),
        colour="red",
        propagation_methods=("cuttings", "grafting"),
    ),
    Taxon(
        name="Quercus",
        authority="Quercus L.",
        rank="genus",
        taxonomy=_dicot("Fagales", "Fagaceae", "Quercus"),
        common_names=_names(
            "oak|oaks",
            "Eichen",
            "roble|encina",
            "chêne",
            "дуб",
            "dub",
            it="quercia",
            pl="dąb",
            nl="eik",
            uk="дуб",
        ),
        wiki_title="Oak",
        description=(
            "A genus of several hundred trees and shrubs of the beech family whose fruit is the "
            "acorn, set in a cup-shaped cupule."
        ),
        colour="green",
        propagation_methods=("seeds",),
    ),
    Taxon(
        name="Acer",
        authority="Acer L.",
        rank="genus",
        taxonomy=_dicot("Sapindales", "Sapindaceae", "Acer"),
        common_names=_names(
            "maple|maples",
            "Ahorne",
            "arce",
            "érable",
            "клён",
            "javor",
            it="acero",
            pl="klon",
            nl="esdoorn",
            uk="клен",
        ),
        wiki_title="Maple",
        description=(
            "A genus of trees and shrubs with mostly palmately lobed opposite leaves and paired "
            "winged fruits called samaras."
        ),
        colour="green",
        propagation_methods=("seeds",),
    ),
)


def taxon_by_name(name: str) -> Taxon:
    """Return the taxon with scientific name `name` (KeyError if absent)."""
    for taxon in TAXA:
        if taxon.name.lower() == name.lower():
            return taxon
    raise KeyError(name)
