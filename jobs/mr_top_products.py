"""Top products: the top-k products by completed revenue and by completed units, per region and overall."""

import ecomsuite.mrjob_compat  # noqa: F401  (before mrjob: what newer Pythons lack)

# isort: split
from mrjob.step import MRStep

from ecomsuite.jobbase import CanonicalJob, money
from ecomsuite.rows import group_sums, np
from ecomsuite.schemas import CATALOG, ORDERS, REGIONS, STATUSES

COMPLETED = "COMPLETED"
COMPLETED_CODE = STATUSES.index(COMPLETED)
ALL_REGIONS = "all"  # the region key of the ranking over every region
DEFAULT_TOP_K = 5
PRODUCT_NAMES = {p.product_id: p.name for p in CATALOG}
# Rankings: (name, sort key of a product's [units, cents, orders] totals).
# Ties go to the smaller product_id.
RANKINGS = (
    ("revenue", lambda item: (-item[1][1], item[0])),
    ("units", lambda item: (-item[1][0], item[0])),
)


def add(totals, key, units, cents, orders):
    t = totals.get(key)
    if t is None:
        t = totals[key] = [0, 0, 0]
    t[0] += units
    t[1] += cents
    t[2] += orders


class MRTopProducts(CanonicalJob):
    NAME = "top_products"
    KEY_FIELDS = ("region", "ranking", "rank")  # names of the output key's parts (Parquet export)
    DATASET = ORDERS
    COLUMNS = ("product_id", "quantity", "total_amount", "status", "region")

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg(
            "--top-k", type=int, default=DEFAULT_TOP_K,
            help="products listed per region and ranking (default: %(default)s)")

    def load_args(self, args):
        super().load_args(args)
        if self.options.top_k < 1:
            self.arg_parser.error("--top-k must be at least 1")

    # A day's partials: completed [product, units, cents, orders] per region (and "all").
    PARTIAL_STEP = 0

    def steps(self):
        return self.partial_steps([MRStep(mapper_raw=self.mapper_raw_product_totals,
                                          reducer=self.reducer_rank_products)])

    @staticmethod
    def sum_products(partials):
        products = {}
        for product, *t in partials:
            p = products.setdefault(product, [0, 0, 0])
            for i, n in enumerate(t):
                p[i] += n
        return products

    def merge_partials(self, region, partials):
        for product, totals in sorted(self.sum_products(partials).items()):
            yield [product, *totals]

    def mapper_raw_product_totals(self, input_path, input_uri):
        """In-mapper combining: completed [units, cents, orders] per (region, product), and overall."""
        totals = {}
        # product ids as codes into each batch's few distinct ids: no sort of every row's id
        for product, quantity, cents, status, region in self.iter_columns(
                input_path, coded=("product_id",)):
            done = status == COMPLETED_CODE
            products, code = np.unique(product.values, return_inverse=True)
            index = code[product.codes[done]]
            groups = len(products) * len(REGIONS)
            key = index * len(REGIONS) + region[done]
            orders = np.bincount(key, minlength=groups).tolist()
            units = group_sums(key, quantity[done], groups).tolist()
            revenue = group_sums(key, cents[done], groups).tolist()
            for g in np.flatnonzero(orders).tolist():
                p, r = divmod(g, len(REGIONS))
                add(totals, (REGIONS[r], products[p].decode()), units[g], revenue[g], orders[g])
        overall = {}
        for (region, product), t in totals.items():
            yield region, [product, *t]
            add(overall, product, *t)
        for product, t in overall.items():
            yield ALL_REGIONS, [product, *t]

    def reducer_rank_products(self, region, partials):
        products = self.sum_products(partials)
        for ranking, sort_key in RANKINGS:
            top = sorted(products.items(), key=sort_key)[:self.options.top_k]
            for rank, (product, (units, cents, orders)) in enumerate(top, 1):
                yield [region, ranking, rank], {
                    "product_id": product,
                    "product_name": PRODUCT_NAMES.get(product),
                    "revenue": money(cents),
                    "units": units,
                    "orders": orders,
                }


if __name__ == "__main__":
    MRTopProducts.run()
