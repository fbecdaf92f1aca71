"""Destinations: countries, regions (province/state codes as the carriers' zone tables use) and cities.

Regions are weighted by where e-commerce parcels really go (Guangdong and the Yangtze delta for China,
California, Texas and the East coast for the US), which makes freight zones and costs realistic.
"""

from __future__ import annotations

# country -> ((region code, weight, city, postal code prefix), ...)
REGIONS: dict[str, tuple[tuple[str, float, str, str], ...]] = {
    "CN": (
        ("GD", 0.18, "深圳市", "518"), ("ZJ", 0.12, "杭州市", "310"), ("JS", 0.11, "南京市", "210"),
        ("SH", 0.09, "上海市", "200"), ("BJ", 0.08, "北京市", "100"), ("SD", 0.07, "济南市", "250"),
        ("SC", 0.06, "成都市", "610"), ("HB", 0.05, "武汉市", "430"), ("FJ", 0.05, "福州市", "350"),
        ("HN", 0.05, "长沙市", "410"), ("GX", 0.04, "南宁市", "530"), ("JX", 0.03, "南昌市", "330"),
        ("HE", 0.03, "石家庄市", "050"), ("NM", 0.015, "呼和浩特市", "010"), ("XJ", 0.015, "乌鲁木齐市", "830"),
        ("QH", 0.01, "西宁市", "810"), ("XZ", 0.01, "拉萨市", "850"),
    ),
    "US": (
        ("CA", 0.20, "Los Angeles", "900"), ("TX", 0.11, "Houston", "770"), ("NY", 0.10, "New York", "100"),
        ("FL", 0.09, "Miami", "331"), ("IL", 0.06, "Chicago", "606"), ("PA", 0.05, "Philadelphia", "191"),
        ("OH", 0.05, "Columbus", "432"), ("GA", 0.05, "Atlanta", "303"), ("NJ", 0.05, "Newark", "071"),
        ("WA", 0.05, "Seattle", "981"), ("MA", 0.04, "Boston", "021"), ("AZ", 0.04, "Phoenix", "850"),
        ("CO", 0.04, "Denver", "802"), ("OR", 0.03, "Portland", "972"), ("NV", 0.02, "Las Vegas", "891"),
        ("UT", 0.02, "Salt Lake City", "841"),
    ),
    "DE": (("BE", 0.3, "Berlin", "10"), ("BY", 0.4, "München", "80"), ("HH", 0.3, "Hamburg", "20")),
    "FR": (("IDF", 0.6, "Paris", "75"), ("ARA", 0.4, "Lyon", "69")),
    "NL": (("NH", 0.7, "Amsterdam", "10"), ("ZH", 0.3, "Rotterdam", "30")),
    "GB": (("LND", 0.6, "London", "EC1"), ("MAN", 0.4, "Manchester", "M1")),
}

# channel -> ((country, weight), ...)
CHANNEL_COUNTRIES: dict[str, tuple[tuple[str, float], ...]] = {
    "amazon": (("US", 1.0),),
    "shopify": (("DE", 0.45), ("FR", 0.2), ("NL", 0.1), ("GB", 0.25)),
    "tmall": (("CN", 1.0),),
    "jd": (("CN", 1.0),),
    "douyin": (("CN", 1.0),),
    "pos": (("CN", 1.0),),
}

# Share of Shopify orders shipped cross-border straight from the Shenzhen DC (slow movers that are
# not worth stocking overseas); these are the parcels Cainiao and 4PX carry.
SHOPIFY_DIRECT_SHARE = 0.06

# Carrier shares per (warehouse, domestic?): ((carrier, service, weight), ...). CN-SZX ships domestic
# parcels with the express companies and cross-border parcels with Cainiao / 4PX.
CARRIER_MIX: dict[str, tuple[tuple[str, str, float], ...]] = {
    "CN-SZX": (("SF", "standard", 0.34), ("SF", "express", 0.08), ("ZTO", "standard", 0.31),
               ("YTO", "standard", 0.27)),
    "CN-SZX-XB": (("CAINIAO", "economy", 0.7), ("4PX", "economy", 0.2), ("4PX", "priority", 0.1)),
    "US-LAX": (("UPS", "ground", 0.40), ("UPS", "2day", 0.05), ("FEDEX", "ground", 0.20),
               ("USPS", "ground_advantage", 0.30), ("USPS", "priority", 0.05)),
    "EU-FRA": (("DHL", "parcel", 1.0),),
    "3PL-UK": (("ROYALMAIL", "tracked48", 1.0),),
}


def warehouse_for(channel: str, country: str) -> str:
    """The warehouse that normally serves a (channel, destination country)."""
    if channel == "amazon":
        return "US-LAX"
    if channel == "shopify":
        return "3PL-UK" if country == "GB" else "EU-FRA"
    return "CN-SZX"


PROVINCE_ZH = {
    "GD": "广东省", "ZJ": "浙江省", "JS": "江苏省", "SH": "上海市", "BJ": "北京市", "SD": "山东省", "SC": "四川省",
    "HB": "湖北省", "FJ": "福建省", "HN": "湖南省", "GX": "广西壮族自治区", "JX": "江西省", "HE": "河北省",
    "NM": "内蒙古自治区", "XJ": "新疆维吾尔自治区", "QH": "青海省", "XZ": "西藏自治区",
}
CARRIER_ZH = {"SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递"}
US_SALES_TAX = {"CA": 0.0725, "TX": 0.0625, "NY": 0.04, "FL": 0.06, "IL": 0.0625, "PA": 0.06, "OH": 0.0575,
                "GA": 0.04, "NJ": 0.06625, "WA": 0.065, "MA": 0.0625, "AZ": 0.056, "CO": 0.029, "OR": 0.0,
                "NV": 0.0685, "UT": 0.061}
