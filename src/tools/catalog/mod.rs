//! Generated catalogs for benchmarks: `boxoffice seed --scale small|large`.
//!
//! | scale | cities | venues | performers | events | shows | shows with tickets |
//! |---|---|---|---|---|---|---|
//! | small | 20 | 60 | 2,000 | 5,000 | ~8,000 | the soonest 500 |
//! | large | 300 | 3,000 | 50,000 | 1,000,000 | ~1,600,000 | the soonest 2,000 |
//!
//! Cities are real (coordinates, country, currency). Each city gets a mix of venues — clubs,
//! theatres, a concert hall, an arena, an opera house, jazz and comedy clubs — with locally
//! named sections laid out in rows of seats (and standing floors), so seat maps look like the
//! real thing. Performers are bands, solo artists, DJs, orchestras, singers, comedians, dance and
//! theatre companies, sports teams and family acts; a few are far more popular than the rest.
//! Each event belongs to one venue, has a category from [`CATEGORIES`] that suits the venue,
//! one to three performers, and one to three shows in the coming twelve months at a believable
//! local hour, priced per section in the local currency.
//!
//! **Inventory.** One ticket row per seat per show would be over a billion rows for the large
//! catalog, so only the soonest `inventory_shows` shows (by start time) get their full ticket
//! inventory; they are on sale from the moment of seeding. Every later show is *announced*: it
//! has prices but no tickets yet, and its `on_sale_at` lies in the future (halfway between the
//! seed time and the show, or 90 days before the show if that is later), so holds are refused with
//! "the show goes on sale at …". The event and show views count availability from ticket rows,
//! so an announced show reports 0 available / 0 held / 0 sold: read that together with its
//! future `on_sale_at` as "not on sale yet", never as "sold out". Once an announced show's on-sale
//! time has passed it still has no tickets (holds fail as unavailable), so a generated catalog is
//! for benchmarking soon after seeding, not for keeping.
//!
//! **Writing.** Rows get explicit ids (1, 2, … per table) and go through [`StoreTools::bulk_load`] in
//! batches of one transaction each, with one `event` / `{"kind":"created"}` change-feed row per
//! event so feed followers (the search indexer) see every event; venues, performers and shows get
//! no change rows of their own. Generation runs on a blocking thread, one batch ahead of the
//! database. The seed refuses a catalog that is not empty (any venue or any change-feed row):
//! appending would need fresh id ranges and is not needed for benchmarks.
//!
//! **Determinism.** Everything is drawn from RNGs seeded by [`Plan::seed`] (events from one RNG
//! each, seeded by their index), so the same plan produces the same catalog; only dates move
//! with the time of seeding.
//!
//! [`StoreTools::bulk_load`]: crate::store::StoreTools::bulk_load

use crate::domain::catalog::row_label;
use crate::domain::catalog::{NewVenue, RowInput, SectionInput, SectionKind, VenueInput};
use crate::domain::catalog::{DEFAULT_HOLD_TTL_SECONDS, DEFAULT_MAX_PER_ORDER};
use crate::domain::UnixMs;
use crate::store::{
    BulkBatch, BulkCity, BulkEvent, BulkPerformer, BulkSeat, BulkSection, BulkShow, BulkVenue,
    DynStore,
};
use crate::tools::places::{Lang, Place, PLACES};
use names::{pick, VenueKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

mod names;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub seed: u64,
    /// Taken from the start of the built-in list of real cities (at most its length).
    pub cities: usize,
    pub venues_per_city: usize,
    pub performers: usize,
    pub events: usize,
    /// The soonest this-many shows get their tickets and go on sale at once.
    pub inventory_shows: usize,
    /// Events per transaction.
    pub events_per_batch: usize,
}

impl Plan {
    pub fn small() -> Self {
        Self {
            seed: 2026,
            cities: 20,
            venues_per_city: 3,
            performers: 2_000,
            events: 5_000,
            inventory_shows: 500,
            events_per_batch: 5_000,
        }
    }

    pub fn large() -> Self {
        Self {
            seed: 2026,
            cities: 300,
            venues_per_city: 10,
            performers: 50_000,
            events: 1_000_000,
            inventory_shows: 2_000,
            events_per_batch: 5_000,
        }
    }

    pub fn for_scale(scale: Scale) -> Self {
        match scale {
            Scale::Small => Self::small(),
            Scale::Large => Self::large(),
        }
    }
}

/// The two generated catalogs of `boxoffice seed --scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Small,
    Large,
}

/// What a generation wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub cities: u64,
    pub venues: u64,
    pub sections: u64,
    pub seats: u64,
    pub performers: u64,
    pub events: u64,
    pub shows: u64,
    /// Shows with tickets (on sale now); the others are announced without inventory.
    pub inventory_shows: u64,
    pub tickets: u64,
    pub change_rows: u64,
    pub elapsed: Duration,
    /// SQLite: database file plus WAL; PostgreSQL: `pg_database_size`.
    pub database_bytes: u64,
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bytes(n: u64) -> String {
    if n >= 1 << 30 {
        format!("{:.2} GiB", n as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeded {} cities, {} venues ({} seats), {} performers, {} events, {} shows \
             ({} on sale with {} tickets; the rest announced, on sale later), {} change-feed rows \
             in {:.1} s; database {}",
            thousands(self.cities),
            thousands(self.venues),
            thousands(self.seats),
            thousands(self.performers),
            thousands(self.events),
            thousands(self.shows),
            thousands(self.inventory_shows),
            thousands(self.tickets),
            thousands(self.change_rows),
            self.elapsed.as_secs_f64(),
            bytes(self.database_bytes),
        )
    }
}

