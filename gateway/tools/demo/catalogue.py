"""The demo's fixed cast: tenants, customers with their devices and users, carriers with
their trunks, the switches, and which carriers each region is routed to.

The cast does not depend on the seed: every run speaks of the same companies, so keys
printed by one run keep making sense after another. Ids sit in blocks of their own (clients
1000s, accounts and trunks 100000s, users 200000s and 300000s) so that they are easy to
tell apart in reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gateway.tools.demo import destinations as dst

ROOT = "root"


@dataclass(frozen=True)
class Tenant:
    name: str
    parent: str
    timezone: str


@dataclass(frozen=True)
class Ref:
    id: int
    name: str


@dataclass(frozen=True)
class Device:
    """A customer's phone: its account (SIP device), its user and its public number."""

    account: Ref
    ident: str
    user: Ref
    number: str


@dataclass(frozen=True)
class Room:
    room_id: str
    name: str
    app_type: str  # vc (meetings) or wb (webinars)


@dataclass(frozen=True)
class Customer:
    tenant: str
    client: Ref
    currency: str
    home: str  # ISO country of its offices: most calls stay there
    share: int  # weight in the traffic (0: only the operator's own test calls)
    weekend: int  # weekend traffic, percent of a weekday's
    increments: tuple[int, int]  # billing: first period and then per period, seconds
    equipment: Ref
    manager: Ref  # owner user: the account manager looking after the client
    app: Ref  # the application its calls run in
    video_app: Ref
    devices: tuple[Device, ...]
    rooms: tuple[Room, ...]
    queues: tuple[Ref, ...]  # contact-centre queues (ACD)
    records_calls: bool
    pbx_ip: str
    pays_by: str  # transaction type of its payments


@dataclass(frozen=True)
class Carrier:
    client: Ref
    trunks: tuple[Ref, ...]
    currency: str
    markup: int  # percent of the destination's typical cost
    failures: int  # per mille of attempts the network refuses (congestion and the like)
    increments: tuple[int, int]


ACME, GLOBEX = "acme-telecom", "globex-voice"
TENANTS: tuple[Tenant, ...] = (
    Tenant(ACME, ROOT, "Europe/Vilnius"),
    Tenant(GLOBEX, ROOT, "America/New_York"),
    Tenant("baltic-freight", ACME, "Europe/Vilnius"),
    Tenant("vilnius-dental", ACME, "Europe/Vilnius"),
    Tenant("nordlicht-hotels", ACME, "Europe/Berlin"),
    Tenant("initech", GLOBEX, "America/Chicago"),
    Tenant("umbrella-health", GLOBEX, "America/New_York"),
    Tenant("thames-legal", GLOBEX, "Europe/London"),
    Tenant("stark-logistics", ROOT, "Europe/Berlin"),  # a customer of the operator itself
)
RESELLER_CURRENCIES = {ACME: "EUR", GLOBEX: "USD"}  # what each reseller is billed in
RESELLERS = tuple(RESELLER_CURRENCIES)
ZONES = {t.name: t.timezone for t in TENANTS} | {ROOT: "UTC"}
PARENTS = {t.name: t.parent for t in TENANTS}

EQUIPMENT = (Ref(1, "sbc-vno-1"), Ref(2, "sbc-fra-1"), Ref(3, "sbc-nyc-1"),
             Ref(4, "media-fra-1"))
EQUIPMENT_IP = {1: "198.51.100.10", 2: "198.51.100.20", 3: "198.51.100.30",
                4: "198.51.100.40"}
VIDEO_SERVER = EQUIPMENT[3]

CARRIER_MANAGER = Ref(200900, "Carrier Relations Desk")
CARRIERS: tuple[Carrier, ...] = (
    Carrier(Ref(1901, "Nordic Carrier AB"), (Ref(190101, "nordic-vno-1"),
                                             Ref(190102, "nordic-sto-1")), "EUR", 98, 70,
            (1, 1)),
    Carrier(Ref(1902, "EuroTrunk GmbH"), (Ref(190201, "eurotrunk-fra-1"),
                                          Ref(190202, "eurotrunk-fra-2")), "EUR", 102, 90,
            (1, 1)),
    Carrier(Ref(1903, "Atlantic Transit Inc."), (Ref(190301, "atlantic-nyc-1"),
                                                 Ref(190302, "atlantic-lon-1")), "USD", 110,
            60, (1, 1)),
    Carrier(Ref(1904, "Americas Wholesale LLC"), (Ref(190401, "americas-mia-1"),), "USD", 96,
            80, (6, 6)),
    Carrier(Ref(1905, "PanAsia Voice Pte Ltd"), (Ref(190501, "panasia-sin-1"),), "USD", 100,
            120, (60, 60)),
)
_BY_ID = {c.client.id: c for c in CARRIERS}
# Least-cost routing: the carriers tried for a region, in order.
ROUTES: dict[str, tuple[Carrier, ...]] = {
    dst.EUROPE: (_BY_ID[1901], _BY_ID[1902], _BY_ID[1903]),
    dst.AMERICAS: (_BY_ID[1904], _BY_ID[1903]),
    dst.ASIA_PACIFIC: (_BY_ID[1905], _BY_ID[1903]),
    dst.MIDDLE_EAST_AFRICA: (_BY_ID[1902], _BY_ID[1905], _BY_ID[1903]),
}

