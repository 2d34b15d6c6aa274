"""Sales per region: orders, gross sales, completed orders and sales, average completed order value."""

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import CanonicalJob, add_lists, half_up_div, money
from ecomsuite.rows import group_sums, np
from ecomsuite.schemas import ORDERS, REGIONS, STATUSES

COMPLETED = "COMPLETED"
ALL_REGIONS = "all"  # one reduce key: six regions' partials make one small reduce task
COMPLETED_CODE = STATUSES.index(COMPLETED)
GROUPS = 2 * len(REGIONS)  # rows are grouped by (region, completed or not)


class MRSalesByRegion(CanonicalJob):
    NAME = "sales_by_region"
    DATASET = ORDERS
    COLUMNS = ("total_amount", "status", "region")
    PARTIAL_STEP = 0   # a day's partials: one [region, orders, gross, completed, sales] each

    def steps(self):
        return self.partial_steps([MRStep(mapper_raw=self.mapper_raw_region_totals,
                                          reducer=self.reducer_sum_region)])

    def mapper_raw_region_totals(self, input_path, input_uri):
        """In-mapper combining: one [region, orders, gross, completed, completed_sales] per region."""
        counts, sums = [0] * GROUPS, [0] * GROUPS
        for cents, status, region in self.iter_columns(input_path):
            key = region.astype(np.intp) * 2 + (status == COMPLETED_CODE)
            counts = add_lists(counts, np.bincount(key, minlength=GROUPS).tolist())
            sums = add_lists(sums, group_sums(key, cents, GROUPS).tolist())
        for r, name in enumerate(REGIONS):
            other, done = counts[2 * r], counts[2 * r + 1]
            if other or done:
                yield ALL_REGIONS, [name, other + done, sums[2 * r] + sums[2 * r + 1], done,
                                    sums[2 * r + 1]]

    @staticmethod
    def sum_regions(partials):
        regions = {}
        for region, *t in partials:
            r = regions.setdefault(region, [0, 0, 0, 0])
            for i, n in enumerate(t):
                r[i] += n
        return regions

    def merge_partials(self, _, partials):
        for region, totals in sorted(self.sum_regions(partials).items()):
            yield [region, *totals]

    def reducer_sum_region(self, _, partials):
        regions = self.sum_regions(partials)
        for region, (orders, gross, completed, completed_sales) in sorted(regions.items()):
            yield region, {
                "orders": orders,
                "gross_sales": money(gross),
                "completed_orders": completed,
                "completed_sales": money(completed_sales),
                "average_order_value":
                    money(half_up_div(completed_sales, completed)) if completed else None,
            }


if __name__ == "__main__":
    MRSalesByRegion.run()
