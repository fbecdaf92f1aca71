"""The raw tables Tallyhouse loads, one normalized contract each.

Normalized means one contract per kind of record, whatever its source: every channel's orders share
`orders`/`order_lines` (told apart by `channel`), every carrier's bill, CSV, XLSX, XML, JSON, PDF or EDI
210, lands as charge lines in `carrier_bill_lines` (told apart by `carrier`). Carrier bills are one row
per charge (freight, fuel, remote area...) because that is the grain EDI 210 and most bills itemise at,
and the grain a dispute is raised at.

ORDER BY keys lead with the columns the marts join and filter on (channel/order, carrier/waybill,
warehouse/SKU), so those lookups read few granules. Engines are plain MergeTree: raw keeps every
record, duplicates included (a duplicated bill line is evidence, which a ReplacingMergeTree would
silently merge away); idempotency comes from replacing the whole (business_date) partition instead.
"""

from __future__ import annotations

from ingestion.contracts.currencies import ISO_4217
from ingestion.contracts.model import LINEAGE, Column, Contract

CURRENCY = Column("currency", "code", allowed=ISO_4217, doc="ISO 4217")
ORDER_STATUSES = frozenset({"placed", "paid", "shipped", "delivered", "cancelled", "refunded", "returned"})
MOVEMENT_TYPES = frozenset({
    "opening", "receipt", "shipment", "pos_sale", "return", "transfer_in", "transfer_out", "adjustment", "count",
    "damage",
})
SHIPMENT_EVENTS = frozenset({"shipped", "in_transit", "delivered", "returned", "exception"})

ORDERS = Contract(
    "orders",
    (
        Column("channel", "code"),
        Column("store", "string", nullable=True),
        Column("order_no", "string", doc="the channel's own order id"),
        Column("order_ts", "timestamp", doc="UTC"),
        Column("order_date", "date", doc="local date in the channel's time zone"),
        Column("status", "code", allowed=ORDER_STATUSES),
        CURRENCY,
        Column("order_amount", "money", nullable=True, minimum=0),
        Column("shipping_fee", "money", nullable=True, minimum=0),
        Column("warehouse_id", "code", nullable=True),
        Column("dest_country", "code", nullable=True),
        Column("dest_region", "code", nullable=True),
        Column("promised_delivery_ts", "timestamp", nullable=True),
    ),
    order_by=("channel", "order_no"),
    doc="one row per order as the channel exported it",
)

ORDER_LINES = Contract(
    "order_lines",
    (
        Column("channel", "code"),
        Column("store", "string", nullable=True),
        Column("order_no", "string"),
        Column("channel_order_id", "string", nullable=True,
               doc="the channel's internal id of the order where it differs from order_no (Shopify's Admin API "
                   "`id` beside the `name` \"#1234\"): what its settlement reports name the order by"),
        Column("line_no", "int32", nullable=True, minimum=1, doc="where the channel numbers lines (Tmall does not)"),
        Column("sku", "string"),
        Column("qty", "int32", minimum=0),
        Column("unit_price", "money", minimum=0),
        Column("discount", "money", nullable=True, minimum=0, doc="for the whole line"),
        Column("line_amount", "money", nullable=True, doc="as exported; may be negative for refunds"),
        CURRENCY,
        Column("order_ts", "timestamp"),
        Column("order_date", "date"),
        Column("status", "code", allowed=ORDER_STATUSES),
        Column("warehouse_id", "code", nullable=True),
        Column("dest_country", "code", nullable=True),
        Column("dest_region", "code", nullable=True),
        Column("refund_amount", "money", nullable=True, minimum=0,
               doc="refunded so far for this line, as of the export (channels that report it per line)"),
        Column("order_refund_amount", "money", nullable=True, minimum=0,
               doc="refunded so far for the whole order, repeated on each line (channels that report it "
                   "per order only, e.g. Shopify's refund transactions); never add it up over lines"),
    ),
    order_by=("channel", "order_no", "sku"),
)

PURCHASE_RECEIPTS = Contract(
    "purchase_receipts",
    (
        Column("receipt_no", "string"),
        Column("receipt_type", "code", nullable=True),
        Column("po_no", "string", nullable=True),
        Column("supplier", "string", nullable=True),
        Column("warehouse_id", "code"),
        Column("sku", "string"),
        Column("lot_id", "string"),
        Column("qty", "int32", minimum=0),
        Column("unit_cost", "money", minimum=0),
        Column("inbound_freight", "money", nullable=True, minimum=0, doc="landed-cost component, whole line"),
        Column("duties", "money", nullable=True, minimum=0),
        CURRENCY,
        Column("receipt_date", "date", doc="the document date (local at the warehouse)"),
        Column("received_date", "date", nullable=True, doc="when the goods physically arrived"),
        Column("receipt_ts", "timestamp", nullable=True),
    ),
    order_by=("warehouse_id", "sku", "lot_id"),
    doc="purchase receipts: FIFO lots and landed cost",
)

