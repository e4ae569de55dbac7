"""Label templates: pure functions from a label record to a Label layout (see labels.layout)."""

from labels.templates.bin_label import bin_label
from labels.templates.enrollment_card import enrollment_card
from labels.templates.parcel_label import parcel_label_100x150, parcel_label_58x40
from labels.templates.product_label import product_label

TEMPLATES = {
    "parcel_100x150": parcel_label_100x150,
    "parcel_58x40": parcel_label_58x40,
    "bin_80x40": bin_label,
    "product_58x40": product_label,
    "enrollment_card": enrollment_card,
}

__all__ = ["TEMPLATES", "bin_label", "enrollment_card", "parcel_label_100x150", "parcel_label_58x40", "product_label"]