/// `boxoffice seed`: generates the catalog of `scale` with a progress bar on stderr and prints
/// the summary line on stdout.
pub async fn generated(store: &DynStore, scale: Scale, now: UnixMs) -> anyhow::Result<()> {
    let summary = generate_with(store, &Plan::for_scale(scale), now, true).await?;
    let store_kind = match store.backend() {
        crate::store::Backend::Sqlite => "SQLite file + WAL",
        crate::store::Backend::Postgres => "PostgreSQL database",
    };
    println!("{summary} ({store_kind})");
    Ok(())
}

/// Generates `plan` into an empty store.
pub async fn generate_with(
    store: &DynStore,
    plan: &Plan,
    now: UnixMs,
    progress: bool,
) -> anyhow::Result<Summary> {
    if !store.is_empty().await? || store.last_change().await? != 0 {
        anyhow::bail!(
            "the catalog is not empty: seed only loads a generated catalog into an empty database \
             (use a fresh BOXOFFICE_DATA_DIR or a new PostgreSQL database)"
        );
    }
    let started = Instant::now();
    let cities = plan.cities.min(PLACES.len());
    let total = (cities * plan.venues_per_city + plan.performers + plan.events) as u64;
    let bar = if progress {
        indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:10} [{bar:40}] {human_pos}/{human_len} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("venues");

    let (tx, mut rx) = tokio::sync::mpsc::channel::<BulkBatch>(2);
    let generator_plan = plan.clone();
    let generator = tokio::task::spawn_blocking(move || {
        Generator::new(&generator_plan, now).run(|batch| tx.blocking_send(batch).is_ok())
    });
    while let Some(batch) = rx.recv().await {
        let units = batch.venues.len() + batch.performers.len() + batch.events.len();
        let phase = if !batch.events.is_empty() {
            "events"
        } else if !batch.performers.is_empty() {
            "performers"
        } else {
            "venues"
        };
        bar.set_message(phase);
        store.tools().bulk_load(batch, now).await?;
        bar.inc(units as u64);
    }
    let mut summary = generator
        .await
        .map_err(|e| anyhow::anyhow!("catalog generator failed: {e}"))??;
    bar.set_message("finishing");
    summary.database_bytes = store.tools().bulk_finish().await?;
    summary.elapsed = started.elapsed();
    bar.finish_and_clear();
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// The generator

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PerformerKind {
    Band,
    Solo,
    Dj,
    Orchestra,
    Soloist,
    Singer,
    Comedian,
    DanceCompany,
    TheatreCompany,
    Team,
    FamilyAct,
}

const PERFORMER_KINDS: &[(PerformerKind, u32)] = &[
    (PerformerKind::Band, 28),
    (PerformerKind::Solo, 22),
    (PerformerKind::Dj, 5),
    (PerformerKind::Orchestra, 5),
    (PerformerKind::Soloist, 4),
    (PerformerKind::Singer, 3),
    (PerformerKind::Comedian, 12),
    (PerformerKind::DanceCompany, 3),
    (PerformerKind::TheatreCompany, 6),
    (PerformerKind::Team, 6),
    (PerformerKind::FamilyAct, 6),
];

/// Which kinds of venue a city has, in order; cities with more venues repeat the list.
const CITY_VENUES: &[VenueKind] = &[
    VenueKind::Club,
    VenueKind::Theatre,
    VenueKind::ConcertHall,
    VenueKind::Arena,
    VenueKind::Club,
    VenueKind::Theatre,
    VenueKind::OperaHouse,
    VenueKind::JazzClub,
    VenueKind::ComedyClub,
    VenueKind::Club,
];

fn weighted<T: Copy, R: Rng>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, weight) in items {
        if roll < *weight {
            return *item;
        }
        roll -= weight;
    }
    items[items.len() - 1].0
}

struct VenueInfo {
    id: i64,
    place: &'static Place,
    kind: VenueKind,
    name: String,
    /// (section id, standing?) in order, best first.
    sections: Vec<(i64, bool)>,
    capacity: i64,
}

/// Performer ids by what they can headline.
#[derive(Default)]
struct Pools {
    all: Vec<i64>,
    music: Vec<i64>,
    jazz: Vec<i64>,
    orchestras: Vec<i64>,
    soloists: Vec<i64>,
    singers: Vec<i64>,
    comedians: Vec<i64>,
    dance: Vec<i64>,
    theatre: Vec<i64>,
    teams: Vec<i64>,
    family: Vec<i64>,
    hosts: Vec<i64>,
}

/// The skeleton of an event: what decides when its shows are (drawn first from its RNG).
struct Skeleton {
    venue: usize,
    category: &'static str,
    starts: Vec<UnixMs>,
}

struct Generator<'p> {
    plan: &'p Plan,
    now: UnixMs,
    places: &'static [Place],
    venues: Vec<VenueInfo>,
    performer_names: Vec<String>,
    performer_genres: Vec<&'static str>,
    pools: Pools,
    summary: Summary,
}