INVENTORY_MOVEMENTS = Contract(
    "inventory_movements",
    (
        Column("doc_no", "string", doc="the ERP document (receipt, delivery order, transfer...)"),
        Column("doc_type", "code", allowed=MOVEMENT_TYPES),
        Column("movement_id", "string", nullable=True, doc="the document line, where the ERP numbers them"),
        Column("warehouse_id", "code"),
        Column("sku", "string"),
        Column("lot_id", "string", nullable=True),
        Column("qty", "int32", doc="signed: + into stock, - out of stock"),
        Column("ref_no", "string", nullable=True, doc="the order, PO or transfer the document belongs to"),
        Column("unit_cost", "money", nullable=True, minimum=0),
        Column("currency", "code", nullable=True, allowed=ISO_4217),
        Column("movement_date", "date", doc="the day the ERP books it (local at the warehouse)"),
        Column("movement_ts", "timestamp", nullable=True),
    ),
    order_by=("warehouse_id", "sku", "movement_date"),
    doc="ERP stock documents: the book side of inventory",
)

WMS_SNAPSHOT = Contract(
    "wms_snapshot",
    (
        Column("snapshot_date", "date", doc="the day-close this physical count is for"),
        Column("warehouse_id", "code"),
        Column("location", "string", nullable=True),
        Column("sku", "string"),
        Column("lot_id", "string", nullable=True),
        Column("on_hand", "int32", minimum=0),
        Column("available", "int32", nullable=True, minimum=0),
        Column("reserved", "int32", nullable=True, minimum=0),
        Column("damaged", "int32", nullable=True, minimum=0),
    ),
    order_by=("warehouse_id", "sku", "snapshot_date"),
    doc="physical stock per warehouse/location/SKU/lot at day close",
)

ERP_SNAPSHOT = Contract(
    "erp_snapshot",
    (
        Column("snapshot_date", "date"),
        Column("warehouse_id", "code"),
        Column("sku", "string"),
        Column("lot_id", "string", nullable=True),
        Column("book_qty", "int32", doc="may be negative: the book over-ships when documents lag"),
        Column("unit_cost", "money", nullable=True, minimum=0, doc="landed unit cost"),
        Column("book_value", "money", nullable=True),
        Column("currency", "code", nullable=True, allowed=ISO_4217),
        Column("abc_class", "code", nullable=True, allowed=frozenset({"A", "B", "C"})),
    ),
    order_by=("warehouse_id", "sku", "snapshot_date"),
    doc="book stock per warehouse/SKU/lot at day close",
)

