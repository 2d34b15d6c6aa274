"""The clickstream dataset: sessions of funnel events, drawn in chunks of sessions.

A session has one customer and one device, 1..MAX_VIEWS VIEWs and then
maybe ADD_TO_CART, CHECKOUT and PURCHASE, each stage reached with a
device-dependent chance (desktop converts best, mobile worst). Its events
are contiguous in the file, in time order: each event's ``duration_seconds``
is the time to the session's next event. Sessions follow each other in
order of their first event; a session starts at the window's activity
quantile ``(e + u) / events`` where ``e`` is the index of its first event.

Chunk ``k`` holds sessions ``k * SESSIONS_PER_CHUNK ...``. Its shape (the
length of each session) is the first draw of its stream, so the plan can
size every chunk up front (the event count must come out exact) and the
chunk can later be generated alone.
"""

from typing import NamedTuple

import numpy as np

from datagen import randomness, timeline
from datagen.fastcsv import (
    IntField,
    TextField,
    TimestampField,
    format_rows,
    in_schema_order,
    text_table,
)
from datagen.orders import PRODUCT_CDF, PRODUCT_ID_TABLE
from ecomsuite import schemas

SESSIONS_PER_CHUNK = 5_000

DEVICE_WEIGHTS = {"mobile": 0.55, "desktop": 0.35, "tablet": 0.10}
assert set(DEVICE_WEIGHTS) == set(schemas.DEVICES)
DEVICE_CDF = randomness.cdf_of([DEVICE_WEIGHTS[d] for d in schemas.DEVICES])
DEVICE_TABLE = text_table(schemas.DEVICES)

# Chance of reaching ADD_TO_CART from the views, CHECKOUT from the cart and
# PURCHASE from checkout, per device: ~35% of all sessions add to cart,
# about half of those check out, most of those buy.
FUNNEL = {
    "desktop": (0.42, 0.60, 0.86),
    "tablet": (0.36, 0.53, 0.80),
    "mobile": (0.30, 0.46, 0.74),
}
assert set(FUNNEL) == set(schemas.DEVICES)
FUNNEL_P = np.array([FUNNEL[d] for d in schemas.DEVICES])  # (devices, 3)

# Number of VIEW events of a normal session (1..MAX_VIEWS).
VIEW_WEIGHTS = (0.34, 0.26, 0.18, 0.13, 0.09)
VIEW_CDF = randomness.cdf_of(VIEW_WEIGHTS)
MAX_VIEWS = len(VIEW_WEIGHTS)
MAX_SESSION_EVENTS = MAX_VIEWS + len(schemas.ACTIONS) - 1  # of a normal session: 8

ACTION_TABLE = text_table(schemas.ACTIONS)
PAGE_TABLE = text_table(schemas.PAGES)
PAGE = {p: i for i, p in enumerate(schemas.PAGES)}
VIEW = 0  # schemas.ACTIONS is in funnel order: VIEW, then one stage after another
assert schemas.ACTIONS[VIEW] == "VIEW"
# Page of each action index (VIEW's is drawn; the funnel's follow ACTION_PAGE).
ACTION_PAGE_INDEX = np.array([PAGE[schemas.ACTION_PAGE[a]] for a in schemas.ACTIONS])
# Where the first VIEW of a session lands, and the later ones.
FIRST_VIEW_PAGES = {"home": 0.25, "category": 0.30, "product": 0.45}
LATER_VIEW_PAGES = {"category": 0.20, "product": 0.80}
FIRST_VIEW_CDF = randomness.cdf_of([FIRST_VIEW_PAGES.get(p, 0) for p in schemas.PAGES])
LATER_VIEW_CDF = randomness.cdf_of([LATER_VIEW_PAGES.get(p, 0) for p in schemas.PAGES])

