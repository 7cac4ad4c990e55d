//! The demo catalog: real cities and coordinates, venues with drawn seat maps, performers and
//! events over the coming months. Loaded through the same store operations the API uses.

use crate::domain::catalog::*;
use crate::domain::*;
use crate::store::{DynStore, StoreResult};

const DAY_MS: i64 = 86_400_000;

fn seated(name: &str, rows: usize, seats: i64) -> SectionInput {
    SectionInput {
        name: name.into(),
        kind: "seated".into(),
        rows: Some(
            (0..rows)
                .map(|r| RowInput {
                    label: row_label(r),
                    seats: seats + (r as i64 % 3),
                })
                .collect(),
        ),
        capacity: None,
    }
}

fn standing(name: &str, capacity: i64) -> SectionInput {
    SectionInput {
        name: name.into(),
        kind: "standing".into(),
        rows: None,
        capacity: Some(capacity),
    }
}

struct DemoVenue {
    name: &'static str,
    city: &'static str,
    country: &'static str,
    address: &'static str,
    lat: f64,
    lon: f64,
    sections: fn() -> Vec<SectionInput>,
}

fn venues() -> Vec<DemoVenue> {
    vec![
        DemoVenue {
            name: "Wiener Staatsoper",
            city: "Vienna",
            country: "Austria",
            address: "Opernring 2, 1010 Wien",
            lat: 48.2030,
            lon: 16.3690,
            sections: || {
                vec![
                    seated("Parkett", 20, 24),
                    seated("Balkon", 8, 30),
                    seated("Galerie", 6, 34),
                ]
            },
        },
        DemoVenue {
            name: "Royal Albert Hall",
            city: "London",
            country: "United Kingdom",
            address: "Kensington Gore, London SW7 2AP",
            lat: 51.5009,
            lon: -0.1774,
            sections: || {
                vec![
                    standing("Arena", 400),
                    seated("Stalls", 18, 26),
                    seated("Circle", 10, 32),
                ]
            },
        },
        DemoVenue {
            name: "O2 Academy Brixton",
            city: "London",
            country: "United Kingdom",
            address: "211 Stockwell Rd, London SW9 9SL",
            lat: 51.4652,
            lon: -0.1149,
            sections: || vec![standing("Floor", 1200), seated("Balcony", 10, 30)],
        },
        DemoVenue {
            name: "Olympiastadion",
            city: "Berlin",
            country: "Germany",
            address: "Olympischer Platz 3, 14053 Berlin",
            lat: 52.5147,
            lon: 13.2395,
            sections: || {
                vec![
                    standing("Innenraum", 3000),
                    seated("Oberring Nord", 30, 40),
                    seated("Oberring Süd", 30, 40),
                ]
            },
        },
        DemoVenue {
            name: "Elbphilharmonie",
            city: "Hamburg",
            country: "Germany",
            address: "Platz der Deutschen Einheit 1, 20457 Hamburg",
            lat: 53.5413,
            lon: 9.9841,
            sections: || {
                vec![
                    seated("Etage 12", 12, 28),
                    seated("Etage 13", 10, 26),
                    seated("Etage 15", 8, 24),
                ]
            },
        },
        DemoVenue {
            name: "Olympia",
            city: "Paris",
            country: "France",
            address: "28 Boulevard des Capucines, 75009 Paris",
            lat: 48.8702,
            lon: 2.3283,
            sections: || vec![standing("Fosse", 800), seated("Balcon", 12, 30)],
        },
        DemoVenue {
            name: "Madison Square Garden",
            city: "New York",
            country: "United States",
            address: "4 Pennsylvania Plaza, New York, NY 10001",
            lat: 40.7505,
            lon: -73.9934,
            sections: || {
                vec![
                    standing("Floor", 2000),
                    seated("Lower Bowl", 25, 40),
                    seated("Upper Bowl", 25, 44),
                ]
            },
        },
        DemoVenue {
            name: "Sydney Opera House",
            city: "Sydney",
            country: "Australia",
            address: "Bennelong Point, Sydney NSW 2000",
            lat: -33.8568,
            lon: 151.2153,
            sections: || vec![seated("Stalls", 22, 30), seated("Circle", 10, 28)],
        },
        DemoVenue {
            name: "Teatro alla Scala",
            city: "Milan",
            country: "Italy",
            address: "Via Filodrammatici 2, 20121 Milano",
            lat: 45.4674,
            lon: 9.1895,
            sections: || vec![seated("Platea", 20, 26), seated("Galleria", 8, 30)],
        },
        DemoVenue {
            name: "Palau de la Música Catalana",
            city: "Barcelona",
            country: "Spain",
            address: "C/ Palau de la Música 4-6, 08003 Barcelona",
            lat: 41.3876,
            lon: 2.1753,
            sections: || vec![seated("Platea", 16, 28), seated("Primer Pis", 8, 30)],
        },
    ]
}