SHIPMENTS = Contract(
    "shipments",
    (
        Column("waybill_no", "string"),
        Column("event", "code", nullable=True, allowed=SHIPMENT_EVENTS, doc="the TMS event the row reports"),
        Column("order_no", "string", nullable=True),
        Column("channel", "code", nullable=True),
        Column("warehouse_id", "code"),
        Column("carrier", "code"),
        Column("service", "code", nullable=True),
        Column("ship_ts", "timestamp"),
        Column("ship_date", "date", doc="local date at the shipping warehouse"),
        Column("delivered_ts", "timestamp", nullable=True),
        Column("actual_weight_kg", "float", nullable=True, minimum=0, unit="kg"),
        Column("length_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("width_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("height_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("dest_country", "code", nullable=True),
        Column("dest_region", "code", nullable=True),
        Column("zone", "code", nullable=True),
    ),
    order_by=("carrier", "waybill_no"),
    doc="TMS waybills, one row per parcel event",
)

SKU_MASTER = Contract(
    "sku_master",
    (
        Column("sku", "string"),
        Column("name", "string", nullable=True),
        Column("name_zh", "string", nullable=True),
        Column("category", "code", nullable=True),
        Column("weight_kg", "float", nullable=True, minimum=0, unit="kg"),
        Column("length_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("width_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("height_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("abc_class", "code", nullable=True, allowed=frozenset({"A", "B", "C"})),
        Column("unit_cost", "money", nullable=True, minimum=0, doc="standard purchase cost"),
        Column("cost_currency", "code", nullable=True, allowed=ISO_4217),
    ),
    order_by=("sku",),
    doc="the product master: weights, dimensions, ABC class, standard cost",
)

RATE_CARDS = Contract(
    "rate_cards",
    (
        Column("carrier", "code"),
        Column("service", "code", nullable=True, doc="null for accessorials that apply to every service"),
        Column("zone", "code", nullable=True),
        Column("charge_type", "code", doc="base | remote_area | oversize | residential | ..."),
        Column("description", "string", nullable=True),
        Column("applies_when", "string", nullable=True, doc="the contract's condition, as written"),
        Column("first_weight_kg", "float", nullable=True, minimum=0, unit="kg"),
        Column("first_weight_price", "money", nullable=True, minimum=0),
        Column("additional_unit_kg", "float", nullable=True, minimum=0, unit="kg"),
        Column("additional_unit_price", "money", nullable=True, minimum=0),
        Column("flat_amount", "money", nullable=True, minimum=0),
        Column("fuel_surcharge_pct", "float", nullable=True, minimum=0, doc="12.5 = 12.5%"),
        Column("volumetric_divisor", "int32", nullable=True, minimum=1, doc="cm3 per kg"),
        CURRENCY,
        Column("valid_from", "date"),
        Column("valid_to", "date", nullable=True),
        Column("card_version", "string", nullable=True),
    ),
    order_by=("carrier", "service", "zone", "charge_type"),
    doc="carrier contract prices by service, zone and weight, and accessorial charges",
)

FX_RATES = Contract(
    "fx_rates",
    (
        Column("rate_date", "date"),
        Column("base_currency", "code", allowed=ISO_4217),
        Column("quote_currency", "code", allowed=ISO_4217),
        Column("rate", "float", minimum=0, doc="units of quote per one base"),
    ),
    order_by=("base_currency", "quote_currency", "rate_date"),
)

SETTLEMENTS = Contract(
    "settlements",
    (
        Column("channel", "code"),
        Column("settlement_id", "string"),
        Column("settlement_date", "date"),
        Column("period_start", "date", nullable=True),
        Column("period_end", "date", nullable=True),
        Column("order_no", "string", nullable=True, doc="null for period-level fees"),
        Column("transaction_type", "code", doc="order | refund | fee | adjustment | payout ..."),
        Column("amount_type", "code", doc="principal | commission | fulfilment_fee | promotion | refund ..."),
        Column("amount", "money", doc="signed: + paid to the seller, - deducted"),
        CURRENCY,
        Column("posted_ts", "timestamp", nullable=True),
    ),
    order_by=("channel", "order_no", "settlement_id"),
)

CARRIER_BILL_LINES = Contract(
    "carrier_bill_lines",
    (
        Column("carrier", "code"),
        Column("bill_no", "string", doc="the carrier's invoice/bill number"),
        Column("bill_date", "date"),
        Column("period_start", "date", nullable=True),
        Column("period_end", "date", nullable=True),
        Column("bill_line_id", "string", nullable=True, doc="the carrier's own line id, where it has one"),
        Column("waybill_no", "string", nullable=True, doc="null for invoice-level charges"),
        Column("reference", "string", nullable=True, doc="order or shipper reference"),
        Column("ship_date", "date", nullable=True),
        Column("service", "code", nullable=True),
        Column("zone", "code", nullable=True),
        Column("charge_code", "code", doc="freight | fuel | remote_area | ... or the carrier's own code"),
        Column("charge_description", "string", nullable=True),
        Column("billed_weight_kg", "float", nullable=True, minimum=0, unit="kg"),
        Column("actual_weight_kg", "float", nullable=True, minimum=0, unit="kg"),
        Column("length_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("width_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("height_cm", "float", nullable=True, minimum=0, unit="cm"),
        Column("pieces", "int32", nullable=True, minimum=0),
        Column("amount", "money", doc="signed: credits are negative"),
        CURRENCY,
        Column("bill_total", "money", nullable=True, doc="the invoice total the bill states (EDI L3)"),
        Column("dest_country", "code", nullable=True),
        Column("dest_region", "code", nullable=True),
    ),
    order_by=("carrier", "waybill_no", "bill_no"),
    doc="one row per billed charge, every carrier and format",
)

# Quarantine rows are themselves lineage: row_number is null for a file-level record (unreadable file).
QUARANTINE = Contract(
    "quarantine",
    (
        Column("target_table", "code", doc="the contract the row was meant for"),
        Column("field", "string", doc="the first failing contract column; <file>, <row>... for structural faults"),
        Column("source_field", "string", nullable=True, doc="that field's column name in the file itself"),
        Column("reason", "string", doc="every problem of the row, each naming its field"),
        Column("raw_text", "string", doc="the row as read (JSON of its fields) or the file's opening"),
    ),
    order_by=("source", "source_file", "target_table"),
    doc="rejected rows and unreadable files, with the reason and the raw text",
    lineage=tuple(
        Column(c.name, c.kind, nullable=True, doc=c.doc) if c.name == "row_number" else c for c in LINEAGE
    ),
)

CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        ORDERS, ORDER_LINES, PURCHASE_RECEIPTS, INVENTORY_MOVEMENTS, WMS_SNAPSHOT, ERP_SNAPSHOT, SHIPMENTS,
        SKU_MASTER, RATE_CARDS, FX_RATES, SETTLEMENTS, CARRIER_BILL_LINES, QUARANTINE,
    )
}


def get_contract(name: str) -> Contract:
    """The contract of a raw table; the KeyError lists the known names."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract {name!r}; known: {sorted(CONTRACTS)}") from None