_STAFF = {
    "LT": ("Rūta Jankauskienė", "Tomas Vaitkus", "Eglė Petrauskaitė", "Mindaugas Kazlauskas",
           "Inga Žukauskienė", "Darius Stankevičius", "Aistė Butkutė", "Paulius Šimkus",
           "Lina Paulauskienė", "Justas Urbonas", "Greta Navickaitė", "Karolis Bielskis"),
    "DE": ("Anna Schmidt", "Lukas Müller", "Sophie Wagner", "Jonas Becker", "Lea Hoffmann",
           "Felix Schulz", "Mia Fischer", "Paul Weber", "Laura Koch", "Max Richter"),
    "US": ("Megan Fisher", "Daniel Brooks", "Ashley Rivera", "Brian Nguyen", "Kayla Morgan",
           "Jason Patel", "Emily Carter", "Tyler Reed", "Samantha Cruz", "Kevin Hughes",
           "Rachel Kim", "Marcus Bell", "Olivia Grant", "Ethan Ward", "Natalie Price"),
    "GB": ("Oliver Bennett", "Charlotte Hughes", "Harry Collins", "Amelia Turner",
           "George Parker", "Isla Edwards"),
}
_HOME_DESTINATIONS = {d.country: d for d in dst.DESTINATIONS if d.prefix in ("370", "49", "1",
                                                                             "44")}


def _did(stem_owner: str, client_id: int, index: int) -> str:
    """A public number of the customer's own block: a real fixed-line range of its country."""
    home = _HOME_DESTINATIONS[stem_owner]
    stem = home.stems[0]
    block = digits(f"did:{client_id}", home.digits - len(stem) - 2)
    return f"{stem}{block}{index:02d}"


def digits(key: str, count: int) -> str:
    """`count` digits derived from a key: fixed names for fixed things."""
    value = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return str(value % 10 ** count).zfill(count)


def object_id(key: str) -> str:
    """A 24-hex id (as MongoDB-backed video platforms show rooms) derived from a key."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _customer(tenant: str, client_id: int, name: str, currency: str, home: str, share: int,
              weekend: int, increments: tuple[int, int], equipment: int, devices: int,
              rooms: tuple[tuple[str, str], ...], queues: tuple[str, ...] = (),
              records_calls: bool = False, pays_by: str = "card_payment") -> Customer:
    k = client_id % 1000
    staff = _STAFF[home]
    slug = tenant.split("-")[0]
    phones = tuple(
        Device(Ref(client_id * 100 + i, f"{slug}-{100 + i}"), f"{slug}{100 + i}",
               Ref(200000 + client_id * 100 + i, staff[i % len(staff)]),
               _did(home, client_id, i))
        for i in range(1, devices + 1))
    return Customer(
        tenant=tenant, client=Ref(client_id, name), currency=currency, home=home, share=share,
        weekend=weekend, increments=increments, equipment=EQUIPMENT[equipment - 1],
        manager=Ref(200500 + k, staff[-1 - k % 3]), app=Ref(2000 + k, f"{slug}-pbx"),
        video_app=Ref(3000 + k, f"{slug}-meet"), devices=phones,
        rooms=tuple(Room(object_id(f"room:{tenant}:{n}"), n, t) for n, t in rooms),
        queues=tuple(Ref(300 + 10 * k + i, q) for i, q in enumerate(queues, 1)),
        records_calls=records_calls, pbx_ip=f"203.0.113.{10 + k}", pays_by=pays_by)


CUSTOMERS: tuple[Customer, ...] = (
    _customer("baltic-freight", 1001, "Baltic Freight UAB", "EUR", "LT", 30, 20, (60, 1), 1, 12,
              (("Dispatch stand-up", "vc"), ("Client review", "vc")),
              ("Dispatch", "Claims"), pays_by="wire_transfer"),
    _customer("vilnius-dental", 1002, "Vilniaus dantų klinika", "EUR", "LT", 8, 30, (60, 60), 1,
              4, (("Consultations", "vc"),)),
    _customer("nordlicht-hotels", 1003, "Nordlicht Hotels GmbH", "EUR", "DE", 14, 85, (1, 1), 2,
              8, (("Front office", "vc"), ("Partner webinar", "wb"))),
    _customer("initech", 1004, "Initech Inc.", "USD", "US", 28, 10, (6, 6), 3, 15,
              (("Engineering sync", "vc"), ("All hands", "wb"), ("Sales room", "vc")),
              pays_by="paypal_payment"),
    _customer("umbrella-health", 1005, "Umbrella Health Clinics", "USD", "US", 22, 35, (1, 1), 3,
              10, (("Telehealth", "vc"), ("Patient education", "wb")),
              ("Appointments", "Billing"), records_calls=True),
    _customer("thames-legal", 1006, "Thames Legal LLP", "GBP", "GB", 10, 10, (60, 1), 2, 6,
              (("Client meetings", "vc"),), records_calls=True, pays_by="wire_transfer"),
    _customer("stark-logistics", 1007, "Stark Logistik AG", "EUR", "DE", 18, 25, (1, 1), 2, 10,
              (("Ops daily", "vc"),), ("Kundendienst",)),
)
# The operator's own route tests: first in the stream, so that the switches (equipment)
# are created under the root tenant before any customer's call names them.
NOC = _customer(ROOT, 1000, "NOC route tests", "USD", "DE", 0, 100, (1, 1), 2, 1,
                (("NOC media check", "vc"),))

# The key of each role that `gateway demo` prints, and its tenant.
KEY_TENANTS = (("admin", ROOT), ("reseller", ACME), ("customer", "baltic-freight"),
               ("accountant", ROOT), ("ingest", ROOT))
