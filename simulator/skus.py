"""The product catalog: SKUs with physical attributes, cost, list prices and an ABC class.

Freight pricing needs weight and dimensions, valuation needs cost, and inventory accuracy tolerances
are set per ABC class, so every SKU carries all of them. The ABC class follows the sales profile the
order generator draws from (A: the SKUs making the first 80% of expected units, B: the next 15%).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import rng as streams

# category: (English, Chinese, weight range kg, (L, W, H) base cm, base cost CNY range)
CATEGORIES: tuple[tuple[str, str, tuple[float, float], tuple[int, int, int], tuple[float, float]], ...] = (
    ("Home", "家居", (0.3, 4.0), (30, 20, 15), (15, 180)),
    ("Kitchen", "厨房", (0.2, 3.0), (25, 20, 12), (10, 150)),
    ("Electronics", "数码", (0.05, 1.5), (18, 12, 6), (25, 400)),
    ("Apparel", "服饰", (0.1, 0.8), (30, 25, 4), (12, 120)),
    ("Toys", "玩具", (0.1, 2.0), (28, 20, 12), (8, 100)),
    ("Beauty", "美妆", (0.05, 0.6), (12, 8, 6), (6, 90)),
    ("Sports", "运动", (0.2, 5.0), (40, 25, 15), (20, 260)),
    ("Pet", "宠物", (0.2, 6.0), (35, 25, 20), (10, 140)),
)
ADJECTIVES = (("Classic", "经典"), ("Smart", "智能"), ("Mini", "迷你"), ("Pro", "专业"), ("Eco", "环保"),
              ("Deluxe", "豪华"), ("Portable", "便携"), ("Nordic", "北欧"))
NOUNS = {
    "Home": (("Storage Box", "收纳盒"), ("Desk Lamp", "台灯"), ("Cushion", "抱枕"), ("Wall Clock", "挂钟")),
    "Kitchen": (("Knife Set", "刀具套装"), ("Frying Pan", "煎锅"), ("Water Bottle", "水杯"), ("Spice Rack", "调料架")),
    "Electronics": (("Earbuds", "耳机"), ("Power Bank", "充电宝"), ("USB-C Hub", "扩展坞"), ("Phone Case", "手机壳")),
    "Apparel": (("Hoodie", "卫衣"), ("T-Shirt", "T恤"), ("Socks 5-Pack", "袜子五双装"), ("Cap", "棒球帽")),
    "Toys": (("Building Blocks", "积木"), ("Plush Bear", "毛绒熊"), ("Puzzle", "拼图"), ("RC Car", "遥控车")),
    "Beauty": (("Face Mask", "面膜"), ("Lip Balm", "润唇膏"), ("Hair Brush", "梳子"), ("Serum", "精华液")),
    "Sports": (("Yoga Mat", "瑜伽垫"), ("Dumbbell", "哑铃"), ("Jump Rope", "跳绳"), ("Gym Bag", "健身包")),
    "Pet": (("Cat Bed", "猫窝"), ("Dog Leash", "狗绳"), ("Pet Bowl", "宠物碗"), ("Scratcher", "猫抓板")),
}
CURRENCY_PRICE_FACTOR = {"CNY": 1.0, "USD": 1 / 7.1, "EUR": 1 / 7.8, "GBP": 1 / 9.0}
ABC_TOLERANCE = {"A": 0.01, "B": 0.03, "C": 0.05}


def build_catalog(seed: int, n: int) -> pl.DataFrame:
    """Deterministic SKU master for `n` SKUs; `popularity` sums to 1 and drives order sampling."""
    rng = streams.static_rng(seed, streams.SKUS)
    cat_idx = rng.integers(0, len(CATEGORIES), n)
    adj_idx = rng.integers(0, len(ADJECTIVES), n)
    noun_idx = rng.integers(0, 4, n)
    u_weight = rng.random(n)
    u_cost = rng.random(n)
    dim_noise = rng.uniform(0.7, 1.4, (n, 3))
    # Zipf-like sales profile in a shuffled order so that SKU ids do not reveal popularity.
    ranks = rng.permutation(n) + 1
    popularity = 1.0 / ranks**0.9
    popularity = popularity / popularity.sum()

    names_en, names_zh, cats, weights, dims, costs = [], [], [], [], [], []
    for i in range(n):
        en, zh, (w_lo, w_hi), base_dims, (c_lo, c_hi) = CATEGORIES[cat_idx[i]]
        noun_en, noun_zh = NOUNS[en][noun_idx[i]]
        adj_en, adj_zh = ADJECTIVES[adj_idx[i]]
        names_en.append(f"{adj_en} {noun_en}")
        names_zh.append(f"{adj_zh}{noun_zh}")
        cats.append(en)
        weights.append(round(w_lo + (w_hi - w_lo) * u_weight[i] ** 1.5, 3))
        dims.append([round(b * f, 1) for b, f in zip(base_dims, dim_noise[i], strict=True)])
        costs.append(round(c_lo + (c_hi - c_lo) * u_cost[i], 2))
    dims_arr = np.array(dims)
    prefix = np.array([c[:3].upper() for c in cats])
    ids = [f"TH-{p}-{i:05d}" for i, p in enumerate(prefix, start=1)]

    order = np.argsort(-popularity, kind="stable")
    cum = np.cumsum(popularity[order])
    abc_sorted = np.where(cum <= 0.80, "A", np.where(cum <= 0.95, "B", "C"))
    abc = np.empty(n, dtype=object)
    abc[order] = abc_sorted
    abc[order[0]] = "A"

    cost = np.array(costs)
    list_cny = np.round(cost * rng.uniform(2.2, 3.2, n), 0) - 0.1  # ends in .90, as shops price
    frame = pl.DataFrame(
        {
            "sku": ids,
            "name": names_en,
            "name_zh": names_zh,
            "category": cats,
            "weight_kg": weights,
            "length_cm": dims_arr[:, 0],
            "width_cm": dims_arr[:, 1],
            "height_cm": dims_arr[:, 2],
            "base_cost_cny": cost,
            "abc_class": abc.astype(str),
            "popularity": popularity,
            "price_cny": list_cny,
        }
    )
    for cur, factor in CURRENCY_PRICE_FACTOR.items():
        if cur != "CNY":
            frame = frame.with_columns(
                (pl.col("price_cny") * factor).floor().add(0.99).alias(f"price_{cur.lower()}")
            )
    return frame.with_columns(pl.int_range(pl.len()).cast(pl.Int32).alias("sku_idx"))


def sku_master_file(catalog: pl.DataFrame) -> pl.DataFrame:
    """The product master as the ERP exports it (what ingestion loads for weights, ABC and cost)."""
    return catalog.select(
        "sku", "name", "name_zh", "category", "weight_kg", "length_cm", "width_cm", "height_cm",
        "abc_class", "base_cost_cny", "price_cny", "price_usd", "price_eur", "price_gbp",
    )
