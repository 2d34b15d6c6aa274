"""Small pools of names and cities, made once per run by a seeded Faker.

Faker costs tens of microseconds a call, so no row calls it: each region gets
a few hundred first and last names and some dozens of cities from locales
that fit the region, and the customer rows draw from these pools with numpy.
The pools are deterministic for a seed (one Faker instance per locale, each
seeded with ``seed_instance``) and the pinned Faker version.
"""

import functools
import re
from dataclasses import dataclass

import numpy as np

from datagen import fastcsv
from datagen.randomness import FAKER_POOLS
from ecomsuite import schemas

# Locales whose names and cities fit each region, in a fixed order.
REGION_LOCALES = {
    "US-EAST": ("en_US",),
    "US-WEST": ("en_US",),
    "EU-WEST": ("en_GB", "fr_FR", "nl_NL", "es_ES"),
    "EU-CENTRAL": ("de_DE", "pl_PL", "cs_CZ"),
    "ASIA-PACIFIC": ("en_AU", "en_NZ", "en_IN"),
    "LATAM": ("es_MX", "es_CO", "es_AR", "pt_BR"),
}
assert set(REGION_LOCALES) == set(schemas.REGIONS)

FIRST_NAMES_PER_REGION = 240
LAST_NAMES_PER_REGION = 240
CITIES_PER_REGION = 60
FALLBACK_EMAIL_NAME = "customer"
FAKER_PROVIDERS = ["faker.providers.person", "faker.providers.address"]


@dataclass
class RegionPools:
    """Per region r: rows ``r*size .. r*size+size-1`` of each table."""

    first_names: list   # str, len = regions * FIRST_NAMES_PER_REGION
    last_names: list
    cities: list
    email_first: list   # the first names as lower-case ASCII email parts
    email_last: list

    def tables(self):
        """Byte tables for :class:`datagen.fastcsv.TextField` (CSV-escaped, NUL-padded)."""
        return {
            "first_name": fastcsv.text_table(self.first_names),
            "last_name": fastcsv.text_table(self.last_names),
            "city": fastcsv.text_table(self.cities),
            "email_first": fastcsv.text_table(self.email_first, escape=False),
            "email_last": fastcsv.text_table(self.email_last, escape=False),
        }


def _clean(text):
    """One line, no surrounding blanks, no NUL (Faker values are already like this)."""
    return " ".join(text.replace("\x00", "").split())


def email_part(name):
    """"Zoë-Ann O'Neil" -> "zoeannoneil": lower-case ASCII letters only."""
    from faker.decode import unidecode
    part = re.sub(r"[^a-z]", "", unidecode(name).lower())
    return part or FALLBACK_EMAIL_NAME


def _draw(fakers, method, count):
    """`count` values, as evenly as possible from each locale's Faker, in turn."""
    values = []
    for i in range(count):
        values.append(_clean(getattr(fakers[i % len(fakers)], method)()))
    return values


@functools.lru_cache(maxsize=4)
def build_pools(seed):
    """The pools for a run with this seed (cached: treat them as read-only)."""
    from faker import Faker

    seeds = np.random.SeedSequence(seed, spawn_key=(FAKER_POOLS,)).generate_state(len(schemas.REGIONS))
    first, last, cities = [], [], []
    for region, region_seed in zip(schemas.REGIONS, seeds):
        fakers = []
        for i, locale in enumerate(REGION_LOCALES[region]):
            fake = Faker(locale, providers=FAKER_PROVIDERS)  # only these: much faster to make
            fake.seed_instance(int(region_seed) * 16 + i)
            fakers.append(fake)
        first += _draw(fakers, "first_name", FIRST_NAMES_PER_REGION)
        last += _draw(fakers, "last_name", LAST_NAMES_PER_REGION)
        cities += _draw(fakers, "city", CITIES_PER_REGION)
    return RegionPools(first, last, cities,
                       [email_part(n) for n in first], [email_part(n) for n in last])
