"""Customer tier distribution: customers per tier, their share of all customers, average lifetime value."""

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import CanonicalJob, add_lists, half_up_div, money, ratio
from ecomsuite.rows import group_sums, np
from ecomsuite.schemas import CUSTOMERS, TIERS

ALL_TIERS = "all"  # one reduce key: the share needs every tier's count


class MRCustomerTiers(CanonicalJob):
    NAME = "customer_tiers"
    DATASET = CUSTOMERS
    COLUMNS = ("lifetime_value", "tier")

    # A day's partials: [tier, customers, lifetime_value_cents] per tier of the customers
    # landed that day (each customer is landed once, on its sign-up day or the backlog's).
    PARTIAL_STEP = 0

    def steps(self):
        return self.partial_steps([MRStep(mapper_raw=self.mapper_raw_tier_totals,
                                          reducer=self.reducer_tier_shares)])

    @staticmethod
    def sum_tiers(partials):
        tiers = {}
        for tier, customers, ltv in partials:
            t = tiers.setdefault(tier, [0, 0])
            t[0] += customers
            t[1] += ltv
        return tiers

    def merge_partials(self, _, partials):
        for tier, totals in sorted(self.sum_tiers(partials).items()):
            yield [tier, *totals]

    def mapper_raw_tier_totals(self, input_path, input_uri):
        """In-mapper combining: one [tier, customers, lifetime_value_cents] per tier."""
        counts, sums = [0] * len(TIERS), [0] * len(TIERS)
        for ltv, tier in self.iter_columns(input_path):
            key = tier.astype(np.intp)
            counts = add_lists(counts, np.bincount(key, minlength=len(TIERS)).tolist())
            sums = add_lists(sums, group_sums(key, ltv, len(TIERS)).tolist())
        for i, name in enumerate(TIERS):
            if counts[i]:
                yield ALL_TIERS, [name, counts[i], sums[i]]

    def reducer_tier_shares(self, _, partials):
        tiers = self.sum_tiers(partials)
        everyone = sum(t[0] for t in tiers.values())
        for tier, (customers, ltv) in sorted(tiers.items()):
            yield tier, {
                "customers": customers,
                "share": ratio(customers, everyone),
                "average_lifetime_value": money(half_up_div(ltv, customers)),
            }


if __name__ == "__main__":
    MRCustomerTiers.run()