struct DemoEvent {
    title: &'static str,
    description: &'static str,
    category: &'static str,
    performer: &'static str,
    genre: &'static str,
    venue: usize,
    shows: &'static [(i64, i64)], // (days from now, base price in cents)
}

const EVENTS: &[DemoEvent] = &[
    DemoEvent {
        title: "Die Zauberflöte",
        description: "Mozart's magic opera in a new production, sung in German with surtitles.",
        category: "opera",
        performer: "Wiener Philharmoniker",
        genre: "classical",
        venue: 0,
        shows: &[(12, 4500), (19, 4500), (40, 5200)],
    },
    DemoEvent {
        title: "Taylor Swift — The Eras Tour",
        description: "A journey through every era of Taylor Swift's music.",
        category: "concert",
        performer: "Taylor Swift",
        genre: "pop",
        venue: 3,
        shows: &[(30, 12900), (31, 12900)],
    },
    DemoEvent {
        title: "Coldplay — Music of the Spheres",
        description: "Stadium show with wristbands, lasers and confetti.",
        category: "concert",
        performer: "Coldplay",
        genre: "rock",
        venue: 6,
        shows: &[(45, 9900)],
    },
    DemoEvent {
        title: "Metallica — M72 World Tour",
        description: "Two nights, no repeat songs, in the round.",
        category: "concert",
        performer: "Metallica",
        genre: "metal",
        venue: 3,
        shows: &[(60, 11000), (62, 11000)],
    },
    DemoEvent {
        title: "Björk — Cornucopia",
        description: "Björk's most elaborate staged concert yet.",
        category: "concert",
        performer: "Björk",
        genre: "art pop",
        venue: 4,
        shows: &[(25, 8900)],
    },
    DemoEvent {
        title: "The Proms: Beethoven Nine",
        description: "The Choral Symphony under the dome.",
        category: "classical",
        performer: "BBC Symphony Orchestra",
        genre: "classical",
        venue: 1,
        shows: &[(20, 3500), (21, 3500)],
    },
    DemoEvent {
        title: "Arctic Monkeys",
        description: "The Sheffield band back in Brixton.",
        category: "concert",
        performer: "Arctic Monkeys",
        genre: "indie rock",
        venue: 2,
        shows: &[(15, 6500), (16, 6500), (17, 6500)],
    },
    DemoEvent {
        title: "Stromae — Multitude",
        description: "Belgian chanson and electronics at l'Olympia.",
        category: "concert",
        performer: "Stromae",
        genre: "chanson",
        venue: 5,
        shows: &[(33, 7200)],
    },
    DemoEvent {
        title: "Hamilton in Concert",
        description: "The musical that changed Broadway, in concert.",
        category: "theatre",
        performer: "Hamilton Company",
        genre: "musical",
        venue: 6,
        shows: &[(50, 8900), (51, 8900)],
    },
    DemoEvent {
        title: "La Traviata",
        description: "Verdi's tragedy of love and society.",
        category: "opera",
        performer: "Orchestra del Teatro alla Scala",
        genre: "classical",
        venue: 8,
        shows: &[(22, 6000), (29, 6000)],
    },
    DemoEvent {
        title: "Swan Lake",
        description: "Tchaikovsky's ballet with full orchestra.",
        category: "dance",
        performer: "The Australian Ballet",
        genre: "ballet",
        venue: 7,
        shows: &[(35, 7900), (36, 7900)],
    },
    DemoEvent {
        title: "Rosalía — Motomami",
        description: "Flamenco meets reggaeton at the Palau.",
        category: "concert",
        performer: "Rosalía",
        genre: "pop",
        venue: 9,
        shows: &[(27, 6900)],
    },
    DemoEvent {
        title: "John Mulaney: From Scratch",
        description: "Stand-up comedy.",
        category: "comedy",
        performer: "John Mulaney",
        genre: "comedy",
        venue: 1,
        shows: &[(14, 4500)],
    },
    DemoEvent {
        title: "Hamburger Kinderkonzert",
        description: "An orchestra concert for families with children from 5.",
        category: "family",
        performer: "NDR Elbphilharmonie Orchester",
        genre: "classical",
        venue: 4,
        shows: &[(10, 1500), (24, 1500)],
    },
];

