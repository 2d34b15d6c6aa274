"""Customer tier distribution: customers per tier, their share of all customers, average lifetime value."""

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, half_up_div, money, ratio
from ecomsuite.rows import RowParser, group_sums, np
from ecomsuite.schemas import CUSTOMERS, TIERS

ALL_TIERS = "all"  # one reduce key: the share needs every tier's count


class MRCustomerTiers(CSVJob):
    NAME = "customer_tiers"
    DATASET = CUSTOMERS
    COLUMNS = ("lifetime_value", "tier")

    def steps(self):
        return [MRStep(mapper_raw=self.mapper_raw_tier_totals,
                       reducer=self.reducer_tier_shares)]

    def mapper_raw_tier_totals(self, input_path, input_uri):
        """In-mapper combining: one [tier, customers, lifetime_value_cents] per tier."""
        totals = {}
        parser = RowParser(self.DATASET, self.COLUMNS)
        for chunk in parser.parse_file_columns(input_path):
            if chunk.size:
                ltv, tier = chunk.columns
                key = tier.astype(np.intp)
                counts = np.bincount(key, minlength=len(TIERS)).tolist()
                sums = group_sums(key, ltv, len(TIERS))
                for i, name in enumerate(TIERS):
                    if counts[i]:
                        t = totals.setdefault(name, [0, 0])
                        t[0] += counts[i]
                        t[1] += sums[i]
            for ltv_cents, tier in chunk.rows:  # lines parsed one by one
                t = totals.get(tier)
                if t is None:
                    t = totals[tier] = [0, 0]
                t[0] += 1
                t[1] += ltv_cents
        self.count_rows(parser)
        for tier, (customers, ltv) in totals.items():
            yield ALL_TIERS, [tier, customers, ltv]

    def reducer_tier_shares(self, _, partials):
        tiers = {}
        for tier, customers, ltv in partials:
            t = tiers.setdefault(tier, [0, 0])
            t[0] += customers
            t[1] += ltv
        everyone = sum(t[0] for t in tiers.values())
        for tier, (customers, ltv) in sorted(tiers.items()):
            yield tier, {
                "customers": customers,
                "share": ratio(customers, everyone),
                "average_lifetime_value": money(half_up_div(ltv, customers)),
            }


if __name__ == "__main__":
    MRCustomerTiers.run()