impl<'p> Generator<'p> {
    fn new(plan: &'p Plan, now: UnixMs) -> Self {
        Self {
            plan,
            now,
            places: &PLACES[..plan.cities.min(PLACES.len())],
            venues: Vec::new(),
            performer_names: Vec::new(),
            performer_genres: Vec::new(),
            pools: Pools::default(),
            summary: Summary::default(),
        }
    }

    /// Generates everything, handing batches to `sink`; stops early when `sink` returns false.
    fn run(mut self, mut sink: impl FnMut(BulkBatch) -> bool) -> anyhow::Result<Summary> {
        if !self.venues(&mut sink)? || !self.performers(&mut sink) {
            return Ok(self.summary);
        }
        let mut summary = std::mem::take(&mut self.summary);
        self.events(&mut summary, &mut sink);
        Ok(summary)
    }

    fn venues(&mut self, sink: &mut impl FnMut(BulkBatch) -> bool) -> anyhow::Result<bool> {
        let mut rng = StdRng::seed_from_u64(self.plan.seed ^ 0x5eed_0001);
        let mut batch = BulkBatch::default();
        let (mut section_id, mut seat_id) = (1i64, 1i64);
        for (city_index, place) in self.places.iter().enumerate() {
            let city_id = city_index as i64 + 1;
            batch.cities.push(BulkCity {
                id: city_id,
                name: place.name.to_owned(),
                country: place.country.to_owned(),
            });
            let lang = place.country().lang;
            let mut taken = HashSet::new();
            for v in 0..self.plan.venues_per_city {
                let kind = CITY_VENUES[v % CITY_VENUES.len()];
                let mut name = names::venue_name(&mut rng, kind, lang, place.name);
                for attempt in 0.. {
                    if taken.insert(name.clone()) {
                        break;
                    }
                    name = if attempt < 20 {
                        names::venue_name(&mut rng, kind, lang, place.name)
                    } else {
                        format!("{name} {}", attempt - 18)
                    };
                }
                let input = VenueInput {
                    name: name.clone(),
                    city: place.name.to_owned(),
                    country: place.country.to_owned(),
                    address: names::street_address(&mut rng, lang),
                    lat: place.lat + rng.gen_range(-0.04..0.04),
                    lon: place.lon + rng.gen_range(-0.04..0.04),
                    timezone: None,
                    sections: sections(&mut rng, kind, lang, place.country),
                };
                let venue = NewVenue::try_from(input).map_err(|e| {
                    anyhow::anyhow!("generated venue {name:?} is invalid: {:?}", e.0)
                })?;
                let venue_id = self.venues.len() as i64 + 1;
                batch.venues.push(BulkVenue {
                    id: venue_id,
                    city_id,
                    name: venue.name.clone(),
                    address: venue.address.clone(),
                    lat: venue.lat,
                    lon: venue.lon,
                });
                let mut info = VenueInfo {
                    id: venue_id,
                    place,
                    kind,
                    name: venue.name.clone(),
                    sections: Vec::new(),
                    capacity: 0,
                };
                // Laid out as `create_venue` lays sections out.
                let mut y = 0.0;
                for (position, section) in venue.sections.iter().enumerate() {
                    batch.sections.push(BulkSection {
                        id: section_id,
                        venue_id,
                        name: section.name.clone(),
                        kind: section.kind,
                        capacity: section.capacity,
                        position: position as i64,
                    });
                    for seat in section.seats(y) {
                        batch.seats.push(BulkSeat {
                            id: seat_id,
                            section_id,
                            row_label: seat.row_label,
                            row_rank: seat.row_rank,
                            number: seat.number,
                            x: seat.x,
                            y: seat.y,
                        });
                        seat_id += 1;
                    }
                    y += section.depth() + 2.0;
                    info.sections
                        .push((section_id, section.kind == SectionKind::Standing));
                    info.capacity += section.capacity;
                    self.summary.sections += 1;
                    self.summary.seats += section.capacity as u64;
                    section_id += 1;
                }
                self.venues.push(info);
                self.summary.venues += 1;
            }
            self.summary.cities += 1;
            if batch.seats.len() >= 150_000 && !sink(std::mem::take(&mut batch)) {
                return Ok(false);
            }
        }
        Ok(batch.cities.is_empty() || sink(batch))
    }