# Seconds spent on a page before the next event: log-normal (median,
# sigma) clipped to [low, high]. The least is 2 s, so a normal session's at
# most 8 events never crowd into a few seconds.
DWELL = {  # page: (low, median, high)
    "home": (2, 10, 120),
    "category": (3, 20, 240),
    "product": (5, 45, 600),
    "cart": (2, 15, 180),
    "checkout": (10, 60, 600),
    "confirmation": (2, 10, 120),
}
DWELL_SIGMA = 0.8
assert set(DWELL) == set(schemas.PAGES)
DWELL_LOW, DWELL_MEDIAN, DWELL_HIGH = (np.array([DWELL[p][i] for p in schemas.PAGES])
                                       for i in range(3))

# Injected bot sessions: BOT_EVENTS VIEWs of product pages, 0-1 s apart.
BOT_EVENTS = (20, 40)
BOT_DEVICE_WEIGHTS = {"desktop": 0.7, "mobile": 0.3, "tablet": 0.0}
BOT_DEVICE_CDF = randomness.cdf_of([BOT_DEVICE_WEIGHTS[d] for d in schemas.DEVICES])
BOT_LAST_DWELL = (1, 3)


def shapes(plan, k, first_event, after, rng=None):
    """Session shapes of chunk `k` whose first event has index `first_event`.

    Returns a dict of per-session arrays: views, stage (0 = views only ..
    3 = purchased), device, bot (index into plan.bots or -1) and length.
    `rng` (default: a fresh stream of the chunk) is left after the draw.
    Each bot target (plan.bot_targets, event indexes) turns the first
    session starting at or after it into a bot session; this chunk takes
    the targets after `after`, where the previous chunk's last session starts.
    """
    if rng is None:
        rng = randomness.stream(plan.seed, randomness.CLICKSTREAM, k)
    u = rng.random((5, SESSIONS_PER_CHUNK))
    device = np.searchsorted(DEVICE_CDF, u[0], side="right")
    views = np.searchsorted(VIEW_CDF, u[1], side="right") + 1
    p = FUNNEL_P[device]
    stage = (u[2] < p[:, 0]) * (1 + (u[3] < p[:, 1]) * (1 + (u[4] < p[:, 2])))
    bot = np.full(SESSIONS_PER_CHUNK, -1, dtype=np.int64)
    length = views + stage
    targets = plan.bot_targets
    end = first_event + int(length.sum())
    for b in range(int(np.searchsorted(targets, after, side="right")), len(targets)):
        if targets[b] >= end:
            break
        starts = first_event + np.cumsum(length) - length
        i = int(np.searchsorted(starts, targets[b]))
        if i == SESSIONS_PER_CHUNK:
            break  # the target's session opens the next chunk
        bot[i] = b
        views[i], stage[i] = plan.bots["events"][b], 0
        device[i] = plan.bots["device"][b]
        length[i] = views[i]
        end = first_event + int(length.sum())
    return {"views": views, "stage": stage, "device": device, "bot": bot, "length": length}


class ClickChunk(NamedTuple):
    first_event: int    # index of the chunk's first event
    first_session: int  # index of its first session
    sessions: int       # sessions it holds (SESSIONS_PER_CHUNK but in the last chunk)
    after: int          # where the previous chunk's last session starts (-1: none)


def layout(plan):
    """Size every chunk: [ClickChunk], and the bots' session indexes (in bot order).

    The last chunk's last session may be cut short to make the event count
    exact; a prefix of a funnel is still a funnel.
    """
    total = plan.rows["clickstream"]
    chunks, bot_sessions = [], {}
    first_event = first_session = k = 0
    after = -1
    while first_event < total:
        s = shapes(plan, k, first_event, after)
        ends = first_event + np.cumsum(s["length"])
        sessions = min(SESSIONS_PER_CHUNK, int(np.searchsorted(ends, total)) + 1)
        chunks.append(ClickChunk(first_event, first_session, sessions, after))
        for i in np.flatnonzero(s["bot"][:sessions] >= 0):
            bot_sessions[int(s["bot"][i])] = first_session + int(i)
        after = int(ends[sessions - 1] - s["length"][sessions - 1])
        first_event = int(ends[sessions - 1])
        first_session += sessions
        k += 1
    return chunks, [bot_sessions[b] for b in sorted(bot_sessions)]


