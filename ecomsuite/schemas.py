"""The three datasets' schemas and vocabularies, declared once.

The data generator writes these columns in this order, the jobs parse them,
and the tests build their reference computations from them. Nothing else in
the project spells out a column list or an enum.
"""

from dataclasses import dataclass

# --- vocabularies -----------------------------------------------------------

REGIONS = ("US-EAST", "US-WEST", "EU-WEST", "EU-CENTRAL", "ASIA-PACIFIC", "LATAM")
TIERS = ("BRONZE", "SILVER", "GOLD", "PLATINUM")
STATUSES = ("COMPLETED", "PENDING", "SHIPPED", "CANCELLED", "RETURNED")
ACTIONS = ("VIEW", "ADD_TO_CART", "CHECKOUT", "PURCHASE")  # funnel order
DEVICES = ("mobile", "desktop", "tablet")
PAGES = ("home", "category", "product", "cart", "checkout", "confirmation")

# The page each funnel action happens on.
ACTION_PAGE = {
    "VIEW": "product",
    "ADD_TO_CART": "cart",
    "CHECKOUT": "checkout",
    "PURCHASE": "confirmation",
}

# A customer's tier follows lifetime value: the tier is the highest whose
# lower bound (in cents) the lifetime value reaches.
TIER_LOWER_BOUND_CENTS = {"BRONZE": 0, "SILVER": 100_000, "GOLD": 300_000, "PLATINUM": 700_000}


def tier_for_lifetime_value(cents):
    """The tier a lifetime value (integer cents) belongs to."""
    tier = TIERS[0]
    for name in TIERS:
        if cents >= TIER_LOWER_BOUND_CENTS[name]:
            tier = name
    return tier


# Order statuses that are not revenue (used by the further analytics).
REFUND_STATUSES = ("CANCELLED", "RETURNED")

# Customer segments' output vocabularies (jobs/mr_customer_segments.py,
# rules in docs/analytics.md): RFM segments and purchase intents.
RFM_SEGMENTS = ("champion", "loyal", "promising", "at_risk", "hibernating", "never_ordered")
PURCHASE_INTENTS = ("converter", "cart_abandoner", "browser", "inactive")

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"


# --- product catalog --------------------------------------------------------

@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    category: str
    price_cents: int


CATALOG = (
    Product("LAPTOP001", "Gaming Laptop", "electronics", 129_999),
    Product("LAPTOP002", "Ultrabook Pro", "electronics", 149_900),
    Product("PHONE001", "Smartphone X", "electronics", 89_999),
    Product("PHONE002", "Budget Phone", "electronics", 19_999),
    Product("TABLET001", "Tablet 10in", "electronics", 44_950),
    Product("HEADPH001", "Wireless Headphones", "audio", 14_999),
    Product("SPEAKER001", "Smart Speaker", "audio", 9_999),
    Product("WATCH001", "Fitness Watch", "wearables", 24_999),
    Product("CAMERA001", "Mirrorless Camera", "photo", 109_900),
    Product("MONITOR001", "27in 4K Monitor", "electronics", 39_999),
    Product("KEYBD001", "Mechanical Keyboard", "accessories", 12_950),
    Product("MOUSE001", "Ergonomic Mouse", "accessories", 4_999),
    Product("CHAIR001", "Office Chair", "furniture", 29_900),
    Product("DESK001", "Standing Desk", "furniture", 54_900),
    Product("BAG001", "Laptop Backpack", "accessories", 7_950),
)
PRODUCT_IDS = tuple(p.product_id for p in CATALOG)


# --- datasets ---------------------------------------------------------------

# Column kinds. A job validates the columns it reads by kind:
#   id, text  - any non-empty string
#   int       - non-negative integer
#   money     - non-negative decimal with at most two decimals, parsed to cents
#   timestamp - YYYY-MM-DD HH:MM:SS
#   date      - YYYY-MM-DD
#   enum      - one of `values`
ID, TEXT, INT, MONEY, TIMESTAMP, DATE, ENUM = (
    "id", "text", "int", "money", "timestamp", "date", "enum")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    values: tuple = ()


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: tuple

    @property
    def names(self):
        return tuple(c.name for c in self.columns)

    @property
    def header(self):
        return ",".join(self.names)

    def index(self, name):
        return self.names.index(name)

    def column(self, name):
        return self.columns[self.index(name)]


ORDERS = Dataset("orders", (
    Column("order_id", ID),
    Column("customer_id", ID),
    Column("product_id", ID),
    Column("product_name", TEXT),
    Column("quantity", INT),
    Column("price", MONEY),
    Column("total_amount", MONEY),
    Column("order_date", TIMESTAMP),
    Column("status", ENUM, STATUSES),
    Column("region", ENUM, REGIONS),
))

CUSTOMERS = Dataset("customers", (
    Column("customer_id", ID),
    Column("first_name", TEXT),
    Column("last_name", TEXT),
    Column("email", TEXT),
    Column("city", TEXT),
    Column("region", ENUM, REGIONS),
    Column("signup_date", DATE),
    Column("lifetime_value", MONEY),
    Column("tier", ENUM, TIERS),
))

CLICKSTREAM = Dataset("clickstream", (
    Column("timestamp", TIMESTAMP),
    Column("session_id", ID),
    Column("customer_id", ID),
    Column("action", ENUM, ACTIONS),
    Column("page", ENUM, PAGES),
    Column("product_id", ID),
    Column("device", ENUM, DEVICES),
    Column("duration_seconds", INT),
))

DATASETS = {d.name: d for d in (ORDERS, CUSTOMERS, CLICKSTREAM)}

# ID formats: prefix + zero-padded counter (at least this many digits).
ORDER_ID_PREFIX, CUSTOMER_ID_PREFIX, SESSION_ID_PREFIX = "ORD", "CUST", "SESSION"
ID_DIGITS = {"ORD": 5, "CUST": 5, "SESSION": 5}


def make_id(prefix, n):
    """`make_id("ORD", 1)` -> "ORD00001"; wider numbers are not truncated."""
    return f"{prefix}{n:0{ID_DIGITS[prefix]}d}"


# Default demo scale (multiplied by --scale).
DEFAULT_ROWS = {"orders": 50_000, "customers": 5_000, "clickstream": 200_000}
DEFAULT_ORDER_DAYS = 30
DEFAULT_CLICK_DAYS = 7

# --- data generator ---------------------------------------------------------

# The generator's default last day (inclusive) of the order and click windows:
# fixed, so that the default output is the same bytes on any day.
DEFAULT_END_DATE = "2025-06-30"
