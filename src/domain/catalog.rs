//! The catalog: venues with their seat maps, performers, events and their dated shows.
//!
//! Request bodies (`*Input`) are parsed once, at the edge, into validated values (`New*`);
//! views (`Venue`, `EventView`, …) are what clients read back.

use super::params::QueryParams;
use super::validation::{trim, Checker, Invalid};
use super::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The categories of [`CATEGORIES`] as the OpenAPI document lists them (a unit test keeps
/// the two the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Concert,
    Theatre,
    Opera,
    Classical,
    Comedy,
    Dance,
    Sport,
    Family,
    Festival,
    Other,
}

/// Categories an event can be filed under; a closed list so browse and facets stay tidy.
pub const CATEGORIES: &[&str] = &[
    "concert",
    "theatre",
    "opera",
    "classical",
    "comedy",
    "dance",
    "sport",
    "family",
    "festival",
    "other",
];

pub const MAX_SECTIONS: usize = 100;
pub const MAX_ROWS_PER_SECTION: usize = 200;
pub const MAX_SEATS_PER_ROW: i64 = 500;
pub const MAX_STANDING_CAPACITY: i64 = 100_000;
pub const MAX_VENUE_CAPACITY: i64 = 120_000;
/// The longest event description.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const DEFAULT_HOLD_TTL_SECONDS: i64 = 300;
pub const DEFAULT_MAX_PER_ORDER: i64 = 10;

// ---------------------------------------------------------------------------------------------
// Venues

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SectionKind {
    /// Rows of numbered seats.
    Seated,
    /// A capacity of unnumbered places.
    Standing,
}