    fn performers(&mut self, sink: &mut impl FnMut(BulkBatch) -> bool) -> bool {
        let mut rng = StdRng::seed_from_u64(self.plan.seed ^ 0x5eed_0002);
        let mut batch = BulkBatch::default();
        let mut taken = HashSet::new();
        let city = |rng: &mut StdRng, places: &[Place]| {
            places
                .get(rng.gen_range(0..places.len().max(1)))
                .map_or("Springfield", |p| p.name)
        };
        for i in 0..self.plan.performers {
            let id = i as i64 + 1;
            let kind = weighted(&mut rng, PERFORMER_KINDS);
            let home = city(&mut rng, self.places);
            let (genre, what): (&'static str, &str) = match kind {
                PerformerKind::Band => (weighted(&mut rng, names::MUSIC_GENRES), "band"),
                PerformerKind::Solo => (weighted(&mut rng, names::MUSIC_GENRES), "artist"),
                PerformerKind::Dj => ("electronic", "DJ and producer"),
                PerformerKind::Orchestra => ("classical", "ensemble"),
                PerformerKind::Soloist => (
                    pick(&mut rng, &["piano", "violin", "cello", "guitar"]),
                    "soloist",
                ),
                PerformerKind::Singer => ("opera", "singer"),
                PerformerKind::Comedian => ("comedy", "comedian"),
                PerformerKind::DanceCompany => {
                    (pick(&mut rng, &["ballet", "contemporary dance"]), "company")
                }
                PerformerKind::TheatreCompany => (pick(&mut rng, &["drama", "musical"]), "company"),
                PerformerKind::Team => (
                    pick(
                        &mut rng,
                        &["basketball", "ice hockey", "handball", "volleyball"],
                    ),
                    "team",
                ),
                PerformerKind::FamilyAct => (
                    pick(&mut rng, &["circus", "magic", "puppetry", "ice show"]),
                    "show",
                ),
            };
            let make = |rng: &mut StdRng| match kind {
                PerformerKind::Band => names::band(rng),
                PerformerKind::Solo
                | PerformerKind::Soloist
                | PerformerKind::Singer
                | PerformerKind::Comedian => names::person(rng),
                PerformerKind::Dj => names::dj(rng),
                PerformerKind::Orchestra => names::orchestra(rng, home),
                PerformerKind::DanceCompany => names::dance_company(rng, home),
                PerformerKind::TheatreCompany => names::theatre_company(rng, home),
                PerformerKind::Team => names::team(rng, home),
                PerformerKind::FamilyAct => names::family_act(rng),
            };
            let mut name = make(&mut rng);
            for attempt in 0.. {
                if taken.insert(name.clone()) {
                    break;
                }
                name = if attempt < 20 {
                    make(&mut rng)
                } else {
                    format!("{name} {}", roman(attempt - 18))
                };
            }
            let description = (rng.gen_range(0..5) > 0).then(|| match kind {
                PerformerKind::Team => format!("{} team from {home}.", names::title_case(genre)),
                PerformerKind::Soloist => {
                    format!("{} soloist from {home}.", names::title_case(genre))
                }
                _ => format!("{} {what} from {home}.", names::title_case(genre)),
            });
            let pool = &mut self.pools;
            pool.all.push(id);
            match kind {
                PerformerKind::Band | PerformerKind::Solo | PerformerKind::Dj => {
                    pool.music.push(id);
                    if names::jazz_club_genre(genre) {
                        pool.jazz.push(id);
                    }
                    if kind == PerformerKind::Solo {
                        pool.hosts.push(id);
                    }
                }
                PerformerKind::Orchestra => pool.orchestras.push(id),
                PerformerKind::Soloist => pool.soloists.push(id),
                PerformerKind::Singer => pool.singers.push(id),
                PerformerKind::Comedian => {
                    pool.comedians.push(id);
                    pool.hosts.push(id);
                }
                PerformerKind::DanceCompany => pool.dance.push(id),
                PerformerKind::TheatreCompany => pool.theatre.push(id),
                PerformerKind::Team => pool.teams.push(id),
                PerformerKind::FamilyAct => pool.family.push(id),
            }
            batch.performers.push(BulkPerformer {
                id,
                name: name.clone(),
                genre: Some(genre.to_owned()),
                description,
            });
            self.performer_names.push(name);
            self.performer_genres.push(genre);
            self.summary.performers += 1;
            if batch.performers.len() >= 10_000 && !sink(std::mem::take(&mut batch)) {
                return false;
            }
        }
        batch.performers.is_empty() || sink(batch)
    }

    fn event_rng(&self, index: usize) -> StdRng {
        StdRng::seed_from_u64(
            (self.plan.seed ^ 0x5eed_0003)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(index as u64),
        )
    }

    /// Draws an event's venue, category and show times.
    fn skeleton(&self, rng: &mut StdRng) -> Skeleton {
        let venue = rng.gen_range(0..self.venues.len());
        let info = &self.venues[venue];
        let category = category_for(rng, info.kind);
        let shows = weighted(rng, &[(1usize, 55), (2, 28), (3, 17)]);
        let spacing = match category {
            "theatre" | "opera" | "dance" => rng.gen_range(1..=7),
            "classical" => rng.gen_range(1..=2),
            _ => 1,
        };
        let first_day = rng.gen_range(2..=(365 - spacing * (shows as i64 - 1)));
        let local = local_start_minutes(rng, category, info.kind);
        let today = self.now.div_euclid(DAY_MS) * DAY_MS;
        let offset = i64::from(info.place.utc_offset_min());
        let starts = (0..shows as i64)
            .map(|k| today + (first_day + k * spacing) * DAY_MS + (local - offset) * MINUTE_MS)
            .collect();
        Skeleton {
            venue,
            category,
            starts,
        }
    }

    /// The start time before which every show gets inventory, and how many shows starting
    /// exactly then still do (ties are settled in generation order).
    fn inventory_cutoff(&self) -> (UnixMs, usize) {
        let mut starts = Vec::new();
        for i in 0..self.plan.events {
            let mut rng = self.event_rng(i);
            starts.extend(self.skeleton(&mut rng).starts);
        }
        let wanted = self.plan.inventory_shows;
        if wanted == 0 {
            return (UnixMs::MIN, 0);
        }
        if wanted >= starts.len() {
            return (UnixMs::MAX, 0);
        }
        let (_, nth, _) = starts.select_nth_unstable(wanted - 1);
        let cutoff = *nth;
        let before = starts.iter().filter(|s| **s < cutoff).count();
        (cutoff, wanted - before)
    }

