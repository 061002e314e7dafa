"""The plants the catalogue lists. A real app would keep them in a database; a tuple keeps the
example's image free of one."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Plant:
    slug: str
    name: str
    latin: str
    light: str  # "sun", "partial" or "shade"
    water: str  # "low", "medium" or "high"
    notes: str


LIGHTS = {"sun": "Full sun", "partial": "Partial shade", "shade": "Shade"}

PLANTS = (
    Plant("lavender", "Lavender", "Lavandula angustifolia", "sun", "low",
          "Wants poor, well-drained soil; cut back after flowering to keep it compact."),
    Plant("rosemary", "Rosemary", "Salvia rosmarinus", "sun", "low",
          "Evergreen herb for a hot, dry corner; rots in wet winters."),
    Plant("foxglove", "Foxglove", "Digitalis purpurea", "partial", "medium",
          "Biennial: leaves the first year, tall spires the second. Every part is poisonous."),
    Plant("hosta", "Hosta", "Hosta sieboldiana", "shade", "high",
          "Grown for its broad blue leaves; protect them from slugs."),
    Plant("hellebore", "Lenten rose", "Helleborus orientalis", "shade", "medium",
          "Flowers in late winter, when little else does."),
    Plant("echinacea", "Purple coneflower", "Echinacea purpurea", "sun", "medium",
          "Leave the seed heads standing: finches eat them in autumn."),
)


def by_light(light=None):
    """The plants for one kind of light, or all of them."""
    return [p for p in PLANTS if light in (None, p.light)]


def find(slug):
    return next((p for p in PLANTS if p.slug == slug), None)