def chunk_count(plan):
    return len(plan.click_chunks)


def chunk(plan, k):
    """(rows, CSV bytes) of clickstream chunk `k`."""
    total = plan.rows["clickstream"]
    first_event, first_session, sessions, after = plan.click_chunks[k]
    rng = randomness.stream(plan.seed, randomness.CLICKSTREAM, k)
    s = shapes(plan, k, first_event, after, rng)  # the stream's first draw, as in layout()
    views, stage, device, bot = (s[key][:sessions] for key in ("views", "stage", "device", "bot"))
    length = s["length"][:sessions].copy()
    length[-1] -= max(0, first_event + int(length.sum()) - total)  # cut the last session short
    n = int(length.sum())
    is_bot = bot >= 0

    customer = rng.integers(0, plan.rows["customers"], sessions)
    customer[is_bot] = plan.bots["customer"][bot[is_bot]]
    start_u = rng.random(sessions)

    # Per event: its session, position in the session, action.
    session = np.repeat(np.arange(sessions), length)
    session_first = np.cumsum(length) - length
    position = np.arange(n) - session_first[session]
    session_views = views[session]
    action = np.where(position < session_views, VIEW, position - session_views + 1)
    is_view = action == VIEW

    u = rng.random((3, n))
    page = ACTION_PAGE_INDEX[action]
    first_view = position == 0
    page[first_view] = np.searchsorted(FIRST_VIEW_CDF, u[0][first_view], side="right")
    later_view = is_view & ~first_view
    page[later_view] = np.searchsorted(LATER_VIEW_CDF, u[0][later_view], side="right")
    # The view a cart addition follows is of that product's page; bots only see product pages.
    carted = (stage[session] > 0) & (position == session_views - 1)
    page[carted | is_bot[session]] = PAGE["product"]
    product = np.searchsorted(PRODUCT_CDF, u[1], side="right")
    last_view = session_first[session] + session_views - 1
    product[~is_view] = product[last_view[~is_view]]

    dwell = DWELL_MEDIAN[page] * np.exp(DWELL_SIGMA * rng.standard_normal(n))
    duration = np.clip(np.rint(dwell), DWELL_LOW[page], DWELL_HIGH[page]).astype(np.int64)
    bot_event = is_bot[session]
    if bot_event.any():
        last = position == length[session] - 1
        duration[bot_event] = (u[2][bot_event] < 0.6).astype(np.int64)
        lo, hi = BOT_LAST_DWELL
        duration[bot_event & last] = lo + (u[2][bot_event & last] * (hi - lo + 1)).astype(np.int64)

    # Times: session start, then each event `duration` after the previous one.
    elapsed = np.cumsum(duration) - duration
    offset = elapsed - elapsed[session_first][session]
    span = offset[session_first + length - 1]  # first to last event of each session
    q = (first_event + session_first + start_u) / total * plan.click_days
    day = np.floor(q).astype(np.int64)
    start = ((plan.click_first_day + day) * timeline.SECONDS_PER_DAY
             + timeline.second_of_day(q - day))
    last_second = (plan.click_first_day + plan.click_days) * timeline.SECONDS_PER_DAY - 1
    start = np.minimum(start, last_second - span)
    fields = {
        "timestamp": TimestampField(start[session] + offset),
        "session_id": IntField(first_session + session + 1 + plan.session_id_offset,
                               schemas.ID_DIGITS["SESSION"],
                               schemas.SESSION_ID_PREFIX.encode()),
        "customer_id": IntField(customer[session] + 1, schemas.ID_DIGITS["CUST"],
                                schemas.CUSTOMER_ID_PREFIX.encode()),
        "action": TextField(ACTION_TABLE, action),
        "page": TextField(PAGE_TABLE, page),
        "product_id": TextField(PRODUCT_ID_TABLE, product),
        "device": TextField(DEVICE_TABLE, device[session]),
        "duration_seconds": IntField(duration),
    }
    return n, format_rows(n, in_schema_order(schemas.CLICKSTREAM, fields))