    fn events(&self, summary: &mut Summary, sink: &mut impl FnMut(BulkBatch) -> bool) {
        if self.venues.is_empty() {
            return;
        }
        let (cutoff, mut ties) = self.inventory_cutoff();
        let mut batch = BulkBatch::default();
        let mut show_id = 1i64;
        // Who plays at home where, for sports fixtures.
        let mut teams_by_city: HashMap<&str, Vec<i64>> = HashMap::new();
        for id in &self.pools.teams {
            let name = &self.performer_names[(*id - 1) as usize];
            for place in self.places {
                if name.starts_with(place.name) {
                    teams_by_city.entry(place.name).or_default().push(*id);
                }
            }
        }
        for i in 0..self.plan.events {
            let id = i as i64 + 1;
            let mut rng = self.event_rng(i);
            let skeleton = self.skeleton(&mut rng);
            let venue = &self.venues[skeleton.venue];
            let category = skeleton.category;
            let performers = self.cast(&mut rng, category, venue, &teams_by_city);
            let names: Vec<&str> = performers
                .iter()
                .map(|p| self.performer_names[(*p - 1) as usize].as_str())
                .collect();
            let year = time::OffsetDateTime::from_unix_timestamp(skeleton.starts[0] / 1000)
                .map_or(2026, |t| t.year());
            let title = self.title(&mut rng, category, &names, &performers, venue, year);
            let description =
                names::description(&mut rng, category, &names, &venue.name, venue.place.name);
            // Prices: a base for the kind of night, more for popular headliners, less for the
            // cheaper sections; standing floors sit in the middle.
            let country = venue.place.country();
            let mut base =
                base_price_eur_cents(category, venue.kind) as f64 * rng.gen_range(0.75..1.4);
            if let Some(first) = performers.first() {
                if self.is_star(*first) {
                    base *= 1.8;
                }
            }
            let mut seated_rank = 0;
            let prices: Vec<(i64, i64)> = venue
                .sections
                .iter()
                .map(|(section, standing)| {
                    let factor = if *standing {
                        0.8
                    } else {
                        seated_rank += 1;
                        [1.0, 0.75, 0.55, 0.4][(seated_rank - 1).min(3)]
                    };
                    let major = nice(base * factor / 100.0 * country.per_eur);
                    let minor = (major * 10f64.powi(country.decimals as i32)) as i64;
                    (*section, minor.clamp(0, 100_000_000))
                })
                .collect();
            let star_night = venue.kind == VenueKind::Arena
                && category == "concert"
                && performers.first().is_some_and(|p| self.is_star(*p));
            for starts_at in &skeleton.starts {
                let inventory = if *starts_at < cutoff {
                    true
                } else if *starts_at == cutoff && ties > 0 {
                    ties -= 1;
                    true
                } else {
                    false
                };
                let on_sale_at = if inventory {
                    self.now - self.now.rem_euclid(HOUR_MS)
                } else {
                    announced_on_sale(self.now, *starts_at)
                };
                batch.shows.push(BulkShow {
                    id: show_id,
                    event_id: id,
                    starts_at: *starts_at,
                    on_sale_at,
                    hold_ttl_seconds: DEFAULT_HOLD_TTL_SECONDS,
                    max_per_order: if star_night {
                        6
                    } else if venue.kind == VenueKind::Arena {
                        8
                    } else {
                        DEFAULT_MAX_PER_ORDER
                    },
                    waiting_room: star_night,
                    currency: country.currency.to_owned(),
                    prices: prices.clone(),
                    inventory,
                });
                show_id += 1;
                summary.shows += 1;
                if inventory {
                    summary.inventory_shows += 1;
                    summary.tickets += venue.capacity as u64;
                }
            }
            batch.events.push(BulkEvent {
                id,
                title,
                description,
                category: category.to_owned(),
                venue_id: venue.id,
                performer_ids: performers,
            });
            summary.events += 1;
            summary.change_rows += 1;
            if batch.events.len() >= self.plan.events_per_batch.max(1)
                && !sink(std::mem::take(&mut batch))
            {
                return;
            }
        }
        if !batch.events.is_empty() {
            sink(batch);
        }
    }

    /// The first 1% of performers by id: pools are in id order and picks favour their front, so
    /// these are the stars of every pool.
    fn is_star(&self, performer: i64) -> bool {
        performer as usize <= (self.performer_names.len() / 100).max(1)
    }

    /// Picks from a pool with a strong skew towards its first (most popular) members.
    fn popular(rng: &mut StdRng, pool: &[i64], fallback: &[i64]) -> Option<i64> {
        let pool = if pool.is_empty() { fallback } else { pool };
        if pool.is_empty() {
            return None;
        }
        let u: f64 = rng.gen();
        Some(pool[((u * u * u) * pool.len() as f64) as usize % pool.len()])
    }