fn venue_input(v: &DemoVenue) -> VenueInput {
    VenueInput {
        name: v.name.into(),
        city: v.city.into(),
        country: v.country.into(),
        address: v.address.into(),
        lat: v.lat,
        lon: v.lon,
        timezone: None,
        sections: (v.sections)(),
    }
}

fn invalid(e: Invalid) -> crate::store::StoreError {
    crate::store::StoreError::Invalid(e)
}

/// 19:30 in the venue's time zone on the day `at` falls on there.
fn evening(at: UnixMs, zone: &str) -> UnixMs {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(at)
        .ok()
        .map(|t| t.to_zoned(tz))
        .and_then(|z| {
            z.date()
                .at(19, 30, 0, 0)
                .to_zoned(z.time_zone().clone())
                .ok()
        })
        .map_or(at, |z| z.timestamp().as_millisecond())
}

/// Loads the demo catalog; returns the number of events created.
pub async fn demo(store: &DynStore, now: UnixMs) -> StoreResult<usize> {
    let mut venue_ids = Vec::new();
    for v in venues() {
        let venue = store
            .create_venue(NewVenue::try_from(venue_input(&v)).map_err(invalid)?, now)
            .await?;
        venue_ids.push((
            venue.id,
            venue.timezone.clone(),
            venue
                .sections
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>(),
        ));
    }
    for e in EVENTS {
        let performer = store
            .create_performer(
                NewPerformer {
                    name: e.performer.into(),
                    genre: Some(e.genre.into()),
                    description: None,
                },
                now,
            )
            .await?;
        let (venue_id, zone, sections) = &venue_ids[e.venue];
        let event = store
            .create_event(
                NewEvent {
                    title: e.title.into(),
                    description: e.description.into(),
                    category: e.category.into(),
                    venue_id: *venue_id,
                    performer_ids: vec![performer.id],
                },
                now,
            )
            .await?;
        for (days, price) in e.shows {
            let input = ShowInput {
                starts_at: rfc3339(evening(now + days * DAY_MS, zone)),
                on_sale_at: None,
                hold_ttl_seconds: None,
                max_per_order: None,
                waiting_room: None,
                prices: sections
                    .iter()
                    .enumerate()
                    .map(|(i, s)| PriceInput {
                        section: s.clone(),
                        amount: price - (i as i64) * price / 5,
                        currency: if e.venue == 1 || e.venue == 2 {
                            "GBP"
                        } else if e.venue == 6 {
                            "USD"
                        } else if e.venue == 7 {
                            "AUD"
                        } else {
                            "EUR"
                        }
                        .into(),
                    })
                    .collect(),
            };
            store
                .create_show(event.id, NewShow::parse(input, now).map_err(invalid)?, now)
                .await?;
        }
    }
    Ok(EVENTS.len())
}
