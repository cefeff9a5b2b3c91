"""Where demo calls go: the code deck (real E.164 country codes and mobile ranges) and,
for each dialled destination, the leading digits of real numbers in it, what carriers
typically charge for it and how often calls to it are answered.

Every number the demo dials is valid for its country (tests check it with `phonenumbers`)
and resolves in the deck to the destination it was drawn from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

DECK_ID = 100  # away from the small ids an operator's own decks take
DECK_NAME = "Demo international deck"

# Routing regions: each has its own list of carriers (catalogue.ROUTES).
EUROPE, AMERICAS, ASIA_PACIFIC, MIDDLE_EAST_AFRICA = "europe", "americas", "apac", "mea"


@dataclass(frozen=True)
class Destination:
    prefix: str  # the deck's code
    name: str  # the code's name: the destination group of the reports
    country: str  # ISO 3166-1 alpha-2
    region: str
    cost: Decimal  # what carriers typically charge, USD per minute
    stems: tuple[str, ...]  # leading digits of real numbers of this code
    digits: int  # length of a whole number, country code included
    popularity: int  # weight as an international destination
    answer: int  # answer rate, percent of the usual one

    def number(self, rng: random.Random) -> str:
        stem = rng.choice(self.stems)
        return stem + str(rng.randrange(10 ** (self.digits - len(stem)))).zfill(
            self.digits - len(stem))


def _d(prefix: str, name: str, country: str, region: str, cost: str, stems: str,
       digits: int, popularity: int, answer: int = 100) -> Destination:
    return Destination(prefix, name, country, region, Decimal(cost), tuple(stems.split()),
                       digits, popularity, answer)


DESTINATIONS: tuple[Destination, ...] = (
    _d("370", "Lithuania", "LT", EUROPE, "0.0090", "37052 37037", 11, 6),
    _d("3706", "Lithuania Mobile", "LT", EUROPE, "0.0250", "3706", 11, 8),
    _d("371", "Latvia", "LV", EUROPE, "0.0120", "3716", 11, 3),
    _d("3712", "Latvia Mobile", "LV", EUROPE, "0.0300", "37126 37129", 11, 4),
    _d("372", "Estonia", "EE", EUROPE, "0.0110", "3726", 10, 2),
    _d("3725", "Estonia Mobile", "EE", EUROPE, "0.0290", "3725", 11, 3),
    _d("44", "United Kingdom", "GB", EUROPE, "0.0040", "44207 44203 44208 44161 441312",
       12, 30),
    _d("447", "United Kingdom Mobile", "GB", EUROPE, "0.0075", "44779 44784 44795 44754",
       12, 35),
    _d("1", "USA/Canada", "US", AMERICAS, "0.0035", "12125 14158 13126 16465 13057 14163",
       11, 60),
    _d("49", "Germany", "DE", EUROPE, "0.0045", "4930 4989 4940", 12, 30),
    _d("4915", "Germany Mobile", "DE", EUROPE, "0.0180", "49151", 13, 12),
    _d("4916", "Germany Mobile", "DE", EUROPE, "0.0180", "49160", 12, 8),
    _d("4917", "Germany Mobile", "DE", EUROPE, "0.0180", "49170", 12, 14),
    _d("33", "France", "FR", EUROPE, "0.0050", "331", 11, 14),
    _d("336", "France Mobile", "FR", EUROPE, "0.0210", "3361 3362 3367", 11, 14),
    _d("337", "France Mobile", "FR", EUROPE, "0.0210", "3375 3376 3378", 11, 6),
    _d("34", "Spain", "ES", EUROPE, "0.0060", "3491", 11, 8),
    _d("346", "Spain Mobile", "ES", EUROPE, "0.0110", "346", 11, 10),
    _d("39", "Italy", "IT", EUROPE, "0.0055", "3906", 12, 8),
    _d("393", "Italy Mobile", "IT", EUROPE, "0.0140", "39333 39347 39366", 12, 10),
    _d("48", "Poland", "PL", EUROPE, "0.0070", "4822", 11, 8),
    _d("485", "Poland Mobile", "PL", EUROPE, "0.0110", "48501", 11, 6),
    _d("486", "Poland Mobile", "PL", EUROPE, "0.0110", "48601 48691", 11, 6),
    _d("487", "Poland Mobile", "PL", EUROPE, "0.0110", "48781", 11, 4),
    _d("31", "Netherlands", "NL", EUROPE, "0.0060", "3120", 11, 8),
    _d("316", "Netherlands Mobile", "NL", EUROPE, "0.0320", "3161 3162 3165", 11, 8),
    _d("46", "Sweden", "SE", EUROPE, "0.0050", "468", 11, 5),
    _d("467", "Sweden Mobile", "SE", EUROPE, "0.0090", "4670 4673", 11, 6),
    _d("353", "Ireland", "IE", EUROPE, "0.0060", "3531", 11, 4),
    _d("3538", "Ireland Mobile", "IE", EUROPE, "0.0160", "35385 35387", 12, 5),
    _d("41", "Switzerland", "CH", EUROPE, "0.0080", "4144", 11, 4),
    _d("417", "Switzerland Mobile", "CH", EUROPE, "0.0450", "4179", 11, 4),
    _d("380", "Ukraine", "UA", EUROPE, "0.0950", "38044", 12, 3, 85),
    _d("3805", "Ukraine Mobile", "UA", EUROPE, "0.1200", "38050", 12, 4, 85),
    _d("3806", "Ukraine Mobile", "UA", EUROPE, "0.1200", "38067", 12, 4, 85),
    _d("3809", "Ukraine Mobile", "UA", EUROPE, "0.1200", "38093", 12, 3, 85),
    _d("90", "Turkey", "TR", MIDDLE_EAST_AFRICA, "0.0200", "90212", 12, 3),
    _d("905", "Turkey Mobile", "TR", MIDDLE_EAST_AFRICA, "0.0850", "90532", 12, 4),
    _d("972", "Israel", "IL", MIDDLE_EAST_AFRICA, "0.0080", "97226 97225", 11, 2),
    _d("9725", "Israel Mobile", "IL", MIDDLE_EAST_AFRICA, "0.0150", "972542 972547 972526",
       12, 3),
    _d("971", "United Arab Emirates", "AE", MIDDLE_EAST_AFRICA, "0.0900", "97143 97142",
       11, 2),
    _d("9715", "United Arab Emirates Mobile", "AE", MIDDLE_EAST_AFRICA, "0.1300",
       "97150 97155 97156", 12, 3),
    _d("2348", "Nigeria Mobile", "NG", MIDDLE_EAST_AFRICA, "0.1100", "234803 234806 234813",
       13, 3, 70),
    _d("27", "South Africa", "ZA", MIDDLE_EAST_AFRICA, "0.0200", "2721", 11, 2, 90),
    _d("277", "South Africa Mobile", "ZA", MIDDLE_EAST_AFRICA, "0.0350", "2772", 11, 2, 90),
    _d("278", "South Africa Mobile", "ZA", MIDDLE_EAST_AFRICA, "0.0350", "2782", 11, 2, 90),
    _d("91", "India", "IN", ASIA_PACIFIC, "0.0180", "91112 91114", 12, 4, 80),
    _d("917", "India Mobile", "IN", ASIA_PACIFIC, "0.0140", "9170", 12, 5, 80),
    _d("919", "India Mobile", "IN", ASIA_PACIFIC, "0.0140", "9198 9199", 12, 7, 80),
    _d("86", "China", "CN", ASIA_PACIFIC, "0.0080", "86106", 12, 4, 85),
    _d("8613", "China Mobile", "CN", ASIA_PACIFIC, "0.0080", "86138 86139", 13, 5, 85),
    _d("8618", "China Mobile", "CN", ASIA_PACIFIC, "0.0080", "86186", 13, 3, 85),
    _d("81", "Japan", "JP", ASIA_PACIFIC, "0.0220", "8135 8136 8133", 11, 3),
    _d("8190", "Japan Mobile", "JP", ASIA_PACIFIC, "0.0650", "81909 81908", 12, 3),
    _d("8180", "Japan Mobile", "JP", ASIA_PACIFIC, "0.0650", "81806", 12, 2),
    _d("61", "Australia", "AU", ASIA_PACIFIC, "0.0120", "6128 6129", 11, 3),
    _d("614", "Australia Mobile", "AU", ASIA_PACIFIC, "0.0210", "61404 61412 61421 61433",
       11, 4),
    _d("63", "Philippines", "PH", ASIA_PACIFIC, "0.0900", "6328", 11, 2, 75),
    _d("639", "Philippines Mobile", "PH", ASIA_PACIFIC, "0.1100", "63917", 12, 4, 75),
    _d("55", "Brazil", "BR", AMERICAS, "0.0090", "55113 55112", 12, 3, 90),
    _d("55119", "Brazil Mobile", "BR", AMERICAS, "0.0250", "55119", 13, 4, 90),
    _d("52", "Mexico", "MX", AMERICAS, "0.0060", "5255", 12, 6, 90),
)

# Codes in the deck that the demo's customers never dial: a deck holds the whole world.
OTHER_CODES: tuple[tuple[str, str, str], ...] = (
    ("7", "Russia/Kazakhstan", "RU"), ("20", "Egypt", "EG"), ("30", "Greece", "GR"),
    ("32", "Belgium", "BE"), ("351", "Portugal", "PT"), ("354", "Iceland", "IS"),
    ("358", "Finland", "FI"), ("36", "Hungary", "HU"), ("40", "Romania", "RO"),
    ("420", "Czech Republic", "CZ"), ("43", "Austria", "AT"), ("45", "Denmark", "DK"),
    ("47", "Norway", "NO"), ("54", "Argentina", "AR"), ("56", "Chile", "CL"),
    ("57", "Colombia", "CO"), ("60", "Malaysia", "MY"), ("62", "Indonesia", "ID"),
    ("64", "New Zealand", "NZ"), ("65", "Singapore", "SG"), ("66", "Thailand", "TH"),
    ("82", "South Korea", "KR"), ("84", "Vietnam", "VN"), ("852", "Hong Kong", "HK"),
    ("886", "Taiwan", "TW"), ("92", "Pakistan", "PK"), ("966", "Saudi Arabia", "SA"),
    ("212", "Morocco", "MA"), ("254", "Kenya", "KE"), ("234", "Nigeria", "NG"),
)


def code_deck() -> dict[str, Any]:
    """The `ingest.code_decks` record of the demo's deck."""
    codes = [{"prefix": d.prefix, "name": d.name, "country": d.country} for d in DESTINATIONS]
    codes += [{"prefix": p, "name": n, "country": c} for p, n, c in OTHER_CODES]
    return {"code_deck_id": DECK_ID, "name": DECK_NAME, "codes": codes}