impl SectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SectionKind::Seated => "seated",
            SectionKind::Standing => "standing",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "seated" => Some(Self::Seated),
            "standing" => Some(Self::Standing),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RowInput {
    /// Unique within its section.
    #[schema(
        min_length = 1,
        max_length = 10,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub label: String,
    /// Number of seats in the row, numbered from 1.
    #[schema(minimum = 1, maximum = 500)]
    pub seats: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SectionInput {
    /// Unique within the venue (whatever the case).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub name: String,
    #[schema(value_type = SectionKind)]
    pub kind: String,
    /// A seated section's rows (at least one); ignored for a standing section.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub rows: Option<Vec<RowInput>>,
    /// A standing section's places (required for one); ignored for a seated section.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000)]
    pub capacity: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VenueInput {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub name: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub city: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub country: String,
    #[schema(
        min_length = 1,
        max_length = 300,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub address: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
    /// The IANA time zone the venue's shows are shown in (`Europe/Vienna`); by default the
    /// zone of its country (or of its longitude, in countries with several).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 64, example = "Europe/Vienna")]
    pub timezone: Option<String>,
    /// At most 120,000 places in all.
    #[schema(min_items = 1, max_items = 100)]
    pub sections: Vec<SectionInput>,
}

/// A place to sell: its position in the section and on the drawn map.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSeat {
    pub row_label: Option<String>,
    /// 0 for the row nearest the stage; best-available prefers low ranks.
    pub row_rank: i64,
    pub number: i64,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSection {
    pub name: String,
    pub kind: SectionKind,
    pub rows: Vec<(String, i64)>,
    pub capacity: i64,
}

impl NewSection {
    /// Lays the section out: rows stacked away from the stage, each row centred, one unit per
    /// seat. Standing places are laid out on a grid so the map can still draw them.
    pub fn seats(&self, y_offset: f64) -> Vec<NewSeat> {
        match self.kind {
            SectionKind::Seated => {
                let mut seats = Vec::with_capacity(self.capacity as usize);
                for (rank, (label, count)) in self.rows.iter().enumerate() {
                    for number in 1..=*count {
                        seats.push(NewSeat {
                            row_label: Some(label.clone()),
                            row_rank: rank as i64,
                            number,
                            x: number as f64 - (*count as f64 + 1.0) / 2.0,
                            y: y_offset + rank as f64,
                        });
                    }
                }
                seats
            }
            SectionKind::Standing => {
                let width = 50;
                (0..self.capacity)
                    .map(|i| NewSeat {
                        row_label: None,
                        row_rank: 0,
                        number: i + 1,
                        x: (i % width) as f64 - width as f64 / 2.0,
                        y: y_offset + (i / width) as f64,
                    })
                    .collect()
            }
        }
    }

    /// Depth of the section on the map, used to stack sections.
    pub fn depth(&self) -> f64 {
        match self.kind {
            SectionKind::Seated => self.rows.len() as f64,
            SectionKind::Standing => (self.capacity as f64 / 50.0).ceil(),
        }
    }
}

/// Row labels A..Z, then AA, AB, …
pub fn row_label(i: usize) -> String {
    let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 26 {
        (letters[i] as char).to_string()
    } else {
        format!(
            "{}{}",
            letters[(i / 26 - 1) % 26] as char,
            letters[i % 26] as char
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewVenue {
    pub name: String,
    pub city: String,
    pub country: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub timezone: String,
    pub sections: Vec<NewSection>,
}

impl TryFrom<VenueInput> for NewVenue {
    type Error = Invalid;

    fn try_from(input: VenueInput) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let name = check.text("name", &input.name, 200);
        let city = check.text("city", &input.city, 100);
        let country = check.text("country", &input.country, 100);
        let address = check.text("address", &input.address, 300);
        if !(-90.0..=90.0).contains(&input.lat) || !input.lat.is_finite() {
            check.fail("lat", "must be a latitude between -90 and 90");
        }
        if !(-180.0..=180.0).contains(&input.lon) || !input.lon.is_finite() {
            check.fail("lon", "must be a longitude between -180 and 180");
        }
        if input.sections.is_empty() {
            check.fail("sections", "a venue needs at least one section");
        }
        if input.sections.len() > MAX_SECTIONS {
            check.fail("sections", format!("at most {MAX_SECTIONS} sections"));
        }
        let mut sections = Vec::new();
        let mut total = 0i64;
        let mut names = std::collections::HashSet::new();
        for (i, s) in input.sections.iter().enumerate() {
            let field = |f: &str| format!("sections[{i}].{f}");
            let name = check.text(&field("name"), &s.name, 100);
            if !names.insert(name.to_lowercase()) {
                check.fail(field("name"), "section names must be unique within a venue");
            }
            let Some(kind) = SectionKind::parse(&s.kind) else {
                check.fail(field("kind"), "must be \"seated\" or \"standing\"");
                continue;
            };
            let (rows, capacity) = match kind {
                SectionKind::Seated => {
                    let rows = s.rows.clone().unwrap_or_default();
                    if rows.is_empty() {
                        check.fail(field("rows"), "a seated section needs at least one row");
                    }
                    if rows.len() > MAX_ROWS_PER_SECTION {
                        check.fail(
                            field("rows"),
                            format!("at most {MAX_ROWS_PER_SECTION} rows"),
                        );
                    }
                    let mut labels = std::collections::HashSet::new();
                    let mut parsed = Vec::new();
                    for (r, row) in rows.iter().enumerate() {
                        let label =
                            check.text(&format!("sections[{i}].rows[{r}].label"), &row.label, 10);
                        if !labels.insert(label.clone()) {
                            check.fail(
                                format!("sections[{i}].rows[{r}].label"),
                                "row labels must be unique within a section",
                            );
                        }
                        let seats = check.range(
                            &format!("sections[{i}].rows[{r}].seats"),
                            row.seats,
                            1,
                            MAX_SEATS_PER_ROW,
                        );
                        parsed.push((label, seats));
                    }
                    let capacity = parsed.iter().map(|(_, n)| *n).sum();
                    (parsed, capacity)
                }
                SectionKind::Standing => match s.capacity {
                    Some(c) => (
                        Vec::new(),
                        check.range(&field("capacity"), c, 1, MAX_STANDING_CAPACITY),
                    ),
                    None => {
                        check.fail(field("capacity"), "a standing section needs a capacity");
                        (Vec::new(), 0)
                    }
                },
            };
            total += capacity;
            sections.push(NewSection {
                name,
                kind,
                rows,
                capacity,
            });
        }
        if total > MAX_VENUE_CAPACITY {
            check.fail(
                "sections",
                format!("a venue holds at most {MAX_VENUE_CAPACITY} places"),
            );
        }
        let timezone = match input.timezone.as_deref().map(str::trim) {
            Some(zone) if super::zones::is_known(zone) => zone.to_owned(),
            Some(_) => {
                check.fail(
                    "timezone",
                    "must be an IANA time zone such as Europe/Vienna",
                );
                String::new()
            }
            None => super::zones::default_for(&country, input.lat, input.lon).to_owned(),
        };
        check.finish(NewVenue {
            name,
            city,
            country,
            address,
            lat: input.lat,
            lon: input.lon,
            timezone,
            sections,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowView {
    pub label: String,
    pub seats: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectionView {
    pub id: SectionId,
    pub name: String,
    pub kind: SectionKind,
    pub capacity: i64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowView>,
}

/// A venue with its sections; its seats are generated from the rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Venue {
    pub id: VenueId,
    pub name: String,
    pub city: String,
    pub country: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// IANA time zone of the venue (`Europe/Vienna`).
    pub timezone: String,
    pub capacity: i64,
    pub sections: Vec<SectionView>,
}

/// A venue as embedded in other views.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VenueSummary {
    pub id: VenueId,
    pub name: String,
    pub city: String,
    pub country: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// IANA time zone of the venue (`Europe/Vienna`).
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct City {
    pub name: String,
    pub country: String,
    /// Events with at least one upcoming show.
    pub event_count: i64,
}

// ---------------------------------------------------------------------------------------------
// Performers

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PerformerInput {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\u0000]*$")]
    pub genre: Option<String>,
    #[serde(default)]
    #[schema(max_length = 5000, pattern = r"^[^\u0000]*$")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPerformer {
    pub name: String,
    pub genre: Option<String>,
    pub description: Option<String>,
}

impl TryFrom<PerformerInput> for NewPerformer {
    type Error = Invalid;
    fn try_from(input: PerformerInput) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let name = check.text("name", &input.name, 200);
        let genre = check.optional_text("genre", input.genre.as_deref(), 100);
        let description = check.optional_text("description", input.description.as_deref(), 5000);
        check.finish(NewPerformer {
            name,
            genre,
            description,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Performer {
    pub id: PerformerId,
    pub name: String,
    pub genre: Option<String>,
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Events

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EventInput {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 10000, pattern = r"^[^\u0000]*$")]
    pub description: String,
    #[schema(value_type = Category)]
    pub category: String,
    pub venue_id: VenueId,
    /// Repeats count once.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub performer_ids: Vec<PerformerId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub title: String,
    pub description: String,
    pub category: String,
    pub venue_id: VenueId,
    pub performer_ids: Vec<PerformerId>,
}

fn check_category(check: &mut Checker, raw: &str) -> String {
    let category = raw.trim().to_lowercase();
    if !CATEGORIES.contains(&category.as_str()) {
        check.fail(
            "category",
            format!("must be one of: {}", CATEGORIES.join(", ")),
        );
    }
    category
}

fn check_performers(check: &mut Checker, ids: &[PerformerId]) -> Vec<PerformerId> {
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<_> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if unique.len() > 50 {
        check.fail("performer_ids", "at most 50 performers");
    }
    unique
}

impl TryFrom<EventInput> for NewEvent {
    type Error = Invalid;
    fn try_from(input: EventInput) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let title = check.text("title", &input.title, 200);
        if input.description.chars().count() > MAX_DESCRIPTION_CHARS {
            check.fail("description", "must be at most 10000 characters");
        }
        check.no_nul("description", &input.description);
        let description = trim(&input.description).to_owned();
        let category = check_category(&mut check, &input.category);
        let performer_ids = check_performers(&mut check, &input.performer_ids);
        check.finish(NewEvent {
            title,
            description,
            category,
            venue_id: input.venue_id,
            performer_ids,
        })
    }
}

/// `PATCH /events/{id}`: only the fields present change; `null` and unknown fields are
/// refused, so a patch that changes nothing is refused by its shape.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct EventPatchInput {
    #[serde(default, deserialize_with = "super::validation::present")]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "super::validation::present")]
    #[schema(nullable = false, max_length = 10000, pattern = r"^[^\u0000]*$")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::validation::present")]
    #[schema(nullable = false, value_type = Option<Category>)]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "super::validation::present")]
    #[schema(nullable = false, max_items = 50)]
    pub performer_ids: Option<Vec<PerformerId>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub performer_ids: Option<Vec<PerformerId>>,
}

impl TryFrom<EventPatchInput> for EventPatch {
    type Error = Invalid;
    fn try_from(input: EventPatchInput) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let title = input.title.map(|t| check.text("title", &t, 200));
        if input
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            check.fail("description", "must be at most 10000 characters");
        }
        if let Some(d) = &input.description {
            check.no_nul("description", d);
        }
        let description = input.description.map(|d| trim(&d).to_owned());
        let category = input.category.map(|c| check_category(&mut check, &c));
        let performer_ids = input
            .performer_ids
            .map(|p| check_performers(&mut check, &p));
        if title.is_none() && description.is_none() && category.is_none() && performer_ids.is_none()
        {
            check.fail("", "nothing to change: send at least one of title, description, category, performer_ids");
        }
        check.finish(EventPatch {
            title,
            description,
            category,
            performer_ids,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    Active,
    Cancelled,
}

impl EventStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// Seat counts of one show, with expired holds counted as available.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Availability {
    pub available: i64,
    pub held: i64,
    pub sold: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShowSummary {
    pub id: ShowId,
    pub starts_at: String,
    pub on_sale_at: String,
    pub status: String,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub currency: String,
}

/// `GET /events/{id}`: the event with everything a buyer needs to choose a show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub id: EventId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub status: EventStatus,
    pub venue: VenueSummary,
    pub performers: Vec<Performer>,
    pub shows: Vec<ShowSummary>,
    pub created_at: String,
    pub updated_at: String,
}

/// One line of a browse listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventSummary {
    pub id: EventId,
    pub title: String,
    pub category: String,
    pub venue: VenueRef,
    pub city: String,
    pub country: String,
    pub next_show_at: String,
    pub show_count: i64,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VenueRef {
    pub id: VenueId,
    pub name: String,
    /// IANA time zone of the venue.
    pub timezone: String,
}

/// Browse filters, already validated.
#[derive(Debug, Clone, Default)]
pub struct BrowseQuery {
    pub city: Option<String>,
    pub category: Option<String>,
    pub from: UnixMs,
    pub to: Option<UnixMs>,
    pub page: i64,
    pub per_page: i64,
}

/// `city`, `category`, `from` (default: now), `to`, `page`, `per_page`.
impl TryFrom<QueryParams<'_>> for BrowseQuery {
    type Error = Invalid;

    fn try_from(params: QueryParams<'_>) -> Result<Self, Invalid> {
        let mut check = params.check();
        let from = check.instant("from");
        let to = check.instant("to");
        let category = params.get("category").map(|c| c.trim().to_lowercase());
        if let Some(c) = &category {
            if !CATEGORIES.contains(&c.as_str()) {
                check.fail(
                    "category",
                    format!("must be one of: {}", CATEGORIES.join(", ")),
                );
            }
        }
        let (page, per_page) = check.paging();
        let from = from.unwrap_or(params.now);
        if to.is_some_and(|to| to <= from) {
            check.fail("to", "must be after from");
        }
        if params.get("city").is_some_and(|c| c.contains('\0')) {
            check.fail("city", "must not contain the NUL character");
        }
        check.finish(BrowseQuery {
            city: params
                .get("city")
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            category,
            from,
            to,
            page,
            per_page,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Shows

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PriceInput {
    /// A section of the venue, priced once per show.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^ \t\n\f\r\u0000][^\u0000]*$"
    )]
    pub section: String,
    /// Minor units.
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount: i64,
    /// ISO 4217; every price of a show has the same one.
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ShowInput {
    /// RFC 3339, in the future.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// RFC 3339, before `starts_at`; now when absent.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub on_sale_at: Option<String>,
    #[serde(default)]
    #[schema(minimum = 30, maximum = 3600)]
    pub hold_ttl_seconds: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 50)]
    pub max_per_order: Option<i64>,
    #[schema(min_items = 1)]
    pub prices: Vec<PriceInput>,
    #[serde(default)]
    pub waiting_room: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewShow {
    pub starts_at: UnixMs,
    pub on_sale_at: UnixMs,
    pub hold_ttl_seconds: i64,
    pub max_per_order: i64,
    pub waiting_room: bool,
    pub currency: Currency,
    /// (section name, amount in minor units)
    pub prices: Vec<(String, i64)>,
}

impl NewShow {
    pub fn parse(input: ShowInput, now: UnixMs) -> Result<Self, Invalid> {
        let mut check = Checker::new();
        let starts_at = parse_rfc3339(&input.starts_at).unwrap_or_else(|| {
            check.fail(
                "starts_at",
                "must be an RFC 3339 time such as 2027-03-01T19:30:00Z",
            );
            0
        });
        let starts_ok = starts_at != 0 && starts_at > now;
        if starts_at != 0 && !starts_ok {
            check.fail("starts_at", "must be in the future");
        }
        let on_sale_at = match input.on_sale_at.as_deref() {
            None => now,
            Some(raw) => parse_rfc3339(raw).unwrap_or_else(|| {
                check.fail("on_sale_at", "must be an RFC 3339 time");
                now
            }),
        };
        if starts_ok && on_sale_at >= starts_at {
            check.fail("on_sale_at", "must be before starts_at");
        }
        let hold_ttl_seconds = check.range(
            "hold_ttl_seconds",
            input.hold_ttl_seconds.unwrap_or(DEFAULT_HOLD_TTL_SECONDS),
            30,
            3600,
        );
        let max_per_order = check.range(
            "max_per_order",
            input.max_per_order.unwrap_or(DEFAULT_MAX_PER_ORDER),
            1,
            50,
        );
        if input.prices.is_empty() {
            check.fail("prices", "price at least one section");
        }
        let mut currency: Option<Currency> = None;
        let mut prices = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, p) in input.prices.iter().enumerate() {
            let section = check.text(&format!("prices[{i}].section"), &p.section, 100);
            if !seen.insert(section.to_lowercase()) {
                check.fail(
                    format!("prices[{i}].section"),
                    "each section is priced once",
                );
            }
            let amount = check.range(&format!("prices[{i}].amount"), p.amount, 0, 100_000_000);
            match Currency::parse(&p.currency) {
                Err(msg) => check.fail(format!("prices[{i}].currency"), msg),
                Ok(c) => match &currency {
                    Some(first) if *first != c => check.fail(
                        format!("prices[{i}].currency"),
                        "all prices of a show use one currency",
                    ),
                    Some(_) => {}
                    None => currency = Some(c),
                },
            }
            prices.push((section, amount));
        }
        let currency =
            currency.unwrap_or_else(|| Currency::parse("EUR").unwrap_or_else(|_| unreachable!()));
        check.finish(NewShow {
            starts_at,
            on_sale_at,
            hold_ttl_seconds,
            max_per_order,
            waiting_room: input.waiting_room.unwrap_or(false),
            currency,
            prices,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PriceView {
    pub section: String,
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventRef {
    pub id: EventId,
    pub title: String,
    pub category: String,
    pub status: EventStatus,
}

/// `GET /shows/{id}` and the body of `POST /events/{id}/shows`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShowView {
    pub id: ShowId,
    pub event_id: EventId,
    pub starts_at: String,
    pub on_sale_at: String,
    pub hold_ttl_seconds: i64,
    pub max_per_order: i64,
    pub waiting_room: bool,
    pub status: String,
    pub currency: Currency,
    pub prices: Vec<PriceView>,
    pub available: i64,
    pub held: i64,
    pub sold: i64,
    pub event: EventRef,
    pub venue: VenueSummary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeatStatus {
    Available,
    Held,
    Sold,
}

impl SeatStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "available" => Some(Self::Available),
            "held" => Some(Self::Held),
            "sold" => Some(Self::Sold),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Held => "held",
            Self::Sold => "sold",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeatView {
    pub id: SeatId,
    pub row: Option<String>,
    pub number: i64,
    pub x: f64,
    pub y: f64,
    pub status: SeatStatus,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeatMapSection {
    pub name: String,
    pub kind: SectionKind,
    pub price: i64,
    pub currency: String,
    pub capacity: i64,
    pub available: i64,
    /// Every seat of a seated section; standing sections list none (hold them by quantity).
    pub seats: Vec<SeatView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SeatMap {
    pub show_id: ShowId,
    pub sections: Vec<SeatMapSection>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_the_categories_the_server_accepts() {
        let listed: Vec<String> = [
            Category::Concert,
            Category::Theatre,
            Category::Opera,
            Category::Classical,
            Category::Comedy,
            Category::Dance,
            Category::Sport,
            Category::Family,
            Category::Festival,
            Category::Other,
        ]
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
        assert_eq!(listed, CATEGORIES);
    }

    fn venue_input() -> VenueInput {
        VenueInput {
            name: "Hall".into(),
            city: "Vienna".into(),
            country: "Austria".into(),
            address: "Ring 1".into(),
            lat: 48.2,
            lon: 16.37,
            timezone: None,
            sections: vec![
                SectionInput {
                    name: "Stalls".into(),
                    kind: "seated".into(),
                    rows: Some(vec![
                        RowInput {
                            label: "A".into(),
                            seats: 3,
                        },
                        RowInput {
                            label: "B".into(),
                            seats: 4,
                        },
                    ]),
                    capacity: None,
                },
                SectionInput {
                    name: "Floor".into(),
                    kind: "standing".into(),
                    rows: None,
                    capacity: Some(120),
                },
            ],
        }
    }

    #[test]
    fn venues_generate_their_seats() {
        let venue = NewVenue::try_from(venue_input()).unwrap();
        let stalls = venue.sections[0].seats(0.0);
        assert_eq!(stalls.len(), 7);
        assert_eq!(stalls[0].row_label.as_deref(), Some("A"));
        assert_eq!(stalls[6].number, 4);
        assert_eq!(stalls[6].row_rank, 1);
        // Rows are centred: seat 2 of a 3-seat row sits on the axis.
        assert_eq!(stalls[1].x, 0.0);
        let floor = venue.sections[1].seats(2.0);
        assert_eq!(floor.len(), 120);
        assert!(floor.iter().all(|s| s.row_label.is_none()));
    }

    #[test]
    fn venue_validation_names_nested_fields() {
        let mut input = venue_input();
        input.lat = 91.0;
        input.sections[0].rows.as_mut().unwrap()[1].seats = 0;
        input.sections[1].capacity = None;
        let err = NewVenue::try_from(input).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["lat", "sections[0].rows[1].seats", "sections[1].capacity"]
        );
    }

    #[test]
    fn shows_take_defaults_and_reject_mixed_currencies() {
        let now = parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let input = ShowInput {
            starts_at: "2026-06-01T19:30:00Z".into(),
            on_sale_at: None,
            hold_ttl_seconds: None,
            max_per_order: None,
            prices: vec![PriceInput {
                section: "Stalls".into(),
                amount: 4500,
                currency: "eur".into(),
            }],
            waiting_room: None,
        };
        let show = NewShow::parse(input.clone(), now).unwrap();
        assert_eq!(show.hold_ttl_seconds, 300);
        assert_eq!(show.max_per_order, 10);
        assert_eq!(show.currency.as_str(), "EUR");
        assert_eq!(show.on_sale_at, now);

        let mut mixed = input;
        mixed.prices.push(PriceInput {
            section: "Floor".into(),
            amount: 10,
            currency: "USD".into(),
        });
        mixed.starts_at = "2025-01-01T00:00:00Z".into();
        let err = NewShow::parse(mixed, now).unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["starts_at", "prices[1].currency"]);
    }

    #[test]
    fn event_patch_needs_a_change() {
        assert!(EventPatch::try_from(EventPatchInput::default()).is_err());
        let patch = EventPatch::try_from(EventPatchInput {
            category: Some("Opera".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(patch.category.as_deref(), Some("opera"));
    }
}