    fn cast(
        &self,
        rng: &mut StdRng,
        category: &str,
        venue: &VenueInfo,
        teams_by_city: &HashMap<&str, Vec<i64>>,
    ) -> Vec<i64> {
        let p = &self.pools;
        let all = &p.all;
        let mut out = Vec::new();
        let mut add = |id: Option<i64>| -> usize {
            if let Some(id) = id {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            out.len()
        };
        match category {
            "concert" if venue.kind == VenueKind::JazzClub => {
                add(Self::popular(rng, &p.jazz, all));
            }
            "concert" => {
                add(Self::popular(rng, &p.music, all));
                if rng.gen_range(0..10) < 3 {
                    add(Self::popular(rng, &p.music, all));
                }
            }
            "festival" => {
                for _ in 0..rng.gen_range(3..=6) {
                    add(Self::popular(rng, &p.music, all));
                }
            }
            "classical" => {
                add(Self::popular(rng, &p.orchestras, all));
                if rng.gen_bool(0.5) {
                    add(Self::popular(rng, &p.soloists, all));
                }
            }
            "opera" => {
                for _ in 0..rng.gen_range(1..=2) {
                    add(Self::popular(rng, &p.singers, all));
                }
                if rng.gen_bool(0.4) {
                    add(Self::popular(rng, &p.orchestras, all));
                }
            }
            "theatre" => {
                add(Self::popular(rng, &p.theatre, all));
            }
            "dance" => {
                add(Self::popular(rng, &p.dance, all));
            }
            "comedy" => {
                let acts = if rng.gen_range(0..5) == 0 { 3 } else { 1 };
                for _ in 0..acts {
                    add(Self::popular(rng, &p.comedians, all));
                }
            }
            "sport" => {
                let home = teams_by_city
                    .get(venue.place.name)
                    .filter(|t| !t.is_empty())
                    .map(|t| t[rng.gen_range(0..t.len())]);
                let mut cast = add(home.or_else(|| Self::popular(rng, &p.teams, all)));
                for _ in 0..5 {
                    if cast >= 2 {
                        break;
                    }
                    cast = add(Self::popular(rng, &p.teams, all));
                }
            }
            "family" => {
                add(Self::popular(rng, &p.family, all));
            }
            _ => {
                add(Self::popular(rng, &p.hosts, all));
            }
        }
        out
    }

    fn title(
        &self,
        rng: &mut StdRng,
        category: &str,
        names: &[&str],
        performers: &[i64],
        venue: &VenueInfo,
        year: i32,
    ) -> String {
        let lead = names.first().copied().unwrap_or("Special Guest");
        let title = match category {
            "concert" => names::concert_title(rng, lead),
            "festival" => {
                let genre = performers
                    .first()
                    .map_or("music", |p| self.performer_genres[(*p - 1) as usize]);
                names::festival_title(rng, venue.place.name, genre, year)
            }
            "classical" => {
                let work = pick(rng, names::CLASSICAL_WORKS);
                if rng.gen_range(0..5) < 3 {
                    work.to_owned()
                } else {
                    format!("{lead} \u{2014} {work}")
                }
            }
            "opera" => pick(rng, names::OPERAS).to_owned(),
            "theatre" => pick(rng, names::PLAYS).to_owned(),
            "dance" => {
                if rng.gen_range(0..10) < 7 {
                    pick(rng, names::BALLETS).to_owned()
                } else {
                    format!("{lead}: {}", pick(rng, names::BALLETS))
                }
            }
            "comedy" if names.len() > 1 => format!("Comedy Night at {}", venue.name),
            "comedy" => names::comedy_title(rng, lead),
            "sport" => match names {
                [home, away, ..] => format!("{home} vs {away}"),
                _ => format!("{lead} \u{2014} Home Game"),
            },
            "family" => lead.to_owned(),
            _ => names::other_title(rng, lead),
        };
        title.chars().take(200).collect()
    }
}

fn roman(n: usize) -> &'static str {
    ["II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
        .get(n.saturating_sub(1))
        .copied()
        .unwrap_or("X")
}

/// When an announced show goes on sale: halfway from now to the show, or 90 days before the
/// show when that is later; on the hour when that still lies between now and the show.
fn announced_on_sale(now: UnixMs, starts_at: UnixMs) -> UnixMs {
    let at = (now + (starts_at - now) / 2).max(starts_at - 90 * DAY_MS);
    let on_the_hour = at - at.rem_euclid(HOUR_MS);
    if on_the_hour > now && on_the_hour < starts_at {
        on_the_hour
    } else {
        at
    }
}

/// Rounds a price in major units to what a box office would charge.
fn nice(major: f64) -> f64 {
    if major < 100.0 {
        major.round().max(1.0)
    } else if major < 1_000.0 {
        (major / 5.0).round() * 5.0
    } else {
        let magnitude = 10f64.powi(major.log10().floor() as i32 - 1);
        (major / magnitude).round() * magnitude
    }
}

fn base_price_eur_cents(category: &str, kind: VenueKind) -> i64 {
    match (category, kind) {
        ("concert", VenueKind::Arena) => 7_500,
        ("concert", VenueKind::Club | VenueKind::JazzClub) => 2_500,
        ("concert", _) => 4_500,
        ("festival", _) => 8_900,
        ("classical", _) => 4_000,
        ("opera", _) => 7_500,
        ("theatre", _) => 4_500,
        ("dance", _) => 5_000,
        ("comedy", VenueKind::Arena) => 5_500,
        ("comedy", _) => 2_200,
        ("sport", _) => 3_500,
        ("family", _) => 2_000,
        _ => 2_000,
    }
}

fn category_for(rng: &mut StdRng, kind: VenueKind) -> &'static str {
    let table: &[(&'static str, u32)] = match kind {
        VenueKind::Arena => &[
            ("concert", 55),
            ("sport", 20),
            ("family", 8),
            ("festival", 7),
            ("comedy", 10),
        ],
        VenueKind::ConcertHall => &[("classical", 60), ("concert", 30), ("other", 10)],
        VenueKind::OperaHouse => &[("opera", 60), ("dance", 25), ("classical", 15)],
        VenueKind::Theatre => &[
            ("theatre", 50),
            ("dance", 12),
            ("comedy", 15),
            ("family", 13),
            ("concert", 10),
        ],
        VenueKind::Club => &[
            ("concert", 85),
            ("festival", 5),
            ("comedy", 5),
            ("other", 5),
        ],
        VenueKind::JazzClub => &[("concert", 1)],
        VenueKind::ComedyClub => &[("comedy", 9), ("other", 1)],
    };
    weighted(rng, table)
}

/// Local start time in minutes after midnight.
fn local_start_minutes(rng: &mut StdRng, category: &str, kind: VenueKind) -> i64 {
    let hm: &[(i64, i64)] = match category {
        "festival" => &[(12, 0), (14, 0), (16, 0)],
        "family" => &[(11, 0), (14, 0), (15, 0), (16, 0)],
        "sport" => &[(13, 0), (15, 0), (17, 30), (19, 0), (20, 0)],
        "comedy" => &[(19, 0), (20, 0), (21, 0), (22, 0)],
        "opera" => &[(18, 0), (19, 0), (19, 30)],
        "classical" | "theatre" | "dance" => &[(19, 0), (19, 30), (20, 0)],
        "concert" if matches!(kind, VenueKind::Club | VenueKind::JazzClub) => {
            &[(20, 0), (20, 30), (21, 0), (22, 0)]
        }
        "concert" => &[(19, 0), (19, 30), (20, 0), (20, 30)],
        _ => &[(18, 30), (19, 0), (19, 30), (20, 0)],
    };
    let (h, m) = hm[rng.gen_range(0..hm.len())];
    h * 60 + m
}

fn seated_rows(
    rng: &mut StdRng,
    rows: (usize, usize),
    seats: (i64, i64),
    letters: bool,
) -> Vec<RowInput> {
    let count = rng.gen_range(rows.0..=rows.1);
    let width = rng.gen_range(seats.0..=seats.1);
    (0..count)
        .map(|r| RowInput {
            label: if letters {
                row_label(r)
            } else {
                (r + 1).to_string()
            },
            // Rows widen a little towards the back, as in a real hall.
            seats: width + (r as i64 % 3) + r as i64 / 6,
        })
        .collect()
}

fn seated(name: &str, rows: Vec<RowInput>) -> SectionInput {
    SectionInput {
        name: name.to_owned(),
        kind: "seated".into(),
        rows: Some(rows),
        capacity: None,
    }
}

fn standing(name: &str, capacity: i64) -> SectionInput {
    SectionInput {
        name: name.to_owned(),
        kind: "standing".into(),
        rows: None,
        capacity: Some(capacity),
    }
}

fn arena_names(lang: Lang) -> [&'static str; 3] {
    match lang {
        Lang::En => ["Floor", "Lower Tier", "Upper Tier"],
        Lang::De => ["Innenraum", "Unterrang", "Oberrang"],
        Lang::Fr => ["Fosse", "Gradins Bas", "Gradins Hauts"],
        Lang::Es => ["Pista", "Grada Baja", "Grada Alta"],
        Lang::It => ["Parterre", "Primo Anello", "Secondo Anello"],
        Lang::Pt => ["Pista", "Arquibancada Inferior", "Arquibancada Superior"],
        Lang::Nl => ["Vloer", "Eerste Ring", "Tweede Ring"],
    }
}

fn balcony_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Balcony",
        Lang::De => "Empore",
        Lang::Fr => "Balcon",
        Lang::Es => "Balcón",
        Lang::It => "Balconata",
        Lang::Pt => "Balcão",
        Lang::Nl => "Balkon",
    }
}

