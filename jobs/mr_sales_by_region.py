"""Sales per region: orders, gross sales, completed orders and sales, average completed order value."""

from mrjob.step import MRStep

from ecomsuite.jobbase import CSVJob, half_up_div, money
from ecomsuite.schemas import ORDERS

COMPLETED = "COMPLETED"


class MRSalesByRegion(CSVJob):
    NAME = "sales_by_region"
    DATASET = ORDERS
    COLUMNS = ("total_amount", "status", "region")

    def steps(self):
        return [MRStep(mapper_raw=self.mapper_raw_region_totals,
                       reducer=self.reducer_sum_region)]

    def mapper_raw_region_totals(self, input_path, input_uri):
        """In-mapper combining: one [orders, gross, completed, completed_sales] per region."""
        totals = {}
        for total_cents, status, region in self.read_rows(input_path):
            t = totals.get(region)
            if t is None:
                t = totals[region] = [0, 0, 0, 0]
            t[0] += 1
            t[1] += total_cents
            if status == COMPLETED:
                t[2] += 1
                t[3] += total_cents
        yield from totals.items()

    def reducer_sum_region(self, region, partials):
        orders, gross, completed, completed_sales = (sum(col) for col in zip(*partials))
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