/// The sections of a venue of `kind`, best first.
fn sections(rng: &mut StdRng, kind: VenueKind, lang: Lang, country: &str) -> Vec<SectionInput> {
    let american = matches!(country, "United States" | "Canada");
    let tiers = names::tier_names(lang, american);
    match kind {
        VenueKind::Arena => {
            let [floor, lower, upper] = arena_names(lang);
            vec![
                seated(lower, seated_rows(rng, (20, 30), (60, 90), false)),
                standing(floor, rng.gen_range(20..=50) * 100),
                seated(upper, seated_rows(rng, (15, 25), (80, 110), false)),
            ]
        }
        VenueKind::ConcertHall => {
            let mut s = vec![
                seated(tiers[0], seated_rows(rng, (22, 30), (28, 40), true)),
                seated(tiers[1], seated_rows(rng, (8, 12), (30, 44), true)),
            ];
            if rng.gen_bool(0.4) {
                s.push(seated(tiers[3], seated_rows(rng, (3, 5), (20, 30), true)));
            }
            s
        }
        VenueKind::OperaHouse => vec![
            seated(tiers[0], seated_rows(rng, (18, 24), (24, 32), true)),
            seated(tiers[1], seated_rows(rng, (5, 7), (30, 40), true)),
            seated(tiers[2], seated_rows(rng, (5, 7), (30, 40), true)),
            seated(tiers[3], seated_rows(rng, (4, 6), (34, 44), true)),
        ],
        VenueKind::Theatre => {
            let mut s = vec![
                seated(tiers[0], seated_rows(rng, (16, 26), (20, 32), true)),
                seated(tiers[1], seated_rows(rng, (6, 10), (24, 34), true)),
            ];
            if rng.gen_bool(0.5) {
                s.push(seated(tiers[2], seated_rows(rng, (5, 8), (26, 36), true)));
            }
            s
        }
        VenueKind::Club => {
            let mut s = vec![standing(arena_names(lang)[0], rng.gen_range(5..=30) * 50)];
            if rng.gen_bool(0.4) {
                s.push(seated(
                    balcony_name(lang),
                    seated_rows(rng, (3, 6), (16, 30), true),
                ));
            }
            s
        }
        VenueKind::JazzClub => vec![
            seated("Tables", seated_rows(rng, (8, 14), (8, 14), true)),
            standing("Bar", rng.gen_range(3..=8) * 10),
        ],
        VenueKind::ComedyClub => vec![seated(
            "Main Room",
            seated_rows(rng, (10, 16), (12, 20), true),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{NewPerformer, PerformerInput, CATEGORIES};

    fn tiny() -> Plan {
        Plan {
            seed: 7,
            cities: 4,
            venues_per_city: 10,
            performers: 400,
            events: 600,
            inventory_shows: 50,
            events_per_batch: 100,
        }
    }

    fn collect(plan: &Plan, now: UnixMs) -> (Vec<BulkBatch>, Summary) {
        let mut batches = Vec::new();
        let summary = Generator::new(plan, now)
            .run(|b| {
                batches.push(b);
                true
            })
            .expect("generates");
        (batches, summary)
    }

    #[test]
    fn the_same_plan_generates_the_same_catalog() {
        let now = 1_795_000_000_000;
        let (a, sa) = collect(&tiny(), now);
        let (b, sb) = collect(&tiny(), now);
        assert_eq!(sa, sb);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let mut other = tiny();
        other.seed = 8;
        let (c, _) = collect(&other, now);
        assert_ne!(format!("{a:?}"), format!("{c:?}"));
    }

    #[test]
    fn generated_rows_are_valid_catalog_rows() {
        let now = 1_795_000_000_000;
        let plan = tiny();
        let (batches, summary) = collect(&plan, now);
        assert_eq!(summary.cities, 4);
        assert_eq!(summary.venues, 40);
        assert_eq!(summary.performers, 400);
        assert_eq!(summary.events, 600);
        assert_eq!(summary.inventory_shows, 50);
        let seats: usize = batches.iter().map(|b| b.seats.len()).sum();
        assert_eq!(seats as u64, summary.seats);

        let mut shows = Vec::new();
        let mut performer_names = HashSet::new();
        for b in &batches {
            for p in &b.performers {
                assert!(
                    performer_names.insert(p.name.clone()),
                    "duplicate {}",
                    p.name
                );
                NewPerformer::try_from(PerformerInput {
                    name: p.name.clone(),
                    genre: p.genre.clone(),
                    description: p.description.clone(),
                })
                .expect("valid performer");
            }
            for e in &b.events {
                assert!(CATEGORIES.contains(&e.category.as_str()), "{}", e.category);
                assert!(!e.title.trim().is_empty() && e.title.chars().count() <= 200);
                assert!(e.performer_ids.iter().all(|p| *p >= 1 && *p <= 400));
                assert!(!e.performer_ids.is_empty(), "{}", e.title);
            }
            shows.extend(b.shows.iter().cloned());
        }
        assert_eq!(shows.len() as u64, summary.shows);
        for s in &shows {
            assert!(s.starts_at > now && s.starts_at < now + 367 * DAY_MS);
            assert!(s.on_sale_at < s.starts_at);
            assert_eq!(s.inventory, s.on_sale_at <= now, "show {}", s.id);
            assert!(!s.prices.is_empty());
            assert!(s.prices.iter().all(|(_, a)| *a > 0 && *a <= 100_000_000));
        }
        // The shows with inventory are exactly the soonest ones.
        let latest_on_sale = shows
            .iter()
            .filter(|s| s.inventory)
            .map(|s| s.starts_at)
            .max();
        let earliest_announced = shows
            .iter()
            .filter(|s| !s.inventory)
            .map(|s| s.starts_at)
            .min();
        assert!(latest_on_sale <= earliest_announced);
    }

    #[test]
    fn announced_shows_go_on_sale_between_now_and_the_show() {
        let now = 1_795_000_000_000;
        for days in [1, 2, 10, 100, 360] {
            let starts = now + days * DAY_MS;
            let at = announced_on_sale(now, starts);
            assert!(at > now && at < starts, "{days}");
        }
        assert_eq!(nice(47.3), 47.0);
        assert_eq!(nice(123.0), 125.0);
        assert_eq!(nice(12_345.0), 12_000.0);
    }
}
